"""What awarding a grant or recording its payment will do, in words, for the check page.

Read-only: nothing here writes. The page only describes; the confirmed POST goes through
`grants.award_grant` / `grants.mark_grant_paid`, which lock, re-read and validate again, so a
value changed between the check page and the confirm is judged afresh (never trusted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from groundswell.core.errors import Conflict, NotFound
from groundswell.core.money import format_money
from groundswell.ledger import services as ledger
from groundswell.programme.clocks import human_date
from groundswell.programme.grants import paid_after_award, read_payment
from groundswell.programme.states import GrantStatus
from groundswell.programme.tables import ProgrammeGrant


async def grant_summary(grant_id: int) -> dict[str, Any]:
    """The grant with its pool, funder, bid and group names, and the pool's available money."""
    grant = (
        await ProgrammeGrant.select(
            *ProgrammeGrant.all_columns(),
            ProgrammeGrant.pool.name.as_alias("pool_name"),
            ProgrammeGrant.pool.funder.name.as_alias("funder_name"),  # type: ignore[union-attr]
            ProgrammeGrant.asset_bid.asset_name.as_alias("asset_name"),
            ProgrammeGrant.asset_bid.group_name.as_alias("asset_group"),
            ProgrammeGrant.service_bid.service_name.as_alias("service_name"),
            ProgrammeGrant.service_bid.group_name.as_alias("service_group"),
        )
        .where(ProgrammeGrant.id == grant_id)
        .first()
    )
    if grant is None:
        raise NotFound(f"There is no programme grant {grant_id}.")
    is_asset = grant["asset_bid"] is not None
    grant["bid_name"] = grant["asset_name"] if is_asset else grant["service_name"]
    grant["group_name"] = grant["asset_group"] if is_asset else grant["service_group"]
    grant["bid_url"] = (
        f"/programme/asset-bids/{grant['asset_bid']}"
        if is_asset
        else f"/programme/service-bids/{grant['service_bid']}"
    )
    balances = await ledger.all_pool_balances()
    grant["available"] = balances.get(grant["pool"], {}).get("available", 0)
    grant["amount_text"] = format_money(grant["amount"], grant["currency"])
    return grant


async def award_check(grant_id: int) -> dict[str, Any]:
    """The award's check page: the sentence and the pool's money before and after.

    Conflict when it cannot be awarded as things stand (so no Confirm is offered for it):
    not proposed, or more than the pool has available. An award already made is for the
    caller to say so.
    """
    grant = await grant_summary(grant_id)
    status = GrantStatus(grant["status"])
    if status is not GrantStatus.PROPOSED and status is not GrantStatus.AWARDED:
        raise Conflict(f"This grant was {status.value}; it cannot be awarded.")
    after = grant["available"] - grant["amount"]
    money = lambda amount: format_money(amount, grant["currency"])  # noqa: E731
    if status is GrantStatus.PROPOSED and after < 0:
        # The same refusal the award itself gives: no Confirm for what cannot happen.
        raise Conflict(
            f"{grant['pool_name']} has {money(grant['available'])} available and this grant "
            f"is for {grant['amount_text']}, so it was not awarded. "
            "Record a deposit into the pool, or propose a smaller grant."
        )
    return {
        "grant": grant,
        "step": "award",
        "title": "Check before you award this grant",
        "sentence": (
            f"Award {grant['amount_text']} from {grant['pool_name']} to {grant['group_name']} "
            f"for {grant['bid_name']}; this publishes to 360Giving."
        ),
        "rows": [
            ("Grant", grant["title"]),
            ("Group", grant["group_name"]),
            ("Bid", grant["bid_name"]),
            ("Pool", f"{grant['pool_name']} ({grant['funder_name']})"),
            ("Amount", grant["amount_text"]),
            (
                "The pool's available money",
                f"{money(grant['available'])} now; {money(after)} after the award",
            ),
            ("Published", "In the 360Giving data, from the next export"),
        ],
        "hidden": {},
        "button": "Award this grant",
    }


async def payment_check(grant_id: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The payment's check page; ValidationFailed when what was typed cannot be recorded."""
    reference, paid_on = read_payment(raw)
    grant = await grant_summary(grant_id)
    status = GrantStatus(grant["status"])
    if status is not GrantStatus.AWARDED and status is not GrantStatus.PAID:
        raise Conflict(f"This grant is {status.value}; only an awarded grant can be marked paid.")
    paid_after_award(grant, paid_on)
    return {
        "grant": grant,
        "step": "paid",
        "title": "Check the payment before you record it",
        "sentence": (
            f"Mark {grant['amount_text']} paid to {grant['group_name']} on "
            f"{human_date(paid_on)} (reference {reference})."
        ),
        "rows": [
            ("Grant", grant["title"]),
            ("Group", grant["group_name"]),
            ("Amount", grant["amount_text"]),
            ("Paid on", human_date(paid_on)),
            ("Payment reference", reference),
        ],
        "hidden": {"payment_reference": reference, "paid_on": paid_on.isoformat()},
        "button": "Record the payment",
    }


def change_url(check: dict[str, Any]) -> str:
    """The check page's "Change": back to the grant's form on its bid page, values kept."""
    grant = check["grant"]
    if check["step"] != "paid":
        return f"{grant['bid_url']}#grants"
    query = urlencode({"change_paid": grant["id"], **check["hidden"]})
    return f"{grant['bid_url']}?{query}#grant-{grant['id']}"
