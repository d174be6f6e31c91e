"""GET /metrics (Prometheus) and the middleware that counts requests by route template.

Only trusted addresses (GROUNDSWELL_METRICS_ADDRESSES, loopback by default) or an admin's
API token may read it: figures such as outbox depth say something about residents' activity.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import time
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

from groundswell.accounts import tokens
from groundswell.allocation.tables import Allocation
from groundswell.core import metrics
from groundswell.core.principal import Role
from groundswell.core.web import problem, settings_of
from groundswell.outbox.figures import depth_by_channel_and_status
from groundswell.payments import findings
from groundswell.settings import Settings


@functools.lru_cache(maxsize=2048)
def _series(route: str, method: str, status: int) -> tuple[Any, Any]:
    # prometheus_client looks a labelled child up under a lock on every .labels() call;
    # routes, methods and statuses are few, so each pair is looked up once per process.
    return (
        metrics.REQUESTS.labels(route=route, method=method, status=str(status)),
        metrics.LATENCY.labels(route=route, method=method),
    )


class RequestMetricsMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/metrics$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await next_app(scope, receive, counting_send)
        finally:
            # The route's template, never the raw path: ids in paths would make a series each.
            route = str(scope.get("path_template") or "unmatched")
            method = str(scope.get("method", "GET"))
            counter, latency = _series(route, method, status)
            counter.inc()
            latency.observe(time.perf_counter() - started)


def _trusted(settings: Settings, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in settings.metrics_addresses.split(","):
        if network.strip() and ip in ipaddress.ip_network(network.strip(), strict=False):
            return True
    return False


async def _is_admin_token(request: Request[Any, Any, Any]) -> bool:
    authorization = request.headers.get("authorization", "")
    if not authorization.lower().startswith("bearer "):
        return False
    principal = await tokens.principal_for_api_token(authorization[7:].strip())
    return principal is not None and principal.role is Role.ADMIN


async def _refresh_gauges() -> None:
    """The database's truth at scrape time, the same from every process."""
    metrics.OUTBOX_MESSAGES.clear()
    metrics.OUTBOX_OLDEST_AGE.clear()
    for row in await depth_by_channel_and_status():
        labels = {"channel": row["channel"], "status": row["status"]}
        metrics.OUTBOX_MESSAGES.labels(**labels).set(row["messages"])
        metrics.OUTBOX_OLDEST_AGE.labels(**labels).set(row["oldest_age_seconds"])
    metrics.TRANSFERS.clear()
    counts: dict[str, int] = {}
    for row in await Allocation.select(Allocation.state):
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    for state, count in counts.items():
        metrics.TRANSFERS.labels(status=state).set(count)
    metrics.RECONCILIATION_DIFFERENCES.set(len(await findings.open_differences()))


@get("/metrics", name="metrics", include_in_schema=False)
async def metrics_page(request: Request[Any, Any, Any]) -> Response[Any]:
    settings = settings_of(request)
    address = request.client.host if request.client else ""
    if not _trusted(settings, address) and not await _is_admin_token(request):
        return problem(
            403,
            "Not allowed",
            "Metrics are for trusted addresses (GROUNDSWELL_METRICS_ADDRESSES) or an "
            "administrator's API token.",
        )
    await _refresh_gauges()
    registry: Any = DEFAULT_REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several worker processes: add up what each wrote to the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, status_code=200)
