"""Every kind of text the grammar can return has a handler: a new kind needs its row."""

from __future__ import annotations

from groundswell.vouching.grammar import CommandKind
from groundswell.vouching.sms import HANDLERS


def test_every_command_kind_has_a_handler() -> None:
    assert set(HANDLERS) == set(CommandKind)
