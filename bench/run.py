"""The benchmark: ``python -m bench.run`` (or ``make bench``); ``--quick`` for a few-second run on tiny data.

1. builds PostgreSQL databases (the full data set and a small one), migrated with ``flask db upgrade``;
2. counts SQL statements per page on both, in a test client;
3. serves the app under gunicorn with its production config (2 sync workers) and, beside it, a
   hello-world Flask app configured the same way — the ceiling;
4. drives both with wrk on 127.0.0.1, alternating within every round so each figure has a ceiling
   measured minutes apart at most; the median of the rounds is reported;
5. times the 100,000-row campaign CSV export and its peak memory against PostgreSQL's own COPY;
6. prints a markdown table and saves it, with the raw figures, under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import data, pg, servers, wrk
from bench.browser import Browser, find_form

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

TARGETS = {
    "event": ("public event page", 0.70),
    "home": ("home page", 0.50),
}
# The POSTs are held to the write ceiling (INSERT + COMMIT through a pool), measured in the same round.
WRITE_TARGETS = {
    "rsvp": ("RSVP POST", 0.35),
    "check_in": ("check-in POST", 0.60),
}
# Beside each POST, as many minimal INSERTs as it sends statements, in one transaction on the hello app: the
# most that number of round trips allows it, whatever the code around them.
FLOORS = {"rsvp_floor": "rsvp", "check_in_floor": "check_in"}
# And the same INSERTs behind what every state change must pass in this project whatever its code: Flask's
# session cookie and Flask-WTF's CSRF check (bench/hello.py's ``guarded`` app).
GUARDED_FLOORS = {"rsvp_guarded": "rsvp", "check_in_guarded": "check_in"}
ALL_FLOORS = {**FLOORS, **GUARDED_FLOORS}
DOOR_SEARCH_P99_MS = 50
EXPORT_COPY_RATIO = 2.0
EXPORT_PEAK_MB = 150
DOOR_QUERY = "rosa sm"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the scenarios driven with wrk ------------------------------------------------------------


class Scenarios:
    """What each wrk run sends; sessions and CSRF tokens are fetched the way a browser would."""

    def __init__(self, app: servers.Gunicorn, loaded: data.Loaded, conninfo: str, threads: int,
                 statements: dict[str, int] | None = None) -> None:
        self.app = app
        self.statements = statements or {}  # SQL statements per request, by page key (bench.queries)
        self.loaded = loaded
        self.conninfo = conninfo
        self.threads = threads
        self.tag = f"{int(time.time()) % 100000}"
        self.round = 0
        self.event_path = f"/e/{data.POPULAR_SLUG}"
        self.door_path = f"/door/e/{loaded.popular_event_id}"
        self.door_search_path = self.door_path + "?q=" + DOOR_QUERY.replace(" ", "+") + "&part=results"
        self._rsvp: tuple[str, str] | None = None
        self._door: tuple[str, str] | None = None
        self._ids_file: str | None = None

    # RSVP: a visitor opens the event page, starts filling in the form (static/js/rsvp.js fetches a
    # CSRF token and with it a session cookie, since the shared page has none), then submits it.
    def rsvp_args(self) -> list[str]:
        if self._rsvp is None:
            visitor = Browser(self.app.url)
            page = visitor.get(self.event_path)
            if page.status != 200:
                raise RuntimeError(f"GET {self.event_path} answered {page.status}")
            form = find_form(page.text, "/rsvp", same_page=True)
            names = {name for name, _ in form.fields}
            # The key static/js/rsvp.js makes for each filled-in form: a new one per request (rsvp.lua).
            overrides = {"name": "__NAME__", "email": "__EMAIL__", "submission_key": "__KEY__"}
            if not dict(form.fields).get("csrf_token"):
                token = visitor.get("/csrf-token")
                if token.status != 200:
                    raise RuntimeError(f"GET /csrf-token answered {token.status}")
                overrides["csrf_token"] = json.loads(token.text)["csrf_token"]
            body = form.encode(**{key: value for key, value in overrides.items() if key in names})
            check_body = (body.replace("__NAME__", "Bench+Check")
                          .replace("__EMAIL__", f"bench-check-{self.tag}%40example.org")
                          .replace("__KEY__", secrets.token_hex(16)))
            check = visitor.post(form.posts_to(self.event_path), check_body)
            if check.status not in {200, 201, 302, 303}:
                raise RuntimeError(f"a single RSVP POST answered {check.status}:\n{check.text[:2000]}")
            self._rsvp = (form.posts_to(self.event_path), body)
            self._rsvp_cookie = visitor.cookie_header
        self.round += 1
        path, body = self._rsvp
        return [path, self._rsvp_cookie, body, f"{self.tag}r{self.round}"]

    def door_browser(self) -> Browser:
        door = Browser(self.app.url)
        opened = door.get(f"/door/{data.DOOR_LINK_TOKEN}")
        if opened.status not in {302, 303}:
            raise RuntimeError(f"the door link answered {opened.status}")
        return door

    def door_cookie(self) -> str:
        if self._door is None:
            door = self.door_browser()
            page = door.get(self.door_path)  # the whole list: any row's check-in form will do
            if page.status != 200:
                raise RuntimeError(f"the door list answered {page.status}")
            form = find_form(page.text, "/check-in")
            # As static/js/door.js sends a tap: the form urlencoded (URLSearchParams), asking for JSON.
            body = form.encode(idempotency_key="__KEY__")
            self._door = (door.cookie_header, body, "application/x-www-form-urlencoded")
        return self._door[0]

    def check_in_args(self) -> list[str]:
        cookie = self.door_cookie()
        body = self._door[1]
        if not getattr(self, "_check_in_checked", False):
            # One tap by hand first: a bench of refused requests would measure nothing.
            door = Browser(self.app.url)
            door.cookies = dict(part.split("=", 1) for part in cookie.split("; "))
            target = self.open_rsvp_ids()[-1]
            answer = door.post(f"{self.door_path}/rsvps/{target}/check-in",
                               body.replace("__KEY__", f"benchcheck{self.tag}"),
                               headers={"Content-Type": self._door[2], "Accept": "application/json"})
            if answer.status != 200 or b'"ok":true' not in answer.body.replace(b" ", b""):
                raise RuntimeError(f"a single check-in answered {answer.status}: {answer.text[:500]}")
            self._check_in_checked = True
        # The RSVPs of the popular event that nobody has checked in yet (the runner removes the
        # check-ins each run made, so every run finds them all open again).
        ids = self.open_rsvp_ids()
        self.open_count = len(ids)
        handle = tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bench-ids-", delete=False)
        handle.write("\n".join(str(i) for i in ids) + "\n")
        handle.close()
        self._ids_file = handle.name
        self.round += 1
        path = f"{self.door_path}/rsvps/__ID__/check-in"
        return [path, cookie, body, handle.name, f"{self.tag}c{self.round}", str(self.threads), self._door[2]]

    def open_rsvp_ids(self) -> list[int]:
        with psycopg.connect(self.conninfo) as conn:
            return [
                row[0]
                for row in conn.execute(
                    "SELECT r.id FROM rsvp r WHERE r.event_id = %s AND r.status = 'going'"
                    " AND NOT EXISTS (SELECT 1 FROM check_in c WHERE c.rsvp_id = r.id) ORDER BY r.id",
                    (self.loaded.popular_event_id,),
                )
            ]

    def reset(self, marks: dict[str, int]) -> None:
        """Undo what a POST run wrote, so every round starts from the same data."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("DELETE FROM check_in WHERE id > %s", (marks["check_in"],))
            conn.execute("DELETE FROM rsvp WHERE id > %s", (marks["rsvp"],))
            conn.execute("DELETE FROM outbox_message WHERE id > %s", (marks["outbox_message"],))
            conn.execute("TRUNCATE bench_write")
            conn.execute("VACUUM ANALYZE rsvp, rsvp_tally, check_in, outbox_message, answer")
        if self._ids_file:
            Path(self._ids_file).unlink(missing_ok=True)
            self._ids_file = None

    def floor_url(self, hello: servers.Gunicorn, post: str) -> str:
        if post not in self.statements:
            raise RuntimeError(f"the {post} POST's statements were not counted")
        return f"{hello.url}/write?statements={self.statements[post]}"

    def guarded_floor(self, guarded: servers.Gunicorn, post: str) -> tuple[str, str, list[str]]:
        """The floor behind the session and the CSRF check: its URL, and a session's cookie and token."""
        with urllib.request.urlopen(f"{guarded.url}/session", timeout=10) as response:
            token = response.read().decode()
            cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        return self.floor_url(guarded, post), "write.lua", [cookie, token]

    def marks(self) -> dict[str, int]:
        with psycopg.connect(self.conninfo) as conn:
            return {
                table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("check_in", "rsvp", "outbox_message")
            }


