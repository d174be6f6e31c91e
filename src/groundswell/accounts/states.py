"""What a link e-mailed to a person is for."""

from __future__ import annotations

from enum import StrEnum


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"
