"""Test helpers: a client that speaks forms with CSRF, and factories for domain rows."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar

from groundswell.accounts.services import create_user
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.clock import now, today
from groundswell.core.principal import Role
from groundswell.funders.tables import Funder, Pool, PoolLocality
from groundswell.ledger import deposits
from groundswell.ledger.tables import LedgerAccount
from groundswell.vouching.redact import search_text
from groundswell.vouching.tables import Endorsement, Resident

PASSWORD = "correct horse battery"


class WebClient:
    """Wraps the ASGI test client: `submit` posts a form with the CSRF token a browser would send."""

    def __init__(self, raw: httpx.AsyncClient) -> None:
        self.raw = raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    async def csrf_token(self) -> str:
        token = self.raw.cookies.get("csrftoken")
        if not token:
            await self.raw.get("/login")
            token = self.raw.cookies.get("csrftoken")
        assert token, "the site set no CSRF cookie"
        return token

    async def submit(
        self, url: str, data: dict[str, Any] | list[tuple[str, Any]] | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = await self.csrf_token()
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        form: dict[str, Any] = {"_csrf_token": token}
        for key, value in pairs:
            if key in form:
                form[key] = (
                    [*form[key], value] if isinstance(form[key], list) else [form[key], value]
                )
            else:
                form[key] = value
        return await self.raw.post(url, data=form, **kwargs)

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.submit("/login", {"email": email, "password": password})
        assert response.status_code in (302, 303), (response.status_code, response.text[-1500:])
        return response


@asynccontextmanager
async def asgi_client(app: Litestar, address: str = "127.0.0.1") -> AsyncIterator[WebClient]:
    """A client calling the app in the test's own event loop.

    The database is started by the session fixture, so the app's lifespan is not run here
    (Litestar's AsyncTestClient would run it on another thread's loop, and asyncpg's pool
    cannot be shared between loops)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://groundswell.test", follow_redirects=False
    ) as raw:
        yield WebClient(raw)


def field_error(page: str, field: str) -> str | None:
    match = re.search(rf'id="f-{re.escape(field)}-error">(.*?)</p>', page, re.S)
    return (
        html.unescape(re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip())
        if match
        else None
    )


async def make_locality(name: str = "Pallister", **extra: Any) -> int:
    rows = await Locality.insert(Locality(name=name, **extra)).returning(Locality.id)
    return int(rows[0]["id"])


async def make_funder(name: str = "Northern Roots", org_id: str | None = None) -> int:
    rows = await Funder.insert(Funder(name=name, org_id=org_id)).returning(Funder.id)
    return int(rows[0]["id"])


async def make_pool(
    funder_id: int, name: str = "Listening Fund", locality_ids: tuple[int, ...] = (), **extra: Any
) -> int:
    values: dict[str, Any] = {"round_budget": 10_000_00, **extra}
    rows = await Pool.insert(Pool(funder=funder_id, name=name, **values)).returning(Pool.id)
    pool_id = int(rows[0]["id"])
    if locality_ids:
        await PoolLocality.insert(
            *[PoolLocality(pool=pool_id, locality=lid) for lid in locality_ids]
        )
    return pool_id


async def make_host(name: str = "Pallister Park CA", **extra: Any) -> int:
    rows = await HostOrganisation.insert(HostOrganisation(name=name, **extra)).returning(
        HostOrganisation.id
    )
    return int(rows[0]["id"])


_code_counter = iter(range(10_000))


async def make_organiser(
    host_id: int,
    locality_id: int,
    name: str = "Amina Hussein",
    code: str | None = None,
    bursary_end: date | None = None,
    **extra: Any,
) -> str:
    number = next(_code_counter)
    code = code or f"{name.split()[0].upper()}-{2 + number % 8}{'ABCDEFGHJK'[number // 8 % 10]}"
    end = bursary_end or today() - timedelta(days=10)
    await Organiser.insert(
        Organiser(
            name=name,
            code=code,
            host=host_id,
            locality=locality_id,
            bursary_start=end - timedelta(days=365),
            bursary_end=end,
            **extra,
        )
    )
    return code


async def make_user(
    role: Role,
    email: str | None = None,
    *,
    funder_ids: tuple[int, ...] = (),
    host_ids: tuple[int, ...] = (),
) -> str:
    email = email or f"{role.value}@example.org"
    await create_user(
        email=email,
        name=role.value.title(),
        password=PASSWORD,
        role=role,
        funder_ids=funder_ids,
        host_ids=host_ids,
    )
    return email


async def make_asset_bid(**values: Any) -> int:
    from groundswell.programme.tables import AssetBid

    defaults: dict[str, Any] = {
        "asset_name": "The Red Lion",
        "local_authority": "Middlesbrough",
        "group_name": "Friends of the Red Lion",
        "contact_emails": "friends@redlion.example.org",
    }
    from groundswell.programme.building_voices import give_building_a_code

    rows = await AssetBid.insert(AssetBid(**{**defaults, **values})).returning(AssetBid.id)
    bid_id = int(rows[0]["id"])
    await give_building_a_code(bid_id, str({**defaults, **values}["asset_name"]))
    return bid_id


async def make_service_bid(**values: Any) -> int:
    from groundswell.programme.tables import ServiceBid

    defaults: dict[str, Any] = {
        "service_name": "North Ormesby youth service",
        "local_authority": "Middlesbrough",
        "group_name": "North Ormesby Youth Collective",
        "contact_emails": "youth@northormesby.example.org",
    }
    rows = await ServiceBid.insert(ServiceBid(**{**defaults, **values})).returning(ServiceBid.id)
    return int(rows[0]["id"])


