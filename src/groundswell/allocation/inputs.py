"""What the policy reads: a round's candidates and their endorsements.

Endorsements are streamed from a cursor as plain tuples, a batch at a time, and turned into
the policy's small `Endorsement` objects at once, sharing one string per resident and per
organiser; a million of them fit in a few hundred megabytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from groundswell import db
from groundswell.allocation.periods import Period
from groundswell.allocation.policy import Endorsement, EndorsementState
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.vouching.states import EndorsementState as StoredState
from groundswell.vouching.states import ModerationStatus, Verification

Progress = Callable[[str, int, int], None]  # (phase, done, total)

STREAM_BATCH = 10_000

# Active organisers whose bursary year has ended or ends within the period, in one of the
# pool's places (any place when the pool names none).
_ELIGIBLE = (
    "o.status = {} AND o.bursary_end <= {} "
    "AND (NOT EXISTS (SELECT 1 FROM pool_locality pl WHERE pl.pool = {}) "
    "OR o.locality IN (SELECT pl.locality FROM pool_locality pl WHERE pl.pool = {}))"
)

# The policy's state, decided in SQL from the stored state and moderation. A withdrawal is
# the resident's own word, so it wins over a moderator's flag.
_POLICY_STATE = (
    f"CASE WHEN e.state = '{StoredState.HIDDEN.value}' THEN '{EndorsementState.HIDDEN.value}' "
    f"WHEN e.state = '{StoredState.WITHDRAWN.value}' THEN '{EndorsementState.WITHDRAWN.value}' "
    f"WHEN e.moderation = '{ModerationStatus.FLAGGED.value}' "
    f"THEN '{EndorsementState.FLAGGED.value}' "
    f"ELSE '{EndorsementState.ACTIVE.value}' END"
)

_FROM = (
    "FROM endorsement e JOIN organiser o ON o.id = e.organiser "
    "JOIN resident r ON r.id = e.resident WHERE " + _ELIGIBLE
)

_ENDORSEMENTS = (
    "SELECT e.resident, e.organiser, e.updated_at, e.verification, "
    + _POLICY_STATE
    # Sent from the organiser's own phone: the resident's voice is the organiser's.
    + ", COALESCE(r.voice_hash = o.phone_hash, FALSE) "
    + _FROM
)

_STRENGTH = {v.value: v.strength for v in Verification}
_STATES = {s.value: s for s in EndorsementState}


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    code: str
    name: str
    host: int


def _args(pool_id: int, period: Period) -> tuple[object, ...]:
    return (OrganiserStatus.ACTIVE.value, period.end, pool_id, pool_id)


async def candidates(pool_id: int, period: Period) -> list[Candidate]:
    rows = await Organiser.raw(
        "SELECT o.id AS id, o.code AS code, o.name AS name, o.host AS host "
        "FROM organiser o WHERE " + _ELIGIBLE + " ORDER BY o.code",
        *_args(pool_id, period),
    )
    return [Candidate(r["id"], r["code"], r["name"], r["host"]) for r in rows]


# Organisers the round would consider but for their status: paused or left the role.
_SKIPPED = (
    "SELECT o.code AS code, o.name AS name, o.status AS status, o.status_since AS status_since "
    "FROM organiser o WHERE "
    + _ELIGIBLE.replace("o.status = {}", "o.status <> {}", 1)
    + " ORDER BY o.code"
)

# A left organiser is named in rounds for a year after leaving, then no more: every round
# for ever would otherwise list everyone who ever left.
LEFT_NAMED_FOR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Skipped:
    code: str
    name: str
    status: str
    reason: str  # a sentence for the round page: "Paused by programme staff on 3 Dec 2026."

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "status": self.status, "reason": self.reason}


def _skip_reason(status: str, since: datetime | None) -> str:
    on = f" on {since:%-d %b %Y}" if since is not None else ""
    if status == OrganiserStatus.PAUSED.value:
        return f"Paused by programme staff{on}: left out of this round while paused."
    return f"Left the organiser role{on}: no longer in funding rounds."


async def skipped(pool_id: int, period: Period) -> list[Skipped]:
    """Organisers left out of the round by their status alone (their place and bursary year
    would have made them candidates), each with why, for the round's explanations."""
    rows = await Organiser.raw(_SKIPPED, *_args(pool_id, period))
    named_from = datetime.combine(period.start, time.min, tzinfo=UTC) - LEFT_NAMED_FOR
    result = []
    for row in rows:
        since = _timestamp(row["status_since"])
        if row["status"] == OrganiserStatus.LEFT.value and (since is None or since < named_from):
            continue
        result.append(
            Skipped(row["code"], row["name"], row["status"], _skip_reason(row["status"], since))
        )
    return result


def _timestamp(value: object) -> datetime | None:
    """A timestamp as the driver gives it (SQLite's raw queries give text)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def endorsements(
    pool_id: int,
    period: Period,
    candidates: list[Candidate],
    *,
    progress: Progress | None = None,
) -> list[Endorsement]:
    """Every endorsement of the candidates, as the policy's inputs.

    All of them, including those the policy will not count, so that its explanation can say
    how many testimonies were set aside and why.
    """
    total = 0
    if progress is not None:
        rows = await Organiser.raw("SELECT COUNT(*) AS n " + _FROM, *_args(pool_id, period))
        total = int(rows[0]["n"])
        progress("reading endorsements", 0, total)
    codes = {c.id: c.code for c in candidates}
    voices: dict[int, str] = {}
    result: list[Endorsement] = []
    async for batch in db.stream(_ENDORSEMENTS, *_args(pool_id, period), batch_size=STREAM_BATCH):
        for resident, organiser, at, verification, state, is_self in batch:
            code = codes.get(organiser)
            if code is None:
                continue  # became eligible after the candidates were read: next round
            voice = voices.get(resident)
            if voice is None:
                voice = voices[resident] = str(resident)
            result.append(
                Endorsement(
                    voice=voice,
                    organiser=code,
                    at=at,
                    strength=_STRENGTH.get(verification, 0.0),
                    state=_STATES[state],
                    is_self=bool(is_self),
                )
            )
        if progress is not None:
            progress("reading endorsements", len(result), total)
    return result
