"""Every route in the app, for every role: who gets in and who is turned away.

The table below must name every route: a new route without a decision fails the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from groundswell.accounts.tokens import create_api_token
from groundswell.core.clock import today
from groundswell.core.principal import Role
from tests.factories import computed_round, pool_in_a_place
from tests.helpers import (
    asgi_client,
    deposit,
    make_asset_bid,
    make_funder,
    make_host,
    make_lesson,
    make_organiser,
    make_programme_grant,
    make_service_bid,
    make_user,
)

PUBLIC, LOGIN, ADMIN, FUNDER, HOST = (
    "public",
    "login",
    {"admin"},
    {"admin", "funder"},
    {"admin", "host"},
)
FUNDER_ONLY = {"funder"}
# Signed by the sender (Twilio, Stripe): no session matters; unsigned posts are refused
# (403), or 503 while the signing secret is not configured.
SIGNED = "signed"

ACCESS: dict[tuple[str, str], Any] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/health"): PUBLIC,
    # The footer's pages: the same for everyone.
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/accessibility"): PUBLIC,
    ("GET", "/contact"): PUBLIC,
    # The test client calls from 127.0.0.1, a trusted address; test_metrics covers the rest.
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): LOGIN,
    ("GET", "/dashboard"): LOGIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id:int}"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/organisations"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/deactivate"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/reactivate"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/resend-invitation"): ADMIN,
    # People join and leave: the links e-mailed to them work without signing in.
    ("GET", "/account/forgotten-password"): PUBLIC,
    ("POST", "/account/forgotten-password"): PUBLIC,
    ("GET", "/account/set-password/{token:str}"): PUBLIC,
    ("POST", "/account/set-password/{token:str}"): PUBLIC,
    # Everyone signed in manages their own API tokens.
    ("GET", "/account/tokens"): LOGIN,
    ("POST", "/account/tokens"): LOGIN,
    ("POST", "/account/tokens/{token_id:int}/revoke"): LOGIN,
    ("GET", "/funders"): ADMIN,
    ("POST", "/funders"): ADMIN,
    ("GET", "/funders/{funder_id:int}"): FUNDER,
    ("GET", "/funders/{funder_id:int}/pools/new"): FUNDER,
    ("POST", "/funders/{funder_id:int}/pools"): FUNDER,
    ("GET", "/pools"): PUBLIC,
    ("GET", "/pools/{pool_id:int}"): PUBLIC,
    ("GET", "/pools/{pool_id:int}/edit"): FUNDER,
    # Co-funded pools (issue #16): the lead funder adds co-funders and sets who may pause;
    # each funder downloads its own shares (tests/integration/allocation/test_cofunding.py).
    ("POST", "/pools/{pool_id:int}/cofunders"): FUNDER,
    ("POST", "/pools/{pool_id:int}/review-rule"): FUNDER,
    ("GET", "/funders/{funder_id:int}/shares.csv"): FUNDER,
    ("POST", "/pools/{pool_id:int}/edit"): FUNDER,
    ("GET", "/localities"): PUBLIC,
    ("POST", "/localities"): ADMIN,
    ("GET", "/localities/{locality_id:int}"): PUBLIC,
    ("GET", "/hosts"): ADMIN,
    ("POST", "/hosts"): ADMIN,
    ("GET", "/hosts/{host_id:int}"): HOST,
    ("GET", "/hosts/{host_id:int}/organisers/new"): HOST,
    ("POST", "/hosts/{host_id:int}/organisers"): HOST,
    ("GET", "/organisers"): PUBLIC,
    ("GET", "/organisers/{code:str}"): PUBLIC,
    # Organiser lifecycle (issue #16): staff and the organiser's own host; a host changes
    # only the public details (tests/integration/community/test_organiser_lifecycle.py).
    ("GET", "/organisers/{code:str}/manage"): HOST,
    ("POST", "/organisers/{code:str}/details"): HOST,
    ("POST", "/organisers/{code:str}/pause"): ADMIN,
    ("POST", "/organisers/{code:str}/unpause"): ADMIN,
    ("POST", "/organisers/{code:str}/end"): ADMIN,
    ("POST", "/organisers/{code:str}/move"): ADMIN,
    ("POST", "/organisers/{code:str}/move/cancel"): ADMIN,
    ("POST", "/organisers/{code:str}/dates"): ADMIN,
    ("POST", "/organisers/{code:str}/phone"): HOST,
    ("POST", "/organisers/{code:str}/phone/confirm"): HOST,
    # Posters and cards print what the public organiser page shows; organisers and residents
    # (no accounts) print them too. See community/poster_controllers.py.
    ("GET", "/organisers/{code:str}/poster.pdf"): PUBLIC,
    ("GET", "/organisers/{code:str}/card.pdf"): PUBLIC,
    # The searchable feed is for signed-in people, not the open web; each reads only the
    # words residents shared with them (funders and staff: "funders"; hosts: public words).
    # See README "Who sees which words".
    ("GET", "/listen"): LOGIN,
    ("GET", "/listen.csv"): LOGIN,
    ("GET", "/listen/places"): LOGIN,
    ("GET", "/listen/hosts"): LOGIN,
    ("GET", "/api/v1/organisers"): PUBLIC,
    ("GET", "/api/v1/organisers/{code:str}"): PUBLIC,
    ("GET", "/api/v1/organisers/{code:str}/endorsements"): PUBLIC,
    ("POST", "/api/v1/organisers"): HOST,
    # The lifecycle through the API: the manage page's rules (a host: public details only).
    ("PATCH", "/api/v1/organisers/{code:str}"): HOST,
    ("GET", "/api/v1/organisers/{code:str}/history"): HOST,
    ("POST", "/api/v1/organisers/{code:str}/dates"): ADMIN,
    ("POST", "/api/v1/organisers/{code:str}/move"): ADMIN,
    ("POST", "/api/v1/organisers/{code:str}/move/cancel"): ADMIN,
    ("POST", "/api/v1/organisers/{code:str}/pause"): ADMIN,
    ("POST", "/api/v1/organisers/{code:str}/unpause"): ADMIN,
    ("POST", "/api/v1/organisers/{code:str}/end"): ADMIN,
    ("GET", "/api/v1/localities"): PUBLIC,
    ("GET", "/api/v1/pools"): PUBLIC,
    ("GET", "/api/v1/pools/{pool_id:int}"): PUBLIC,
    ("POST", "/api/v1/pools"): FUNDER,
    ("PUT", "/api/v1/pools/{pool_id:int}"): FUNDER,
    # A pool's rounds with their state and why (paused, cancelled), as the round page.
    ("GET", "/api/v1/pools/{pool_id:int}/rounds"): FUNDER,
    ("GET", "/vouch/{code:str}"): PUBLIC,
    ("POST", "/vouch/{code:str}"): PUBLIC,
    ("GET", "/vouch/{code:str}/confirm"): PUBLIC,
    ("POST", "/vouch/{code:str}/confirm"): PUBLIC,
    ("POST", "/testimony/{public_ref:str}/report"): PUBLIC,
    # A nominating group's contact: no account; these pages answer only to the group's own
    # session (a link e-mailed to an address on the bid), and send anyone else to sign in.
    ("GET", "/groups/sign-in"): PUBLIC,
    ("POST", "/groups/sign-in"): PUBLIC,
    ("GET", "/groups/sign-in/sent"): PUBLIC,
    ("GET", "/groups/sign-in/{token:str}"): PUBLIC,
    ("POST", "/groups/sign-in/{token:str}"): PUBLIC,
    ("POST", "/groups/sign-out"): PUBLIC,
    ("GET", "/groups/bids"): PUBLIC,
    ("GET", "/groups/bids/{kind:str}/{bid_id:int}"): PUBLIC,
    ("POST", "/groups/bids/{kind:str}/{bid_id:int}/request-to-bid"): PUBLIC,
    ("POST", "/groups/bids/{kind:str}/{bid_id:int}/contacts"): PUBLIC,
    ("POST", "/vouch/{code:str}/resend"): PUBLIC,
    ("GET", "/my-voice"): PUBLIC,
    ("POST", "/my-voice"): PUBLIC,
    ("GET", "/my-voice/code"): PUBLIC,
    ("POST", "/my-voice/code"): PUBLIC,
    ("POST", "/my-voice/sharing/{endorsement_id:int}"): PUBLIC,
    ("GET", "/my-voice/erase"): PUBLIC,
    ("POST", "/my-voice/erase"): PUBLIC,
    ("GET", "/admin/moderation"): ADMIN,
    ("POST", "/admin/moderation"): ADMIN,
    ("GET", "/admin/outbox"): ADMIN,
    ("POST", "/webhooks/twilio/sms"): SIGNED,
    ("POST", "/webhooks/twilio/status"): SIGNED,
    ("POST", "/webhooks/stripe"): SIGNED,
    ("POST", "/webhooks/stripe/connect"): SIGNED,
    ("POST", "/hosts/{host_id:int}/payments/onboard"): HOST,
    ("GET", "/hosts/{host_id:int}/payments/onboard"): HOST,
    ("GET", "/hosts/{host_id:int}/payments/return"): HOST,
    # Stripe's links land on GETs that only show a button; the button's POST acts.
    ("POST", "/hosts/{host_id:int}/payments/return"): HOST,
    ("GET", "/payments/simulated/onboarding/{account_id:str}"): HOST,
    ("POST", "/payments/simulated/onboarding/{account_id:str}"): HOST,
    ("POST", "/pools/{pool_id:int}/top-up"): FUNDER,
    ("GET", "/hosts/{host_id:int}/statement.csv"): HOST,
    ("GET", "/payments/simulated/checkout/{session_id:str}"): FUNDER,
    ("POST", "/payments/simulated/checkout/{session_id:str}"): FUNDER,
    # The grant programme: staff (admins) change it, funders may read it.
    ("GET", "/programme"): FUNDER,
    ("GET", "/programme/bids.csv"): FUNDER,
    ("GET", "/programme/asset-bids/new"): ADMIN,
    ("POST", "/programme/asset-bids"): ADMIN,
    ("GET", "/programme/asset-bids/{asset_bid_id:int}"): FUNDER,
    ("GET", "/programme/asset-bids/{asset_bid_id:int}/edit"): ADMIN,
    ("POST", "/programme/asset-bids/{asset_bid_id:int}/edit"): ADMIN,
    ("POST", "/programme/asset-bids/{asset_bid_id:int}/stage"): ADMIN,
    # Programme staff only for now (issue #18: later the group's contacts too).
    ("GET", "/programme/asset-bids/{asset_bid_id:int}/evidence.pdf"): ADMIN,
    ("GET", "/programme/service-bids/new"): ADMIN,
    ("POST", "/programme/service-bids"): ADMIN,
    ("GET", "/programme/service-bids/{service_bid_id:int}"): FUNDER,
    ("GET", "/programme/service-bids/{service_bid_id:int}/edit"): ADMIN,
    ("POST", "/programme/service-bids/{service_bid_id:int}/edit"): ADMIN,
    ("POST", "/programme/service-bids/{service_bid_id:int}/stage"): ADMIN,
    ("GET", "/programme/grants/new"): ADMIN,
    ("POST", "/programme/grants"): ADMIN,
    ("POST", "/programme/grants/{grant_id:int}/award"): ADMIN,
    ("POST", "/programme/grants/{grant_id:int}/cancel"): ADMIN,
    ("POST", "/programme/grants/{grant_id:int}/paid"): ADMIN,
    ("POST", "/programme/grants/{grant_id:int}/payment-correction"): ADMIN,
    ("POST", "/api/v1/programme/asset-bids"): ADMIN,
    ("GET", "/api/v1/programme/asset-bids/{asset_bid_id:int}"): FUNDER,
    ("PATCH", "/api/v1/programme/asset-bids/{asset_bid_id:int}"): ADMIN,
    ("POST", "/api/v1/programme/service-bids"): ADMIN,
    ("GET", "/api/v1/programme/service-bids/{service_bid_id:int}"): FUNDER,
    ("PATCH", "/api/v1/programme/service-bids/{service_bid_id:int}"): ADMIN,
    ("POST", "/api/v1/programme/grants"): ADMIN,
    ("GET", "/api/v1/programme/grants/{grant_id:int}"): FUNDER,
    ("POST", "/api/v1/programme/grants/{grant_id:int}/award"): ADMIN,
    ("POST", "/api/v1/programme/grants/{grant_id:int}/paid"): ADMIN,
    ("POST", "/api/v1/programme/grants/{grant_id:int}/cancel"): ADMIN,
    # Open data: anyone.
    ("GET", "/open-data/360giving.json"): PUBLIC,
    ("GET", "/open-data/360giving.csv"): PUBLIC,
    ("GET", "/pools/{pool_id:int}/simulate"): FUNDER,
    ("POST", "/pools/{pool_id:int}/deposits"): ADMIN,
    ("GET", "/rounds/{round_id:int}"): FUNDER,
    ("GET", "/rounds/{round_id:int}/lines.csv"): FUNDER,
    ("POST", "/rounds/{round_id:int}/pause"): FUNDER,
    ("POST", "/rounds/{round_id:int}/resume"): FUNDER,
    ("POST", "/rounds/{round_id:int}/cancel"): FUNDER,
    ("GET", "/admin/rounds"): ADMIN,
    ("GET", "/admin/reconciliation"): ADMIN,
    ("GET", "/admin/ledger"): ADMIN,
    ("GET", "/admin/ledger/pools/{pool_id:int}"): ADMIN,
    ("GET", "/admin/ledger/corrections"): ADMIN,
    ("GET", "/admin/ledger/corrections/new"): ADMIN,
    ("POST", "/admin/ledger/corrections"): ADMIN,
    ("GET", "/admin/ledger/corrections/{correction_id:int}"): ADMIN,
    ("POST", "/admin/ledger/corrections/{correction_id:int}/approve"): ADMIN,
    ("POST", "/admin/ledger/corrections/{correction_id:int}/reject"): ADMIN,
    # Money back: the pool's own funder asks (administrators record, so never ask); only
    # administrators see requests and record returns.
    ("GET", "/pools/{pool_id:int}/returns/new"): FUNDER_ONLY,
    ("POST", "/pools/{pool_id:int}/returns"): FUNDER_ONLY,
    ("GET", "/admin/returns"): ADMIN,
    ("GET", "/admin/returns/{return_id:int}"): ADMIN,
    ("POST", "/admin/returns/{return_id:int}/check"): ADMIN,
    ("POST", "/admin/returns/{return_id:int}/record"): ADMIN,
    ("POST", "/admin/returns/{return_id:int}/decline"): ADMIN,
    ("GET", "/admin/deposits/unreconciled"): ADMIN,
    ("POST", "/admin/deposits/{deposit_id:int}/reconcile"): ADMIN,
    # Lessons may name people's situations: signed-in roles read them, never the public.
    # Writing is checked per place and organiser past the gate (tests/integration/lessons);
    # a lesson is changed by its author or staff (the world's lesson is written by staff).
    ("GET", "/lessons"): LOGIN,
    ("GET", "/lessons.csv"): LOGIN,
    ("GET", "/lessons/new"): LOGIN,
    ("POST", "/lessons"): LOGIN,
    ("GET", "/lessons/{lesson_id:int}/edit"): ADMIN,
    ("POST", "/lessons/{lesson_id:int}/edit"): ADMIN,
}

# Documentation and static files are outside the matrix: public, read-only, no state.
IGNORED_PREFIXES = ("/schema", "/static")


def app_routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(IGNORED_PREFIXES):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            found.append((method, route.path))
    return sorted(found)


def test_every_route_has_a_decision(app: Litestar) -> None:
    assert sorted(app_routes(app)) == sorted(ACCESS)


@dataclass
class World:
    params: dict[str, str]
    tokens: dict[str, str]
    emails: dict[str, str]


@pytest.fixture
async def world() -> World:
    place = await pool_in_a_place()
    locality, funder, pool, host = place.locality, place.funder, place.pool, place.host
    code = await make_organiser(host, locality)
    asset_bid = await make_asset_bid(locality=locality)
    service_bid = await make_service_bid()
    # One grant already awarded (so there is open data to publish), one to award or cancel.
    await make_programme_grant(pool, asset_bid=asset_bid, status="awarded", awarded_on=today())
    grant = await make_programme_grant(pool, service_bid=service_bid)
    deposit_id = await deposit(pool, "100.00")
    round_id = await computed_round(pool)
    emails = {
        "admin": await make_user(Role.ADMIN),
        "funder": await make_user(Role.FUNDER, funder_ids=(funder,)),
        "host": await make_user(Role.HOST, host_ids=(host,)),
        # Another funder and another host: the same role, someone else's pools and organisers.
        "other_funder": await make_user(
            Role.FUNDER, "other-funder@example.org", funder_ids=(await make_funder("Elsewhere"),)
        ),
        "other_host": await make_user(
            Role.HOST, "other-host@example.org", host_ids=(await make_host("Elsewhere CA"),)
        ),
        # A co-funder of the pool, under the default rule (the lead funder decides).
        "cofunder": await make_user(
            Role.FUNDER, "cofunder@example.org", funder_ids=(await _cofunder(pool),)
        ),
    }
    tokens = {role: await create_api_token(email) for role, email in emails.items()}
    lesson = await make_lesson(locality, author_email=emails["admin"])
    params = {
        "endorsement_id": "1",
        "account_id": "acct_sim_none",
        "session_id": "cs_sim_none",
        "funder_id": str(funder),
        "pool_id": str(pool),
        "locality_id": str(locality),
        "host_id": str(host),
        "code": code,
        "asset_bid_id": str(asset_bid),
        "service_bid_id": str(service_bid),
        "grant_id": str(grant),
        "round_id": str(round_id),
        "correction_id": str(await _correction(pool)),
        "return_id": str(await _return_request(pool, emails["funder"])),
        "deposit_id": str(deposit_id),
        "user_id": str(await _user_id(emails["host"])),
        "token": "not-a-link-anyone-was-sent",
        "token_id": "2147483647",
        "lesson_id": str(lesson),
        "kind": "asset",
        "bid_id": str(asset_bid),
    }
    return World(params=params, tokens=tokens, emails=emails)


async def _cofunder(pool: int) -> int:
    from groundswell.core.principal import Principal
    from groundswell.funders.cofunders import add_cofunder

    council = await make_funder("Co-funding Council")
    admin = Principal(user_id=None, email="", name="", role=Role.ADMIN)  # type: ignore[arg-type]
    await add_cofunder(admin, pool, council)
    return council


async def _correction(pool: int) -> int:
    """One correction waiting, proposed by another administrator (so this one may decide)."""
    from groundswell.accounts.services import principal_for
    from groundswell.ledger import corrections
    from groundswell.ledger import services as ledger
    from groundswell.ledger.states import AccountKind

    proposer = await principal_for(
        await _user_id(await make_user(Role.ADMIN, "second@example.org"))
    )
    assert proposer is not None
    available = await ledger.pool_account(pool, AccountKind.AVAILABLE)
    stripe = await ledger.stripe_balance_account("GBP")
    return await corrections.propose(
        proposer,
        corrections.CorrectionInput(postings=[(available, -1_00), (stripe, 1_00)], reason="Test"),
    )


async def _return_request(pool: int, funder_email: str) -> int:
    """One request for money back from the pool's funder, waiting for an administrator."""
    from groundswell.accounts.services import principal_for
    from groundswell.payments import returns

    funder = await principal_for(await _user_id(funder_email))
    assert funder is not None
    data = returns.read_request({"amount": "1.00", "reason": "Test"})
    return await returns.request_return(funder, pool, data)


