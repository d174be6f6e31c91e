"""Users and memberships: the only code that writes them.

Signing in and sessions are in `sessions.py`; API tokens in `tokens.py`; invitation and
password-reset links in `links.py`."""

from __future__ import annotations

import re
from typing import Any

from piccolo.columns import ForeignKey

from groundswell.accounts.tables import AccountLink, ApiToken, Membership, User, UserSession
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.security import (
    MIN_PASSWORD_LENGTH,
    UNUSABLE_PASSWORD,
    hash_password,
)
from groundswell.db import write_transaction

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

NAME_MAX = 120


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise ValidationFailed(
            "Check the e-mail address.",
            field_errors={"email": "Enter an e-mail address like name@example.org."},
        )
    return email


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in words for the field, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "Use 1,024 characters or fewer."
    return None


async def _organisation_exists(membership_column: ForeignKey[Any], row_id: int) -> bool:
    """Whether the funder or host a membership column points at exists (read through the
    foreign key, so accounts need not import the floors that keep organisations)."""
    table = membership_column._foreign_key_meta.resolved_references
    return bool(await table.exists().where(table._meta.primary_key == row_id))


def _membership_errors(role: Role, funder_ids: tuple[int, ...], host_ids: tuple[int, ...]) -> str:
    if role is Role.FUNDER:
        if host_ids:
            return "A funder member belongs to funders only: untick the host organisations."
        if not funder_ids:
            return "A funder member belongs to at least one funder."
    if role is Role.HOST:
        if funder_ids:
            return "A host member belongs to host organisations only: untick the funders."
        if not host_ids:
            return "A host member belongs to at least one host organisation."
    if role is Role.ADMIN and (funder_ids or host_ids):
        return "Administrators belong to no organisation: untick them all."
    return ""


async def _check_organisations(
    failure: str, funder_ids: tuple[int, ...], host_ids: tuple[int, ...]
) -> None:
    for funder_id in funder_ids:
        if not await _organisation_exists(Membership.funder, funder_id):
            raise ValidationFailed(
                failure,
                field_errors={"org": f"There is no funder {funder_id}: choose one from the list."},
            )
    for host_id in host_ids:
        if not await _organisation_exists(Membership.host, host_id):
            raise ValidationFailed(
                failure,
                field_errors={
                    "org": f"There is no host organisation {host_id}: choose one from the list."
                },
            )


def _validate_new_user(
    failure: str,
    *,
    email: str,
    name: str,
    role: Role,
    funder_ids: tuple[int, ...],
    host_ids: tuple[int, ...],
    password: str | None,
) -> str:
    """The normalised e-mail, or ValidationFailed with every field's problem at once."""
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    if not name.strip():
        errors["name"] = "Enter a name."
    elif len(name.strip()) > NAME_MAX:  # app_user.name is Varchar(120)
        errors["name"] = f"Keep this to {NAME_MAX} characters or fewer."
    if membership := _membership_errors(role, funder_ids, host_ids):
        errors["org"] = membership
    if errors:
        raise ValidationFailed(failure, field_errors=errors)
    return email


async def _insert_user(
    failure: str,
    *,
    email: str,
    name: str,
    password_hash: str,
    role: Role,
    funder_ids: tuple[int, ...],
    host_ids: tuple[int, ...],
) -> int:
    """Inside the caller's write transaction."""
    if await User.exists().where(User.email == email):
        raise ValidationFailed(
            failure, field_errors={"email": "A user with this e-mail already exists."}
        )
    await _check_organisations(failure, funder_ids, host_ids)
    rows = await User.insert(
        User(email=email, name=name.strip(), password_hash=password_hash, role=role.value)
    ).returning(User.id)
    user_id = int(rows[0]["id"])
    memberships = [Membership(user=user_id, funder=f) for f in funder_ids] + [
        Membership(user=user_id, host=h) for h in host_ids
    ]
    if memberships:
        await Membership.insert(*memberships)
    return user_id


async def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    funder_ids: tuple[int, ...] = (),
    host_ids: tuple[int, ...] = (),
    actor: Principal | int | None = None,
) -> int:
    """A user with a password chosen now (`groundswell createuser`, the demo, tests)."""
    failure = "The user could not be created."
    email = _validate_new_user(
        failure,
        email=email,
        name=name,
        role=role,
        funder_ids=funder_ids,
        host_ids=host_ids,
        password=password,
    )
    async with write_transaction():
        user_id = await _insert_user(
            failure,
            email=email,
            name=name,
            password_hash=hash_password(password),
            role=role,
            funder_ids=funder_ids,
            host_ids=host_ids,
        )
        await audit.record(
            actor,
            "user.created",
            "user",
            user_id,
            email=email,
            role=role.value,
            funder_ids=sorted(funder_ids),
            host_ids=sorted(host_ids),
        )
    return user_id


