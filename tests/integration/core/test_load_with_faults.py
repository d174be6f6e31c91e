"""A short run of scripts/bench/faults on PostgreSQL: vouches by SMS while a round is computed,
approved and paid, the leading scheduler killed half way; every invariant must hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ENGINE

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.postgres_only
def test_short_load_with_a_killed_scheduler_keeps_every_invariant() -> None:
    if ENGINE != "postgresql":
        pytest.skip("the fault drill runs a production-like deployment on PostgreSQL")
    env = {**os.environ, "GROUNDSWELL_TEST_POSTGRES_URL": os.environ["GROUNDSWELL_DATABASE_URL"]}
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench" / "faults.py"),
            *("--rate", "20", "--seconds", "10", "--organisers", "8", "--workers", "1"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "FAIL" not in run.stdout and run.stdout.count("PASS") >= 9, run.stdout[-4000:]
