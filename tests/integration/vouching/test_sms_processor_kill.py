"""Nothing is lost or done twice when the SMS processor dies (issue #17): `groundswell sms
process` is killed with SIGKILL in the middle of its work and started again, and every
recorded text ends up processed exactly once, each phone's texts in order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from groundswell import db
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching import inbound
from groundswell.vouching.tables import Endorsement, InboundMessage

PHONES = 150
TEXTS = ("AMINA-7K", "she found us a room", "SHARE")  # order matters: see the end


def processor(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "groundswell", "sms", "process", *args],
        env={**os.environ, "GROUNDSWELL_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def processed() -> int:
    return int(await InboundMessage.count().where(InboundMessage.processed_at.is_not_null()))


async def locks_released() -> None:
    """A killed processor's PostgreSQL session ends (and its row locks go) a moment after
    the process does: until then its rows would be skipped, not lost."""
    if db.is_sqlite():
        return
    for _ in range(200):
        held = await InboundMessage.raw(
            "SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'inbound_message' AND l.pid <> pg_backend_pid()"
        )
        if not held[0]["n"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the killed processor's locks were never released")


@pytest.mark.slow
async def test_a_processor_killed_mid_run_and_restarted_processes_every_text_exactly_once(
    settings: Settings, amina: str
) -> None:
    phones = [f"+4479112{n:05d}" for n in range(PHONES)]
    for k, body in enumerate(TEXTS):
        for n, phone in enumerate(phones):
            await inbound.record(
                settings, message_sid=f"SMkill{n}-{k}", from_number=phone, body=body, num_media=0
            )
    total = PHONES * len(TEXTS)

    first = processor("--batch", "4")
    try:
        deadline = time.monotonic() + 120
        while (done := await processed()) < total // 4:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the processor made no progress"
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = await processed()
    assert done <= at_kill < total, "killed after it had finished: the test proved nothing"

    await locks_released()
    second = processor("--once", "--batch", "4")
    _, errors = second.communicate(timeout=300)
    assert second.returncode == 0, errors.decode()

    rows = await InboundMessage.select().order_by(InboundMessage.id)
    assert len(rows) == total
    assert all(row["processed_at"] is not None and not row["error"] for row in rows)
    # Exactly one reply queued per text (the outbox's key is unique, so also count them).
    replies = await OutboxMessage.select(OutboxMessage.dedupe_key)
    assert sorted(r["dedupe_key"] for r in replies) == sorted(f"sms-reply:{r['id']}" for r in rows)
    # One vouch per phone, never two: the words answered the code's prompt, so they were
    # processed after it, and SHARE after the words (the words may be read by funders).
    endorsements = await Endorsement.select()
    assert len(endorsements) == PHONES
    assert all(e["testimony"] == "she found us a room" and e["show_funders"] for e in endorsements)
    for n in range(PHONES):
        mine = [r["processed_at"] for r in rows if r["message_sid"].startswith(f"SMkill{n}-")]
        assert mine == sorted(mine) and len(set(mine)) == len(TEXTS)
