"""Production refuses to pretend; a staging site that may simulate says so everywhere."""

import dataclasses
import os
import secrets
import subprocess
import sys
from pathlib import Path

from groundswell.outbox.adapters import Sent
from groundswell.outbox.services import drain, enqueue_email
from groundswell.settings import Environment, Settings
from groundswell.web.app import create_app
from tests.helpers import asgi_client

SECRETS = {
    "GROUNDSWELL_ENV": "production",
    "GROUNDSWELL_SECRET_KEY": secrets.token_urlsafe(48),
    "GROUNDSWELL_PHONE_KEY": secrets.token_urlsafe(48),
    "GROUNDSWELL_PUBLIC_URL": "https://grants.example.org",
}


def _groundswell(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GROUNDSWELL_", "STRIPE_", "TWILIO_"))
    }
    env.update(SECRETS)
    env["GROUNDSWELL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'staging.sqlite3'}"
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_refuses_production_without_providers_naming_each(tmp_path: Path) -> None:
    result = _groundswell(tmp_path, "serve", "--port", "1")
    assert result.returncode == 2, result.stdout
    for name in (
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_CONNECT_WEBHOOK_SECRET",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "GROUNDSWELL_SMTP_HOST",
        "GROUNDSWELL_EMAIL_FROM",
    ):
        assert name in result.stderr, name
    assert "Traceback" not in result.stderr
    assert "running at" not in result.stdout  # it never got as far as serving


def test_a_staging_site_may_simulate_and_every_command_says_so(tmp_path: Path) -> None:
    result = _groundswell(tmp_path, "migrate", GROUNDSWELL_SIMULATE="payments,sms,email")
    assert result.returncode == 0, result.stderr
    assert "Staging site: payments (no money moves)" in result.stderr
    assert "GROUNDSWELL_SIMULATE" in result.stderr


async def test_every_page_of_a_staging_site_names_what_is_simulated(settings: Settings) -> None:
    staging = dataclasses.replace(
        settings, env=Environment.PRODUCTION, stripe_api_key="", smtp_host="smtp.example.org"
    )
    async with asgi_client(create_app(staging, run_scheduler=False)) as web:
        for path in ("/", "/login", "/organisers"):
            page = (await web.get(path)).text
            assert "Staging site: payments (no money moves) and SMS (no text is sent)" in page
            assert "e-mail (none is sent)" not in page


async def test_pages_outside_production_carry_no_staging_banner(settings: Settings) -> None:
    async with asgi_client(create_app(settings, run_scheduler=False)) as web:
        assert "staging-banner" not in (await web.get("/")).text


class BodyRecorder:
    name = "recording"

    def __init__(self) -> None:
        self.bodies: list[str] = []

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        raise AssertionError("no SMS expected")

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent:
        self.bodies.append(body)
        return Sent(provider_id=message_id)


async def test_every_e_mail_from_a_staging_site_says_what_is_simulated(settings: Settings) -> None:
    staging = dataclasses.replace(settings, env=Environment.PRODUCTION, smtp_host="smtp.example")
    await enqueue_email(
        to="funder@example.org",
        subject="Round open for review",
        body="Your round is ready.",
        purpose="round_review",
        dedupe_key="staging:1",
    )
    recorder = BodyRecorder()
    await drain(staging, sms=recorder, email=recorder)
    (body,) = recorder.bodies
    assert body.startswith("Your round is ready.")
    assert body.rstrip().endswith(staging.simulation_notice)
    assert "payments (no money moves)" in body
