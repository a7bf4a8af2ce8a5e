"""15.7: a non-editable install carries templates, static files, migrations and translations, and the
installed app migrates a database and serves pages from any working directory. 16.2: its access log
(gunicorn with organizer/gunicorn_conf.py) keeps no private link and no query string."""

from __future__ import annotations

import re
import subprocess
import zipfile
from io import BytesIO

import pytest
from babel.messages.mofile import read_mo

from tests.deploy.conftest import HOST, ROOT, run
from tests.deploy.http import request

pytestmark = [pytest.mark.slow, pytest.mark.no_app_context]


def test_wheel_carries_templates_static_files_migrations_and_compiled_translations(wheel):
    names = set(zipfile.ZipFile(wheel.path).namelist())
    for folder, packaged in (("templates", "organizer/templates"), ("migrations", "organizer/migrations"),
                             ("organizer/static", "organizer/static")):
        source_files = {path.relative_to(ROOT / folder).as_posix() for path in (ROOT / folder).rglob("*")
                        if path.is_file() and "__pycache__" not in path.parts}
        assert source_files, folder
        missing = {name for name in source_files if f"{packaged}/{name}" not in names}
        assert not missing, f"{folder} files missing from the wheel: {sorted(missing)}"
    assert "organizer/gunicorn_conf.py" in names

    with zipfile.ZipFile(wheel.path) as archive:
        for catalog in wheel.translations:
            mo = archive.read(f"organizer/translations/{catalog}.mo")
            messages = {message.id: message.string for message in read_mo(BytesIO(mo)) if message.id}
            assert messages and all(messages.values()), catalog
        if wheel.translations == ["de/LC_MESSAGES/messages"]:
            assert b"Anmelden" in archive.read("organizer/translations/de/LC_MESSAGES/messages.mo")
    assert not any(name.endswith(".po") for name in names), "sources of translations belong in the sdist only"


def test_installed_package_runs_from_the_virtualenv_not_the_source_tree(installed):
    where = run([str(installed.bin / "python"), "-c", "import organizer; print(organizer.__file__)"],
                cwd=installed.workdir, env=installed.env).stdout.strip()
    assert where.startswith(str(installed.venv)), where
    assert not where.startswith(str(ROOT)), where


def _source_head() -> str:
    """The revision no other revision names as its down_revision."""
    revisions, parents = set(), set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        text = path.read_text()
        revisions.add(re.search(r"^revision\b[^=]*= *['\"]([^'\"]+)", text, re.M).group(1))
        parents.update(re.findall(r"^down_revision\b[^=]*= *['\"]([^'\"]+)", text, re.M))
    (head,) = revisions - parents
    return head


def test_installed_package_migrated_the_database_to_the_head_revision(installed):
    current = run([str(installed.bin / "flask"), "--app", "organizer", "db", "current"],
                  cwd=installed.workdir, env=installed.env).stdout
    assert f"{_source_head()} (head)" in current, current


def test_installed_app_serves_a_templated_page_and_its_static_file(gunicorn_server):
    page = request(gunicorn_server.port, "/", host=HOST, headers={"X-Forwarded-Proto": "https"})
    assert page.status == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    # base.html: the stylesheet link and the document skeleton come from the packaged template.
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page.text
    assert page.text.lstrip().lower().startswith("<!doctype html>")

    css = request(gunicorn_server.port, "/static/css/app.css", host=HOST, headers={"X-Forwarded-Proto": "https"})
    assert css.status == 200
    assert css.body == (ROOT / "organizer" / "static" / "css" / "app.css").read_bytes()

    missing = request(gunicorn_server.port, "/no-such-page", host=HOST, headers={"X-Forwarded-Proto": "https"})
    assert missing.status == 404
    assert "<html" in missing.text, "the error page is rendered from the packaged templates"


# Every kind of URL whose path holds a secret, as a log reader would find it; the second element is
# what the line must show instead.
SECRET_REQUESTS = [
    ("/r/rsvpTOKENaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?q=alice%40example.org", "/r/[redacted]"),
    ("/r/rsvpTOKENbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/cancel", "/r/[redacted]/cancel"),
    ("/r/rsvpTOKENcccccccccccccccccccccccccccccc/delete", "/r/[redacted]/delete"),
    ("/r/new-link/signedLINKdddddddddddddddddddddddd", "/r/new-link/[redacted]"),
    ("/t/ticketTOKENeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "/t/[redacted]"),
    ("/door/doorTOKENffffffffffffffffffffffffffffff", "/door/[redacted]"),
    ("/auth/reset/resetTOKENgggggggggggggggggggggggg", "/auth/reset/[redacted]"),
    ("/auth/signup/confirm/signupTOKENhhhhhhhhhhhhhhhhhhh", "/auth/signup/confirm/[redacted]"),
    ("//r/rsvpTOKENiiiiiiiiiiiiiiiiiiiiiiiiiiiiii", "/r/[redacted]"),
    ("/static/../r/rsvpTOKENjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "/r/[redacted]"),
    ("/manage/e/1/rsvps?q=bob.searched%40example.org", "/manage/e/1/rsvps "),
    ("/door/e/1?q=Carol+Searched", "/door/e/1 "),
]
SECRETS = re.compile(r"TOKEN|LINK|alice|bob\.searched|Carol|Searched|%40|\?")


def assert_no_secret_in(lines: list[str]) -> None:
    leaked = [line for line in lines if SECRETS.search(line)]
    assert not leaked, "access log lines with a secret or a query string:\n" + "\n".join(leaked)


def test_gunicorn_access_log_redacts_private_links_and_drops_query_strings(gunicorn_server):
    for path, _shown in SECRET_REQUESTS:
        request(gunicorn_server.port, path, host=HOST,
                headers={"X-Forwarded-Proto": "https", "Referer": f"https://{HOST}/r/refererTOKENkkkkkkkkkkkk?x=1",
                         "X-Request-ID": "deploy-test-0001"})
    log = gunicorn_server.wait_for_log("/auth/signup/confirm/[redacted]")
    lines = [line for line in log.splitlines() if "rid=deploy-test-0001" in line]
    assert len(lines) == len(SECRET_REQUESTS), log
    assert_no_secret_in(lines)
    for (_path, shown), line in zip(SECRET_REQUESTS, lines):
        assert shown in line, (shown, line)
