"""Nominating groups follow their own bids: a contact named on a bid signs in with a link
e-mailed to that address (no password, no account), sees only the bids that name them, can
ask in time to be treated as a bidder (which starts the full moratorium) and can change the
bid's contact addresses. Staff see each of these as the group's activity on the bid's page.

A link works once, for 30 minutes; the session it opens lasts 8 hours and ends as soon as no
bid names the address any more. Only SHA-256 digests of tokens are kept. The sign-in form
answers the same whether or not an address is on a bid, so it tells nobody who the
contacts are; limits per address and per connection stop it being used to flood a mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell.accounts.services import normalise_email
from groundswell.core import audit, ratelimit
from groundswell.core.clock import now, today
from groundswell.core.errors import Conflict, NotFound, TooManyRequests
from groundswell.core.forms import FieldReader
from groundswell.core.security import new_token, token_digest
from groundswell.core.tables import AuditEntry
from groundswell.db import write_transaction
from groundswell.outbox.services import enqueue_email
from groundswell.programme.bids import BidKind, change_bid, get_bid
from groundswell.programme.clocks import ClockDurations
from groundswell.programme.inputs import read_emails
from groundswell.programme.kinds import ASSET_BID, BID_KINDS
from groundswell.programme.states import AssetBidStage
from groundswell.programme.tables import GroupSignIn
from groundswell.settings import Settings

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
HOUR = timedelta(hours=1)
LINKS_PER_ADDRESS_PER_HOUR = 3
LINKS_PER_SOURCE_PER_HOUR = 20
LINK_USES_PER_SOURCE_PER_HOUR = 30
SESSION_COOKIE = "gs_group"
PURPOSE_SIGN_IN_EMAIL = "group_sign_in"
GROUP_ACTIONS = ("group_bidder_request", "group_contacts")


class GroupLinkNotUsable(NotFound):
    """Unknown, used or expired: one answer for all, so nobody learns which links existed."""

    def __init__(self) -> None:
        super().__init__(
            "This sign-in link has expired or has already been used. "
            "Ask for a new one: it comes to the same address."
        )


class NotYourBid(NotFound):
    """A bid that does not name this contact answers exactly as a bid that does not exist."""

    def __init__(self) -> None:
        super().__init__("There is no such bid among the bids that name your address.")


@dataclass(frozen=True, slots=True)
class GroupBid:
    kind: BidKind
    bid: dict[str, Any]

    @property
    def url(self) -> str:
        return f"/groups/bids/{self.kind.key}/{self.bid['id']}"


def _named_on(bid: dict[str, Any], email: str) -> bool:
    lines = (bid.get("contact_emails") or "").split("\n")
    return email in (line.strip().lower() for line in lines)


async def _bid_ids_naming(kind: BidKind, email: str) -> list[int]:
    table: Any = kind.table
    # LIKE narrows (addresses are stored lower-case); the exact line match decides.
    rows = await table.select(table.id, table.contact_emails).where(
        table.contact_emails.like(f"%{email}%")
    )
    return [row["id"] for row in rows if _named_on(row, email)]


async def is_named_on_a_bid(email: str) -> bool:
    for kind in BID_KINDS:
        if await _bid_ids_naming(kind, email):
            return True
    return False


def sign_in_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/groups/sign-in/{token}"


async def request_link(settings: Settings, *, email: str, client_ip: str) -> None:
    """E-mail a sign-in link if a bid names the address. The caller answers the same either
    way (except to a connection refused for asking too often)."""
    if not await ratelimit.hit(
        f"group-link:source:{ratelimit.source_key(client_ip)}",
        limit=LINKS_PER_SOURCE_PER_HOUR,
        window=HOUR,
    ):
        raise TooManyRequests("Too many sign-in requests from this connection. Wait an hour.")
    address = normalise_email(email)
    if not await ratelimit.hit(
        f"group-link:email:{token_digest(address)[:32]}",
        limit=LINKS_PER_ADDRESS_PER_HOUR,
        window=HOUR,
    ):
        return
    if not await is_named_on_a_bid(address):
        return
    token = new_token()
    moment = now()
    async with write_transaction():
        await GroupSignIn.delete().where(
            (GroupSignIn.email == address)
            & (GroupSignIn.kind == "link")
            & GroupSignIn.used_at.is_null()
        )
        rows = await GroupSignIn.insert(
            GroupSignIn(
                kind="link",
                email=address,
                token_hash=token_digest(token),
                created_at=moment,
                expires_at=moment + LINK_LIFETIME,
            )
        ).returning(GroupSignIn.id)
        await enqueue_email(
            to=address,
            subject="Your link to follow your group's bids on Groundswell",
            body=(
                "Hello,\n\n"
                "Someone asked to sign in to Groundswell with this address, which is named as "
                "a contact on a Community Right to Bid or Right to Challenge case. "
                "To see your group's bids, open this link:\n\n"
                f"{sign_in_url(settings, token)}\n\n"
                "The link works once, for 30 minutes. If you did not ask for it, ignore this "
                "e-mail: nobody can sign in without it.\n"
            ),
            purpose=PURPOSE_SIGN_IN_EMAIL,
            dedupe_key=f"group_sign_in:{rows[0]['id']}:{token_digest(token)[:16]}",
            ttl=LINK_LIFETIME,
        )


async def link_is_usable(token: str) -> bool:
    """Whether the link's page should offer "Continue" (it changes nothing: mail scanners
    open links, so only the POST that follows takes it)."""
    return await GroupSignIn.exists().where(
        (GroupSignIn.token_hash == token_digest(token))
        & (GroupSignIn.kind == "link")
        & GroupSignIn.used_at.is_null()
        & (GroupSignIn.expires_at > now())
    )


async def take_link(token: str, *, client_ip: str) -> str:
    """Use the link once and open a session; returns the session's token for the cookie."""
    if not await ratelimit.hit(
        f"group-link-use:source:{ratelimit.source_key(client_ip)}",
        limit=LINK_USES_PER_SOURCE_PER_HOUR,
        window=HOUR,
    ):
        raise TooManyRequests("Too many sign-in attempts from this connection. Wait an hour.")
    moment = now()
    async with write_transaction():
        # One conditional UPDATE: two tabs racing with the same link open one session.
        taken = (
            await GroupSignIn.update({GroupSignIn.used_at: moment})
            .where(
                (GroupSignIn.token_hash == token_digest(token))
                & (GroupSignIn.kind == "link")
                & GroupSignIn.used_at.is_null()
                & (GroupSignIn.expires_at > moment)
            )
            .returning(GroupSignIn.email)
        )
        if not taken or not await is_named_on_a_bid(taken[0]["email"]):
            raise GroupLinkNotUsable()
        session = new_token()
        await GroupSignIn.insert(
            GroupSignIn(
                kind="session",
                email=taken[0]["email"],
                token_hash=token_digest(session),
                created_at=moment,
                expires_at=moment + SESSION_LIFETIME,
            )
        )
    return session


