"""Vouching on the web: the form at /vouch/{code}, a code by SMS to the number given, and
the vouch recorded when the code comes back (`confirm_web_vouch`)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from typing import Any

from groundswell.community.codes import normalise_code
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.core import ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import DomainError, NotFound, TooManyRequests, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.phones import InvalidPhoneNumber, PhoneCipher, mask_phone, normalise_phone
from groundswell.db import locked, write_transaction
from groundswell.outbox.services import enqueue_sms, status_of
from groundswell.settings import Settings
from groundswell.vouching.eligibility import vouch_refusal, web_refusal_message
from groundswell.vouching.messages import render
from groundswell.vouching.recording import (
    TESTIMONY_MAX,
    TESTIMONY_MIN,
    VouchOutcome,
    claim_resident,
    left_organiser_name,
    organiser_for_code,
    record_endorsement,
    source_hash,
    voice_of,
)
from groundswell.vouching.redact import remove_phone_numbers
from groundswell.vouching.states import Channel, Theme, Verification
from groundswell.vouching.tables import Resident, WebVerification

CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
WEB_STARTS_PER_IP_PER_HOUR = 20
WEB_CODES_PER_PHONE_PER_HOUR = 5
SCORE_MIN, SCORE_MAX = 0, 10  # "How likely are you to tell a neighbour to go to them?"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class WebVouchStarted:
    token: str


def _code_digest(settings: Settings, token: str, code: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"vouch-code:{token}:{code}".encode(), sha256
    ).hexdigest()


def _token_digest(token: str) -> str:
    return sha256(token.encode()).hexdigest()


class OrganiserLeft(DomainError):
    """Vouching for an organiser who has left the role: refused, kindly (410 Gone)."""

    status_code = 410
    title = "This organiser has left"

    def __init__(self, organiser_name: str) -> None:
        super().__init__(
            f"{organiser_name} has left the organiser role, so we are not taking new vouches "
            "for them. Thank you for wanting to say something: what residents said before stays "
            "on their page. If another organiser helped you, their card or poster has their code."
        )
        self.organiser_name = organiser_name


async def organiser_for_vouching(raw_code: str) -> dict[str, Any]:
    """The organiser to vouch for; OrganiserLeft if they have left the role, NotFound if no
    organiser has the code."""
    left = await left_organiser_name(normalise_code(raw_code))
    if left is not None:
        raise OrganiserLeft(left)
    row = await organiser_for_code(
        normalise_code(raw_code),
        Organiser.bio,
        Organiser.host.name.as_alias("host_name"),
        Organiser.locality.name.as_alias("locality_name"),
    )
    if row is None:
        raise NotFound(
            f"There is no organiser with the code {raw_code[:20]}. Check the code on the card or poster."
        )
    return row


def read_web_vouch(
    raw: dict[str, Any], regions: frozenset[str] = frozenset({"GB"})
) -> tuple[dict[str, Any], str]:
    """Validate the web vouch form; returns the clean values and the E.164 number. A number
    that may not vouch (`regions`, mobiles only) is the phone field's error, like a typo."""
    fields = FieldReader(raw)
    testimony = fields.text("testimony", max_length=TESTIMONY_MAX)
    if testimony and len(testimony) < TESTIMONY_MIN:
        fields.errors["testimony"] = f"Tell us a little more: at least {TESTIMONY_MIN} characters."
    theme = fields.choice("theme", Theme, default=Theme.VALUE)
    display_name = fields.text("display_name", required=False, max_length=40)
    neighbourhood = fields.text("neighbourhood", required=False, max_length=60)
    score = read_score(raw.get("score"), fields.errors)
    phone_raw = fields.text("phone", max_length=40)
    e164 = ""
    if phone_raw:
        try:
            e164 = normalise_phone(phone_raw)
        except InvalidPhoneNumber as exc:
            fields.errors["phone"] = str(exc)
        else:
            refusal = vouch_refusal(e164, regions)
            if refusal is not None:
                fields.errors["phone"] = web_refusal_message(refusal, regions)
    # GOV.UK style: a missing answer says what to do, not just that something is missing.
    missing = {
        "testimony": f"Tell us in your own words what they did, in at least {TESTIMONY_MIN} characters.",
        "phone": "Enter your mobile number, for example 07911 123456.",
    }
    for name, message in missing.items():
        if fields.errors.get(name) == "This is required.":
            fields.errors[name] = message
    fields.check("Please check your vouch.")
    values = {
        "testimony": remove_phone_numbers(testimony),
        "theme": theme,
        "display_name": remove_phone_numbers(display_name),
        "neighbourhood": remove_phone_numbers(neighbourhood),
        # Two plain questions: where the words may appear (neither: counted, never shown).
        "show_public": bool(raw.get("show_public")),
        "show_funders": bool(raw.get("show_funders")),
        "hear_back": bool(raw.get("hear_back")),
        "score": score,
    }
    return values, e164


