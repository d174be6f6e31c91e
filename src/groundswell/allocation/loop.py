"""Closing the loop: residents who asked to hear back learn what their voices did.

After a round is approved, each opted-in resident who vouched for one of its organisers gets
one SMS, exactly once per resident per round (the outbox's dedupe key says so, across
restarts and repeated runs): how many neighbours spoke up and what happened, honestly,
including when the organiser did not reach the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell.allocation.states import RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import now
from groundswell.core.money import format_money
from groundswell.core.phones import PhoneCipher, PhoneDecryptionError
from groundswell.funders.tables import Pool
from groundswell.outbox.services import enqueue_sms, status_counts
from groundswell.outbox.states import FINAL, OutboxStatus
from groundswell.settings import Settings
from groundswell.vouching.messages import render
from groundswell.vouching.queries import VERIFIED
from groundswell.vouching.states import EndorsementState
from groundswell.vouching.tables import Endorsement

LOOK_BACK = timedelta(days=30)
DEFAULT_WINDOW_DAYS = 180  # a round stored before its policy named its window
PURPOSE = "round_result"
PERIOD_WORDS = {"monthly": "month", "quarterly": "3 months"}
PERIOD_WORDS_CY = {"monthly": "mis", "quarterly": "3 mis"}


def dedupe_key(round_id: int, resident_id: int) -> str:
    return f"round:{round_id}:resident:{resident_id}"


def _read_by_round(as_of: Any, window_days: int) -> Any:
    """Voices the round read: verified, not withdrawn or hidden, given in its window (the
    resident's words within `window_days` before the round's moment)."""
    return (
        (Endorsement.state == EndorsementState.ACTIVE.value)
        & Endorsement.verification.is_in(VERIFIED)
        & (Endorsement.updated_at <= as_of)
        & (Endorsement.updated_at > as_of - timedelta(days=window_days))
    )


def round_window_days(round_row: dict[str, Any]) -> int:
    """The window of voices a stored round read (its policy's `window_days`)."""
    return int((round_row.get("policy") or {}).get("window_days") or DEFAULT_WINDOW_DAYS)


async def listeners(organiser_id: int, as_of: Any, window_days: int) -> list[dict[str, Any]]:
    """Residents who asked to hear back and whose voice for this organiser the round read."""
    return await Endorsement.select(
        Endorsement.resident.id.as_alias("resident_id"),
        Endorsement.resident.lang.as_alias("lang"),
        Endorsement.resident.phone_encrypted.as_alias("phone_encrypted"),
    ).where(
        (Endorsement.organiser == organiser_id)
        & _read_by_round(as_of, window_days)
        & (Endorsement.resident.hear_back == True)  # noqa: E712
        & (Endorsement.resident.messages_stopped == False)  # noqa: E712
        & Endorsement.resident.phone_encrypted.is_not_null()
    )


async def close_the_loop(settings: Settings) -> str:
    """The scheduled job: every round approved in the last month."""
    rounds = await Round.select(Round.id).where(
        Round.status.is_in(
            [RoundStatus.APPROVED.value, RoundStatus.PAYING.value, RoundStatus.PAID.value]
        )
        & (Round.approved_at >= now() - LOOK_BACK)
    )
    queued = 0
    for round_row in rounds:
        queued += await close_the_loop_for(settings, round_row["id"])
    return f"queued {queued} round results"


@dataclass(frozen=True)
class Listener:
    resident_id: int
    lang: str
    number: str  # E.164, decrypted for the outbox (which keeps it encrypted until sent)
    line: dict[str, Any]  # the round's line for the organiser they vouched for


async def round_listeners(settings: Settings, round_row: dict[str, Any]) -> list[Listener]:
    """Each resident who asked to hear back about one of the round's organisers, once (with
    the line of the first such organiser by id). A number kept under an older key is left
    out: there is nothing we can send to."""
    cipher = PhoneCipher(settings.phone_key)
    lines = (
        await Allocation.select(
            Allocation.organiser,
            Allocation.amount,
            Allocation.endorsers,
            Allocation.organiser.name.as_alias("name"),
        )
        .where(Allocation.round == round_row["id"])
        .order_by(Allocation.organiser)
    )
    told: set[int] = set()
    found = []
    for line in lines:
        for listener in await listeners(
            line["organiser"], round_row["as_of"], round_window_days(round_row)
        ):
            resident_id = listener["resident_id"]
            if resident_id in told:
                continue  # one message per resident per round
            told.add(resident_id)
            try:
                number = cipher.decrypt(listener["phone_encrypted"])
            except PhoneDecryptionError:
                continue
            found.append(Listener(resident_id, listener["lang"] or "en", number, line))
    return found


async def close_the_loop_for(settings: Settings, round_id: int) -> int:
    """Queue one result SMS per opted-in resident of this round; how many were new."""
    round_row = (
        await Round.select(Round.id, Round.pool, Round.currency, Round.as_of, Round.policy)
        .where(Round.id == round_id)
        .output(load_json=True)
        .first()
    )
    if round_row is None:
        return 0
    queued = 0
    pool = (
        await Pool.select(Pool.cadence, Pool.min_endorsers)
        .where(Pool.id == round_row["pool"])
        .first()
    )
    cadence = pool["cadence"] if pool else "quarterly"
    needed = int(
        (round_row["policy"] or {}).get("min_endorsers") or (pool["min_endorsers"] if pool else 5)
    )
    for listener in await round_listeners(settings, round_row):
        line, lang = listener.line, listener.lang
        params = {
            "count": f"{line['endorsers']:,}",
            "organiser": line["name"],
            "needed": f"{needed:,}",
            "amount": format_money(line["amount"], round_row["currency"]),
            "period": (PERIOD_WORDS_CY if lang.startswith("cy") else PERIOD_WORDS).get(
                cadence, "3 months"
            ),
        }
        message = "round_result_funded" if line["amount"] > 0 else "round_result_unfunded"
        if await enqueue_sms(
            settings,
            to_e164=listener.number,
            body=render(message, lang, **params),
            purpose=PURPOSE,
            dedupe_key=dedupe_key(round_row["id"], listener.resident_id),
            ttl=timedelta(days=3),
        ):
            queued += 1
    return queued


async def loop_stats(round_id: int) -> dict[str, int]:
    """Loops owed and closed for a round: result texts queued (`owed`); delivered to the
    handset by the carrier's receipt (`closed`); handed to the provider with no receipt yet
    (`sent`); and those that will never arrive (`lost`: undelivered, failed, expired, or
    stopped by the resident)."""
    counts = await status_counts(purpose=PURPOSE, dedupe_key_prefix=f"round:{round_id}:resident:")
    return {
        "owed": sum(counts.values()),
        "closed": counts.get(OutboxStatus.DELIVERED.value, 0),
        "sent": counts.get(OutboxStatus.SENT.value, 0),
        "lost": sum(
            n
            for status, n in counts.items()
            if status in FINAL and status != OutboxStatus.DELIVERED.value
        ),
    }


async def hear_back_share(round_id: int) -> dict[str, int]:
    """Of the residents whose voices this round read, how many asked to hear back."""
    round_row = (
        await Round.select(Round.as_of, Round.policy)
        .where(Round.id == round_id)
        .output(load_json=True)
        .first()
    )
    if round_row is None:
        return {"voices": 0, "opted_in": 0}
    organisers = [
        row["organiser"]
        for row in await Allocation.select(Allocation.organiser).where(Allocation.round == round_id)
    ]
    if not organisers:
        return {"voices": 0, "opted_in": 0}
    rows = await Endorsement.select(
        Endorsement.resident, Endorsement.resident.hear_back.as_alias("hear_back")
    ).where(
        Endorsement.organiser.is_in(organisers)
        & _read_by_round(round_row["as_of"], round_window_days(round_row))
    )
    residents = {row["resident"]: bool(row["hear_back"]) for row in rows}
    return {"voices": len(residents), "opted_in": sum(residents.values())}
