from datetime import timedelta

from groundswell.accounts.tables import User, UserSession
from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.core.security import token_digest
from tests.helpers import PASSWORD, WebClient, field_error, make_user


async def test_login_sets_a_new_server_side_session_and_logout_ends_it(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    client.cookies.set("gs_session", "planted-by-an-attacker", domain="groundswell.test")
    response = await client.login(email)
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert (
        "gs_session=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie.replace("Lax", "lax")
    )
    token = client.cookies.get("gs_session")
    assert token and token != "planted-by-an-attacker"
    stored = await UserSession.select().where(UserSession.token_hash == token_digest(token)).first()
    assert stored is not None
    assert (await UserSession.count()) == 1  # only a hash is stored; the token is not
    assert not await UserSession.exists().where(UserSession.token_hash == token)

    page = await client.get("/dashboard")
    assert page.status_code == 200 and "Administration" in page.text

    logout = await client.submit("/logout")
    assert logout.status_code in (302, 303)
    assert await UserSession.count() == 0
    # Replaying the old cookie after logout gets nowhere.
    client.cookies.set("gs_session", token, domain="groundswell.test")
    assert (await client.get("/dashboard")).status_code in (302, 303)


async def test_each_login_gets_a_fresh_session_id(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    await client.login(email)
    first = client.cookies.get("gs_session")
    await client.login(email)
    second = client.cookies.get("gs_session")
    assert first != second
    assert await UserSession.count() == 1  # the previous session ended on re-login


async def test_wrong_password_keeps_the_email_and_explains(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    response = await client.submit("/login", {"email": email, "password": "wrong password!"})
    assert response.status_code == 422
    assert "do not match an account" in response.text
    assert f'value="{email}"' in response.text
    assert "wrong password!" not in response.text


async def test_login_is_rate_limited_per_email(client: WebClient, settings) -> None:  # type: ignore[no-untyped-def]
    email = await make_user(Role.ADMIN)
    for _ in range(settings.login_attempts_per_15_minutes):
        assert (
            await client.submit("/login", {"email": email, "password": "nope nope nope"})
        ).status_code == 422
    blocked = await client.submit("/login", {"email": email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.text


async def test_idle_and_absolute_timeouts_end_sessions(client: WebClient, settings) -> None:  # type: ignore[no-untyped-def]
    email = await make_user(Role.ADMIN)
    await client.login(email)
    start = now()
    with frozen_at(start + timedelta(minutes=settings.session_idle_minutes + 1)):
        assert (await client.get("/dashboard")).status_code in (302, 303)
    await client.login(email)
    # Keep it busy: still ends at the absolute limit.
    moment = now()
    for step in range(1, settings.session_absolute_hours * 60 // 100 + 2):
        with frozen_at(moment + timedelta(minutes=100 * step)):
            response = await client.get("/dashboard")
    assert response.status_code in (302, 303)


async def test_unknown_next_targets_do_not_redirect_offsite(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await client.submit(
            "/login", {"email": email, "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == "/dashboard"


async def test_inactive_user_cannot_sign_in(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    await User.update({User.is_active: False}).where(User.email == email)
    response = await client.submit("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 422


async def test_passwords_are_argon2id(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    row = await User.select(User.password_hash).where(User.email == email).first()
    assert row is not None and row["password_hash"].startswith("$argon2id$")
    assert field_error("<p></p>", "x") is None
