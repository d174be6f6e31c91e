"""Local Twilio-compatible server for the SMS delivery tests (see ``server.py``).

This module stays light (stdlib only, pytest optional): the server runs in a subprocess,
``python -m tests.twilio_server``, like ``tests/stripe_server``.

    with start_twilio_server() as base_url:
        client = make_twilio_client(base_url)
        client.messages.create(to=..., from_=..., body=...)

or, in pytest, the session-scoped ``twilio_server`` fixture (yields the base URL, with the
test account ``ACCOUNT_SID``/``AUTH_TOKEN`` registered); call ``reset_twilio_server`` first
in each test.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "config_request",
    "fail_next",
    "make_twilio_client",
    "reset_twilio_server",
    "script_fates",
    "start_twilio_server",
    "take_callbacks",
    "twilio_server",
]

READY_PREFIX = "TWILIO_SERVER_READY"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests"
MESSAGING_SERVICE_SID = "MG" + "fedcba9876543210" * 2
_REPO_ROOT = Path(__file__).resolve().parents[2]
# Requests to the local server never go through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def start_twilio_server(
    *,
    port: int = 0,
    accounts: dict[str, str] | None = None,
    timeout: float = 20.0,
    verbose: bool = False,
) -> Iterator[str]:
    """Start the server in a subprocess on 127.0.0.1 and yield its base URL.

    Its log goes to a file that the whole-suite phone check searches at the end of the
    session (the server sees residents' numbers and must never write one down)."""
    accounts = {ACCOUNT_SID: AUTH_TOKEN} if accounts is None else accounts
    cmd = [sys.executable, "-m", "tests.twilio_server", "--port", str(port)]
    for sid, token in accounts.items():
        cmd += ["--account", f"{sid}:{token}"]
    if verbose:
        cmd.append("--verbose")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    log_path = Path(tempfile.mkdtemp(prefix="twilio-server-")) / "server.log"
    try:
        from tests.phone_check import register_log_file
    except ImportError:  # used outside the test suite
        pass
    else:
        register_log_file(log_path)
    log_file = log_path.open("w")
    proc = subprocess.Popen(
        cmd,
        cwd=_REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="twilio-server-stdout", daemon=True).start()
    try:
        yield _wait_ready(proc, lines, timeout, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log_file.close()


def _wait_ready(
    proc: subprocess.Popen[str], lines: queue.Queue[str | None], timeout: float, log: Path
) -> str:
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"twilio_server not ready after {timeout}s") from None
        if line is None:
            raise RuntimeError(
                f"twilio_server exited with {proc.wait()} before it was ready: "
                f"{log.read_text()[-2000:]}"
            )
        if line.startswith(READY_PREFIX):
            return line.split()[1]


def config_request(
    base_url: str, method: str, path: str, data: dict[str, Any] | None = None
) -> Any:
    """Call a test-only ``/_config/...`` route (JSON body); returns decoded JSON or None."""
    body = None
    headers = {}
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    with _opener.open(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw.strip() else None


def reset_twilio_server(base_url: str) -> None:
    """Forget messages, callbacks, scripted failures and fates; record callbacks again."""
    config_request(base_url, "DELETE", "/_config/data")


def fail_next(base_url: str, status: int, code: int, count: int = 1, message: str = "") -> None:
    """The next `count` message creations answer Twilio's error `code` with HTTP `status`."""
    config_request(
        base_url,
        "POST",
        "/_config/fail_next",
        {"status": status, "code": code, "count": count, "message": message},
    )


def script_fates(base_url: str, *fates: dict[str, Any]) -> None:
    """What happens to the next messages, e.g. {"fate": "undelivered", "error_code": 30003}."""
    config_request(base_url, "POST", "/_config/fates", {"fates": list(fates)})


def take_callbacks(base_url: str) -> list[dict[str, Any]]:
    """The signed status callbacks recorded since the last call, oldest first."""
    return list(config_request(base_url, "POST", "/_config/callbacks/take", {}))


def make_twilio_client(
    base_url: str, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN
) -> Any:
    """The official SDK's client, its API domain pointed at the local server."""
    from twilio.rest import Client

    client = Client(account_sid, auth_token)
    client.api.base_url = base_url
    return client


try:
    import pytest
except ImportError:  # the server subprocess does not need pytest
    pass
else:

    @pytest.fixture(scope="session")
    def twilio_server() -> Iterator[str]:
        """Base URL of a private local Twilio server for the test session."""
        with start_twilio_server() as base_url:
            yield base_url
