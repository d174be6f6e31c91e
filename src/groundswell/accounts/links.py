"""People join and leave: invitations and password resets by e-mailed, single-use links.

A link carries a random token; only its SHA-256 is kept (`account_link.token_hash`). It works
once (taking it is one conditional UPDATE, so two tabs cannot both use it) and only until it
expires: 7 days for an invitation, 1 hour for a reset. A new link for a person replaces any
unused one; setting a password with it ends every session of theirs.

E-mail goes through the outbox, which is a sibling floor: the caller hands its `enqueue`
function in (`SendEmail`), so the link, the e-mail and the audit entry are written in one
transaction without accounts importing the outbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from groundswell.accounts import services, sessions
from groundswell.accounts.states import LinkPurpose
from groundswell.accounts.tables import AccountLink, User
from groundswell.core import audit, ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.security import UNUSABLE_PASSWORD, hash_password, new_token, token_digest
from groundswell.db import write_transaction
from groundswell.settings import Settings

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
LIFETIMES = {LinkPurpose.INVITATION: INVITATION_LIFETIME, LinkPurpose.RESET: RESET_LIFETIME}

HOUR = timedelta(hours=1)
# Reset requests: an address gets at most a few e-mails an hour (beyond that the form says
# the same and nothing is sent, so nobody can flood a mailbox or learn anything); one source
# may ask for more addresses before it is refused outright.
RESETS_PER_ADDRESS_PER_HOUR = 3
RESETS_PER_SOURCE_PER_HOUR = 20
# Attempts to use a link (each a guess at a 256-bit token): refused past this per source.
LINK_USES_PER_SOURCE_PER_HOUR = 30

PURPOSE_INVITATION_EMAIL = "account_invitation"
PURPOSE_RESET_EMAIL = "password_reset"


class SendEmail(Protocol):
    """`groundswell.outbox.services.enqueue_email`, or a stand-in."""

    async def __call__(
        self, *, to: str, subject: str, body: str, purpose: str, dedupe_key: str, ttl: timedelta
    ) -> bool: ...


class LinkNotUsable(NotFound):
    """Unknown, used, expired or for a deactivated account: one answer for all, so the
    page does not say which tokens ever existed."""

    def __init__(self) -> None:
        super().__init__(
            "This link has expired or has already been used. "
            "Ask for a new one from the sign-in page (“Forgotten your password?”), "
            "or ask an administrator to send the invitation again."
        )


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/account/set-password/{token}"


async def _issue(user_id: int, purpose: LinkPurpose, created_by: int | None) -> tuple[str, str]:
    """A new link for the user, replacing any unused one (inside the caller's transaction):
    its e-mail's dedupe key, and the token."""
    await AccountLink.delete().where((AccountLink.user == user_id) & AccountLink.used_at.is_null())
    token = new_token()
    moment = now()
    rows = await AccountLink.insert(
        AccountLink(
            user=user_id,
            purpose=purpose.value,
            token_hash=token_digest(token),
            created_at=moment,
            expires_at=moment + LIFETIMES[purpose],
            created_by=created_by,
        )
    ).returning(AccountLink.id)
    # Not the id alone: SQLite hands a deleted row's id out again.
    return f"account_link:{rows[0]['id']}:{token_digest(token)[:16]}", token


def _invitation_body(settings: Settings, name: str, inviter: str, token: str) -> str:
    return (
        f"Hello {name},\n\n"
        f"{inviter} has invited you to Groundswell. Choose your password here to sign in:\n\n"
        f"{link_url(settings, token)}\n\n"
        "The link works once, for 7 days. If it has expired, ask them to send it again.\n"
        "If you were not expecting this, you can ignore this e-mail.\n"
    )


async def _send_invitation(
    settings: Settings, send: SendEmail, user: dict[str, Any], inviter: Principal
) -> None:
    dedupe_key, token = await _issue(user["id"], LinkPurpose.INVITATION, inviter.user_id)
    await send(
        to=user["email"],
        subject="You are invited to Groundswell",
        body=_invitation_body(settings, user["name"], inviter.name, token),
        purpose=PURPOSE_INVITATION_EMAIL,
        dedupe_key=dedupe_key,
        ttl=INVITATION_LIFETIME,
    )


async def invite_user(
    settings: Settings,
    send: SendEmail,
    actor: Principal,
    *,
    email: str,
    name: str,
    role: Role,
    funder_ids: tuple[int, ...] = (),
    host_ids: tuple[int, ...] = (),
) -> int:
    """A new user, a link to choose their password, and its e-mail: all or nothing."""
    async with write_transaction():
        user_id = await services.create_invited_user(
            actor, email=email, name=name, role=role, funder_ids=funder_ids, host_ids=host_ids
        )
        user = await User.select(User.id, User.email, User.name).where(User.id == user_id).first()
        assert user is not None
        await _send_invitation(settings, send, user, actor)
    return user_id


async def resend_invitation(
    settings: Settings, send: SendEmail, actor: Principal, user_id: int
) -> None:
    """A fresh invitation for someone who has not chosen a password yet (the old link ends)."""
    async with write_transaction():
        user = (
            await User.select(User.id, User.email, User.name, User.password_hash, User.is_active)
            .where(User.id == user_id)
            .first()
        )
        if user is None:
            raise NotFound("There is no such user.")
        if user["password_hash"] != UNUSABLE_PASSWORD:
            raise Conflict(
                "This person has already chosen a password: they can use "
                "“Forgotten your password?” on the sign-in page."
            )
        if not user["is_active"]:
            raise Conflict("This account is deactivated: reactivate it first.")
        await _send_invitation(settings, send, user, actor)
        await audit.record(actor, "user.invitation_resent", "user", user_id)


def _reset_body(settings: Settings, name: str, token: str) -> str:
    return (
        f"Hello {name},\n\n"
        "Someone asked to reset the password of your Groundswell account. "
        "To choose a new password, open this link:\n\n"
        f"{link_url(settings, token)}\n\n"
        "The link works once, for 1 hour. Choosing a new password signs you out everywhere.\n"
        "If you did not ask for this, ignore this e-mail: your password has not changed.\n"
    )


async def request_password_reset(
    settings: Settings, send: SendEmail, *, email: str, client_ip: str
) -> None:
    """E-mail a reset link if the address belongs to an active account. The caller shows the
    same answer whatever happened here (except a source refused for asking too often)."""
    if not await ratelimit.hit(
        f"reset:source:{ratelimit.source_key(client_ip)}",
        limit=RESETS_PER_SOURCE_PER_HOUR,
        window=HOUR,
    ):
        raise TooManyRequests(
            "Too many password reset requests from this connection. Wait an hour and try again."
        )
    email_key = services.normalise_email(email)  # a malformed address is a field error
    # Counted for every address, known or not, so the limit says nothing about accounts.
    if not await ratelimit.hit(
        f"reset:email:{sessions.email_digest(email_key)}",
        limit=RESETS_PER_ADDRESS_PER_HOUR,
        window=HOUR,
    ):
        return
    async with write_transaction():
        user = (
            await User.select(User.id, User.email, User.name)
            .where((User.email == email_key) & (User.is_active == True))  # noqa: E712
            .first()
        )
        if user is None:
            return
        dedupe_key, token = await _issue(user["id"], LinkPurpose.RESET, None)
        await send(
            to=user["email"],
            subject="Reset your Groundswell password",
            body=_reset_body(settings, user["name"], token),
            purpose=PURPOSE_RESET_EMAIL,
            dedupe_key=dedupe_key,
            ttl=RESET_LIFETIME,
        )
        await audit.record(None, "user.password_reset_requested", "user", user["id"])


@dataclass(frozen=True)
class UsableLink:
    purpose: LinkPurpose
    email: str
    name: str


def _unused(token: str) -> Any:
    return (
        (AccountLink.token_hash == token_digest(token))
        & AccountLink.used_at.is_null()
        & (AccountLink.expires_at > now())
    )


async def usable_link(token: str) -> UsableLink:
    """What the link is for, while it can still be used (reading it uses nothing up)."""
    row = (
        await AccountLink.select(
            AccountLink.purpose,
            AccountLink.user.email.as_alias("email"),
            AccountLink.user.name.as_alias("name"),
        )
        .where(_unused(token) & (AccountLink.user.is_active == True))  # noqa: E712
        .first()
    )
    if row is None:
        raise LinkNotUsable()
    return UsableLink(purpose=LinkPurpose(row["purpose"]), email=row["email"], name=row["name"])


async def set_password_with_link(
    settings: Settings, token: str, *, password: str, confirm: str, client_ip: str
) -> UsableLink:
    """Use the link once: the new password replaces the old, every session of the person
    ends, their sign-in failures are forgotten, and every other link of theirs stops working."""
    if not await ratelimit.hit(
        f"link:source:{ratelimit.source_key(client_ip)}",
        limit=LINK_USES_PER_SOURCE_PER_HOUR,
        window=HOUR,
    ):
        raise TooManyRequests("Too many tries from this connection. Wait an hour and try again.")
    errors: dict[str, str] = {}
    if problem := services.password_problem(password):
        errors["password"] = problem
    elif confirm != password:
        errors["confirm"] = "The two passwords are not the same: type it again."
    if errors:
        await usable_link(token)  # an unusable link says so first, not "password too short"
        raise ValidationFailed("Your password could not be set.", field_errors=errors)
    password_hash = await asyncio.to_thread(hash_password, password)  # CPU: off the loop
    moment = now()
    async with write_transaction():
        link = await usable_link(token)
        taken = (
            await AccountLink.update({AccountLink.used_at: moment})
            .where(_unused(token))
            .returning(AccountLink.id, AccountLink.user, AccountLink.purpose)
        )
        if not taken:  # another request used it a moment ago
            raise LinkNotUsable()
        user_id = taken[0]["user"]
        await User.update({User.password_hash: password_hash}).where(User.id == user_id)
        await AccountLink.delete().where(
            (AccountLink.user == user_id) & AccountLink.used_at.is_null()
        )
        ended = await services.end_sessions(user_id)
        await audit.record(
            user_id,
            "user.password_set"
            if link.purpose is LinkPurpose.INVITATION
            else "user.password_reset",
            "user",
            user_id,
            sessions_ended=ended,
        )
    await ratelimit.reset(sessions.login_account_bucket(link.email))
    return link
