"""Organizer as an operator installs it: a wheel built from the source tree, installed into a fresh
virtualenv outside it, migrated and served by gunicorn with the shipped config (and nginx in front,
for test_nginx.py). Built once per run; every process listens on 127.0.0.1 only.

On SQLite the installed app gets its own database file; when TEST_DATABASE_URL points at PostgreSQL
it gets a database of its own on that server (``<name>_deploy``), dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "organizer.example.org"
# Only what an installed package may need from this environment: the source tree must not leak in.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_FIND_LINKS", "PIP_CERT", "PIP_DEFAULT_TIMEOUT",
              "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_DISABLE_PIP_VERSION_CHECK", "SSL_CERT_FILE")
# Left out of the wheel's source copy: whatever a fresh clone would not have.
NOT_IN_A_CLONE = {".venv", ".git", "build", "dist", "instance", ".pytest_cache", "test-artifacts", "node_modules"}

# A catalog compiled by the build step when the tree has none of its own yet (it proves .po -> .mo).
SAMPLE_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: de\\n"

msgid "Sign in"
msgstr "Anmelden"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {timeout}s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def unit_command(unit: str, key: str, venv: Path) -> list[str]:
    """A command line from a shipped systemd unit, with the unit's virtualenv replaced by ``venv``,
    so the tests run exactly what the units run."""
    lines = [line for line in (ROOT / "deploy" / "systemd" / unit).read_text().splitlines() if line.startswith(f"{key}=")]
    assert len(lines) == 1, f"{unit} should have one {key}= line"
    command = shlex.split(lines[0].split("=", 1)[1])
    assert command[0].startswith("/opt/organizer/venv/bin/"), command
    return [command[0].replace("/opt/organizer/venv", str(venv), 1), *command[1:]]


def _source_files() -> list[Path]:
    """The files a fresh clone has: tracked plus new-but-not-ignored ones (falls back to a filtered walk)."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout.decode().split("\0")
        return [Path(name) for name in listed if name and (ROOT / name).is_file()]
    return [
        path.relative_to(ROOT)
        for path in ROOT.rglob("*")
        if path.is_file()
        and not NOT_IN_A_CLONE.intersection(path.relative_to(ROOT).parts)
        and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".mo"}
        and not path.name.endswith(".egg-info")
    ]


@pytest.fixture(scope="session")
def deploy_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("deploy")


@dataclass
class Wheel:
    path: Path
    translations: list[str]  # catalogs (e.g. "de/LC_MESSAGES/messages") whose .po the tree had


@pytest.fixture(scope="session")
def wheel(deploy_dir) -> Wheel:
    """The wheel, built from a copy of what a clone holds (no .mo files, no build/ leftovers)."""
    source = deploy_dir / "source"
    for relative in _source_files():
        target = source / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    translations_dir = source / "organizer" / "translations"
    if not list(translations_dir.glob("*/LC_MESSAGES/*.po")):
        sample = translations_dir / "de" / "LC_MESSAGES" / "messages.po"
        sample.parent.mkdir(parents=True, exist_ok=True)
        sample.write_text(SAMPLE_PO, encoding="utf-8")
    catalogs = sorted(str(po.relative_to(translations_dir).with_suffix("")) for po in translations_dir.glob("*/LC_MESSAGES/*.po"))
    dist = deploy_dir / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(source)])
    (built,) = dist.glob("organizer-*.whl")
    return Wheel(built, catalogs)


@dataclass
class Installed:
    venv: Path
    workdir: Path
    env: dict[str, str]
    database_url: str

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def static_dir(self) -> Path:
        found = run([str(self.bin / "python"), "-c", "import organizer.paths as p; print(p.STATIC_DIR)"],
                    cwd=self.workdir, env=self.env)
        return Path(found.stdout.strip())


def _deploy_database_url(deploy_dir: Path):
    """A database of the installed app's own: a file on SQLite, a fresh database on PostgreSQL."""
    test_url = os.environ.get("TEST_DATABASE_URL") or ""
    if not test_url.startswith("postgresql"):
        yield f"sqlite:///{deploy_dir / 'organizer.sqlite3'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(test_url)
    name = f"{url.database}_deploy"
    server = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def installed(wheel, deploy_dir) -> Installed:
    """A fresh virtualenv outside the source tree with the wheel and its dependencies, and a migrated database."""
    venv = deploy_dir / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    # This run's pip installs into the new environment; --no-compile saves most of the install time.
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
         "--no-compile", str(wheel.path)])
    workdir = deploy_dir / "srv"
    workdir.mkdir()
    database = _deploy_database_url(deploy_dir)
    database_url = next(database)
    env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
    env.update(
        ORGANIZER_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        BASE_URL=f"https://{HOST}",
        PROXY_COUNT="1",
        MAIL_BACKEND="file",
        MAIL_FILE_DIR=str(workdir / "mail"),
        # Two failed sign-ins per client address, so the nginx test reaches the limit quickly.
        LOGIN_RATE_LIMIT="2 per minute",
        # One worker: the in-memory rate-limit store is per process (production shares Redis).
        WEB_CONCURRENCY="1",
    )
    # As organizer-web.service does before serving, from a directory that is neither the source tree nor
    # the venv: the migrations must come from the package.
    run(unit_command("organizer-web.service", "ExecStartPre", venv), cwd=workdir, env=env)
    yield Installed(venv, workdir, env, database_url)
    next(database, None)


@dataclass
class Server:
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, needle: str, count: int = 1, timeout: float = 10) -> str:
        """The log once ``needle`` is in it ``count`` times (a line is written after the response is sent)."""
        deadline = time.monotonic() + timeout
        while (text := self.log_text()).count(needle) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return text


@pytest.fixture(scope="session")
def gunicorn_server(installed, deploy_dir) -> Server:
    """The installed app under gunicorn with the shipped config, as the systemd unit starts it."""
    port = free_port()
    log = deploy_dir / "gunicorn.log"
    env = dict(installed.env, ORGANIZER_BIND=f"127.0.0.1:{port}")
    with log.open("wb") as out:
        process = subprocess.Popen(
            unit_command("organizer-web.service", "ExecStart", installed.venv),
            cwd=installed.workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        yield Server(port, log)
    finally:
        stop(process)
