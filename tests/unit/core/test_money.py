import pytest

from groundswell.core.money import Money, format_money, parse_major_amount


@pytest.mark.parametrize(
    ("raw", "minor"), [("2500", 250000), ("2,500.5", 250050), ("£0.07", 7), (" 12.30 ", 1230)]
)
def test_parse_major_amount(raw: str, minor: int) -> None:
    assert parse_major_amount(raw) == minor


@pytest.mark.parametrize("raw", ["", "12.345", "-5", "ten", "1e3", "12.3.4"])
def test_parse_major_amount_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_major_amount(raw)


def test_format_money() -> None:
    assert format_money(123456789) == "£1,234,567.89"
    assert format_money(-5, "EUR") == "-€0.05"
    assert str(Money(100)) == "£1.00"
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
