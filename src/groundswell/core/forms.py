"""Small helpers for validating form and API input into field errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from groundswell.core.errors import ValidationFailed
from groundswell.core.i18n import N_, gettext
from groundswell.core.money import MAX_MINOR_UNITS, parse_major_amount
from groundswell.core.text import without_control_characters

# Every integer column is 32-bit: PostgreSQL refuses a larger value with an error, not a row.
MAX_INTEGER = 2_147_483_647
# The generic messages are in Welsh on residents' pages (README "Welsh"); elsewhere the
# language is English, so staff forms read the same as before.
REQUIRED = N_("This is required.")


def _whole_number(value: Any) -> int | None:
    """An int, or text of ASCII digits with an optional sign ('１' and '1_000' are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 20:
        return None
    return int(text)


class FieldReader:
    """Reads typed values from raw input, collecting one friendly message per bad field."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def text(
        self, name: str, *, required: bool = True, max_length: int = 200, default: str = ""
    ) -> str:
        value = self.raw.get(name)
        value = default if value is None else without_control_characters(str(value)).strip()
        if required and not value:
            self.errors[name] = gettext(REQUIRED)
        elif "\ufffd" in value:
            # U+FFFD stands where bytes were not UTF-8: a browser sent something we cannot read.
            self.errors[name] = gettext(
                "Some characters could not be read; please type this again."
            )
        elif len(value) > max_length:
            self.errors[name] = gettext("Keep this to %(max)s characters or fewer.") % {
                "max": max_length
            }
        return value

    def web_address(self, name: str, *, max_length: int = 300) -> str:
        """An optional http(s) address with a host, or "" when left empty. Anything else
        (`javascript:`, `data:`, `file:`, a bare host, `//host`) is a field error: the value
        ends up in a link's href, where another scheme runs or reads in the reader's page."""
        value = self.text(name, required=False, max_length=max_length)
        if not value or name in self.errors:
            return value
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not host
            or any(ch.isspace() for ch in value)
        ):
            self.errors[name] = (
                "Enter a web address starting with https:// (or http://), like https://example.org."
            )
        return value

    def normalised(
        self, name: str, normalise: Callable[[str], str], *, max_length: int
    ) -> str | None:
        """Optional text in its standard form (a postcode, an org-id), None when left empty;
        the message of the ValueError that `normalise` raises is the field's."""
        value = self.text(name, required=False, max_length=max_length)
        if not value:
            return None
        try:
            return normalise(value)
        except ValueError as exc:
            self.errors[name] = str(exc)
            return None

    def integer(
        self,
        name: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is None:
                self.errors[name] = gettext(REQUIRED)
            return default
        number = _whole_number(value)
        if number is None:
            self.errors[name] = gettext("Enter a whole number.")
            return default
        if maximum is None:
            maximum = MAX_INTEGER
        if minimum is not None and number < minimum:
            self.errors[name] = gettext("Enter %(min)s or more.") % {"min": minimum}
        elif maximum is not None and number > maximum:
            self.errors[name] = gettext("Enter %(max)s or less.") % {"max": maximum}
        return number

    def number(self, name: str, *, default: float, minimum: float, maximum: float) -> float:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.errors[name] = gettext("Enter a number.")
            return default
        if not minimum <= number <= maximum:
            self.errors[name] = gettext("Enter a number from %(min)s to %(max)s.") % {
                "min": f"{minimum:g}",
                "max": f"{maximum:g}",
            }
        return number

    def money(self, name: str, *, required: bool = True, minor_units: bool = False) -> int | None:
        """Amounts arrive as pounds ('2500.00') from forms and as minor units from the API."""
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors[name] = "Enter an amount."
            return None
        if minor_units:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.errors[name] = "Give a whole, non-negative number of pence."
                return None
            if value > MAX_MINOR_UNITS:
                self.errors[name] = f"Give at most {MAX_MINOR_UNITS} pence."
                return None
            return value
        try:
            return parse_major_amount(str(value))
        except ValueError as exc:
            self.errors[name] = str(exc)
            return None

    def choice(self, name: str, choices: type[StrEnum], *, default: Any) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return choices(value)
        except ValueError:
            allowed = ", ".join(c.value for c in choices)
            self.errors[name] = gettext("Choose one of: %(allowed)s.") % {"allowed": allowed}
            return default

    def check(self, title: str) -> None:
        if self.errors:
            raise ValidationFailed(title, field_errors=self.errors)
