"""E-mail to the group when its grant is awarded or paid, through the outbox.

Queued in the same transaction as the grant's change, so a refused or rolled-back step sends
nothing; one e-mail per contact address and step (the dedupe key), so a repeat sends nothing
more. The addresses are the bid's contacts, the ones its reminders go to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundswell.core.money import format_money
from groundswell.core.security import token_digest
from groundswell.outbox.services import enqueue_email
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID

PURPOSES = {"award": "grant_awarded", "paid": "grant_paid"}


async def tell_group(grant: Mapping[str, Any], step: str, what: str) -> int:
    """Queue the e-mail for `step` ("award" or "paid"); `what` is the sentence saying what
    happened. Returns how many were newly queued."""
    kind, bid_id = (
        (ASSET_BID, grant["asset_bid"])
        if grant["asset_bid"] is not None
        else (SERVICE_BID, grant["service_bid"])
    )
    table = kind.table
    bid = (
        await table.select(getattr(table, kind.name_field), table.group_name, table.contact_emails)
        .where(table.id == bid_id)
        .first()
    )
    if bid is None:
        return 0
    addresses = sorted({e.strip() for e in (bid["contact_emails"] or "").split("\n") if e.strip()})
    amount = format_money(grant["amount"], grant["currency"])
    subject = (
        f"Grant awarded: {amount} for {bid[kind.name_field]}"
        if step == "award"
        else f"Grant paid: {amount} for {bid[kind.name_field]}"
    )[:200]
    body = (
        f"Hello {bid['group_name']},\n\n{what}\n\n"
        f"Grant: {grant['title']}\n"
        "You can follow your group's bids on Groundswell by signing in with this address.\n"
    )
    queued = 0
    for address in addresses:
        queued += await enqueue_email(
            to=address,
            subject=subject,
            body=body,
            purpose=PURPOSES[step],
            dedupe_key=f"grant:{grant['id']}:{step}:{token_digest(address.lower())[:16]}",
        )
    return queued
