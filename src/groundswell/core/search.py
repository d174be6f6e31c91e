"""What a list page's query string says: its values as text, the words searched for, and
the rows chosen from its lists."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from groundswell.core.ids import parse_row_id


def query_text(value: object) -> str:
    """A query-string value as text, control characters as spaces (a NUL cannot go to
    PostgreSQL), trimmed; None is empty."""
    return "".join(
        " " if unicodedata.category(ch)[0] == "C" else ch for ch in str(value or "")
    ).strip()


def query_words(value: object) -> str:
    """`query_text` with every run of spaces one space: words as they are searched."""
    return " ".join(query_text(value).split())


def search_words(
    raw: Mapping[str, str | None], errors: dict[str, str], *, max_length: int, name: str = "q"
) -> str:
    """The words searched for in `raw[name]`, cut to `max_length` with a message in
    `errors` when longer (not raised, so the page can show the form with what was typed)."""
    words = query_words(raw.get(name))
    if len(words) > max_length:
        errors[name] = f"Keep your search to {max_length} characters or fewer."
        words = words[:max_length]
    return words


def query_row_id(
    raw: Mapping[str, str | None],
    name: str,
    errors: dict[str, str],
    *,
    message: str = "Choose from the list.",
) -> int | None:
    """The row id chosen in `raw[name]`: None when empty, or when it is not one (then
    `message` in `errors`)."""
    text = query_text(raw.get(name))
    if not text:
        return None
    row_id = parse_row_id(text)
    if row_id is None:
        errors[name] = message
    return row_id
