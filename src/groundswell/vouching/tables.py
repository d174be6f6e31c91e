"""Residents' voices: who (as a keyed hash, never a number), what they said, and its state."""

import secrets
from typing import Any

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from groundswell.community.tables import Organiser
from groundswell.vouching.states import (
    Channel,
    EndorsementState,
    ModerationStatus,
    Theme,
    Verification,
)


class Resident(Table, tablename="resident"):
    """One voice per phone: HMAC-SHA256(GROUNDSWELL_PHONE_KEY, E.164 number)."""

    id: Serial
    voice_hash = Varchar(length=64, unique=True)
    lang = Varchar(length=5, default="en")
    messages_stopped = Boolean(default=False)  # STOP: no more texts of any kind
    hear_back = Boolean(default=False)  # opted in to hear what happened after a round
    # Kept, encrypted, only while the resident has opted in to hear back.
    phone_encrypted = Text(null=True, default=None, secret=True)
    # When they texted DELETE: a YES within sms_rights.ERASE_CONFIRM_WINDOW erases them.
    erase_requested_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


def new_public_ref() -> str:
    """A random reference for one testimony, shown to readers instead of its row id: ids are
    sequential, so answering for them would let anyone list every voice."""
    return secrets.token_urlsafe(16)


class Endorsement(Table, tablename="endorsement"):
    """A resident's vouch for one organiser; vouching again replaces the words (one voice)."""

    id: Serial
    # Unique (index made by the migration "testimony public reference backfill").
    public_ref = Varchar(length=32, null=True, default=new_public_ref)
    resident = ForeignKey(Resident, null=False, on_delete=OnDelete.cascade)
    organiser = ForeignKey(Organiser, null=False, on_delete=OnDelete.restrict)
    testimony = Text()
    # The redacted words and neighbourhood (redact.search_text): the full-text index is built
    # on this, never on the raw words. PostgreSQL derives a tsvector column and GIN index from
    # it; SQLite keeps an FTS5 table in step by triggers (migration "listening search").
    search_text = Text(default="")
    # Digest of the normalised words: the same text from many numbers is a signal.
    text_digest = Varchar(length=64, default="", index=True)
    theme = Varchar(length=16, choices=Theme, default=Theme.VALUE)
    display_name = Varchar(length=40, default="")  # first name, only with consent
    neighbourhood = Varchar(length=60, default="")
    # Where the words may appear, as the resident chose (both off: counted, never shown).
    show_public = Boolean(default=False)  # organiser's public page, never with name or place
    show_funders = Boolean(default=False)  # signed-in funders, with first name and neighbourhood
    channel = Varchar(length=8, choices=Channel)
    verification = Varchar(length=16, choices=Verification, default=Verification.UNVERIFIED)
    state = Varchar(
        length=16, choices=EndorsementState, default=EndorsementState.ACTIVE, index=True
    )
    moderation = Varchar(length=16, choices=ModerationStatus, default=ModerationStatus.CLEAR)
    flags = JSONB(default=[])  # why it was flagged: burst, repeated_text, link, reported, shared_ip
    score = Integer(null=True, default=None)  # optional 0-10 "tell a neighbour" answer
    source_hash = Varchar(
        length=64, default=""
    )  # keyed hash of IP or web session, for abuse signals
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # when the words were last given
    withdrawn_at = Timestamptz(null=True, default=None)


class InboundMessage(Table, tablename="inbound_message"):
    """Every Twilio MessageSid once, recorded before the webhook answers (vouching/ingest.py)
    and processed behind it; a retried delivery is recorded and processed no second time."""

    id: Serial
    message_sid = Varchar(length=64, unique=True)
    voice_hash = Varchar(length=64, index=True)
    # Kept only until the message is processed, then erased: the words as sent, and the
    # sender's number encrypted so the reply can be queued to it.
    body = Text(null=True, default=None)
    phone_encrypted = Text(null=True, default=None, secret=True)
    num_media = Integer(default=0)
    reply = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())
    # NULL while waiting (partial index "inbound_message_waiting"); set in the transaction
    # that processed it and queued its reply.
    processed_at = Timestamptz(null=True, default=None)
    error = Text(default="")  # why processing failed, when it did (never the words)


class PendingPrompt(Table, tablename="pending_prompt"):
    """A resident texted a code alone; their next message within 24 hours is the testimony."""

    id: Serial
    resident = ForeignKey(Resident, null=False, on_delete=OnDelete.cascade, unique=True)
    organiser = ForeignKey(Organiser, null=False, on_delete=OnDelete.cascade)
    expires_at = Timestamptz()


