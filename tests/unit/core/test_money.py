import pytest

from groundswell.core.forms import FieldReader
from groundswell.core.money import (
    MAX_MINOR_UNITS,
    Money,
    format_money,
    major_amount,
    parse_major_amount,
)


@pytest.mark.parametrize(
    ("raw", "minor"), [("2500", 250000), ("2,500.5", 250050), ("£0.07", 7), (" 12.30 ", 1230)]
)
def test_parse_major_amount(raw: str, minor: int) -> None:
    assert parse_major_amount(raw) == minor


@pytest.mark.parametrize(
    "raw", ["", "12.345", "-5", "ten", "1e3", "12.3.4", "1000000000.01", "9" * 40]
)
def test_parse_major_amount_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_major_amount(raw)


def test_format_money() -> None:
    assert format_money(123456789) == "£1,234,567.89"
    assert format_money(-5, "EUR") == "-€0.05"
    assert str(Money(100)) == "£1.00"
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]


def test_the_largest_amount_is_accepted_and_one_penny_more_refused() -> None:
    assert parse_major_amount("1,000,000,000.00") == MAX_MINOR_UNITS
    with pytest.raises(ValueError, match=r"at most £1,000,000,000\.00"):
        parse_major_amount("1000000000.01")
    reader = FieldReader({"pence": MAX_MINOR_UNITS + 1, "pounds": "9" * 30})
    assert reader.money("pence", minor_units=True) is None
    assert reader.money("pounds") is None
    assert set(reader.errors) == {"pence", "pounds"}


@pytest.mark.parametrize(
    ("minor", "text"),
    [(0, "0.00"), (7, "0.07"), (125050, "1250.50"), (-5, "-0.05"), (None, "")],
)
def test_major_amount_is_exact_text(minor: int | None, text: str) -> None:
    assert major_amount(minor) == text
