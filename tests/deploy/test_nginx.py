"""15.8: the shipped nginx site (deploy/nginx/organizer.conf) in front of the installed app under
gunicorn, both on loopback: plain http redirects to https, https carries HSTS, static files come from
nginx, each client's own address reaches the rate limiter (PROXY_COUNT=1), the request id flows from
nginx through the app's log to the client, and nginx's access log keeps no private link or query.

nginx is Debian's (`make test` installs it when missing, as root). Only the host-specific lines of
the site file are replaced (ports, certificate, static folder, log files); a replacement that finds
nothing fails, so the test keeps following the file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import HOST, ROOT, Server, free_port, stop, wait_for_port
from tests.deploy.httpclient import request
from tests.deploy.test_package import SECRET_REQUESTS, assert_no_secret_in

pytestmark = [pytest.mark.slow, pytest.mark.no_app_context]

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SITE = ROOT / "deploy" / "nginx" / "organizer.conf"
HSTS = "max-age=63072000; includeSubDomains"

if NGINX is None:
    reason = ("!!! nginx is not installed (make test installs Debian's nginx-light as root; "
              "or: apt-get install -y nginx-light): THE NGINX DEPLOYMENT TEST IS SKIPPED !!!")
    if os.environ.get("CI") == "true":
        pytest.fail(reason.replace("IS SKIPPED", "CANNOT RUN IN CI"), pytrace=False)
    pytestmark.append(pytest.mark.skip(reason=reason))


@dataclass
class Nginx:
    http_port: int
    https_port: int
    ca: Path
    access_log: Path
    gunicorn: Server

    def https(self, path: str, **kwargs):
        return request(self.https_port, path, host=HOST, tls_ca=self.ca, **kwargs)

    def http(self, path: str, **kwargs):
        return request(self.http_port, path, host=HOST, **kwargs)

    def access_lines(self, needle: str) -> list[str]:
        Server(0, self.access_log).wait_for_log(needle)
        return self.access_log.read_text().splitlines()


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{SITE.name} no longer has {old!r}: update this test with it"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def nginx(installed, gunicorn_server, deploy_dir) -> Nginx:
    home = deploy_dir / "nginx"
    home.mkdir()
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    site = SITE.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn_server.port};"),
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
        ("/opt/organizer/venv/lib/python3.11/site-packages/organizer/static/", f"{installed.static_dir()}/"),
        ("/var/log/nginx/organizer.access.log", str(home / "access.log")),
        ("/var/log/nginx/organizer.error.log", str(home / "error.log")),
    ):
        site = _replace(site, old, new)
    (home / "organizer.conf").write_text(site)
    temp_paths = "\n".join(f"    {kind}_temp_path {home / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would drop to "nobody", who cannot enter pytest's private temp folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (home / "nginx.conf").write_text(f"""\
daemon off;
worker_processes 1;
{user}
pid {home / 'nginx.pid'};
error_log {home / 'nginx-error.log'} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}
    include {home / 'organizer.conf'};
}}
""")
    log = home / "nginx-stderr.log"
    with log.open("wb") as out:
        process = subprocess.Popen([NGINX, "-p", str(home), "-e", str(home / "nginx-error.log"), "-c", str(home / "nginx.conf")],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(https_port, process, home / "nginx-error.log")
        yield Nginx(http_port, https_port, cert, home / "access.log", gunicorn_server)
    finally:
        stop(process)


def test_plain_http_is_redirected_to_the_same_path_over_https_without_reaching_the_app(nginx):
    reply = nginx.http("/e/climate-meeting?ref=poster", headers={"X-Request-ID": "plain-http-check"})
    assert reply.status == 301
    assert reply.headers["Location"] == f"https://{HOST}/e/climate-meeting?ref=poster"
    assert "/e/climate-meeting" not in nginx.gunicorn.log_text()


def test_https_pages_carry_one_hsts_header_and_the_apps_own_headers(nginx):
    reply = nginx.https("/")
    assert reply.status == 200, reply.text
    assert reply.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert reply.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
    assert '<link rel="stylesheet" href="/static/css/app.css">' in reply.text


def test_static_files_are_served_by_nginx_from_the_installed_package(nginx):
    reply = nginx.https("/static/js/door.js", headers={"X-Request-ID": "x"})
    assert reply.status == 200
    assert reply.body == (ROOT / "organizer" / "static" / "js" / "door.js").read_bytes()
    assert reply.headers["Content-Type"] == "application/javascript"
    assert reply.headers.get_all("Strict-Transport-Security") == [HSTS]
    # `expires epoch` is nginx's: the app would have answered "no-cache" without an Expires date.
    assert reply.headers["Expires"] == "Thu, 01 Jan 1970 00:00:01 GMT"
    request_id = reply.headers["X-Request-ID"]
    assert f"rid={request_id}" in "\n".join(nginx.access_lines(request_id))
    assert "/static/js/door.js" not in nginx.gunicorn.log_text(), "gunicorn served a static file"


def test_the_request_id_is_made_by_nginx_passed_to_the_app_and_returned(nginx):
    reply = nginx.https("/auth/login", headers={"X-Request-ID": "chosen-by-the-client"})
    assert reply.status == 200
    (request_id,) = reply.headers.get_all("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    app_log = nginx.gunicorn.wait_for_log(f"rid={request_id}")
    assert re.search(rf'"GET /auth/login HTTP/1\.[01]" 200 .* rid={request_id}$', app_log, re.M), app_log
    assert "chosen-by-the-client" not in app_log
    assert any(f"rid={request_id}" in line and "/auth/login" in line for line in nginx.access_lines(request_id))


def _failed_sign_in(nginx: Nginx, source: str, email: str) -> int:
    page = nginx.https("/auth/login", source=source)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = f"csrf_token={token}&email={email}&password=wrong-password-123".replace("@", "%40")
    reply = nginx.https("/auth/login", method="POST", source=source, body=form.encode(),
                        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                                 # Flask-WTF checks the Referer of https posts, as a browser sends it.
                                 "Referer": f"https://{HOST}/auth/login"})
    assert reply.status != 400, reply.text
    return reply.status


def test_each_client_address_reaches_the_rate_limiter_through_nginx(nginx):
    """LOGIN_RATE_LIMIT is 2 per minute per client here; the clients differ only by source address,
    which nginx sends as X-Forwarded-For and the app trusts with PROXY_COUNT=1. With PROXY_COUNT=0
    every request would come from nginx's 127.0.0.1 and the second client would be refused too."""
    first, second = "127.0.0.2", "127.0.0.3"
    assert [_failed_sign_in(nginx, first, f"a{n}@example.org") for n in range(3)] == [401, 401, 429]
    assert _failed_sign_in(nginx, second, "b0@example.org") == 401
    assert _failed_sign_in(nginx, first, "a3@example.org") == 429


def test_nginx_access_log_redacts_private_links_and_drops_query_strings(nginx):
    for path, _shown in SECRET_REQUESTS:
        nginx.https(path, headers={"Referer": f"https://{HOST}/t/refererTOKENzzzzzzzzzzzzzzzzz?x=1"})
    nginx.http("/r/plainhttpTOKENyyyyyyyyyyyyyyyyyyyyyy?q=x")
    lines = [line for line in nginx.access_lines("/r/[redacted] HTTP/1.1\" 301") if line]
    assert_no_secret_in(lines)
    logged = "\n".join(lines)
    for _path, shown in SECRET_REQUESTS:
        assert shown.strip() in logged, shown
    # And the app behind it wrote none of them either.
    assert_no_secret_in(nginx.gunicorn.log_text().splitlines())
