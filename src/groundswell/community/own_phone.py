"""Recording an organiser's own phone (issue #16), so their own voice never counts.

Staff or a member of the organiser's host types the organiser's mobile; a six-digit code is
texted to it through the outbox (purpose `verification_code`, so the outbox forgets the code
once the text is sent, as for vouching codes); the organiser reads the code back and it is
typed in. Only then is the number's HMAC (core/phones.py) kept, as `organiser.phone_hash`:
the SMS and web vouching guards refuse that phone for this organiser, and rounds count no
voice from it (allocation/inputs.py). The number itself is never stored, only its HMAC; the
code, only as an HMAC too, for ten minutes and five tries.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from hashlib import sha256
from typing import Any

from groundswell import db
from groundswell.community.codes import normalise_code
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.core import audit, ratelimit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from groundswell.core.phones import InvalidPhoneNumber, normalise_phone, phone_hash
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.outbox.services import enqueue_sms
from groundswell.settings import Settings

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODES_PER_ORGANISER_PER_HOUR = 5


def _code_digest(settings: Settings, organiser_id: int, code: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"organiser-phone:{organiser_id}:{code}".encode(), sha256
    ).hexdigest()


async def _locked(principal: Principal, code: str) -> dict[str, Any]:
    canonical = normalise_code(code)
    row = None
    if canonical is not None:
        row = await db.locked(
            Organiser.select(
                Organiser.id,
                Organiser.name,
                Organiser.host,
                Organiser.status,
                Organiser.phone_hash,
                Organiser.phone_pending_hash,
                Organiser.phone_code_hash,
                Organiser.phone_code_expires_at,
                Organiser.phone_code_attempts,
            ).where(Organiser.code == canonical)
        ).first()
    if row is None:
        raise NotFound(f"There is no organiser with the code {code[:20]}.")
    if not principal.can_manage_host(row["host"]):
        raise Forbidden("You can only manage organisers your own host organisation hosts.")
    if row["status"] == OrganiserStatus.LEFT.value:
        raise Conflict(f"{row['name']} has left the role; their record stays as it is.")
    return row


async def send_code(
    settings: Settings, principal: Principal, code: str, raw: Mapping[str, Any]
) -> bool:
    """Text a code to the number typed as the organiser's own; False when it is already
    their recorded phone (nothing to do)."""
    raw_phone = str(raw.get("phone") or "").strip()
    try:
        e164 = normalise_phone(raw_phone)
    except InvalidPhoneNumber as exc:
        raise ValidationFailed(
            "The phone could not be recorded.", field_errors={"phone": str(exc)}
        ) from exc
    voice = phone_hash(e164, settings.phone_key)
    async with write_transaction():
        row = await _locked(principal, code)
        if row["phone_hash"] == voice:
            return False
        if not await ratelimit.hit(
            f"organiser-phone:{row['id']}",
            limit=CODES_PER_ORGANISER_PER_HOUR,
            window=timedelta(hours=1),
        ):
            raise TooManyRequests("Several codes have been sent already. Please wait an hour.")
        sent = f"{secrets.randbelow(1_000_000):06d}"
        await Organiser.update(
            {
                Organiser.phone_pending_hash: voice,
                Organiser.phone_code_hash: _code_digest(settings, row["id"], sent),
                Organiser.phone_code_expires_at: now() + CODE_LIFETIME,
                Organiser.phone_code_attempts: 0,
            }
        ).where(Organiser.id == row["id"])
        await enqueue_sms(
            settings,
            to_e164=e164,
            body=(
                f"Groundswell: your code is {sent}. Give it to the person recording this phone "
                f"as {row['name']}'s own, so your own voice is never counted. It lasts 10 minutes."
            ),
            purpose="verification_code",
            dedupe_key=f"organiser-phone:{row['id']}:{secrets.token_hex(4)}",
            ttl=CODE_LIFETIME,
        )
    return True


async def confirm_code(
    settings: Settings, principal: Principal, code: str, raw: Mapping[str, Any]
) -> bool:
    """Record the phone the code was sent to as the organiser's own; False when it was
    recorded already (a double submit). A wrong code counts as a try, kept even though the
    request fails."""
    typed = "".join(ch for ch in str(raw.get("phone_code") or "") if ch.isdigit())
    wrong: ValidationFailed | None = None
    async with write_transaction():
        row = await _locked(principal, code)
        pending = row["phone_pending_hash"]
        if pending is None:
            if row["phone_hash"] is not None:
                return False
            raise ValidationFailed(
                "No code is waiting.",
                field_errors={"phone_code": "Send a code to the phone first."},
            )
        if row["phone_code_attempts"] >= MAX_ATTEMPTS or row["phone_code_expires_at"] <= now():
            raise ValidationFailed(
                "This code can no longer be used.",
                field_errors={
                    "phone_code": "The code expired or was tried too often. Send a new one."
                },
            )
        if not hmac.compare_digest(
            row["phone_code_hash"], _code_digest(settings, row["id"], typed)
        ):
            await Organiser.update(
                {Organiser.phone_code_attempts: row["phone_code_attempts"] + 1}
            ).where(Organiser.id == row["id"])
            wrong = ValidationFailed(
                "That code is not right.", field_errors={"phone_code": "That code is not right."}
            )
        else:
            await Organiser.update(
                {
                    Organiser.phone_hash: pending,
                    Organiser.phone_pending_hash: None,
                    Organiser.phone_code_hash: None,
                    Organiser.phone_code_expires_at: None,
                    Organiser.phone_code_attempts: 0,
                }
            ).where(Organiser.id == row["id"])
            # Never the number or its hash in the audit: only that it changed.
            await audit.record(
                principal,
                "organiser.phone",
                "organiser",
                row["id"],
                replaced=bool(row["phone_hash"]),
            )
    if wrong is not None:  # raised after the transaction, so the try stays counted
        raise wrong
    return True


async def phone_status(organiser_id: int) -> dict[str, bool]:
    """For the manage page: whether their own phone is recorded, and whether a code waits."""
    row = (
        await Organiser.select(
            Organiser.phone_hash, Organiser.phone_pending_hash, Organiser.phone_code_expires_at
        )
        .where(Organiser.id == organiser_id)
        .first()
    )
    if row is None:
        return {"recorded": False, "waiting": False}
    waiting = bool(
        row["phone_pending_hash"]
        and row["phone_code_expires_at"] is not None
        and row["phone_code_expires_at"] > now()
    )
    return {"recorded": row["phone_hash"] is not None, "waiting": waiting}
