"""Stored-injection corpus: hostile text in every field, rendered in every place that shows it, stays inert.

Every text field of a campaign, an event, its questions, its news coverage, RSVPs (name, answers,
phone), a walk-in, a door link and an organizer's account holds a payload carrying its own marker
("F01".."Fnn"): a script tag, a broken-out attribute with an event handler, a single-quote breakout,
Jinja expression and statement syntax, and a right-to-left override. The data is written straight
to the database (the worst case: whatever validation the forms do is bypassed), emails are
produced by the real services, and then every page, email, calendar file and export is checked:

- no live <script>, no tag with an on…= handler, no <img> from the payload, no javascript: link;
- `{{7*7}}` and `{% if 1 %}…` show literally (nothing is ever rendered as a template);
- the bidi override never reaches a page or an email;
- each place really shows the fields it should (so a page that silently drops a field is noticed).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import (
    Answer,
    Coverage,
    CoverageRelation,
    EmailPolicy,
    OutboxMessage,
    QuestionKind,
    Role,
    RsvpSource,
    RsvpStatus,
)
from organizer.services.door import door_links
from organizer.services.events import events
from organizer.services.rsvp import rsvps
from tests import builders
from tests.mailbox import as_sent

RTL = "\u202e"


def evil(marker: str) -> str:
    """One payload per field, led by the field's marker (under 120 characters)."""
    return (f"{marker}<script>alert(1)</script>\"><img src=x onerror=alert(1)>' onmouseover='alert(1)"
            f"{{{{7*7}}}}{{% if 1 %}}IF{{% endif %}}{RTL}gnp.exe")


def short_evil(marker: str) -> str:
    return f"{marker}<b>{{{{7*7}}}}"


MARKERS: dict[str, str] = {}  # field -> marker


def mark(field_name: str) -> str:
    MARKERS.setdefault(field_name, f"F{len(MARKERS) + 1:02d}")
    return MARKERS[field_name]


FIELDS = [
    "user.name", "campaign.name", "campaign.summary", "campaign.description", "campaign.default_venue_name",
    "campaign.default_address", "campaign.default_city", "campaign.default_country",
    "event.title", "event.description", "event.venue_name", "event.address", "event.city", "event.country",
    "question.label", "question.choice", "coverage.headline", "coverage.outlet", "coverage.author",
    "coverage.excerpt", "coverage.language", "link.note", "rsvp.name", "rsvp.phone", "answer.text",
    "answer.choice", "waitlisted.name", "walk_in.name", "door_link.label",
]
for _name in FIELDS:
    mark(_name)


@dataclass
class Stage:
    owner: object = None
    campaign: object = None
    event: object = None
    coverage: object = None
    rsvp: object = None
    manage_token: str = ""
    ticket_token: str = ""
    waitlisted: object = None
    membership: object = None
    question: object = None
    pages: dict[str, str] = field(default_factory=dict)


def payload(name: str) -> str:
    return short_evil(MARKERS[name]) if name in ("coverage.language", "rsvp.phone") else evil(MARKERS[name])


