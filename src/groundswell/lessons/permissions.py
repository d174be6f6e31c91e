"""Who may write a lesson about what, and who may change one.

- Programme staff (admins): anywhere.
- Funders: places in their pools' places, and the organisers working there; anywhere when one
  of their pools names no places (it listens everywhere).
- Hosts: the organisers they host, and those organisers' places.
- Changing a lesson: its author and programme staff.
- The organiser's own words may be recorded only by the organiser's host (or staff).

Every signed-in role may read lessons; the public never does (they may name people's
situations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from groundswell.community.tables import Organiser
from groundswell.core.principal import Principal, Role
from groundswell.funders.tables import Pool, PoolLocality


@dataclass(frozen=True)
class WriterScope:
    """Where one principal may write lessons."""

    principal: Principal | None = None
    everywhere: bool = False
    places: frozenset[int] = field(default_factory=frozenset)
    # None: any organiser in `places` (funders); else exactly these (hosts).
    organisers: frozenset[int] | None = frozenset()

    @property
    def anywhere(self) -> bool:
        """May this principal write about at least one place?"""
        return self.everywhere or bool(self.places)

    def may_write_place(self, locality_id: int) -> bool:
        return self.everywhere or locality_id in self.places

    def may_write_organiser(self, organiser: Mapping[str, Any]) -> bool:
        """`organiser` has its `id` and its place as `locality_id` (or `locality`)."""
        if self.everywhere:
            return True
        if self.organisers is None:
            place = organiser.get("locality_id", organiser.get("locality"))
            return place in self.places
        return organiser["id"] in self.organisers

    def may_record_organisers_words(self, organiser: Mapping[str, Any]) -> bool:
        """Only the organiser's host (or programme staff) records their own reflection."""
        host = organiser.get("host_id", organiser.get("host"))
        return (
            self.principal is not None and host is not None and self.principal.can_manage_host(host)
        )

    def may_edit(self, lesson: Mapping[str, Any]) -> bool:
        if self.principal is None:
            return False
        return self.principal.is_admin or lesson.get("author") == self.principal.user_id


async def writer_scope(principal: Principal | None) -> WriterScope:
    if principal is None:
        return WriterScope()
    if principal.role is Role.ADMIN:
        return WriterScope(principal, everywhere=True, organisers=None)
    if principal.role is Role.FUNDER:
        pools = await Pool.select(Pool.id).where(
            Pool.funder.is_in(list(principal.funder_ids) or [-1])
        )
        pool_ids = [row["id"] for row in pools]
        rows = await PoolLocality.select(PoolLocality.pool, PoolLocality.locality).where(
            PoolLocality.pool.is_in(pool_ids or [-1])
        )
        if any(pool not in {row["pool"] for row in rows} for pool in pool_ids):
            return WriterScope(principal, everywhere=True, organisers=None)
        return WriterScope(
            principal, places=frozenset(row["locality"] for row in rows), organisers=None
        )
    if principal.role is Role.HOST:
        rows = await Organiser.select(Organiser.id, Organiser.locality).where(
            Organiser.host.is_in(list(principal.host_ids) or [-1])
        )
        return WriterScope(
            principal,
            places=frozenset(row["locality"] for row in rows),
            organisers=frozenset(row["id"] for row in rows),
        )
    return WriterScope(principal)
