"""Issue #14, finding 2: words residents kept off the public feed came out of the public API
(with first names and neighbourhoods), and the public organiser page showed names to anyone.

Now where words appear follows each resident's two choices exactly: show_public (the
organiser's public page and the anonymous API, never a name or neighbourhood) and
show_funders (signed-in funders and staff, with the name and neighbourhood given)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from groundswell.accounts import tokens
from groundswell.core.principal import Role
from groundswell.vouching.tables import Endorsement, Resident
from tests.helpers import (
    WebClient,
    asgi_client,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_user,
    make_voice,
)

# One resident's choices: (show_public, show_funders, gave a name and neighbourhood).
CHOICES = st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=8)


async def _pages_anyone_can_read(client: WebClient) -> list[str]:
    """Every anonymous response that can carry testimony: pages and the API, all pages."""
    texts = [
        (await client.get("/organisers/AMINA-7K")).text,
        (await client.get("/api/v1/organisers/AMINA-7K")).text,
        (await client.get("/listen")).text,  # sign-in page, never words
        (await client.get("/listen?q=words")).text,
    ]
    url: str | None = "/api/v1/organisers/AMINA-7K/endorsements?limit=2"
    while url:
        body = (await client.get(url)).json()
        texts.append(str(body))
        cursor = body["next_cursor"]
        url = (
            f"/api/v1/organisers/AMINA-7K/endorsements?limit=2&cursor={cursor}" if cursor else None
        )
    return texts


async def test_no_anonymous_response_holds_words_or_names_not_made_public(
    client: WebClient,
) -> None:
    """Randomised with a fixed seed (hypothesis below does the same with shrinking)."""
    host = await make_host()
    await make_organiser(host, await make_locality(), "Amina Hussein", code="AMINA-7K")
    rng = random.Random(14)
    voices = []
    for n in range(24):
        public, funders, named = rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.7
        words = f"Testimony marker{n:03d}x about the lights."
        await make_voice(
            "AMINA-7K",
            words,
            show_public=public,
            show_funders=funders,
            display_name=f"Name{n:03d}y" if named else "",
            neighbourhood=f"Place{n:03d}z" if named else "",
        )
        voices.append((n, public))
    everything = "\n".join(await _pages_anyone_can_read(client))
    for n, public in voices:
        assert (f"marker{n:03d}x" in everything) == public, n  # public words, and only those
        assert f"Name{n:03d}y" not in everything and f"Place{n:03d}z" not in everything


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(choices=CHOICES)
async def test_property_anonymous_sees_only_public_words_and_funders_see_theirs(
    app: Litestar, choices: list[tuple[bool, bool, bool]]
) -> None:
    # Fixtures are shared by hypothesis' examples: each example starts from no voices.
    await Endorsement.delete(force=True)
    await Resident.delete(force=True)
    from groundswell.community.tables import Organiser

    if not await Organiser.exists().where(Organiser.code == "AMINA-7K"):
        host = await make_host()
        await make_organiser(host, await make_locality(), "Amina Hussein", code="AMINA-7K")
        await make_user(Role.FUNDER, funder_ids=(await make_funder(),))
    for n, (public, funders, named) in enumerate(choices):
        await make_voice(
            "AMINA-7K",
            f"Testimony marker{n:03d}x about the lights.",
            show_public=public,
            show_funders=funders,
            display_name=f"Name{n:03d}y" if named else "",
            neighbourhood=f"Place{n:03d}z" if named else "",
        )
    async with asgi_client(app) as anonymous:
        everything = "\n".join(await _pages_anyone_can_read(anonymous))
    async with asgi_client(app, address="198.51.100.20") as funder:
        await funder.login("funder@example.org")
        listen = (await funder.get("/listen?organiser=AMINA-7K")).text
    token = await tokens.create_api_token("funder@example.org", "consent test")
    async with asgi_client(app, address="198.51.100.21") as api_client:
        api = (
            await api_client.get(
                "/api/v1/organisers/AMINA-7K/endorsements?limit=100",
                headers={"authorization": f"Bearer {token}"},
            )
        ).json()
    for n, (public, funders, named) in enumerate(choices):
        marker = f"marker{n:03d}x"
        assert (marker in everything) == public
        assert f"Name{n:03d}y" not in everything and f"Place{n:03d}z" not in everything
        # Signed-in funders: words shared with them or with everyone; names only when
        # shared with funders.
        assert (marker in listen) == (public or funders)
        assert (f"Name{n:03d}y" in listen) == (funders and named)
        # A funder's token on the API reads at funder level.
        assert (marker in str(api)) == (public or funders)
        assert (f"Name{n:03d}y" in str(api)) == (funders and named)


async def test_the_vouch_form_asks_both_questions_in_plain_words(
    client: WebClient, settings: object
) -> None:
    host = await make_host()
    await make_organiser(host, await make_locality(), "Amina Hussein", code="AMINA-7K")
    form = (await client.get("/vouch/AMINA-7K")).text
    assert "Who may read your words?" in form
    assert 'name="show_public"' in form and "Anyone, on Amina Hussein's public page" in form
    assert 'name="show_funders"' in form and "Funders who sign in to Groundswell" in form
    assert "Your vouch counts either way." in form


async def test_a_neighbourhood_not_shared_cannot_be_found_by_searching(
    client: WebClient, app: Litestar, settings: object
) -> None:
    """Web vouch with a neighbourhood, shared on the public page only: a funder searching for
    the place must not find the words (that would say where the resident lives)."""
    from groundswell.settings import Settings
    from groundswell.vouching.recording import claim_resident, record_endorsement
    from groundswell.vouching.states import Channel, Verification
    from tests.helpers import organiser_id

    assert isinstance(settings, Settings)
    host = await make_host()
    await make_organiser(host, await make_locality(), "Amina Hussein", code="AMINA-7K")
    await make_user(Role.FUNDER, funder_ids=(await make_funder(),))
    for n, funders in enumerate((False, True)):
        resident, _ = await claim_resident(f"voice-{n}")
        await record_endorsement(
            settings,
            resident_id=resident,
            organiser_id=await organiser_id("AMINA-7K"),
            testimony=f"She mended the swings, story {n}wxq.",
            channel=Channel.WEB,
            verification=Verification.SMS_CODE,
            neighbourhood="Grovehill",
            show_public=True,
            show_funders=funders,
        )
    async with asgi_client(app, address="198.51.100.30") as funder:
        await funder.login("funder@example.org")
        found = (await funder.get("/listen?q=Grovehill")).text
    assert "story 1wxq" in found and "story 0wxq" not in found
