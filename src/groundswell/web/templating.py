"""Where templates and static files are, and the Jinja filters and globals every template shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from litestar.plugins.jinja import JinjaTemplateEngine

from groundswell import __version__
from groundswell.allocation.explain import format_score
from groundswell.allocation.states import allocation_state_label, round_status_label
from groundswell.core.clock import on_uk_clocks
from groundswell.core.flash import take_flash
from groundswell.core.i18n import N_, current_lang, gettext, ngettext, pgettext
from groundswell.core.money import CURRENCY_SYMBOLS, format_money
from groundswell.core.text import plain_number
from groundswell.funders.states import PAIRWISE_M_HINT, SCORE_HINT, SCORE_LABELS, score_label
from groundswell.ledger.states import account_kind_label, transaction_kind_label
from groundswell.settings import Environment, Settings
from groundswell.vouching.moderation import flag_label
from groundswell.web.language import is_resident_page, page_language, switch_url

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
STATIC = Path(__file__).resolve().parents[1] / "static"


def _date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = on_uk_clocks(value)
        if with_time:
            return value.strftime("%-d %b %Y, %H:%M %Z")  # 8 Sep 2026, 07:00 BST
    return value.strftime("%-d %b %Y")


def _long_date(value: date | datetime) -> str:
    """ "8 September 2026" in the page's language ("8 Medi 2026" in Welsh)."""
    if isinstance(value, datetime):
        value = on_uk_clocks(value)
    return format_date(value, "d MMMM y", locale=current_lang())


# What the error summary calls a field when its form does not say (the labels the forms
# use, shortened where two forms label the same name differently).
FIELD_LABELS = {
    "address": "Address",
    "amount": "Amount (£)",
    "bursary_end": "Bursary year ends",
    "bursary_start": "Bursary year starts",
    "cap_amount": "Cap (£)",
    "code": N_("6-digit code"),
    "show_public": N_("Anyone may read my words on the public page"),
    "show_funders": N_("Signed-in funders may read my words"),
    "description": "Description",
    "display_name": N_("Your first name"),
    "email": "E-mail address",
    "floor_amount": "Floor (£)",
    "half_life_days": "A voice counts half after (days)",
    "locality_id": "Place",
    "locality_ids": "Places this pool listens to",
    "local_authority": "Local authority",
    "min_endorsers": "Residents needed",
    "name": "Name",
    "neighbourhood": N_("Your neighbourhood"),
    "org_id": "Organisation identifier",
    "pairwise_m": "Pairwise M",
    "password": "Password",
    "phone": N_("Your mobile number"),
    "postcode": "Postcode",
    "received_on": "Received on",
    "reference": "Bank reference",
    "review_days": "Review window (days)",
    "round_budget": "Budget for each round (£)",
    "score": N_("How likely you are to tell a neighbour"),
    "score_method": "Scoring",
    "testimony": N_("In your own words"),
    "theme": N_("This is mostly about"),
    "window_days": "Count voices from the last (days)",
}


def field_label(name: str, labels: dict[str, str] | None = None) -> str:
    """A field's name for the error summary: the form's own label, a shared one, or the
    name in words."""
    if labels and name in labels:
        return labels[name]
    label = FIELD_LABELS.get(name)
    return gettext(label) if label else name.replace("_", " ").capitalize()


def configure(settings: Settings) -> Callable[[JinjaTemplateEngine], None]:
    def callback(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.autoescape = True
        # Residents' pages in Welsh or English (web/language.py picks, core/i18n.py reads
        # the catalogue): `_("...")` in a template is the English text and the msgid.
        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext, ngettext, newstyle=True, pgettext=pgettext
        )
        env.globals["page_language"] = page_language
        env.globals["current_lang"] = current_lang
        env.globals["is_resident_page"] = is_resident_page
        env.globals["switch_url"] = switch_url
        # Outside development a template never changes while a worker runs: no stat() of
        # every template, its base and its includes on each render to see whether it did.
        env.auto_reload = settings.env is Environment.DEVELOPMENT
        env.filters["money"] = lambda minor, currency="GBP": (
            "—" if minor is None else format_money(int(minor), currency)
        )
        env.filters["date"] = _date
        env.filters["long_date"] = _long_date
        env.filters["currency_symbol"] = lambda code: CURRENCY_SYMBOLS.get(str(code), str(code))
        env.filters["score_label"] = score_label
        env.filters["score"] = format_score
        env.filters["flag_label"] = flag_label
        env.filters["transaction_kind"] = transaction_kind_label
        env.filters["account_kind"] = account_kind_label
        env.filters["round_status"] = round_status_label
        env.filters["allocation_state"] = allocation_state_label
        env.filters["number"] = plain_number
        env.globals["field_label"] = field_label
        env.globals["take_flash"] = take_flash
        env.globals["score_options"] = list(SCORE_LABELS.items())
        env.globals["score_hint"] = SCORE_HINT
        env.globals["pairwise_m_hint"] = PAIRWISE_M_HINT
        env.globals["version"] = __version__
        env.globals["environment"] = settings.env.value
        env.globals["htmx_available"] = _htmx_present()
        env.globals["payments_simulated"] = not settings.stripe_api_key
        env.globals["simulation_notice"] = settings.simulation_notice

    return callback


def precompile(engine: JinjaTemplateEngine) -> int:
    """Compile every template once, at start-up, so no reader's request waits for one
    (a worker's first /listen otherwise compiled the page, its base and its includes).
    Returns how many were compiled."""
    env = engine.engine
    names = [name for name in env.list_templates() if name.endswith(".html")]
    for name in names:
        env.get_template(name)
    return len(names)


def _htmx_present() -> bool:
    return (STATIC / "vendor" / "htmx.min.js").exists()
