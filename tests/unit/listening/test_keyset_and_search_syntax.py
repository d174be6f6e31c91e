from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.core.cursor import decode_keyset, encode_keyset
from groundswell.core.errors import ValidationFailed
from groundswell.listening.feed import fts5_query

SHAPE = (str, int, datetime, int)


def test_keyset_cursors_round_trip_and_name_their_order() -> None:
    key = ("Zoë O'Neill", 12, datetime(2026, 3, 1, 12, 30, 5, 123, tzinfo=UTC), 99)
    cursor = encode_keyset("organiser", key)
    assert cursor is not None and "=" not in cursor
    assert decode_keyset(cursor, "organiser", SHAPE) == key
    assert decode_keyset(None, "organiser", SHAPE) is None
    with pytest.raises(ValidationFailed):
        decode_keyset(cursor, "newest", (datetime, int))


@pytest.mark.parametrize(
    "parts",
    [
        ["organiser", "a", 1, {"t": "2026-01-01T00:00:00"}, 1],  # naive time
        ["organiser", "a", 2**31, {"t": "2026-01-01T00:00:00+00:00"}, 1],  # not an id
        ["organiser", "a", True, {"t": "2026-01-01T00:00:00+00:00"}, 1],
        ["organiser", "a\x00", 1, {"t": "2026-01-01T00:00:00+00:00"}, 1],
        ["organiser", "a", 1, "2026-01-01", 1],
        ["organiser", "a", 1],
        # Found by hand against the pages, each a 500 before: a lone surrogate, and times
        # whose conversion to UTC leaves the calendar.
        ["organiser", "\ud800", 1, {"t": "2026-01-01T00:00:00+00:00"}, 1],
        ["organiser", "a", 1, {"t": "0001-01-01T00:00:00+14:00"}, 1],
        ["organiser", "a", 1, {"t": "9999-12-31T23:59:59-14:00"}, 1],
    ],
)
def test_forged_keysets_are_refused(parts: list[object]) -> None:
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()
    with pytest.raises(ValidationFailed):
        decode_keyset(cursor, "organiser", SHAPE)


@given(st.text(max_size=60))
def test_any_text_decodes_to_a_key_or_a_validation_error(text: str) -> None:
    with contextlib.suppress(ValidationFailed):
        decode_keyset(text, "organiser", SHAPE)


def test_search_syntax_becomes_quoted_fts5_terms() -> None:
    assert fts5_query("food bank") == '"food" AND "bank"'
    assert fts5_query('"youth club" -football') == '"youth club" NOT "football"'
    # Words joined by punctuation stay together, as a phrase; operators are only words.
    assert fts5_query("NEAR(a b) title:x") == '"NEAR a" AND "b" AND "title x"'
    assert fts5_query("repair-café OR AND") == '"repair café" AND "OR" AND "AND"'
    assert fts5_query('" * ^ -') is None
    assert fts5_query("-only -excluded") is None
    assert fts5_query("café") == '"café"'


@given(st.text(max_size=80))
def test_every_search_is_safe_fts5(text: str) -> None:
    import sqlite3

    query = fts5_query(text)
    if query is None:
        return
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    connection.execute("INSERT INTO t VALUES ('the quick brown fox')")
    connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
