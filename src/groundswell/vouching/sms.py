"""Vouching by SMS: an inbound text, exactly once per MessageSid, and the reply it gets.

`process_texts` is the one processing path, whoever runs it (the processor behind the
webhook, or `handle_sms` inline): it rate-limits, parses the text (`grammar.parse_sms`),
runs the handler for its `CommandKind` from `HANDLERS` and queues or returns the reply,
with what a batch of texts shares read and written once (`sms_batch`).
Every handler takes one `Incoming` and returns the reply; a new command is a new
`CommandKind` in the grammar and a row in `HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.core.clock import now
from groundswell.core.phones import InvalidPhoneNumber, PhoneCipher
from groundswell.db import write_transaction
from groundswell.settings import Settings
from groundswell.vouching import inbound, sms_batch, sms_rights
from groundswell.vouching.eligibility import VouchRefusal, region_names, vouch_refusal
from groundswell.vouching.grammar import (
    LANGUAGE_KEYWORDS,
    Command,
    CommandKind,
    clean_text,
)
from groundswell.vouching.messages import render, sms_segments
from groundswell.vouching.recording import (
    TESTIMONY_MAX,
    claim_resident,
    record_endorsement,
    withdraw,
)
from groundswell.vouching.states import Channel, EndorsementState, Verification
from groundswell.vouching.subjects import (
    record_subject_voice,
    share_latest_subject_voice,
    withdraw_subject_voice,
)
from groundswell.vouching.tables import (
    Endorsement,
    PendingPrompt,
    Resident,
    SubjectVoice,
)

PROMPT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class SmsReply:
    text: str
    replayed: bool = False  # the message was processed before this delivery


async def handle_sms(
    settings: Settings, *, message_sid: str, from_number: str, body: str | None, num_media: int = 0
) -> SmsReply:
    """Record a text and process it now, exactly once per MessageSid; returns the reply (the
    webhook's inline mode, `groundswell sms simulate`). The same processing as the
    processor's (`process_texts`); only who delivers the reply differs."""
    try:
        recorded = await inbound.record(
            settings,
            message_sid=message_sid,
            from_number=from_number,
            body=body,
            num_media=num_media,
        )
    except (InvalidPhoneNumber, inbound.InvalidMessageSid):
        # Short codes and alphanumeric senders cannot vouch; nothing is stored.
        return SmsReply(render("unknown"))
    async with write_transaction():
        waiting, own = await inbound.claim_for_phone(recorded.voice, recorded.message_sid)
        # Earlier texts of this phone still waiting (a processor behind, or a crash) go
        # first, their replies queued; this one's reply is the answer.
        replies = await process_texts(settings, waiting, answered_here=own and own["id"])
    if own is not None and own["id"] in replies:
        return SmsReply(replies[own["id"]])
    # Processed before (a retried delivery, or the processor got there first).
    return SmsReply(own["reply"] if own else render("unknown"), replayed=True)


async def process_texts(
    settings: Settings, rows: list[dict[str, Any]], *, answered_here: int | None = None
) -> dict[int, str]:
    """Process claimed inbound messages, in order, inside the caller's write transaction:
    each phone's hourly limit, the grammar, the command's handler, the reply queued through
    the outbox (except for the message `answered_here`, whose reply the caller delivers) and
    the message marked processed. Returns each message's reply by id.

    Reads and writes shared by the texts are made once per batch (`sms_batch`); a batch
    holds each phone once, so a phone's second text starts the next batch."""
    replies: dict[int, str] = {}
    batch: list[dict[str, Any]] = []
    for row in rows:
        if any(other["voice_hash"] == row["voice_hash"] for other in batch):
            replies.update(await _process_batch(settings, batch, answered_here))
            batch = []
        batch.append(row)
    if batch:
        replies.update(await _process_batch(settings, batch, answered_here))
    return replies


async def _process_batch(
    settings: Settings, rows: list[dict[str, Any]], answered_here: int | None
) -> dict[int, str]:
    texts = sms_batch.read_texts(settings, rows)
    reads = await sms_batch.read_batch(texts)
    processed = []
    for text in texts:
        if reads.within_limit[text.voice]:
            resident = reads.residents.get(text.voice)
            incoming = Incoming(
                settings=settings,
                voice=text.voice,
                e164=text.e164,
                command=text.command,
                body=text.body,
                resident=resident,
                lang=resident["lang"] if resident else "en",
                reads=reads,
            )
            reply = await HANDLERS[text.command.kind](incoming)
            result = str(text.command.kind)
        else:
            reply, result = render("rate_limited"), "rate_limited"
        processed.append(
            sms_batch.Processed(
                text=text, reply=reply, result=result, queue_reply=text.row["id"] != answered_here
            )
        )
    await sms_batch.write_batch(processed)
    return {item.text.row["id"]: item.reply for item in processed}


@dataclass(frozen=True)
class Incoming:
    """One parsed text, as every command handler sees it."""

    settings: Settings
    voice: str  # the sender's voice (keyed hash of their number)
    e164: str  # their number, kept only where a handler is asked to keep it (YES to hear back)
    command: Command
    body: str  # the text as it came, for words that answer a prompt
    resident: dict[str, Any] | None  # the sender's Resident row, None if never seen
    lang: str  # the language to reply in
    reads: sms_batch.BatchReads  # the codes' organisers and buildings, read for the batch


Handler = Callable[[Incoming], Awaitable[str]]


async def _sender(msg: Incoming) -> tuple[int, bool]:
    """The sender's resident id (made on first need), and whether this text created them."""
    if msg.resident is not None:
        return msg.resident["id"], False
    return await claim_resident(msg.voice)


# ---------------------------------------------------------------- the handlers


async def _help(msg: Incoming) -> str:
    return render("help", msg.lang)


async def _not_understood(msg: Incoming) -> str:
    return render("unknown", msg.lang)


async def _media_only(msg: Incoming) -> str:
    return render("media_only", msg.lang)


async def _words_for_prompt(msg: Incoming) -> str:
    """Words without a code: the testimony a code-only text asked for (within PROMPT_WINDOW),
    else not understood. "WITHDRAW something-unreadable" is never taken as testimony."""
    resident = msg.resident
    prompt = None
    if resident is not None:
        prompt = (
            await PendingPrompt.select(PendingPrompt.id, PendingPrompt.organiser)
            .where((PendingPrompt.resident == resident["id"]) & (PendingPrompt.expires_at > now()))
            .first()
        )
    if prompt is None or msg.command.keyword == "WITHDRAW":
        return render("unknown", msg.lang)
    organiser = (
        await Organiser.select(
            Organiser.id, Organiser.name, Organiser.code, Organiser.phone_hash, Organiser.status
        )
        .where(Organiser.id == prompt["organiser"])
        .first()
    )
    await PendingPrompt.delete().where(PendingPrompt.id == prompt["id"])
    if organiser is None or resident is None:
        return render("unknown", msg.lang)
    if organiser["status"] == OrganiserStatus.LEFT.value:
        # They left between the code and the words: the words are not taken as a vouch.
        return render("organiser_left", msg.lang, organiser=organiser["name"])
    return await _vouch(msg, resident["id"], organiser, clean_text(msg.body))


def _number_refusal(msg: Incoming) -> str:
    """The reply when the sender's number may not vouch (GROUNDSWELL_VOUCH_REGIONS, mobiles
    only), saying that the number is the problem; "" when it may."""
    regions = msg.settings.vouch_region_codes
    refusal = vouch_refusal(msg.e164, regions)
    if refusal is VouchRefusal.REGION:
        return render("vouch_refused_region", msg.lang, regions=region_names(regions, msg.lang))
    if refusal is VouchRefusal.NOT_MOBILE:
        return render("vouch_refused_not_mobile", msg.lang)
    return ""


async def _organiser_named(msg: Incoming) -> tuple[dict[str, Any] | None, str]:
    """The organiser the text's code names, or None and the reply that says why not (the
    number may not vouch, no such code, or the sender is that organiser)."""
    refusal = _number_refusal(msg)
    if refusal:
        return None, refusal
    organiser = msg.reads.organiser(msg.command.code)
    if organiser is None:
        left = msg.reads.left_organiser_name(msg.command.code)
        if left is not None:
            return None, render("organiser_left", msg.lang, organiser=left)
        return None, render("unknown_code", msg.lang, code=msg.command.code or "")
    if organiser["phone_hash"] == msg.voice:
        return None, render("self_vouch_refused", msg.lang)
    return organiser, ""


# A building's name in a reply is cut to this, so the reply stays within two segments.
SUBJECT_NAME_IN_SMS = 30


def _subject_name(subject: dict[str, Any]) -> str:
    name = str(subject["name"])
    return name if len(name) <= SUBJECT_NAME_IN_SMS else name[: SUBJECT_NAME_IN_SMS - 3] + "..."


async def _vouch_for_subject(msg: Incoming, subject: dict[str, Any]) -> str:
    """CODE words for a building: the same number rules and one voice per phone, recorded
    as a subject voice (never an endorsement: it cannot count toward any organiser)."""
    refusal = _number_refusal(msg)
    if refusal:
        return refusal
    name = _subject_name(subject)
    if msg.command.kind is CommandKind.CODE_ONLY:
        return render("building_words_needed", msg.lang, organiser=name, code=subject["code"])
    resident_id, created = await _sender(msg)
    if not created:
        await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
    await record_subject_voice(
        resident_id=resident_id,
        subject_id=subject["id"],
        testimony=msg.command.testimony or "",
        channel=Channel.SMS,
        verification=Verification.SMS_INBOUND,
    )
    return render("building_thanks", msg.lang, organiser=name, code=subject["code"])


async def _vouch_with_words(msg: Incoming) -> str:
    """CODE words: the words are the testimony, and a prompt still waiting is dropped."""
    subject = msg.reads.subject(msg.command.code)
    if subject is not None:
        return await _vouch_for_subject(msg, subject)
    organiser, refusal = await _organiser_named(msg)
    if organiser is None:
        return refusal
    resident_id, created = await _sender(msg)
    if not created:
        await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
    return await _vouch(
        msg, resident_id, organiser, msg.command.testimony or "", new_resident=created
    )


async def _ask_for_words(msg: Incoming) -> str:
    """CODE alone: ask for the words, and take the next words within PROMPT_WINDOW as them."""
    subject = msg.reads.subject(msg.command.code)
    if subject is not None:
        return await _vouch_for_subject(msg, subject)
    organiser, refusal = await _organiser_named(msg)
    if organiser is None:
        return refusal
    resident_id, _ = await _sender(msg)
    await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
    await PendingPrompt.insert(
        PendingPrompt(
            resident=resident_id,
            organiser=organiser["id"],
            expires_at=now() + PROMPT_WINDOW,
        )
    )
    return render("listening_prompt", msg.lang, organiser=organiser["name"])


async def _vouch(
    msg: Incoming,
    resident_id: int,
    organiser: dict[str, Any],
    testimony: str,
    *,
    new_resident: bool = False,
) -> str:
    # The resident is the sender (their voice), whichever way the organiser was found.
    if organiser["phone_hash"] == msg.voice:
        return render("self_vouch_refused", msg.lang)
    outcome = await record_endorsement(
        msg.settings,
        resident_id=resident_id,
        organiser_id=organiser["id"],
        testimony=testimony[: TESTIMONY_MAX * 2],
        channel=Channel.SMS,
        verification=Verification.SMS_INBOUND,
        new_resident=new_resident,
    )
    message = "already_replaced" if outcome.replaced else "thanks"
    return render(message, msg.lang, organiser=organiser["name"], code=organiser["code"])


async def _withdraw_one(msg: Incoming) -> str:
    subject = msg.reads.subject(msg.command.code)
    if subject is not None:
        changed = 0
        if msg.resident is not None:
            changed = await withdraw_subject_voice(msg.resident["id"], subject["id"])
        if not changed:
            return render("nothing_to_withdraw", msg.lang, code=msg.command.code or "")
        return render("withdrawn_one", msg.lang, organiser=_subject_name(subject))
    organiser = msg.reads.organiser(msg.command.code, include_left=True)
    changed = 0
    if organiser is not None and msg.resident is not None:
        changed = await withdraw(msg.resident["id"], organiser["id"])
    if not changed:
        return render("nothing_to_withdraw", msg.lang, code=msg.command.code or "")
    return render("withdrawn_one", msg.lang, organiser=organiser["name"] if organiser else "")


async def _active_codes(resident_id: int) -> list[str]:
    rows = (
        await Endorsement.select(Endorsement.organiser.code.as_alias("code"))
        .where(
            (Endorsement.resident == resident_id)
            & (Endorsement.state == EndorsementState.ACTIVE.value)
        )
        .order_by(Endorsement.updated_at, ascending=False)
    )
    buildings = (
        await SubjectVoice.select(SubjectVoice.subject.code.as_alias("code"))
        .where(
            (SubjectVoice.resident == resident_id)
            & (SubjectVoice.state == EndorsementState.ACTIVE.value)
        )
        .order_by(SubjectVoice.updated_at, ascending=False)
    )
    return [row["code"] for row in [*rows, *buildings]]


async def _withdraw_ask(msg: Incoming) -> str:
    """A bare WITHDRAW: ask which, listing the codes; nothing is withdrawn until the
    resident names one or says ALL."""
    codes = await _active_codes(msg.resident["id"]) if msg.resident else []
    if not codes:
        return render("nothing_to_withdraw_any", msg.lang)
    # As many codes as fit the reply in two segments; the rest are still withdrawable.
    for shown in range(len(codes), 0, -1):
        listed = ", ".join(codes[:shown]) + ("..." if shown < len(codes) else "")
        reply = render("withdraw_which", msg.lang, codes=listed, code=codes[0])
        if sms_segments(reply) <= 2:
            return reply
    return reply


async def _withdraw_all(msg: Incoming) -> str:
    """WITHDRAW ALL: every vouch withdrawn. Texts are a separate choice (STOP)."""
    if msg.resident is None:
        return render("nothing_to_withdraw_any", msg.lang)
    count = await withdraw(msg.resident["id"]) + await withdraw_subject_voice(msg.resident["id"])
    await PendingPrompt.delete().where(PendingPrompt.resident == msg.resident["id"])
    if not count:
        return render("nothing_to_withdraw_any", msg.lang)
    return render("withdrawn_all", msg.lang, count=count)


async def _stop_texts(msg: Incoming) -> str:
    """STOP and the carrier's opt-out words: no more texts of any kind, and the number kept
    to hear back is forgotten. The words keep counting: stopping texts is not taking back
    what was said (WITHDRAW does that)."""
    resident_id, _ = await _sender(msg)
    await PendingPrompt.delete().where(PendingPrompt.resident == resident_id)
    await Resident.update(
        {
            Resident.messages_stopped: True,
            Resident.hear_back: False,
            Resident.phone_encrypted: None,
        }
    ).where(Resident.id == resident_id)
    return render("texts_stopped", msg.lang)


async def _resume(msg: Incoming) -> str:
    """START / UNSTOP: messages again. YES confirms a DELETE asked in the last few minutes;
    otherwise it also keeps the number to hear back, for a resident with a voice that counts."""
    if msg.command.keyword == "YES" and sms_rights.erase_pending(msg):
        return await sms_rights.erase_confirmed(msg)
    resident_id, _ = await _sender(msg)
    values: dict[Any, Any] = {Resident.messages_stopped: False, Resident.erase_requested_at: None}
    opted_in = False
    if msg.command.keyword == "YES":
        has_voice = await Endorsement.exists().where(
            (Endorsement.resident == resident_id)
            & (Endorsement.state == EndorsementState.ACTIVE.value)
        )
        if has_voice:
            values.update(
                {
                    Resident.hear_back: True,
                    Resident.phone_encrypted: PhoneCipher(msg.settings.phone_key).encrypt(msg.e164),
                }
            )
            opted_in = True
    await Resident.update(values).where(Resident.id == resident_id)
    return render("hear_back_confirmed" if opted_in else "resumed", msg.lang)


async def _share_latest(msg: Incoming) -> str:
    """SHARE: funders may read the words this phone sent last (consent is for those words;
    new words replace them and ask again). Redacted and anonymous on /listen, like the web's."""
    latest = None
    if msg.resident is not None:
        latest = (
            await Endorsement.select(
                Endorsement.id,
                Endorsement.updated_at,
                Endorsement.organiser.name.as_alias("organiser_name"),
                Endorsement.organiser.code.as_alias("organiser_code"),
            )
            .where(
                (Endorsement.resident == msg.resident["id"])
                & (Endorsement.state == EndorsementState.ACTIVE.value)
            )
            .order_by(Endorsement.updated_at, ascending=False)
            .first()
        )
    if msg.resident is not None and await _building_spoken_for_last(msg.resident["id"], latest):
        building = await share_latest_subject_voice(msg.resident["id"])
        assert building is not None
        return render(
            "building_shared", msg.lang, organiser=_subject_name(building), code=building["code"]
        )
    if latest is None:
        return render("nothing_to_share", msg.lang)
    await Endorsement.update({Endorsement.show_funders: True}).where(Endorsement.id == latest["id"])
    return render(
        "shared", msg.lang, organiser=latest["organiser_name"], code=latest["organiser_code"]
    )


async def _building_spoken_for_last(resident_id: int, latest: dict[str, Any] | None) -> bool:
    """Whether the resident's newest words were about a building (then SHARE is for them)."""
    where = (SubjectVoice.resident == resident_id) & (
        SubjectVoice.state == EndorsementState.ACTIVE.value
    )
    if latest is not None:
        where &= SubjectVoice.updated_at > latest["updated_at"]
    return bool(await SubjectVoice.exists().where(where))


async def _set_language(msg: Incoming) -> str:
    chosen = LANGUAGE_KEYWORDS.get(msg.command.keyword or "", msg.lang)
    resident_id, _ = await _sender(msg)
    await Resident.update({Resident.lang: chosen}).where(Resident.id == resident_id)
    return render("language_set", chosen)


# What each kind of text does: one row a command (tests/unit/vouching checks every kind has one).
HANDLERS: dict[CommandKind, Handler] = {
    CommandKind.VOUCH: _vouch_with_words,
    CommandKind.CODE_ONLY: _ask_for_words,
    CommandKind.WITHDRAW_ONE: _withdraw_one,
    CommandKind.WITHDRAW_ASK: _withdraw_ask,
    CommandKind.WITHDRAW_ALL: _withdraw_all,
    CommandKind.OPT_OUT: _stop_texts,
    CommandKind.RESUME: _resume,
    CommandKind.HELP: _help,
    CommandKind.LANGUAGE: _set_language,
    CommandKind.SHARE: _share_latest,
    CommandKind.MY_DATA: sms_rights.my_data,
    CommandKind.ERASE: sms_rights.ask_to_erase,
    CommandKind.UNKNOWN: _words_for_prompt,
    CommandKind.EMPTY: _not_understood,
    CommandKind.MEDIA_ONLY: _media_only,
}
