"""E-mail to a funder's members about their request for money back, through the outbox
(once per request and member, whatever the retries)."""

from __future__ import annotations

from typing import Any

from groundswell.accounts.tables import Membership, User
from groundswell.core.money import format_money
from groundswell.outbox.services import enqueue_email


async def tell_funder_declined(request: dict[str, Any], reason: str, public_url: str) -> int:
    """Each active member of the request's funder hears that it was declined, and why."""
    member_ids = [
        row["user"]
        for row in await Membership.select(Membership.user).where(
            Membership.funder == request["funder"]
        )
    ]
    if not member_ids:
        return 0
    members = await User.select(User.id, User.email, User.name).where(
        User.id.is_in(member_ids) & (User.is_active == True)  # noqa: E712
    )
    asked = format_money(int(request["amount"]), request["currency"])
    what = f"{asked} back" + (" and to close the pool" if request["close_pool"] else "")
    if not request["amount"]:
        what = "to close the pool"
    link = f"{public_url.rstrip('/')}/pools/{request['pool']}#returns"
    queued = 0
    for member in members:
        queued += await enqueue_email(
            to=member["email"],
            subject=f"{request['pool_name']}: your request for money back was declined",
            body=(
                f"Hello {member['name']},\n\n"
                f"Your request of {request['requested_at']:%-d %B %Y} for {what} from "
                f"{request['pool_name']} was declined by Groundswell's administrators. "
                "No money moved and the pool is as it was.\n\n"
                f"Why: {reason}\n\n"
                f"You can see it, and ask again, on the pool's page:\n{link}\n\nGroundswell\n"
            ),
            purpose="pool_return.declined",
            dedupe_key=f"return:{request['id']}:declined:{member['id']}",
        )
    return queued
