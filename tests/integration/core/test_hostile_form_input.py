"""What a browser would never send, sent anyway: an answer a person can read, and nothing
stored that nobody typed. Found by exploratory testing against a running site; each was a
500 on PostgreSQL (some on SQLite too) before."""

from __future__ import annotations

from groundswell.community.tables import Locality
from groundswell.core.principal import Role
from groundswell.core.tables import RateLimitCounter
from tests.helpers import PASSWORD, WebClient, field_error, make_user


async def test_a_very_long_email_at_login_is_a_failed_login(client: WebClient) -> None:
    email = "a" * 10_000 + "@example.org"
    for _ in range(2):
        response = await client.submit("/login", {"email": email, "password": "x"})
        assert response.status_code == 422 and "do not match an account" in response.text
    buckets = [row["bucket"] for row in await RateLimitCounter.select(RateLimitCounter.bucket)]
    assert buckets and all(len(bucket) <= 200 for bucket in buckets)
    # Both attempts counted in one bucket: a long address is limited like any other.
    assert sum(row["hits"] for row in await RateLimitCounter.select()) >= 2


async def test_a_field_sent_as_a_file_counts_as_not_given(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    token = await client.csrf_token()
    response = await client.raw.post(
        "/login",
        data={"_csrf_token": token, "email": email, "password": PASSWORD},
        files={"next": ("a.txt", b"/admin/users", "text/plain")},
    )
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/dashboard"

    token = await client.csrf_token()  # signing in binds a new token to the session
    place = await client.raw.post(
        "/localities",
        data={"_csrf_token": token},
        files={"name": ("a.txt", b"Pallister", "text/plain")},
    )
    assert place.status_code == 422 and field_error(place.text, "name") == "This is required."
    assert await Locality.count() == 0


async def test_characters_nobody_types_are_not_stored(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        "/localities",
        {"name": "Pal\x00lis\x1bter\u202e", "local_authority": "Middles\x07brough"},
    )
    assert response.status_code in (302, 303), response.text[-800:]
    place = await Locality.select(Locality.name, Locality.local_authority).first()
    assert place == {"name": "Pallister", "local_authority": "Middlesbrough"}

    only_nul = await client.submit("/localities", {"name": "\x00"})
    assert only_nul.status_code == 422 and field_error(only_nul.text, "name") == "This is required."
    assert await Locality.count() == 1


async def test_bytes_that_are_not_utf8_are_refused_not_stored_as_replacement_marks(
    client: WebClient,
) -> None:
    await client.login(await make_user(Role.ADMIN))
    token = await client.csrf_token()
    response = await client.raw.post(
        "/localities",
        content=f"_csrf_token={token}&name=%FF%FE".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert field_error(response.text, "name") == (
        "Some characters could not be read; please type this again."
    )
    assert await Locality.count() == 0
