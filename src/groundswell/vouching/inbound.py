"""Inbound texts waiting to be processed: recorded before the webhook answers, claimed by
whoever processes them (vouching/processor.py behind the webhook, or `sms.handle_sms`
inline), each phone's messages strictly in the order they came.

Recording is the webhook's only database work, so on PostgreSQL it is one
INSERT ... ON CONFLICT DO NOTHING on one pooled connection (`db.fetch_one_statement`). The
sender's number is stored only as its keyed hash and encrypted (so the reply can be
queued), and the number and words are erased once the message is processed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from groundswell.core.clock import now
from groundswell.core.metrics import SMS_RECEIVED
from groundswell.core.phones import PhoneCipher, normalise_sender
from groundswell.db import fetch_one_statement, is_sqlite, locked
from groundswell.settings import Settings
from groundswell.vouching.recording import voice_of
from groundswell.vouching.tables import InboundMessage

SID_MAX = 64
# Twilio sends at most 10 pictures with a text; more would not fit the column, and any
# number of pictures is answered the same way.
MEDIA_MAX = 10
# Twilio's SIDs are letters and digits (34 of them); `-` and `_` for simulated ones. Anything
# else (a NUL PostgreSQL text cannot hold, a SID longer than is kept) is not stored.
_SID = re.compile(rf"[A-Za-z0-9_-]{{1,{SID_MAX}}}")

_RECORD = (
    "INSERT INTO inbound_message "
    "(message_sid, voice_hash, body, phone_encrypted, num_media, reply, received_at, error) "
    "VALUES ($1, $2, $3, $4, $5, '', $6, '') ON CONFLICT (message_sid) DO NOTHING RETURNING id"
)

# Each phone's earliest waiting message only: a phone's later text waits until the earlier
# one is processed, even when another processor holds the earlier one (SKIP LOCKED then
# skips it, and this condition skips the later one).
_WAITING = (
    "SELECT id, message_sid, voice_hash, body, phone_encrypted, num_media "
    "FROM inbound_message m WHERE m.processed_at IS NULL AND NOT EXISTS ("
    "SELECT 1 FROM inbound_message e WHERE e.voice_hash = m.voice_hash "
    "AND e.processed_at IS NULL AND e.id < m.id) ORDER BY m.id LIMIT {}"
)


class InvalidMessageSid(ValueError):
    """Not a MessageSid Twilio sends: answered, nothing stored."""


@dataclass(frozen=True)
class Recorded:
    message_sid: str
    voice: str
    new: bool  # False: a delivery of a MessageSid already recorded (Twilio retried)


@lru_cache(maxsize=4)
def _cipher(phone_key: str) -> PhoneCipher:
    # Deriving the key (HKDF) once per process, not once per text.
    return PhoneCipher(phone_key)


def cipher(settings: Settings) -> PhoneCipher:
    return _cipher(settings.phone_key)


async def record(
    settings: Settings, *, message_sid: str, from_number: str, body: str | None, num_media: int
) -> Recorded:
    """Store one delivery once per MessageSid. Raises InvalidPhoneNumber for a sender that
    is not a phone number (short codes, alphanumeric senders) and InvalidMessageSid for a
    SID Twilio never sends: nothing is stored for them."""
    if _SID.fullmatch(message_sid) is None:
        raise InvalidMessageSid(message_sid[:SID_MAX])
    e164 = normalise_sender(from_number)
    voice = voice_of(settings, e164)
    sid = message_sid
    # PostgreSQL text cannot hold NUL; nothing else of the words is changed before processing.
    words = (body or "").replace("\x00", "")
    values = (
        sid,
        voice,
        words,
        cipher(settings).encrypt(e164),
        min(max(num_media, 0), MEDIA_MAX),
        now(),
    )
    if is_sqlite():
        rows: list[Any] = (
            await InboundMessage.insert(
                InboundMessage(
                    message_sid=sid,
                    voice_hash=voice,
                    body=words,
                    phone_encrypted=values[3],
                    num_media=values[4],
                    received_at=values[5],
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(InboundMessage.id)
        )
    else:
        rows = await fetch_one_statement(_RECORD, *values)
    if rows:
        SMS_RECEIVED.inc()
    return Recorded(message_sid=sid, voice=voice, new=bool(rows))


async def claim_waiting(limit: int) -> list[dict[str, Any]]:
    """Up to `limit` messages to process now, one per phone, each its phone's earliest
    waiting. Call inside `write_transaction()`: on PostgreSQL the rows stay locked (and
    other processors skip them) until it ends; SQLite has one writer at a time anyway."""
    sql = _WAITING if is_sqlite() else _WAITING + " FOR UPDATE SKIP LOCKED"
    return list(await InboundMessage.raw(sql, limit))


async def claim_for_phone(voice: str, message_sid: str) -> tuple[list[dict[str, Any]], Any]:
    """For processing one message now (inline): its phone's waiting messages up to and
    including it, oldest first and locked, and the message's own row (None if it is gone)."""
    own = await locked(
        InboundMessage.select(
            InboundMessage.id, InboundMessage.reply, InboundMessage.processed_at
        ).where(InboundMessage.message_sid == message_sid)
    ).first()
    if own is None or own["processed_at"] is not None:
        return [], own
    waiting = await locked(
        InboundMessage.select(
            InboundMessage.id,
            InboundMessage.message_sid,
            InboundMessage.voice_hash,
            InboundMessage.body,
            InboundMessage.phone_encrypted,
            InboundMessage.num_media,
        )
        .where(
            (InboundMessage.voice_hash == voice)
            & InboundMessage.processed_at.is_null()
            & (InboundMessage.id <= own["id"])
        )
        .order_by(InboundMessage.id)
    )
    return list(waiting), own


async def finish(message_id: int, reply: str, error: str = "") -> None:
    """Mark one message processed, keeping its reply and erasing its number and words."""
    await InboundMessage.update(
        {
            InboundMessage.reply: reply,
            InboundMessage.error: error[:500],
            InboundMessage.processed_at: now(),
            InboundMessage.body: None,
            InboundMessage.phone_encrypted: None,
        }
    ).where(InboundMessage.id == message_id)


async def fail_if_waiting(message_ids: list[int], error: str) -> None:
    """Processing these raised: mark them processed with why (no reply), so one bad message
    cannot hold back its phone's later ones for ever."""
    if not message_ids:
        return
    await InboundMessage.update(
        {
            InboundMessage.error: error[:500],
            InboundMessage.processed_at: now(),
            InboundMessage.body: None,
            InboundMessage.phone_encrypted: None,
        }
    ).where(InboundMessage.processed_at.is_null() & InboundMessage.id.is_in(message_ids))


async def any_waiting() -> bool:
    return bool(await InboundMessage.exists().where(InboundMessage.processed_at.is_null()))


async def oldest_waiting_age_seconds() -> float | None:
    """How long the longest-waiting text has waited to be processed (None: none waits)."""
    row = (
        await InboundMessage.select(InboundMessage.received_at)
        .where(InboundMessage.processed_at.is_null())
        .order_by(InboundMessage.id)
        .first()
    )
    if row is None:
        return None
    return max(0.0, (now() - row["received_at"]).total_seconds())


async def waiting_count() -> int:
    return int(await InboundMessage.count().where(InboundMessage.processed_at.is_null()))
