"""`javascript:` and `data:` URLs are refused in every URL field (issue #14.9).

A funder's website is shown as a link on the funder's page: `javascript:alert(1)` there runs
in the page of whoever clicks it. Every field that holds a web address takes http(s) only."""

from __future__ import annotations

import pytest

from groundswell.core.principal import Role
from groundswell.funders.tables import Funder
from tests.helpers import WebClient, field_error, make_user

REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example.org/",
    "//evil.example.org/",
    "https:evil.example.org",
    "https://",
    "www.example.org",
]


@pytest.fixture
async def admin(client: WebClient) -> WebClient:
    await client.login(await make_user(Role.ADMIN))
    return client


@pytest.mark.parametrize("website", REFUSED)
async def test_a_funder_website_must_be_a_web_address(admin: WebClient, website: str) -> None:
    response = await admin.submit("/funders", {"name": "Northern Roots", "website": website})
    assert response.status_code in (400, 422), response.status_code
    error = field_error(response.text, "website")
    assert error and "http" in error, error
    assert await Funder.count() == 0


@pytest.mark.parametrize(
    "website", ["https://northernroots.example.org", "http://example.org/about?x=1"]
)
async def test_a_funder_website_may_be_http_or_https(admin: WebClient, website: str) -> None:
    response = await admin.submit("/funders", {"name": "Northern Roots", "website": website})
    assert response.status_code in (302, 303), response.text[-800:]
    row = await Funder.select(Funder.website).first()
    assert row is not None and row["website"] == website


async def test_a_stored_unsafe_website_is_never_a_link(admin: WebClient) -> None:
    # Rows written before the rule (or by hand) are shown as text, not as a link.
    rows = await Funder.insert(Funder(name="Old Funder", website="javascript:alert(1)")).returning(
        Funder.id
    )
    page = (await admin.get(f"/funders/{rows[0]['id']}")).text
    assert 'href="javascript:' not in page.lower()
    assert "javascript:alert(1)" in page
