"""The mail benchmarks (issue 10): a message to 10,000 going supporters and a time change of an event with
10,000 RSVPs, each timed as the organizer's request over HTTP (gunicorn, production config, the same
sign-in and forms a browser uses), and the outbox worker sending those 10,000 mails to a local SMTP sink.

    .venv/bin/python -m bench.mail                 # 10,000 people; about a minute
    .venv/bin/python -m bench.mail --quick         # 500 people: a smoke run
    .venv/bin/python -m bench.mail --db-prefix organizer_NAME_bench

The sink is aiosmtpd with its no-op ``Sink`` handler in a process of its own; the worker is
``flask --app organizer outbox send --loop`` as the service runs it, one process. Its rate is taken from the
outbox's ``sent_at`` (stamped per round of ``--limit`` mails: the mails of every round but the last, over
the time from the first round's stamp to the last's) and, as a check, from the wall clock until nothing
is left to send. Targets: each request < 300 ms, the worker >= 200 mails a second.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from datetime import timedelta

import psycopg

from bench import data, pg, servers
from bench.browser import Browser, find_form

REQUEST_TARGET_MS = 300
MAILS_PER_SECOND_TARGET = 200
WORKER_LIMIT = 200


def log(message: str) -> None:
    print(f"[bench.mail {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sign_in(url: str) -> Browser:
    owner = Browser(url)
    form = find_form(owner.get("/auth/login").text, "/auth/login")
    response = owner.post(form.action or "/auth/login",
                          form.encode(email=data.OWNER_EMAIL, password=data.OWNER_PASSWORD))
    if response.status not in {302, 303}:
        raise RuntimeError(f"signing in answered {response.status}")
    return owner


def reset_outbox(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DELETE FROM outbox_message")
        conn.execute("DELETE FROM message")
        conn.execute("VACUUM ANALYZE outbox_message")


def count(conninfo: str, where: str = "") -> int:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(f"SELECT count(*) FROM outbox_message {where}").fetchone()[0]


def time_message_send(owner: Browser, event_id: int, conninfo: str, people: int, runs: int) -> list[float]:
    """The organizer's "Send to N people" POST, after the preview that issues its key."""
    path = f"/manage/e/{event_id}/message"
    timings = []
    for run in range(runs):
        reset_outbox(conninfo)
        compose = find_form(owner.get(path).text, path, same_page=True)
        preview = owner.post(path, compose.encode(segments="going", subject=f"We moved next door ({run})",
                                                  body="We're in **the hall next door**, same time.",
                                                  preview="Preview"))
        form = find_form(preview.text, path, same_page=True)
        body = form.encode(send="Send")
        started = time.perf_counter()
        response = owner.post(path, body)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 303:
            raise RuntimeError(f"sending answered {response.status}")
        written = count(conninfo)
        if written != people:
            raise RuntimeError(f"the send wrote {written} outbox rows for {people} addresses")
    return timings


def time_event_move(owner: Browser, event_id: int, conninfo: str, people: int, runs: int) -> list[float]:
    """The organizer's edit form with a new start and end: everyone going or waiting is to be emailed."""
    path = f"/manage/e/{event_id}/edit"
    timings = []
    for run in range(runs):
        reset_outbox(conninfo)
        form = find_form(owner.get(path).text, path, same_page=True)
        fields = dict(form.fields)
        starts, ends = (fields["starts_local"], fields["ends_local"])
        shift = timedelta(days=1 + run)
        body = form.encode(starts_local=_shift(starts, shift), ends_local=_shift(ends, shift))
        started = time.perf_counter()
        response = owner.post(path, body)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 303:
            raise RuntimeError(f"moving the event answered {response.status}: {response.text[:2000]}")
        written = count(conninfo)
        if written != people:
            raise RuntimeError(f"the move wrote {written} outbox rows for {people} RSVPs with an address")
    return timings


def _shift(local: str, delta: timedelta) -> str:
    from datetime import datetime

    return (datetime.fromisoformat(local) + delta).strftime("%Y-%m-%dT%H:%M")


