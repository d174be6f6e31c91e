"""Production refuses a weak GROUNDSWELL_SECRET_KEY (issue #14): too short, or guessable.

It signs CSRF tokens (and binds them to sessions): a guessable key lets anyone mint them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from groundswell.settings import SettingsError, load_settings

STRONG_PHONE_KEY = "Vq3rX0-2kLpD9sYtNw8bZc4HmE7uJa1fRgT6yQiO5xK"


def production(secret_key: str) -> dict[str, str]:
    return {
        "GROUNDSWELL_ENV": "production",
        "GROUNDSWELL_SECRET_KEY": secret_key,
        "GROUNDSWELL_PHONE_KEY": STRONG_PHONE_KEY,
        "GROUNDSWELL_DATABASE_URL": "postgresql://app@db:5432/groundswell",
        "GROUNDSWELL_PUBLIC_URL": "https://groundswell.example.org",
        # The providers are another check (tests/unit/core/test_production_providers.py).
        "GROUNDSWELL_SIMULATE": "payments,sms,email",
    }


WEAK_KEYS = [
    pytest.param("x", id="one-character"),
    pytest.param("correct-horse-battery", id="too-short"),
    pytest.param("s" * 40, id="one-repeated-character"),
    pytest.param("changeme" * 5, id="changeme-repeated"),
    pytest.param("abcd" * 12, id="short-pattern-repeated"),
    pytest.param("changeme-changeme-changeme-changeme", id="placeholder"),
    pytest.param("drill-secret-" + "x" * 40, id="mostly-one-character"),
]


@pytest.mark.parametrize("secret_key", WEAK_KEYS)
def test_production_refuses_a_weak_secret_key(tmp_path: Path, secret_key: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(production(secret_key), cwd=tmp_path)
    message = str(raised.value)
    assert "GROUNDSWELL_SECRET_KEY" in message
    assert "token_urlsafe" in message  # says how to make a good one
    assert secret_key not in message  # never echoes the secret


@pytest.mark.parametrize(
    "secret_key",
    [
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(48),
        secrets.token_hex(32),
        "bench-secret-key-0123456789abcdef0123",
    ],
)
def test_production_accepts_a_strong_secret_key(tmp_path: Path, secret_key: str) -> None:
    assert load_settings(production(secret_key), cwd=tmp_path).secret_key == secret_key


def test_development_keeps_whatever_key_it_is_given(tmp_path: Path) -> None:
    # Only production is strict: a developer may run with a short key on their laptop.
    assert load_settings({"GROUNDSWELL_SECRET_KEY": "x"}, cwd=tmp_path).secret_key == "x"


def test_cli_refuses_production_with_a_weak_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDSWELL_")}
    env.update(production("changeme"))
    env["GROUNDSWELL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "groundswell", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "GROUNDSWELL_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()
