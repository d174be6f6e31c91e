"""Signing in and out, and the session behind every signed-in request."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from groundswell.accounts.services import principal_for
from groundswell.accounts.tables import User, UserSession
from groundswell.core import ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import TooManyRequests, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.security import new_token, token_digest, verify_password
from groundswell.db import raw, write_transaction
from groundswell.settings import Settings

LOGIN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class NewSession:
    token: str
    principal: Principal


def email_digest(email: str) -> str:
    """A typed e-mail as a rate-limit key: the bucket column is Varchar(200) and the typed
    e-mail has no bound (a 10,000-character one gave a 500 on PostgreSQL); a digest also
    keeps addresses out of the counter table."""
    email_key = email.strip().lower()
    return hashlib.sha256(email_key.encode("utf-8", "surrogatepass")).hexdigest()


def login_account_bucket(email: str) -> str:
    """The rate-limit bucket of the account an e-mail typed at sign-in names."""
    return f"login:email:{email_digest(email)}"


def login_source_bucket(client_ip: str) -> str:
    return f"login:source:{ratelimit.source_key(client_ip)}"


async def log_in(settings: Settings, *, email: str, password: str, client_ip: str) -> NewSession:
    """Check the password and open a new session (always a fresh id: no session fixation).

    Each attempt first takes a place in the account's window and then in its source
    address's, each in one statement; only an attempt holding both is checked. So however
    many arrive together, at most `login_attempts_per_15_minutes` passwords are checked per
    account and `login_attempts_per_address` per address in 15 minutes. An attempt refused
    by the account's limit never reaches the address's count (a locked account does not use
    up its office's allowance), and a successful sign-in gives its place at the address back
    and clears the account's failures.
    """
    email_key = email.strip().lower()
    account = await ratelimit.reserve(
        login_account_bucket(email_key),
        limit=settings.login_attempts_per_15_minutes,
        window=LOGIN_WINDOW,
    )
    if account is None:
        raise TooManyRequests("Too many failed sign-in attempts. Wait 15 minutes and try again.")
    source = await ratelimit.reserve(
        login_source_bucket(client_ip),
        limit=settings.login_attempts_per_address,
        window=LOGIN_WINDOW,
    )
    if source is None:
        await ratelimit.give_back(account)  # not checked: it does not count for the account
        raise TooManyRequests(
            "Too many failed sign-in attempts from this connection. Wait 15 minutes and try again."
        )
    user = (
        await User.select(User.id, User.password_hash)
        .where(
            (User.email == email_key) & (User.is_active == True)  # noqa: E712
        )
        .first()
    )
    # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests go on.
    matched = await asyncio.to_thread(
        verify_password, user["password_hash"] if user else None, password
    )
    if not matched or user is None:
        raise ValidationFailed("That e-mail and password do not match an account.")
    token = new_token()
    moment = now()
    async with write_transaction():
        rows = await UserSession.insert(
            UserSession(
                token_hash=token_digest(token),
                user=user["id"],
                created_at=moment,
                last_seen_at=moment,
                expires_at=moment + timedelta(hours=settings.session_absolute_hours),
            )
        ).returning(UserSession.id)
        await User.update({User.last_login_at: moment}).where(User.id == user["id"])
    await ratelimit.reset(account.bucket)
    await ratelimit.give_back(source)
    principal = await principal_for(user["id"], session_id=int(rows[0]["id"]))
    assert principal is not None  # just checked active
    return NewSession(token=token, principal=principal)


# The session, its user and the user's memberships in one round trip: this runs before
# every signed-in page (a membership per row; a user with none still gives one row).
_SESSION_SQL = (
    "SELECT s.id AS session_id, s.last_seen_at, s.expires_at, u.id AS user_id, u.email, "
    "u.name, u.role, u.is_active, m.funder, m.host FROM user_session s "
    'JOIN app_user u ON u.id = s."user" '
    'LEFT JOIN membership m ON m."user" = u.id '
    "WHERE s.token_hash = {}"
)


async def principal_for_session(settings: Settings, token: str) -> Principal | None:
    """The session's user, or None when the session is unknown, idle too long or expired,
    or the user is deactivated. Read fresh on every request (no cache), so signing out,
    ending sessions and deactivating a user take effect on the very next request."""
    rows = await raw(_SESSION_SQL, token_digest(token))
    if not rows:
        return None
    session = rows[0]
    moment = now()
    idle_limit = session["last_seen_at"] + timedelta(minutes=settings.session_idle_minutes)
    if moment >= session["expires_at"] or moment >= idle_limit:
        await UserSession.delete().where(UserSession.id == session["session_id"])
        return None
    if not session["is_active"]:
        return None
    # Touch at most once a minute: a page load should not always be a write.
    if moment - session["last_seen_at"] > timedelta(minutes=1):
        await UserSession.update({UserSession.last_seen_at: moment}).where(
            UserSession.id == session["session_id"]
        )
    return Principal(
        user_id=session["user_id"],
        email=session["email"],
        name=session["name"],
        role=Role(session["role"]),
        funder_ids=frozenset(row["funder"] for row in rows if row["funder"] is not None),
        host_ids=frozenset(row["host"] for row in rows if row["host"] is not None),
        session_id=session["session_id"],
    )


async def log_out(token: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == token_digest(token))
