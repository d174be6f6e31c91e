"""/my-voice: a resident proves a phone is theirs with a code by SMS, then sees what is held
for it, changes whether each vouch's words are shared, or erases everything.

Nothing new is stored for this. The code step is a signed token (the voice, a nonce and an
expiry) whose code is checked by HMAC, with wrong tries counted by the same atomic limiter
as everything else; the proof afterwards is a signed, short-lived, HttpOnly cookie holding
only the voice (the keyed hash, never the number). Sending codes shares the web vouch's
per-phone and per-connection limits, so /my-voice is no way round them.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from groundswell.core import ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import TooManyRequests, ValidationFailed
from groundswell.core.i18n import current_lang
from groundswell.core.i18n import gettext as _
from groundswell.core.phones import InvalidPhoneNumber, mask_phone, normalise_phone
from groundswell.db import write_transaction
from groundswell.outbox.services import enqueue_sms
from groundswell.settings import Settings
from groundswell.vouching.messages import render
from groundswell.vouching.recording import voice_of
from groundswell.vouching.web_vouch import (
    CODE_LIFETIME,
    HOUR,
    MAX_CODE_ATTEMPTS,
    WEB_CODES_PER_PHONE_PER_HOUR,
    WEB_STARTS_PER_IP_PER_HOUR,
    web_start_bucket,
)

COOKIE = "gs_my_voice"
# Long enough to look and decide, short enough that a shared or lost phone's browser does
# not keep someone else's voice open.
SIGNED_IN_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class CodeSent:
    token: str
    masked_phone: str


def _sign(settings: Settings, purpose: str, payload: dict[str, object]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    mac = hmac.new(settings.secret_key.encode(), f"{purpose}:{body}".encode(), sha256).hexdigest()
    return f"{body}.{mac}"


def _unsign(settings: Settings, purpose: str, token: str) -> dict[str, object] | None:
    body, _, mac = (token or "").partition(".")
    expected = hmac.new(
        settings.secret_key.encode(), f"{purpose}:{body}".encode(), sha256
    ).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(payload, dict) or float(payload.get("exp", 0)) < now().timestamp():
        return None
    return payload


def _code_digest(settings: Settings, nonce: str, code: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"my-voice-code:{nonce}:{code}".encode(), sha256
    ).hexdigest()


async def send_code(settings: Settings, raw_phone: str, *, client_ip: str) -> CodeSent:
    """A code by SMS to the number typed. Any valid number may see and erase its own data,
    including numbers that may not vouch."""
    try:
        e164 = normalise_phone(raw_phone)
    except InvalidPhoneNumber as exc:
        message = _(str(exc))
        raise ValidationFailed(message, field_errors={"phone": message}) from None
    voice = voice_of(settings, e164)
    if not await ratelimit.hit(
        web_start_bucket(client_ip), limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
    ) or not await ratelimit.hit(
        f"web:phone:{voice}", limit=WEB_CODES_PER_PHONE_PER_HOUR, window=HOUR
    ):
        raise TooManyRequests(
            _("We have sent several codes to this number already. Please wait an hour.")
        )
    nonce = secrets.token_urlsafe(12)
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = _sign(
        settings,
        "my-voice-code",
        {
            "voice": voice,
            "nonce": nonce,
            "code": _code_digest(settings, nonce, code),
            "mask": mask_phone(e164),
            "exp": (now() + CODE_LIFETIME).timestamp(),
        },
    )
    async with write_transaction():
        await enqueue_sms(
            settings,
            to_e164=e164,
            body=render("verification_code", current_lang(), code=code),
            purpose="verification_code",
            dedupe_key=f"my-voice:{nonce}",
            ttl=CODE_LIFETIME,
        )
    return CodeSent(token=token, masked_phone=mask_phone(e164))


def pending_mask(settings: Settings, token: str) -> str | None:
    """The masked number a code token was sent to, or None when it expired or is not ours."""
    payload = _unsign(settings, "my-voice-code", token)
    return str(payload["mask"]) if payload else None


async def check_code(settings: Settings, token: str, code: str) -> str:
    """The signed-in cookie's value once the right code comes back; errors say what to do."""
    payload = _unsign(settings, "my-voice-code", token)
    if payload is None:
        raise ValidationFailed(
            _("This code has expired. Please start again."),
            field_errors={
                "code": _("The code expired after 10 minutes. Start again to get a new one.")
            },
        )
    nonce = str(payload["nonce"])
    # Reserve the try before checking it: a burst of guesses cannot all slip in at once.
    if not await ratelimit.hit(
        f"my-voice:tries:{nonce}", limit=MAX_CODE_ATTEMPTS, window=CODE_LIFETIME
    ):
        raise ValidationFailed(
            _("This code is locked after too many wrong tries. Please start again."),
            field_errors={"code": _("Locked after 5 wrong codes. Start again to get a new code.")},
        )
    digits = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(str(payload["code"]), _code_digest(settings, nonce, digits)):
        raise ValidationFailed(
            _("That code is not right."),
            field_errors={
                "code": _("That code is not right. Check the text message and try again.")
            },
        )
    return _sign(
        settings,
        "my-voice",
        {"voice": payload["voice"], "exp": (now() + SIGNED_IN_FOR).timestamp()},
    )


def signed_in_voice(settings: Settings, cookie: str | None) -> str | None:
    payload = _unsign(settings, "my-voice", cookie or "")
    return str(payload["voice"]) if payload else None
