"""A real `groundswell serve` process on a free loopback port, for tests that need HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.phone_check import register_log_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(env: dict[str, str] | None = None, timeout: float = 30.0) -> Iterator[str]:
    port = free_port()
    environment = {**os.environ, "GROUNDSWELL_SCHEDULER": "false", **(env or {})}
    environment["GROUNDSWELL_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    # Its log goes to a file (a pipe nobody reads could fill and stall the server), which the
    # phone check searches at the end of the session.
    log = Path(tempfile.mkdtemp(prefix="groundswell-live-")) / "server.log"
    register_log_file(log)
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "groundswell", "serve", "--port", str(port), "--no-scheduler"],
        env=environment,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"groundswell serve exited: {log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/pools", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()
