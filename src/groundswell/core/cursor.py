"""Opaque keyset cursors: (timestamp, id) encoded for URLs, validated on the way back in."""

from __future__ import annotations

import base64
from datetime import datetime

from groundswell.core.errors import ValidationFailed


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
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, int(identifier)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not valid; start from the first page.",
            field_errors={"cursor": "not a cursor we issued"},
        ) from None
