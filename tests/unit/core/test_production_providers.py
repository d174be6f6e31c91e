"""Production never pretends: each provider is configured or explicitly simulated."""

import secrets
from pathlib import Path

import pytest

from groundswell.settings import SettingsError, load_settings

SECRETS = {
    "GROUNDSWELL_ENV": "production",
    "GROUNDSWELL_SECRET_KEY": secrets.token_urlsafe(48),
    "GROUNDSWELL_PHONE_KEY": secrets.token_urlsafe(48),
}
PROVIDERS = {
    "STRIPE_API_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_connect",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+447911123456",
    "GROUNDSWELL_SMTP_HOST": "smtp.example.org",
    "GROUNDSWELL_EMAIL_FROM": "Groundswell <grants@example.org>",
}


def test_every_missing_provider_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(SECRETS, cwd=tmp_path)
    message = str(raised.value)
    for name in [*PROVIDERS, "TWILIO_MESSAGING_SERVICE_SID", "GROUNDSWELL_SIMULATE"]:
        assert name in message, name


@pytest.mark.parametrize("left_out", sorted(PROVIDERS))
def test_one_missing_variable_is_enough_to_refuse(tmp_path: Path, left_out: str) -> None:
    environ = {**SECRETS, **{k: v for k, v in PROVIDERS.items() if k != left_out}}
    with pytest.raises(SettingsError) as raised:
        load_settings(environ, cwd=tmp_path)
    assert left_out in str(raised.value)


def test_a_messaging_service_stands_in_for_the_from_number(tmp_path: Path) -> None:
    environ = {**SECRETS, **PROVIDERS, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}
    del environ["TWILIO_FROM_NUMBER"]
    settings = load_settings(environ, cwd=tmp_path)
    assert settings.offline_providers == frozenset() and settings.simulation_notice == ""


def test_fully_configured_production_simulates_nothing(tmp_path: Path) -> None:
    settings = load_settings({**SECRETS, **PROVIDERS}, cwd=tmp_path)
    assert settings.staging_simulations == ()


def test_staging_may_simulate_named_providers_and_says_so(tmp_path: Path) -> None:
    environ = {
        **SECRETS,
        "GROUNDSWELL_SIMULATE": "payments, SMS",
        "GROUNDSWELL_SMTP_HOST": "smtp.example.org",
        "GROUNDSWELL_EMAIL_FROM": "grants@example.org",
    }
    settings = load_settings(environ, cwd=tmp_path)
    assert settings.staging_simulations == ("payments", "sms")
    assert "payments (no money moves)" in settings.simulation_notice
    assert "SMS (no text is sent)" in settings.simulation_notice
    assert "e-mail" not in settings.simulation_notice


def test_allowing_one_provider_does_not_excuse_another(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**SECRETS, "GROUNDSWELL_SIMULATE": "payments"}, cwd=tmp_path)
    message = str(raised.value)
    assert "STRIPE_API_KEY" not in message
    assert "TWILIO_ACCOUNT_SID" in message and "GROUNDSWELL_SMTP_HOST" in message


def test_a_half_configured_real_adapter_is_not_excused_by_simulation(tmp_path: Path) -> None:
    # A live key without its webhook secret would run the real adapter blind to events.
    environ = {**SECRETS, **PROVIDERS, "GROUNDSWELL_SIMULATE": "payments"}
    del environ["STRIPE_WEBHOOK_SECRET"]
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET"):
        load_settings(environ, cwd=tmp_path)


def test_unknown_simulation_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GROUNDSWELL_SIMULATE names ledger"):
        load_settings({"GROUNDSWELL_SIMULATE": "payments,ledger"}, cwd=tmp_path)


def test_development_never_shows_the_staging_notice(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert settings.offline_providers == {"payments", "sms", "email"}
    assert settings.simulation_notice == ""
