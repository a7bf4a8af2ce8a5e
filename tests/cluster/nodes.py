"""What the two-node test runs: app nodes (gunicorn), outbox workers, an SMTP server that keeps what it
is sent, and HTTP clients with their own cookies. Every wait is bounded; every process can be killed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


# --- processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    """A process started in its own process group, so that SIGKILL to the group takes its children
    (gunicorn's workers) with it."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        self._log = log
        self.popen = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def group_pids(self) -> list[int]:
        """Every live process in this process group (gunicorn's master and its workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == self.pid and fields[0] != "Z":
                pids.append(int(entry.name))
        return pids

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, nothing is flushed or committed."""
        if self.popen is None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not refused
            pass
        log = getattr(self, "_log", None)
        if log is not None and not log.closed:
            log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def app_node(name: str, env: dict[str, str], port: int, log_dir: Path) -> Process:
    """gunicorn with 2 sync workers, as the README's production line runs it."""
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               "--timeout", "30", "--graceful-timeout", "2", "wsgi:app"]
    node = Process(name, command, env, log_dir / f"{name}.log")
    node.port = port  # type: ignore[attr-defined]
    node.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    return node


def outbox_worker(name: str, env: dict[str, str], log_dir: Path) -> Process:
    command = [sys.executable, "-m", "flask", "--app", "organizer", "outbox", "send", "--loop",
               "--interval", "0.3", "--limit", "5"]
    return Process(name, command, env, log_dir / f"{name}.log")


def wait_for_node(node: Process, timeout: float = 40) -> None:
    def answers():
        if not node.alive():
            raise AssertionError(f"{node.name} exited:\n{node.log_tail()}")
        try:
            return Client().get(node, "/").status == 200
        except OSError:
            return False

    wait_until(answers, timeout, f"{node.name} to answer", interval=0.2)


# --- HTTP ------------------------------------------------------------------------------------------


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the test looks at the 303 itself


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


class Client:
    """One person's browser: its own cookies (shared by both nodes, as they share 127.0.0.1)."""

    def __init__(self) -> None:
        self.cookies = CookieJar()
        self._opener = build_opener(HTTPCookieProcessor(self.cookies), _NoRedirects)

    def request(self, node, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                timeout: float = 15) -> Reply:
        body = urlencode(data).encode() if data is not None else None
        request = Request(node.url + path, data=body, method=method, headers=headers or {})
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read().decode())
        except HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read().decode(errors="replace"))

    def get(self, node, path: str, **kwargs) -> Reply:
        return self.request(node, "GET", path, **kwargs)

    def post(self, node, path: str, data: dict, **kwargs) -> Reply:
        return self.request(node, "POST", path, data=data, **kwargs)

    def csrf_token(self, node) -> str:
        reply = self.get(node, "/csrf-token")
        assert reply.status == 200, reply
        return reply.json()["csrf_token"]


# Raised when a node is down or dies mid-request (a body cut short is an HTTPException such as
# IncompleteRead, not an OSError): the request may or may not have been carried out.
CONNECTION_ERRORS = (URLError, ConnectionError, TimeoutError, OSError, http.client.HTTPException)


# --- SMTP --------------------------------------------------------------------------------------------


@dataclass
class Received:
    message_id: str
    recipients: list[str]
    to_header: str
    subject: str
    text: str
    port: int


@dataclass
class MailServer:
    """An SMTP server (aiosmtpd) listening on one port per outbox worker, keeping every message it
    accepts. ``stall_next_on(port)`` makes the next message on that port wait at RCPT TO, before the
    server has accepted anything, until ``release()``: the moment to kill the worker sending it."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stall_port: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    stalled_recipient: str = ""
    controllers: list[Controller] = field(default_factory=list)

    def listen(self) -> int:
        port = free_port()
        controller = Controller(_Handler(self, port), hostname="127.0.0.1", port=port)
        controller.start()
        self.controllers.append(controller)
        return port

    def stall_next_on(self, port: int) -> None:
        self.stall_port = port

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.released.set()
        for controller in self.controllers:
            controller.stop()

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)


class _Handler:
    def __init__(self, server: MailServer, port: int) -> None:
        self.server = server
        self.port = port

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        box = self.server
        if box.stall_port == self.port and not box.stalled.is_set():
            box.stalled_recipient = address
            box.stalled.set()
            for _ in range(600):  # at most a minute; the test kills the sender well before
                if box.released.is_set():
                    break
                await asyncio.sleep(0.1)
            return "451 4.3.0 Try again later"  # nothing accepted (its sender is gone by now anyway)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.server.lock:
            self.server.received.append(Received(
                message_id=str(message["Message-ID"]),
                recipients=[address.lower() for address in envelope.rcpt_tos],
                to_header=str(message["To"]),
                subject=str(message["Subject"]),
                text=body.get_content() if body is not None else "",
                port=self.port,
            ))
        return "250 Message accepted for delivery"
