"""Right to Challenge through the API: the decision due date, the decision, procurement."""

from __future__ import annotations

from typing import Any

import pytest

from groundswell.accounts.tokens import create_api_token
from groundswell.core.principal import Role
from groundswell.programme.tables import ServiceBid
from tests.helpers import WebClient, make_user

URL = "/api/v1/programme/service-bids"


@pytest.fixture
async def admin(client: WebClient) -> dict[str, str]:
    token = await create_api_token(await make_user(Role.ADMIN))
    return {"authorization": f"Bearer {token}"}


def body(**extra: Any) -> dict[str, Any]:
    return {
        "service_name": "North Ormesby youth service",
        "local_authority": "Middlesbrough",
        "nominating_group": "North Ormesby Youth Collective",
        "contact_emails": ["youth@example.org"],
        **extra,
    }


async def test_decision_due_from_the_published_period(
    client: WebClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        URL,
        json=body(
            window_opens_on="2024-04-01",
            window_closes_on="2024-06-30",
            eoi_on="2024-05-31",
            decision_period_amount=3,
            decision_period_unit="months",
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    bid = created.json()
    assert bid["decision_due"] == "2024-08-30"  # 3 months from 31 May: the day before 31 August
    assert bid["stage"] == "eoi_submitted"
    assert (await client.get(f"{URL}/{bid['id']}", headers=admin)).json() == bid

    in_days = await client.patch(
        f"{URL}/{bid['id']}",
        json={"decision_period_amount": 90, "decision_period_unit": "days"},
        headers=admin,
    )
    assert in_days.json()["decision_due"] == "2024-08-28"


async def test_no_period_published_means_no_decision_due(
    client: WebClient, admin: dict[str, str]
) -> None:
    bid = (await client.post(URL, json=body(eoi_on="2024-05-31"), headers=admin)).json()
    assert bid["decision_due"] is None
    assert (await client.post(URL, json=body(), headers=admin)).json()["stage"] == "preparing"


async def test_decision_then_procurement_move_the_stage(
    client: WebClient, admin: dict[str, str]
) -> None:
    bid = (
        await client.post(
            URL,
            json=body(eoi_on="2024-05-01", decision_period_amount=8, decision_period_unit="weeks"),
            headers=admin,
        )
    ).json()
    url = f"{URL}/{bid['id']}"
    modified = await client.patch(
        url, json={"decision": "modified", "decided_on": "2024-06-20"}, headers=admin
    )
    assert modified.status_code == 200, modified.text
    assert modified.json()["stage"] == "modified"
    procurement = await client.patch(
        url,
        json={"procurement_starts_on": "2024-07-01", "procurement_ends_on": "2024-10-31"},
        headers=admin,
    )
    assert procurement.json()["stage"] == "procurement"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (
            {"window_opens_on": "2024-04-01", "eoi_on": "2024-03-01"},
            "eoi_on",
            "before the authority's window opens",
        ),
        (
            {"window_closes_on": "2024-06-30", "eoi_on": "2024-07-01"},
            "eoi_on",
            "after the authority's window closed",
        ),
        (
            {"window_opens_on": "2024-06-01", "window_closes_on": "2024-05-01"},
            "window_closes_on",
            "before it opens",
        ),
        (
            {"eoi_on": "2024-05-01", "decision": "rejected", "decided_on": "2024-06-01"},
            "rejection_grounds",
            "grounds",
        ),
        (
            {"eoi_on": "2024-05-01", "decision": "accepted", "decided_on": "2024-04-01"},
            "decided_on",
            "before the expression of interest",
        ),
        ({"decision": "accepted", "decided_on": "2024-06-01"}, "eoi_on", "expression of interest"),
        (
            {"eoi_on": "2024-05-01", "decision": "maybe", "decided_on": "2024-06-01"},
            "decision",
            "accepted, modified or rejected",
        ),
        ({"decision_period_amount": 3}, "decision_period_unit", "both"),
        (
            {"decision_period_amount": 3, "decision_period_unit": "fortnights"},
            "decision_period_unit",
            "days, weeks or months",
        ),
        (
            {
                "eoi_on": "2024-05-01",
                "decision": "rejected",
                "decided_on": "2024-06-01",
                "rejection_grounds": "x",
                "procurement_starts_on": "2024-07-01",
            },
            "procurement_starts_on",
            "accepted expression of interest",
        ),
        (
            {
                "eoi_on": "2024-05-01",
                "decision": "accepted",
                "decided_on": "2024-06-01",
                "procurement_starts_on": "2024-07-01",
                "procurement_ends_on": "2024-06-30",
            },
            "procurement_ends_on",
            "before it starts",
        ),
    ],
)
async def test_out_of_order_and_bad_input_is_refused(
    client: WebClient, admin: dict[str, str], payload: dict[str, Any], field: str, words: str
) -> None:
    response = await client.post(URL, json=body(**payload), headers=admin)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert field in errors and words in errors[field], errors
    assert await ServiceBid.count() == 0


async def test_rejection_with_grounds_ends_the_bid(
    client: WebClient, admin: dict[str, str]
) -> None:
    bid = (
        await client.post(
            URL,
            json=body(
                eoi_on="2024-05-01",
                decision="rejected",
                decided_on="2024-06-01",
                rejection_grounds="The authority has already decided to stop providing the service.",
            ),
            headers=admin,
        )
    ).json()
    assert bid["stage"] == "rejected"
    assert bid["rejection_grounds"].startswith("The authority")


async def test_funders_read_without_contacts_and_the_api_is_documented(
    client: WebClient, admin: dict[str, str]
) -> None:
    from tests.helpers import make_funder

    bid = (await client.post(URL, json=body(), headers=admin)).json()
    assert bid["contact_emails"] == ["youth@example.org"]
    funder = await make_funder()
    token = await create_api_token(await make_user(Role.FUNDER, funder_ids=(funder,)))
    read = await client.get(f"{URL}/{bid['id']}", headers={"authorization": f"Bearer {token}"})
    assert read.status_code == 200 and read.json()["contact_emails"] == []
    patch = await client.patch(
        f"{URL}/{bid['id']}", json={"notes": "x"}, headers={"authorization": f"Bearer {token}"}
    )
    assert patch.status_code == 403
    schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/v1/programme/asset-bids",
        "/api/v1/programme/asset-bids/{asset_bid_id}",
        "/api/v1/programme/service-bids/{service_bid_id}",
    ):
        assert path in schema["paths"], path
    assert "decision_due" in schema["components"]["schemas"]["ServiceBidOut"]["properties"]
