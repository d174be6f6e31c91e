"""The organiser's own phone, recorded by a code texted to it (issue #16), so their own voice
never counts; only its HMAC is kept."""

from __future__ import annotations

import re
from datetime import timedelta

from groundswell.community.tables import Organiser
from groundswell.core.clock import frozen_at, now
from groundswell.core.phones import phone_hash
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.messages import render
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement
from tests.helpers import (
    WebClient,
    field_error,
    make_host,
    make_locality,
    make_organiser,
    make_user,
)

MOBILE = "+447911123456"


async def _sent_code() -> str:
    message = await OutboxMessage.select().order_by(OutboxMessage.id, ascending=False).first()
    assert message is not None and message["purpose"] == "verification_code"
    match = re.search(r"\b(\d{6})\b", message["body"])
    assert match
    return match.group(1)


async def _row(code: str) -> dict:
    row = await Organiser.select().where(Organiser.code == code).first()
    assert row is not None
    return row


async def test_another_host_cannot_record_or_confirm_a_phone(client: WebClient) -> None:
    mine, theirs, place = await make_host("Mine"), await make_host("Theirs"), await make_locality()
    code = await make_organiser(theirs, place)
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    assert (await client.submit(f"/organisers/{code}/phone", {"phone": MOBILE})).status_code == 403
    confirm = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": "123456"})
    assert confirm.status_code == 403
    assert await OutboxMessage.count() == 0
    row = await _row(code)
    assert row["phone_hash"] is None and row["phone_pending_hash"] is None


async def test_own_host_records_the_phone_by_code_and_the_voice_never_counts(
    client: WebClient, settings: Settings
) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein", code="AMINA-7K")
    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    bad = await client.submit(f"/organisers/{code}/phone", {"phone": "not a number"})
    assert bad.status_code == 422 and field_error(bad.text, "phone")
    sent = await client.submit(f"/organisers/{code}/phone", {"phone": "07911 123456"})
    assert sent.status_code in (302, 303) and sent.headers["location"].endswith("done=phone-sent")
    right = await _sent_code()
    row = await _row(code)
    assert row["phone_hash"] is None  # not until the code comes back
    wrong = "000000" if right != "000000" else "111111"
    response = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": wrong})
    assert response.status_code == 422
    assert field_error(response.text, "phone_code") == "That code is not right."
    assert (await _row(code))["phone_code_attempts"] == 1
    done = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": right})
    assert done.status_code in (302, 303) and done.headers["location"].endswith("done=phone")
    row = await _row(code)
    assert row["phone_hash"] == phone_hash(MOBILE, settings.phone_key)
    assert row["phone_pending_hash"] is None and row["phone_code_hash"] is None
    # The audit says that it changed, never the number or its hash.
    [entry] = await AuditEntry.select().where(AuditEntry.action == "organiser.phone")
    assert MOBILE not in str(entry["detail"]) and row["phone_hash"] not in str(entry["detail"])
    page = await client.get(f"/organisers/{code}/manage")
    assert "Their own phone recorded" in page.text and MOBILE not in page.text
    # A second confirm changes nothing.
    again = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": right})
    assert again.headers["location"].endswith("done=unchanged")
    # Their own text is refused as a self-vouch.
    reply = await handle_sms(
        settings,
        message_sid="SMownphone00000000000000000000001",
        from_number=MOBILE,
        body="AMINA-7K I am brilliant",
        num_media=0,
    )
    assert reply.text == render("self_vouch_refused")
    assert await Endorsement.count() == 0


async def test_an_expired_or_overtried_code_cannot_record(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    await client.login(await make_user(Role.ADMIN))
    await client.submit(f"/organisers/{code}/phone", {"phone": MOBILE})
    right = await _sent_code()
    with frozen_at(now() + timedelta(minutes=11)):
        late = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": right})
    assert late.status_code == 422 and (await _row(code))["phone_hash"] is None
    await client.submit(f"/organisers/{code}/phone", {"phone": MOBILE})
    right = await _sent_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": wrong})
    locked = await client.submit(f"/organisers/{code}/phone/confirm", {"phone_code": right})
    assert locked.status_code == 422 and (await _row(code))["phone_hash"] is None
