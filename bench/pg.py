"""PostgreSQL for the bench: start the local cluster if needed, (re)create and migrate a database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
HOST = os.environ.get("BENCH_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("BENCH_PGPORT", "5432"))
USER = os.environ.get("BENCH_PGUSER", "postgres")


def conninfo(dbname: str) -> str:
    return f"postgresql://{USER}@{HOST}:{PORT}/{dbname}"


def sqlalchemy_url(dbname: str) -> str:
    return f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{dbname}"


def is_ready() -> bool:
    try:
        with psycopg.connect(conninfo("postgres"), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def ensure_running() -> None:
    """Start the packaged cluster the way .ci/run does, when nothing answers on the port."""
    if is_ready():
        return
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if not versions or not shutil.which("pg_ctlcluster"):
        raise SystemExit(f"PostgreSQL is not running on {HOST}:{PORT} and no packaged cluster was found.")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "start"],
        check=False, timeout=60,
    )
    for _ in range(30):
        if is_ready():
            return
        time.sleep(1)
    raise SystemExit(f"PostgreSQL did not start on {HOST}:{PORT}.")


def recreate(dbname: str, template: str | None = None) -> None:
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(dbname), sql.Identifier(template))
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop(dbname: str) -> None:
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def migrate(dbname: str) -> None:
    """``flask db upgrade`` against the database, exactly as a deployment would."""
    env = {**os.environ, "DATABASE_URL": sqlalchemy_url(dbname), "ORGANIZER_ENV": "development"}
    flask = Path(sys.executable).with_name("flask")
    command = [str(flask), "--app", "organizer", "db", "upgrade"] if flask.exists() else [
        sys.executable, "-m", "flask", "--app", "organizer", "db", "upgrade"
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")
