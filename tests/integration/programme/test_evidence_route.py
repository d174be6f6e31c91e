"""GET /programme/asset-bids/{id}/evidence.pdf: programme staff only, for now."""

from __future__ import annotations

from datetime import date

from groundswell.core.principal import Role
from tests.helpers import WebClient, make_asset_bid, make_funder, make_host, make_user
from tests.pdfs import pdf_text


async def test_programme_staff_download_the_evidence_pack(client: WebClient) -> None:
    bid = await make_asset_bid(
        asset_name="Y Llew Coch",
        group_name="Cyfeillion y Llew Coch",
        nominated_on=date(2026, 3, 2),
        listed_on=date(2026, 4, 20),
        disposal_notice_on=date(2026, 8, 31),
        stage="interim_moratorium",
    )
    await client.login(await make_user(Role.ADMIN))
    response = await client.get(f"/programme/asset-bids/{bid}/evidence.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="groundswell-evidence-asset-bid-{bid}-')
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    assert "Evidence of community support: Y Llew Coch" in text
    assert "Cyfeillion y Llew Coch" in text
    assert "The interim moratorium ends 11 October 2026 6 weeks from the notice" in text
    assert "No residents have vouched for this building yet." in text
    assert "Page 1 of" in text

    page = (await client.get(f"/programme/asset-bids/{bid}")).text
    assert f'href="/programme/asset-bids/{bid}/evidence.pdf"' in page


async def test_only_programme_staff(client: WebClient) -> None:
    bid = await make_asset_bid()
    path = f"/programme/asset-bids/{bid}/evidence.pdf"
    anonymous = await client.get(path)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login")
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    assert (await client.get(path)).status_code == 403
    # Funders read the bid's page, without the link to a pack they cannot download.
    assert "evidence.pdf" not in (await client.get(f"/programme/asset-bids/{bid}")).text


async def test_a_host_is_turned_away(client: WebClient) -> None:
    bid = await make_asset_bid()
    await client.login(await make_user(Role.HOST, host_ids=(await make_host(),)))
    assert (await client.get(f"/programme/asset-bids/{bid}/evidence.pdf")).status_code == 403


async def test_an_unknown_bid_is_not_found(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    response = await client.get(
        "/programme/asset-bids/999999/evidence.pdf", headers={"accept": "text/html"}
    )
    assert response.status_code == 404
    assert "There is no asset bid 999999" in response.text
