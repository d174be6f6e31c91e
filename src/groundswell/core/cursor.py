"""Opaque keyset cursors: (timestamp, id) encoded for URLs, validated on the way back in."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from groundswell.core.errors import ValidationFailed
from groundswell.core.forms import MAX_INTEGER


def encode_cursor(key: tuple[datetime, int] | None) -> str | None:
    if key is None:
        return None
    raw = f"{key[0].isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, identifier = raw.partition("|")
        moment = datetime.fromisoformat(at)
        number = int(identifier)
        if not _moment_ok(moment) or not 0 <= number <= MAX_KEY_INT:
            raise ValueError("out of range")
        return moment, number
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not valid; start from the first page.",
            field_errors={"cursor": "not a cursor we issued"},
        ) from None


KeyPart = str | int | datetime
MAX_KEY_INT = MAX_INTEGER  # ids are 32-bit: a larger one cannot exist, and PostgreSQL refuses it
# Every key time we issue is a row's time; far outside these the databases' date conversions
# overflow (0001-01-01 at +14:00 is before year 1 in UTC).
EARLIEST_KEY_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_KEY_TIME = datetime(2200, 1, 1, tzinfo=UTC)


def _moment_ok(moment: datetime) -> bool:
    return moment.tzinfo is not None and EARLIEST_KEY_TIME <= moment < LATEST_KEY_TIME


def encode_keyset(kind: str, key: tuple[KeyPart, ...] | None) -> str | None:
    """An opaque cursor for a keyset of several parts (text, integers, aware datetimes).

    `kind` names the ordering the key belongs to, so a cursor from one sort order is refused
    by another instead of silently starting somewhere odd."""
    if key is None:
        return None
    parts: list[Any] = [kind]
    for part in key:
        parts.append({"t": part.isoformat()} if isinstance(part, datetime) else part)
    raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(
    cursor: str | None, kind: str, shape: tuple[type, ...]
) -> tuple[KeyPart, ...] | None:
    """The key inside a cursor from `encode_keyset`, checked against the expected shape."""
    if not cursor:
        return None
    invalid = ValidationFailed(
        "The page link is not valid (it may be from another sort order); start from the first page.",
        field_errors={"cursor": "not a cursor for this list"},
    )
    if len(cursor) > 1000:
        raise invalid
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(parts, list) or len(parts) != len(shape) + 1 or parts[0] != kind:
        raise invalid
    key: list[KeyPart] = []
    for expected, part in zip(shape, parts[1:], strict=True):
        if expected is datetime:
            try:
                moment = datetime.fromisoformat(part["t"])
            except (TypeError, KeyError, ValueError):
                raise invalid from None
            if not _moment_ok(moment):
                raise invalid
            key.append(moment)
        elif _plain_part_ok(expected, part):
            key.append(part)
        else:
            raise invalid
    return tuple(key)


def _plain_part_ok(expected: type, part: Any) -> bool:
    if expected is int:
        return isinstance(part, int) and not isinstance(part, bool) and 0 <= part <= MAX_KEY_INT
    return expected is str and isinstance(part, str) and "\x00" not in part and _encodable(part)


def _encodable(text: str) -> bool:
    # JSON may carry a lone surrogate ("\ud800"), which no database can store or compare.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
