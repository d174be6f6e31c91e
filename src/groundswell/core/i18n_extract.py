"""A Babel extractor for the text messages (vouching/messages.py), so `pybabel extract`
puts them into the one catalogue with the pages' texts (configured in pyproject.toml).

Each English text becomes an entry with the context ``sms:<message id>``; a translator's
note says it is a text message and how long a Welsh one may be. Reads the file's syntax
tree only: extraction runs no project code.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

SMS_NOTE = (
    "Text message: keep the Welsh within 134 characters with the {placeholders} filled in "
    "(two SMS segments); command words such as SHARE and WITHDRAW stay in English."
)


def extract_sms(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    tree = ast.parse(fileobj.read())
    for node in tree.body:
        if not (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "_ENGLISH"
            and isinstance(node.value, ast.Dict)
        ):
            continue
        for key, value in zip(node.value.keys, node.value.values, strict=True):
            if key is None:
                continue
            message_id, english = ast.literal_eval(key), ast.literal_eval(value)
            yield value.lineno, "pgettext", (f"sms:{message_id}", english), [SMS_NOTE]