def measure_wrk(scenarios: Scenarios, hello: servers.Gunicorn, guarded: servers.Gunicorn, *, runs: int,
                duration: float,
                connections: int, threads: int, only: set[str] | None, warm_up: float) -> dict[str, list[dict]]:
    app_url = scenarios.app.url
    plan = [
        ("hello", lambda: (hello.url + "/", "get.lua", [])),
        ("write", lambda: (hello.url + "/write", "write.lua", [])),
        ("event", lambda: (app_url + scenarios.event_path, "get.lua", [])),
        ("home", lambda: (app_url + "/", "get.lua", [])),
        ("rsvp_floor", lambda: (scenarios.floor_url(hello, "rsvp"), "write.lua", [])),
        ("rsvp_guarded", lambda: scenarios.guarded_floor(guarded, "rsvp")),
        ("rsvp", lambda: (app_url + "/", "rsvp.lua", scenarios.rsvp_args())),
        ("check_in_floor", lambda: (scenarios.floor_url(hello, "check_in"), "write.lua", [])),
        ("check_in_guarded", lambda: scenarios.guarded_floor(guarded, "check_in")),
        ("check_in", lambda: (app_url + "/", "checkin.lua", scenarios.check_in_args())),
        # The search as door.js asks for it while someone types: the matching rows only.
        ("door_search", lambda: (app_url + scenarios.door_search_path, "get.lua", [scenarios.door_cookie()])),
        # The same search from two phones at once (a busy door) rather than eight saturating clients.
        ("door_search_2", lambda: (app_url + scenarios.door_search_path, "get.lua", [scenarios.door_cookie()])),
    ]
    plan = [item for item in plan if only is None or item[0] in only or item[0] == "hello"
            or (item[0] == "write" and only & {"rsvp", "check_in"}) or ALL_FLOORS.get(item[0]) in only
            or (item[0] == "door_search_2" and "door_search" in only)]
    results: dict[str, list[dict]] = {name: [] for name, _ in plan}
    writes = {"rsvp", "check_in", "write", *ALL_FLOORS}
    # Warm-up: every path once for a short while (imports, template compilation, connections).
    for name, make in plan:
        try:
            url, script, args = make()
        except Exception as error:  # noqa: BLE001
            log(f"{name}: cannot run ({error}); left out")
            results.pop(name, None)
            continue
        if warm_up > 0:
            marks = scenarios.marks() if name in writes else None
            wrk.run(url, script=script, args=args, duration=warm_up, connections=connections, threads=threads)
            if marks:
                scenarios.reset(marks)
    hello_make = dict(plan)["hello"]
    for round_number in range(1, runs + 1):
        for name, make in plan:
            if name not in results or name == "hello":
                continue
            # Each path right after its own hello-world run: the ratio compares two runs seconds apart.
            hello_url, hello_script, hello_args = hello_make()
            ceiling = wrk.run(hello_url, script=hello_script, args=hello_args, duration=duration,
                              connections=connections, threads=threads)
            results["hello"].append({**ceiling.as_dict(), "paired_with": name})
            url, script, args = make()
            marks = scenarios.marks() if name in writes else None
            clients = (2, 2) if name == "door_search_2" else (connections, threads)
            result = wrk.run(url, script=script, args=args, duration=duration, connections=clients[0],
                             threads=clients[1])
            if marks:
                scenarios.reset(marks)
            if name == "check_in" and result.requests > getattr(scenarios, "open_count", result.requests):
                log(f"check-in: {result.requests} taps for {scenarios.open_count} people not yet in: "
                    "the rest were repeats (answered 'already checked in')")
            results[name].append({**result.as_dict(), "hello_rps": ceiling.rps})
            errors = f", {result.errors} errors" if result.errors else ""
            errors += f", {result.timeouts} timeouts" if result.timeouts else ""
            log(f"round {round_number}/{runs} {name}: {result.rps:.0f} req/s ({result.rps / ceiling.rps:.0%} of "
                f"hello-world's {ceiling.rps:.0f}), p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms{errors}")
    return results


