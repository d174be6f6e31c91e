"""Money is an integer number of minor units with a currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
# The largest amount any form, API body or command accepts (£1,000,000,000.00): far above any
# pool, deposit or grant, and far below what a BIGINT column holds, so an absurd number is a
# clear refusal rather than a database error.
MAX_MINOR_UNITS = 100_000_000_000
SUPPORTED_CURRENCIES = tuple(CURRENCY_SYMBOLS)


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str = "GBP"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money takes integer minor units")

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def format_money(minor: int, currency: str = "GBP") -> str:
    sign = "-" if minor < 0 else ""
    pounds, pence = divmod(abs(minor), 100)
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    return f"{sign}{symbol}{pounds:,}.{pence:02d}"


def major_amount(minor: int | None) -> str:
    """125050 → '1250.50': exact decimal text for forms and CSV, where symbols don't belong
    (spreadsheets read it as a number); '' for no amount."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    pounds, pence = divmod(abs(minor), 100)
    return f"{sign}{pounds}.{pence:02d}"


def parse_major_amount(raw: str) -> int:
    """'1,250.50' or '£1250.5' → 125050 minor units; raises ValueError with a clear message."""
    cleaned = raw.strip().replace(",", "").lstrip("£€$").strip()
    if not cleaned:
        raise ValueError("Enter an amount, for example 2500 or 2500.00.")
    whole, _, fraction = cleaned.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 2:
        raise ValueError("Enter an amount in pounds and pence, for example 2500 or 2500.00.")
    if len(whole) > 15:
        raise ValueError(f"Enter an amount of at most {format_money(MAX_MINOR_UNITS)}.")
    minor = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    if minor > MAX_MINOR_UNITS:
        raise ValueError(f"Enter an amount of at most {format_money(MAX_MINOR_UNITS)}.")
    return minor
