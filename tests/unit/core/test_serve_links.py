"""`groundswell serve --port N` makes generated links reach the server it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell.cli.server import link_address, point_links_at_server
from groundswell.settings import load_settings


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 8000, "http://127.0.0.1:8000"),
        ("::1", 8001, "http://[::1]:8001"),
        ("groundswell.local", 8002, "http://groundswell.local:8002"),
    ],
)
def test_links_point_where_a_browser_reaches_the_server(
    host: str, port: int, expected: str
) -> None:
    assert link_address(host, port) == expected


def test_an_unset_public_url_follows_the_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GROUNDSWELL_PUBLIC_URL", raising=False)
    assert point_links_at_server("127.0.0.1", 8080) is None
    assert load_settings(cwd=tmp_path).public_url == "http://127.0.0.1:8080"


def test_a_configured_public_url_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GROUNDSWELL_PUBLIC_URL", "https://groundswell.example.org")
    assert point_links_at_server("0.0.0.0", 8080) is None
    assert load_settings(cwd=tmp_path).public_url == "https://groundswell.example.org"


def test_a_local_public_url_on_another_port_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GROUNDSWELL_PUBLIC_URL", "http://127.0.0.1:8000")
    warning = point_links_at_server("127.0.0.1", 8080)
    assert warning is not None and "port 8080" in warning and "http://127.0.0.1:8000" in warning
    assert load_settings(cwd=tmp_path).public_url == "http://127.0.0.1:8000"
