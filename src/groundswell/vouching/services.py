"""The listening core: residents' voices by SMS and on the web.

A phone number is normalised to E.164 and kept only as HMAC(GROUNDSWELL_PHONE_KEY, number):
the resident's voice. It is held encrypted only while a verification code or a queued
message needs it, or while the resident has asked to hear back.
"""

from __future__ import annotations

import hmac
import logging
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
from groundswell.core.errors import NotFound, TooManyRequests, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.phones import InvalidPhoneNumber, PhoneCipher, normalise_phone, phone_hash
from groundswell.db import locked, write_transaction
from groundswell.outbox.services import enqueue_sms
from groundswell.settings import Settings
from groundswell.vouching import moderation
from groundswell.vouching.grammar import (
    LANGUAGE_KEYWORDS,
    Command,
    CommandKind,
    clean_text,
    parse_sms,
)
from groundswell.vouching.messages import render
from groundswell.vouching.redact import remove_phone_numbers, search_text
from groundswell.vouching.states import Channel, EndorsementState, Theme, Verification
from groundswell.vouching.tables import (
    Endorsement,
    InboundMessage,
    PendingPrompt,
    Resident,
    WebVerification,
)

log = logging.getLogger("groundswell.vouching")

PROMPT_WINDOW = timedelta(hours=24)
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
SMS_PER_PHONE_PER_HOUR = 30
WEB_STARTS_PER_IP_PER_HOUR = 20
WEB_CODES_PER_PHONE_PER_HOUR = 5
TESTIMONY_MIN, TESTIMONY_MAX = 10, 1000
SCORE_MIN, SCORE_MAX = 0, 10  # "How likely are you to tell a neighbour to go to them?"
HOUR = timedelta(hours=1)


def voice_of(settings: Settings, e164: str) -> str:
    return phone_hash(e164, settings.phone_key)


def source_hash(settings: Settings, value: str) -> str:
    """A keyed hash of an IP address or session, for abuse signals without keeping the IP."""
    return hmac.new(settings.secret_key.encode(), f"source:{value}".encode(), sha256).hexdigest()


async def _claim_resident(voice: str) -> tuple[int, bool]:
    """The resident with this voice, and whether this transaction created them (then nothing
    else can refer to them yet: no prompt, no endorsement)."""
    rows = (
        await Resident.insert(Resident(voice_hash=voice))
        .on_conflict(action="DO NOTHING")
        .returning(Resident.id)
    )
    if rows:
        return int(rows[0]["id"]), True
    row = await Resident.select(Resident.id).where(Resident.voice_hash == voice).first()
    assert row is not None  # it exists: the insert conflicted on it
    return int(row["id"]), False


async def _resident_id(voice: str) -> int:
    return (await _claim_resident(voice))[0]


