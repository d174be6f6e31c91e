"""Security headers on every response, including the router's own 404s and 405s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# No inline script anywhere: htmx and our own JS come from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: Litestar runs it for every response, routed or not."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        # The interactive API docs load their own script; every other page gets the policy.
        if not scope["path"].startswith("/schema"):
            headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("referrer-policy", "same-origin")
        headers.setdefault("x-frame-options", "DENY")
        if scope.get("user") is not None:
            # Someone is signed in (session or API token): what they see is theirs alone.
            # Keyed on the principal, not on routes, so a page added later is covered too;
            # a shared computer's back button and any cache in between keep nothing.
            headers["cache-control"] = "no-store"
        if hsts:
            headers.setdefault("strict-transport-security", "max-age=63072000; includeSubDomains")

    return before_send
