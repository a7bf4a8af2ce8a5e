"""Fixtures: one migrated database per run (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
emptied after every test; a live server and Debian's Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from organizer import create_app
from organizer.config import TestConfig
from organizer.extensions import db
from organizer.rendering import message_mail
from tests import builders

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_sessionstart(session) -> None:
    """`make test` compiles the catalogs (messages.po -> .mo, which git does not keep); this covers a bare
    `pytest` on a fresh clone or right after a .po file was edited, so pages are never silently English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "organizer" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source:
                catalog = read_po(source)
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            with open(partial, "wb") as target:
                write_mo(target, catalog)
            partial.replace(mo)


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url():
    tmp_dir = Path(tempfile.mkdtemp(prefix="organizer-tests-"))
    yield _database_url(tmp_dir)
    shutil.rmtree(tmp_dir, ignore_errors=True)


def make_test_app(database_url: str, **overrides):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    return create_app(config)


def _forget_request_globals(sender, **extra) -> None:
    """Every test runs inside one app context, and test-client requests reuse it (Flask pushes a new
    app context only when none is active). Without this, ``g`` — Flask-Login's loaded user, the CSRF
    token, the negotiated locale — would leak from one request into the next, even across clients."""
    g.__dict__.clear()


@pytest.fixture(scope="session")
def app(database_url):
    app = make_test_app(database_url)
    request_started.connect(_forget_request_globals, app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_all_tables() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    message_mail.new_batch()  # what the worker keeps per message goes with the rows (ids are reused)


@pytest.fixture(autouse=True)
def app_context(request, app):
    """Every test runs inside an app context and leaves the database empty."""
    if "no_app_context" in request.keywords:
        yield None
        return
    with app.app_context():
        yield app
        empty_all_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def no_csrf(app, monkeypatch):
    """Forms posted without a CSRF token (tests/security and the tests named *needs_csrf check the token)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner():
    return builders.make_user()


@pytest.fixture
def campaign(owner):
    """A campaign of ``owner`` with the builder's defaults; a test file overrides it for a slug of its own."""
    return builders.make_campaign(owner=owner)


@pytest.fixture
def login(client):
    """Sign a user in on the test client without going through the form."""

    def sign_in(user, on=None):
        target = on or client
        with target.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return target

    return sign_in


def _closing(app):
    """The app with every response closed even when the browser hangs up halfway (a favicon a closing
    browser stops reading): werkzeug's development server then skips the response's close(), and the
    file Flask was sending is left for the garbage collector, a ResourceWarning that failed whichever
    test was running. Closing a suspended generator runs its ``finally``; gunicorn closes it itself."""
    def closing_app(environ, start_response):
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            if hasattr(response, "close"):
                response.close()
    return closing_app


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# --- Playwright, pointed at Debian's Chromium ------------------------------------------------

@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def phone(browser, base_url):
    """A phone-sized page (390 px wide, touch)."""
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).parent / "browser"
    chromium_missing = not Path(CHROMIUM).exists()
    for item in items:
        if browser_dir in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if chromium_missing:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install -y chromium)"))
        if "postgres_only" in item.keywords and not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL"))


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite (temporary file)"
    lines = [f"organizer database: {url}"]
    if not Path(CHROMIUM).exists():
        lines.append("!!! BROWSER TESTS WILL BE SKIPPED: /usr/bin/chromium is missing (apt-get install -y chromium) !!!")
    return lines