async def make_programme_grant(pool_id: int, **values: Any) -> int:
    from groundswell.programme.tables import ProgrammeGrant

    defaults: dict[str, Any] = {
        "kind": "feasibility",
        "title": "Feasibility grant: The Red Lion",
        "amount": 5_000_00,
        "currency": "GBP",
    }
    rows = await ProgrammeGrant.insert(
        ProgrammeGrant(pool=pool_id, **{**defaults, **values})
    ).returning(ProgrammeGrant.id)
    return int(rows[0]["id"])


async def make_lesson(locality_id: int, *, author_email: str | None = None, **values: Any) -> int:
    """A lesson about a place as a whole, tagged "other", written by `author_email`'s user."""
    from groundswell.accounts.tables import User
    from groundswell.lessons.tables import Lesson, LessonTag

    author = None
    if author_email is not None:
        user = await User.select(User.id).where(User.email == author_email).first()
        author = user["id"] if user else None
    defaults: dict[str, Any] = {
        "note": "The youth club closed in the summer; the young people's voices went with it.",
        "period_start": today() - timedelta(days=90),
        "period_end": today(),
        "author_role": "admin",
    }
    rows = await Lesson.insert(
        Lesson(locality=locality_id, author=author, **{**defaults, **values})
    ).returning(Lesson.id)
    lesson_id = int(rows[0]["id"])
    await LessonTag.insert(LessonTag(lesson=lesson_id, tag="other"))
    return lesson_id


async def organiser_id(code: str) -> int:
    row = await Organiser.select(Organiser.id).where(Organiser.code == code).first()
    assert row is not None, code
    return int(row["id"])


def voice_hash(name: str) -> str:
    return hashlib.sha256(f"test-voice-{name}".encode()).hexdigest()


async def make_resident(name: str) -> int:
    rows = await Resident.insert(Resident(voice_hash=voice_hash(name))).returning(Resident.id)
    return int(rows[0]["id"])


async def vouch(
    resident_id: int,
    code: str,
    *,
    days_ago: float = 1,
    verification: str = "sms_inbound",
    state: str = "active",
    moderation: str = "clear",
    testimony: str = "She got the council to fix the lights on the underpass.",
) -> int:
    at = now() - timedelta(days=days_ago)
    rows = await Endorsement.insert(
        Endorsement(
            resident=resident_id,
            organiser=await organiser_id(code),
            testimony=testimony,
            channel="sms",
            verification=verification,
            state=state,
            moderation=moderation,
            created_at=at,
            updated_at=at,
        )
    ).returning(Endorsement.id)
    return int(rows[0]["id"])


async def make_voices(code: str, count: int, prefix: str | None = None, **kw: Any) -> list[int]:
    """`count` new residents who each vouch for the organiser `code`."""
    residents = []
    for n in range(count):
        resident = await make_resident(f"{prefix or code}-{n}")
        await vouch(resident, code, **kw)
        residents.append(resident)
    return residents


async def deposit(pool_id: int, pounds: str, reference: str = "BANK-1") -> int:
    recorded = await deposits.record_deposit(
        None, pool_id, deposits.read_deposit_input({"amount": pounds, "reference": reference})
    )
    return recorded.deposit_id


@asynccontextmanager
async def ledger_unlocked() -> AsyncIterator[None]:
    """Switch off the ledger's append-only triggers: for emptying or corrupting it in tests."""
    await LedgerAccount.raw("INSERT INTO ledger_maintenance (id) VALUES (1)")
    try:
        yield
    finally:
        await LedgerAccount.raw("DELETE FROM ledger_maintenance")


_resident_counter = iter(range(1_000_000))


async def make_voice(
    organiser_code: str,
    testimony: str = "She got the lights fixed on the underpass after years of asking.",
    *,
    at: datetime | None = None,
    theme: str = "value",
    display_name: str = "",
    neighbourhood: str = "",
    consent: bool = True,
    show_public: bool | None = None,
    show_funders: bool | None = None,
    verification: str = "sms_code",
    state: str = "active",
    moderation: str = "clear",
    score: int | None = None,
) -> int:
    """One resident's endorsement, stored as record_endorsement stores it. `consent`: shared
    on the public page and with funders (the default) or neither; `show_public` and
    `show_funders` choose one place apart."""
    organiser = await Organiser.select(Organiser.id).where(Organiser.code == organiser_code).first()
    assert organiser is not None, organiser_code
    number = next(_resident_counter)
    rows = await Resident.insert(Resident(voice_hash=f"test-voice-{number:08d}")).returning(
        Resident.id
    )
    moment = at or now()
    rows = await Endorsement.insert(
        Endorsement(
            resident=rows[0]["id"],
            organiser=organiser["id"],
            testimony=testimony,
            search_text=search_text(
                testimony,
                neighbourhood if (consent if show_funders is None else show_funders) else "",
            ),
            theme=theme,
            display_name=display_name,
            neighbourhood=neighbourhood,
            show_public=consent if show_public is None else show_public,
            show_funders=consent if show_funders is None else show_funders,
            channel="web",
            verification=verification,
            state=state,
            moderation=moderation,
            score=score,
            created_at=moment,
            updated_at=moment,
        )
    ).returning(Endorsement.id)
    return int(rows[0]["id"])
