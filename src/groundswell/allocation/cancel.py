"""Rounds that can end: a paused round cancelled, and paused rounds not forgotten.

Cancelling is one transaction: the round (locked) becomes `cancelled`, its proposed lines
`cancelled`, the money it committed goes back to the pool's available balance in ONE ledger
transaction ("round:<id>:cancel"), the audit log keeps who and why, and residents who asked
to hear back about its organisers get one honest SMS each: the round was cancelled and no
money went out from it. Cancelling again changes nothing.

A round left paused keeps its money committed, so the `rounds.paused_reminder` job e-mails
the funder's users and the administrators once per round per
GROUNDSWELL_PAUSED_ROUND_REMINDER_DAYS until someone resumes or cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell import db
from groundswell.accounts.tables import Membership, User
from groundswell.allocation.loop import round_listeners
from groundswell.allocation.review import read_reason
from groundswell.allocation.rounds import can_review_round, get_round
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core import audit
from groundswell.core.clock import now, on_uk_clocks
from groundswell.core.errors import Conflict
from groundswell.core.money import format_money
from groundswell.core.principal import Principal, Role
from groundswell.db import write_transaction
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.outbox.services import enqueue_email, enqueue_sms
from groundswell.settings import Settings
from groundswell.vouching.messages import render

SMS_PURPOSE = "round_cancelled"
REMINDER_PURPOSE = "round_paused_reminder"


def cancel_reference(round_id: int) -> str:
    return f"round:{round_id}:cancel"


def resident_dedupe_key(round_id: int, resident_id: int) -> str:
    return f"round:{round_id}:cancelled:resident:{resident_id}"


@dataclass(frozen=True)
class Cancelled:
    changed: bool  # False: it was cancelled already, nothing happened
    released: int  # minor units moved back to available (0 when nothing changed)
    texts: int  # SMS queued to residents


async def cancel_round(
    settings: Settings, principal: Principal, round_id: int, reason: str
) -> Cancelled:
    """End a paused round: its committed money goes back to the pool's available balance."""
    stored = await can_review_round(principal, round_id)
    reason = read_reason(reason)
    async with write_transaction():
        # The pool before the round, as computing a round does, so two writers never wait
        # on each other; the pool lock also serialises every move of this pool's money.
        await ledger.lock_pool(stored["pool"])
        row = await db.locked(
            Round.select(Round.id, Round.status, Round.as_of, Round.policy, Round.currency)
            .where(Round.id == round_id)
            .output(load_json=True)
        ).first()
        assert row is not None  # rounds are never deleted
        status = RoundStatus(row["status"])
        if status is RoundStatus.CANCELLED:
            return Cancelled(changed=False, released=0, texts=0)
        if status is RoundStatus.COMPUTED:
            raise Conflict("Only a paused round can be cancelled: pause it first, saying why.")
        if status is not RoundStatus.PAUSED:
            raise Conflict(
                "This round has been approved and handed to payments; it can no longer be "
                "cancelled."
            )
        lines = await Allocation.select(Allocation.id, Allocation.amount).where(
            (Allocation.round == round_id) & (Allocation.state == AllocationState.PROPOSED.value)
        )
        released = sum(line["amount"] for line in lines)
        if released > 0:
            await ledger.move(
                stored["pool"],
                TransactionKind.ROUND_CANCELLATION,
                cancel_reference(round_id),
                AccountKind.COMMITTED,
                AccountKind.AVAILABLE,
                released,
                memo=f"Round {round_id} ({stored['period'].label()}) cancelled: {reason}"[:500],
            )
        moment = now()
        await Allocation.update(
            {Allocation.state: AllocationState.CANCELLED.value, Allocation.updated_at: moment}
        ).where(
            (Allocation.round == round_id) & (Allocation.state == AllocationState.PROPOSED.value)
        )
        await Round.update(
            {Round.status: RoundStatus.CANCELLED.value, Round.cancelled_at: moment}
        ).where(Round.id == round_id)
        await audit.record(
            principal, "round.cancel", "round", round_id, reason=reason, released=released
        )
        texts = await _tell_residents(settings, row)
    return Cancelled(changed=True, released=released, texts=texts)


