"""Row ids from outside: one strict reading for paths, forms, the API and provider metadata.

Row ids are PostgreSQL `serial` (32-bit). Anything outside 1..MAX_ROW_ID cannot name a row,
and sending it to the database fails there (int4 on PostgreSQL, int64 on SQLite), so it is
refused before any query. Only ASCII digits count: Python's `int()` also takes '１' (a
full-width one), '٣', surrounding spaces and '1_000', none of which a form ever sends.
"""

from __future__ import annotations

from typing import Any

from groundswell.core.forms import MAX_INTEGER, FieldReader

MAX_ROW_ID = MAX_INTEGER
_MAX_DIGITS = len(str(MAX_ROW_ID))


def parse_row_id(value: Any) -> int | None:
    """The id `value` names (ASCII digits, or an int from JSON) in 1..MAX_ROW_ID, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > _MAX_DIGITS + 5:  # leading zeros are fine, a page of digits is not
            return None
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ROW_ID else None


def read_row_id(fields: FieldReader, name: str, *, what: str, required: bool = True) -> int | None:
    """Read the id of `what` (e.g. 'a locality') from a list, with the error at the field.

    An empty value is None: "This is required." when `required`, else no error.
    """
    value = fields.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fields.errors[name] = "This is required."
        return None
    row_id = parse_row_id(value)
    if row_id is None:
        fields.errors[name] = f"Choose {what} from the list."
    return row_id


def read_row_ids(fields: FieldReader, name: str, *, what: str) -> list[int]:
    """Several ids of `what` (a multi-select): each must be one; duplicates are dropped."""
    raw = fields.raw.get(name)
    values = (
        [] if raw is None or raw == "" else list(raw) if isinstance(raw, (list, tuple)) else [raw]
    )
    ids: list[int] = []
    for value in values:
        row_id = parse_row_id(value)
        if row_id is None:
            fields.errors[name] = f"Choose {what} from the list."
        elif row_id not in ids:
            ids.append(row_id)
    return ids
