"""What a batch of claimed texts reads once and writes once, around each text's handler.

A text's own work (its vouch, its prompt, its withdrawal) stays one handler call in
`sms.process_texts`; what every text of a batch needs is read in a few set-based queries
before the handlers run (each phone's hourly count, its resident, the organisers and
buildings the codes name) and what every text leaves behind is written in two statements
after they ran (the replies queued in the outbox, the messages marked processed). All of it
inside the caller's one write transaction, so a batch is wholly processed or not at all.

A batch holds each phone once (the processor claims one text per phone; `sms.process_texts`
splits anything else into such batches): the per-phone reads cannot go stale within it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.core import ratelimit
from groundswell.core.clock import now
from groundswell.core.metrics import SMS_PROCESSED
from groundswell.outbox.services import QueuedSms, enqueue_sms_many
from groundswell.settings import Settings
from groundswell.vouching import inbound
from groundswell.vouching.grammar import Command, CommandKind, parse_sms
from groundswell.vouching.tables import InboundMessage, Resident, VouchSubject

SMS_PER_PHONE_PER_HOUR = 30


@dataclass(frozen=True)
class Text:
    """One claimed inbound message, decrypted and parsed."""

    row: dict[str, Any]
    e164: str
    voice: str
    body: str
    command: Command


@dataclass
class BatchReads:
    """Reads shared by a batch's handlers, made once before any of them runs."""

    within_limit: dict[str, bool]  # voice -> within SMS_PER_PHONE_PER_HOUR this hour
    residents: dict[str, dict[str, Any]]  # voice -> Resident row (absent: never seen)
    organisers: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> any status
    subjects: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> VouchSubject

    def organiser(self, code: str | None, *, include_left: bool = False) -> dict[str, Any] | None:
        """The organiser a canonical code names (id, name, code, phone_hash, status), unless
        they have left (`include_left`: them too, to withdraw a vouch)."""
        row = self.organisers.get(code or "")
        if row is None or (not include_left and row["status"] == OrganiserStatus.LEFT.value):
            return None
        return row

    def left_organiser_name(self, code: str | None) -> str | None:
        row = self.organisers.get(code or "")
        if row is None or row["status"] != OrganiserStatus.LEFT.value:
            return None
        return str(row["name"])

    def subject(self, code: str | None) -> dict[str, Any] | None:
        """The building (or other subject) a canonical code names: id, kind, code, name."""
        return self.subjects.get(code or "")


def read_texts(settings: Settings, rows: list[dict[str, Any]]) -> list[Text]:
    cipher = inbound.cipher(settings)
    return [
        Text(
            row=row,
            e164=cipher.decrypt(row["phone_encrypted"]),
            voice=row["voice_hash"],
            body=row["body"] or "",
            command=parse_sms(row["body"] or "", row["num_media"]),
        )
        for row in rows
    ]


async def read_batch(texts: list[Text]) -> BatchReads:
    """Count each text against its phone's hourly limit (every text counts, refused ones
    too) and read what the handlers will look up. `texts` name each phone once."""
    voices = [text.voice for text in texts]
    hits = await ratelimit.hit_many(
        [f"sms:phone:{voice}" for voice in voices],
        limit=SMS_PER_PHONE_PER_HOUR,
        window=timedelta(hours=1),
    )
    residents = await Resident.select().where(Resident.voice_hash.is_in(voices))
    reads = BatchReads(
        within_limit={voice: hits[f"sms:phone:{voice}"] for voice in voices},
        residents={row["voice_hash"]: row for row in residents},
    )
    codes = sorted({text.command.code for text in texts if text.command.code})
    if codes:
        organisers = await Organiser.select(
            Organiser.id,
            Organiser.name,
            Organiser.code,
            Organiser.phone_hash,
            Organiser.status,
        ).where(Organiser.code.is_in(codes))
        reads.organisers = {row["code"]: row for row in organisers}
        subjects = await VouchSubject.select(
            VouchSubject.id, VouchSubject.kind, VouchSubject.code, VouchSubject.name
        ).where(VouchSubject.code.is_in(codes))
        reads.subjects = {row["code"]: row for row in subjects}
    return reads


_FINISH_MANY = (
    "UPDATE inbound_message SET reply = CASE id {cases} END, error = '', processed_at = {{}}, "
    "body = NULL, phone_encrypted = NULL WHERE id IN ({ids})"
)


@dataclass(frozen=True)
class Processed:
    text: Text
    reply: str
    result: str  # the command's kind, or "rate_limited"
    queue_reply: bool


async def write_batch(processed: list[Processed]) -> None:
    """Queue the batch's replies (once per message: key `sms-reply:<id>`) and mark its
    messages processed, keeping each reply and erasing each number and words."""
    await enqueue_sms_many(
        [
            QueuedSms(
                # The number as the webhook encrypted it, and its keyed hash (the voice):
                # nothing is decrypted or encrypted again to queue the reply.
                recipient_encrypted=item.text.row["phone_encrypted"],
                recipient_hash=item.text.voice,
                body=item.reply,
                # The outbox sends nothing to a resident who said STOP, except the confirmation.
                purpose=(
                    "stop_confirmation"
                    if item.text.command.kind is CommandKind.OPT_OUT
                    else "sms_reply"
                ),
                dedupe_key=f"sms-reply:{item.text.row['id']}",
            )
            for item in processed
            if item.queue_reply and item.reply
        ]
    )
    await finish_many({item.text.row["id"]: item.reply for item in processed})
    for item in processed:
        SMS_PROCESSED.labels(result=item.result).inc()


async def finish_many(replies: dict[int, str]) -> None:
    """Mark these messages processed in one statement, each with its reply."""
    if not replies:
        return
    args: list[Any] = [value for pair in replies.items() for value in pair]
    # Only placeholders are joined into the statement; every value is a parameter.
    await InboundMessage.raw(
        _FINISH_MANY.format(
            cases=" ".join("WHEN {} THEN {}" for _ in replies),
            ids=", ".join("{}" for _ in replies),
        ),
        *args,
        now(),
        *replies,
    )