def read_score(raw: Any, errors: dict[str, str]) -> int | None:
    """The optional 0-10 answer: empty (or "rather not say") is None; anything else must be a
    whole number from 0 to 10, or the field gets one clear message."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and SCORE_MIN <= int(text) <= SCORE_MAX:
        return int(text)
    errors["score"] = (
        f"Choose a whole number from {SCORE_MIN} to {SCORE_MAX}, or leave this question out."
    )
    return None


def web_start_bucket(client_ip: str) -> str:
    """One limit per connection: an IPv6 client holds a whole /64, so its addresses share
    one bucket (ratelimit.source_key), as they do for login and the source signal."""
    return f"web:ip:{ratelimit.source_key(client_ip)}"


async def start_web_vouch(
    settings: Settings, raw_code: str, raw: dict[str, Any], *, client_ip: str
) -> WebVouchStarted:
    organiser = await organiser_for_vouching(raw_code)
    values, e164 = read_web_vouch(raw, settings.vouch_region_codes)
    voice = voice_of(settings, e164)
    if organiser["phone_hash"] == voice:
        raise ValidationFailed(
            "Organisers cannot vouch for themselves.",
            field_errors={
                "phone": "This is the organiser's own number. Ask the people you work with to vouch instead."
            },
        )
    if not await ratelimit.hit(
        web_start_bucket(client_ip), limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
    ):
        raise TooManyRequests("Too many vouches from this connection. Please try again in an hour.")
    if not await ratelimit.hit(
        f"web:phone:{voice}", limit=WEB_CODES_PER_PHONE_PER_HOUR, window=HOUR
    ):
        raise TooManyRequests(
            "We have sent several codes to this number already. Please wait an hour."
        )
    token = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(1_000_000):06d}"
    moment = now()
    async with write_transaction():
        rows = await WebVerification.insert(
            WebVerification(
                token_hash=_token_digest(token),
                organiser=organiser["id"],
                voice_hash=voice,
                code_hash=_code_digest(settings, token, code),
                testimony=values["testimony"],
                theme=values["theme"].value,
                display_name=values["display_name"],
                neighbourhood=values["neighbourhood"],
                show_public=values["show_public"],
                show_funders=values["show_funders"],
                hear_back=values["hear_back"],
                score=values["score"],
                # Kept, encrypted, while the code is alive: the code page shows it masked and
                # "Not received a text message?" resends to it. Erased on confirmation (moved
                # to the resident only if they asked to hear back) or by the expiry job.
                phone_encrypted=PhoneCipher(settings.phone_key).encrypt(e164),
                source_hash=source_hash(settings, client_ip),
                expires_at=moment + CODE_LIFETIME,
                created_at=moment,
            )
        ).returning(WebVerification.id)
        await enqueue_sms(
            settings,
            to_e164=e164,
            body=render("verification_code", code=code),
            purpose="verification_code",
            dedupe_key=f"verify:{rows[0]['id']}",
            ttl=CODE_LIFETIME,
        )
    return WebVouchStarted(token=token)


@dataclass(frozen=True)
class ConfirmResult:
    organiser_name: str
    replaced: bool


async def pending_verification(token: str, settings: Settings | None = None) -> dict[str, Any]:
    """The vouch waiting for its code; with `settings`, also its number masked ("••••56")."""
    row = (
        await WebVerification.select(
            WebVerification.id,
            WebVerification.phone_encrypted,
            WebVerification.expires_at,
            WebVerification.attempts,
            WebVerification.confirmed_at,
            WebVerification.organiser.name.as_alias("organiser_name"),
            WebVerification.organiser.code.as_alias("organiser_code"),
        )
        .where(WebVerification.token_hash == _token_digest(token))
        .first()
    )
    if row is None:
        raise NotFound("This vouch was not found. Please start again.")
    encrypted = row.pop("phone_encrypted")
    row["masked_phone"] = ""
    if settings is not None and encrypted:
        row["masked_phone"] = mask_phone(PhoneCipher(settings.phone_key).decrypt(encrypted))
    # Whether the code text reached the phone: a resident waiting for a text that failed
    # (or that the network could not deliver) is told so on the page, not left waiting.
    delivery = await status_of(f"verify:{row['id']}")
    row["code_not_delivered"] = delivery is not None and delivery["status"] in (
        "failed",
        "undelivered",
    )
    return row


async def resend_code(settings: Settings, token: str, *, client_ip: str) -> None:
    """ "Not received a text message?": a new code to the same number, with a fresh 10
    minutes, under the same per-phone and per-connection limits as starting a vouch. A vouch
    locked by wrong codes stays locked: a new code must not reset the count of guesses."""
    async with write_transaction():
        row = await locked(
            WebVerification.select().where(WebVerification.token_hash == _token_digest(token))
        ).first()
        if row is None:
            raise NotFound("This vouch was not found. Please start again.")
        if row["confirmed_at"] is not None:
            raise ValidationFailed("Your vouch is already confirmed: there is no need for a code.")
        if row["attempts"] >= MAX_CODE_ATTEMPTS or not row["phone_encrypted"]:
            raise ValidationFailed(
                "We cannot send another code for this vouch. Please start again.",
                field_errors={"code": "Start again to get a new code."},
            )
        if not await ratelimit.hit(
            web_start_bucket(client_ip), limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
        ) or not await ratelimit.hit(
            f"web:phone:{row['voice_hash']}", limit=WEB_CODES_PER_PHONE_PER_HOUR, window=HOUR
        ):
            raise TooManyRequests(
                "We have sent several codes to this number already. Please wait an hour."
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        expires_at = now() + CODE_LIFETIME
        await WebVerification.update(
            {
                WebVerification.code_hash: _code_digest(settings, token, code),
                WebVerification.expires_at: expires_at,
            }
        ).where(WebVerification.id == row["id"])
        await enqueue_sms(
            settings,
            to_e164=PhoneCipher(settings.phone_key).decrypt(row["phone_encrypted"]),
            body=render("verification_code", code=code),
            purpose="verification_code",
            dedupe_key=f"verify:{row['id']}:{secrets.token_hex(4)}",
            ttl=CODE_LIFETIME,
        )


async def confirm_web_vouch(settings: Settings, token: str, code: str) -> ConfirmResult:
    code = "".join(ch for ch in code if ch.isdigit())
    async with write_transaction():
        row = await locked(
            WebVerification.select().where(WebVerification.token_hash == _token_digest(token))
        ).first()
        if row is None:
            raise NotFound("This vouch was not found. Please start again.")
        organiser = (
            await Organiser.select(Organiser.name, Organiser.status)
            .where(Organiser.id == row["organiser"])
            .first()
        )
        organiser_name = organiser["name"] if organiser else ""
        if row["confirmed_at"] is not None:
            return ConfirmResult(organiser_name=organiser_name, replaced=False)
        if organiser is not None and organiser["status"] == OrganiserStatus.LEFT.value:
            # They left between the form and the code: the vouch is not taken.
            raise OrganiserLeft(organiser_name)
        if row["attempts"] >= MAX_CODE_ATTEMPTS:
            raise ValidationFailed(
                "This code is locked after too many wrong tries. Please start again.",
                field_errors={"code": "Locked after 5 wrong codes. Start again to get a new code."},
            )
        if row["expires_at"] <= now():
            raise ValidationFailed(
                "This code has expired. Please start again.",
                field_errors={
                    "code": "The code expired after 10 minutes. Start again to get a new one."
                },
            )
        if not hmac.compare_digest(row["code_hash"], _code_digest(settings, token, code)):
            attempts = row["attempts"] + 1
            await WebVerification.update({WebVerification.attempts: attempts}).where(
                WebVerification.id == row["id"]
            )
            left = MAX_CODE_ATTEMPTS - attempts
            message = (
                f"That code is not right. {left} {'try' if left == 1 else 'tries'} left."
                if left
                else "That code is not right, and this vouch is now locked. Start again to get a new code."
            )
            wrong_code = ValidationFailed("That code is not right.", field_errors={"code": message})
        else:
            wrong_code = None
            outcome = await _confirm(settings, row)
    # Raised after the transaction so the wrong attempt stays counted.
    if wrong_code is not None:
        raise wrong_code
    return ConfirmResult(organiser_name=organiser_name, replaced=outcome.replaced)


async def _confirm(settings: Settings, row: dict[str, Any]) -> VouchOutcome:
    resident_id, _ = await claim_resident(row["voice_hash"])
    outcome = await record_endorsement(
        settings,
        resident_id=resident_id,
        organiser_id=row["organiser"],
        testimony=row["testimony"],
        channel=Channel.WEB,
        verification=Verification.SMS_CODE,
        theme=Theme(row["theme"]),
        display_name=row["display_name"],
        neighbourhood=row["neighbourhood"],
        show_public=row["show_public"],
        show_funders=row["show_funders"],
        source=row["source_hash"],
        score=row["score"],
        asked_score=True,
    )
    if row["hear_back"] and row["phone_encrypted"]:
        await Resident.update(
            {
                Resident.hear_back: True,
                Resident.phone_encrypted: row["phone_encrypted"],
                Resident.messages_stopped: False,
            }
        ).where(Resident.id == resident_id)
    await WebVerification.update(
        {
            WebVerification.confirmed_at: now(),
            WebVerification.endorsement: outcome.endorsement_id,
            WebVerification.phone_encrypted: None,
        }
    ).where(WebVerification.id == row["id"])
    return outcome
