"""Groundswell's settings: the only module that reads the environment.

Every field is optional in development. In production (``GROUNDSWELL_ENV=production``)
the secrets must be given, or start-up stops with a message naming what is missing.
"""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import phonenumbers

DEFAULT_DATABASE_URL = "sqlite:///groundswell.sqlite3"
DEVELOPMENT_KEY_FILE = ".groundswell-dev-keys"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(RuntimeError):
    """Raised when the environment cannot make a usable configuration."""


@dataclass(frozen=True)
class Settings:
    env: Environment = Environment.DEVELOPMENT
    """GROUNDSWELL_ENV: development (default), test or production."""
    database_url: str = DEFAULT_DATABASE_URL
    """GROUNDSWELL_DATABASE_URL: sqlite:///path or postgresql://user:pass@host:5432/db."""
    secret_key: str = field(default="", repr=False)
    """GROUNDSWELL_SECRET_KEY: signs sessions and CSRF tokens."""
    phone_key: str = field(default="", repr=False)
    """GROUNDSWELL_PHONE_KEY: HMAC key for phone numbers and key for the encrypted ones."""
    public_url: str = "http://127.0.0.1:8000"
    """GROUNDSWELL_PUBLIC_URL: the URL people, Twilio and Stripe reach us on."""
    twilio_account_sid: str = ""
    """TWILIO_ACCOUNT_SID: enables the Twilio REST adapter for outgoing SMS."""
    twilio_auth_token: str = field(default="", repr=False)
    """TWILIO_AUTH_TOKEN: checks X-Twilio-Signature; without it the SMS webhook answers 503."""
    twilio_from_number: str = ""
    """TWILIO_FROM_NUMBER: the number outgoing SMS come from."""
    twilio_messaging_service_sid: str = ""
    """TWILIO_MESSAGING_SERVICE_SID: send through this Messaging Service (MG...) instead of
    from TWILIO_FROM_NUMBER; Twilio picks the sender from the service's pool."""
    twilio_api_base: str = ""
    """TWILIO_API_BASE: points the Twilio SDK at a Twilio-compatible server (tests)."""
    stripe_api_key: str = field(default="", repr=False)
    """STRIPE_API_KEY: enables the Stripe adapter; without it payments are simulated."""
    stripe_webhook_secret: str = field(default="", repr=False)
    """STRIPE_WEBHOOK_SECRET: checks Stripe-Signature on /webhooks/stripe."""
    stripe_connect_webhook_secret: str = field(default="", repr=False)
    """STRIPE_CONNECT_WEBHOOK_SECRET: checks Stripe-Signature on /webhooks/stripe/connect, the
    endpoint Stripe sends connected accounts' events to (signed with its own secret)."""
    stripe_api_base: str = ""
    """STRIPE_API_BASE: points the Stripe SDK at a Stripe-compatible server (tests)."""
    smtp_host: str = ""
    """GROUNDSWELL_SMTP_HOST: send e-mail through this SMTP server; empty keeps it in the outbox page."""
    smtp_port: int | None = None
    """GROUNDSWELL_SMTP_PORT: the SMTP server's port (default: 587 for starttls, 465 for tls,
    25 for none)."""
    smtp_tls: str = "starttls"
    """GROUNDSWELL_SMTP_TLS: starttls (default: upgrade the connection, refuse to send if the
    server cannot), tls (implicit TLS from the first byte, usually port 465) or none."""
    smtp_user: str = ""
    """GROUNDSWELL_SMTP_USER: log in to the SMTP server as this user (needs TLS)."""
    smtp_password: str = field(default="", repr=False)
    """GROUNDSWELL_SMTP_PASSWORD: the SMTP user's password."""
    smtp_ca_file: str = ""
    """GROUNDSWELL_SMTP_CA_FILE: trust the certificates in this PEM file for the SMTP server
    (a relay with a private certificate authority; tests) instead of the system's."""
    email_from: str = "Groundswell <noreply@groundswell.invalid>"
    """GROUNDSWELL_EMAIL_FROM: the From address of e-mail we send."""
    contact_email: str = ""
    """GROUNDSWELL_CONTACT_EMAIL: the address people write to (the /contact, /privacy and
    /accessibility pages show it); empty: those pages say how to reach us without one."""
    session_idle_minutes: int = 120
    """GROUNDSWELL_SESSION_IDLE_MINUTES: a session unused this long ends."""
    session_absolute_hours: int = 12
    """GROUNDSWELL_SESSION_ABSOLUTE_HOURS: a session ends this long after login, used or not."""
    login_attempts_per_15_minutes: int = 10
    """GROUNDSWELL_LOGIN_ATTEMPTS: failed sign-ins allowed per account (the e-mail typed) in
    15 minutes; each attempt takes its place before the password is checked."""
    login_attempts_per_address: int = 100
    """GROUNDSWELL_LOGIN_ATTEMPTS_PER_ADDRESS: failed sign-ins allowed per source address (an
    IPv4 address or an IPv6 /64) in 15 minutes, across all accounts: generous, so the people
    behind one office or school address are not locked out by one locked account."""
    trusted_proxies: str = "127.0.0.1,::1"
    """GROUNDSWELL_TRUSTED_PROXIES: comma-separated addresses or CIDR networks of the reverse
    proxies in front of Groundswell. Only a connection from one of them may say, in
    X-Forwarded-For, whom it forwards (core/client_address.py); uvicorn gets the same list.
    Default: loopback only (a proxy on this machine)."""
    scheduler_enabled: bool = True
    """GROUNDSWELL_SCHEDULER: run the scheduler inside `serve` (false: run `groundswell scheduler`)."""
    sms_inline: bool | None = None
    """GROUNDSWELL_SMS_INLINE: true processes each text inside the Twilio webhook and answers
    with the reply as TwiML (small sites, tests); false records it, answers at once and
    leaves it to the processor (`groundswell sms process` or the scheduler), which queues the
    reply through the outbox. Default: inline in the test environment only."""
    job_interval_seconds: int | None = None
    """GROUNDSWELL_JOB_INTERVAL_SECONDS: run every interval job this often instead of its own
    interval (fault drills and load tests only; daily jobs keep their time)."""
    grant_id_prefix: str = "360G-groundswell"
    """GROUNDSWELL_360G_PREFIX: the 360Giving identifier prefix for grants we publish."""
    log_level: str = "INFO"
    """GROUNDSWELL_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""
    log_format: str = "text"
    """GROUNDSWELL_LOG_FORMAT: text (default) or json (one JSON object per line, with the
    request id, for a log collector)."""
    simulate: str = ""
    """GROUNDSWELL_SIMULATE: in production, which providers may be simulated by their offline
    adapter (a staging site): any of payments, sms, email, comma-separated. Every page, e-mail
    and command then says so."""
    metrics_addresses: str = "127.0.0.1/32,::1/128"
    """GROUNDSWELL_METRICS_ADDRESSES: networks that may read /metrics without a token
    (comma-separated; loopback by default). Anyone else needs an admin's API token."""
    health_outbox_minutes: int = 15
    """GROUNDSWELL_HEALTH_OUTBOX_MINUTES: /health is degraded when a message has been due
    for longer than this."""
    bank_deposit_reconcile_days: int = 3
    """GROUNDSWELL_BANK_DEPOSIT_RECONCILE_DAYS: a bank-transfer deposit received longer ago
    than this with no platform top-up reference recorded is a reconciliation difference
    (`payments reconcile`, /admin/reconciliation, /health)."""
    health_job_failures: int = 3
    """GROUNDSWELL_HEALTH_JOB_FAILURES: /health is degraded when a job has failed this many
    times in a row."""
    paused_round_reminder_days: int = 7
    """GROUNDSWELL_PAUSED_ROUND_REMINDER_DAYS: a round paused this long e-mails the funder's
    users and administrators, once per round per this many days, until it is resumed or
    cancelled (its money stays committed while it is paused)."""
    listening_min_answers: int = 5
    """GROUNDSWELL_LISTENING_MIN_ANSWERS: an organiser's 0-10 "tell a neighbour" answers are
    shown (spread and net score) only once at least this many residents have answered, so no
    one resident's answer can be read off the figures; below it nothing is shown."""
    listening_median_seconds: int = 300
    """GROUNDSWELL_LISTENING_MEDIAN_SECONDS: how long a pool's median organiser (the benchmark
    on organiser and place pages) is reused before it is counted again. Counting it reads
    every voice of every organiser the pool could fund (about 0.7 s at a million voices), so
    pages reuse it; it is recomputed at once in the test environment."""
    vouch_regions: str = "GB"
    """GROUNDSWELL_VOUCH_REGIONS: the countries whose mobile numbers may vouch, as ISO 3166
    region codes separated by commas (default GB). Landlines, UK personal numbers (070) and
    other non-mobile numbers can never vouch; any number may still use STOP, MYDATA, DELETE."""
    # Statutory periods for the programme's clocks: the law as written, configurable because
    # the law changes (Localism Act 2011; Assets of Community Value (England) Regs 2012).
    nomination_decision_weeks: int = 8
    """GROUNDSWELL_NOMINATION_DECISION_WEEKS: the council decides a nomination within this."""
    listing_years: int = 5
    """GROUNDSWELL_LISTING_YEARS: how long an asset stays listed."""
    interim_moratorium_weeks: int = 6
    """GROUNDSWELL_INTERIM_MORATORIUM_WEEKS: from the owner's notice of disposal."""
    full_moratorium_months: int = 6
    """GROUNDSWELL_FULL_MORATORIUM_MONTHS: from the same notice, once a group asks to bid."""
    protected_period_months: int = 18
    """GROUNDSWELL_PROTECTED_PERIOD_MONTHS: from the same notice."""

    @property
    def vouch_region_codes(self) -> frozenset[str]:
        """GROUNDSWELL_VOUCH_REGIONS as a set of upper-case region codes."""
        return frozenset(
            code.strip().upper() for code in self.vouch_regions.split(",") if code.strip()
        )

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def sms_processed_inline(self) -> bool:
        if self.sms_inline is not None:
            return self.sms_inline
        return self.env is Environment.TEST

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.is_production or self.public_url.startswith("https://")

    @property
    def offline_providers(self) -> frozenset[str]:
        """Providers served by their offline adapter (nothing leaves the building)."""
        offline = set()
        if not self.stripe_api_key:
            offline.add("payments")
        if not (
            self.twilio_account_sid
            and self.twilio_auth_token
            and (self.twilio_from_number or self.twilio_messaging_service_sid)
        ):
            offline.add("sms")
        if not self.smtp_host:
            offline.add("email")
        return frozenset(offline)

    @property
    def staging_simulations(self) -> tuple[str, ...]:
        """In production, what is simulated (allowed by GROUNDSWELL_SIMULATE), in a fixed
        order; empty outside production, where nothing pretends to be real."""
        if not self.is_production:
            return ()
        return tuple(p for p in SIMULATED_PROVIDERS if p in self.offline_providers)

    @property
    def simulation_notice(self) -> str:
        """One sentence for pages, e-mails and commands; empty when nothing is simulated."""
        names = self.staging_simulations
        if not names:
            return ""
        words = [SIMULATION_WORDS[name] for name in names]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"Staging site: {listed} {'is' if len(words) == 1 else 'are'} simulated (GROUNDSWELL_SIMULATE)."

    @property
    def smtp_port_or_default(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return {"tls": 465, "none": 25}.get(self.smtp_tls, 587)


ENV_NAMES: Mapping[str, str] = {
    "env": "GROUNDSWELL_ENV",
    "database_url": "GROUNDSWELL_DATABASE_URL",
    "secret_key": "GROUNDSWELL_SECRET_KEY",
    "phone_key": "GROUNDSWELL_PHONE_KEY",
    "public_url": "GROUNDSWELL_PUBLIC_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_from_number": "TWILIO_FROM_NUMBER",
    "twilio_messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
    "twilio_api_base": "TWILIO_API_BASE",
    "stripe_api_key": "STRIPE_API_KEY",
    "stripe_webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "stripe_connect_webhook_secret": "STRIPE_CONNECT_WEBHOOK_SECRET",
    "stripe_api_base": "STRIPE_API_BASE",
    "smtp_host": "GROUNDSWELL_SMTP_HOST",
    "smtp_port": "GROUNDSWELL_SMTP_PORT",
    "smtp_tls": "GROUNDSWELL_SMTP_TLS",
    "smtp_user": "GROUNDSWELL_SMTP_USER",
    "smtp_password": "GROUNDSWELL_SMTP_PASSWORD",
    "smtp_ca_file": "GROUNDSWELL_SMTP_CA_FILE",
    "email_from": "GROUNDSWELL_EMAIL_FROM",
    "contact_email": "GROUNDSWELL_CONTACT_EMAIL",
    "session_idle_minutes": "GROUNDSWELL_SESSION_IDLE_MINUTES",
    "session_absolute_hours": "GROUNDSWELL_SESSION_ABSOLUTE_HOURS",
    "login_attempts_per_15_minutes": "GROUNDSWELL_LOGIN_ATTEMPTS",
    "login_attempts_per_address": "GROUNDSWELL_LOGIN_ATTEMPTS_PER_ADDRESS",
    "trusted_proxies": "GROUNDSWELL_TRUSTED_PROXIES",
    "scheduler_enabled": "GROUNDSWELL_SCHEDULER",
    "sms_inline": "GROUNDSWELL_SMS_INLINE",
    "job_interval_seconds": "GROUNDSWELL_JOB_INTERVAL_SECONDS",
    "grant_id_prefix": "GROUNDSWELL_360G_PREFIX",
    "log_level": "GROUNDSWELL_LOG_LEVEL",
    "log_format": "GROUNDSWELL_LOG_FORMAT",
    "simulate": "GROUNDSWELL_SIMULATE",
    "metrics_addresses": "GROUNDSWELL_METRICS_ADDRESSES",
    "health_outbox_minutes": "GROUNDSWELL_HEALTH_OUTBOX_MINUTES",
    "health_job_failures": "GROUNDSWELL_HEALTH_JOB_FAILURES",
    "bank_deposit_reconcile_days": "GROUNDSWELL_BANK_DEPOSIT_RECONCILE_DAYS",
    "paused_round_reminder_days": "GROUNDSWELL_PAUSED_ROUND_REMINDER_DAYS",
    "listening_min_answers": "GROUNDSWELL_LISTENING_MIN_ANSWERS",
    "listening_median_seconds": "GROUNDSWELL_LISTENING_MEDIAN_SECONDS",
    "vouch_regions": "GROUNDSWELL_VOUCH_REGIONS",
    "nomination_decision_weeks": "GROUNDSWELL_NOMINATION_DECISION_WEEKS",
    "listing_years": "GROUNDSWELL_LISTING_YEARS",
    "interim_moratorium_weeks": "GROUNDSWELL_INTERIM_MORATORIUM_WEEKS",
    "full_moratorium_months": "GROUNDSWELL_FULL_MORATORIUM_MONTHS",
    "protected_period_months": "GROUNDSWELL_PROTECTED_PERIOD_MONTHS",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(name: str, raw: str, kind: type) -> object:
    env_name = ENV_NAMES[name]
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{env_name} must be true or false, not {raw!r}.")
    if kind is int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{env_name} must be a whole number, not {raw!r}.") from None
        if value <= 0:
            raise SettingsError(f"{env_name} must be greater than zero.")
        return value
    if kind is Environment:
        try:
            return Environment(raw.strip().lower())
        except ValueError:
            allowed = ", ".join(e.value for e in Environment)
            raise SettingsError(f"{env_name} must be one of {allowed}, not {raw!r}.") from None
    return raw.strip()


def _development_keys(directory: Path) -> tuple[str, str]:
    """Keys for development, kept in a git-ignored file so sessions and hashes survive restarts."""
    key_file = directory / DEVELOPMENT_KEY_FILE
    if key_file.exists():
        lines = key_file.read_text().split()
        if len(lines) == 2:
            return lines[0], lines[1]
    secret, phone = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    key_file.write_text(f"{secret}\n{phone}\n")
    key_file.chmod(0o600)
    return secret, phone


def load_settings(environ: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    types = {f.name: f.type for f in fields(Settings)}
    kinds = {
        "bool": bool,
        "bool | None": bool,
        "int": int,
        "int | None": int,
        "Environment": Environment,
    }
    values: dict[str, object] = {}
    for name, env_name in ENV_NAMES.items():
        raw = environ.get(env_name)
        if raw is None or raw == "":
            continue
        values[name] = _parse(name, raw, kinds.get(str(types[name]), str))
    settings = Settings(**values)  # type: ignore[arg-type]
    _check_database_url(settings.database_url)
    _check_smtp(settings)
    _check_contact_email(settings.contact_email)
    _check_public_url(settings.public_url)
    _check_vouch_regions(settings)
    _check_trusted_proxies(settings.trusted_proxies)
    _check_simulate_and_logs(settings)
    if settings.is_production:
        missing = [
            ENV_NAMES[name] for name in ("secret_key", "phone_key") if not getattr(settings, name)
        ]
        if missing:
            raise SettingsError(
                "Groundswell is in production mode (GROUNDSWELL_ENV=production) and will not "
                f"start without {' and '.join(missing)}. Set "
                f"{'them' if len(missing) > 1 else 'it'} to long random values, e.g. the output "
                "of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`, and keep "
                "them: changing GROUNDSWELL_PHONE_KEY disconnects every resident's voice."
            )
        _check_secret_key_strength(settings.secret_key)
        # Plain http only on this machine (a drill or deploy-local), never for residents.
        loopback = urlsplit(settings.public_url).hostname in ("127.0.0.1", "localhost", "::1")
        if not settings.public_url.startswith("https://") and not loopback:
            raise SettingsError(
                "GROUNDSWELL_PUBLIC_URL must use https in production (residents follow these "
                f"links from texts and e-mails), not {settings.public_url!r}."
            )
        _check_providers(settings)
        return settings
    if not settings.secret_key or not settings.phone_key:
        secret, phone = _development_keys(cwd or Path.cwd())
        settings = Settings(
            **{
                **values,
                "secret_key": settings.secret_key or secret,
                "phone_key": settings.phone_key or phone,
            }  # type: ignore[arg-type]
        )
    return settings


def _check_vouch_regions(settings: Settings) -> None:
    unknown = sorted(settings.vouch_region_codes - phonenumbers.SUPPORTED_REGIONS)
    if unknown or not settings.vouch_region_codes:
        raise SettingsError(
            "GROUNDSWELL_VOUCH_REGIONS must be ISO 3166 region codes separated by commas, "
            f"such as GB or GB,JE,GG,IM; not recognised: {', '.join(unknown) or '(none given)'}."
        )


def _check_trusted_proxies(spec: str) -> None:
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                "GROUNDSWELL_TRUSTED_PROXIES must list IP addresses or networks separated by "
                f"commas (e.g. 127.0.0.1,10.0.0.0/8), and {entry!r} is neither."
            ) from None


MIN_SECRET_KEY_LENGTH = 32
# A key drawn at random (secrets.token_urlsafe(32): 43 characters, about 5.5 bits each as
# counted below) scores far above this; a word, a pattern or one character repeated does not.
MIN_SECRET_KEY_BITS = 128
# Fragments of the placeholders people paste from examples: a key containing one was typed.
PLACEHOLDER_FRAGMENTS = ("changeme", "change-me", "change_me", "secret-key-here", "replace-me")


def _estimated_bits(value: str) -> float:
    """A rough upper bound on a string's entropy: its length times the Shannon entropy of its
    characters, taken from the smallest unit it repeats (so "abcd" * 12 scores as "abcd")."""
    unit = value
    for size in range(1, len(value) // 2 + 1):
        if len(value) % size == 0 and value[:size] * (len(value) // size) == value:
            unit = value[:size]
            break
    counts = Counter(unit)
    per_character = -sum((n / len(unit)) * math.log2(n / len(unit)) for n in counts.values())
    return per_character * len(unit)


def _check_secret_key_strength(secret_key: str) -> None:
    """The secret key signs CSRF tokens: one that can be guessed lets anyone forge them.
    The message names the setting and the rule, never the value."""
    lowered = secret_key.lower()
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        problem = f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    elif any(fragment in lowered for fragment in PLACEHOLDER_FRAGMENTS):
        problem = "looks like a placeholder from an example"
    elif _estimated_bits(secret_key) < MIN_SECRET_KEY_BITS:
        problem = "is too easy to guess (a word, a pattern or repeated characters)"
    else:
        return
    raise SettingsError(
        f"GROUNDSWELL_SECRET_KEY {problem}; production needs a long random value, e.g. the "
        "output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
    )


SMTP_TLS_MODES = ("starttls", "tls", "none")
SIMULATED_PROVIDERS = ("payments", "sms", "email")
SIMULATION_WORDS = {
    "payments": "payments (no money moves)",
    "sms": "SMS (no text is sent)",
    "email": "e-mail (none is sent)",
}
LOG_FORMATS = ("text", "json")


def _allowed_simulations(settings: Settings) -> set[str]:
    return {part.strip().lower() for part in settings.simulate.split(",") if part.strip()}


def _check_simulate_and_logs(settings: Settings) -> None:
    unknown = _allowed_simulations(settings) - set(SIMULATED_PROVIDERS)
    if unknown:
        raise SettingsError(
            f"GROUNDSWELL_SIMULATE names {', '.join(sorted(unknown))}: it may list only "
            f"{', '.join(SIMULATED_PROVIDERS)}."
        )
    if settings.log_format not in LOG_FORMATS:
        raise SettingsError(
            f"GROUNDSWELL_LOG_FORMAT must be text or json, not {settings.log_format!r}."
        )


def _missing_provider_settings(settings: Settings) -> dict[str, list[str]]:
    """Per provider, the variables production still needs for its real adapter."""
    missing: dict[str, list[str]] = {
        "payments": [
            ENV_NAMES[name]
            for name in ("stripe_api_key", "stripe_webhook_secret", "stripe_connect_webhook_secret")
            if not getattr(settings, name)
        ],
        "sms": [
            ENV_NAMES[name]
            for name in ("twilio_account_sid", "twilio_auth_token")
            if not getattr(settings, name)
        ],
        "email": [],
    }
    if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
        missing["sms"].append("TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)")
    if not settings.smtp_host:
        missing["email"].append("GROUNDSWELL_SMTP_HOST")
    if settings.email_from == Settings.email_from:
        # The default From is a placeholder (.invalid): no mail server should accept it.
        missing["email"].append("GROUNDSWELL_EMAIL_FROM")
    return missing


def _check_providers(settings: Settings) -> None:
    """Production never pretends: each provider is configured, or simulating it is allowed
    by GROUNDSWELL_SIMULATE (and then only when its offline adapter is what runs)."""
    allowed = _allowed_simulations(settings)
    problems = []
    for provider, names in _missing_provider_settings(settings).items():
        if not names or (provider in allowed and provider in settings.offline_providers):
            continue
        problems.extend(names)
    if problems:
        raise SettingsError(
            "Groundswell is in production mode (GROUNDSWELL_ENV=production) and will not "
            f"pretend to pay or send: set {', '.join(problems)}. A staging site may instead "
            "allow simulation with GROUNDSWELL_SIMULATE=payments,sms,email (any of them)."
        )


def _check_smtp(settings: Settings) -> None:
    if settings.smtp_tls not in SMTP_TLS_MODES:
        raise SettingsError(
            f"GROUNDSWELL_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, "
            f"not {settings.smtp_tls!r}."
        )
    if bool(settings.smtp_user) != bool(settings.smtp_password):
        raise SettingsError(
            "GROUNDSWELL_SMTP_USER and GROUNDSWELL_SMTP_PASSWORD go together: set both or neither."
        )
    if settings.smtp_user and settings.smtp_tls == "none":
        raise SettingsError(
            "GROUNDSWELL_SMTP_USER is set with GROUNDSWELL_SMTP_TLS=none: Groundswell never sends "
            "a password in clear. Use starttls or tls."
        )


def _check_contact_email(address: str) -> None:
    """One plain address, shown as a mailto: link on every public page's footer pages."""
    local, at, domain = address.partition("@")
    if address and not (
        at
        and local
        and "." in domain
        and len(address) <= 254
        and not set(address) & set(" <>,;:\"'()\\")
    ):
        raise SettingsError(
            f"GROUNDSWELL_CONTACT_EMAIL must be one e-mail address such as help@example.org, not {address!r}."
        )


def _check_public_url(url: str) -> None:
    """Every link Groundswell sends (codes, payments, e-mails, posters) starts with this, so a
    wrong one fails loudly at start-up rather than in a resident's text message."""
    parts = urlsplit(url)
    problem = ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "must be a full web address such as https://groundswell.example.org"
    elif parts.query or parts.fragment or parts.username or parts.password:
        problem = "must not carry a query, fragment or password"
    elif not _port_is_valid(parts):
        problem = "has a port that is not a number from 1 to 65535"
    if problem:
        raise SettingsError(f"GROUNDSWELL_PUBLIC_URL {problem}, not {url!r}.")


def _port_is_valid(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - urllib validates the port when it is read
    except ValueError:
        return False
    return True


def _check_database_url(url: str) -> None:
    if not (url.startswith("sqlite:///") or url.startswith(("postgresql://", "postgres://"))):
        raise SettingsError(
            "GROUNDSWELL_DATABASE_URL must start with sqlite:/// (a file) or postgresql:// "
            f"(a server), not {url.split('://')[0]!r}://…"
        )
