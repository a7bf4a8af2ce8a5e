"""The benchmark command starts and prints its table (tiny data, one short run: no timing asserted)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _postgres_answers() -> bool:
    try:
        from bench import pg

        return pg.is_ready()
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.no_app_context
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (apt-get install -y wrk)")
@pytest.mark.skipif(not _postgres_answers(), reason="the bench needs PostgreSQL on 127.0.0.1:5432")
def test_quick_bench_prints_a_table():
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "| path | requests/s | vs hello-world | vs INSERT + COMMIT | p50 | p99 | target | |" in out
    assert "| hello-world Flask (ceiling) |" in out
    assert "| SQL statements per request |" in out
    # Every scenario ran and no request failed: a bench of error pages would measure nothing.
    assert "not measured" not in out, out + result.stderr
    assert " errors)" not in out, out + result.stderr
