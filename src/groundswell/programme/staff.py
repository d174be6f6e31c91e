"""Who changes the programme: its staff (admins). Funders may read bids and grants."""

from __future__ import annotations

from groundswell.core.errors import Forbidden
from groundswell.core.principal import Principal


def require_staff(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only programme staff change bids and grants.")