async def _tell_residents(settings: Settings, round_row: dict[str, Any]) -> int:
    """One SMS per resident who asked to hear back about one of the round's organisers."""
    told = await round_listeners(settings, round_row)
    for listener in told:
        await enqueue_sms(
            settings,
            to_e164=listener.number,
            body=render("round_cancelled", listener.lang, organiser=listener.line["name"]),
            purpose=SMS_PURPOSE,
            dedupe_key=resident_dedupe_key(round_row["id"], listener.resident_id),
            ttl=timedelta(days=3),
        )
    return len(told)


# --------------------------------------------------------------------------------------------
# Paused rounds are not forgotten
# --------------------------------------------------------------------------------------------


def reminder_dedupe_key(round_id: int, paused_at: Any, period: int, user_id: int) -> str:
    """Once per round, per pause (its moment), per period of N days, per person."""
    return f"round:{round_id}:paused:{paused_at:%Y%m%dT%H%M%S}:reminder:{period}:user:{user_id}"


async def remind_paused_rounds(settings: Settings) -> str:
    """The scheduled job: e-mail about every round paused longer than the setting's days."""
    days = max(1, settings.paused_round_reminder_days)
    moment = now()
    paused = await Round.select(Round.id, Round.paused_at).where(
        (Round.status == RoundStatus.PAUSED.value)
        & Round.paused_at.is_not_null()
        & (Round.paused_at <= moment - timedelta(days=days))
    )
    admins = await User.select(User.id, User.email, User.name).where(
        (User.role == Role.ADMIN.value) & (User.is_active == True)  # noqa: E712
    )
    queued = 0
    for row in paused:
        period = (moment - row["paused_at"]) // timedelta(days=days)
        stored = await get_round(row["id"])
        member_ids = [
            m["user"]
            for m in await Membership.select(Membership.user).where(
                Membership.funder == stored["funder_id"]
            )
        ]
        members = (
            await User.select(User.id, User.email, User.name).where(
                User.id.is_in(member_ids) & (User.is_active == True)  # noqa: E712
            )
            if member_ids
            else []
        )
        people = {person["id"]: person for person in [*members, *admins]}
        for person in people.values():
            if await enqueue_email(
                to=person["email"],
                subject=(
                    f"{stored['pool_name']}: the {stored['period'].label()} round is still paused"
                ),
                body=_reminder_body(settings, stored, person["name"], moment - row["paused_at"]),
                purpose=REMINDER_PURPOSE,
                dedupe_key=reminder_dedupe_key(row["id"], row["paused_at"], period, person["id"]),
            ):
                queued += 1
    return f"{queued} reminders queued about {len(paused)} paused rounds"


def _reminder_body(
    settings: Settings, stored: dict[str, Any], name: str, paused_for: timedelta
) -> str:
    link = f"{settings.public_url.rstrip('/')}/rounds/{stored['id']}"
    money = format_money(stored["allocated"], stored["currency"])
    return (
        f"Hello {name},\n\n"
        f"The {stored['period'].label()} round of {stored['pool_name']} was paused on "
        f"{on_uk_clocks(stored['paused_at']):%-d %B %Y at %H:%M %Z} and has been paused for "
        f"{paused_for.days} days. While it is paused its {money} stays set aside: no organiser "
        "is paid from it and the pool cannot use it.\n\n"
        "The funder or an administrator can resume it (it goes back to review, or is approved "
        "at once if its review deadline has passed) or cancel it (its money goes back to the "
        f"pool's available balance and nothing is paid from it), saying why, here:\n{link}\n\n"
        "Groundswell\n"
    )