class WebVerification(Table, tablename="web_verification"):
    """A web vouch waiting for the 6-digit code sent to the resident's mobile: for an
    organiser, or for a subject (a building); exactly one of the two is set."""

    id: Serial
    token_hash = Varchar(length=64, unique=True)  # the browser holds the token in the URL
    organiser = ForeignKey(Organiser, null=True, default=None, on_delete=OnDelete.cascade)
    voice_hash = Varchar(length=64, index=True)
    code_hash = Varchar(length=64)
    testimony = Text()
    theme = Varchar(length=16, choices=Theme, default=Theme.VALUE)
    display_name = Varchar(length=40, default="")
    neighbourhood = Varchar(length=60, default="")
    show_public = Boolean(default=False)
    show_funders = Boolean(default=False)
    hear_back = Boolean(default=False)
    score = Integer(null=True, default=None)  # optional 0-10 "tell a neighbour" answer
    # Only when the resident asked to hear back: moved to the resident on confirmation.
    phone_encrypted = Text(null=True, default=None, secret=True)
    source_hash = Varchar(length=64, default="")
    attempts = Integer(default=0)
    expires_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    endorsement = ForeignKey(Endorsement, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    # A building's vouch (migration "web vouches for buildings"); VouchSubject is below.
    subject: ForeignKey[Any] = ForeignKey(
        LazyTableReference("VouchSubject", module_path="groundswell.vouching.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.cascade,
    )


class ModerationReport(Table, tablename="moderation_report"):
    """A "report this" from anyone reading testimony; reviewed in the admin queue. A report
    asks a moderator to look: it never takes a voice out of a round by itself."""

    id: Serial
    endorsement = ForeignKey(Endorsement, null=False, on_delete=OnDelete.cascade)
    reason = Text(default="")
    # Keyed hash of the reporter's address or session (never in clear): one report per source
    # per voice (unique with the endorsement, made by the migration), and moderators see how
    # many reports each source sent. NULL for reports made before sources were kept.
    source_hash = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)


class VouchSubject(Table, tablename="vouch_subject"):
    """Something other than an organiser that residents vouch for, named by its own code:
    today a building in a Community Right to Bid (programme's AssetBid points here). Its
    voices are SubjectVoice rows, never endorsements, so nothing said about a building can
    reach an organiser's allocation, which reads endorsements only."""

    id: Serial
    kind = Varchar(length=16, default="building")
    # Codes share the organisers' NAME-XX shape (one SMS grammar) but their suffix starts
    # with a letter, which organiser codes never do (community.codes.generate_code): the
    # two can never collide. Unique here; checked against organisers when made.
    code = Varchar(length=16, unique=True)
    name = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class SubjectVoice(Table, tablename="subject_voice"):
    """A resident's voice for one subject: one per phone per subject (unique index made by
    the migration); vouching again replaces the words. Same consent and privacy as an
    endorsement: words redacted of numbers, the phone only as the resident's hash."""

    id: Serial
    subject = ForeignKey(VouchSubject, null=False, on_delete=OnDelete.cascade)
    resident = ForeignKey(Resident, null=False, on_delete=OnDelete.cascade)
    testimony = Text()
    neighbourhood = Varchar(length=60, default="")
    # show_public: the words may go in the evidence pack and on the bid's pages, never with
    # the place; show_funders: the neighbourhood may be counted (folded when small).
    show_public = Boolean(default=False)
    show_funders = Boolean(default=False)
    channel = Varchar(length=8, choices=Channel)
    verification = Varchar(length=16, choices=Verification, default=Verification.UNVERIFIED)
    state = Varchar(length=16, choices=EndorsementState, default=EndorsementState.ACTIVE)
    source_hash = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())  # when the words were last given
    withdrawn_at = Timestamptz(null=True, default=None)
    # The endorsement's abuse signals (vouching/moderation.py): a flagged voice is not shown
    # or put in the evidence pack until a moderator keeps it (migration 2026-12-06T15:00).
    text_digest = Varchar(length=64, default="", index=True)
    moderation = Varchar(length=16, choices=ModerationStatus, default=ModerationStatus.CLEAR)
    flags = JSONB(default=[])


TABLES = [
    Resident,
    Endorsement,
    InboundMessage,
    PendingPrompt,
    WebVerification,
    ModerationReport,
    VouchSubject,
    SubjectVoice,
]
