"""`scripts/i18n --check` (run by scripts/lint): fail when the committed catalogue is behind the
code. Two ways it can be behind: the template (messages.pot) no longer matches what the code
marks for translation, or a text residents see has no Welsh yet (an empty entry, or none).
Drafts (#, fuzzy) count as Welsh: they are shown, and the README says so.

    python scripts/i18n_check.py EXTRACTED_POT COMMITTED_POT PO
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po


def _read(path: str) -> Catalog:
    with Path(path).open("rb") as handle:
        return read_po(handle)


def _key(message_id: object) -> str:
    return message_id if isinstance(message_id, str) else str(message_id[0])  # type: ignore[index]


def problems(extracted: Catalog, committed: Catalog, welsh: Catalog) -> list[str]:
    found: list[str] = []
    wanted = {(m.context, _key(m.id)) for m in extracted if m.id}
    have = {(m.context, _key(m.id)) for m in committed if m.id}
    if wanted != have:
        found.append(
            f"messages.pot is stale ({len(wanted - have)} new, {len(have - wanted)} gone): "
            "run scripts/i18n and commit the .pot and the .po"
        )
    for context, msgid in sorted(wanted, key=lambda k: (k[0] or "", k[1])):
        entry = welsh.get(msgid, context)
        strings = entry.string if entry else ""
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            found.append(
                f"no Welsh for: {msgid!r}" + (f" (context {context!r})" if context else "")
            )
    return found


def main(argv: list[str]) -> int:
    extracted, committed, po = argv
    found = problems(_read(extracted), _read(committed), _read(po))
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