async def contact_for(token: str | None) -> str | None:
    """The address a group session belongs to, while it lasts and a bid still names it."""
    if not token:
        return None
    row = (
        await GroupSignIn.select(GroupSignIn.email)
        .where(
            (GroupSignIn.token_hash == token_digest(token))
            & (GroupSignIn.kind == "session")
            & (GroupSignIn.expires_at > now())
        )
        .first()
    )
    if row is None or not await is_named_on_a_bid(row["email"]):
        return None
    return str(row["email"])


async def sign_out(token: str) -> None:
    await GroupSignIn.delete().where(
        (GroupSignIn.token_hash == token_digest(token)) & (GroupSignIn.kind == "session")
    )


async def forget_expired() -> int:
    """Housekeeping: links and sessions past their time."""
    rows = (
        await GroupSignIn.delete()
        .where(GroupSignIn.expires_at < now() - timedelta(days=1))
        .returning(GroupSignIn.id)
    )
    return len(rows)


async def bids_for(email: str, *, durations: ClockDurations) -> list[GroupBid]:
    found: list[GroupBid] = []
    for kind in BID_KINDS:
        for bid_id in await _bid_ids_naming(kind, email):
            found.append(GroupBid(kind, await get_bid(kind, bid_id, durations=durations)))
    return found


