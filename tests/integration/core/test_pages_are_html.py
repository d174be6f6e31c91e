"""Every page is sent as HTML, even from handlers that may also redirect."""

from tests.helpers import WebClient, make_host, make_locality, make_organiser


async def test_pages_from_mixed_handlers_are_html(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")
    # A vouch that fails validation re-renders the form from a handler that can redirect.
    response = await client.submit("/vouch/AMINA-7K", {"testimony": "short", "phone": ""})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    missing = await client.get("/organisers/NOPE-2Z")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
