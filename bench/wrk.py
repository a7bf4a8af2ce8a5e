"""Run wrk against 127.0.0.1 for a bounded time and read its figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent


class WrkMissing(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connect/read/write errors plus non-2xx/3xx responses
    status_errors: int
    timeouts: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def available() -> bool:
    return shutil.which("wrk") is not None


def _script(name: str) -> Path:
    """The named script with the common ``done`` reporter appended, as a temporary file."""
    body = (HERE / name).read_text() + "\n" + (HERE / "report.lua").read_text()
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-", delete=False)
    handle.write(body)
    handle.close()
    return Path(handle.name)


def run(url: str, *, script: str = "get.lua", args: list[str] | None = None, duration: float = 10,
        connections: int = 8, threads: int = 2, timeout: float = 5) -> WrkResult:
    if not available():
        raise WrkMissing("wrk is not installed (apt-get install -y wrk)")
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError(f"the bench only ever sends traffic to the loopback interface, not {host}")
    script_path = _script(script)
    try:
        command = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(int(round(duration)), 1)}s",
            f"--timeout={int(timeout)}s", "-s", str(script_path), url,
        ]
        if args:
            command += ["--", *args]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30)
    finally:
        script_path.unlink(missing_ok=True)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    errors = sum(data[key] for key in ("errors_connect", "errors_read", "errors_write", "errors_status"))
    return WrkResult(
        requests=data["requests"],
        seconds=seconds,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        status_errors=data["errors_status"],
        timeouts=data["errors_timeout"],
    )
