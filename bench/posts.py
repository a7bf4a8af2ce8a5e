"""CPU time and SQL statements of the two POSTs the wrk bench measures, in-process, on a COPY of the bench
database (the POSTs write: never point this at ``organizer_bench`` itself):

    createdb -U postgres -h 127.0.0.1 -T organizer_bench organizer_bench_posts
    .venv/bin/python -m bench.posts --database organizer_bench_posts            # both, CPU and statements
    .venv/bin/python -m bench.posts --database organizer_bench_posts --only rsvp --profile

The app runs with the production configuration (CSRF on, a strong SECRET_KEY, caches as configured)
through Flask's test client. RSVPs: the event page is read once, and the session cookie and CSRF token
fetched from /csrf-token as static/js/rsvp.js does, then each POST is a distinct supporter, like ``bench/rsvp.lua``. Taps: a door-link session, each tap a
different person not checked in yet, urlencoded with ``Accept: application/json`` like ``static/js/door.js``.
CPU time is ``time.process_time`` per request, best of ``--rounds`` rounds of ``-n`` requests.
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import statistics
import time
from urllib.parse import urlencode

BASE_URL = "http://localhost"
# Before anything imports organizer.config, which reads the environment once.
os.environ.update(
    ORGANIZER_ENV="production",
    SECRET_KEY=secrets.token_urlsafe(48),
    SESSION_COOKIE_SECURE="false",
    HSTS="false",
    RATELIMIT_ENABLED="false",
    BASE_URL=BASE_URL,
    MAIL_BACKEND="memory",
)

from bench import data, pg  # noqa: E402


def _make_app(database: str):
    from organizer import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": pg.sqlalchemy_url(database)})
    # Plain http like the wrk bench (the production config's https would make Flask-WTF ask for a Referer).
    app.config["PREFERRED_URL_SCHEME"] = "http"
    return app


class LockHold:
    """How long a request holds the event's row lock: from the moment ``SELECT ... FOR NO KEY UPDATE`` returns
    (the lock is ours) to the moment the COMMIT returns (it is released), per request. With eight
    clients on one event every RSVP waits for the one before it, so this bounds throughput as much as
    CPU does. The time spent waiting for the lock is 0 here (one client)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.engine = engine
        self.acquired: float | None = None
        self.holds: list[float] = []
        self.statements_held: list[int] = []
        self._during = 0
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)

    def _after(self, conn, cursor, statement, *args) -> None:
        if self.acquired is None and ("FOR UPDATE" in statement or "FOR NO KEY UPDATE" in statement):
            self.acquired = time.perf_counter()
            self._during = 0
        elif self.acquired is not None:
            self._during += 1

    def _commit(self, conn) -> None:
        # The engine's "commit" event fires before the DBAPI commit: record the end once it returned.
        if self.acquired is not None:
            acquired, self.acquired = self.acquired, None
            raw = conn.connection.dbapi_connection
            raw.commit()  # PostgreSQL: the real commit (the one SQLAlchemy runs next is then a no-op)
            self.holds.append(time.perf_counter() - acquired)
            self.statements_held.append(self._during)

    def remove(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "after_cursor_execute", self._after)
        event.remove(self.engine, "commit", self._commit)

    def report(self) -> str:
        if not self.holds:
            return "no row lock taken"
        holds = sorted(self.holds)
        return (f"event row lock held {statistics.median(holds) * 1e6:,.0f} µs median "
                f"(p90 {holds[int(len(holds) * 0.9)] * 1e6:,.0f} µs), {statistics.median(self.statements_held):.0f} "
                f"statements under it after the lock, then the COMMIT")


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _fixed_cookie(app, client):
    """A client that sends the cookie ``client`` holds now on every request, like wrk: a session
    that grew with each response (the RSVP's flash messages) would measure the cookie, not the POST."""
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    fixed = app.test_client(use_cookies=False)
    fixed.environ_base["HTTP_COOKIE"] = cookie
    return fixed


def _rsvp_requests(app, client):
    from bench.browser import find_form

    page = client.get(f"/e/{data.POPULAR_SLUG}")
    form = find_form(page.get_data(as_text=True), "/rsvp", same_page=True)
    fields = {name for name, _value in form.fields}
    token = {}
    if not dict(form.fields).get("csrf_token"):  # the shared page has none: static/js/rsvp.js fetches one
        token = {"csrf_token": client.get("/csrf-token").get_json()["csrf_token"]}
    client = _fixed_cookie(app, client)
    path = form.posts_to(f"/e/{data.POPULAR_SLUG}")
    tag = secrets.token_hex(3)
    for n in itertools.count(1):
        overrides = {"name": f"Posts Bench {tag} {n}", "email": f"posts-{tag}-{n}@example.org",
                     "submission_key": secrets.token_hex(16)}  # as static/js/rsvp.js sends it
        body = dict(form.values(**{k: v for k, v in overrides.items() if k in fields}, **token))
        yield lambda body=body: client.post(path, data=body)


