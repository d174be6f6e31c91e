"""Factories for a round's world, built from the row helpers in tests/helpers.py: a funder's
pool for a place and a host there, organisers residents vouched for, a computed round and its
approval, a host set up for payments, and the people who sign in to see it all.

Each does one thing, so a test composes what it needs and says the rest itself:

    place = await pool_in_a_place(min_endorsers=2, round_budget=900_00)
    code = await vouched_organiser(place.host, place.locality, "Amina Hussein", 5)
    await deposit(place.pool, "2000.00")
    round_id = await computed_round(place.pool)
    await approve_after_review(round_id)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell.allocation import review, rounds
from groundswell.community.tables import HostOrganisation
from groundswell.core.clock import frozen_at
from groundswell.core.principal import Role
from groundswell.payments import services as payment_services
from groundswell.payments.gateway import PaymentGateway
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.helpers import (
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
    make_voices,
)
from tests.stripe_server import config_request


@dataclass(frozen=True)
class Place:
    """A locality, a funder's pool (for that locality unless made for any) and a host there."""

    locality: int
    funder: int
    pool: int
    host: int


async def pool_in_a_place(
    *,
    locality: str = "Pallister",
    funder: str = "Northern Roots",
    pool: str = "Listening Fund",
    host: str = "Pallister Park CA",
    host_email: str | None = None,
    for_any_locality: bool = False,
    **settings: Any,
) -> Place:
    """The locality, the funder, its pool (with the pool `settings`) and the host, in that
    order; `for_any_locality`: the pool names no locality, so it funds organisers anywhere."""
    locality_id = await make_locality(locality)
    funder_id = await make_funder(funder)
    pool_id = await make_pool(
        funder_id, pool, locality_ids=() if for_any_locality else (locality_id,), **settings
    )
    contact = {} if host_email is None else {"contact_email": host_email}
    return Place(locality_id, funder_id, pool_id, await make_host(host, **contact))


async def vouched_organiser(
    host: int,
    locality: int,
    name: str,
    voices: int,
    *,
    code: str | None = None,
    prefix: str | None = None,
    **organiser: Any,
) -> str:
    """An organiser (whose bursary year ended ten days ago unless told otherwise) and `voices`
    residents who each vouched for them yesterday; their code."""
    code = await make_organiser(host, locality, name, code=code, **organiser)
    await make_voices(code, voices, prefix=prefix)
    return code


async def computed_round(pool: int) -> int:
    """Compute the pool's round for the current period; its id."""
    round_id = (await rounds.compute_round(pool)).report.round_id
    assert round_id is not None
    return round_id


async def approve_after_review(round_id: int) -> None:
    """Approve the round a minute after its review window closed, as the scheduler would."""
    round_row = await rounds.get_round(round_id)
    with frozen_at(round_row["review_until"] + timedelta(minutes=1)):
        assert await review.approve_round(round_id)


async def onboard_host(
    settings: Settings, gateway: PaymentGateway, host: int, *, server: str | None = None
) -> str:
    """The host's connected account at the provider, onboarding completed (by the offline
    adapter, or through the local Stripe server's `server` URL) and read back; its id."""
    account = await gateway.create_connected_account(
        email="", metadata={"host_id": str(host)}, idempotency_key=f"t-host-{host}"
    )
    await HostOrganisation.update({HostOrganisation.stripe_account_id: account.id}).where(
        HostOrganisation.id == host
    )
    if isinstance(gateway, OfflineGateway):
        await gateway.complete_onboarding(account.id)
    else:
        assert server is not None
        config_request(server, "POST", f"/_config/accounts/{account.id}/complete_onboarding")
    await payment_services.refresh_account(settings, gateway, account.id)
    return account.id


async def make_people(funder: int, host: int) -> None:
    """Who signs in: admin@example.org; funder@example.org, of `funder`; other@example.org,
    of another funder ("Other"); host@example.org, of `host`."""
    await make_user(Role.ADMIN)
    await make_user(Role.FUNDER, funder_ids=(funder,))
    await make_user(Role.FUNDER, "other@example.org", funder_ids=(await make_funder("Other"),))
    await make_user(Role.HOST, host_ids=(host,))
