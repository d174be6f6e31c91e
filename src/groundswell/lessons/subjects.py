"""What a lesson is about: a place or an organiser there, with who may write about it and
the voices figures the place page showed when it was written."""

from dataclasses import dataclass
from typing import Any

from groundswell.community.services import ORGANISER_PUBLIC_COLUMNS
from groundswell.community.tables import Locality, Organiser
from groundswell.core.errors import NotFound
from groundswell.lessons.permissions import WriterScope
from groundswell.listening.services import place_voices


@dataclass(frozen=True)
class Subject:
    """What a lesson is about: a place, and one organiser there or the place as a whole."""

    locality: dict[str, Any]
    organiser: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        if self.organiser is None:
            return f"{self.locality['name']} (the place as a whole)"
        return f"{self.organiser['name']}, {self.locality['name']}"


async def get_locality(locality_id: int) -> dict[str, Any]:
    row = await Locality.select().where(Locality.id == locality_id).first()
    if row is None:
        raise NotFound("There is no such place.")
    return row


async def organisers_in(locality_id: int) -> list[dict[str, Any]]:
    return await (
        Organiser.select(*ORGANISER_PUBLIC_COLUMNS)
        .where(Organiser.locality == locality_id)
        .order_by(Organiser.name)
    )


async def organiser_by_id(organiser_id: int) -> dict[str, Any] | None:
    return (
        await Organiser.select(*ORGANISER_PUBLIC_COLUMNS)
        .where(Organiser.id == organiser_id)
        .first()
    )


async def choices_for(scope: WriterScope, locality_id: int) -> list[dict[str, Any]]:
    """The organisers in a place this writer may write about, the quieter ones marked (the
    place page's "quieter" list, from listening)."""
    organisers = [row for row in await organisers_in(locality_id) if scope.may_write_organiser(row)]
    place = await place_voices(organisers)
    return place.organisers


async def writable_places(scope: WriterScope) -> list[dict[str, Any]]:
    query = Locality.select(Locality.id, Locality.name, Locality.local_authority).order_by(
        Locality.local_authority, Locality.name
    )
    if not scope.everywhere:
        query = query.where(Locality.id.is_in(list(scope.places) or [-1]))
    return await query


async def figures_for(subject: Subject) -> str:
    """What the voices looked like when the lesson was written, in words (listening's own
    "quieter" reasons), kept with the lesson for a learning review."""
    if subject.organiser is not None:
        place = await place_voices([subject.organiser])
        row = place.organisers[0]
        if row["quiet"] is not None:
            return f"Quieter: {row['quiet'].reason}"
        trend = row["trend"]
        return f"{trend.recent} voices in the last 90 days, {trend.previous} in the 90 days before."
    place = await place_voices(await organisers_in(subject.locality["id"]))
    text = f"{place.recent} voices in the last 90 days, {place.previous} in the 90 days before; "
    active = [row for row in place.organisers if row["status"] == "active"]
    if place.quiet:
        names = ", ".join(row["name"] for row in place.quiet)
        return text + f"{len(place.quiet)} of {len(active)} active organisers quieter ({names})."
    return text + f"none of {len(active)} active organisers quieter."
