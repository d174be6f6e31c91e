"""Vouching on the web: the form at /vouch/{code}, a code by SMS to the number given, and
the vouch recorded when the code comes back (`confirm_web_vouch`). The code names an
organiser or a building (a vouching subject): a building's voice is recorded as the SMS path
records it (subjects.py), never as an endorsement."""

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
from groundswell.core.i18n import current_lang
from groundswell.core.i18n import gettext as _
from groundswell.core.phones import PhoneCipher, mask_phone
from groundswell.db import locked, write_transaction
from groundswell.outbox.services import enqueue_sms, status_of
from groundswell.settings import Settings
from groundswell.vouching.messages import render
from groundswell.vouching.recording import (
    VouchOutcome,
    claim_resident,
    left_organiser_name,
    organiser_for_code,
    record_endorsement,
    source_hash,
    voice_of,
)
from groundswell.vouching.states import Channel, Theme, Verification
from groundswell.vouching.subjects import record_subject_voice, subject_for_code
from groundswell.vouching.tables import Resident, VouchSubject, WebVerification
from groundswell.vouching.web_forms import read_building_vouch, read_web_vouch

CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
WEB_STARTS_PER_IP_PER_HOUR = 20
WEB_CODES_PER_PHONE_PER_HOUR = 5
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
    organiser has the code (the message names buildings too: a mistyped building code lands
    here)."""
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
            _(
                "There is no organiser or building with the code %(code)s. "
                "Check the code on the card or poster."
            )
            % {"code": raw_code[:20]}
        )
    return row


@dataclass(frozen=True)
class VouchTarget:
    """What a /vouch/{code} page vouches for: an organiser, or a building (`subject`)."""

    organiser: dict[str, Any] | None = None
    subject: dict[str, Any] | None = None


async def vouch_target(raw_code: str) -> VouchTarget:
    """The building or organiser a typed code names. Their codes never collide (a building's
    suffix starts with a letter); OrganiserLeft and NotFound as organiser_for_vouching."""
    subject = await subject_for_code(normalise_code(raw_code))
    if subject is not None:
        return VouchTarget(subject=subject)
    return VouchTarget(organiser=await organiser_for_vouching(raw_code))


def web_start_bucket(client_ip: str) -> str:
    """One limit per connection: an IPv6 client holds a whole /64, so its addresses share
    one bucket (ratelimit.source_key), as they do for login and the source signal."""
    return f"web:ip:{ratelimit.source_key(client_ip)}"


async def start_web_vouch(
    settings: Settings, raw_code: str, raw: dict[str, Any], *, client_ip: str
) -> WebVouchStarted:
    target = await vouch_target(raw_code)
    organiser, subject = target.organiser, target.subject
    read = read_building_vouch if subject is not None else read_web_vouch
    values, e164 = read(raw, settings.vouch_region_codes)
    voice = voice_of(settings, e164)
    # Before the organiser's own number is recognised: that answer says whose phone it is,
    # so each guess spends one of the connection's starts.
    if not await ratelimit.hit(
        web_start_bucket(client_ip), limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
    ):
        raise TooManyRequests(
            _("Too many vouches from this connection. Please try again in an hour.")
        )
    if organiser is not None and organiser["phone_hash"] == voice:
        raise ValidationFailed(
            _("Organisers cannot vouch for themselves."),
            field_errors={
                "phone": _(
                    "This is the organiser's own number. Ask the people you work with to vouch "
                    "instead."
                )
            },
        )
    if not await ratelimit.hit(
        f"web:phone:{voice}", limit=WEB_CODES_PER_PHONE_PER_HOUR, window=HOUR
    ):
        raise TooManyRequests(
            _("We have sent several codes to this number already. Please wait an hour.")
        )
    token = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(1_000_000):06d}"
    moment = now()
    async with write_transaction():
        rows = await WebVerification.insert(
            WebVerification(
                token_hash=_token_digest(token),
                organiser=organiser["id"] if organiser is not None else None,
                subject=subject["id"] if subject is not None else None,
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
            body=render("verification_code", current_lang(), code=code),
            purpose="verification_code",
            dedupe_key=f"verify:{rows[0]['id']}",
            ttl=CODE_LIFETIME,
        )
    return WebVouchStarted(token=token)


@dataclass(frozen=True)
class ConfirmResult:
    organiser_name: str  # or the building's name
    replaced: bool
    building: bool = False


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
            WebVerification.subject.name.as_alias("building_name"),
            WebVerification.subject.code.as_alias("building_code"),
        )
        .where(WebVerification.token_hash == _token_digest(token))
        .first()
    )
    if row is None:
        raise NotFound(_("This vouch was not found. Please start again."))
    # What the code page names and links back to: the building or the organiser.
    row["building"] = row["building_code"] is not None
    row["vouch_code"] = row["building_code"] or row["organiser_code"]
    row["subject_name"] = row["building_name"] or row["organiser_name"]
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
            raise NotFound(_("This vouch was not found. Please start again."))
        if row["confirmed_at"] is not None:
            raise ValidationFailed(
                _("Your vouch is already confirmed: there is no need for a code.")
            )
        if row["attempts"] >= MAX_CODE_ATTEMPTS or not row["phone_encrypted"]:
            raise ValidationFailed(
                _("We cannot send another code for this vouch. Please start again."),
                field_errors={"code": _("Start again to get a new code.")},
            )
        if not await ratelimit.hit(
            web_start_bucket(client_ip), limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
        ) or not await ratelimit.hit(
            f"web:phone:{row['voice_hash']}", limit=WEB_CODES_PER_PHONE_PER_HOUR, window=HOUR
        ):
            raise TooManyRequests(
                _("We have sent several codes to this number already. Please wait an hour.")
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
            body=render("verification_code", current_lang(), code=code),
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
            raise NotFound(_("This vouch was not found. Please start again."))
        building = row["subject"] is not None
        if building:
            organiser = None
            subject = (
                await VouchSubject.select(VouchSubject.name)
                .where(VouchSubject.id == row["subject"])
                .first()
            )
            organiser_name = subject["name"] if subject else ""
        else:
            organiser = (
                await Organiser.select(Organiser.name, Organiser.status)
                .where(Organiser.id == row["organiser"])
                .first()
            )
            organiser_name = organiser["name"] if organiser else ""
        if row["confirmed_at"] is not None:
            return ConfirmResult(organiser_name=organiser_name, replaced=False, building=building)
        if organiser is not None and organiser["status"] == OrganiserStatus.LEFT.value:
            # They left between the form and the code: the vouch is not taken.
            raise OrganiserLeft(organiser_name)
        if row["attempts"] >= MAX_CODE_ATTEMPTS:
            raise ValidationFailed(
                _("This code is locked after too many wrong tries. Please start again."),
                field_errors={
                    "code": _("Locked after 5 wrong codes. Start again to get a new code.")
                },
            )
        if row["expires_at"] <= now():
            raise ValidationFailed(
                _("This code has expired. Please start again."),
                field_errors={
                    "code": _("The code expired after 10 minutes. Start again to get a new one.")
                },
            )
        if not hmac.compare_digest(row["code_hash"], _code_digest(settings, token, code)):
            attempts = row["attempts"] + 1
            await WebVerification.update({WebVerification.attempts: attempts}).where(
                WebVerification.id == row["id"]
            )
            left = MAX_CODE_ATTEMPTS - attempts
            if left == 1:
                message = _("That code is not right. 1 try left.")
            elif left:
                message = _("That code is not right. %(left)s tries left.") % {"left": left}
            else:
                message = _(
                    "That code is not right, and this vouch is now locked. Start again to get a "
                    "new code."
                )
            wrong_code = ValidationFailed(
                _("That code is not right."), field_errors={"code": message}
            )
        else:
            wrong_code = None
            outcome = await (_confirm_building(row) if building else _confirm(settings, row))
    # Raised after the transaction so the wrong attempt stays counted.
    if wrong_code is not None:
        raise wrong_code
    return ConfirmResult(
        organiser_name=organiser_name, replaced=outcome.replaced, building=building
    )


async def _confirm_building(row: dict[str, Any]) -> VouchOutcome:
    """A building's voice, as the SMS path records it (one per phone per building; never an
    endorsement, so it cannot count toward an organiser's funding); the number is erased."""
    resident_id, _created = await claim_resident(row["voice_hash"])
    outcome = await record_subject_voice(
        resident_id=resident_id,
        subject_id=row["subject"],
        testimony=row["testimony"],
        channel=Channel.WEB,
        verification=Verification.SMS_CODE,
        neighbourhood=row["neighbourhood"],
        show_public=row["show_public"],
        show_funders=row["show_funders"],
        source=row["source_hash"],
    )
    await WebVerification.update(
        {WebVerification.confirmed_at: now(), WebVerification.phone_encrypted: None}
    ).where(WebVerification.id == row["id"])
    return outcome


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
                # Hearing back comes by text, in the language the vouch was made in.
                Resident.lang: current_lang(),
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
