import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.community.codes import (
    CODE_SUFFIX_ALPHABET,
    generate_code,
    is_valid_code,
    name_part,
    normalise_code,
)


def test_alphabet_has_no_confusable_characters():
    assert not set("01OIL") & set(CODE_SUFFIX_ALPHABET)
    assert len(set(CODE_SUFFIX_ALPHABET)) == len(CODE_SUFFIX_ALPHABET) == 31


@pytest.mark.parametrize(
    "typed",
    [
        "AMINA-7K",
        "amina-7k",
        "Amina 7k",
        "AMINA7K",
        "amina_7k",
        "amina.7k",
        "  amina - 7k  ",
        "AMINA–7K",  # en dash from smart punctuation
        "AMINA—7K",  # em dash
        "AM1NA-7K",  # 1 typed for I in the name
        "ÁMÍNÁ-7K",
        "AMINA\u200b-7K",  # zero-width space pasted from somewhere
    ],
)
def test_normalise_code_accepts_how_people_type(typed):
    assert normalise_code(typed) == "AMINA-7K"


def test_zero_in_name_is_read_as_o():
    assert normalise_code("b0b-7k") == "BOB-7K"
    assert normalise_code("Zoë 4x") == "ZOE-4X"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "AMINA",
        "AMINA-",
        "A-7K",  # name too short
        "ABCDEFGHIJKLM-7K",  # name too long
        "AMINA-7O",  # O is never in a suffix
        "AMINA-70",  # nor 0
        "AMINA-1K",  # nor 1
        "AMINA-7L",  # nor L
        "AMINA-7I",
        "AMINA-KK",  # suffixes always have a digit
        "AMINA-7KX",
        "THANKS",  # would be THAN-KS without the digit rule
        "AMINA--7K",
        "أمينة-7K",
        "AMINA-٧K",  # Arabic-Indic seven
        "x" * 1000,
    ],
)
def test_normalise_code_rejects_non_codes(typed):
    assert normalise_code(typed) is None


def test_is_valid_code_only_accepts_canonical_form():
    assert is_valid_code("AMINA-7K")
    assert is_valid_code("AB-K7")
    assert not is_valid_code("amina-7k")
    assert not is_valid_code("AMINA7K")
    assert not is_valid_code("AMINA-KK")
    assert not is_valid_code("AMINA-7O")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Amina Yusuf", "AMINA"),
        ("Siân Evans", "SIAN"),
        ("Zoë", "ZOE"),
        ("Mary-Jane O'Brien", "MARYJANE"),
        ("Dr Amina Yusuf", "AMINA"),
        ("J Smith", "SMITH"),
        ("Bartholomew-Maximilian", "BARTHOLOMEWM"),
        ("Søren", "SOREN"),
        ("李小龙", "ORG"),
        ("", "ORG"),
        ("  ", "ORG"),
    ],
)
def test_name_part(name, expected):
    assert name_part(name) == expected


def test_generate_code_is_reproducible_with_a_seeded_rng():
    assert generate_code("Amina", random.Random(1)) == generate_code("Amina", random.Random(1))


def test_generate_code_with_default_rng():
    assert re.fullmatch(r"AMINA-[2-9][23456789A-HJKMNP-Z]", generate_code("Amina Yusuf"))


@given(st.text(max_size=80), st.integers())
def test_generated_codes_are_valid_and_round_trip(name, seed):
    code = generate_code(name, random.Random(seed))
    assert is_valid_code(code)
    assert code[-2] in "23456789"
    assert normalise_code(code) == code
    assert normalise_code(code.lower().replace("-", " ")) == code


@given(st.text(max_size=100))
def test_normalise_code_never_raises_and_returns_valid_codes(text):
    code = normalise_code(text)
    assert code is None or is_valid_code(code)
