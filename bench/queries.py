"""SQL statements per request, counted with a SQLAlchemy event in a test-client run.

The same pages are requested on a small and on the full data set: the counts must be equal, i.e.
no page issues a query per RSVP (or per event, per coverage item...). Public-page caching is off
here (PUBLIC_CACHE_SECONDS=0) so the counts are those of a cache miss.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, url_for
from sqlalchemy import event

from bench import browser as html_forms
from bench import data

_emails = itertools.count(1)


@dataclass
class Page:
    key: str
    label: str
    endpoint: str
    method: str = "GET"
    who: str = "anonymous"  # anonymous | owner | door
    values: Callable[[data.Loaded], dict] = lambda loaded: {}
    query: dict | None = None
    headers: dict | None = None
    form: Callable | None = None  # (client, loaded, url) -> dict of form data, for POSTs


def _rsvp_form(client, loaded: data.Loaded, url: str) -> dict:
    page = client.get(url.removesuffix("/rsvp"))
    form = html_forms.find_form(page.get_data(as_text=True), "/rsvp", same_page=True)
    n = next(_emails)
    overrides = {"name": f"Query Counter {n}", "email": f"query-counter-{n}@example.org"}
    if not dict(form.fields).get("csrf_token"):  # the shared page has none: rsvp.js asks for one
        overrides["csrf_token"] = client.get("/csrf-token").get_json()["csrf_token"]
    return dict(form.values(**{k: v for k, v in overrides.items() if any(f == k for f, _ in form.fields)}))


_rsvp_ids: dict[int, int] = {}


def _check_in_form(client, loaded: data.Loaded, url: str) -> dict:
    return {"idempotency_key": f"querycount{next(_emails):08d}"}


def _next_open_rsvp(loaded: data.Loaded) -> dict:
    index = _rsvp_ids.get(id(loaded), 0)
    _rsvp_ids[id(loaded)] = index + 1
    return {"event_id": loaded.popular_event_id, "rsvp_id": loaded.popular_open_rsvp_ids[-1 - index]}


PAGES = [
    Page("home", "Home page", "public.home"),
    Page("campaign", "Campaign page", "public.campaign", values=lambda l: {"slug": data.CAMPAIGN_SLUG}),
    Page("event", "Public event page (popular event)", "public.event", values=lambda l: {"slug": data.POPULAR_SLUG}),
    Page("rsvp", "RSVP POST", "rsvp.submit", "POST", values=lambda l: {"slug": data.POPULAR_SLUG}, form=_rsvp_form),
    Page("event_ics", "Event calendar (.ics)", "rsvp.event_ics", values=lambda l: {"slug": data.POPULAR_SLUG}),
    Page("door_search", "Door list search", "door.door_list", who="door",
         values=lambda l: {"event_id": l.popular_event_id}, query={"q": "amira", "part": "results"}),
    Page("door_list", "Door list (whole)", "door.door_list", who="door", values=lambda l: {"event_id": l.popular_event_id}),
    Page("check_in", "Check-in POST (door.js)", "door.check_in", "POST", who="door", values=_next_open_rsvp,
         headers={"Accept": "application/json"}, form=_check_in_form),
    Page("check_in_nojs", "Check-in POST (no JS)", "door.check_in", "POST", who="door", values=_next_open_rsvp,
         form=_check_in_form),
    Page("dashboard", "My campaigns", "campaigns.dashboard", who="owner"),
    Page("overview", "Campaign dashboard", "campaigns.overview", who="owner", values=lambda l: {"slug": data.CAMPAIGN_SLUG}),
    Page("event_detail", "Organizer's event page", "events.detail", who="owner",
         values=lambda l: {"event_id": l.popular_event_id}),
    Page("rsvp_list", "RSVP list (organizer)", "rsvp.admin_list", who="owner",
         values=lambda l: {"event_id": l.popular_event_id}),
    Page("event_turnout", "Event turnout", "reports.event_turnout", who="owner",
         values=lambda l: {"event_id": l.popular_event_id}),
    Page("campaign_turnout", "Campaign turnout", "reports.campaign_turnout", who="owner",
         values=lambda l: {"slug": data.CAMPAIGN_SLUG}),
    Page("audit", "Export audit", "reports.audit", who="owner", values=lambda l: {"slug": data.CAMPAIGN_SLUG}),
]


def make_app(database_url: str) -> Flask:
    from organizer import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-query-counter-secret-key-0123456789abcdef",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_CACHE_SECONDS": 0,
            "DOOR_COUNTS_SECONDS": 0,
            "MAIL_BACKEND": "memory",
            "TESTING": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.count += 1
        self.statements.append(statement)


def count_queries(database_url: str, loaded: data.Loaded, keys: set[str] | None = None) -> dict[str, dict]:
    """{page key: {"label", "queries", "status"}} of every page, or of the pages named in ``keys``; pages
    whose route does not exist are left out."""
    from organizer.extensions import db

    app = make_app(database_url)
    results: dict[str, dict] = {}
    counter = Counter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        clients = {"anonymous": app.test_client(), "owner": app.test_client(), "door": app.test_client()}
        with clients["owner"].session_transaction() as session:
            session["_user_id"] = f"{loaded.owner_user_id}:1"
            session["_fresh"] = True
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        if "door.open_link" in endpoints:
            with app.test_request_context():
                door_url = url_for("door.open_link", token=data.DOOR_LINK_TOKEN)
            clients["door"].get(door_url)
        for page in PAGES:
            if page.endpoint not in endpoints or (keys is not None and page.key not in keys):
                continue
            client = clients[page.who]
            figures = []
            try:
                for _ in range(2):  # the second request is the one counted (first-use costs aside)
                    with app.test_request_context():
                        url = url_for(page.endpoint, **page.values(loaded), **(page.query or {}))
                    form = page.form(client, loaded, url) if page.form else None
                    counter.count = 0
                    counter.statements = []
                    response = client.open(url, method=page.method, data=form, headers=page.headers or {})
                    figures.append((counter.count, response.status_code))
            except Exception as error:  # noqa: BLE001 (a page that fails is reported, not fatal)
                results[page.key] = {"label": page.label, "queries": None, "status": f"error: {error}"}
                continue
            queries, status = figures[-1]
            results[page.key] = {"label": page.label, "queries": queries, "status": status,
                                 "statements": list(counter.statements)}
    finally:
        event.remove(engine, "before_cursor_execute", counter)
        engine.dispose()
    return results
