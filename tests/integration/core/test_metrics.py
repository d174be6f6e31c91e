"""/metrics: Prometheus text for trusted addresses or an admin's API token, nobody else."""

from groundswell.accounts.tokens import create_api_token
from groundswell.core.principal import Role
from groundswell.outbox.services import enqueue_email
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client, make_funder, make_user


async def test_loopback_reads_request_outbox_and_job_figures(client: WebClient, app) -> None:  # type: ignore[no-untyped-def]
    await enqueue_email(to="a@example.org", subject="s", body="b", purpose="p", dedupe_key="m:1")
    await client.get("/organisers")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'groundswell_http_requests_total{method="GET",route="/organisers",status="200"}' in text
    assert "groundswell_http_request_duration_seconds_bucket" in text
    assert 'groundswell_outbox_messages{channel="email",status="pending"} 1.0' in text
    assert "groundswell_outbox_oldest_age_seconds" in text
    assert "groundswell_reconciliation_differences 0.0" in text
    for name in ("sms_received", "sms_processed", "job_runs", "rounds_computed"):
        assert f"# HELP groundswell_{name}_total" in text


async def test_other_addresses_need_an_admin_token(app) -> None:  # type: ignore[no-untyped-def]
    admin_token = await create_api_token(await make_user(Role.ADMIN))
    funder = await make_funder()
    funder_token = await create_api_token(await make_user(Role.FUNDER, funder_ids=(funder,)))
    async with asgi_client(app, address="203.0.113.9") as outsider:
        assert (await outsider.get("/metrics")).status_code == 403
        refused = await outsider.get(
            "/metrics", headers={"authorization": f"Bearer {funder_token}"}
        )
        assert refused.status_code == 403
        allowed = await outsider.get("/metrics", headers={"authorization": f"Bearer {admin_token}"})
        assert allowed.status_code == 200 and "groundswell_http_requests_total" in allowed.text


async def test_trusted_networks_are_a_setting(settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    office = dataclasses.replace(settings, metrics_addresses="203.0.113.0/24")
    async with asgi_client(create_app(office, run_scheduler=False), address="203.0.113.9") as web:
        assert (await web.get("/metrics")).status_code == 200
    async with asgi_client(create_app(office, run_scheduler=False)) as loopback:
        assert (await loopback.get("/metrics")).status_code == 403