def _open_rsvp_ids(app, event_id: int) -> list[int]:
    from sqlalchemy import text

    from organizer.extensions import db

    with app.app_context():
        ids = db.session.scalars(text(
            "SELECT r.id FROM rsvp r WHERE r.event_id = :e AND r.status = 'going'"
            " AND NOT EXISTS (SELECT 1 FROM check_in c WHERE c.rsvp_id = r.id) ORDER BY r.id DESC"),
            {"e": event_id}).all()
        db.session.remove()
    return list(ids)


def _tap_requests(app, client):
    from bench.browser import find_form
    from sqlalchemy import text

    from organizer.extensions import db

    with app.app_context():
        event_id = db.session.scalar(text("SELECT id FROM event WHERE slug = :s"), {"s": data.POPULAR_SLUG})
        db.session.remove()
    assert client.get(f"/door/{data.DOOR_LINK_TOKEN}").status_code in {302, 303}
    page = client.get(f"/door/e/{event_id}")
    form = find_form(page.get_data(as_text=True), "/check-in")
    client = _fixed_cookie(app, client)
    tag = secrets.token_hex(3)
    # As static/js/door.js sends a tap: urlencoded. BOUNDARY=fixed or BOUNDARY=random sends multipart
    # instead (what door.js sent before: a browser makes a new boundary for every request).
    boundary = os.environ.get("BOUNDARY", "")
    for n, rsvp_id in enumerate(_open_rsvp_ids(app, event_id)):
        fields = form.values(idempotency_key=f"posts{tag}{n:08d}")
        if boundary:
            this = "----benchFormBoundary7MA4YWxkTrZu0gW" if boundary == "fixed" else \
                "----WebKitFormBoundary" + secrets.token_hex(8)
            body = ("".join(f'--{this}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                            for name, value in fields) + f"--{this}--\r\n").encode()
            content_type = f"multipart/form-data; boundary={this}"
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        yield lambda body=body, rsvp_id=rsvp_id, content_type=content_type: client.post(
            f"/door/e/{event_id}/rsvps/{rsvp_id}/check-in", data=body, content_type=content_type,
            headers={"Accept": "application/json"})


def _measure(name: str, requests, engine, n: int, rounds: int, profile: bool) -> None:
    from sqlalchemy import event

    for _ in range(5):  # warm-up: imports, templates, connections
        response = next(requests)()
        assert response.status_code in {200, 303}, (response.status_code, response.get_data(as_text=True)[:500])
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    response = next(requests)()
    event.remove(engine, "before_cursor_execute", counter)
    statements = counter.count
    best = best_wall = None
    for _ in range(rounds):
        batch = [next(requests) for _ in range(n)]
        cpu, wall = time.process_time(), time.perf_counter()
        for send in batch:
            response = send()
            assert response.status_code in {200, 303}, response.status_code
        per = (time.process_time() - cpu) / n * 1e6
        per_wall = (time.perf_counter() - wall) / n * 1e6
        best = per if best is None else min(best, per)
        best_wall = per_wall if best_wall is None else min(best_wall, per_wall)
    # Wall time adds PostgreSQL's part (and the round trips), which shares the same cores under wrk.
    print(f"{name}: HTTP {response.status_code}, {best:,.0f} µs CPU a request, {best_wall:,.0f} µs wall "
          f"(best of {rounds} × {n}), {statements} SQL statements")
    lock = LockHold(engine)
    for send in [next(requests) for _ in range(n)]:
        send()
    lock.remove()
    print(f"{name}: {lock.report()}")
    if os.environ.get("CPROFILE"):
        import cProfile
        import pstats

        batch = [next(requests) for _ in range(n)]
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for send in batch:
            send()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(int(os.environ["CPROFILE"]))
    if profile:
        from pyinstrument import Profiler

        batch = [next(requests) for _ in range(n)]
        profiler = Profiler(interval=0.001)
        profiler.start()
        for send in batch:
            send()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("SHOW_ALL"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.posts")
    parser.add_argument("--database", required=True, help="a copy of organizer_bench: the POSTs write")
    parser.add_argument("--only", choices=["rsvp", "check_in"])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.database == "organizer_bench":
        parser.error("copy the bench database first: these POSTs write")

    from organizer.extensions import db

    app = _make_app(args.database)
    with app.app_context():
        engine = db.engine
    if args.only in (None, "rsvp"):
        _measure("RSVP POST", _rsvp_requests(app, app.test_client()), engine, args.n, args.rounds, args.profile)
    if args.only in (None, "check_in"):
        _measure("check-in POST (door.js)", _tap_requests(app, app.test_client()), engine, args.n, args.rounds,
                 args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
