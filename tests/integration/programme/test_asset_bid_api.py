"""Right to Bid through the API: computed deadlines, partial updates, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from groundswell.accounts.tokens import create_api_token
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.programme.tables import AssetBid
from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client, make_funder, make_host, make_user

URL = "/api/v1/programme/asset-bids"
DEADLINES = (
    "decision_due",
    "listing_expires",
    "interim_moratorium_end",
    "full_moratorium_end",
    "protected_period_end",
)


@pytest.fixture
async def admin(client: WebClient) -> dict[str, str]:
    token = await create_api_token(await make_user(Role.ADMIN))
    return {"authorization": f"Bearer {token}"}


def body(**extra: Any) -> dict[str, Any]:
    return {
        "asset_name": "The Red Lion",
        "address": "1 High Street",
        "postcode": "ts3 8bl",
        "local_authority": "Middlesbrough",
        "nominating_group": "Friends of the Red Lion",
        **extra,
    }


async def test_known_answers_for_every_deadline(client: WebClient, admin: dict[str, str]) -> None:
    created = await client.post(
        URL,
        json=body(
            nominated_on="2022-01-10",
            listed_on="2022-03-01",
            disposal_notice_on="2023-08-31",
            bidder_request_on="2023-09-20",
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    bid = created.json()
    fetched = (await client.get(f"{URL}/{bid['id']}", headers=admin)).json()
    assert fetched == bid
    assert {name: bid[name] for name in DEADLINES} == {
        "decision_due": "2022-03-06",  # 8 weeks, the last day included
        "listing_expires": "2027-02-28",  # 5 years from 1 March: the day before
        "interim_moratorium_end": "2023-10-11",  # 6 weeks from 31 August
        "full_moratorium_end": "2024-02-29",  # no 31 February: the last day of February
        "protected_period_end": "2025-02-28",
    }
    assert bid["stage"] == "full_moratorium"
    assert bid["postcode"] == "TS3 8BL"


async def test_leap_and_common_years(client: WebClient, admin: dict[str, str]) -> None:
    created = await client.post(
        URL,
        json=body(
            listed_on="2024-01-01", disposal_notice_on="2024-08-31", bidder_request_on="2024-09-01"
        ),
        headers=admin,
    )
    bid = created.json()
    assert bid["interim_moratorium_end"] == "2024-10-11"
    assert bid["full_moratorium_end"] == "2025-02-28"


async def test_deadlines_are_null_until_known_and_patch_fills_them_in(
    client: WebClient, admin: dict[str, str]
) -> None:
    bid = (await client.post(URL, json=body(), headers=admin)).json()
    assert bid["stage"] == "preparing"
    assert all(bid[name] is None for name in DEADLINES)

    steps = [
        ({"nominated_on": "2023-01-02"}, "nominated", {"decision_due": "2023-02-26"}),
        ({"listed_on": "2023-02-20"}, "listed", {"listing_expires": "2028-02-19"}),
        (
            {"disposal_notice_on": "2023-08-31"},
            "interim_moratorium",
            {
                "interim_moratorium_end": "2023-10-11",
                "full_moratorium_end": None,  # nobody has asked to be treated as a bidder
                "protected_period_end": "2025-02-28",
            },
        ),
        (
            {"bidder_request_on": "2023-10-11"},
            "full_moratorium",
            {"full_moratorium_end": "2024-02-29"},
        ),
    ]
    for change, stage, expected in steps:
        response = await client.patch(f"{URL}/{bid['id']}", json=change, headers=admin)
        assert response.status_code == 200, response.text
        now = response.json()
        assert now["stage"] == stage
        for name, value in expected.items():
            assert now[name] == value, (change, name)
        assert now["asset_name"] == "The Red Lion"  # untouched fields stay

    # A date recorded by mistake can be cleared with null; the stage follows the dates.
    cleared = await client.patch(
        f"{URL}/{bid['id']}", json={"bidder_request_on": None}, headers=admin
    )
    assert cleared.status_code == 200
    assert cleared.json()["stage"] == "interim_moratorium"
    assert cleared.json()["full_moratorium_end"] is None
    stages = [
        (row["detail"]["from"], row["detail"]["to"])
        for row in await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.action == "programme.asset_bid.stage")
        .order_by(AuditEntry.id)
        .output(load_json=True)
    ]
    assert stages[-1] == ("full_moratorium", "interim_moratorium")


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (
            {"listed_on": "2023-09-01", "disposal_notice_on": "2023-08-31"},
            "disposal_notice_on",
            "before the listing date",
        ),
        (
            {"disposal_notice_on": "2023-08-31", "bidder_request_on": "2023-10-12"},
            "bidder_request_on",
            "after the interim moratorium's last day (11 October 2023)",
        ),
        (
            {"nominated_on": "2023-05-01", "listed_on": "2023-04-01"},
            "listed_on",
            "before the nomination date",
        ),
        ({"bidder_request_on": "2023-09-01"}, "bidder_request_on", "no notice of disposal"),
        ({"listed_on": "31/08/2023"}, "listed_on", ""),
        ({"postcode": "not a postcode"}, "postcode", "full UK postcode"),
        ({"asset_name": ""}, "asset_name", "required"),
        ({"group_org_id": "GB-CHC-12"}, "group_org_id", "6 or 7 digits"),
        ({"contact_emails": ["nobody"]}, "contact_emails", "not an e-mail address"),
        ({"fundraising_target": -5}, "fundraising_target", "non-negative"),
        ({"group_host_id": 999999}, "group_host_id", "from the list"),
    ],
)
async def test_bad_input_is_422_problem_json_naming_the_field(
    client: WebClient, admin: dict[str, str], payload: dict[str, Any], field: str, words: str
) -> None:
    response = await client.post(URL, json=body(**payload), headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert field in problem["errors"], problem
    assert words in problem["errors"][field]
    assert await AssetBid.count() == 0


async def test_patch_out_of_order_changes_nothing(client: WebClient, admin: dict[str, str]) -> None:
    bid = (
        await client.post(
            URL, json=body(listed_on="2023-01-05", disposal_notice_on="2023-08-31"), headers=admin
        )
    ).json()
    late = await client.patch(
        f"{URL}/{bid['id']}",
        json={"bidder_request_on": "2023-10-12", "owner": "Brewery plc"},
        headers=admin,
    )
    assert late.status_code == 422
    assert set(late.json()["errors"]) == {"bidder_request_on"}
    early = await client.patch(
        f"{URL}/{bid['id']}", json={"disposal_notice_on": "2022-12-31"}, headers=admin
    )
    assert early.status_code == 422 and "disposal_notice_on" in early.json()["errors"]
    unknown = await client.patch(f"{URL}/{bid['id']}", json={"stage": "purchased"}, headers=admin)
    assert unknown.status_code == 422
    row = await AssetBid.select().where(AssetBid.id == bid["id"]).first()
    assert row is not None
    assert (
        row["owner"] == ""
        and row["bidder_request_on"] is None
        and row["stage"] == "interim_moratorium"
    )
    missing = await client.patch(f"{URL}/999999", json={"owner": "x"}, headers=admin)
    assert missing.status_code == 404


async def test_host_as_nominating_group_and_contacts_only_for_admins(
    client: WebClient, admin: dict[str, str]
) -> None:
    host = await make_host("Pallister Park Community Association", org_id="GB-CHC-1102345")
    created = await client.post(
        URL,
        json=body(
            nominating_group="",
            group_host_id=host,
            contact_emails=["A@Example.org", "a@example.org"],
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    bid = created.json()
    assert bid["nominating_group"] == "Pallister Park Community Association"
    assert bid["contact_emails"] == ["a@example.org"]
    funder = await make_funder()
    funder_token = await create_api_token(await make_user(Role.FUNDER, funder_ids=(funder,)))
    read = await client.get(
        f"{URL}/{bid['id']}", headers={"authorization": f"Bearer {funder_token}"}
    )
    assert read.status_code == 200 and read.json()["contact_emails"] == []
    write = await client.post(URL, json=body(), headers={"authorization": f"Bearer {funder_token}"})
    assert write.status_code == 403
    assert (await client.get(f"{URL}/{bid['id']}")).status_code == 401


async def test_durations_are_configuration(settings: Settings) -> None:
    from dataclasses import replace

    app = create_app(
        replace(settings, interim_moratorium_weeks=8, full_moratorium_months=9), run_scheduler=False
    )
    async with asgi_client(app) as client:
        token = await create_api_token(await make_user(Role.ADMIN))
        response = await client.post(
            URL,
            json=body(disposal_notice_on="2024-01-01", bidder_request_on="2024-02-20"),
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["interim_moratorium_end"] == "2024-02-25"
    assert response.json()["full_moratorium_end"] == "2024-09-30"
