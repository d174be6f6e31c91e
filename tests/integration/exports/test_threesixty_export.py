"""The 360Giving open data: valid against the 1.4.3 schema, offline, with the right identifiers."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator

from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import (
    WebClient,
    asgi_client,
    make_asset_bid,
    make_funder,
    make_host,
    make_locality,
    make_pool,
    make_programme_grant,
    make_service_bid,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "360giving"
ROOT = Path(__file__).resolve().parents[3]
GRANT_SCHEMA_URLS = (
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json",
    # The 1.4.3 package schema still points its items at the 1.4.2 URL.
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
)


def package_validator() -> Draft202012Validator:
    """A validator that resolves the grant schema locally: no network at test time."""
    grant_schema = json.loads((FIXTURES / "360-giving-schema.json").read_text())
    package_schema = json.loads((FIXTURES / "360-giving-package-schema.json").read_text())
    resource = referencing.Resource(
        contents=grant_schema, specification=referencing.jsonschema.DRAFT202012
    )
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (url, resource) for url in GRANT_SCHEMA_URLS
    )
    return Draft202012Validator(
        package_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def assert_valid(package: dict[str, Any]) -> None:
    errors = sorted(package_validator().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


async def programme_with_grants() -> dict[str, int]:
    ward = await make_locality(
        "Pallister",
        ons_ward_code="E05001491",
        ons_la_code="E06000002",
        local_authority="Middlesbrough",
    )
    funder = await make_funder("Common Ground Lottery Fund", org_id="GB-COH-05432109")
    unregistered_funder = await make_funder("A Local Giving Circle")
    pool = await make_pool(funder, name="Community Rights Programme")
    small_pool = await make_pool(unregistered_funder, name="Giving circle pot")
    host = await make_host("Pallister Park Community Association", org_id="GB-CHC-1102345")
    pub = await make_asset_bid(locality=ward, postcode="TS3 8BL")  # an unregistered group
    library = await make_asset_bid(
        asset_name="Pallister Library",
        group_host=host,
        group_name="Pallister Park Community Association",
    )
    youth = await make_service_bid(group_org_id="GB-SC-SC038145", local_authority="Glasgow City")
    grants = {
        "pub": await make_programme_grant(
            pool, asset_bid=pub, status="awarded", awarded_on=date(2024, 3, 1), amount=2_500_00
        ),
        "library": await make_programme_grant(
            pool,
            asset_bid=library,
            kind="capital",
            status="awarded",
            awarded_on=date(2024, 4, 2),
            amount=75_000_50,
            title="Capital grant: Pallister Library",
            regrant_type="FRG050",
        ),
        "youth": await make_programme_grant(
            small_pool,
            service_bid=youth,
            kind="pre_feasibility",
            status="awarded",
            awarded_on=date(2024, 5, 3),
            amount=1_000_00,
            description="Costing the service.",
        ),
        "proposed": await make_programme_grant(pool, asset_bid=pub, amount=9_999_00),
        "cancelled": await make_programme_grant(pool, asset_bid=pub, status="cancelled"),
    }
    return {
        **grants,
        "pub_bid": pub,
        "host": host,
        "youth_bid": youth,
        "small_funder": unregistered_funder,
    }


async def test_package_is_valid_360giving(client: WebClient) -> None:
    ids = await programme_with_grants()
    response = await client.get("/open-data/360giving.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    package = response.json()
    assert_valid(package)
    grants = {g["id"]: g for g in package["grants"]}
    assert set(grants) == {
        f"360G-groundswell-programme-{ids[name]}" for name in ("pub", "library", "youth")
    }
    pub = grants[f"360G-groundswell-programme-{ids['pub']}"]
    assert pub["amountAwarded"] == 2500 and pub["currency"] == "GBP"
    assert pub["awardDate"] == "2024-03-01"
    assert pub["fundingOrganization"] == [
        {"id": "GB-COH-05432109", "name": "Common Ground Lottery Fund", "companyNumber": "05432109"}
    ]
    assert pub["recipientOrganization"] == [
        {"id": f"360G-groundswell-group-asset-{ids['pub_bid']}", "name": "Friends of the Red Lion"}
    ]
    assert pub["beneficiaryLocation"] == [
        {"name": "Pallister", "countryCode": "GB", "geoCode": "E05001491", "geoCodeType": "WD"},
        {"name": "Middlesbrough", "countryCode": "GB", "geoCode": "E06000002", "geoCodeType": "UA"},
    ]
    assert pub["grantProgramme"][0]["code"] == "community-right-to-bid"
    assert "regrantType" not in pub
    library = grants[f"360G-groundswell-programme-{ids['library']}"]
    assert library["amountAwarded"] == 75000.5
    assert library["regrantType"] == "FRG050"
    assert library["recipientOrganization"][0] == {
        "id": "GB-CHC-1102345",
        "name": "Pallister Park Community Association",
        "charityNumber": "1102345",
    }
    youth = grants[f"360G-groundswell-programme-{ids['youth']}"]
    assert youth["recipientOrganization"][0]["id"] == "GB-SC-SC038145"
    assert youth["fundingOrganization"][0]["id"] == f"360G-groundswell-funder-{ids['small_funder']}"
    assert youth["description"] == "Costing the service."
    assert youth["grantProgramme"][0]["code"] == "community-right-to-challenge"
    text = response.text
    # Nothing personal or private: no contact addresses, no postcodes.
    assert "@" not in text and "TS3 8BL" not in text


async def test_spreadsheet_has_360giving_column_titles(client: WebClient) -> None:
    ids = await programme_with_grants()
    response = await client.get("/open-data/360giving.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    for title in (
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Title",
        "Beneficiary Location:0:Geographic Code",
        "Beneficiary Location:0:Geographic Code Type",
        "Beneficiary Location:1:Geographic Code Type",
        "For Regrant Type",
    ):
        assert title in (reader.fieldnames or []), title
    rows = {row["Identifier"]: row for row in reader}
    pub = rows[f"360G-groundswell-programme-{ids['pub']}"]
    assert (
        pub["Amount Awarded"] == "2500"
        and pub["Beneficiary Location:0:Geographic Code Type"] == "WD"
    )
    library = rows[f"360G-groundswell-programme-{ids['library']}"]
    assert (
        library["Recipient Org:Charity Number"] == "1102345"
        and library["For Regrant Type"] == "FRG050"
    )


async def test_the_prefix_is_configuration(settings: Settings) -> None:
    ids = await programme_with_grants()
    app = create_app(replace(settings, grant_id_prefix="360G-commonground"), run_scheduler=False)
    async with asgi_client(app) as client:
        package = (await client.get("/open-data/360giving.json")).json()
    assert_valid(package)
    identifiers = {g["id"] for g in package["grants"]}
    assert f"360G-commonground-programme-{ids['pub']}" in identifiers
    assert any(
        g["recipientOrganization"][0]["id"] == f"360G-commonground-group-asset-{ids['pub_bid']}"
        for g in package["grants"]
    )


async def test_nothing_awarded_means_nothing_published(client: WebClient) -> None:
    await make_programme_grant(
        await make_pool(await make_funder()), asset_bid=await make_asset_bid()
    )
    response = await client.get("/open-data/360giving.json", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert "nothing to publish" in response.json()["detail"]


def export(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", "export", "360giving", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
async def test_cli_export(tmp_path: Path) -> None:
    empty = export("--out", str(tmp_path / "x.json"), cwd=tmp_path)
    assert empty.returncode == 2 and "nothing to publish" in empty.stderr
    assert "Traceback" not in empty.stderr and not (tmp_path / "x.json").exists()
    assert len(empty.stderr.strip().splitlines()) == 1

    ids = await programme_with_grants()
    out = tmp_path / "grants.json"
    written = export("--out", str(out), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    package = json.loads(out.read_text())
    assert_valid(package)
    assert len(package["grants"]) == 3
    assert os.listdir(tmp_path) == ["grants.json"]  # no temporary file left behind

    as_csv = export("--format", "csv", cwd=tmp_path)
    assert as_csv.returncode == 0 and as_csv.stdout.startswith("Identifier,Title,")
    assert f"360G-groundswell-programme-{ids['pub']}" in as_csv.stdout

    nowhere = export("--out", str(tmp_path / "missing" / "g.json"), cwd=tmp_path)
    assert nowhere.returncode == 2 and "There is no folder" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


async def test_paid_allocations_are_published_with_the_host_as_recipient(
    settings: Settings,
) -> None:
    from groundswell.allocation.tables import Allocation
    from groundswell.demo.loader import load_demo
    from groundswell.exports import services

    await load_demo(settings=settings)
    paid = await Allocation.count().where((Allocation.state == "paid") & (Allocation.amount > 0))
    assert paid > 0
    package = await services.build_package(settings)
    assert_valid(package)
    grants = [g for g in package["grants"] if "-allocation-" in g["id"]]  # type: ignore[union-attr]
    assert len(grants) == paid
    grant = grants[0]
    assert grant["grantProgramme"][0]["code"] == "continuation-funding"
    assert grant["recipientOrganization"][0]["id"].startswith(("GB-", settings.grant_id_prefix))
    assert grant["beneficiaryLocation"] and "residents vouched" in grant["description"]
    # The period reads as people say it: never "September 2026 to September 2026".
    assert all(not re.search(r"(\w+ \d{4}) to \1", g["description"]) for g in grants)
