"""After the SMS and web flows, no form of the test phone number is anywhere: not in any
table of the database, not in any log line."""

from __future__ import annotations

import logging
import re

import pytest

from groundswell.piccolo_app import TABLES
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from tests.helpers import WebClient

NUMBER = "+447911123456"
FORMS = [
    "+447911123456",
    "447911123456",
    "07911123456",
    "7911123456",
    "07911 123456",
    "+44 7911 123456",
    "911123456",
]


async def dump_database() -> str:
    parts = []
    for table in TABLES:
        rows = await table.select()
        parts.append(f"{table._meta.tablename}: {rows!r}")
    return "\n".join(parts)


@pytest.mark.slow
async def test_no_test_phone_number_in_the_database_or_logs(
    client: WebClient, settings: Settings, amina: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for sid, body in enumerate(
        [
            "AMINA-7K she listens",
            "YES",
            "AMINA-7K",
            "the lights got fixed",
            "HELP",
            "WITHDRAW AMINA-7K",
            "STOP",
            "START",
        ]
    ):
        await handle_sms(settings, message_sid=f"SMprivacy{sid}", from_number=NUMBER, body=body)
    form = {
        "testimony": "She got the lights fixed on the underpass.",
        "theme": "value",
        "show_funders": "1",
        "hear_back": "1",
        "phone": "07911 123456",
    }
    response = await client.submit("/vouch/AMINA-7K", form)
    token = response.headers["location"].split("t=", 1)[1]
    from tests.integration.vouching.test_web_vouching import code_sent

    await client.submit("/vouch/AMINA-7K/confirm", {"t": token, "code": "000001"})
    await client.submit("/vouch/AMINA-7K/confirm", {"t": token, "code": await code_sent()})
    bad = await client.submit("/vouch/AMINA-7K", {**form, "testimony": "short"})
    # The form keeps what was typed (GOV.UK): the number only in its own field, never cached.
    assert bad.status_code == 422 and bad.text.count("07911") == 1
    assert 'value="07911 123456"' in bad.text and bad.headers["cache-control"] == "no-store"

    everything = (
        await dump_database() + "\n" + "\n".join(record.getMessage() for record in caplog.records)
    )
    for form_of_number in FORMS:
        assert form_of_number not in everything, form_of_number
    # Digits only, with separators of any kind between them, outside digests and ciphertexts.
    without_digests = re.sub(r"[A-Za-z0-9_\-=]{32,}", " ", everything)
    assert not re.search(
        r"7\D{0,3}9\D{0,3}1\D{0,3}1\D{0,3}1\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5\D{0,3}6",
        without_digests,
    )
