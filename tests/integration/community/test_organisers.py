from groundswell.accounts.tokens import create_api_token
from groundswell.community.codes import is_valid_code
from groundswell.community.services import default_bursary_year
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.clock import today
from groundswell.core.principal import Role
from tests.helpers import (
    WebClient,
    field_error,
    make_host,
    make_locality,
    make_organiser,
    make_user,
)


async def test_host_member_adds_an_organiser_with_a_vouching_code(client: WebClient) -> None:
    host, locality = await make_host(), await make_locality()
    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    response = await client.submit(
        f"/hosts/{host}/organisers",
        {"name": "Amina Hussein", "locality_id": str(locality)},
    )
    assert response.status_code in (302, 303), response.text
    organiser = await Organiser.select().first()
    assert (
        organiser is not None
        and is_valid_code(organiser["code"])
        and organiser["code"].startswith("AMINA-")
    )
    # The host sets no dates: the bursary year runs a year from today until staff correct it.
    assert (organiser["bursary_start"], organiser["bursary_end"]) == default_bursary_year(today())
    page = await client.get(f"/organisers/{organiser['code'].lower()}")
    assert (
        page.status_code == 200 and "Amina Hussein" in page.text and organiser["code"] in page.text
    )


async def test_a_host_cannot_choose_an_organisers_bursary_dates(client: WebClient) -> None:
    host, locality = await make_host(), await make_locality()
    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    form = await client.get(f"/hosts/{host}/organisers/new")
    assert 'name="bursary_end"' not in form.text and "Programme staff set the bursary" in form.text
    response = await client.submit(
        f"/hosts/{host}/organisers",
        {
            "name": "Amina Hussein",
            "locality_id": str(locality),
            "bursary_start": "2024-01-01",
            "bursary_end": "2024-12-31",
        },
    )
    assert response.status_code == 403
    assert await Organiser.count() == 0


async def test_organiser_form_errors_are_per_field(client: WebClient) -> None:
    host, locality = await make_host(), await make_locality()
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        f"/hosts/{host}/organisers",
        {
            "name": "Amina",
            "locality_id": str(locality),
            "bursary_start": "2026-08-31",
            "bursary_end": "2025-09-01",
        },
    )
    assert response.status_code == 422
    assert field_error(response.text, "bursary_end") == "The bursary ends after it starts."
    bad_date = await client.submit(
        f"/hosts/{host}/organisers",
        {
            "name": "Amina",
            "locality_id": str(locality),
            "bursary_start": "31/08/2026",
            "bursary_end": "",
        },
    )
    assert field_error(bad_date.text, "bursary_start") == "Enter a date as YYYY-MM-DD."
    assert await Organiser.count() == 0


async def test_host_cannot_add_organisers_to_another_host(client: WebClient) -> None:
    mine, theirs, locality = (
        await make_host("Mine"),
        await make_host("Theirs"),
        await make_locality(),
    )
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    response = await client.submit(
        f"/hosts/{theirs}/organisers",
        {
            "name": "X Y",
            "locality_id": str(locality),
            "bursary_start": "2025-01-01",
            "bursary_end": "2026-01-01",
        },
    )
    assert response.status_code == 403
    assert (await client.get(f"/hosts/{theirs}")).status_code == 403
    assert await Organiser.count() == 0


async def test_organiser_api(client: WebClient) -> None:
    host, locality = await make_host("Splott Volunteers"), await make_locality("Splott")
    code = await make_organiser(host, locality, name="Rhiannon Pritchard", code="RHIANNON-4K")
    listed = (await client.get("/api/v1/organisers")).json()
    assert listed == [
        {
            "code": "RHIANNON-4K",
            "name": "Rhiannon Pritchard",
            "host": "Splott Volunteers",
            "locality": "Splott",
            "status": "active",
        }
    ]
    assert (await client.get("/api/v1/organisers/rhiannon 4k")).json()["code"] == code
    token = await create_api_token(await make_user(Role.HOST, host_ids=(host,)))
    created = await client.post(
        "/api/v1/organisers",
        json={
            "name": "Dele Okafor",
            "host_id": host,
            "locality_id": locality,
        },
        headers={"authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201 and created.json()["code"].startswith("DELE-")
    invalid = await client.post(
        "/api/v1/organisers",
        json={
            "name": "Dele",
            "host_id": host,
            "locality_id": 99999,
        },
        headers={"authorization": f"Bearer {token}"},
    )
    assert invalid.status_code == 422 and invalid.json()["errors"]["locality_id"]


async def test_admin_adds_hosts_and_localities_with_identifier_checks(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    bad = await client.submit(
        "/hosts", {"name": "Govanhill Baths", "org_id": "GB-CHC-12", "postcode": "not a postcode"}
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "org_id") and field_error(bad.text, "postcode")
    good = await client.submit(
        "/hosts", {"name": "Govanhill Baths", "org_id": "GB-SC-SC038145", "postcode": "g42 7la"}
    )
    assert good.status_code in (302, 303)
    host = await HostOrganisation.select().first()
    assert host is not None and host["postcode"] == "G42 7LA" and host["org_id"] == "GB-SC-SC038145"
    duplicate = await client.submit("/hosts", {"name": "Other", "org_id": "GB-SC-SC038145"})
    assert duplicate.status_code == 422
    place = await client.submit(
        "/localities",
        {"name": "Govanhill", "ons_ward_code": "S13002971", "ons_la_code": "S12000049"},
    )
    assert place.status_code in (302, 303)
    wrong = await client.submit("/localities", {"name": "Elsewhere", "ons_ward_code": "X99"})
    assert wrong.status_code == 422
    assert await Locality.count() == 1
    # ONS codes are for 360Giving: administrators see them, residents and the public see names.
    place_id = (await Locality.select(Locality.id).first())["id"]  # type: ignore[index]
    for path in ("/localities", f"/localities/{place_id}"):
        assert "S13002971" in (await client.get(path)).text
    client.cookies.clear()
    for path in ("/localities", f"/localities/{place_id}"):
        public = (await client.get(path)).text
        assert "Govanhill" in public and "S13002971" not in public and "Ward code" not in public
