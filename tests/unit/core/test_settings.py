import secrets
from pathlib import Path

import pytest

from groundswell.settings import Environment, SettingsError, load_settings


def test_development_needs_no_settings_and_keeps_its_keys(tmp_path: Path) -> None:
    first = load_settings({}, cwd=tmp_path)
    second = load_settings({}, cwd=tmp_path)
    assert first.env is Environment.DEVELOPMENT
    assert first.database_url == "sqlite:///groundswell.sqlite3"
    assert first.secret_key and first.phone_key
    assert (first.secret_key, first.phone_key) == (second.secret_key, second.phone_key)


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "GROUNDSWELL_SECRET_KEY and GROUNDSWELL_PHONE_KEY"),
        ({"GROUNDSWELL_SECRET_KEY": "s" * 40}, "GROUNDSWELL_PHONE_KEY"),
        ({"GROUNDSWELL_PHONE_KEY": "p" * 40}, "GROUNDSWELL_SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_secrets(
    tmp_path: Path, environ: dict[str, str], missing: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"GROUNDSWELL_ENV": "production", **environ}, cwd=tmp_path)
    assert f"without {missing}" in str(raised.value)
    assert not (tmp_path / ".groundswell-dev-keys").exists()


def test_production_with_secrets_starts(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "GROUNDSWELL_ENV": "production",
            # Production refuses a guessable secret key (tests/security/test_secret_key.py).
            "GROUNDSWELL_SECRET_KEY": "Vq3rX0-2kLpD9sYtNw8bZc4HmE7uJa1fRgT6yQiO5xK",
            "GROUNDSWELL_PHONE_KEY": "p" * 40,
            "GROUNDSWELL_DATABASE_URL": "postgresql://app@db:5432/groundswell",
            "GROUNDSWELL_PUBLIC_URL": "https://groundswell.example.org",
            "GROUNDSWELL_SIMULATE": "payments,sms,email",
        },
        cwd=tmp_path,
    )
    assert settings.is_production and settings.secure_cookies and not settings.is_sqlite


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org", "must be a full web address"),
        ("javascript:alert(1)", "must be a full web address"),
        ("example.org", "must be a full web address"),
        ("http://127.0.0.1:99999", "has a port that is not a number"),
        ("https://example.org/?next=evil", "must not carry a query"),
        ("https://user:pw@example.org", "must not carry a query, fragment or password"),
    ],
)
def test_a_public_url_that_cannot_work_is_refused_at_start_up(
    tmp_path: Path, url: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"GROUNDSWELL_PUBLIC_URL": url}, cwd=tmp_path)


def test_production_links_use_https(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="must use https in production"):
        load_settings(
            {
                "GROUNDSWELL_ENV": "production",
                "GROUNDSWELL_SECRET_KEY": secrets.token_urlsafe(48),
                "GROUNDSWELL_PHONE_KEY": secrets.token_urlsafe(48),
                "GROUNDSWELL_PUBLIC_URL": "http://groundswell.example.org",
            },
            cwd=tmp_path,
        )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GROUNDSWELL_ENV": "staging"}, "GROUNDSWELL_ENV must be one of"),
        ({"GROUNDSWELL_SESSION_IDLE_MINUTES": "soon"}, "must be a whole number"),
        ({"GROUNDSWELL_SCHEDULER": "maybe"}, "must be true or false"),
        ({"GROUNDSWELL_DATABASE_URL": "mysql://x/y"}, "must start with sqlite:///"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ, cwd=tmp_path)


def test_vouch_regions_default_to_gb_and_unknown_codes_stop_start_up(tmp_path) -> None:
    assert load_settings({}, cwd=tmp_path).vouch_region_codes == frozenset({"GB"})
    assert load_settings(
        {"GROUNDSWELL_VOUCH_REGIONS": " gb, je ,"}, cwd=tmp_path
    ).vouch_region_codes == frozenset({"GB", "JE"})
    with pytest.raises(SettingsError, match=r"GROUNDSWELL_VOUCH_REGIONS.*UK"):
        load_settings({"GROUNDSWELL_VOUCH_REGIONS": "UK"}, cwd=tmp_path)