# --- the export against COPY -------------------------------------------------------------------

FALLBACK_EXPORT_SQL = """
SELECT name, email, phone, consent_contact, events_rsvped, events_attended, first_rsvp_at, last_rsvp_at
FROM (
    SELECT r.name, r.email, r.phone, r.consent_contact, coalesce(r.email_normalized, '#' || r.id) AS person,
           row_number() OVER w_latest AS position, count(*) OVER w AS events_rsvped,
           sum(CASE WHEN cur.action = 'check_in' THEN 1 ELSE 0 END) OVER w AS events_attended,
           min(r.created_at) OVER w AS first_rsvp_at, max(r.created_at) OVER w AS last_rsvp_at
    FROM rsvp r
    LEFT JOIN (SELECT c.rsvp_id, c.action FROM check_in c
               WHERE NOT EXISTS (SELECT 1 FROM check_in n WHERE n.rsvp_id = c.rsvp_id AND n.sequence > c.sequence)) cur
           ON cur.rsvp_id = r.id
    WHERE r.event_id IN (SELECT id FROM event WHERE campaign_id = {campaign_id})
    WINDOW w AS (PARTITION BY coalesce(r.email_normalized, '#' || r.id)),
           w_latest AS (PARTITION BY coalesce(r.email_normalized, '#' || r.id) ORDER BY r.created_at DESC, r.id DESC)
) people
WHERE position = 1
ORDER BY name, person
"""


