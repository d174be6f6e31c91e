"""The session lookup that runs before every signed-in page: one query, never stale."""

from __future__ import annotations

from datetime import timedelta

from groundswell.accounts import sessions as accounts
from groundswell.accounts.tables import Membership, User, UserSession
from groundswell.core.clock import now
from groundswell.core.principal import Role
from groundswell.core.security import new_token, token_digest
from groundswell.listening import choices
from tests.helpers import WebClient, make_funder, make_host, make_pool, make_user


async def _session_for(email: str) -> str:
    user = await User.select(User.id).where(User.email == email).first()
    assert user is not None
    token = new_token()
    moment = now()
    await UserSession.insert(
        UserSession(
            token_hash=token_digest(token),
            user=user["id"],
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + timedelta(hours=1),
        )
    )
    return token


async def test_every_membership_comes_back_from_the_one_query(settings) -> None:  # type: ignore[no-untyped-def]
    first, second = await make_funder("First Fund"), await make_funder("Second Fund")
    email = await make_user(Role.FUNDER, funder_ids=(first, second))
    principal = await accounts.principal_for_session(settings, await _session_for(email))
    assert principal is not None and principal.role is Role.FUNDER
    assert principal.funder_ids == frozenset({first, second}) and principal.host_ids == frozenset()
    assert principal.email == email and principal.session_id is not None

    host = await make_host("Pallister Park CA")
    host_email = await make_user(Role.HOST, host_ids=(host,), email="host@example.org")
    hosted = await accounts.principal_for_session(settings, await _session_for(host_email))
    assert hosted is not None and hosted.host_ids == frozenset({host})

    bare = await make_user(Role.ADMIN, email="admin@example.org")
    admin = await accounts.principal_for_session(settings, await _session_for(bare))
    assert admin is not None and admin.funder_ids == frozenset() == admin.host_ids
    assert await accounts.principal_for_session(settings, "no-such-token") is None


async def test_deactivation_and_membership_changes_count_on_the_very_next_request(
    client: WebClient,
) -> None:
    funder = await make_funder()
    await make_pool(funder, "Teesside Fund")
    choices.forget_pools()
    email = await make_user(Role.FUNDER, funder_ids=(funder,))
    await client.login(email)
    assert '<optgroup label="Your pools">' in (await client.get("/listen")).text
    # Nothing is cached between requests: a membership taken away is gone at once ...
    await Membership.delete().where(Membership.funder == funder)
    page = (await client.get("/listen")).text
    assert '<optgroup label="Your pools">' not in page and '<optgroup label="Pools">' in page
    # ... and a deactivated user is signed out on the next page, whichever worker serves it.
    await User.update({User.is_active: False}).where(User.email == email)
    response = await client.get("/listen")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")
