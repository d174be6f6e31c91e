"""The one CSV writer every export uses: formula-safe cells, CRLF lines, UTF-8.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by spreadsheets ("=HYPERLINK(...)" typed as a name); such cells get a leading apostrophe,
unless they are plain numbers (a negative amount stays a number)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from litestar import Response

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_csv(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    headings: Mapping[str, str] | None = None,
) -> str:
    """`rows` as CSV text under `columns` (the first line reads `headings[column]` where
    given, else the column names); every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe((headings or {}).get(c, c)) for c in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(row.get(column)) for column in columns])
    return buffer.getvalue()


def csv_download(
    text: str, filename: str, *, private: bool = True, byte_order_mark: bool = True
) -> Response[bytes]:
    """A CSV file to download; the byte order mark makes Excel read UTF-8 names right. A
    private file is never kept by a browser or proxy cache."""
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    if private:
        headers["cache-control"] = "no-store"
    return Response(
        text.encode("utf-8-sig" if byte_order_mark else "utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
