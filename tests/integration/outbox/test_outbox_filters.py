"""/admin/outbox filters by channel, status and purpose and pages, all in the URL; anything
the page did not offer is a clear error, never a 500; only administrators see it."""

from __future__ import annotations

import re

import pytest

from groundswell.core.principal import Role
from groundswell.outbox import listing
from groundswell.outbox.services import enqueue_email, enqueue_sms
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.helpers import WebClient, make_funder, make_user

NUMBER = "+447911123456"


def subjects(page: str) -> list[str]:
    table = page[page.index("<table") :] if "<table" in page else ""
    return re.findall(r"<strong>(Note \d+)</strong>", table)


async def some_messages(settings: Settings) -> None:
    for n in range(1, 6):
        await enqueue_email(
            to="host@example.org",
            subject=f"Note {n}",
            body="…",
            purpose="payments.held" if n % 2 else "round_review",
            dedupe_key=f"note:{n}",
        )
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="Your code is 123456",
        purpose="verification_code",
        dedupe_key="v:1",
    )
    await OutboxMessage.update({OutboxMessage.status: "failed"}).where(
        OutboxMessage.subject == "Note 2"
    )


async def test_filters_narrow_the_list_and_stay_in_the_links(
    settings: Settings, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await some_messages(settings)
    await client.login(await make_user(Role.ADMIN))
    everything = (await client.get("/admin/outbox")).text
    assert subjects(everything) == ["Note 5", "Note 4", "Note 3", "Note 2", "Note 1"]
    assert "SMS to resident" in everything

    emails = (await client.get("/admin/outbox?channel=email")).text
    assert "SMS to resident" not in emails[emails.index("<table") :]
    assert '<option value="email" selected>' in emails

    held = (await client.get("/admin/outbox?purpose=payments.held")).text
    assert subjects(held) == ["Note 5", "Note 3", "Note 1"]
    failed = (await client.get("/admin/outbox?status=failed&channel=email")).text
    assert subjects(failed) == ["Note 2"]
    none = (await client.get("/admin/outbox?status=delivered")).text
    assert "No messages match these filters." in none

    # Two a page: the next page's link keeps the filters.
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    first = (await client.get("/admin/outbox?channel=email")).text
    assert subjects(first) == ["Note 5", "Note 4"]
    older = re.search(r'href="(/admin/outbox\?[^"]+)">Older messages', first)
    assert older and "channel=email" in older.group(1)
    second = (await client.get(older.group(1).replace("&amp;", "&"))).text
    assert subjects(second) == ["Note 3", "Note 2"]
    assert "Newest messages" in second
    last = re.search(r'href="(/admin/outbox\?[^"]+)">Older messages', second)
    assert last
    third = (await client.get(last.group(1).replace("&amp;", "&"))).text
    assert subjects(third) == ["Note 1"] and "Older messages" not in third


@pytest.mark.parametrize(
    "query",
    [
        "channel=fax",
        "status=nonsense",
        "purpose=%3Cscript%3E",
        "before=0",
        "before=-1",
        "before=99999999999999999999",
        "before=abc",
    ],
)
async def test_a_filter_the_page_did_not_offer_is_a_clear_error(
    client: WebClient, query: str
) -> None:
    await client.login(await make_user(Role.ADMIN))
    page = await client.get(f"/admin/outbox?{query}")
    assert page.status_code == 422
    assert '<div class="error-summary" role="alert" tabindex="-1" data-focus-on-load>' in page.text
    assert "<script>" not in page.text


async def test_only_administrators_see_the_outbox(client: WebClient) -> None:
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    assert (await client.get("/admin/outbox?channel=email")).status_code == 403