def kind_for(key: str) -> BidKind:
    for kind in BID_KINDS:
        if kind.key == key:
            return kind
    raise NotYourBid()


async def bid_for(email: str, kind: BidKind, bid_id: int, *, durations: ClockDurations) -> GroupBid:
    try:
        bid = await get_bid(kind, bid_id, durations=durations)
    except NotFound:
        raise NotYourBid() from None
    if not _named_on(bid, email):
        raise NotYourBid()
    return GroupBid(kind, bid)


def can_request_to_bid(bid: dict[str, Any]) -> bool:
    return bid["stage"] == AssetBidStage.INTERIM_MORATORIUM.value and not bid["bidder_request_on"]


async def request_to_bid(email: str, bid_id: int, *, durations: ClockDurations) -> bool:
    """The group asks, today, to be treated as a potential bidder. Within the interim
    moratorium this starts the full moratorium; False if it was already recorded."""

    def check(current: dict[str, Any]) -> None:
        if not _named_on(current, email):
            raise NotYourBid()
        if current["bidder_request_on"] is not None:
            return
        if current["stage"] != AssetBidStage.INTERIM_MORATORIUM.value:
            raise Conflict(
                "A request to be treated as a bidder can be made only during the interim "
                "moratorium, after the owner's notice of disposal."
            )

    async with write_transaction():
        changed = await change_bid(
            ASSET_BID,
            None,
            bid_id,
            {"bidder_request_on": today()},
            durations=durations,
            check=check,
        )
        if changed:
            await audit.record(
                None,
                f"programme.{ASSET_BID.subject}.group_bidder_request",
                ASSET_BID.subject,
                bid_id,
                contact=email,
                on=today().isoformat(),
            )
    return changed


async def update_contacts(
    email: str, kind: BidKind, bid_id: int, raw: dict[str, Any], *, durations: ClockDurations
) -> bool:
    """The group replaces the bid's contact addresses (who gets reminders and can sign in)."""
    fields = FieldReader(raw)
    emails = read_emails(fields, "contact_emails")
    if not emails and "contact_emails" not in fields.errors:
        fields.errors["contact_emails"] = "Give at least one address, so reminders reach you."
    fields.check("The contact addresses could not be saved.")
    before: list[str] = []

    def check(current: dict[str, Any]) -> None:
        if not _named_on(current, email):
            raise NotYourBid()
        before.extend(line for line in (current["contact_emails"] or "").split("\n") if line)

    async with write_transaction():
        changed = await change_bid(
            kind, None, bid_id, {"contact_emails": emails}, durations=durations, check=check
        )
        if changed:
            await audit.record(
                None,
                f"programme.{kind.subject}.group_contacts",
                kind.subject,
                bid_id,
                contact=email,
                before=before,
                after=emails.split("\n"),
            )
    return changed


async def group_activity(kind: BidKind, bid_id: int) -> list[dict[str, Any]]:
    """What the group did on this bid, newest first, for the staff's bid page."""
    actions = [f"programme.{kind.subject}.{name}" for name in GROUP_ACTIONS]
    return (
        await AuditEntry.select(AuditEntry.action, AuditEntry.detail, AuditEntry.at)
        .where(
            (AuditEntry.subject_type == kind.subject)
            & (AuditEntry.subject_id == str(bid_id))
            & AuditEntry.action.is_in(actions)
        )
        .order_by(AuditEntry.id, ascending=False)
        .output(load_json=True)
    )


def describe(entry: dict[str, Any]) -> str:
    """One line of the group's activity, in words."""
    detail = entry.get("detail") or {}
    who = detail.get("contact", "A contact")
    if entry["action"].endswith("group_bidder_request"):
        return f"{who} asked for the group to be treated as a potential bidder."
    after = ", ".join(detail.get("after") or [])
    return f"{who} changed the contact addresses to: {after}."
