"""The ceilings, served exactly like the real app (gunicorn, 2 sync workers).

``/`` is a hello-world Flask route: what this stack can do at best for a read. ``POST /write`` is
the least a write can cost on it: one INSERT and a COMMIT on PostgreSQL through a SQLAlchemy
connection pool (no ORM, no form, no CSRF), to show what the app's POSTs are made of.
``POST /write?statements=N`` makes N such INSERTs in the one transaction: the least a POST that sends
N statements can cost, whatever they are, and so the most it can reach against ``/write``.
"""

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = None


@app.get("/")
def hello() -> str:
    return "Hello, World!"


@app.post("/write")
def write() -> tuple[str, int]:
    global _engine
    if _engine is None:
        _engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    statements, note = max(request.args.get("statements", 1, type=int), 1), request.form.get("note", "")
    with _engine.begin() as connection:
        for _ in range(statements):
            connection.execute(text("INSERT INTO bench_write (note) VALUES (:note)"), {"note": note})
    return "", 204
