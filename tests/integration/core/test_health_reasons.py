"""/health tells the truth: 200 while this worker can serve, "degraded" with a reason for
each thing a person should look at."""

from datetime import timedelta

from groundswell.core.clock import now
from groundswell.core.jobs import JobSpec
from groundswell.core.tables import SchedulerStatus
from groundswell.outbox.services import enqueue_email
from groundswell.outbox.tables import OutboxMessage
from groundswell.payments.tables import ReconciliationDifference
from groundswell.scheduler import LEADER_ROW, run_and_record
from groundswell.settings import Settings
from groundswell.vouching import inbound
from groundswell.vouching.tables import InboundMessage
from tests.helpers import WebClient


async def _beat(seconds_ago: float = 0) -> None:
    await SchedulerStatus.insert(
        SchedulerStatus(
            job_id=LEADER_ROW,
            holder="host:1",
            last_finished_at=now() - timedelta(seconds=seconds_ago),
            last_ok=True,
        )
    )


async def _health(client: WebClient) -> tuple[int, dict]:
    response = await client.get("/health")
    return response.status_code, response.json()


async def test_a_fresh_leader_and_nothing_wrong_is_ok(client: WebClient) -> None:
    await _beat()
    status, body = await _health(client)
    assert (status, body["status"], body["reasons"]) == (200, "ok", [])
    assert body["scheduler"]["leader"] == "host:1"


async def test_a_leader_that_stopped_beating_is_degraded(client: WebClient) -> None:
    await _beat(seconds_ago=120)
    status, body = await _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["scheduler"]["leader"] is None
    assert ["no scheduler has led" in r for r in body["reasons"]] == [True]


async def test_an_old_due_outbox_message_is_degraded(client: WebClient, settings: Settings) -> None:
    await _beat()
    await enqueue_email(to="a@example.org", subject="s", body="b", purpose="p", dedupe_key="h:1")
    status, body = await _health(client)
    assert body["status"] == "ok"  # due just now: not late yet
    late = now() - timedelta(minutes=settings.health_outbox_minutes + 5)
    await OutboxMessage.update({OutboxMessage.next_attempt_at: late}).where(
        OutboxMessage.dedupe_key == "h:1"
    )
    status, body = await _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["outbox"]["oldest_due_seconds"] >= (settings.health_outbox_minutes + 5) * 60
    assert any("oldest due outbox message" in r for r in body["reasons"])


async def test_open_reconciliation_differences_are_degraded(client: WebClient) -> None:
    await _beat()
    await ReconciliationDifference.insert(
        ReconciliationDifference(key="refund:re_1", kind="refund", description="refund re_1 …")
    )
    status, body = await _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["reconciliation"] == {"open_differences": 1, "differences": ["refund re_1 …"]}
    await ReconciliationDifference.update({ReconciliationDifference.resolved_at: now()}).where(
        ReconciliationDifference.key == "refund:re_1"
    )
    assert (await _health(client))[1]["status"] == "ok"


async def test_a_job_that_keeps_failing_is_degraded_until_it_succeeds(
    client: WebClient, settings: Settings
) -> None:
    await _beat()
    outcomes = iter([RuntimeError("provider down")] * settings.health_job_failures + [None])

    async def flaky(_: Settings) -> str:
        failure = next(outcomes)
        if failure is not None:
            raise failure
        return "ok"

    from apscheduler.triggers.interval import IntervalTrigger

    spec = JobSpec("test.flaky", flaky, IntervalTrigger(minutes=1), "flaky")
    for _ in range(settings.health_job_failures - 1):
        await run_and_record(spec, settings)
    assert (await _health(client))[1]["status"] == "ok"  # a blip or two is not yet broken
    await run_and_record(spec, settings)
    status, body = await _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert any(
        f"job test.flaky has failed {settings.health_job_failures} times in a row" in r
        and "provider down" in r
        for r in body["reasons"]
    )
    await run_and_record(spec, settings)
    assert (await _health(client))[1]["status"] == "ok"


async def test_pending_migrations_or_no_database_are_503(client: WebClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def pending() -> list[str]:
        return ["2099-01-01T00:00:00:000000"]

    monkeypatch.setattr("groundswell.web.home.pending_migrations", pending)
    status, body = await _health(client)
    assert (status, body["status"]) == (503, "unavailable")
    assert body["reasons"] == ["1 migration(s) pending"]

    async def unreachable() -> bool:
        return False

    monkeypatch.setattr("groundswell.db.is_reachable", unreachable)
    status, body = await _health(client)
    assert (status, body["reasons"]) == (503, ["the database is unreachable"])


async def test_a_text_waiting_long_to_be_processed_is_degraded(
    client: WebClient, settings: Settings
) -> None:
    await _beat()
    await inbound.record(
        settings, message_sid="SMhealth", from_number="+447911123456", body="HELP", num_media=0
    )
    status, body = await _health(client)
    assert body["status"] == "ok" and body["sms"]["oldest_waiting_seconds"] is not None
    late = now() - timedelta(minutes=settings.health_outbox_minutes + 5)
    await InboundMessage.update({InboundMessage.received_at: late}, force=True)
    status, body = await _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert any("text from a resident has waited" in r for r in body["reasons"])
