"""Profile one page in-process with pyinstrument, against the bench database:

    .venv/bin/python -m bench.run --only queries --keep       # build organizer_bench once
    .venv/bin/python -m bench.profile /e/national-demonstration
    .venv/bin/python -m bench.profile "/door/e/1?q=rosa+sm" --as door
    .venv/bin/python -m bench.profile /manage/c/bench-campaign --as owner -n 20

Requests go through Flask's test client (no network), with the production config's caches on unless
``--no-cache``; the first few are not profiled (imports, template compilation, connections).
"""

from __future__ import annotations

import argparse
import time

from bench import data, pg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("path")
    parser.add_argument("--as", dest="who", choices=["anonymous", "owner", "door"], default="anonymous")
    parser.add_argument("-n", type=int, default=50, help="requests profiled")
    parser.add_argument("--database", default="organizer_bench")
    parser.add_argument("--no-cache", action="store_true", help="PUBLIC_CACHE_SECONDS=0, DOOR_COUNTS_SECONDS=0")
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    from bench.queries import make_app

    app = make_app(pg.sqlalchemy_url(args.database))
    app.config["PUBLIC_CACHE_SECONDS"] = 0 if args.no_cache else 5
    app.config["DOOR_COUNTS_SECONDS"] = 0 if args.no_cache else 2
    client = app.test_client()
    if args.who == "owner":
        from organizer.extensions import db
        from organizer.models import User
        from organizer.services.accounts.accounts import find_user_by_email

        with app.app_context():
            owner: User | None = find_user_by_email(data.OWNER_EMAIL)
            user_id = owner.get_id() if owner else "1:1"
            db.session.remove()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
    elif args.who == "door":
        client.get(f"/door/{data.DOOR_LINK_TOKEN}")

    for _ in range(5):
        status = client.get(args.path).status_code
    started, cpu = time.perf_counter(), time.process_time()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.n):
        client.get(args.path)
    profiler.stop()
    wall = (time.perf_counter() - started) / args.n * 1000
    print(f"GET {args.path} as {args.who}: HTTP {status}, {wall:.2f} ms a request "
          f"({(time.process_time() - cpu) / args.n * 1000:.2f} ms CPU, profiler included)")
    print(profiler.output_text(unicode=True, color=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
