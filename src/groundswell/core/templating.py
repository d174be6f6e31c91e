"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from litestar.plugins.jinja import JinjaTemplateEngine

from groundswell import __version__
from groundswell.core.money import format_money
from groundswell.settings import Settings


def _date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime) and with_time:
        return value.strftime("%-d %b %Y, %H:%M UTC")
    return value.strftime("%-d %b %Y")


def configure(settings: Settings) -> Callable[[JinjaTemplateEngine], None]:
    def callback(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.autoescape = True
        env.filters["money"] = lambda minor, currency="GBP": (
            "—" if minor is None else format_money(int(minor), currency)
        )
        env.filters["date"] = _date
        env.globals["version"] = __version__
        env.globals["environment"] = settings.env.value
        env.globals["htmx_available"] = _htmx_present()
        env.globals["payments_simulated"] = not settings.stripe_api_key

    return callback


def _htmx_present() -> bool:
    from groundswell.app import STATIC

    return (STATIC / "vendor" / "htmx.min.js").exists()
