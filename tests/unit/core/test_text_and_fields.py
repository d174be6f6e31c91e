"""Characters nobody types, and whole numbers as people and programs write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.core.forms import MAX_INTEGER, FieldReader
from groundswell.core.text import without_control_characters


def test_control_characters_go_and_what_people_type_stays() -> None:
    assert without_control_characters("a\x00b\x1bc\x7fd\x85e") == "abcde"
    assert without_control_characters("line one\r\nline two\tend") == "line one\r\nline two\tend"
    assert without_control_characters("abc\u202edcba") == "abcdcba"
    # Isolates (right-to-left names in a left-to-right sentence), joiners and accents stay.
    for kept in ("\u2067عائشة\u2069", "👩\u200d👧", "Siân Ffion Gwenllïan", "Zoë"):
        assert without_control_characters(kept) == kept
    assert without_control_characters("\ud800x") == "x"


@given(st.text())
def test_the_result_is_always_storable(text: str) -> None:
    clean = without_control_characters(text)
    clean.encode("utf-8")
    assert "\x00" not in clean
    assert without_control_characters(clean) == clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), (" 42 ", 42), ("+7", 7), (42, 42), (str(MAX_INTEGER), MAX_INTEGER)],
)
def test_whole_numbers_are_read(raw: object, expected: int) -> None:
    fields = FieldReader({"n": raw})
    assert fields.integer("n", minimum=1) == expected and not fields.errors


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("１", "Enter a whole number."),  # full-width digit: int() would take it
        ("1_000", "Enter a whole number."),
        ("1.5", "Enter a whole number."),
        (1.5, "Enter a whole number."),
        (True, "Enter a whole number."),
        ("9" * 40, "Enter a whole number."),
        (str(MAX_INTEGER + 1), f"Enter {MAX_INTEGER} or less."),
        ("0", "Enter 1 or more."),
    ],
)
def test_other_numbers_get_a_message(raw: object, message: str) -> None:
    fields = FieldReader({"n": raw})
    fields.integer("n", minimum=1)
    assert fields.errors == {"n": message}


def test_text_that_arrived_unreadable_is_refused() -> None:
    fields = FieldReader({"name": "Pallister \ufffd\ufffd"})
    fields.text("name")
    assert fields.errors == {"name": "Some characters could not be read; please type this again."}


def test_normalised_text_is_the_standard_form_or_a_message_at_the_field() -> None:
    def upper_postcode(raw: str) -> str:
        if " " not in raw:
            raise ValueError("Enter a postcode like TS1 2AB.")
        return raw.upper()

    fields = FieldReader({"good": " ts1 2ab ", "bad": "TS12AB", "empty": "  "})
    assert fields.normalised("good", upper_postcode, max_length=10) == "TS1 2AB"
    assert fields.normalised("bad", upper_postcode, max_length=10) is None
    assert fields.normalised("empty", upper_postcode, max_length=10) is None
    assert fields.normalised("absent", upper_postcode, max_length=10) is None
    assert fields.errors == {"bad": "Enter a postcode like TS1 2AB."}
