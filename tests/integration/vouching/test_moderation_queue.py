"""Moderation you can work through: Waiting and Hidden tabs, a burst decided once for the
group, a confirmation that keeps your place, and the dashboard naming the rounds it bears on."""

from __future__ import annotations

from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.vouching.tables import Endorsement
from tests.factories import computed_round, pool_in_a_place, vouched_organiser
from tests.helpers import WebClient, deposit, make_funder, make_resident, make_user, vouch


async def _flagged(code: str, flags: list[str], words: str, *names: str) -> list[int]:
    ids = []
    for name in names:
        endorsement = await vouch(
            await make_resident(name), code, moderation="flagged", testimony=words
        )
        await Endorsement.update({Endorsement.flags: flags}).where(Endorsement.id == endorsement)
        ids.append(endorsement)
    return ids


async def _world() -> tuple[list[int], int, int]:
    place = await pool_in_a_place(min_endorsers=2, round_budget=900_00)
    code = await vouched_organiser(place.host, place.locality, "Amina Hussein", 3)
    await deposit(place.pool, "2000.00")
    round_id = await computed_round(place.pool)
    burst = await _flagged(code, ["burst"], "Vote Amina", *[f"burst-{n}" for n in range(4)])
    [link] = await _flagged(code, ["link"], "see www.example.com", "linker")
    return burst, link, round_id


async def test_a_burst_is_one_decision_and_the_page_keeps_your_place(client: WebClient) -> None:
    burst, link, round_id = await _world()
    await client.login(await make_user(Role.ADMIN))
    dashboard = (await client.get("/dashboard")).text
    assert "5 voices waiting for a decision." in dashboard
    assert f'<a href="/rounds/{round_id}">Listening Fund, ' in dashboard

    page = (await client.get("/admin/moderation")).text
    assert "4 voices flagged together" in page and "Keep counting all 4" in page
    assert 'id="group-burst-' in page and f'id="voice-{link}"' in page
    assert page.count('name="ids"') == 5  # four in the group's form, one in the voice's
    group_anchor = page.split('id="group-burst-', 1)[1].split('"', 1)[0]

    hidden = await client.submit(
        "/admin/moderation",
        [("tab", "waiting"), ("next", f"voice-{link}"), ("action", "hide"), ("note", "a ring")]
        + [("ids", i) for i in burst],
    )
    assert hidden.status_code == 303
    assert hidden.headers["location"] == f"/admin/moderation?tab=waiting&at=voice-{link}"
    after = (await client.get(hidden.headers["location"])).text
    # The confirmation sits just above the next item, and only once.
    banner_at = after.index(">4 voices hidden</p>")
    assert banner_at < after.index(f'id="voice-{link}"') and after.count("4 voices hidden") == 1
    assert f"group-burst-{group_anchor}" not in after
    assert ">4 voices hidden</p>" not in (await client.get("/admin/moderation")).text

    states = {
        r["id"]: r["state"] for r in await Endorsement.select().where(Endorsement.id.is_in(burst))
    }
    assert set(states.values()) == {"hidden"}
    notes = (
        await AuditEntry.select(AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.subject_type == "endorsement")
        .output(load_json=True)
    )
    assert len(notes) == 4 and {n["action"] for n in notes} == {"testimony.hide"}
    assert all(
        "a ring" in n["detail"]["note"] and "4 voices flagged together" in n["detail"]["note"]
        for n in notes
    )

    hidden_tab = (await client.get("/admin/moderation?tab=hidden")).text
    assert 'aria-current="page">Hidden' in hidden_tab and hidden_tab.count("Count again") == 4
    assert "Vote Amina" in hidden_tab and "see www.example.com" not in hidden_tab
    kept = await client.submit(
        "/admin/moderation", {"tab": "hidden", "ids": burst[0], "action": "restore"}
    )
    assert kept.headers["location"].startswith("/admin/moderation?tab=hidden")
    assert "Kept counting the voice" in (await client.get(kept.headers["location"])).text


async def test_a_group_decision_is_all_or_nothing_and_only_for_administrators(
    client: WebClient,
) -> None:
    burst, link, _ = await _world()
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder("Other"),)))
    refused = await client.submit("/admin/moderation", {"ids": link, "action": "hide"})
    assert refused.status_code == 403
    await client.login(await make_user(Role.ADMIN))
    missing = await client.submit(
        "/admin/moderation", [("action", "hide"), ("ids", burst[0]), ("ids", 999_999)]
    )
    assert missing.status_code == 404
    bad = await client.submit("/admin/moderation", {"ids": "one", "action": "hide"})
    assert bad.status_code == 422
    assert await Endorsement.count().where(Endorsement.state == "hidden") == 0
    # The place to come back to is an anchor this page makes, never a link elsewhere.
    sent = await client.submit(
        "/admin/moderation",
        {"ids": link, "action": "restore", "next": "x#https://evil.example", "tab": "waiting"},
    )
    assert sent.headers["location"] == "/admin/moderation?tab=waiting"
    wrong_tab = await client.get("/admin/moderation?tab=everything")
    assert wrong_tab.status_code == 422


async def test_a_stale_keep_counting_never_counts_again_a_voice_another_moderator_hid(
    client: WebClient,
) -> None:
    burst, _, _ = await _world()
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/moderation")).text
    assert "Keep counting all 4" in page
    # Meanwhile another moderator hides one of the group, from their own Waiting tab.
    await client.submit("/admin/moderation", {"tab": "waiting", "ids": burst[0], "action": "hide"})
    # The first page, still showing the group of four, keeps counting it.
    kept = await client.submit(
        "/admin/moderation",
        [("tab", "waiting"), ("action", "restore")] + [("ids", i) for i in burst],
    )
    assert kept.status_code == 303
    states = {
        r["id"]: r["state"] for r in await Endorsement.select().where(Endorsement.id.is_in(burst))
    }
    assert states[burst[0]] == "hidden"
    assert {states[i] for i in burst[1:]} == {"active"}
    # Counting it again is the Hidden tab's decision.
    await client.submit(
        "/admin/moderation", {"tab": "hidden", "ids": burst[0], "action": "restore"}
    )
    assert (await Endorsement.select().where(Endorsement.id == burst[0]).first())["state"] == (
        "active"
    )