def export_select_sql(database_url: str, campaign_id: int) -> tuple[str, str]:
    """The SELECT the app's campaign export streams its rows from, compiled with its parameters, so
    COPY produces the very same rows; (sql, where it came from)."""
    try:
        from sqlalchemy.dialects import postgresql

        from bench.queries import make_app
        from organizer.extensions import db
        from organizer.models import Campaign
        from organizer.services.reports import export_queries, export_spec

        app = make_app(database_url)
        with app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            spec = export_spec.make_spec(
                campaign, event=None, statuses=EXPORT_CHOICES["statuses"], checked_in="any",
                consent_only=False, columns=export_spec.PRESETS["all"], file_format="csv",
            )
            stmt, inner = export_queries._campaign_query(campaign, spec)  # noqa: SLF001 (the bench mirrors it on purpose)
            stmt = stmt.order_by(inner.c.name, inner.c.person)
            sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            db.session.remove()
            db.engine.dispose()
        return sql, "the export's own query"
    except Exception as error:  # noqa: BLE001
        log(f"cannot compile the export's query ({error}); COPY uses an equivalent hand-written one")
        return FALLBACK_EXPORT_SQL.format(campaign_id=int(campaign_id)), "an equivalent hand-written query"


def time_copy(conninfo: str, select_sql: str) -> tuple[float, int, int]:
    """Seconds, bytes and lines of PostgreSQL's own CSV of the same rows, read by a client."""
    with psycopg.connect(conninfo) as conn:
        started = time.perf_counter()
        size = lines = 0
        with conn.cursor().copy(f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                size += len(chunk)
                lines += bytes(chunk).count(b"\n")
        return time.perf_counter() - started, size, lines


def sign_in(app_url: str) -> Browser:
    owner = Browser(app_url)
    page = owner.get("/auth/login")
    form = find_form(page.text, "/auth/login")
    response = owner.post(form.action or "/auth/login", form.encode(email=data.OWNER_EMAIL, password=data.OWNER_PASSWORD))
    if response.status not in {302, 303}:
        raise RuntimeError(f"signing in answered {response.status}")
    return owner


def export_once(app: servers.Gunicorn, owner: Browser) -> dict:
    path = f"/manage/c/{data.CAMPAIGN_SLUG}/export"
    page = owner.get(path)
    if page.status != 200:
        raise RuntimeError(f"GET {path} answered {page.status}")
    form = find_form(page.text, "/export", same_page=True)
    body = form.encode(**EXPORT_CHOICES)
    pids = app.worker_pids()
    before = {pid: servers.peak_rss_mb(pid)[0] for pid in pids}
    servers.reset_peak_rss(pids)
    started = time.perf_counter()
    response = owner.post(form.action or path, body, timeout=600)
    seconds = time.perf_counter() - started
    peaks = {pid: servers.peak_rss_mb(pid)[1] for pid in pids}
    worker = max(peaks, key=lambda pid: peaks[pid] - before.get(pid, 0))
    if response.status != 200:
        raise RuntimeError(f"the export answered {response.status}: {response.text[:500]}")
    return {
        "seconds": seconds,
        "bytes": len(response.body),
        "lines": response.body.count(b"\n"),
        "content_type": response.headers.get("Content-Type"),
        "worker_rss_before_mb": before.get(worker, 0.0),
        "worker_peak_mb": peaks[worker],
    }


# The whole campaign, everyone whatever their status, every column, as CSV: one row per supporter.
EXPORT_CHOICES = {
    "target": "campaign",
    "statuses": ["going", "waitlisted", "cancelled"],
    "checked_in": "any",
    "preset": "all",
    "file_format": "csv",
}


def measure_export(app: servers.Gunicorn, database: str, loaded: data.Loaded, runs: int) -> dict:
    conninfo = pg.conninfo(database)
    select_sql, source = export_select_sql(pg.sqlalchemy_url(database), loaded.campaign_id)
    results: dict = {"copy": [], "export": [], "copy_query": source}
    try:
        owner = sign_in(app.url)
    except Exception as error:  # noqa: BLE001
        results["error"] = f"cannot sign in: {error}"
        return results
    for round_number in range(1, runs + 1):
        seconds, size, lines = time_copy(conninfo, select_sql)
        results["copy"].append({"seconds": seconds, "bytes": size, "lines": lines})
        try:
            export = export_once(app, owner)
        except Exception as error:  # noqa: BLE001
            results["error"] = str(error)
            return results
        results["export"].append(export)
        log(f"round {round_number}/{runs} export: {export['seconds']:.2f} s, {export['lines']} lines, "
            f"peak {export['worker_peak_mb']:.0f} MB; COPY {seconds:.2f} s, {lines} lines")
    return results


# --- report -------------------------------------------------------------------------------------


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def summarize(wrk_results: dict[str, list[dict]]) -> dict[str, dict]:
    summary = {}
    for name, runs in wrk_results.items():
        if not runs:
            continue
        summary[name] = {
            "rps": median(run["rps"] for run in runs),
            "p50_ms": median(run["p50_ms"] for run in runs),
            "p99_ms": median(run["p99_ms"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
            "timeouts": sum(run.get("timeouts", 0) for run in runs),
            "runs": len(runs),
        }
    # Each run's ratio to the hello-world run just before it, then the median of those.
    for name, runs in wrk_results.items():
        if name == "hello" or name not in summary:
            continue
        summary[name]["ratio"] = median(run["rps"] / run["hello_rps"] for run in runs if run.get("hello_rps"))
    # The POSTs against the write ceiling of the same round (wrk_results keep one run per round, in order).
    writes = wrk_results.get("write") or []
    for name in [*WRITE_TARGETS, *ALL_FLOORS]:
        if name in summary and writes:
            pairs = [run["rps"] / write["rps"] for run, write in zip(wrk_results[name], writes, strict=False)
                     if write.get("rps")]
            summary[name]["write_ratio"] = median(pairs) if pairs else None
    # What each POST's target leaves for everything but its statements, round by round like the ratios.
    for floor, post in FLOORS.items():
        rounds = [(write["rps"], floor_run["rps"], run["rps"])
                  for write, floor_run, run in zip(writes, wrk_results.get(floor) or [], wrk_results.get(post) or [],
                                                   strict=False)
                  if write.get("rps") and floor_run.get("rps") and run.get("rps")]
        if post in summary and rounds:
            share = WRITE_TARGETS[post][1]
            summary[post]["budget_ms"] = {
                "allowed": median([1000 / (share * write) for write, _floor, _run in rounds]),
                "statements": median([1000 / floor_rps for _write, floor_rps, _run in rounds]),
                "rest_allowed": median([1000 / (share * write) - 1000 / floor_rps
                                        for write, floor_rps, _run in rounds]),
                "rest_now": median([1000 / rps - 1000 / floor_rps for _write, floor_rps, rps in rounds]),
            }
            guarded = [(write["rps"], guarded_run["rps"], run["rps"])
                       for write, guarded_run, run in zip(writes, wrk_results.get(f"{post}_guarded") or [],
                                                          wrk_results.get(post) or [], strict=False)
                       if write.get("rps") and guarded_run.get("rps") and run.get("rps")]
            if guarded:
                summary[post]["budget_ms"].update({
                    "guarded": median([1000 / guarded_rps for _write, guarded_rps, _run in guarded]),
                    "guarded_rest_allowed": median([1000 / (share * write) - 1000 / guarded_rps
                                                    for write, guarded_rps, _run in guarded]),
                    "guarded_rest_now": median([1000 / rps - 1000 / guarded_rps
                                                for _write, guarded_rps, rps in guarded]),
                })
    return summary


def fmt(value, pattern="{:.0f}", missing="—") -> str:
    return missing if value is None else pattern.format(value)


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def budget_lines(summary: dict) -> list[str]:
    """What a POST's target leaves for everything but its statements, against what that takes now: the
    machine's time per request is 1 / (requests a second), the floor's is what the statements alone cost;
    each the median over the rounds, each round against its own write ceiling."""
    lines = []
    for post in FLOORS.values():
        budget = (summary.get(post) or {}).get("budget_ms")
        if not budget:
            continue
        label, share = WRITE_TARGETS[post]
        room = (f"leaves at most {budget['rest_allowed']:.2f} ms" if budget["rest_allowed"] > 0
                else "leaves nothing")
        lines.append("")
        lines.append(
            f"{label}: at {share:.0%} of the write it may take {budget['allowed']:.2f} ms of the machine a request. "
            f"As many minimal statements, behind a bare Flask route, take {budget['statements']:.2f} ms: that {room} "
            f"for all the rest (session, CSRF, form, ORM, heavier statements, response), against "
            f"{budget['rest_now']:.2f} ms now (each figure the median over the rounds)."
        )
        if "guarded" in budget:
            rest = budget["guarded_rest_allowed"]
            lines.append("")
            lines.append(
                f"Behind Flask's session and Flask-WTF's CSRF check alone, which every state change here must pass, "
                f"the same statements take {budget['guarded']:.2f} ms: "
                + (f"that leaves {rest:.2f} ms for the form, the rules, the ORM and the response, against "
                   f"{budget['guarded_rest_now']:.2f} ms now." if rest > 0 else
                   f"{-rest:.2f} ms more than the target allows before any form, rule or ORM object.")
            )
    return lines


def render_table(summary: dict, export: dict | None, queries: dict, meta: dict) -> str:
    lines = []
    statements = meta.get("post_statements", {})
    lines.append(f"Machine: {meta['cpus']} cores, {meta['memory']} RAM; {meta['date']}; data: {meta['data']}; "
                 f"wrk -t{meta['threads']} -c{meta['connections']} -d{meta['duration']}s, median of {meta['runs']} runs.")
    busy = [value for value in meta.get("load", []) if value is not None and value > 0.15]
    if busy:
        lines.append("")
        lines.append(f"**Other work was running**: the CPUs were {' and '.join(f'{v:.0%}' for v in meta['load'])} "
                     "busy while the bench sat idle just before and after the wrk runs. Figures are noisy: "
                     "run again on an idle machine.")
    lines.append("")
    lines.append("| path | requests/s | vs hello-world | vs INSERT + COMMIT | p50 | p99 | target | |")
    lines.append("|---|---:|---:|---:|---:|---:|---|---|")
    rows = [
        ("hello", "hello-world Flask (ceiling)", None),
        ("write", "minimal write: INSERT + COMMIT (ceiling for POSTs)", None),
        ("event", f"public event page ({meta['popular_rsvps']:,} RSVPs)", "≥ 70%"),
        ("home", "home page", "≥ 50%"),
        ("rsvp", "RSVP POST (CSRF, distinct emails)", "≥ 35% of the write"),
        ("rsvp_floor", f"its {statements.get('rsvp', '')} statements alone, as minimal INSERTs (its floor)", None),
        ("rsvp_guarded", "the same behind Flask's session and Flask-WTF's CSRF check", None),
        ("check_in", "check-in POST (door.js)", "≥ 60% of the write"),
        ("check_in_floor",
         f"its {statements.get('check_in', '')} statements alone, as minimal INSERTs (its floor)", None),
        ("check_in_guarded", "the same behind Flask's session and Flask-WTF's CSRF check", None),
        ("door_search", f"door-list search “{DOOR_QUERY}” in {meta['popular_rsvps']:,}", f"p99 < {DOOR_SEARCH_P99_MS} ms"),
        ("door_search_2", "the same search, 2 phones at once (-c 2)", f"p99 < {DOOR_SEARCH_P99_MS} ms"),
    ]
    for key, label, target in rows:
        figures = summary.get(key)
        if figures is None:
            lines.append(f"| {label} | not measured | | | | | {target or ''} | |")
            continue
        ratio = figures.get("ratio")
        ok = None
        write_ratio = figures.get("write_ratio")
        if key in TARGETS and ratio is not None:
            ok = ratio >= TARGETS[key][1]
        elif key in WRITE_TARGETS and write_ratio is not None:
            ok = write_ratio >= WRITE_TARGETS[key][1]
        elif key in {"door_search", "door_search_2"}:
            ok = figures["p99_ms"] < DOOR_SEARCH_P99_MS
        errors = f" ({figures['errors']} errors)" if figures["errors"] else ""
        if figures.get("timeouts"):
            errors += f" ({figures['timeouts']} timeouts)"
        lines.append(
            f"| {label} | {fmt(figures['rps'])}{errors} | {fmt(ratio * 100 if ratio is not None else None, '{:.0f}%')} | "
            f"{fmt(write_ratio * 100 if write_ratio is not None else None, '{:.0f}%', '')} | "
            f"{fmt(figures['p50_ms'], '{:.1f} ms')} | {fmt(figures['p99_ms'], '{:.1f} ms')} | {target or ''} | "
            f"{verdict(ok) if target else ''} |"
        )
    if not meta.get("quick"):  # one-second runs on tiny data: these differences would be noise
        lines.extend(budget_lines(summary))
    flush_ms, hello = meta.get("wal_flush_ms"), summary.get("hello")
    if flush_ms and hello and hello.get("rps"):
        most = 2 * 1000 / flush_ms  # two sync workers, each waiting for its own commit's flush
        lines.append("")
        share = most / hello["rps"]
        verdict_text = ("so the disk is not what holds writes back here: the CPU is (the workers' and "
                        "PostgreSQL's shares of the same cores)" if share > 1 else
                        "so the disk alone keeps every POST below that")
        lines.append(f"One flush of the write-ahead log to this disk takes {flush_ms:.2f} ms (8 kB written and "
                     f"fdatasync'd, as PostgreSQL does at every commit): two sync workers waiting for nothing "
                     f"else could commit {most:,.0f} times a second, {share:.0%} of hello-world, {verdict_text}.")
    lines.append("")
    if export is not None:
        lines.append("| export | time | vs COPY | rows | peak memory (worker) | target | |")
        lines.append("|---|---:|---:|---:|---:|---|---|")
        copy_seconds = median(run["seconds"] for run in export.get("copy", []))
        copy_lines = median(run["lines"] for run in export.get("copy", []))
        if copy_seconds is not None:
            lines.append(f"| PostgreSQL `COPY ({export.get('copy_query', 'SELECT …')}) TO STDOUT` (ceiling) | {copy_seconds:.2f} s | 1.0× | "
                         f"{fmt(copy_lines - 1 if copy_lines else None)} | — | | |")
        if export.get("export"):
            seconds = median(run["seconds"] for run in export["export"])
            peak = median(run["worker_peak_mb"] for run in export["export"])
            before = median(run["worker_rss_before_mb"] for run in export["export"])
            rows_out = median(run["lines"] for run in export["export"])
            ratio = seconds / copy_seconds if copy_seconds else None
            ok = ratio is not None and ratio <= EXPORT_COPY_RATIO and peak < EXPORT_PEAK_MB
            lines.append(f"| campaign CSV export (HTTP, whole response) | {seconds:.2f} s | {fmt(ratio, '{:.2f}×')} | "
                         f"{fmt(rows_out - 1 if rows_out else None)} | {peak:.0f} MB (idle {before:.0f} MB) | "
                         f"≤ {EXPORT_COPY_RATIO:g}× COPY, < {EXPORT_PEAK_MB} MB | {verdict(ok)} |")
        if export.get("error"):
            lines.append(f"| campaign CSV export | not measured: {export['error']} | | | | | |")
        lines.append("")
    if queries:
        small, big = queries.get("small", {}), queries.get("big", {})
        lines.append(f"| SQL statements per request | {meta['small_data']} | {meta['data']} | |")
        lines.append("|---|---:|---:|---|")
        for key in big:
            a, b = small.get(key, {}), big.get(key, {})
            qa, qb = a.get("queries"), b.get("queries")
            same = "fixed" if qa is not None and qa == qb else ("**grows**" if qa is not None and qb is not None else "")
            status = "" if b.get("status") in {200, 302, 303} else f" (HTTP {b.get('status')})"
            lines.append(f"| {b.get('label', key)}{status} | {fmt(qa)} | {fmt(qb)} | {same} |")
        lines.append("")
    return "\n".join(lines)


def background_cpu(seconds: float = 3.0) -> float | None:
    """Share of all CPUs busy while the bench itself waits: other work that skews the figures."""
    def sample():
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return (total - (idle_after - idle_before)) / total if total else None


def wal_flush_ms(conninfo: str, seconds: float = 2.0) -> float | None:
    """How long one flush of an 8 kB write to disk takes here, as PostgreSQL flushes its WAL at every
    commit (wal_sync_method fdatasync, the Linux default): what pg_test_fsync's first line measures.

    Written next to PostgreSQL's own data directory when this process may, so on the same disk."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0]).parent
    except (psycopg.Error, TypeError):
        data_dir = Path(tempfile.gettempdir())
    folder = data_dir if os.access(data_dir, os.W_OK) else Path(tempfile.gettempdir())
    block = os.urandom(8192)
    try:
        handle, name = tempfile.mkstemp(prefix="bench-wal-flush-", dir=folder)
    except OSError:
        return None
    try:
        flushes, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            os.pwrite(handle, block, 0)
            os.fdatasync(handle)
            flushes += 1
        return (time.perf_counter() - started) / flushes * 1000
    finally:
        os.close(handle)
        os.unlink(name)


def machine() -> dict:
    memory = ""
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.split("\n")[1].split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def describe(scale: data.Scale) -> str:
    return (f"{scale.events} events, {scale.popular_rsvps:,} RSVPs on the popular one, "
            f"{scale.supporters:,} supporters")


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, one short run each: a few seconds")
    parser.add_argument("--runs", type=int, help="rounds of wrk runs (default 3; 1 with --quick)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 10; 1 with --quick)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="comma-separated: event,home,rsvp,check_in,door_search,export,queries")
    parser.add_argument("--keep", action="store_true",
                        help="leave the databases in place afterwards (organizer_bench for bench.profile)")
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "organizer_bench"),
                        help="name of the big database and prefix of the others (default organizer_bench, or "
                             "BENCH_DB_PREFIX): several people on one PostgreSQL keep out of each other's way")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale, small_scale = (data.QUICK, data.QUICK_SMALL) if args.quick else (data.FULL, data.SMALL)
    runs = args.runs or (1 if args.quick else 3)
    duration = args.duration or (1 if args.quick else 10)
    only = set(args.only.split(",")) if args.only else None
    if only is not None:
        only |= {ALL_FLOORS[name] for name in only & ALL_FLOORS.keys()}  # a floor is measured beside its POST
    if not wrk.available():
        print("wrk is not installed: apt-get install -y wrk (make bench installs it)", file=sys.stderr)
        return 2

    # Quick runs (the smoke test) may run side by side: each gets databases of its own, dropped after.
    prefix = f"{args.db_prefix}_quick_{os.getpid()}" if args.quick else args.db_prefix
    databases = {"template": f"{prefix}_template", "big": prefix, "small": f"{prefix}_small"}
    pg.ensure_running()
    log(f"migrating {databases['template']} (flask db upgrade)")
    pg.recreate(databases["template"])
    pg.migrate(databases["template"])
    started = time.perf_counter()
    pg.recreate(databases["big"], template=databases["template"])
    loaded = data.load(pg.conninfo(databases["big"]), scale)
    log(f"loaded {describe(scale)} ({loaded.rsvp_rows:,} RSVP rows, {loaded.checkin_rows:,} check-ins) "
        f"in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(pg.conninfo(databases["big"]), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_write (id serial PRIMARY KEY, note text, at timestamptz DEFAULT now())")
    pg.recreate(databases["small"], template=databases["template"])
    small = data.load(pg.conninfo(databases["small"]), small_scale)

    from bench.queries import count_queries

    queries = {}
    if only is None or "queries" in only:
        log("counting SQL statements per page (test client)")
        queries = {
            "small": count_queries(pg.sqlalchemy_url(databases["small"]), small),
            "big": count_queries(pg.sqlalchemy_url(databases["big"]), loaded),
        }

    posts = set(WRITE_TARGETS) if only is None else only & set(WRITE_TARGETS)
    post_statements: dict[str, int] = {}
    if posts:
        # The floors send as many statements as the POSTs do: counted on the full data when the pages were,
        # else on the small database (they write, and the wrk runs use the full one). A POST that could not be
        # counted, or was refused, has no floor ("left out").
        try:
            counted = queries.get("big") or count_queries(pg.sqlalchemy_url(databases["small"]), small, posts)
        except Exception as error:  # noqa: BLE001 - the rest of the bench still runs
            log(f"counting the POSTs' statements failed ({error}): their floors are left out")
            counted = {}
        post_statements = {key: counted[key]["queries"] for key in posts
                           if counted.get(key, {}).get("queries") and counted[key].get("status") in {200, 302, 303}}
    meta = {**machine(), "data": describe(scale), "popular_rsvps": scale.popular_rsvps, "small_data": describe(small_scale), "runs": runs,
            "duration": duration, "connections": args.connections, "threads": args.threads,
            "post_statements": post_statements, "quick": args.quick}
    wrk_results: dict = {}
    export: dict | None = None
    app_port = servers.free_port()
    app_env = servers.app_environment(pg.sqlalchemy_url(databases["big"]), app_port)
    try:
        with servers.Gunicorn("app", "wsgi:app", app_env, port=app_port) as app, \
                servers.Gunicorn("hello", "bench.hello:app", app_env) as hello, \
                servers.Gunicorn("guarded", "bench.hello:guarded", app_env) as guarded:
            scenarios = Scenarios(app, loaded, pg.conninfo(databases["big"]), args.threads, post_statements)
            meta["load"] = [background_cpu(1 if args.quick else 3)]
            if only is None or only - {"export", "queries"}:
                wrk_results = measure_wrk(scenarios, hello, guarded, runs=runs, duration=duration,
                                          connections=args.connections, threads=args.threads, only=only,
                                          warm_up=0 if args.quick else 2)
            meta["load"].append(background_cpu(1 if args.quick else 3))
            if only is None or only & {"rsvp", "check_in"}:
                meta["wal_flush_ms"] = wal_flush_ms(pg.conninfo(databases["big"]), 0.5 if args.quick else 3)
            if only is None or "export" in only:
                export = measure_export(app, databases["big"], loaded, runs)
    finally:
        if not args.keep:
            for name in (databases["small"], databases["template"], databases["big"]):
                pg.drop(name)

    summary = summarize(wrk_results)
    table = render_table(summary, export, queries, meta)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    for key in queries.values():
        for page in key.values():
            page.pop("statements", None)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(
        {"meta": meta, "summary": summary, "wrk": wrk_results, "export": export, "queries": queries}, indent=2,
        default=str))
    (RESULTS / f"{stamp}.md").write_text(table + "\n")
    print(table)
    log(f"saved bench/results/{stamp}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
