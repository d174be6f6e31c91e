"""The whole-suite phone check finds every form of number tests use, and no decimal."""

import json

import pytest

from tests.phone_check import find_numbers


@pytest.mark.parametrize(
    "text",
    [
        "+447911123456",
        "447911123456",
        "07911123456",
        "+44 (0)7911 123 456",
        "07911-123-456",
        "(07911) 123 456",
        "call me on 07911.123.456.",
        '{"from": "+447911123456"}',
    ],
)
def test_finds_a_number_in_each_form(text: str) -> None:
    assert len(find_numbers(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        # The float that failed a CI run: an allocation explanation's weight.
        json.dumps({"weights": [0.447111240527, 0.25]}),
        json.dumps({"rounding_adjustment": -0.07911123456}),
        json.dumps({"score": 447911123456.5}),
        "ciphertext gAAAAB07911123456xyz",
        "digest_447911123456",
    ],
)
def test_ignores_decimals_and_longer_runs(text: str) -> None:
    assert find_numbers(text) == []
