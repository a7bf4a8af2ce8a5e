"""gunicorn for the bench: the app with its production config, and the hello-world ceiling beside it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """The production configuration, with what a plain-http loopback bench needs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "TEST_DATABASE"))}
    env.update(
        ORGANIZER_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        SESSION_COOKIE_SECURE="false",  # plain http on 127.0.0.1; production keeps the default (true)
        HSTS="false",
        RATELIMIT_ENABLED="false",  # the bench sends thousands of RSVPs from one address on purpose
        DATABASE_URL=database_url,
        BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_BACKEND="file",
        MAIL_FILE_DIR="/tmp/organizer-bench-mail",
    )
    env.update(extra)
    return env


class Gunicorn:
    def __init__(self, name: str, wsgi: str, env: dict[str, str], port: int | None = None,
                 workers: int = WORKERS) -> None:
        self.name = name
        self.wsgi = wsgi
        self.env = env
        self.port = port or free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = Path(f"/tmp/organizer-bench-{name}-{os.getpid()}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn), "--workers", str(self.workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--worker-tmp-dir", "/dev/shm",
            "--log-level", "warning", "--timeout", "60", self.wsgi,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited:\n{self.log.read_text()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer in 30 s:\n{self.log.read_text()}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def reset_peak_rss(pids: list[int]) -> None:
    """Make VmHWM (peak resident memory) start again from the current RSS (Linux, same user or root)."""
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)
