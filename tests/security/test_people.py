"""People join and leave (#16): invitations, forgotten passwords, deactivation, and the
organisations a person belongs to. Each link is single-use, expires, and is stored only as a
hash; a forgotten-password request never says whether the address has an account; a
deactivated person's open session and API tokens stop working on the very next request."""

from __future__ import annotations

import re
from datetime import timedelta

from litestar import Litestar

from groundswell.accounts import tokens
from groundswell.accounts.tables import AccountLink, ApiToken, Membership, User
from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.core.security import token_digest
from groundswell.core.tables import AuditEntry
from groundswell.outbox.tables import OutboxMessage
from tests.helpers import (
    PASSWORD,
    WebClient,
    asgi_client,
    field_error,
    make_asset_bid,
    make_funder,
    make_host,
    make_user,
)

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"https?://[^/\s]+(/account/set-password/([A-Za-z0-9_-]+))")


async def emails_to(address: str) -> list[dict[str, object]]:
    # Oldest first: PostgreSQL returns an unordered select in any order (a row it updated,
    # the first e-mail once sent, may come last).
    return await (
        OutboxMessage.select()
        .where(OutboxMessage.recipient_email == address)
        .order_by(OutboxMessage.id)
    )


async def link_sent_to(address: str) -> tuple[str, str]:
    """The newest link e-mailed to `address`: (path, token)."""
    messages = await emails_to(address)
    assert messages, f"no e-mail to {address}"
    match = LINK.search(str(messages[-1]["body"]))
    assert match, messages[-1]["body"]
    return match.group(1), match.group(2)


async def audit_actions() -> list[str]:
    return [row["action"] for row in await AuditEntry.select(AuditEntry.action)]


async def user_id(email: str) -> int:
    row = await User.select(User.id).where(User.email == email).first()
    assert row is not None
    return int(row["id"])


async def test_an_admin_invites_a_funder_member_of_two_funders(
    app: Litestar, client: WebClient
) -> None:
    roots, commons = await make_funder("Northern Roots"), await make_funder("Common Ground")
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        "/admin/users",
        [
            ("email", "Fran@Example.org"),
            ("name", "Fran Okafor"),
            ("role", "funder"),
            ("funder", str(roots)),
            ("funder", str(commons)),
        ],
    )
    assert response.status_code == 303, response.text[-1500:]
    page = await client.get(response.headers["location"])
    assert 'class="notification-banner' in page.text and "User invited" in page.text
    assert "fran@example.org" in page.text
    row = page.text[page.text.index(">fran@example.org</a>") :]
    row = row[: row.index("</tr>")]
    assert "Northern Roots" in row and "Common Ground" in row and "Invited" in row

    # The invitation: one e-mail with a link; only the link's hash is stored.
    [message] = await emails_to("fran@example.org")
    assert message["purpose"] == "account_invitation"
    path, token = await link_sent_to("fran@example.org")
    stored = await AccountLink.select().first()
    assert stored is not None and stored["token_hash"] == token_digest(token)
    assert token not in str(stored)
    assert stored["expires_at"] - now() > timedelta(days=6, hours=23)

    # No password yet: nothing signs in.
    async with asgi_client(app, address="198.51.100.10") as fran:
        refused = await fran.submit("/login", {"email": "fran@example.org", "password": "!"})
        assert refused.status_code == 422
        form = await fran.get(path)
        assert form.status_code == 200 and "Choose your password" in form.text
        assert "no-store" in form.headers["cache-control"]
        assert form.headers["referrer-policy"] == "no-referrer"
        mismatch = await fran.submit(path, {"password": NEW_PASSWORD, "confirm": "something else"})
        assert mismatch.status_code == 422
        assert field_error(mismatch.text, "confirm")
        assert "data-focus-on-load" in mismatch.text
        short = await fran.submit(path, {"password": "short", "confirm": "short"})
        assert field_error(short.text, "password") == "Use at least 10 characters."
        done = await fran.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 303 and done.headers["location"] == "/login?done=password-set"
        assert "Your password is set" in (await fran.get(done.headers["location"])).text
        await fran.login("fran@example.org", NEW_PASSWORD)
        # Single use.
        again = await fran.submit(path, {"password": "another passphrase", "confirm": "x"})
        assert again.status_code == 404 and "already been used" in again.text
        assert (await fran.get(path)).status_code == 404
    members = await Membership.select(Membership.funder).where(
        Membership.user == await user_id("fran@example.org")
    )
    assert sorted(m["funder"] for m in members) == sorted([roots, commons])
    assert {"user.invited", "user.password_set"} <= set(await audit_actions())


