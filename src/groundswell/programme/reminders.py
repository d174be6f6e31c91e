"""Deadlines and reminders: every statutory deadline a group still has to act on, and the
daily e-mails that remind the group of each one, 14 and 3 days before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from groundswell import db
from groundswell.core.clock import now, today
from groundswell.outbox.services import enqueue_email
from groundswell.programme.bids import durations_from
from groundswell.programme.clocks import ClockDurations, human_date
from groundswell.programme.deadlines import (
    ADVICE,
    ASSET_DEADLINE_LABELS,
    REMINDER_DAYS_BEFORE,
    SERVICE_DEADLINE_LABELS,
    Deadline,
    days_left_phrase,
    due_reminder,
)
from groundswell.programme.kinds import BID_KINDS
from groundswell.programme.tables import ProgrammeReminder
from groundswell.settings import Settings


@dataclass(frozen=True)
class LiveDeadline:
    bid_type: str  # "asset" or "service"
    bid_id: int
    bid_name: str
    group_name: str
    deadline: Deadline
    recipients: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"/programme/{self.bid_type}-bids/{self.bid_id}"

    def days_left(self, on: date) -> int:
        return (self.deadline.on - on).days


def _recipients(row: Mapping[str, Any]) -> tuple[str, ...]:
    emails = [e for e in (row.get("contact_emails") or "").split("\n") if e]
    if not emails and row.get("group_host_email"):
        emails = [row["group_host_email"]]
    return tuple(emails)


async def live_deadlines(durations: ClockDurations) -> list[LiveDeadline]:
    """Every deadline a group still needs to act on, earliest first."""
    found: list[LiveDeadline] = []
    for kind in BID_KINDS:
        table = kind.table
        rows = await table.select(
            *table.all_columns(), table.group_host.contact_email.as_alias("group_host_email")
        ).where(table.stage.not_in([s.value for s in kind.stages if not kind.transitions[s]]))
        for row in rows:
            kind.add_deadlines(row, kind.stages(row["stage"]), durations)
            found.extend(
                LiveDeadline(
                    kind.key,
                    row["id"],
                    row[kind.name_field],
                    row["group_name"],
                    item,
                    _recipients(row),
                )
                for item in row["live_deadlines"]
            )
    return sorted(found, key=lambda d: (d.deadline.on, d.bid_type, d.bid_id, d.deadline.kind))


def _reminder_text(item: LiveDeadline, days_before: int, on: date) -> tuple[str, str]:
    deadline_on = item.deadline.on
    left = days_left_phrase(deadline_on, on)
    subject = (
        f"{item.bid_name}: {item.deadline.label.lower()} on {human_date(deadline_on)} ({left})"
    )
    body = "\n\n".join(
        [
            f"Hello {item.group_name},",
            f"{item.deadline.label} on {human_date(deadline_on)}: {left}. "
            "That date is the last day of the period.",
            ADVICE[(item.bid_type, item.deadline.kind)],
            f"This is the reminder {days_before} days before the deadline, sent once by the "
            "Groundswell grant programme. Reply to this e-mail if anything here is wrong.",
        ]
    )
    return subject[:200], body


async def send_due_reminders(settings: Settings, *, on: date | None = None) -> str:
    """The daily job: queue each due reminder once, to each of the group's contacts.

    The reminder's row and its e-mails are written in one transaction, and the row is unique
    per (bid, deadline kind, deadline date, days before): a second run, a restart or a second
    scheduler finds the row and sends nothing. A deadline whose date changes is a new
    deadline, and is reminded of afresh.
    """
    on = on or today()
    durations = durations_from(settings)
    sent = emails = no_contacts = 0
    for item in await live_deadlines(durations):
        days_before = due_reminder(item.deadline.on, on, REMINDER_DAYS_BEFORE)
        if days_before is None:
            continue
        if not item.recipients:
            # Not recorded: once someone adds a contact, the reminder can still go out.
            no_contacts += 1
            continue
        subject, body = _reminder_text(item, days_before, on)
        async with db.write_transaction():
            rows = (
                await ProgrammeReminder.insert(
                    ProgrammeReminder(
                        bid_type=item.bid_type,
                        bid_id=item.bid_id,
                        deadline_kind=item.deadline.kind,
                        deadline_on=item.deadline.on,
                        days_before=days_before,
                        recipients="\n".join(item.recipients),
                        sent_at=now(),
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(ProgrammeReminder.id)
            )
            if not rows:
                continue
            key = (
                f"programme-reminder:{item.bid_type}:{item.bid_id}:{item.deadline.kind}:"
                f"{item.deadline.on.isoformat()}:{days_before}"
            )
            for email in item.recipients:
                await enqueue_email(
                    to=email,
                    subject=subject,
                    body=body,
                    purpose="programme_reminder",
                    dedupe_key=f"{key}:{hashlib.sha256(email.encode()).hexdigest()[:16]}",
                    ttl=timedelta(days=max((item.deadline.on - on).days, 1)),
                )
                emails += 1
        sent += 1
    message = f"{sent} reminders sent ({emails} e-mails)"
    if no_contacts:
        message += f"; {no_contacts} due but the group has no contact address"
    return message


async def recent_reminders(limit: int = 50) -> list[dict[str, Any]]:
    rows = (
        await ProgrammeReminder.select()
        .order_by(ProgrammeReminder.sent_at, ascending=False)
        .order_by(ProgrammeReminder.id, ascending=False)
        .limit(limit)
    )
    names: dict[tuple[str, int], str] = {}
    for kind in BID_KINDS:
        ids = {r["bid_id"] for r in rows if r["bid_type"] == kind.key}
        if ids:
            table = kind.table
            for bid in await table.select(table.id, getattr(table, kind.name_field)).where(
                table.id.is_in(list(ids))
            ):
                names[(kind.key, bid["id"])] = bid[kind.name_field]
    labels = {"asset": ASSET_DEADLINE_LABELS, "service": SERVICE_DEADLINE_LABELS}
    for row in rows:
        row["bid_name"] = names.get((row["bid_type"], row["bid_id"]), f"#{row['bid_id']}")
        row["deadline_label"] = labels[row["bid_type"]].get(
            row["deadline_kind"], row["deadline_kind"]
        )
        row["recipient_count"] = len([r for r in row["recipients"].split("\n") if r])
    return rows


async def reminders_for(bid_type: str, bid_id: int) -> list[dict[str, Any]]:
    return (
        await ProgrammeReminder.select()
        .where((ProgrammeReminder.bid_type == bid_type) & (ProgrammeReminder.bid_id == bid_id))
        .order_by(ProgrammeReminder.sent_at)
    )
