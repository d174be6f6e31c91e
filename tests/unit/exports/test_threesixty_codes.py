"""Codes we publish come from 360Giving's own codelists (copied into tests/fixtures)."""

import csv
from datetime import date
from pathlib import Path

from groundswell.exports.threesixty import (
    GEO_CODE_TYPES,
    GrantRecord,
    Organisation,
    Place,
    amount_number,
    geo_code_type,
    grant_json,
    registered_number,
    spreadsheet,
)
from groundswell.programme.grants import REGRANT_TYPES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "360giving"


def rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_geo_code_types_match_the_codelist_for_each_ons_entity() -> None:
    by_entity = {
        row["Documentation (URL)"].rsplit("/", 1)[-1]: row["Code"]
        for row in rows("geoCodeType.csv")
    }
    for entity, code in GEO_CODE_TYPES.items():
        assert by_entity[entity] == code, entity
    assert geo_code_type("E05001491") == "WD" and geo_code_type("S12000049") == "CA"
    assert geo_code_type("E0500149") is None and geo_code_type("E10000002") is None


def test_regrant_types_are_the_codelist() -> None:
    assert {row["Code"]: row["Title"] for row in rows("regrantType.csv")} == REGRANT_TYPES


def test_amounts_and_registered_numbers() -> None:
    assert amount_number(250000) == 2500 and isinstance(amount_number(250000), int)
    assert amount_number(250050) == 2500.5 and amount_number(1) == 0.01
    assert registered_number("GB-CHC-1102345") == ("charity", "1102345")
    assert registered_number("GB-SC-SC038145") == ("charity", "SC038145")
    assert registered_number("GB-COH-05432109") == ("company", "05432109")
    assert registered_number("360G-groundswell-group-asset-1") == ("", "")


def test_spreadsheet_numbers_locations_from_zero() -> None:
    record = GrantRecord(
        local_id="programme-1",
        title="t",
        description="d",
        currency="GBP",
        amount_minor=100,
        award_date=date(2024, 1, 2),
        funder=Organisation("GB-CHC-1098765", "F"),
        recipient=Organisation("360G-x-group-asset-1", "R"),
        places=(Place("E05001491", "Pallister"), Place("E06000002", "Middlesbrough")),
    )
    grant = grant_json(record, "360G-x")
    assert grant["id"] == "360G-x-programme-1"
    columns, table = spreadsheet([grant])
    assert "Beneficiary Location:1:Geographic Code Type" in columns
    assert table[0]["Beneficiary Location:1:Geographic Code Type"] == "UA"
    assert table[0]["Funding Org:Charity Number"] == "1098765"