async def _user_id(email: str) -> int:
    from groundswell.accounts.tables import User

    row = await User.select(User.id).where(User.email == email).first()
    assert row is not None
    return int(row["id"])


def fill(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace(f"{{{name}:int}}", value).replace(f"{{{name}:str}}", value)
    return path


async def walk(
    app: Litestar, world: World, role: str
) -> AsyncIterator[tuple[str, str, str, Any, Any]]:
    """Each route as `role` sees it: (method, template, path, access, response)."""
    async with asgi_client(app) as client:
        if role == "resident":
            # A resident has no account: signed in to /my-voice by a code to their phone,
            # they are still nobody anywhere else.
            await world_resident_signs_in(client, world)
        elif role != "anonymous":
            await client.login(world.emails[role])
        for (method, template), access in sorted(ACCESS.items()):
            if (method, template) in {("POST", "/logout"), ("POST", "/login")}:
                continue  # these change who we are; test_login covers them
            path = fill(template, world.params)
            headers = {}
            if template.startswith("/api/") and role in world.tokens:
                headers["authorization"] = f"Bearer {world.tokens[role]}"
            if method == "GET":
                response = await client.get(path, headers=headers)
            elif template.startswith("/api/"):
                response = await client.request(method, path, json={}, headers=headers)
            else:
                response = await client.submit(path, {}, headers=headers)
            yield method, template, path, access, response


async def world_resident_signs_in(client: Any, world: World) -> None:
    from groundswell.settings import load_settings
    from tests.integration.vouching.test_my_voice import sign_in
    from tests.integration.vouching.test_sms_vouching import RESIDENT, sms

    await sms(load_settings(), f"{world.params['code']} she listens to everyone")
    await sign_in(client, RESIDENT)
    assert world.params["code"] in (await client.get("/my-voice")).text  # signed in, as a resident


@pytest.mark.parametrize("role", ["anonymous", "resident", "admin", "funder", "host"])
async def test_role_route_matrix(app: Litestar, world: World, role: str) -> None:
    failures: list[str] = []
    async for method, template, path, access, response in walk(app, world, role):
        # Past /my-voice a resident is anonymous: every other door is shut the same way.
        seen_as = "anonymous" if role == "resident" else role
        check(failures, seen_as, method, template, path, access, response)
    assert not failures, "\n".join(failures)


# What makes a route someone's own: the funder's pools and rounds; the host's organisation
# and organisers. (The grant programme is read by every funder, by design.)
OWNED_BY = {
    "other_funder": ("funder", ("{funder_id", "{pool_id", "{round_id")),
    "other_host": ("host", ("{host_id", "{code")),
    # A co-funder's members reach the pool's own things only where a co-funder may
    # (COFUNDER_MAY); the lead funder's page, settings and round decisions stay closed.
    "cofunder": ("funder", ("{funder_id", "{pool_id", "{round_id")),
}
COFUNDER_MAY = {
    ("GET", "/pools/{pool_id:int}"),
    ("GET", "/api/v1/pools/{pool_id:int}"),
    ("GET", "/rounds/{round_id:int}"),
    # The round page's lines as a spreadsheet: what the page shows them, no more.
    ("GET", "/rounds/{round_id:int}/lines.csv"),
    ("GET", "/pools/{pool_id:int}/simulate"),
    ("POST", "/pools/{pool_id:int}/top-up"),
}
# Past the gate, writing a lesson needs a place of one's own (tests/integration/lessons):
# the other funder and host have none, so they are turned away here too.
NEEDS_A_PLACE = {("GET", "/lessons/new"), ("POST", "/lessons")}


@pytest.mark.parametrize("role", sorted(OWNED_BY))
async def test_the_same_role_cannot_reach_another_owners_things(
    app: Litestar, world: World, role: str
) -> None:
    """A funder of another pool, or a host of another organisation, gets in wherever its
    role does, except to the first funder's or host's own things: there, 403 or 404."""
    base_role, owned = OWNED_BY[role]
    failures: list[str] = []
    checked = 0
    async for method, template, path, access, response in walk(app, world, role):
        if (method, template) in NEEDS_A_PLACE:
            if response.status_code != 403:
                failures.append(f"{role} {method} {path}: {response.status_code} (no place)")
        elif not (isinstance(access, set) and base_role in access) or (
            role == "cofunder" and (method, template) in COFUNDER_MAY
        ):
            check(failures, base_role, method, template, path, access, response)
        elif any(marker in template for marker in owned):
            checked += 1
            if response.status_code not in (403, 404):
                failures.append(f"{role} {method} {path}: {response.status_code} (not theirs)")
        else:
            check(failures, base_role, method, template, path, access, response)
    assert checked >= 5
    assert not failures, "\n".join(failures)


def check(
    failures: list[str],
    role: str,
    method: str,
    template: str,
    path: str,
    access: Any,
    response: Any,
) -> None:
    if access == SIGNED:
        if response.status_code not in (400, 403, 503):
            failures.append(
                f"{role} {method} {path}: {response.status_code} (signed route accepted an unsigned request)"
            )
        return
    allowed = (
        access == PUBLIC
        or (access == LOGIN and role != "anonymous")
        or (isinstance(access, set) and role in access)
    )
    status = response.status_code
    if allowed:
        # Past the gate: anything but "who are you" / "not you" (404/422 for made-up input is fine).
        ok = (
            status < 500
            and status not in (401, 403)
            and not (status in (302, 303) and response.headers["location"].startswith("/login"))
        )
    elif role == "anonymous":
        ok = (
            status == 401
            if template.startswith("/api/")
            else (status in (302, 303) and response.headers["location"].startswith("/login"))
        )
    else:
        ok = status == 403
    if not ok:
        failures.append(f"{role} {method} {path}: {status} (allowed={allowed})")