async def create_invited_user(
    actor: Principal,
    *,
    email: str,
    name: str,
    role: Role,
    funder_ids: tuple[int, ...],
    host_ids: tuple[int, ...],
) -> int:
    """A user without a password yet (they choose it from the invitation's link). Inside the
    caller's write transaction, with the link and its e-mail (`links.invite_user`)."""
    failure = "The user could not be invited."
    email = _validate_new_user(
        failure,
        email=email,
        name=name,
        role=role,
        funder_ids=funder_ids,
        host_ids=host_ids,
        password=None,
    )
    user_id = await _insert_user(
        failure,
        email=email,
        name=name,
        password_hash=UNUSABLE_PASSWORD,
        role=role,
        funder_ids=funder_ids,
        host_ids=host_ids,
    )
    await audit.record(
        actor,
        "user.invited",
        "user",
        user_id,
        email=email,
        role=role.value,
        funder_ids=sorted(funder_ids),
        host_ids=sorted(host_ids),
    )
    return user_id


async def set_organisations(
    actor: Principal, user_id: int, *, funder_ids: tuple[int, ...], host_ids: tuple[int, ...]
) -> None:
    """Replace a user's memberships (a funder member's funders, a host member's hosts)."""
    failure = "The organisations could not be changed."
    async with write_transaction():
        user = await User.select(User.id, User.role).where(User.id == user_id).first()
        if user is None:
            raise NotFound("There is no such user.")
        if problem := _membership_errors(Role(user["role"]), funder_ids, host_ids):
            raise ValidationFailed(failure, field_errors={"org": problem})
        await _check_organisations(failure, funder_ids, host_ids)
        before = await Membership.select(Membership.funder, Membership.host).where(
            Membership.user == user_id
        )
        await Membership.delete().where(Membership.user == user_id)
        memberships = [Membership(user=user_id, funder=f) for f in funder_ids] + [
            Membership(user=user_id, host=h) for h in host_ids
        ]
        if memberships:
            await Membership.insert(*memberships)
        await audit.record(
            actor,
            "user.organisations_changed",
            "user",
            user_id,
            funder_ids_before=sorted(m["funder"] for m in before if m["funder"] is not None),
            host_ids_before=sorted(m["host"] for m in before if m["host"] is not None),
            funder_ids=sorted(funder_ids),
            host_ids=sorted(host_ids),
        )


async def end_sessions(user_id: int) -> int:
    """End every session of the user (inside the caller's transaction, if any)."""
    ended = await UserSession.delete().where(UserSession.user == user_id).returning(UserSession.id)
    return len(ended)


async def deactivate_user(actor: Principal, user_id: int) -> None:
    """The user can no longer sign in; their sessions, API tokens and unused links end now."""
    if user_id == actor.user_id:
        raise Conflict(
            "You cannot deactivate your own account. Ask another administrator to do it."
        )
    moment = now()
    async with write_transaction():
        user = await User.select(User.id, User.is_active).where(User.id == user_id).first()
        if user is None:
            raise NotFound("There is no such user.")
        if not user["is_active"]:
            return
        await User.update({User.is_active: False}).where(User.id == user_id)
        sessions = await end_sessions(user_id)
        tokens = (
            await ApiToken.update({ApiToken.revoked_at: moment})
            .where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
        await AccountLink.delete().where(
            (AccountLink.user == user_id) & AccountLink.used_at.is_null()
        )
        await audit.record(
            actor,
            "user.deactivated",
            "user",
            user_id,
            sessions_ended=sessions,
            tokens_revoked=len(tokens),
        )


async def reactivate_user(actor: Principal, user_id: int) -> None:
    """The user may sign in again with their password; revoked API tokens stay revoked."""
    async with write_transaction():
        user = await User.select(User.id, User.is_active).where(User.id == user_id).first()
        if user is None:
            raise NotFound("There is no such user.")
        if user["is_active"]:
            return
        await User.update({User.is_active: True}).where(User.id == user_id)
        await audit.record(actor, "user.reactivated", "user", user_id)


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


# --- The users page ---------------------------------------------------------------------


async def _with_organisations(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [user["id"] for user in users]
    memberships = (
        await Membership.select(
            Membership.user,
            Membership.funder,
            Membership.funder.name.as_alias("funder_name"),
            Membership.host,
            Membership.host.name.as_alias("host_name"),
        ).where(Membership.user.is_in(ids))
        if ids
        else []
    )
    by_user: dict[int, list[dict[str, Any]]] = {}
    for m in memberships:
        if m["funder"] is not None:
            org = {"kind": "funder", "id": m["funder"], "name": m["funder_name"]}
        else:
            org = {"kind": "host", "id": m["host"], "name": m["host_name"]}
        by_user.setdefault(m["user"], []).append(org)
    for user in users:
        user["invited"] = user.pop("password_hash") == UNUSABLE_PASSWORD
        user["organisations"] = sorted(
            by_user.get(user["id"], []), key=lambda o: (o["kind"], o["name"].lower())
        )
    return users


_USER_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.is_active,
    User.last_login_at,
    User.created_at,
    User.password_hash,
)


async def list_users() -> list[dict[str, Any]]:
    """Every user with their organisations' names and whether they still have to choose a
    password (invited)."""
    return await _with_organisations(await User.select(*_USER_COLUMNS).order_by(User.email))


async def get_user(user_id: int) -> dict[str, Any]:
    rows = await User.select(*_USER_COLUMNS).where(User.id == user_id)
    if not rows:
        raise NotFound("There is no such user.")
    return (await _with_organisations(rows))[0]