async def _organiser_for(code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return (
        await Organiser.select(
            Organiser.id, Organiser.name, Organiser.code, Organiser.status, Organiser.phone_hash
        )
        .where((Organiser.code == code) & (Organiser.status != OrganiserStatus.LEFT.value))
        .first()
    )


@dataclass(frozen=True)
class VouchOutcome:
    endorsement_id: int
    replaced: bool


async def record_endorsement(
    settings: Settings,
    *,
    resident_id: int,
    organiser_id: int,
    testimony: str,
    channel: Channel,
    verification: Verification,
    theme: Theme = Theme.VALUE,
    display_name: str = "",
    neighbourhood: str = "",
    consent_to_publish: bool = False,
    source: str = "",
    score: int | None = None,
    asked_score: bool = False,
    new_resident: bool = False,
) -> VouchOutcome:
    """One voice per resident per organiser: a second vouch replaces the words (and revives a
    withdrawn one). Where the 0-10 question was asked (`asked_score`: the web form), its answer
    replaces the earlier one, None when left out; a channel that does not ask it (SMS) keeps
    the earlier answer. Runs inside the caller's write transaction; `new_resident` says the
    caller created the resident in it, so they cannot have vouched before (one query less on
    the busiest path, a first text)."""
    moment = now()
    testimony = remove_phone_numbers(testimony)
    display_name = remove_phone_numbers(display_name)
    neighbourhood = remove_phone_numbers(neighbourhood)
    existing = (
        None
        if new_resident
        else await Endorsement.select(Endorsement.id, Endorsement.state)
        .where((Endorsement.resident == resident_id) & (Endorsement.organiser == organiser_id))
        .first()
    )
    flags = await moderation.automatic_flags(
        settings,
        organiser_id=organiser_id,
        testimony=testimony,
        source=source,
        resident_id=resident_id,
    )
    values: dict[str, Any] = {
        "testimony": testimony,
        "search_text": search_text(testimony, neighbourhood),
        "text_digest": moderation.text_digest(testimony),
        "theme": theme.value,
        "display_name": display_name,
        "neighbourhood": neighbourhood,
        "consent_to_publish": consent_to_publish,
        "channel": channel.value,
        "verification": verification.value,
        "source_hash": source,
        "updated_at": moment,
        "withdrawn_at": None,
        "flags": flags,
        "moderation": "flagged" if flags else "clear",
    }
    if asked_score:
        values["score"] = score
    if existing is None:
        rows = await Endorsement.insert(
            Endorsement(
                resident=resident_id,
                organiser=organiser_id,
                created_at=moment,
                state=EndorsementState.ACTIVE.value,
                **values,
            )
        ).returning(Endorsement.id)
        endorsement_id = int(rows[0]["id"])
        replaced = False
    else:
        endorsement_id = int(existing["id"])
        replaced = existing["state"] == EndorsementState.ACTIVE.value
        if existing["state"] == EndorsementState.HIDDEN.value:
            # A moderator hid this voice: new words go back to the queue, still hidden.
            values["moderation"] = "flagged"
            values["flags"] = [*flags, "after_hidden"]
        else:
            values["state"] = EndorsementState.ACTIVE.value
        await Endorsement.update({getattr(Endorsement, k): v for k, v in values.items()}).where(
            Endorsement.id == endorsement_id
        )
    if flags:
        await moderation.flag_siblings(testimony=testimony, flags=flags)
    return VouchOutcome(endorsement_id=endorsement_id, replaced=replaced)


async def withdraw(resident_id: int, organiser_id: int | None = None) -> int:
    """Withdraw one or all of a resident's endorsements; returns how many changed."""
    condition = (Endorsement.resident == resident_id) & (
        Endorsement.state == EndorsementState.ACTIVE.value
    )
    if organiser_id is not None:
        condition &= Endorsement.organiser == organiser_id
    rows = (
        await Endorsement.update(
            {Endorsement.state: EndorsementState.WITHDRAWN.value, Endorsement.withdrawn_at: now()}
        )
        .where(condition)
        .returning(Endorsement.id)
    )
    return len(rows)


# ---------------------------------------------------------------- SMS


@dataclass(frozen=True)
class SmsReply:
    text: str
    replayed: bool = False


async def handle_sms(
    settings: Settings, *, message_sid: str, from_number: str, body: str | None, num_media: int = 0
) -> SmsReply:
    """Everything an inbound SMS does, exactly once per MessageSid; returns the reply."""
    try:
        e164 = normalise_phone(from_number)
    except InvalidPhoneNumber:
        # Short codes and alphanumeric senders cannot vouch; nothing is stored.
        return SmsReply(render("unknown"))
    voice = voice_of(settings, e164)
    sid = message_sid[:64]
    replayed = (
        await InboundMessage.select(InboundMessage.reply)
        .where(InboundMessage.message_sid == sid)
        .first()
    )
    if replayed is not None:
        return SmsReply(replayed["reply"], replayed=True)
    if not await ratelimit.hit(f"sms:phone:{voice}", limit=SMS_PER_PHONE_PER_HOUR, window=HOUR):
        return SmsReply(render("rate_limited"))
    command = parse_sms(body, num_media)
    async with write_transaction():
        claimed = (
            await InboundMessage.insert(InboundMessage(message_sid=sid, voice_hash=voice))
            .on_conflict(action="DO NOTHING")
            .returning(InboundMessage.id)
        )
        if not claimed:
            # A delivery of the same message raced us and won: answer as it did.
            stored = (
                await InboundMessage.select(InboundMessage.reply)
                .where(InboundMessage.message_sid == sid)
                .first()
            )
            return SmsReply(stored["reply"] if stored else render("unknown"), replayed=True)
        reply = await _apply(settings, voice, e164, command, body or "")
        await InboundMessage.update({InboundMessage.reply: reply}).where(
            InboundMessage.id == claimed[0]["id"]
        )
    return SmsReply(reply)


async def _apply(settings: Settings, voice: str, e164: str, command: Command, body: str) -> str:
    resident = await Resident.select().where(Resident.voice_hash == voice).first()
    lang = resident["lang"] if resident else "en"
    kind = command.kind

    if kind in (CommandKind.UNKNOWN, CommandKind.EMPTY, CommandKind.MEDIA_ONLY):
        prompt = None
        if resident is not None and kind is CommandKind.UNKNOWN:
            prompt = (
                await PendingPrompt.select(PendingPrompt.id, PendingPrompt.organiser)
                .where(
                    (PendingPrompt.resident == resident["id"]) & (PendingPrompt.expires_at > now())
                )
                .first()
            )
        if prompt is None or command.keyword == "WITHDRAW":
            return render("media_only" if kind is CommandKind.MEDIA_ONLY else "unknown", lang)
        organiser = (
            await Organiser.select(
                Organiser.id, Organiser.name, Organiser.code, Organiser.phone_hash
            )
            .where(Organiser.id == prompt["organiser"])
            .first()
        )
        await PendingPrompt.delete().where(PendingPrompt.id == prompt["id"])
        if organiser is None or resident is None:
            return render("unknown", lang)
        return await _vouch(settings, resident["id"], organiser, clean_text(body), lang)

    if kind is CommandKind.HELP:
        return render("help", lang)

    if kind in (CommandKind.VOUCH, CommandKind.CODE_ONLY):
        organiser = await _organiser_for(command.code)
        if organiser is None:
            return render("unknown_code", lang, code=command.code or "")
        if organiser["phone_hash"] == voice:
            return render("self_vouch_refused", lang)
        resident_id, created = (resident["id"], False) if resident else await _claim_resident(voice)
        if kind is CommandKind.CODE_ONLY:
            await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
            await PendingPrompt.insert(
                PendingPrompt(
                    resident=resident_id,
                    organiser=organiser["id"],
                    expires_at=now() + PROMPT_WINDOW,
                )
            )
            return render("listening_prompt", lang, organiser=organiser["name"])
        if not created:
            await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
        return await _vouch(
            settings, resident_id, organiser, command.testimony or "", lang, new_resident=created
        )

    if kind is CommandKind.WITHDRAW_ONE:
        organiser = await _organiser_for(command.code)
        changed = 0
        if organiser is not None and resident is not None:
            changed = await withdraw(resident["id"], organiser["id"])
        if not changed:
            return render("nothing_to_withdraw", lang, code=command.code or "")
        return render("withdrawn_one", lang, organiser=organiser["name"] if organiser else "")

    if kind in (CommandKind.WITHDRAW_ALL, CommandKind.OPT_OUT):
        resident_id = resident["id"] if resident else await _resident_id(voice)
        await withdraw(resident_id)
        await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
        await Resident.update(
            {
                Resident.messages_stopped: True,
                Resident.hear_back: False,
                Resident.phone_encrypted: None,
            }
        ).where(Resident.id == resident_id)
        return render("withdrawn_all", lang)

    if kind is CommandKind.RESUME:
        resident_id = resident["id"] if resident else await _resident_id(voice)
        values: dict[Any, Any] = {Resident.messages_stopped: False}
        opted_in = False
        if command.keyword == "YES":
            has_voice = await Endorsement.exists().where(
                (Endorsement.resident == resident_id)
                & (Endorsement.state == EndorsementState.ACTIVE.value)
            )
            if has_voice:
                values.update(
                    {
                        Resident.hear_back: True,
                        Resident.phone_encrypted: PhoneCipher(settings.phone_key).encrypt(e164),
                    }
                )
                opted_in = True
        await Resident.update(values).where(Resident.id == resident_id)
        return render("hear_back_confirmed" if opted_in else "resumed", lang)

    if kind is CommandKind.SHARE:
        return await _share_latest(resident, lang)

    if kind is CommandKind.LANGUAGE:
        chosen = LANGUAGE_KEYWORDS.get(command.keyword or "", lang)
        resident_id = resident["id"] if resident else await _resident_id(voice)
        await Resident.update({Resident.lang: chosen}).where(Resident.id == resident_id)
        return render("language_set", chosen)

    return render("unknown", lang)


async def _share_latest(resident: dict[str, Any] | None, lang: str) -> str:
    """SHARE: funders may read the words this phone sent last (consent is for those words;
    new words replace them and ask again). Redacted and anonymous on /listen, like the web's."""
    latest = None
    if resident is not None:
        latest = (
            await Endorsement.select(
                Endorsement.id,
                Endorsement.organiser.name.as_alias("organiser_name"),
                Endorsement.organiser.code.as_alias("organiser_code"),
            )
            .where(
                (Endorsement.resident == resident["id"])
                & (Endorsement.state == EndorsementState.ACTIVE.value)
            )
            .order_by(Endorsement.updated_at, ascending=False)
            .first()
        )
    if latest is None:
        return render("nothing_to_share", lang)
    await Endorsement.update({Endorsement.consent_to_publish: True}).where(
        Endorsement.id == latest["id"]
    )
    return render("shared", lang, organiser=latest["organiser_name"], code=latest["organiser_code"])


async def _vouch(
    settings: Settings,
    resident_id: int,
    organiser: dict[str, Any],
    testimony: str,
    lang: str,
    *,
    new_resident: bool = False,
) -> str:
    if organiser["phone_hash"] and await Resident.exists().where(
        (Resident.id == resident_id) & (Resident.voice_hash == organiser["phone_hash"])
    ):
        return render("self_vouch_refused", lang)
    outcome = await record_endorsement(
        settings,
        resident_id=resident_id,
        organiser_id=organiser["id"],
        testimony=testimony[: TESTIMONY_MAX * 2],
        channel=Channel.SMS,
        verification=Verification.SMS_INBOUND,
        new_resident=new_resident,
    )
    message = "already_replaced" if outcome.replaced else "thanks"
    return render(message, lang, organiser=organiser["name"], code=organiser["code"])


# ---------------------------------------------------------------- web


@dataclass(frozen=True)
class WebVouchStarted:
    token: str


def _code_digest(settings: Settings, token: str, code: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"vouch-code:{token}:{code}".encode(), sha256
    ).hexdigest()


def _token_digest(token: str) -> str:
    return sha256(token.encode()).hexdigest()


async def organiser_for_vouching(raw_code: str) -> dict[str, Any]:
    code = normalise_code(raw_code)
    row = None
    if code is not None:
        row = (
            await Organiser.select(
                Organiser.id,
                Organiser.name,
                Organiser.code,
                Organiser.bio,
                Organiser.phone_hash,
                Organiser.host.name.as_alias("host_name"),
                Organiser.locality.name.as_alias("locality_name"),
            )
            .where((Organiser.code == code) & (Organiser.status != OrganiserStatus.LEFT.value))
            .first()
        )
    if row is None:
        raise NotFound(
            f"There is no organiser with the code {raw_code[:20]}. Check the code on the card or poster."
        )
    return row


def read_web_vouch(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Validate the web vouch form; returns the clean values and the E.164 number."""
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
    fields.check("Please check your vouch.")
    values = {
        "testimony": remove_phone_numbers(testimony),
        "theme": theme,
        "display_name": remove_phone_numbers(display_name),
        "neighbourhood": remove_phone_numbers(neighbourhood),
        "consent_to_publish": bool(raw.get("consent_to_publish")),
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


async def start_web_vouch(
    settings: Settings, raw_code: str, raw: dict[str, Any], *, client_ip: str
) -> WebVouchStarted:
    organiser = await organiser_for_vouching(raw_code)
    values, e164 = read_web_vouch(raw)
    voice = voice_of(settings, e164)
    if organiser["phone_hash"] == voice:
        raise ValidationFailed(
            "Organisers cannot vouch for themselves.",
            field_errors={
                "phone": "This is the organiser's own number. Ask the people you work with to vouch instead."
            },
        )
    if not await ratelimit.hit(
        f"web:ip:{client_ip}", limit=WEB_STARTS_PER_IP_PER_HOUR, window=HOUR
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
                consent_to_publish=values["consent_to_publish"],
                hear_back=values["hear_back"],
                score=values["score"],
                phone_encrypted=PhoneCipher(settings.phone_key).encrypt(e164)
                if values["hear_back"]
                else None,
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


async def pending_verification(token: str) -> dict[str, Any]:
    row = (
        await WebVerification.select(
            WebVerification.id,
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
    return row


async def confirm_web_vouch(settings: Settings, token: str, code: str) -> ConfirmResult:
    code = "".join(ch for ch in code if ch.isdigit())
    async with write_transaction():
        row = await locked(
            WebVerification.select().where(WebVerification.token_hash == _token_digest(token))
        ).first()
        if row is None:
            raise NotFound("This vouch was not found. Please start again.")
        organiser = (
            await Organiser.select(Organiser.name).where(Organiser.id == row["organiser"]).first()
        )
        organiser_name = organiser["name"] if organiser else ""
        if row["confirmed_at"] is not None:
            return ConfirmResult(organiser_name=organiser_name, replaced=False)
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
    resident_id = await _resident_id(row["voice_hash"])
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
        consent_to_publish=row["consent_to_publish"],
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
