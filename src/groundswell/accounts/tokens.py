"""API tokens: named, expiring, optionally read-only keys for the JSON API, shown once,
stored only as a digest, listed and revoked by their owner or an administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from groundswell.accounts.services import normalise_email, principal_for
from groundswell.accounts.tables import ApiToken, User
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound, ValidationFailed
from groundswell.core.principal import Principal
from groundswell.core.security import new_token, token_digest
from groundswell.db import write_transaction

API_TOKEN_PREFIX = "gs_"  # noqa: S105 - a public prefix, not a secret
TOKEN_NAME_MAX = 80  # api_token.name
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365  # a year at most
TOKEN_PREFIX_LENGTH = 10  # what is shown of a token: "gs_" and 7 of its random characters


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown once and never stored."""

    id: int
    secret: str
    prefix: str
    name: str
    expires_at: datetime
    read_only: bool


def _token_fields(name: str, expires_days: int | None) -> tuple[str, int]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Give the token a name, so you know later what uses it."
    elif len(name) > TOKEN_NAME_MAX:
        errors["name"] = f"Keep this to {TOKEN_NAME_MAX} characters or fewer."
    days = DEFAULT_TOKEN_DAYS if expires_days is None else expires_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["expires_days"] = f"Choose from 1 to {MAX_TOKEN_DAYS} days (a year at most)."
    if errors:
        raise ValidationFailed("The token could not be created.", field_errors=errors)
    return name, days


async def create_token_for(
    actor: Principal | int | None,
    user_id: int,
    *,
    name: str,
    expires_days: int | None = None,
    read_only: bool = False,
) -> NewToken:
    """A new API token for an active user: `expires_days` from now (default 90, at most a
    year); a read-only token may only read (GET) the API."""
    name, days = _token_fields(name, expires_days)
    secret = new_token(API_TOKEN_PREFIX)
    prefix = secret[:TOKEN_PREFIX_LENGTH]
    moment = now()
    expires_at = moment + timedelta(days=days)
    async with write_transaction():
        if not await User.exists().where((User.id == user_id) & (User.is_active == True)):  # noqa: E712
            raise NotFound("There is no active user to make this token for.")
        rows = await ApiToken.insert(
            ApiToken(
                token_hash=token_digest(secret),
                prefix=prefix,
                name=name,
                user=user_id,
                created_at=moment,
                expires_at=expires_at,
                read_only=read_only,
            )
        ).returning(ApiToken.id)
        token_id = int(rows[0]["id"])
        await audit.record(
            actor,
            "api_token.created",
            "api_token",
            token_id,
            user_id=user_id,
            name=name,
            prefix=prefix,
            expires_at=expires_at.isoformat(),
            read_only=read_only,
        )
    return NewToken(
        id=token_id,
        secret=secret,
        prefix=prefix,
        name=name,
        expires_at=expires_at,
        read_only=read_only,
    )


async def create_api_token(
    email: str,
    name: str = "cli",
    *,
    expires_days: int | None = None,
    read_only: bool = False,
) -> str:
    """A token for the user with this e-mail (the console's `token create`); the secret."""
    user = await User.select(User.id).where(User.email == normalise_email(email)).first()
    if user is None:
        raise NotFound(f"There is no user with the e-mail {email}.")
    made = await create_token_for(
        None, user["id"], name=name, expires_days=expires_days, read_only=read_only
    )
    return made.secret


def token_status(row: dict[str, Any], moment: datetime | None = None) -> str:
    moment = moment or now()
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is None or row["expires_at"] <= moment:
        return "expired"
    return "active"


async def list_tokens(
    *, user_id: int | None = None, email: str | None = None
) -> list[dict[str, Any]]:
    """Tokens, newest first, with their owner: never the secret (it is not kept)."""
    query = ApiToken.select(
        ApiToken.id,
        ApiToken.prefix,
        ApiToken.name,
        ApiToken.user,
        ApiToken.user.email.as_alias("owner_email"),
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.read_only,
    ).order_by(ApiToken.id, ascending=False)
    if user_id is not None:
        query = query.where(ApiToken.user == user_id)
    if email is not None:
        query = query.where(ApiToken.user.email == normalise_email(email))
    rows = await query
    moment = now()
    for row in rows:
        row["status"] = token_status(row, moment)
    return rows


async def revoke_token(
    actor: Principal | None, token_id: int, *, owner_id: int | None = None
) -> dict[str, Any]:
    """Revoke one token (an owner's page passes `owner_id`: another's token is not found)."""
    async with write_transaction():
        query = ApiToken.select(ApiToken.id, ApiToken.prefix, ApiToken.name, ApiToken.user).where(
            ApiToken.id == token_id
        )
        if owner_id is not None:
            query = query.where(ApiToken.user == owner_id)
        row = await query.first()
        if row is None:
            raise NotFound("There is no such token.")
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: now()})
            .where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
        if revoked:
            await audit.record(
                actor,
                "api_token.revoked",
                "api_token",
                token_id,
                user_id=row["user"],
                name=row["name"],
                prefix=row["prefix"],
            )
    return row


async def find_token(prefix_or_id: str) -> int:
    """The id of the one token with this id or shown prefix (the console's `token revoke`)."""
    text = prefix_or_id.strip()
    if text.isascii() and text.isdigit() and len(text) <= 10:
        row = await ApiToken.select(ApiToken.id).where(ApiToken.id == int(text)).first()
        if row is not None:
            return int(row["id"])
    if not text:
        raise NotFound("Give a token's id or prefix (see `groundswell token list`).")
    matches = await ApiToken.select(ApiToken.id).where(ApiToken.prefix == text[:12])
    if not matches:
        raise NotFound(f"There is no token {text}.")
    if len(matches) > 1:
        ids = ", ".join(str(m["id"]) for m in matches)
        raise Conflict(f"Several tokens start {text} (ids {ids}): give the id.")
    return int(matches[0]["id"])


async def principal_for_api_token(token: str) -> Principal | None:
    """The token's user, or None when the token is unknown, revoked or expired, or its user
    has been deactivated."""
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.last_used_at, ApiToken.read_only)
        .where(
            (ApiToken.token_hash == token_digest(token))
            & ApiToken.revoked_at.is_null()
            & (ApiToken.expires_at > now())
        )
        .first()
    )
    if row is None:
        return None
    principal = await principal_for(row["user"])
    if principal is None:
        return None
    moment = now()
    # Touch at most once a minute, as sessions do.
    if row["last_used_at"] is None or moment - row["last_used_at"] > timedelta(minutes=1):
        await ApiToken.update({ApiToken.last_used_at: moment}).where(ApiToken.id == row["id"])
    if row["read_only"]:
        return Principal(
            user_id=principal.user_id,
            email=principal.email,
            name=principal.name,
            role=principal.role,
            funder_ids=principal.funder_ids,
            host_ids=principal.host_ids,
            read_only=True,
        )
    return principal
