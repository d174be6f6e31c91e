"""Web plumbing shared by every module: who is asking, guards, errors, rendering."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import MediaType, ScopeType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Receive, Scope, Send

from groundswell.core.client_address import client_address, trusted_networks
from groundswell.core.errors import DomainError

# The error page shows these in the resident's language (templates/errors/page.html).
from groundswell.core.i18n import N_, gettext
from groundswell.core.ids import MAX_ROW_ID
from groundswell.core.logs import REQUEST_ID
from groundswell.core.principal import Principal, Role
from groundswell.settings import Settings

log = logging.getLogger("groundswell.web")

SESSION_COOKIE = "gs_session"

# A route handler's opt key for endpoints only machines call (signed webhooks): the
# browser middlewares (language, CSRF, session and token lookup) skip them entirely.
MACHINE_CALLER = "machine_caller"

# Row ids are PostgreSQL `serial` (32-bit): anything outside is refused before any query.
RowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID)]
PROBLEM_JSON = "application/problem+json"
READS = frozenset({"GET", "HEAD", "OPTIONS"})  # what a read-only API token may do


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


def client_address_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address, believing X-Forwarded-For only from GROUNDSWELL_TRUSTED_PROXIES
    (core/client_address.py). Every rate limit and source signal asks here."""
    client = connection.scope.get("client")
    return client_address(
        client[0] if client else None,
        connection.headers.getall("x-forwarded-for", []),
        trusted_networks(settings_of(connection).trusted_proxies),
    )


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return connection.scope.get("user")


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal on a route whose guards already require one."""
    principal = principal_of(connection)
    if principal is None:
        raise NotAuthorizedException("Sign in to continue.")
    return principal


SessionResolver = Callable[[Settings, str], Awaitable[Principal | None]]
TokenResolver = Callable[[str], Awaitable[Principal | None]]


class PrincipalMiddleware(ASGIMiddleware):
    """Puts the signed-in user (session cookie or Bearer API token) in scope["user"], or None.

    The app factory hands it the accounts package's resolvers, so the ground floor never
    imports the floor that keeps users."""

    scopes = (ScopeType.HTTP,)
    # Stylesheets and scripts need no user: no session lookup on every asset request.
    exclude_path_pattern = ("^/static/",)
    exclude_opt_key = MACHINE_CALLER

    def __init__(self, *, for_session: SessionResolver, for_api_token: TokenResolver) -> None:
        self._for_session = for_session
        self._for_api_token = for_api_token

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        principal: Principal | None = None
        authorization = connection.headers.get("authorization", "")
        if scope["path"].startswith("/api/"):
            # The API takes tokens only: cookies would need CSRF protection there too.
            if authorization.lower().startswith("bearer "):
                principal = await self._for_api_token(authorization[7:].strip())
            method = scope.get("method", "GET")
            if principal is not None and principal.read_only and method not in READS:
                # Refused here, before any handler: a route added later is covered too.
                response = problem(
                    403, "Not allowed", "This API token is read-only: it may only read (GET)."
                )
                await response.to_asgi_response(app=None, request=Request(scope))(
                    scope, receive, send
                )
                return
        elif token := connection.cookies.get(SESSION_COOKIE):
            principal = await self._for_session(settings_of(connection), token)
        scope["user"] = principal
        await next_app(scope, receive, send)


# Guards are coroutines: Litestar hands a plain function guard to a worker thread on every
# request (sync_to_thread), which cost /listen about 4% of its time for a dictionary lookup.
async def requires_login(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if principal_of(connection) is None:
        raise NotAuthorizedException("Sign in to continue.")


def requires_role(
    *roles: Role,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        principal = principal_of(connection)
        if principal is None:
            raise NotAuthorizedException("Sign in to continue.")
        if principal.role not in roles:
            raise PermissionDeniedException("Your account does not have access to this page.")

    guard.__name__ = f"requires_{'_or_'.join(r.value for r in roles)}"
    return guard


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(("/api/", "/webhooks/", "/health")) or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", "")
    )


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[Any]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def error_page(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, reference: str = ""
) -> Response[Any]:
    return Template(
        "errors/page.html",
        context={
            "status": status,
            # In the resident's language where the catalogue has them (marked N_ here); a
            # detail a service already translated, or one it has not, is left as it is.
            "title": gettext(title),
            "detail": gettext(detail),
            "request": request,
            "reference": reference,
            # No "this page in Welsh" link: it would echo whatever address was asked for,
            # so a guess that exists and one that does not would get different pages.
            "language_switch": False,
        },
        status_code=status,
        media_type=MediaType.HTML,
    )


_TITLES = {
    400: N_("Bad request"),
    401: N_("Sign in needed"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    422: N_("Validation failed"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Unavailable"),
}


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    extra: dict[str, Any]
    reference = ""
    if isinstance(exc, DomainError):
        status, detail = exc.status_code, exc.detail
        extra = {"errors": exc.field_errors} if exc.field_errors else {}
    elif isinstance(exc, ValidationException):
        status, detail = 422, "The request body or parameters are not valid."
        extra = {"errors": _validation_errors(exc)}
    elif isinstance(exc, HTTPException):
        status, detail, extra = exc.status_code, str(exc.detail), {}
        if "CSRF" in detail:
            status, detail = (
                403,
                N_(
                    "This form has expired or was not sent from Groundswell. Go back, reload the "
                    "page and try again."
                ),
            )
    else:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        status, detail, extra = (
            HTTP_500_INTERNAL_SERVER_ERROR,
            N_("Something went wrong on our side. Nothing was changed; please try again."),
            {},
        )
        # The id on this failure's log lines, for the person to quote (core/logs.py).
        reference = REQUEST_ID.get()
        extra["request_id"] = reference
    title = _TITLES.get(status, "Error")
    if isinstance(exc, NotFoundException) and not isinstance(exc, DomainError):
        detail = N_("There is nothing at this address.")
    if wants_json(request):
        return problem(status, title, detail, **extra)
    if status == 401:
        return Redirect(f"/login?next={quote(request.url.path)}")
    return error_page(request, status, title, detail, reference=reference)


def _validation_errors(exc: ValidationException) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors[str(item.get("key") or item.get("source") or "body")] = str(
                item.get("message", "invalid")
            )
    return errors
