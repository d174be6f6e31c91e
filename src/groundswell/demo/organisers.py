"""The demo's organiser lifecycle (issue #16): one organiser moved from North Ormesby
Neighbourhood Trust to Pallister Park Community Association three weeks ago (so the host demo
user sees a history with both hosts), and one Pallister organiser paused by programme staff.

Done through community/lifecycle.py as the administrator, so the history pages show real
audit entries. Runs once: a database demoed before it existed gains it.
"""

from __future__ import annotations

from datetime import timedelta

from groundswell.community import lifecycle, moves
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import HostOrganisation, Organiser
from groundswell.core.clock import today
from groundswell.core.tables import AuditEntry
from groundswell.demo.lessons import _principal
from groundswell.demo.places_and_people import HOSTS


async def _host_id(org_id: str) -> int | None:
    row = (
        await HostOrganisation.select(HostOrganisation.id)
        .where(HostOrganisation.org_id == org_id)
        .first()
    )
    return None if row is None else int(row["id"])


async def _first_active(host_id: int, *, exclude: str = "") -> str | None:
    row = (
        await Organiser.select(Organiser.code)
        .where(
            (Organiser.host == host_id)
            & (Organiser.status == OrganiserStatus.ACTIVE.value)
            & (Organiser.code != exclude)
        )
        .order_by(Organiser.code)
        .first()
    )
    return None if row is None else str(row["code"])


async def load_organiser_lifecycle() -> bool:
    """True when it wrote something."""
    if await AuditEntry.exists().where(AuditEntry.action == "organiser.move"):
        return False
    admin = await _principal("admin@groundswell.example")
    pallister, north_ormesby = await _host_id(HOSTS[0][1]), await _host_id(HOSTS[1][1])
    if admin is None or pallister is None or north_ormesby is None:
        return False
    moving = await _first_active(north_ormesby)
    if moving is None:
        return False
    await moves.move_host(
        admin,
        moving,
        {
            "host_id": str(pallister),
            "moved_on": (today() - timedelta(days=21)).isoformat(),
            "reason": "Their estate's project moved to Pallister Park Community Association.",
        },
    )
    pausing = await _first_active(pallister, exclude=moving)
    if pausing is not None:
        await lifecycle.change_status(
            admin, pausing, "pause", {"reason": "On parental leave until the spring."}
        )
    return True
