"""Programme pages: dashboard, bid pages with their timeline, forms that keep what was typed."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from datetime import date, timedelta

from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.programme.tables import AssetBid, ServiceBid
from tests.helpers import (
    WebClient,
    field_error,
    make_asset_bid,
    make_funder,
    make_host,
    make_service_bid,
    make_user,
)

GOOD = {
    "asset_name": "The Red Lion",
    "address": "1 High Street",
    "postcode": "ts3 8bl",
    "owner": "Northern Taverns Ltd",
    "local_authority": "Middlesbrough",
    "locality_id": "",
    "nominating_group": "Friends of the Red Lion",
    "group_host_id": "",
    "group_org_id": "",
    "contact_emails": "chair@redlion.example.org\nsecretary@redlion.example.org",
    "nominated_on": "2023-01-02",
    "listed_on": "2023-02-20",
    "disposal_notice_on": "2023-08-31",
    "bidder_request_on": "2023-09-20",
    "fundraising_target": "250,000",
    "amount_raised": "12500.50",
    "notes": "",
}


def error_for(html: str, field: str) -> str:
    return htmllib.unescape(field_error(html, field) or "")


def no_inline_style_or_script(html: str) -> None:
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


async def test_admin_records_an_asset_bid_and_sees_its_clocks(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    form = await client.get("/programme/asset-bids/new")
    assert form.status_code == 200 and 'name="disposal_notice_on"' in form.text
    created = await client.submit("/programme/asset-bids", GOOD)
    assert created.status_code in (302, 303), created.text[-2000:]
    bid = await AssetBid.select().first()
    assert bid is not None
    assert bid["stage"] == "full_moratorium" and bid["postcode"] == "TS3 8BL"
    assert bid["fundraising_target"] == 25_000_000 and bid["amount_raised"] == 1_250_050
    page = await client.get(created.headers["location"])
    assert page.status_code == 200
    html = page.text
    no_inline_style_or_script(html)
    assert "<svg" in html and 'role="img"' in html and '<title id="timeline-title">' in html
    assert "The clocks as a table" in html
    # The full moratorium's last day, in the chart's tooltip and in the table.
    assert "29 Feb 2024" in html and "11 Oct 2023" in html and "28 Feb 2025" in html
    assert "£12,500.50 raised of £250,000.00" in html
    assert "chair@redlion.example.org" in html


async def test_create_form_errors_keep_what_was_typed(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    bad = {
        **GOOD,
        "asset_name": "",
        "postcode": "TS3",
        "bidder_request_on": "2023-10-12",
        "owner": "Kept <b>as typed</b>",
        "fundraising_target": "lots",
    }
    response = await client.submit("/programme/asset-bids", bad)
    assert response.status_code == 422
    html = response.text
    assert error_for(html, "asset_name") == "This is required."
    assert "postcode" in (error_for(html, "postcode")).lower()
    assert "after the interim moratorium's last day (11 October 2023)" in (
        error_for(html, "bidder_request_on")
    )
    assert "amount in pounds" in (error_for(html, "fundraising_target"))
    assert 'value="Kept &lt;b&gt;as typed&lt;/b&gt;"' in html
    assert 'value="2023-10-12"' in html and "chair@redlion.example.org" in html
    assert await AssetBid.count() == 0


async def test_edit_form_and_stage_moves(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    bid = await make_asset_bid(listed_on=date(2023, 2, 20), stage="listed")
    edit = await client.get(f"/programme/asset-bids/{bid}/edit")
    assert edit.status_code == 200 and 'value="2023-02-20"' in edit.text
    changed = await client.submit(
        f"/programme/asset-bids/{bid}/edit",
        {**GOOD, "bidder_request_on": "", "nominated_on": "", "fundraising_target": ""},
    )
    assert changed.status_code in (302, 303), changed.text[-1500:]
    row = await AssetBid.select().where(AssetBid.id == bid).first()
    assert row is not None and row["stage"] == "interim_moratorium"

    # A stage that a date marks cannot be chosen by hand; an ended bid cannot move.
    refused = await client.submit(f"/programme/asset-bids/{bid}/stage", {"to": "listed"})
    assert refused.status_code == 422 and "Choose one of" in refused.text
    bought = await client.submit(
        f"/programme/asset-bids/{bid}/stage", {"to": "purchased", "note": "Sold to the group"}
    )
    assert bought.status_code in (302, 303)
    assert "Bid moved to “Purchased”" in (await client.get(bought.headers["location"])).text
    again = await client.submit(f"/programme/asset-bids/{bid}/stage", {"to": "purchased"})
    assert again.status_code in (302, 303)  # already there: nothing changes
    assert "The bid was already “Purchased”" in (await client.get(again.headers["location"])).text
    ended = await client.submit(f"/programme/asset-bids/{bid}/stage", {"to": "withdrawn"})
    assert ended.status_code == 409 and "It has ended" in ended.text
    row = await AssetBid.select().where(AssetBid.id == bid).first()
    assert row is not None and row["stage"] == "purchased"
    # Purchased needs its notice date: clearing it is refused.
    clear = await client.submit(
        f"/programme/asset-bids/{bid}/edit",
        {**GOOD, "disposal_notice_on": "", "bidder_request_on": ""},
    )
    assert clear.status_code == 422
    assert "needs this date" in (error_for(clear.text, "disposal_notice_on"))


async def test_service_bid_forms(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    host = await make_host(
        "North Ormesby Neighbourhood Trust",
        org_id="GB-CHC-1087654",
        contact_email="hello@no.example.org",
    )
    form = {
        "service_name": "North Ormesby youth service",
        "local_authority": "Middlesbrough",
        "locality_id": "",
        "nominating_group": "",
        "group_host_id": str(host),
        "group_org_id": "",
        "contact_emails": "",
        "window_opens_on": "2024-04-01",
        "window_closes_on": "2024-06-30",
        "eoi_on": "2024-07-01",
        "decision_period_amount": "3",
        "decision_period_unit": "months",
        "decision": "",
        "decided_on": "",
        "rejection_grounds": "",
        "procurement_starts_on": "",
        "procurement_ends_on": "",
        "notes": "",
    }
    late = await client.submit("/programme/service-bids", form)
    assert late.status_code == 422
    assert "after the authority's window closed" in (error_for(late.text, "eoi_on"))
    assert 'value="2024-07-01"' in late.text
    created = await client.submit("/programme/service-bids", {**form, "eoi_on": "2024-05-31"})
    assert created.status_code in (302, 303), created.text[-1500:]
    bid = await ServiceBid.select().first()
    assert bid is not None and bid["group_name"] == "North Ormesby Neighbourhood Trust"
    page = await client.get(created.headers["location"])
    assert "30 Aug 2024" in page.text and "Authority decides" in page.text
    no_inline_style_or_script(page.text)
    edit = await client.get(f"/programme/service-bids/{bid['id']}/edit")
    assert edit.status_code == 200 and 'value="2024-05-31"' in edit.text
    decided = await client.submit(
        f"/programme/service-bids/{bid['id']}/edit",
        {
            **form,
            "eoi_on": "2024-05-31",
            "decision": "accepted",
            "decided_on": "2024-07-15",
            "procurement_starts_on": "2024-09-01",
        },
    )
    assert decided.status_code in (302, 303), re.findall(
        r"error-message[^>]*>(.*?)</p>", decided.text, re.S
    )
    won = await client.submit(f"/programme/service-bids/{bid['id']}/stage", {"to": "won"})
    assert won.status_code in (302, 303)
    row = await ServiceBid.select().first()
    assert row is not None and row["stage"] == "won"


async def test_dashboard_by_stage_with_coming_deadlines(client: WebClient) -> None:
    soon = today() + timedelta(days=10)
    # A notice 31 days before `soon`'s day-after: the interim moratorium ends in 10 days.
    await make_asset_bid(
        asset_name="The Red Lion",
        listed_on=today() - timedelta(days=400),
        disposal_notice_on=soon - timedelta(days=41),
        stage="interim_moratorium",
    )
    await make_asset_bid(
        asset_name="Pallister Library", nominated_on=today() - timedelta(days=20), stage="nominated"
    )
    await make_service_bid()
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    page = await client.get("/programme")
    assert page.status_code == 200
    html = page.text
    no_inline_style_or_script(html)
    assert (
        "Interim moratorium" in html
        and "Nominated" in html
        and "Preparing an expression of interest" in html
    )
    assert "The interim moratorium ends" in html and "10 days left" in html
    assert "New asset bid" not in html  # funders read, they do not change
    # No fundraising target known: said so, not "£0.00"; every stage's table shares one layout.
    assert "No target yet" in html and "£0.00" not in html
    assert html.count('<table class="stage-table">') == 3
    assert html.count('<col class="c-name">') == 3
    assert (await client.get("/programme/asset-bids/new")).status_code == 403
    bid = await AssetBid.select(AssetBid.id).first()
    assert bid is not None
    detail = await client.get(f"/programme/asset-bids/{bid['id']}")
    assert detail.status_code == 200 and "friends@redlion.example.org" not in detail.text


async def test_bids_csv(client: WebClient) -> None:
    await make_asset_bid(
        asset_name='=HYPERLINK("http://evil")',
        listed_on=date(2023, 1, 5),
        disposal_notice_on=date(2023, 8, 31),
        bidder_request_on=date(2023, 9, 1),
        stage="full_moratorium",
        fundraising_target=25_000_000,
        amount_raised=1_250_050,
    )
    await make_service_bid(
        eoi_on=date(2024, 5, 31),
        decision_period_amount=3,
        decision_period_unit="months",
        stage="eoi_submitted",
    )
    await client.login(await make_user(Role.ADMIN))
    response = await client.get("/programme/bids.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    asset, service = rows
    assert asset["type"] == "asset" and asset["name"].startswith("'=")
    assert asset["interim_moratorium_end"] == "2023-10-11"
    assert asset["full_moratorium_end"] == "2024-02-29"
    assert asset["fundraising_target"] == "250000.00" and asset["amount_raised"] == "12500.50"
    assert service["type"] == "service" and service["decision_due"] == "2024-08-30"
    assert service["decision_period"] == "3 months"


async def test_pages_for_unknown_bids_are_404(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    assert (await client.get("/programme/asset-bids/999999")).status_code == 404
    assert (await client.get("/programme/service-bids/999999/edit")).status_code == 404
    assert (await client.submit("/programme/grants/999999/award", {})).status_code == 404
