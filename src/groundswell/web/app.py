"""create_app(settings) → the Litestar application: plugins, templates, routes, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from groundswell import __version__, db
from groundswell.accounts import sessions as accounts
from groundswell.accounts import tokens
from groundswell.accounts.controllers import (
    LoginController,
    SetPasswordController,
    TokenController,
)
from groundswell.allocation.api import RoundApi
from groundswell.allocation.controllers import RoundController, admin_rounds
from groundswell.community.poster_controllers import OrganiserPrintController
from groundswell.core.csrf import SessionBoundCSRFMiddleware
from groundswell.core.flash import clear_taken_flash
from groundswell.core.headers import security_headers
from groundswell.core.logs import RequestIdMiddleware, configure_logging
from groundswell.core.web import SESSION_COOKIE, PrincipalMiddleware, handle_exception
from groundswell.exports.controllers import OpenDataController
from groundswell.funders.api import PoolApi
from groundswell.ledger.controllers import CorrectionController
from groundswell.lessons.controllers import LessonController, lessons_csv
from groundswell.listening.controllers import ListenController, listen_csv
from groundswell.outbox.webhooks import twilio_status
from groundswell.payments.controllers import (
    HostStatementController,
    OnboardingController,
    SimulatedStripeController,
    admin_reconciliation,
    stripe_connect_webhook,
    stripe_webhook,
)
from groundswell.payments.deposit_controllers import DepositReconciliationController
from groundswell.payments.return_controllers import ReturnAdminController, ReturnRequestController
from groundswell.programme.api import AssetBidApi, GrantApi, ServiceBidApi
from groundswell.programme.controllers import ProgrammeController
from groundswell.programme.evidence_controllers import EvidencePackController
from groundswell.programme.group_controllers import GroupController
from groundswell.scheduler import SchedulerRunner
from groundswell.settings import Environment, Settings, load_settings
from groundswell.vouching.controllers import (
    ModerationController,
    MyVoiceController,
    OutboxController,
    ReportController,
    VouchController,
)
from groundswell.vouching.webhooks import twilio_sms
from groundswell.web import about, templating
from groundswell.web.account import ForgottenPasswordController
from groundswell.web.cofunders import CofunderController, funder_shares_csv
from groundswell.web.community import (
    HostController,
    LocalityController,
    OrganiserController,
)
from groundswell.web.community_api import LocalityApi, OrganiserApi
from groundswell.web.home import dashboard, health, home
from groundswell.web.language import LanguageMiddleware
from groundswell.web.ledger import ledger_index, pool_ledger
from groundswell.web.metrics import RequestMetricsMiddleware, metrics_page
from groundswell.web.organiser_manage import OrganiserManageController
from groundswell.web.pools import FunderController, PoolController, TopUpController
from groundswell.web.users import UserAdminController

# Paths that are signed by their sender instead of carrying a CSRF token; /api takes
# Bearer tokens only (never cookies), so a cross-site form cannot act with a user's session.
CSRF_EXEMPT = [
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/stripe",
    "/webhooks/stripe/connect",
    "/api/",
]

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    home,
    *about.ROUTES,
    dashboard,
    health,
    metrics_page,
    LoginController,
    SetPasswordController,
    ForgottenPasswordController,
    TokenController,
    UserAdminController,
    FunderController,
    PoolController,
    CofunderController,
    funder_shares_csv,
    LocalityController,
    HostController,
    OrganiserController,
    OrganiserPrintController,
    OrganiserManageController,
    ListenController,
    listen_csv,
    LessonController,
    lessons_csv,
    OrganiserApi,
    LocalityApi,
    PoolApi,
    RoundApi,
    VouchController,
    MyVoiceController,
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
    stripe_connect_webhook,
    admin_reconciliation,
    ProgrammeController,
    GroupController,
    EvidencePackController,
    AssetBidApi,
    ServiceBidApi,
    GrantApi,
    OpenDataController,
    RoundController,
    admin_rounds,
    ledger_index,
    pool_ledger,
    CorrectionController,
    ReturnRequestController,
    ReturnAdminController,
    DepositReconciliationController,
]


def create_app(settings: Settings | None = None, *, run_scheduler: bool | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    scheduler_wanted = settings.scheduler_enabled if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start()
        if settings.env is not Environment.TEST:
            # Each test builds its own app; compiling all of them there would only be slower.
            templating.precompile(app.template_engine)  # type: ignore[arg-type]
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
        directory=templating.TEMPLATES,
        engine=JinjaTemplateEngine,
        engine_callback=templating.configure(settings),
    )
    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            create_static_files_router(
                path="/static", directories=[templating.STATIC], name="static"
            ),
        ],
        template_config=template_config,
        middleware=[
            RequestIdMiddleware(),
            RequestMetricsMiddleware(),
            LanguageMiddleware(secure=settings.secure_cookies),
            # CSRF tokens bound to the session (or a pre-session id), not just to a cookie.
            SessionBoundCSRFMiddleware(
                secret=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                exempt=CSRF_EXEMPT,
                secure=settings.secure_cookies,
            ),
            PrincipalMiddleware(
                for_session=accounts.principal_for_session,
                for_api_token=tokens.principal_for_api_token,
            ),
        ],
        before_send=[
            security_headers(hsts=settings.is_production),
            clear_taken_flash(secure=settings.secure_cookies),
        ],
        exception_handlers={Exception: handle_exception},
        openapi_config=OpenAPIConfig(
            title="Groundswell API",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        lifespan=[lifespan],
        state=State({"settings": settings, "scheduler": None}),
        # core/logs.py sets up logging for every process (create_app, above).
        logging_config=None,
        debug=False,
    )
