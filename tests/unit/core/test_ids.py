"""Row ids from input: ASCII digits only, within PostgreSQL's 32-bit serial range."""

from __future__ import annotations

from typing import Any

import pytest

from groundswell.core.forms import FieldReader
from groundswell.core.ids import MAX_ROW_ID, parse_row_id, read_row_id, read_row_ids


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("007", 7),
        (42, 42),
        (str(MAX_ROW_ID), MAX_ROW_ID),
        (str(MAX_ROW_ID + 1), None),
        ("12345678901234567890", None),
        ("9" * 5000, None),
        (MAX_ROW_ID + 1, None),
        ("0", None),
        (0, None),
        (-3, None),
        ("-3", None),
        ("１", None),  # full-width one: int() takes it
        ("٣", None),  # Arabic-Indic three
        (" 1", None),
        ("1 ", None),
        ("1_000", None),
        ("+1", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (True, None),
        (1.0, None),
        (["1"], None),
    ],
)
def test_parse_row_id(value: Any, expected: int | None) -> None:
    assert parse_row_id(value) == expected


def test_read_row_id_puts_the_message_at_the_field() -> None:
    fields = FieldReader({"a": "2147483648", "b": "", "c": "5"})
    assert read_row_id(fields, "a", what="a place") is None
    assert read_row_id(fields, "b", what="a place", required=False) is None
    assert read_row_id(fields, "c", what="a place") == 5
    assert read_row_id(fields, "missing", what="a place") is None
    assert fields.errors == {"a": "Choose a place from the list.", "missing": "This is required."}


def test_read_row_ids_takes_one_or_many_and_drops_repeats() -> None:
    fields = FieldReader({"one": "3", "many": ["3", "4", "3"], "none": [], "bad": ["3", "１"]})
    assert read_row_ids(fields, "one", what="places") == [3]
    assert read_row_ids(fields, "many", what="places") == [3, 4]
    assert read_row_ids(fields, "none", what="places") == []
    assert read_row_ids(fields, "bad", what="places") == [3]
    assert fields.errors == {"bad": "Choose places from the list."}
