"""Helpers for the security tests: count argon2 verifications, build an app with other limits."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import argon2
import pytest
from litestar import Litestar

from groundswell.settings import Settings
from groundswell.web.app import create_app


class Verifications:
    """How many argon2 password checks ran (every one: known and unknown accounts)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()  # checks may run in worker threads


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Verifications:
    seen = Verifications()
    real = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, *args: Any, **kwargs: Any) -> Any:
        with seen.lock:
            seen.count += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return seen


@pytest.fixture
def app_with(settings: Settings) -> Callable[..., Litestar]:
    def build(**changes: Any) -> Litestar:
        return create_app(dataclasses.replace(settings, **changes), run_scheduler=False)

    return build
