from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry, RateLimitCounter
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, InboundMessage, Resident
from tests.helpers import WebClient, make_user

PEOPLE = [f"+4479{n:08d}" for n in range(12345670, 12345690)]


async def vouch(settings: Settings, number: str, words: str, sid: str) -> None:
    await handle_sms(settings, message_sid=sid, from_number=number, body=f"AMINA-7K {words}")


async def test_links_and_repeated_text_are_flagged_and_do_not_count(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await vouch(settings, PEOPLE[0], "she listens, see www.example.com for more", "SM1")
    for i in range(1, 4):
        await vouch(settings, PEOPLE[i], "Amina is the best organiser ever!!", f"SM{i + 1}")
    await vouch(settings, PEOPLE[5], "She got the bins collected again after months", "SM9")
    rows = {r["id"]: r for r in await Endorsement.select().output(load_json=True)}
    flagged = {r["testimony"]: r["flags"] for r in rows.values() if r["moderation"] == "flagged"}
    assert "link" in flagged["she listens, see www.example.com for more"]
    assert "repeated_text" in flagged["Amina is the best organiser ever!!"]
    assert sum(1 for r in rows.values() if r["moderation"] == "flagged") == 4
    detail = (await client.get("/api/v1/organisers/AMINA-7K")).json()
    assert detail["endorsers"] == 1  # only the unflagged voice counts


async def test_moderators_hide_and_restore_with_an_audit_trail(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await vouch(settings, PEOPLE[0], "visit http://spam.example now", "SM1")
    [row] = await Endorsement.select()
    await client.login(await make_user(Role.ADMIN))
    queue = await client.get("/admin/moderation")
    assert "visit http://spam.example now" in queue.text
    # Flags in words, the queue counted, and the cards in the spaced-out card grid.
    assert "<dd>A web link in the words</dd>" in queue.text and "flags: link" not in queue.text
    assert "1 waiting for a decision." in queue.text
    assert '<div class="cards moderation-queue">' in queue.text
    assert '<div class="field">' in queue.text.split('id="note-', 1)[0].rsplit("<form", 1)[1]
    hidden = await client.submit(
        "/admin/moderation", {"ids": row["id"], "action": "hide", "note": "spam"}
    )
    assert (
        hidden.status_code == 303 and hidden.headers["location"] == "/admin/moderation?tab=waiting"
    )
    assert ">Voice hidden</p>" in (await client.get(hidden.headers["location"])).text  # once
    assert ">Voice hidden</p>" not in (await client.get("/admin/moderation")).text
    assert (await Endorsement.select(Endorsement.state).first())["state"] == "hidden"  # type: ignore[index]
    await client.submit(
        "/admin/moderation", {"ids": row["id"], "action": "restore", "note": "actually fine"}
    )
    restored = await Endorsement.select().first()
    assert restored["state"] == "active" and restored["moderation"] == "reviewed"  # type: ignore[index]
    actions = [
        a["action"]
        for a in await AuditEntry.select()
        .where(AuditEntry.subject_type == "endorsement")
        .order_by(AuditEntry.id)
    ]
    assert actions == ["testimony.hide", "testimony.restore"]


async def test_anyone_who_can_read_testimony_can_report_it(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await vouch(settings, PEOPLE[0], "She runs the Tuesday food club", "SM1")
    await Endorsement.update({Endorsement.show_public: True}).where(Endorsement.id > 0)
    [row] = await Endorsement.select()
    response = await client.submit(
        f"/testimony/{row['public_ref']}/report", {"reason": "this is my neighbour's words"}
    )
    assert response.status_code == 200
    # A report asks a moderator to look; the voice still counts.
    assert (await Endorsement.select().first())["moderation"] == "clear"  # type: ignore[index]
    assert (await client.get("/api/v1/organisers/AMINA-7K")).json()["endorsers"] == 1
    missing = await client.submit(f"/testimony/{row['id']}/report", {"reason": "x"})
    assert missing.status_code == 404


# Residents type numbers and addresses into their words: the number is never stored, and
# the address is kept for moderators but taken out wherever testimony is shown.
async def test_published_testimony_api_is_redacted_consented_and_paginated(
    client: WebClient, settings: Settings, amina: str
) -> None:
    for i in range(5):
        await vouch(
            settings,
            PEOPLE[i],
            f"story number {i}: call me on 07911 123456 or mail me at me@example.org",
            f"SM{i}",
        )
    stored = await Endorsement.select(Endorsement.testimony)
    assert stored and all(
        "07911" not in row["testimony"] and "[number removed]" in row["testimony"] for row in stored
    )
    await Endorsement.update({Endorsement.show_public: True}).where(Endorsement.id > 0)
    await Endorsement.update({Endorsement.show_public: False}).where(
        Endorsement.testimony.like("story number 4%")
    )
    first = (await client.get("/api/v1/organisers/AMINA-7K/endorsements?limit=2")).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert all(
        "07911" not in item["testimony"] and "@" not in item["testimony"] for item in first["items"]
    )
    assert "[number removed]" in first["items"][0]["testimony"]
    # New testimony arriving between pages does not shift what comes next.
    await vouch(settings, PEOPLE[10], "a brand new voice arrives", "SM99")
    await Endorsement.update({Endorsement.show_public: True}).where(
        Endorsement.testimony == "a brand new voice arrives"
    )
    second = (
        await client.get(
            f"/api/v1/organisers/AMINA-7K/endorsements?limit=2&cursor={first['next_cursor']}"
        )
    ).json()
    ids = [i["ref"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 4 and second["next_cursor"] is None
    assert all("brand new" not in i["testimony"] for i in second["items"])
    bad = await client.get("/api/v1/organisers/AMINA-7K/endorsements?cursor=nonsense")
    assert bad.status_code == 422


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_resident_export_and_erase(settings: Settings, amina: str) -> None:
    await vouch(settings, PEOPLE[0], "She fixed the playground gate", "SM1")
    exported = run_cli("resident", "export", "--phone", PEOPLE[0].replace("+44", "0"))
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert (
        data["endorsements"][0]["testimony"] == "She fixed the playground gate"
        and data["messages_received"] == 1
    )
    assert PEOPLE[0] not in exported.stdout
    erased = run_cli("resident", "erase", "--phone", PEOPLE[0])
    assert json.loads(erased.stdout)["endorsements"] == 1
    assert (
        await Endorsement.count() == 0
        and await Resident.count() == 0
        and await InboundMessage.count() == 0
    )
    bad = run_cli("resident", "erase", "--phone", "12")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


async def test_sms_simulate_runs_the_real_handler(amina: str) -> None:
    result = run_cli("sms", "simulate", "--from", PEOPLE[0], "AMINA-7K she listens")
    assert result.returncode == 0 and "Thank you" in result.stdout
    assert await Endorsement.count() == 1


async def test_rate_limits_hold_across_two_worker_processes(settings: Settings) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from datetime import timedelta
        from groundswell import db
        from groundswell.core import ratelimit

        async def main():
            await db.start()
            allowed = 0
            for _ in range(25):
                allowed += await ratelimit.hit("shared-bucket", limit=30, window=timedelta(hours=1))
            await db.stop()
            print(allowed)

        asyncio.run(main())
        """
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=os.environ.copy(), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    allowed = sum(int(worker.communicate(timeout=120)[0].strip()) for worker in workers)
    assert allowed == 30  # 50 hits against one limit of 30, from two processes
    row = await RateLimitCounter.select().where(RateLimitCounter.bucket == "shared-bucket").first()
    assert row is not None and row["hits"] == 50
