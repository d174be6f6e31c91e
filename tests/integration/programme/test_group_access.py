"""A nominating group's contact follows their own bids by an e-mailed link: the attacks first
(another group's bid, a replayed link, learning who the contacts are), then the journey."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar import Litestar

from groundswell.core.clock import today
from groundswell.core.tables import AuditEntry
from groundswell.outbox.tables import OutboxMessage
from groundswell.programme.tables import AssetBid, GroupSignIn
from tests.helpers import WebClient, asgi_client, make_asset_bid, make_service_bid, make_user

FRIENDS = "friends@redlion.example.org"


async def link_sent_to(address: str) -> str | None:
    rows = (
        await OutboxMessage.select(OutboxMessage.body)
        .where(
            (OutboxMessage.recipient_email == address) & (OutboxMessage.purpose == "group_sign_in")
        )
        .order_by(OutboxMessage.id)
    )
    if not rows:
        return None
    found = re.search(r"https?://\S+/groups/sign-in/(\S+)", rows[-1]["body"])
    assert found is not None
    return found.group(1)


async def sign_in(client: WebClient, address: str = FRIENDS) -> None:
    response = await client.submit("/groups/sign-in", {"email": address})
    assert (
        response.status_code in (302, 303)
        and response.headers["location"] == "/groups/sign-in/sent"
    )
    token = await link_sent_to(address)
    assert token is not None
    page = await client.get(f"/groups/sign-in/{token}")
    assert page.status_code == 200 and "Continue" in page.text
    taken = await client.submit(f"/groups/sign-in/{token}")
    assert taken.headers["location"] == "/groups/bids"


async def test_the_form_says_the_same_for_an_address_on_no_bid(client: WebClient) -> None:
    await make_asset_bid()
    stranger = await client.submit("/groups/sign-in", {"email": "someone@example.org"})
    known = await client.submit("/groups/sign-in", {"email": FRIENDS})
    assert stranger.status_code == known.status_code
    assert stranger.headers["location"] == known.headers["location"]
    assert await link_sent_to("someone@example.org") is None
    assert await link_sent_to(FRIENDS) is not None


async def test_a_link_works_once_and_only_its_hash_is_kept(app: Litestar) -> None:
    await make_asset_bid()
    async with asgi_client(app) as client:
        await client.submit("/groups/sign-in", {"email": FRIENDS})
        token = await link_sent_to(FRIENDS)
        assert token is not None
        assert not await GroupSignIn.exists().where(GroupSignIn.token_hash == token)
        first = await client.submit(f"/groups/sign-in/{token}")
        assert first.status_code in (302, 303)
    async with asgi_client(app) as replay:
        again = await replay.submit(f"/groups/sign-in/{token}")
        assert again.status_code == 404 and "expired or has already been used" in again.text
        assert (await replay.get("/groups/bids")).headers["location"] == "/groups/sign-in"


async def test_opening_the_link_changes_nothing(client: WebClient) -> None:
    """Mail scanners follow links: only the button takes it."""
    await make_asset_bid()
    await client.submit("/groups/sign-in", {"email": FRIENDS})
    token = await link_sent_to(FRIENDS)
    for _ in range(3):
        assert (await client.get(f"/groups/sign-in/{token}")).status_code == 200
    assert await GroupSignIn.count().where(GroupSignIn.kind == "session") == 0


async def test_an_expired_link_is_refused(client: WebClient) -> None:
    await make_asset_bid()
    await client.submit("/groups/sign-in", {"email": FRIENDS})
    token = await link_sent_to(FRIENDS)
    await GroupSignIn.update({GroupSignIn.expires_at: GroupSignIn.created_at - timedelta(1)}).where(
        GroupSignIn.kind == "link"
    )
    assert (await client.get(f"/groups/sign-in/{token}")).status_code == 404
    assert (await client.submit(f"/groups/sign-in/{token}")).status_code == 404


async def test_a_contact_sees_only_the_bids_that_name_them(client: WebClient) -> None:
    ours = await make_asset_bid()
    theirs = await make_asset_bid(
        asset_name="The Old Library", contact_emails="library@example.org"
    )
    service = await make_service_bid()
    await sign_in(client)
    listing = await client.get("/groups/bids")
    assert "The Red Lion" in listing.text and "The Old Library" not in listing.text
    assert (await client.get(f"/groups/bids/asset/{ours}")).status_code == 200
    other = await client.get(f"/groups/bids/asset/{theirs}")
    missing = await client.get("/groups/bids/asset/999999")
    assert other.status_code == missing.status_code == 404
    assert "library@example.org" not in other.text
    assert (await client.get(f"/groups/bids/service/{service}")).status_code == 404
    refused = await client.submit(
        f"/groups/bids/asset/{theirs}/contacts", {"contact_emails": "attacker@example.org"}
    )
    assert refused.status_code == 404
    row = await AssetBid.select(AssetBid.contact_emails).where(AssetBid.id == theirs).first()
    assert row == {"contact_emails": "library@example.org"}


async def test_a_staff_session_opens_no_group_page(client: WebClient) -> None:
    await make_asset_bid()
    await client.login(await make_user_admin())
    assert (await client.get("/groups/bids")).headers["location"] == "/groups/sign-in"


async def make_user_admin() -> str:
    from groundswell.core.principal import Role

    return await make_user(Role.ADMIN)


async def test_the_group_asks_to_be_treated_as_a_bidder_in_time(client: WebClient) -> None:
    notice = today() - timedelta(days=10)
    bid = await make_asset_bid(
        nominated_on=notice - timedelta(days=200),
        listed_on=notice - timedelta(days=150),
        disposal_notice_on=notice,
        stage="interim_moratorium",
    )
    await sign_in(client)
    page = await client.get(f"/groups/bids/asset/{bid}")
    assert "We want to be treated as a potential bidder" in page.text
    done = await client.submit(f"/groups/bids/asset/{bid}/request-to-bid")
    assert done.headers["location"].endswith("?done=requested")
    row = (
        await AssetBid.select(AssetBid.stage, AssetBid.bidder_request_on)
        .where(AssetBid.id == bid)
        .first()
    )
    assert row == {"stage": "full_moratorium", "bidder_request_on": today()}
    after = await client.get(done.headers["location"])
    assert "full moratorium now runs" in after.text
    assert "We want to be treated" not in after.text
    again = await client.submit(f"/groups/bids/asset/{bid}/request-to-bid")
    assert again.status_code in (302, 303)  # a second click changes nothing
    entries = await AssetBid.count()
    assert entries == 1
    actions = [
        e["action"]
        for e in await AuditEntry.select(AuditEntry.action).where(
            (AuditEntry.subject_type == "asset_bid") & (AuditEntry.subject_id == str(bid))
        )
    ]
    assert actions.count("programme.asset_bid.group_bidder_request") == 1


async def test_too_late_or_too_early_is_explained(client: WebClient) -> None:
    listed = await make_asset_bid(listed_on=today() - timedelta(days=30), stage="listed")
    notice = today() - timedelta(days=60)  # the interim moratorium (6 weeks) has ended
    late = await make_asset_bid(
        asset_name="The Late One",
        listed_on=notice - timedelta(days=30),
        disposal_notice_on=notice,
        stage="interim_moratorium",
    )
    await sign_in(client)
    early = await client.submit(f"/groups/bids/asset/{listed}/request-to-bid")
    assert early.status_code == 409 and "only during the interim moratorium" in early.text
    too_late = await client.submit(f"/groups/bids/asset/{late}/request-to-bid")
    assert too_late.status_code == 422 and "interim moratorium" in too_late.text
    row = await AssetBid.select(AssetBid.bidder_request_on).where(AssetBid.id == late).first()
    assert row == {"bidder_request_on": None}


async def test_the_group_updates_its_contacts_and_staff_see_it(app: Litestar) -> None:
    bid = await make_asset_bid()
    async with asgi_client(app) as group:
        await sign_in(group)
        bad = await group.submit(f"/groups/bids/asset/{bid}/contacts", {"contact_emails": "nope"})
        assert bad.status_code == 422 and "is not an e-mail address" in bad.text
        saved = await group.submit(
            f"/groups/bids/asset/{bid}/contacts",
            {"contact_emails": f"{FRIENDS}\nchair@redlion.example.org"},
        )
        assert saved.headers["location"].endswith("?done=contacts")
        # Taking their own address off ends their access.
        gone = await group.submit(
            f"/groups/bids/asset/{bid}/contacts", {"contact_emails": "chair@redlion.example.org"}
        )
        assert gone.headers["location"] == "/groups/sign-in"
        assert (await group.get(f"/groups/bids/asset/{bid}")).headers["location"] == (
            "/groups/sign-in"
        )
    async with asgi_client(app) as staff:
        await staff.login(await make_user_admin())
        page = await staff.get(f"/programme/asset-bids/{bid}")
        assert "What the group did" in page.text
        assert "changed the contact addresses to: chair@redlion.example.org" in page.text


@pytest.mark.parametrize("address", ["", "not-an-address"])
async def test_a_bad_address_gets_a_field_error(client: WebClient, address: str) -> None:
    response = await client.submit("/groups/sign-in", {"email": address})
    assert response.status_code == 422 and 'id="f-email-error"' in response.text
