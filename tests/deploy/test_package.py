"""15.7: a non-editable install carries templates, static files, migrations and translations, and the
installed app migrates a database and serves pages from any working directory. 16.2: its access log
(gunicorn with organizer/gunicorn_conf.py) keeps no private link and no query string."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import subprocess
import time
import zipfile
from io import BytesIO

import pytest
from babel.messages.mofile import read_mo

from tests.deploy.conftest import HOST, ROOT, run, stop, unit_command
from tests.deploy.httpclient import request

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
            # Plural entries carry their ids and forms as lists (Arabic has six forms).
            messages = {str(message.id): message.string for message in read_mo(BytesIO(mo)) if message.id}
            assert messages and all(all(text) if isinstance(text, (list, tuple)) else text
                                    for text in messages.values()), catalog
        if wheel.translations == ["de/LC_MESSAGES/messages"]:
            assert b"Anmelden" in archive.read("organizer/translations/de/LC_MESSAGES/messages.mo")
    assert not any(name.endswith(".po") for name in names), "sources of translations belong in the sdist only"


def test_installed_package_runs_from_the_virtualenv_not_the_source_tree(installed):
    where = run([str(installed.bin / "python"), "-c", "import organizer; print(organizer.__file__)"],
                cwd=installed.workdir, env=installed.env).stdout.strip()
    assert where.startswith(str(installed.venv)), where
    assert not where.startswith(str(ROOT)), where


def test_installed_package_draws_a_share_picture_with_its_own_font(installed):
    """The share picture's font ships inside the package and Pillow comes with the install: an Arabic card draws."""
    script = ("import io; from PIL import Image; from organizer.rendering import share_image as s; "
              "card = s.ShareCard(direction='rtl', kicker='حملة', title='لقاء تضامن', when='19:00 GMT'); "
              "print(s.REGULAR); print(Image.open(io.BytesIO(s.render_png(card))).size)")
    out = run([str(installed.bin / "python"), "-c", script], cwd=installed.workdir, env=installed.env).stdout
    font, size = out.strip().splitlines()
    assert font.startswith(str(installed.venv)) and font.endswith("Vazirmatn-Regular.ttf"), font
    assert size == "(1200, 630)"


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
    log = gunicorn_server.wait_for_log("rid=deploy-test-0001", count=len(SECRET_REQUESTS))
    lines = [line for line in log.splitlines() if "rid=deploy-test-0001" in line]
    assert len(lines) == len(SECRET_REQUESTS), log
    assert_no_secret_in(lines)
    for (_path, shown), line in zip(SECRET_REQUESTS, lines):
        assert shown in line, (shown, line)


def test_sign_up_mail_is_sent_by_the_outbox_unit_and_its_link_stays_out_of_the_log(installed, gunicorn_server):
    """A real capability token end to end: sign-up queues a confirmation email, the outbox worker (the
    command organizer-outbox.service runs) renders it from the packaged templates and writes it out,
    and following its link leaves no trace of the token in the access log."""
    https = {"X-Forwarded-Proto": "https", "Referer": f"https://{HOST}/auth/signup"}
    page = request(gunicorn_server.port, "/auth/signup", host=HOST, headers=https)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = f"csrf_token={token}&name=Dana+Deploy&email=dana%40example.org&password=a-long-pass-phrase-42&confirm=a-long-pass-phrase-42"
    reply = request(gunicorn_server.port, "/auth/signup", method="POST", host=HOST, body=form.encode(),
                    headers={**https, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 303, reply.text

    mail_dir = installed.workdir / "mail"
    worker = subprocess.Popen(unit_command("organizer-outbox.service", "ExecStart", installed.venv),
                              cwd=installed.workdir, env=installed.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(mail_dir.glob("*.eml")) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
    finally:
        stop(worker)
    (message,) = mail_dir.glob("*.eml")
    parsed = email.message_from_bytes(message.read_bytes(), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"https://{re.escape(HOST)}(/auth/signup/confirm/[A-Za-z0-9_.=-]+)", body)
    assert link, body
    secret = link.group(1).rsplit("/", 1)[1]

    confirm = request(gunicorn_server.port, link.group(1), host=HOST, headers={"X-Forwarded-Proto": "https"})
    assert confirm.status == 200, confirm.text
    log = gunicorn_server.wait_for_log('GET /auth/signup/confirm/[redacted] HTTP/1.1" 200')
    assert 'GET /auth/signup/confirm/[redacted] HTTP/1.1" 200' in log
    assert secret not in log
    assert "dana" not in log.lower()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (Debian: systemd)")
def test_systemd_units_are_valid_and_name_programs_the_package_installs(installed, deploy_dir):
    units = deploy_dir / "units"
    units.mkdir(exist_ok=True)
    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        (units / unit.name).write_text(unit.read_text().replace("/opt/organizer/venv", str(installed.venv)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(map(str, units.glob("*.service")))],
                            capture_output=True, text=True, timeout=120)
    # Unknown keys are only warned about: any output at all counts as a mistake in the unit.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
