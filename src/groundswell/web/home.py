from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect, Template

from groundswell import db
from groundswell.community import services as community
from groundswell.core.clock import now
from groundswell.core.pages import render
from groundswell.core.principal import Role
from groundswell.core.web import requires_login, settings_of, signed_in
from groundswell.funders import services as funders
from groundswell.listening.services import THEME_LABELS
from groundswell.migrate import pending_migrations
from groundswell.payments import statements
from groundswell.scheduler import scheduler_state
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
    return render(
        "core/dashboard_admin.html",
        funders=await funders.list_funders(),
        hosts=await community.list_hosts(),
        scheduler=await scheduler_state(settings_of(request)),
    )


@get("/health", name="health", include_in_schema=True)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Database reachable, migrations current, scheduler state; 200 when healthy, 503 when not."""
    settings = settings_of(request)
    body: dict[str, Any] = {
        "database": {
            "reachable": await db.is_reachable(),
            "engine": "sqlite" if settings.is_sqlite else "postgresql",
        }
    }
    healthy = body["database"]["reachable"]
    if healthy:
        try:
            pending = await pending_migrations()
        except Exception:
            pending = ["unknown"]
        body["migrations"] = {"current": not pending, "pending": pending}
        body["scheduler"] = await scheduler_state(settings)
        body["scheduler"]["enabled_in_this_process"] = (
            request.app.state.get("scheduler") is not None
        )
        healthy = not pending and body["scheduler"]["healthy"]
    body["status"] = "ok" if healthy else "unhealthy"
    return Response(body, status_code=200 if healthy else 503)