def measure_worker(app_env: dict[str, str], conninfo: str, people: int, budget: float) -> dict:
    """The mails of the last message, sent by one worker to a no-op SMTP sink in a process of its own, for at
    most ``budget`` seconds (the rate is per mail: on a loaded machine 10,000 can take many minutes)."""
    port = servers.free_port()
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**app_env, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
           "MAIL_SENDER": "Organizer <no-reply@example.org>"}
    worker = None
    log_path = f"/tmp/organizer-bench-mail-worker-{os.getpid()}.log"
    try:
        time.sleep(1.0)  # the sink is listening
        started = time.perf_counter()
        # Its log (a line per mail) goes to a file: a pipe nobody reads fills up and stops the worker.
        with open(log_path, "w") as worker_log:
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "organizer", "outbox", "send",
                                       "--loop", "--interval", "0.1", "--limit", str(WORKER_LIMIT)],
                                      env=env, cwd=pg.ROOT, stdout=subprocess.DEVNULL, stderr=worker_log)
        deadline = time.monotonic() + budget
        while count(conninfo, "WHERE status = 'pending'") and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker stopped; its log: {log_path}")
            time.sleep(0.2)
        wall = time.perf_counter() - started
    finally:
        for process in (worker, sink):
            if process is not None:
                process.kill()
                process.wait(timeout=10)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT pg_sleep(1)")  # the last marks of the killed worker's round are committed
        sent, failed, first, last = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'failed'),"
            " min(sent_at), max(sent_at) FROM outbox_message").fetchone()
        before_last = conn.execute("SELECT count(*) FROM outbox_message WHERE sent_at < %s", (last,)).fetchone()[0]
        # A round stopped by the budget is not over: its mails have its stamp too, so it stays out.
    span = (last - first).total_seconds() if first and last else 0
    return {"sent": sent, "failed": failed, "people": people, "rate": before_last / span if span else None,
            "wall_rate": sent / wall if wall else None, "wall_seconds": wall}


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 people instead of 10,000")
    parser.add_argument("--runs", type=int, default=5, help="requests timed of each kind (median, worst)")
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "organizer_bench"))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--requests-only", action="store_true", help="time the two requests, not the worker")
    parser.add_argument("--worker-seconds", type=float, default=180, help="how long the worker is timed at most")
    args, _unknown = parser.parse_known_args(argv)  # `make bench BENCH_ARGS=...` passes bench.run's too
    people = 500 if args.quick else 10_000
    runs = 2 if args.quick else args.runs
    database = f"{args.db_prefix}_mail"
    pg.ensure_running()
    log(f"building {database}: one event with {people:,} going supporters")
    pg.recreate(database)
    pg.migrate(database)
    # Every RSVP of the popular event going (one in ten checked in): the message goes to all of them.
    loaded = data.load(pg.conninfo(database), data.Scale("mail", events=2, popular_rsvps=people, supporters=people,
                                                         coverage=3))
    conninfo = pg.conninfo(database)
    with psycopg.connect(conninfo) as conn:
        # The popular event starts within a day: the worker loop would add its reminders to what it sends.
        conn.execute("UPDATE event SET reminder_hours = NULL, followup_hours = NULL")
        # The loader gives some supporters no address or a shared one: what each request must write.
        addresses, rsvps = conn.execute(
            "SELECT count(DISTINCT email_normalized), count(email) FROM rsvp WHERE event_id = %s"
            " AND status = 'going' AND email <> ''", (loaded.popular_event_id,)).fetchone()
    port = servers.free_port()
    app_env = servers.app_environment(pg.sqlalchemy_url(database), port, SECRET_KEY=secrets.token_urlsafe(48))
    try:
        with servers.Gunicorn("mail-app", "wsgi:app", app_env, port=port) as app:
            owner = sign_in(app.url)
            log("timing the message send")
            send = time_message_send(owner, loaded.popular_event_id, conninfo, addresses, runs)
            worker = None
            if not args.requests_only:
                log("worker: sending the last message to the SMTP sink")
                worker = measure_worker(app_env, conninfo, addresses, args.worker_seconds)
            log("timing the time change")
            move = time_event_move(owner, loaded.popular_event_id, conninfo, rsvps, runs)
    finally:
        if not args.keep:
            pg.drop(database)
    rows = [
        (f"message to {people:,} going supporters: the request", f"{statistics.median(send):.0f} ms",
         f"{max(send):.0f} ms", f"< {REQUEST_TARGET_MS} ms", verdict(max(send) < REQUEST_TARGET_MS)),
        (f"changing the time of an event with {people:,} RSVPs: the request", f"{statistics.median(move):.0f} ms",
         f"{max(move):.0f} ms", f"< {REQUEST_TARGET_MS} ms", verdict(max(move) < REQUEST_TARGET_MS)),
    ]
    print(f"\n{people:,} RSVPs ({addresses:,} distinct addresses), {runs} runs of each request; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{value:.1f}' for value in os.getloadavg())}\n")
    print("| what | median | worst | target | |\n|---|---:|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if worker is None:
        return 0
    rate = worker["rate"] or 0
    print(f"| one outbox worker to an SMTP sink (aiosmtpd, no-op): {worker['sent']:,} of {addresses:,} sent in "
          f"{worker['wall_seconds']:.0f} s, {worker['failed']} failed "
          f"| {rate:.0f} mails/s (from sent_at) | {worker['wall_rate'] or 0:.0f} mails/s (wall clock, "
          f"{worker['wall_seconds']:.1f} s) | ≥ {MAILS_PER_SECOND_TARGET} mails/s "
          f"| {verdict(rate >= MAILS_PER_SECOND_TARGET)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
