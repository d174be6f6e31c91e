from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect, Template

from groundswell import db
from groundswell.allocation.review import rounds_in_review_for
from groundswell.community import services as community
from groundswell.core.clock import now
from groundswell.core.pages import render
from groundswell.core.principal import Role
from groundswell.core.web import requires_login, settings_of, signed_in
from groundswell.funders import services as funders
from groundswell.listening.services import THEME_LABELS
from groundswell.migrate import pending_migrations
from groundswell.outbox.figures import oldest_due_age_seconds
from groundswell.payments import findings, statements
from groundswell.scheduler import HEARTBEAT_STALE_SECONDS, scheduler_state
from groundswell.settings import Settings
from groundswell.vouching import moderation_queue
from groundswell.vouching.inbound import oldest_waiting_age_seconds
from groundswell.web.funder_dashboard import funder_dashboard


@get("/", name="home", include_in_schema=False)
async def home() -> Template:
    return render("core/home.html", pools=await funders.list_pools())


@get("/dashboard", name="dashboard", guards=[requires_login], include_in_schema=False)
async def dashboard(request: Request[Any, Any, Any]) -> Any:
    principal = signed_in(request)
    if principal.role is Role.FUNDER:
        return render(
            "core/dashboard_funder.html",
            dashboard=await funder_dashboard(principal),
            now=now(),
            theme_labels=THEME_LABELS,
        )
    if principal.role is Role.HOST:
        hosts = await community.list_hosts(host_ids=principal.host_ids)
        if len(hosts) == 1:
            return Redirect(f"/hosts/{hosts[0]['id']}")
        for host in hosts:
            waiting = await statements.money_waiting(host["id"], host["stripe_payouts_enabled"])
            host["waiting"] = sum(line["amount"] for line in waiting)
            host["held"] = sum(1 for line in waiting if line["why"].startswith("Held"))
        return render("core/dashboard_host.html", hosts=hosts)
    voices_waiting = await moderation_queue.waiting_organisers()
    return render(
        "core/dashboard_admin.html",
        funders=await funders.list_funders(),
        hosts=await community.list_hosts(),
        scheduler=await scheduler_state(settings_of(request)),
        moderation_waiting=sum(voices_waiting.values()),
        moderation_rounds=await rounds_in_review_for(list(voices_waiting)),
    )


@get("/health", name="health", include_in_schema=True)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """200 while this worker can serve ("ok", or "degraded" with reasons a person should look
    at); 503 only when it cannot: the database unreachable or migrations pending."""
    settings = settings_of(request)
    body: dict[str, Any] = {
        "database": {
            "reachable": await db.is_reachable(),
            "engine": "sqlite" if settings.is_sqlite else "postgresql",
        }
    }
    if not body["database"]["reachable"]:
        body |= {"status": "unavailable", "reasons": ["the database is unreachable"]}
        return Response(body, status_code=503)
    try:
        pending = await pending_migrations()
    except Exception:
        pending = ["unknown"]
    body["migrations"] = {"current": not pending, "pending": pending}
    if pending:
        body |= {"status": "unavailable", "reasons": [f"{len(pending)} migration(s) pending"]}
        return Response(body, status_code=503)
    body["scheduler"] = await scheduler_state(settings)
    body["scheduler"]["enabled_in_this_process"] = request.app.state.get("scheduler") is not None
    oldest_due = await oldest_due_age_seconds()
    body["outbox"] = {"oldest_due_seconds": None if oldest_due is None else round(oldest_due)}
    oldest_text = await oldest_waiting_age_seconds()
    body["sms"] = {"oldest_waiting_seconds": None if oldest_text is None else round(oldest_text)}
    differences = await findings.open_differences()
    body["reconciliation"] = {
        "open_differences": len(differences),
        "differences": [row["description"] for row in differences[:20]],
    }
    reasons = _degraded_reasons(settings, body, oldest_due, differences)
    body["status"] = "degraded" if reasons else "ok"
    body["reasons"] = reasons
    return Response(body, status_code=200)


def _degraded_reasons(
    settings: Settings,
    body: dict[str, Any],
    oldest_due: float | None,
    differences: list[dict[str, Any]],
) -> list[str]:
    reasons = []
    scheduler = body["scheduler"]
    if scheduler["leader"] is None:
        last = scheduler["last_heartbeat"] or "never"
        reasons.append(
            f"no scheduler has led in the last {int(HEARTBEAT_STALE_SECONDS)} seconds "
            f"(last heartbeat: {last}): rounds, payouts and the outbox are not running"
        )
    limit_seconds = settings.health_outbox_minutes * 60
    if oldest_due is not None and oldest_due > limit_seconds:
        reasons.append(
            f"the oldest due outbox message has waited {int(oldest_due // 60)} minutes "
            f"(more than {settings.health_outbox_minutes})"
        )
    oldest_text = body["sms"]["oldest_waiting_seconds"]
    if oldest_text is not None and oldest_text > limit_seconds:
        reasons.append(
            f"the oldest text from a resident has waited {int(oldest_text // 60)} minutes to be "
            "processed: is `groundswell sms process` or the scheduler running?"
        )
    if differences:
        reasons.append(
            f"reconciliation found {len(differences)} difference(s) between the payment "
            "provider and the ledger (see /admin/reconciliation)"
        )
    for job in scheduler["jobs"]:
        failures = job["failures_in_a_row"] or 0
        if failures >= settings.health_job_failures:
            reasons.append(
                f"job {job['id']} has failed {failures} times in a row: {job['last_message']}"
            )
    return reasons