async def test_an_invitation_expires_after_7_days_and_can_be_sent_again(
    app: Litestar, client: WebClient
) -> None:
    host = await make_host()
    await client.login(await make_user(Role.ADMIN))
    await client.submit(
        "/admin/users",
        {"email": "hana@example.org", "name": "Hana", "role": "host", "host": str(host)},
    )
    old_path, _ = await link_sent_to("hana@example.org")
    async with asgi_client(app, address="198.51.100.11") as hana_browser:
        with frozen_at(now() + timedelta(days=7, minutes=1)):
            expired = await hana_browser.get(old_path)
            assert expired.status_code == 404 and "expired" in expired.text
    hana = await user_id("hana@example.org")
    resent = await client.submit(f"/admin/users/{hana}/resend-invitation")
    assert resent.status_code == 303
    assert "Invitation sent again" in (await client.get(resent.headers["location"])).text
    new_path, _ = await link_sent_to("hana@example.org")
    assert new_path != old_path and len(await emails_to("hana@example.org")) == 2
    assert (await client.get(old_path)).status_code == 404  # the old link ended
    assert (await client.get(new_path)).status_code == 200
    assert "user.invitation_resent" in await audit_actions()


async def test_the_invite_form_checks_organisations_against_the_role(client: WebClient) -> None:
    funder, host = await make_funder(), await make_host()
    await client.login(await make_user(Role.ADMIN))
    cases = [
        (
            {"role": "funder", "funder": str(funder), "host": str(host)},
            "A funder member belongs to funders only: untick the host organisations.",
        ),
        ({"role": "host"}, "A host member belongs to at least one host organisation."),
        (
            {"role": "admin", "funder": str(funder)},
            "Administrators belong to no organisation: untick them all.",
        ),
        ({"role": "funder", "funder": "2147483647"}, None),
    ]
    for extra, message in cases:
        response = await client.submit(
            "/admin/users", {"email": "x@example.org", "name": "X", **extra}
        )
        assert response.status_code == 422, (extra, response.text[-800:])
        assert "error-summary" in response.text and "data-focus-on-load" in response.text
        # The summary is at the top of the page, before the list of users.
        assert response.text.index("error-summary") < response.text.index("<table")
        if message:
            assert field_error(response.text, "org") == message
    assert await User.count() == 1 and await OutboxMessage.count() == 0
    duplicate = await client.submit(
        "/admin/users", {"email": "admin@example.org", "name": "Again", "role": "admin"}
    )
    assert field_error(duplicate.text, "email") == "A user with this e-mail already exists."


async def test_forgotten_password_never_says_whether_the_address_exists(
    client: WebClient,
) -> None:
    await make_user(Role.ADMIN, "known@example.org")
    login = await client.get("/login")
    assert 'href="/account/forgotten-password"' in login.text
    answers = []
    for address in ("known@example.org", "unknown@example.org"):
        response = await client.submit("/account/forgotten-password", {"email": address})
        page = await client.get(response.headers.get("location", "/"))
        answers.append((response.status_code, response.headers.get("location"), page.text))
    assert answers[0] == answers[1]
    assert answers[0][0] == 303 and "Check your e-mail" in answers[0][2]
    assert len(await emails_to("known@example.org")) == 1
    assert await emails_to("unknown@example.org") == []
    [message] = await emails_to("known@example.org")
    assert message["purpose"] == "password_reset"
    malformed = await client.submit("/account/forgotten-password", {"email": "not an address"})
    assert malformed.status_code == 422 and field_error(malformed.text, "email")


