"""Security headers on every response, including the router's own 404s and 405s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

# No inline script anywhere: htmx and our own JS come from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_POLICY = ((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),)
_HSTS = ((b"strict-transport-security", b"max-age=63072000; includeSubDomains"),)


def security_headers(*, hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: Litestar runs it for every response, routed or not."""
    everywhere = _ALWAYS + (_HSTS if hsts else ())
    with_policy = _POLICY + everywhere

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # The raw header list, read once: this runs on every response, and a lookup per
        # header (MutableScopeHeaders) scanned the list each time.
        headers: list[tuple[bytes, bytes]] = list(message.get("headers") or ())
        present = {name.lower() for name, _ in headers}
        # The interactive API docs load their own script; every other page gets the policy.
        wanted = everywhere if scope["path"].startswith("/schema") else with_policy
        headers.extend(header for header in wanted if header[0] not in present)
        if scope.get("user") is not None:
            # Someone is signed in (session or API token): what they see is theirs alone.
            # Keyed on the principal, not on routes, so a page added later is covered too;
            # a shared computer's back button and any cache in between keep nothing.
            headers = [header for header in headers if header[0].lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers

    return before_send
