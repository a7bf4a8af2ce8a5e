"""Issue 16, item 3: a body sent with ``Transfer-Encoding: chunked`` has no Content-Length, so Werkzeug's
own check never sees its size. Through a real server (the test client can't send chunked bodies), an
oversized chunked body must get 413 before any form is read, and nothing it carries may be stored."""

from __future__ import annotations

import http.client
import socket
import threading
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Rsvp
from tests import builders

CHUNK = 64 * 1024


def _session_and_token(base: str) -> tuple[str, str]:
    """What rsvp.js does: GET /csrf-token, which starts a session. Returns (Cookie header, token)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", "/csrf-token", headers={"Accept": "application/json"})
        response = connection.getresponse()
        import json

        token = json.loads(response.read())["csrf_token"]
        cookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie.load(header)
        return "; ".join(f"{key}={morsel.value}" for key, morsel in cookie.items()), token
    finally:
        connection.close()


def _post_chunked(base: str, path: str, body: bytes, cookie: str) -> tuple[int, bytes]:
    """POST ``body`` in 64 KiB chunks over a raw socket, as a proxy or curl -H 'Transfer-Encoding:
    chunked' would; returns the status and the start of the answer. Stops sending when the server
    answers or closes, as a real client does."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
    received = bytearray()
    done = threading.Event()

    def read():
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                received.extend(data)
                if b"\r\n\r\n" in received and len(received) > 64 * 1024:
                    break
        except OSError:
            pass
        finally:
            done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
            f"Sec-Fetch-Site: same-origin\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n").encode()
    try:
        sock.sendall(head)
        for start in range(0, len(body), CHUNK):
            if done.is_set():
                break
            piece = body[start:start + CHUNK]
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        else:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed while we were still sending: what it should do
    done.wait(20)
    sock.close()
    status_line = bytes(received).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), f"no HTTP answer: {bytes(received[:200])!r}"
    return int(status_line.split()[1]), bytes(received)


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="chunked", capacity=50)


def _rsvp_body(token: str, name: str, padding: int) -> bytes:
    fields = urlencode({"csrf_token": token, "name": name, "email": "", "guests": "0"}).encode()
    # The padding goes after the real fields, so a server that cuts the body at the limit still finds them.
    return fields + b"&pad=" + b"x" * padding


def _stored(name: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.name == name))


def test_a_20_mb_chunked_body_gets_413_and_stores_nothing(live_server, event):
    cookie, token = _session_and_token(live_server)
    status, answer = _post_chunked(live_server, f"/e/{event.slug}/rsvp",
                                   _rsvp_body(token, "Chunked Giant", 20 * 1024 * 1024), cookie)
    assert status == 413, answer[:300]
    assert _stored("Chunked Giant") == 0


def test_a_small_chunked_body_is_still_taken(live_server, event):
    """The limit refuses size, not chunked transfer: a body under MAX_CONTENT_LENGTH goes through."""
    cookie, token = _session_and_token(live_server)
    status, answer = _post_chunked(live_server, f"/e/{event.slug}/rsvp", _rsvp_body(token, "Chunked Small", 1000),
                                   cookie)
    assert status == 303, answer[:300]
    assert _stored("Chunked Small") == 1


def test_a_chunked_body_just_over_the_limit_gets_413(app, live_server, event):
    cookie, token = _session_and_token(live_server)
    body = _rsvp_body(token, "Chunked Edge", 0)
    body += b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1 - len(body))
    status, answer = _post_chunked(live_server, f"/e/{event.slug}/rsvp", body, cookie)
    assert status == 413, answer[:300]
    assert _stored("Chunked Edge") == 0
