"""create_app(settings) → the Litestar application: plugins, templates, routes, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from groundswell import __version__, db
from groundswell.accounts.controllers import LoginController, UserAdminController
from groundswell.allocation.controllers import RoundController, admin_rounds
from groundswell.community.api import LocalityApi, OrganiserApi
from groundswell.community.controllers import (
    HostController,
    LocalityController,
    OrganiserController,
)
from groundswell.core import templating
from groundswell.core.controllers import dashboard, health, home
from groundswell.core.headers import security_headers
from groundswell.core.web import PrincipalMiddleware, handle_exception
from groundswell.exports.controllers import OpenDataController
from groundswell.funders.api import PoolApi
from groundswell.funders.controllers import FunderController, PoolController
from groundswell.ledger.controllers import ledger_index, pool_ledger
from groundswell.listening.controllers import ListenController
from groundswell.outbox.webhooks import twilio_status
from groundswell.payments.controllers import (
    HostStatementController,
    OnboardingController,
    SimulatedStripeController,
    TopUpController,
    stripe_webhook,
)
from groundswell.programme.api import AssetBidApi, GrantApi, ServiceBidApi
from groundswell.programme.controllers import ProgrammeController
from groundswell.scheduler import SchedulerRunner
from groundswell.settings import Settings, load_settings
from groundswell.vouching.controllers import (
    ModerationController,
    OutboxController,
    ReportController,
    VouchController,
)
from groundswell.vouching.webhooks import twilio_sms

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = Path(__file__).resolve().parent / "static"

# Paths that are signed by their sender instead of carrying a CSRF token; /api takes
# Bearer tokens only (never cookies), so a cross-site form cannot act with a user's session.
CSRF_EXEMPT = ["/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/stripe", "/api/"]

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    home,
    dashboard,
    health,
    LoginController,
    UserAdminController,
    FunderController,
    PoolController,
    LocalityController,
    HostController,
    OrganiserController,
    ListenController,
    OrganiserApi,
    LocalityApi,
    PoolApi,
    VouchController,
    ReportController,
    ModerationController,
    OutboxController,
    twilio_sms,
    twilio_status,
    OnboardingController,
    SimulatedStripeController,
    TopUpController,
    HostStatementController,
    stripe_webhook,
    ProgrammeController,
    AssetBidApi,
    ServiceBidApi,
    GrantApi,
    OpenDataController,
    RoundController,
    admin_rounds,
    ledger_index,
    pool_ledger,
]


def create_app(settings: Settings | None = None, *, run_scheduler: bool | None = None) -> Litestar:
    settings = settings or load_settings()
    scheduler_wanted = settings.scheduler_enabled if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start()
        runner = None
        if scheduler_wanted:
            runner = SchedulerRunner(settings)
            runner.start()
        app.state.scheduler = runner
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            await db.stop()

    template_config = TemplateConfig(
        directory=TEMPLATES,
        engine=JinjaTemplateEngine,
        engine_callback=templating.configure(settings),
    )
    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            create_static_files_router(path="/static", directories=[STATIC], name="static"),
        ],
        template_config=template_config,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_httponly=False,
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        ),
        middleware=[PrincipalMiddleware()],
        before_send=[security_headers(hsts=settings.is_production)],
        exception_handlers={Exception: handle_exception},
        openapi_config=OpenAPIConfig(
            title="Groundswell API",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        lifespan=[lifespan],
        state=State({"settings": settings, "scheduler": None}),
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            log_exceptions="debug",
        ),
        debug=False,
    )


logging.getLogger("piccolo").setLevel(logging.WARNING)