async def test_a_reset_link_is_single_use_for_an_hour_and_ends_every_session(
    app: Litestar, client: WebClient
) -> None:
    email = await make_user(Role.ADMIN, "ruth@example.org")
    await client.login(email)  # a session on another computer
    assert (await client.get("/dashboard")).status_code == 200
    async with asgi_client(app, address="198.51.100.20") as browser:
        await browser.submit("/account/forgotten-password", {"email": email})
        path, _ = await link_sent_to(email)
        form = await browser.get(path)
        assert form.status_code == 200 and "Choose a new password" in form.text
        assert "no-store" in form.headers["cache-control"]
        done = await browser.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 303 and done.headers["location"] == "/login?done=password-reset"
        again = await browser.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert again.status_code == 404
        refused = await browser.submit("/login", {"email": email, "password": PASSWORD})
        assert refused.status_code == 422
        await browser.login(email, NEW_PASSWORD)
    # The other computer's session ended with the reset.
    ended = await client.get("/dashboard")
    assert ended.status_code in (302, 303) and ended.headers["location"].startswith("/login")
    assert "user.password_reset" in await audit_actions()
    # A link unused for more than an hour no longer works.
    await client.submit("/account/forgotten-password", {"email": email})
    late_path, _ = await link_sent_to(email)
    assert late_path != path
    with frozen_at(now() + timedelta(minutes=61)):
        late = await client.submit(late_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert late.status_code == 404


async def test_a_reset_unlocks_an_account_locked_by_guesses(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    for n in range(10):
        await client.submit("/login", {"email": email, "password": f"guess {n}"})
    assert (
        await client.submit("/login", {"email": email, "password": PASSWORD})
    ).status_code == 429
    await client.submit("/account/forgotten-password", {"email": email})
    path, _ = await link_sent_to(email)
    await client.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    await client.login(email, NEW_PASSWORD)


async def test_reset_requests_are_limited_per_address_and_per_source(
    app: Litestar, client: WebClient
) -> None:
    email = await make_user(Role.ADMIN, "often@example.org")
    statuses = [
        (await client.submit("/account/forgotten-password", {"email": email})).status_code
        for _ in range(5)
    ]
    assert statuses == [303] * 5  # the same answer every time...
    assert len(await emails_to(email)) == 3  # ...but only three e-mails an hour
    async with asgi_client(app, address="203.0.113.77") as sprayer:
        answers = [
            (
                await sprayer.submit(
                    "/account/forgotten-password", {"email": f"person{n}@example.org"}
                )
            ).status_code
            for n in range(22)
        ]
    assert answers[:20] == [303] * 20 and answers[20:] == [429, 429]


async def test_deactivation_ends_an_open_session_and_tokens_on_the_next_request(
    app: Litestar, client: WebClient
) -> None:
    funder = await make_funder()
    member = await make_user(Role.FUNDER, "dee@example.org", funder_ids=(funder,))
    token = await tokens.create_api_token(member, "reports")
    bid = await make_asset_bid()
    api = f"/api/v1/programme/asset-bids/{bid}"
    auth = {"authorization": f"Bearer {token}"}
    await client.login(await make_user(Role.ADMIN))
    async with asgi_client(app, address="198.51.100.30") as dee:
        await dee.login(member)
        assert (await dee.get("/dashboard")).status_code == 200
        assert (await dee.get(api, headers=auth)).status_code == 200

        dee_id = await user_id(member)
        response = await client.submit(f"/admin/users/{dee_id}/deactivate")
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
        assert "User deactivated" in page.text and "Deactivated" in page.text

        nxt = await dee.get("/dashboard")
        assert nxt.status_code in (302, 303) and nxt.headers["location"].startswith("/login")
        assert (await dee.get(api, headers=auth)).status_code == 401
        refused = await dee.submit("/login", {"email": member, "password": PASSWORD})
        assert refused.status_code == 422
        # A forgotten-password link is not sent to a deactivated account.
        await dee.submit("/account/forgotten-password", {"email": member})
        assert await emails_to(member) == []

        back = await client.submit(f"/admin/users/{dee_id}/reactivate")
        assert "User reactivated" in (await client.get(back.headers["location"])).text
        await dee.login(member)
        # Revoked tokens stay revoked: a reactivated person makes new ones.
        assert (await dee.get(api, headers=auth)).status_code == 401
    assert (await ApiToken.select(ApiToken.revoked_at).first() or {})["revoked_at"] is not None
    actions = await audit_actions()
    assert "user.deactivated" in actions and "user.reactivated" in actions


async def test_an_admin_cannot_deactivate_themselves(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    await client.login(email)
    own = await user_id(email)
    page = await client.get(f"/admin/users/{own}")
    assert "You cannot deactivate your own account" in page.text
    response = await client.submit(f"/admin/users/{own}/deactivate")
    assert response.status_code == 409
    assert "You cannot deactivate your own account" in response.text
    assert (await client.get("/dashboard")).status_code == 200
    assert (await User.select(User.is_active).first() or {})["is_active"] is True


async def test_an_admin_changes_which_organisations_a_user_belongs_to(client: WebClient) -> None:
    one, two = await make_funder("One Fund"), await make_funder("Two Fund")
    host = await make_host()
    member = await make_user(Role.FUNDER, "m@example.org", funder_ids=(one,))
    await client.login(await make_user(Role.ADMIN))
    member_id = await user_id(member)
    page = await client.get(f"/admin/users/{member_id}")
    assert page.status_code == 200 and "One Fund" in page.text
    saved = await client.submit(
        f"/admin/users/{member_id}/organisations", [("funder", str(one)), ("funder", str(two))]
    )
    assert saved.status_code == 303
    assert "Organisations saved" in (await client.get(saved.headers["location"])).text
    members = await Membership.select(Membership.funder).where(Membership.user == member_id)
    assert sorted(m["funder"] for m in members) == sorted([one, two])
    wrong = await client.submit(f"/admin/users/{member_id}/organisations", {"host": str(host)})
    assert wrong.status_code == 422
    assert "funders only" in (field_error(wrong.text, "org") or "")
    assert "user.organisations_changed" in await audit_actions()
