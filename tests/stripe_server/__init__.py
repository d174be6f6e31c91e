"""Local Stripe-compatible server for the payment tests (see ``server.py``).

This module stays light (stdlib only, pytest optional): the server itself runs in a
subprocess, ``python -m tests.stripe_server``.

    with start_stripe_server() as base_url:
        client = make_stripe_client(base_url)
        client.v1.transfers.list()

or, in pytest, use the session-scoped ``stripe_server`` fixture (yields the base URL); make it
visible with ``pytest_plugins = ["tests.stripe_server"]`` in a conftest, or import it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "config_request",
    "make_stripe_client",
    "register_webhook",
    "reset_stripe_server",
    "start_stripe_server",
    "stripe_server",
]

READY_PREFIX = "STRIPE_SERVER_READY"
_REPO_ROOT = Path(__file__).resolve().parents[2]
# Requests to the local server never go through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def start_stripe_server(
    *,
    store_path: str | os.PathLike[str] | None = None,
    port: int = 0,
    timeout: float = 20.0,
    verbose: bool = False,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start the server in a subprocess on 127.0.0.1 and yield its base URL.

    ``port=0`` lets the OS choose a free port (read back from the server's ready line, so
    parallel runs cannot race for a port). ``store_path=None`` keeps state in memory only.
    The subprocess is terminated (then killed) on exit.
    """
    cmd = [sys.executable, "-m", "tests.stripe_server", "--port", str(port)]
    if store_path is not None:
        cmd += ["--store", os.fspath(store_path)]
    if verbose:
        cmd.append("--verbose")
    cmd += list(extra_args)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        cmd,
        cwd=_REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # keeps draining after the ready line
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="stripe-server-stdout", daemon=True).start()
    try:
        base_url = _wait_ready(proc, lines, timeout)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_ready(proc: subprocess.Popen[str], lines: queue.Queue[str | None], timeout: float) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(
                f"stripe_server not ready after {timeout}s; output: {''.join(seen)!r}"
            ) from None
        if line is None:
            raise RuntimeError(
                f"stripe_server exited with {proc.wait()} before it was ready; "
                f"output: {''.join(seen)!r}"
            )
        if line.startswith(READY_PREFIX):
            return line.split()[1]
        seen.append(line)


def config_request(
    base_url: str, method: str, path: str, data: dict[str, Any] | None = None
) -> Any:
    """Call a test-only ``/_config/...`` route (JSON body); returns decoded JSON or None."""
    body = None
    headers = {}
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    with _opener.open(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


def reset_stripe_server(base_url: str) -> None:
    """Forget every object, event, idempotency key and balance setting (webhooks stay)."""
    config_request(base_url, "DELETE", "/_config/data")


def register_webhook(
    base_url: str,
    url: str,
    secret: str,
    events: Sequence[str] | None = None,
    name: str = "default",
) -> None:
    """Deliver events (all, or only ``events``) to ``url``, signed with ``secret``."""
    data: dict[str, Any] = {"url": url, "secret": secret}
    if events is not None:
        data["events"] = list(events)
    config_request(base_url, "POST", f"/_config/webhooks/{name}", data)


def make_stripe_client(base_url: str, api_key: str = "sk_test_local", **kwargs: Any) -> Any:
    """An official-SDK ``StripeClient`` talking to ``base_url`` (sync and ``*_async``).

    ``stripe.HTTPXClient()`` alone only serves async calls: ``allow_sync_methods=True`` is
    what makes the sync methods work too.
    """
    import stripe

    kwargs.setdefault("http_client", stripe.HTTPXClient(allow_sync_methods=True))
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base_url, "connect": base_url, "files": base_url},
        **kwargs,
    )


try:
    import pytest
except ImportError:  # the server subprocess does not need pytest
    pass
else:

    @pytest.fixture(scope="session")
    def stripe_server() -> Iterator[str]:
        """Base URL of a private local Stripe server (one per test session / xdist worker)."""
        with start_stripe_server() as base_url:
            yield base_url
