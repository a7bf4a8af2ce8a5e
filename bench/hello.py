"""The ceilings, served exactly like the real app (gunicorn, 2 sync workers).

``/`` is a hello-world Flask route: what this stack can do at best for a read. ``POST /write`` is
the least a write can cost on it: one INSERT and a COMMIT on PostgreSQL through a SQLAlchemy
connection pool (no ORM, no form, no CSRF), to show what the app's POSTs are made of.
``POST /write?statements=N`` makes N such INSERTs in the one transaction: the least a POST that sends
N statements can cost, whatever they are, and so the most it can reach against ``/write``.

``guarded`` is a second app, served on its own so that the ceilings above stay bare Flask: its
``POST /write?statements=N`` makes the same INSERTs behind what every state change in Organizer must
pass, Flask's signed session cookie (permanent and re-signed on every response, as a door-link or
signed-in session is; a stored RSVP's flash message re-signs its cookie too) and Flask-WTF's CSRF check
of the token sent in the form. ``GET /session`` starts a session and answers
its token.
"""

import os
from datetime import timedelta

from flask import Flask, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf
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


guarded = Flask("guarded")
guarded.config.update(  # as organizer/config.py sets them
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench"),
    PERMANENT_SESSION_LIFETIME=timedelta(minutes=120),
    SESSION_REFRESH_EACH_REQUEST=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SECURE=False,
    SESSION_COOKIE_SAMESITE="Lax",
    WTF_CSRF_TIME_LIMIT=None,
)
CSRFProtect(guarded)
guarded.add_url_rule("/write", view_func=write, methods=["POST"])


@guarded.get("/session")
def start_session() -> str:
    session.permanent = True
    return generate_csrf()
