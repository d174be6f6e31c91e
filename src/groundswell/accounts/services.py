"""Users, memberships, sessions and API tokens: the only code that writes them."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.columns import ForeignKey

from groundswell.accounts.tables import ApiToken, Membership, User, UserSession
from groundswell.core import ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import NotFound, TooManyRequests, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from groundswell.db import write_transaction
from groundswell.settings import Settings

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
API_TOKEN_PREFIX = "gs_"  # noqa: S105 - a public prefix, not a secret
LOGIN_WINDOW = timedelta(minutes=15)


NAME_MAX = 120


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise ValidationFailed(
            "Check the e-mail address.",
            field_errors={"email": "Enter an e-mail address like name@example.org."},
        )
    return email


async def _organisation_exists(membership_column: ForeignKey[Any], row_id: int) -> bool:
    """Whether the funder or host a membership column points at exists (read through the
    foreign key, so accounts need not import the floors that keep organisations)."""
    table = membership_column._foreign_key_meta.resolved_references
    return bool(await table.exists().where(table._meta.primary_key == row_id))


async def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    funder_ids: tuple[int, ...] = (),
    host_ids: tuple[int, ...] = (),
) -> int:
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if not name.strip():
        errors["name"] = "Enter a name."
    elif len(name.strip()) > NAME_MAX:  # app_user.name is Varchar(120)
        errors["name"] = f"Keep this to {NAME_MAX} characters or fewer."
    if role is Role.FUNDER and not funder_ids:
        errors["org"] = "A funder member belongs to at least one funder."
    if role is Role.HOST and not host_ids:
        errors["org"] = "A host member belongs to at least one host organisation."
    if errors:
        raise ValidationFailed("The user could not be created.", field_errors=errors)
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise ValidationFailed(
                "The user could not be created.",
                field_errors={"email": "A user with this e-mail already exists."},
            )
        for funder_id in funder_ids:
            if not await _organisation_exists(Membership.funder, funder_id):
                raise ValidationFailed(
                    "The user could not be created.",
                    field_errors={
                        "org": f"There is no funder {funder_id}: choose one from the list."
                    },
                )
        for host_id in host_ids:
            if not await _organisation_exists(Membership.host, host_id):
                raise ValidationFailed(
                    "The user could not be created.",
                    field_errors={
                        "org": f"There is no host organisation {host_id}: choose one from the list."
                    },
                )
        rows = await User.insert(
            User(
                email=email,
                name=name.strip(),
                password_hash=hash_password(password),
                role=role.value,
            )
        ).returning(User.id)
        user_id = int(rows[0]["id"])
        memberships = [Membership(user=user_id, funder=f) for f in funder_ids] + [
            Membership(user=user_id, host=h) for h in host_ids
        ]
        if memberships:
            await Membership.insert(*memberships)
    return user_id


async def principal_for(user_id: int, session_id: int | None = None) -> Principal | None:
    user = await User.select().where((User.id == user_id) & (User.is_active == True)).first()  # noqa: E712
    if user is None:
        return None
    memberships = await Membership.select(Membership.funder, Membership.host).where(
        Membership.user == user_id
    )
    return Principal(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        role=Role(user["role"]),
        funder_ids=frozenset(m["funder"] for m in memberships if m["funder"] is not None),
        host_ids=frozenset(m["host"] for m in memberships if m["host"] is not None),
        session_id=session_id,
    )


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


async def principal_for_session(settings: Settings, token: str) -> Principal | None:
    """The session's user, or None when the session is unknown, idle too long or expired."""
    session = (
        await UserSession.select().where(UserSession.token_hash == token_digest(token)).first()
    )
    if session is None:
        return None
    moment = now()
    idle_limit = session["last_seen_at"] + timedelta(minutes=settings.session_idle_minutes)
    if moment >= session["expires_at"] or moment >= idle_limit:
        await UserSession.delete().where(UserSession.id == session["id"])
        return None
    # Touch at most once a minute: a page load should not always be a write.
    if moment - session["last_seen_at"] > timedelta(minutes=1):
        await UserSession.update({UserSession.last_seen_at: moment}).where(
            UserSession.id == session["id"]
        )
    return await principal_for(session["user"], session_id=session["id"])


async def log_out(token: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == token_digest(token))


async def create_api_token(email: str, name: str = "cli") -> str:
    user = await User.select(User.id).where(User.email == normalise_email(email)).first()
    if user is None:
        raise NotFound(f"There is no user with the e-mail {email}.")
    token = new_token(API_TOKEN_PREFIX)
    await ApiToken.insert(
        ApiToken(token_hash=token_digest(token), prefix=token[:10], name=name, user=user["id"])
    )
    return token


async def principal_for_api_token(token: str) -> Principal | None:
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user)
        .where((ApiToken.token_hash == token_digest(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row["id"])
    return await principal_for(row["user"])


async def list_users() -> list[dict[str, object]]:
    return await User.select(
        User.id, User.email, User.name, User.role, User.is_active, User.last_login_at
    ).order_by(User.email)
