"""What the lessons tests share: a world of places, organisers, pools and one user of each
kind, and a client that posts the lesson form as a browser does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Litestar

from groundswell.core.clock import now, today
from groundswell.core.principal import Role
from groundswell.lessons.tables import Lesson
from tests.helpers import (
    WebClient,
    asgi_client,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
    make_voice,
    organiser_id,
)


def text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@dataclass
class World:
    hulme: int
    pallister: int
    walton: int
    siobhan: int  # hosted by the garden centre, in Hulme, quiet
    dele: int  # hosted by the tenants' forum, in Hulme
    amina: int  # hosted by the tenants' forum, in Pallister


async def make_world() -> World:
    hulme, pallister, walton = (
        await make_locality("Hulme"),
        await make_locality("Pallister"),
        await make_locality("Walton"),
    )
    garden, forum = await make_host("Hulme Garden Centre"), await make_host("Tenants Forum")
    await make_organiser(garden, hulme, name="Siobhan Byrne", code="SIOBHAN-3V")
    await make_organiser(forum, hulme, name="Dele Okafor", code="DELE-8P")
    await make_organiser(forum, pallister, name="Amina Hussein", code="AMINA-7Z")
    for days in (100, 110, 120, 130, 140, 150):
        await make_voice("SIOBHAN-3V", at=now() - timedelta(days=days))
    await make_voice("SIOBHAN-3V", at=now() - timedelta(days=5))
    roots, common, river = (
        await make_funder("Northern Roots"),
        await make_funder("Common Ground"),
        await make_funder("Riverside Trust"),
    )
    await make_pool(roots, "Manchester Fund", locality_ids=(hulme,))
    await make_pool(common, "Teesside Fund", locality_ids=(pallister,))
    await make_pool(river, "Anywhere Fund")  # names no places: listens everywhere
    await make_user(Role.ADMIN, "admin@example.org")
    await make_user(Role.FUNDER, "roots@example.org", funder_ids=(roots,))
    await make_user(Role.FUNDER, "common@example.org", funder_ids=(common,))
    await make_user(Role.FUNDER, "river@example.org", funder_ids=(river,))
    await make_user(Role.HOST, "garden@example.org", host_ids=(garden,))
    await make_user(Role.HOST, "forum@example.org", host_ids=(forum,))
    return World(
        hulme=hulme,
        pallister=pallister,
        walton=walton,
        siobhan=await organiser_id("SIOBHAN-3V"),
        dele=await organiser_id("DELE-8P"),
        amina=await organiser_id("AMINA-7Z"),
    )


@asynccontextmanager
async def signed_in(app: Litestar, email: str | None) -> AsyncIterator[WebClient]:
    async with asgi_client(app) as client:
        if email:
            await client.login(email)
        yield client


def form(locality: int, organiser: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "locality": str(locality),
        "organiser": "" if organiser is None else str(organiser),
        "note": "The Friday drop-in moved to Tuesday mornings; most people are at work then.",
        "tags": ["timing"],
        "period_start": (today() - timedelta(days=90)).isoformat(),
        "period_end": today().isoformat(),
        "acted_on": "no",
        "action_taken": "",
        "back": "place",
        **extra,
    }


def pairs(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Form pairs, with a list sent as repeated fields (as a browser sends ticked boxes)."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            out.append((key, one))
    return out


async def post(client: WebClient, data: dict[str, Any], url: str = "/lessons") -> Any:
    return await client.submit(url, pairs(data))


# ------------------------------------------------------------------------- who may write


async def lesson_by(app: Litestar, email: str, data: dict[str, Any]) -> int:
    async with signed_in(app, email) as client:
        response = await post(client, data)
    assert response.status_code == 303, response.text[-800:]
    row = await Lesson.select(Lesson.id).order_by(Lesson.id, ascending=False).first()
    assert row is not None
    return int(row["id"])