def build_stage() -> Stage:
    s = Stage()
    s.owner = builders.make_user("owner@example.org", name=payload("user.name"))
    s.campaign = builders.make_campaign(
        owner=s.owner, slug="evil-campaign", name=payload("campaign.name"), summary=payload("campaign.summary"),
        description=(f"{payload('campaign.description')}\n\n[click](javascript:alert(1)) <iframe src=//x></iframe>"
                     "\n\n<a href=\"javascript:alert(1)\">raw</a>"),
        default_venue_name=payload("campaign.default_venue_name"), default_address=payload("campaign.default_address"),
        default_city=payload("campaign.default_city"), default_country=payload("campaign.default_country"))
    s.membership = builders.make_membership(s.campaign, builders.make_user("door@example.org", name="Door"), Role.DOOR)
    s.event = builders.make_event(
        s.campaign, slug="evil-event", title=payload("event.title"),
        description=f"{payload('event.description')}\n\n[x](javascript:alert(1)) ![i](javascript:alert(1))",
        venue_name=payload("event.venue_name"), address=payload("event.address"), city=payload("event.city"),
        country=payload("event.country"), capacity=3, ask_phone=True, email_policy=EmailPolicy.OPTIONAL)
    text_question = builders.make_question(s.event, label=payload("question.label"), kind=QuestionKind.TEXT)
    choice_question = builders.make_question(s.event, label="Which session?", kind=QuestionKind.CHOICE,
                                             choices=f"{payload('question.choice')}\nAfternoon")
    s.question = text_question
    s.coverage = builders.make_coverage(
        s.campaign, headline=payload("coverage.headline"), outlet=payload("coverage.outlet"),
        author=payload("coverage.author"), excerpt=payload("coverage.excerpt"), language=payload("coverage.language"),
        published_on=date(2012, 3, 3))
    builders.link_coverage(s.event, s.coverage, CoverageRelation.PROMPTED_BY, note=payload("link.note"))

    # RSVPs through the real service, so the confirmation and waitlist emails are written too.
    answers = {text_question.id: payload("answer.text"), choice_question.id: payload("question.choice")}
    receipt = rsvps.create_rsvp(s.event, name=payload("rsvp.name"), email="amina@example.org",
                                phone="+44 20 7946 0000", answers=answers)
    db.session.commit()
    s.rsvp = db.session.scalar(select(rsvps.Rsvp).where(rsvps.Rsvp.email_normalized == "amina@example.org"))
    # The service may refuse or clean some values; store the raw payloads anyway (worst case).
    s.rsvp.name, s.rsvp.phone = payload("rsvp.name"), payload("rsvp.phone")
    for answer in db.session.scalars(select(Answer).where(Answer.rsvp_id == s.rsvp.id)):
        answer.value = payload("answer.text") if answer.question_id == text_question.id else payload("answer.choice")
    db.session.commit()
    assert receipt is not None
    s.waitlisted, _m, _t = builders.make_rsvp(s.event, name=payload("waitlisted.name"), email="bilal@example.org",
                                               status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(s.event, name=payload("walk_in.name"), email=None, source=RsvpSource.WALK_IN)
    # A manage link and a ticket we know (the service only hands them to the supporter).
    _rsvp, s.manage_token, s.ticket_token = builders.make_rsvp(s.event, name="Ticket Holder", email=None)
    door_links.create(s.event, payload("door_link.label"), s.owner)
    db.session.commit()
    return s


# --- what "inert" means ------------------------------------------------------------------------

class _TagAudit(HTMLParser):
    """Parses a page the way a browser would and notes every tag or attribute that could run code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"live <script> {attrs}")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"injected <{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("injected meta refresh")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("injected <img src=x>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "poster", "data") and value:
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme in ("javascript", "data", "vbscript") and not (tag == "img" and scheme == "data"):
                    self.problems.append(f"{scheme}: URL in <{tag} {name}>")


def inert_html_problems(where: str, body: str) -> list[str]:
    audit = _TagAudit()
    audit.feed(body)
    audit.close()
    problems = [f"{where}: {problem}" for problem in audit.problems]
    if "<b>{{7*7}}" in body:
        problems.append(f"{where}: an injected <b> tag is live")
    if RTL in body:
        problems.append(f"{where}: a right-to-left override reached the output")
    return problems


def shows(body: str, field_name: str) -> bool:
    return MARKERS[field_name] in body


def literal_template_syntax(body: str) -> bool:
    return "{{7*7}}" in body and "{% if 1 %}IF{% endif %}" in body


# --- the places --------------------------------------------------------------------------------

def pages(s: Stage) -> dict[str, tuple[str, list[str]]]:
    """path -> (who looks, fields that page must show)."""
    slug, eid, cid = s.campaign.slug, s.event.id, s.coverage.id
    public_event = ["event.title", "event.description", "event.venue_name", "event.address", "event.city",
                    "coverage.headline", "coverage.outlet", "coverage.excerpt", "link.note", "campaign.name",
                    "question.label", "question.choice"]
    return {
        "/": ("anonymous", ["event.title", "event.city"]),
        f"/c/{slug}": ("anonymous", ["campaign.name", "campaign.summary", "campaign.description", "event.title",
                                      "coverage.headline"]),
        f"/e/{s.event.slug}": ("anonymous", public_event),
        f"/r/{s.manage_token}": ("anonymous", ["event.title"]),
        f"/r/{s.manage_token}/cancel": ("anonymous", ["event.title"]),
        f"/r/{s.manage_token}/delete": ("anonymous", ["event.title"]),
        "/manage/": ("owner", ["campaign.name"]),
        f"/manage/c/{slug}": ("owner", ["campaign.name", "event.title"]),
        f"/manage/c/{slug}/edit": ("owner", ["campaign.name", "campaign.summary", "campaign.description",
                                             "campaign.default_venue_name", "campaign.default_address",
                                             "campaign.default_city", "campaign.default_country"]),
        f"/manage/c/{slug}/coverage": ("owner", ["coverage.headline", "coverage.outlet"]),
        f"/manage/c/{slug}/coverage/{cid}/edit": ("owner", ["coverage.headline", "coverage.outlet", "coverage.author",
                                                           "coverage.excerpt", "coverage.language"]),
        f"/manage/c/{slug}/coverage/{cid}/delete": ("owner", ["coverage.headline"]),
        f"/manage/c/{slug}/members": ("owner", ["user.name"]),
        f"/manage/c/{slug}/members/{s.membership.id}/remove": ("owner", ["campaign.name"]),
        f"/manage/c/{slug}/turnout": ("owner", ["event.title"]),
        f"/manage/c/{slug}/export": ("owner", ["event.title"]),
        f"/manage/e/{eid}": ("owner", ["event.title", "coverage.headline"]),
        f"/manage/e/{eid}/edit": ("owner", ["event.title", "event.description", "event.venue_name", "event.address",
                                            "event.city", "event.country"]),
        f"/manage/e/{eid}/questions": ("owner", ["question.label"]),
        f"/manage/e/{eid}/questions/{s.question.id}/edit": ("owner", ["question.label"]),
        f"/manage/e/{eid}/coverage": ("owner", ["coverage.headline", "link.note"]),
        f"/manage/e/{eid}/rsvps": ("owner", ["rsvp.name", "answer.text", "answer.choice", "waitlisted.name",
                                             "walk_in.name", "question.label"]),
        f"/manage/e/{eid}/turnout": ("owner", ["event.title"]),
        f"/manage/e/{eid}/door-links": ("owner", ["door_link.label"]),
        f"/manage/e/{eid}/cancel": ("owner", ["event.title"]),
        f"/door/e/{eid}": ("owner", ["rsvp.name", "walk_in.name", "event.title"]),
        f"/door/e/{eid}?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E%7B%7B7*7%7D%7D": ("owner", []),
        f"/door/e/{eid}/print": ("owner", ["rsvp.name", "walk_in.name", "event.title"]),
        f"/t/{s.ticket_token}": ("owner", ["event.title"]),
    }


@pytest.fixture
def stage():
    return build_stage()


def fetch(client, login, s: Stage, path: str, who: str):
    if who == "owner":
        login(s.owner)
    else:
        with client.session_transaction() as session:
            session.clear()
    return client.get(path)


def test_every_page_keeps_hostile_text_inert(client, login, stage):
    problems: list[str] = []
    seen: set[str] = set()
    for path, (who, expected) in pages(stage).items():
        response = fetch(client, login, stage, path, who)
        if response.status_code != 200:
            problems.append(f"{path}: status {response.status_code}")
            continue
        body = response.get_data(as_text=True)
        assert response.mimetype == "text/html", path
        problems += inert_html_problems(path, body)
        missing = [name for name in expected if not shows(body, name)]
        if missing:
            problems.append(f"{path}: doesn't show {missing} (the place isn't covered)")
        if expected and not literal_template_syntax(body):
            problems.append(f"{path}: {{{{7*7}}}} is not shown literally")
        seen |= {name for name in FIELDS if shows(body, name)}
    unseen = sorted(set(FIELDS) - seen - {"rsvp.phone"})  # the phone shows only where it's needed (exports)
    if unseen:
        problems.append(f"fields no page shows: {unseen}")
    assert not problems, "\n".join(problems)


def test_coverage_search_json_is_served_as_json(client, login, stage):
    login(stage.owner)
    response = client.get(f"/manage/c/{stage.campaign.slug}/coverage/search?q={MARKERS['coverage.headline']}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert MARKERS["coverage.headline"] in response.get_data(as_text=True)


def test_emails_show_hostile_text_literally(client, login, stage):
    """Confirmation and waitlist emails (written by the services), a promotion after a cancellation, and
    the cancellation notice: text bodies show the payload as typed, HTML bodies keep it inert, subjects
    carry no line breaks."""
    # Bilal is promoted when Amina cancels; then the organizer cancels the event and everyone is told.
    rsvps.cancel_rsvp(stage.rsvp)
    db.session.commit()
    events.cancel_event(stage.owner, stage.event)
    db.session.commit()
    messages = [as_sent(m) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert len(messages) >= 3
    problems = []
    for message in messages:
        where = f"email {message.subject[:40]!r} to {message.to_address}"
        if "\r" in message.subject or "\n" in message.subject:
            problems.append(f"{where}: line break in the subject")
        if RTL in message.subject + message.body_text + message.body_html:
            problems.append(f"{where}: right-to-left override in the email")
        if MARKERS["event.title"] in message.body_text and "{{7*7}}" not in message.body_text:
            problems.append(f"{where}: template syntax was evaluated in the text body")
        if message.body_html:
            problems += inert_html_problems(where + " (html)", message.body_html)
    assert any(MARKERS["event.title"] in m.body_text for m in messages), "no email shows the event title"
    assert not problems, "\n".join(problems)


def test_calendar_files_keep_hostile_text_as_text(client, stage):
    for path in (f"/e/{stage.event.slug}/calendar.ics", f"/c/{stage.campaign.slug}/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/calendar", path
        text = response.get_data(as_text=True)
        assert MARKERS["event.title"] in text and "{{7*7}}" in text
        # No property was injected through a line break.
        props = [line.split(":", 1)[0].split(";", 1)[0] for line in text.splitlines() if line and line[0] != " "]
        assert "ATTENDEE" not in props and "X-INJECTED" not in props


def _export(client, s: Stage, target: str, file_format: str):
    from tests.security.helpers import csrf

    token = csrf(client, f"/manage/c/{s.campaign.slug}/export")
    return client.post(f"/manage/c/{s.campaign.slug}/export", data={
        "csrf_token": token, "target": target, "statuses": ["going", "waitlisted", "cancelled"],
        "checked_in": "any", "preset": "all", "file_format": file_format})


@pytest.mark.parametrize("target", ["event", "campaign"])
def test_csv_exports_keep_hostile_text_as_data(client, login, stage, target):
    login(stage.owner)
    response = _export(client, stage, str(stage.event.id) if target == "event" else "campaign", "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    assert any(MARKERS["rsvp.name"] in cell for cell in cells)
    assert any(MARKERS["rsvp.phone"] in cell for cell in cells)
    if target == "event":
        assert any(MARKERS["answer.text"] in cell for cell in cells)
    for cell in cells:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"a spreadsheet would run {cell!r}"


def test_xlsx_export_holds_strings_not_formulas(client, login, stage):
    from openpyxl import load_workbook

    builders.make_rsvp(stage.event, name='=HYPERLINK("http://evil.example","x")', email="f@example.org")
    login(stage.owner)
    response = _export(client, stage, str(stage.event.id), "xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any(MARKERS["rsvp.name"] in str(cell.value) for cell in values)
    for cell in values:
        assert cell.data_type != "f", f"formula in the export: {cell.value!r}"
        if str(cell.value).startswith("="):
            # Shown as typed, without the CSV's apostrophe: a string cell is never evaluated.
            assert cell.data_type == "s", cell.value
    with zipfile.ZipFile(io.BytesIO(response.data)) as workbook:
        sheet_xml = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere in the file


def test_reflected_input_in_forms_and_errors_is_inert(client, login, stage):
    """What a person types comes back in forms after an error: escaped there too."""
    from tests.security.helpers import csrf

    problems = []
    token = csrf(client, f"/e/{stage.event.slug}")
    response = client.post(f"/e/{stage.event.slug}/rsvp", data={
        "csrf_token": token, "name": evil("R01"), "email": "not an address", "guests": "0"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "R01" in body
    problems += inert_html_problems("RSVP form error", body)

    login(stage.owner)
    token = csrf(client, f"/manage/c/{stage.campaign.slug}/coverage/new")
    response = client.post(f"/manage/c/{stage.campaign.slug}/coverage/new", data={
        "csrf_token": token, "url": "javascript:alert(1)", "headline": evil("R02"), "outlet": "", "author": "",
        "excerpt": "", "language": "en"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400, "a javascript: URL must be refused"
    assert "R02" in body
    problems += inert_html_problems("coverage form error", body)

    response = client.get("/auth/login?next=" + "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    problems += inert_html_problems("login with a hostile next", response.get_data(as_text=True))
    assert not problems, "\n".join(problems)


def test_javascript_urls_are_refused_by_the_forms(client, login, stage):
    from tests.security.helpers import csrf

    login(stage.owner)
    for url in ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "data:text/html,x",
                "vbscript:x", "//evil.example/x", "http:/\\evil.example"]:
        token = csrf(client, f"/manage/c/{stage.campaign.slug}/coverage/new")
        response = client.post(f"/manage/c/{stage.campaign.slug}/coverage/new", data={
            "csrf_token": token, "url": url, "headline": "Headline", "language": "en"})
        assert response.status_code == 400, url
        assert "starting with https:// or http://" in response.get_data(as_text=True), url
    assert db.session.scalar(select(Coverage).where(Coverage.headline == "Headline")) is None


def test_audit_page_keeps_hostile_text_inert(client, login, stage):
    login(stage.owner)
    assert _export(client, stage, str(stage.event.id), "csv").status_code == 200
    response = client.get(f"/manage/c/{stage.campaign.slug}/audit")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert MARKERS["event.title"] in body or "owner@example.org" in body
    problems = inert_html_problems("audit", body)
    assert not problems, "\n".join(problems)


def test_line_breaks_in_a_title_inject_no_header_and_no_calendar_property(client, stage):
    event = builders.make_event(stage.campaign, slug="crlf-event", capacity=None,
                                title="Meeting\r\nBcc: evil@example.org\r\nX-INJECTED:1\nATTENDEE:mailto:evil@example.org")
    rsvps.create_rsvp(event, name="Amina", email="amina2@example.org")
    db.session.commit()
    message = as_sent(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "amina2@example.org")).one())
    assert "\r" not in message.subject and "\n" not in message.subject
    text = client.get("/e/crlf-event/calendar.ics").get_data(as_text=True)
    props = [line.split(":", 1)[0].split(";", 1)[0] for line in text.splitlines() if line and line[0] != " "]
    assert "X-INJECTED" not in props and "ATTENDEE" not in props and "BCC" not in [p.upper() for p in props]
    assert message.ics_attachment.startswith("BEGIN:VCALENDAR")  # the worker's calendar file is checked too
    for attachment in [message.ics_attachment]:
        props = [line.split(":", 1)[0] for line in attachment.splitlines() if line and line[0] != " "]
        assert "X-INJECTED" not in props and "ATTENDEE" not in props


def test_names_typed_into_forms_stay_inert_in_what_follows(client, login, stage):
    """An RSVP without email (the result page shows the private link and the name) and a walk-in added at
    the door (the flash message names them): the typed name comes back escaped."""
    from tests.security.helpers import csrf

    problems = []
    event = builders.make_event(stage.campaign, slug="open-event", capacity=None, email_policy=EmailPolicy.NOT_ASKED)
    token = csrf(client, "/e/open-event")
    response = client.post("/e/open-event/rsvp", data={"csrf_token": token, "name": evil("W01")[:100], "guests": "0"},
                           follow_redirects=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "W01" in body, "the result page names the person"
    problems += inert_html_problems("after an RSVP", body)

    login(stage.owner)
    token = csrf(client, f"/door/e/{event.id}")
    response = client.post(f"/door/e/{event.id}/walk-in", data={
        "csrf_token": token, "name": evil("W02")[:100], "idempotency_key": "walk-in-injection-1"},
        follow_redirects=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "W02" in body
    problems += inert_html_problems("door list after a walk-in", body)
    assert not problems, "\n".join(problems)
