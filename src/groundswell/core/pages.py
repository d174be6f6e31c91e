"""Helpers for HTML controllers: reading forms and rendering pages with their context."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.response import Template

from groundswell.core.errors import DomainError
from groundswell.core.text import without_control_characters


async def read_form(request: Request[Any, Any, Any], *multi: str) -> dict[str, Any]:
    """The posted form as a dict; fields named in `multi` keep every value as a list."""
    form = await request.form()
    # Only text: a field sent as a file upload counts as not given, and characters nobody
    # types (NUL, which PostgreSQL refuses, among them) are dropped before anything reads it.
    data: dict[str, Any] = {
        key: without_control_characters(value)
        for key in form
        if isinstance(value := form.get(key), str)
    }
    for key in multi:
        values = form.getall(key) if key in form else []
        data[key] = [without_control_characters(v) for v in values if isinstance(v, str)]
    data.pop("_csrf_token", None)
    return data


def render(template: str, status_code: int = 200, **context: Any) -> Template:
    # Always HTML: a handler annotated `-> Any` (redirect or page) would otherwise send the
    # page as application/json, which a browser shows as text.
    return Template(template, context=context, status_code=status_code, media_type=MediaType.HTML)


def render_form_error(
    template: str, error: DomainError, values: dict[str, Any], **context: Any
) -> Template:
    """Re-render a form with what was typed and a message per field (status 422)."""
    return render(
        template,
        status_code=error.status_code if error.status_code != 400 else 422,
        values=values,
        errors=error.field_errors,
        form_error=error.detail,
        **context,
    )


def is_htmx_partial(request: Request[Any, Any, Any]) -> bool:
    """An htmx request wants only the results; a history restore wants the whole page."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    )
