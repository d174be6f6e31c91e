"""Who is asking: the signed-in user with their role and memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FUNDER = "funder"
    HOST = "host"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    name: str
    role: Role
    funder_ids: frozenset[int] = field(default_factory=frozenset)
    host_ids: frozenset[int] = field(default_factory=frozenset)
    session_id: int | None = None  # None when authenticated by API token
    read_only: bool = False  # an API token that may only read (GET)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_manage_funder(self, funder_id: int) -> bool:
        return self.is_admin or (self.role is Role.FUNDER and funder_id in self.funder_ids)

    def can_manage_host(self, host_id: int) -> bool:
        return self.is_admin or (self.role is Role.HOST and host_id in self.host_ids)
