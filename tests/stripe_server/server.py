"""A local Stripe-compatible HTTP server for tests: localstripe plus what it lacks.

localstripe (customers, payment methods, payment intents, refunds, events, webhooks ...) is
reused as is; this module adds, in our own code:

* Connect: ``/v1/accounts``, ``/v1/account_links``, ``/v1/accounts/{id}/login_links`` and a
  local onboarding page (``/_connect/onboard/{acct}``);
* transfers and transfer reversals (``/v1/transfers``, ``/v1/transfers/{id}/reversals``);
* Checkout Sessions in payment mode (``/v1/checkout/sessions``) and a local payment page
  (``/_checkout/{cs}``);
* Stripe's idempotency semantics (``Idempotency-Key``) for every POST;
* test-only controls under ``/_config/`` (complete onboarding, complete a checkout session,
  platform balance, counters, clearing idempotency keys, removing webhooks);
* a private store path (or none) and a 127.0.0.1-only listener.

Events for the new objects are localstripe ``Event`` objects, so ``GET /v1/events`` lists them
and localstripe's webhook machinery delivers them signed (``stripe.Webhook.construct_event``
verifies them).

Run: ``python -m tests.stripe_server --port 0 [--store PATH] [--verbose]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import hmac
import html
import json
import logging
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from localstripe import server as ls_server
from localstripe import webhooks as ls_webhooks
from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Event,
    PaymentIntent,
    PaymentMethod,
    Store,
    StripeObject,
    random_id,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

log = logging.getLogger("stripe_server")

READY_PREFIX = "STRIPE_SERVER_READY"
HOST = "127.0.0.1"

# --------------------------------------------------------------------------------------
# Store: a private pickle path (or no persistence at all) instead of /tmp/localstripe.pickle
# --------------------------------------------------------------------------------------

_store_path: Path | None = None


def _load_store(self: Store) -> None:
    if _store_path is None or not _store_path.exists():
        return
    with _store_path.open("rb") as f:
        old = pickle.load(f)  # our own file, written by _dump_store
    self.clear()
    self.update(old)


def _dump_store(self: Store) -> None:
    if _store_path is None:
        return
    fd, tmp = tempfile.mkstemp(dir=_store_path.parent, prefix=_store_path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _store_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def configure_store(path: str | os.PathLike[str] | None) -> None:
    """Point localstripe's store at ``path`` (None: keep everything in memory only)."""
    global _store_path
    _store_path = Path(path).resolve() if path else None
    if _store_path is not None:
        _store_path.parent.mkdir(parents=True, exist_ok=True)
    Store.try_load_from_disk = _load_store  # type: ignore[method-assign]
    Store.dump_to_disk = _dump_store  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------
# Errors with Stripe's shape
# --------------------------------------------------------------------------------------


class StripeError(UserError):
    """``{"error": {"type", "message", "code"?, "param"?}}`` with an HTTP status.

    ``executed`` says whether the endpoint had started executing (business-rule failure) or
    the request was rejected while validating parameters: only the former is saved for an
    idempotency key, as Stripe documents.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        executed: bool = False,
    ) -> None:
        contents: dict[str, Any] = {}
        if code:
            contents["code"] = code
        if param:
            contents["param"] = param
        super().__init__(status, message, contents)
        self.body["error"]["type"] = type
        self.executed = executed


def _invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code or "parameter_invalid")


def _missing(kind: str, id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{id}'", code="resource_missing", param=param)


class _Params:
    """Validates decoded form parameters the way Stripe reports problems."""

    def __init__(self, data: Any, allowed: Iterable[str]) -> None:
        self.data: dict[str, Any] = dict(data or {})
        self.expand = self.data.pop("expand", None)
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            raise StripeError(
                400,
                f"Received unknown parameter: {unknown[0]}",
                param=unknown[0],
                code="parameter_unknown",
            )

    def has(self, name: str) -> bool:
        return name in self.data

    def str(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
        default: Any = None,
    ) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise StripeError(
                    400,
                    f"Missing required param: {name}.",
                    param=name,
                    code="parameter_missing",
                )
            return default
        if not isinstance(value, str):
            raise _invalid(f"Invalid string: {value!r}", name)
        if choices is not None and value not in set(choices):
            allowed = ", ".join(sorted(choices))
            raise _invalid(f"Invalid {name}: must be one of {allowed}", name)
        return value

    def int(self, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise StripeError(
                    400,
                    f"Missing required param: {name}.",
                    param=name,
                    code="parameter_missing",
                )
            return None
        converted = try_convert_to_int(value)
        if not isinstance(converted, int) or isinstance(converted, bool):
            raise _invalid(f"Invalid integer: {value}", name)
        if minimum is not None and converted < minimum:
            raise _invalid(f"Invalid {name}: must be at least {minimum}", name)
        return converted

    def bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        converted = try_convert_to_bool(value)
        if not isinstance(converted, bool):
            raise _invalid(f"Invalid boolean: {value}", name)
        return converted

    def dict(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise _invalid(f"Invalid object: {name}", name)
        return value

    def list(self, name: str) -> list[Any] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, dict):  # {"0": ..} left over by a sparse encoding
            value = [value[k] for k in sorted(value, key=lambda k: int(k) if k.isdigit() else 0)]
        if not isinstance(value, list):
            raise _invalid(f"Invalid array: {name}", name)
        return value

    def metadata(self, name: str = "metadata") -> dict[str, str] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise _invalid("Invalid object: metadata", name)
        if len(value) > 50:
            raise _invalid("Metadata can have at most 50 keys", name)
        for k, v in value.items():
            if not isinstance(v, str):
                raise _invalid(f"Invalid metadata value for {k}", f"{name}[{k}]")
            if len(k) > 40:
                raise _invalid("Metadata keys must be at most 40 characters", f"{name}[{k}]")
            if len(v) > 500:
                raise _invalid("Metadata values must be at most 500 characters", f"{name}[{k}]")
        return value


def _merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's metadata update: merge keys; an empty value removes a key."""
    merged = dict(current)
    if update is None:
        return merged
    if update == {}:
        return {}
    for k, v in update.items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------


def emit(
    type_: str,
    obj: StripeObject,
    *,
    previous: dict[str, Any] | None = None,
    account: str | None = None,
) -> Event:
    """Record a localstripe Event (a snapshot of ``obj``) and deliver it to the webhooks."""
    event = Event(type_, obj)
    event.data = copy.deepcopy(event.data)
    if previous is not None:
        event.data["previous_attributes"] = copy.deepcopy(previous)
    if account is not None:
        event.account = account
    schedule_webhook(event)
    return event


WEBHOOK_DELAY = 0.5  # seconds before the first delivery attempt (localstripe waits 1 s)
WEBHOOK_RETRY_DELAYS = (0.5, 2.0)  # then retries after a failure, like Stripe (but brief)


def _send_webhook(event: Event) -> Any:
    """Replaces localstripe's sender (``schedule_webhook`` calls it when an event is made).

    The payload and the endpoints are taken when the event is created (localstripe iterated
    the live registry after its delay, so adding or removing an endpoint meanwhile crashed
    delivery, and events made before an endpoint existed reached it); a failed delivery is
    retried twice. The signature is localstripe's/Stripe's: ``t=<created>,v1=<hmac>``.
    """
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
    targets = [
        (name, hook.url, hook.secret)
        for name, hook in list(ls_webhooks._webhooks.items())
        if hook.events is None or event.type in hook.events
    ]
    return _deliver(event.type, event.created, payload, targets)


async def _deliver(
    event_type: str, created: int, payload: bytes, targets: list[tuple[str, str, str]]
) -> None:
    if not targets:
        return
    await asyncio.sleep(WEBHOOK_DELAY)
    signed = b"%d.%s" % (created, payload)
    async with aiohttp.ClientSession() as session:
        for name, url, secret in targets:
            signature = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": f"t={created},v1={signature}",
            }
            for delay in (*WEBHOOK_RETRY_DELAYS, None):
                try:
                    async with session.post(url, data=payload, headers=headers) as r:
                        if 200 <= r.status < 300:
                            log.info("webhook %s: %s delivered", name, event_type)
                            break
                        log.info("webhook %s: %s got HTTP %d", name, event_type, r.status)
                except (aiohttp.ClientError, OSError) as e:
                    log.info("webhook %s: %s failed: %s", name, event_type, e)
                if delay is None or name not in ls_webhooks._webhooks:
                    break
                await asyncio.sleep(delay)


_original_event_list = Event._api_list_all.__func__  # type: ignore[attr-defined]


def _event_list_newest_first(cls: type[Event], url: str, **kwargs: Any) -> Any:
    li = _original_event_list(cls, url, **kwargs)
    li._list.reverse()  # Stripe lists events newest first
    return li


# --------------------------------------------------------------------------------------
# Lists with Stripe's pagination
# --------------------------------------------------------------------------------------


def _objects(object_name: str) -> list[Any]:
    """All stored objects of one kind, newest first (store order is creation order)."""
    prefix = object_name + ":"
    return [v for k, v in reversed(list(store.items())) if k.startswith(prefix)]


def _created_filter(created: Any) -> Callable[[Any], bool]:
    if created is None or created == "":
        return lambda obj: True
    if not isinstance(created, dict):
        value = try_convert_to_int(created)
        if not isinstance(value, int):
            raise _invalid(f"Invalid integer: {created}", "created")
        return lambda obj: obj.created == value
    bounds = {}
    for op in ("gt", "gte", "lt", "lte"):
        if op in created:
            value = try_convert_to_int(created[op])
            if not isinstance(value, int):
                raise _invalid(f"Invalid integer: {created[op]}", f"created[{op}]")
            bounds[op] = value
    extra = set(created) - set(bounds)
    if extra:
        raise _invalid(f"Received unknown parameter: created[{sorted(extra)[0]}]", "created")

    def f(obj: Any) -> bool:
        c = obj.created
        return (
            ("gt" not in bounds or c > bounds["gt"])
            and ("gte" not in bounds or c >= bounds["gte"])
            and ("lt" not in bounds or c < bounds["lt"])
            and ("lte" not in bounds or c <= bounds["lte"])
        )

    return f


def _paginate(
    url: str,
    items: list[Any],
    params: _Params,
    kind: str,
    predicate: Callable[[Any], bool] = lambda obj: True,
    export: Callable[[Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    limit = params.int("limit")
    if limit is None:
        limit = 10
    if not 1 <= limit <= 100:
        raise _invalid("Invalid limit: must be between 1 and 100", "limit")
    starting_after = params.str("starting_after")
    ending_before = params.str("ending_before")
    created = _created_filter(params.data.get("created"))
    ids = [getattr(o, "id", None) for o in items]
    if starting_after is not None:
        if starting_after not in ids:
            raise _missing(kind, starting_after, "starting_after")
        window = items[ids.index(starting_after) + 1 :]
        matching = [o for o in window if predicate(o) and created(o)]
        page, has_more = matching[:limit], len(matching) > limit
    elif ending_before is not None:
        if ending_before not in ids:
            raise _missing(kind, ending_before, "ending_before")
        window = items[: ids.index(ending_before)]
        matching = [o for o in window if predicate(o) and created(o)]
        page, has_more = matching[-limit:], len(matching) > limit
    else:
        matching = [o for o in items if predicate(o) and created(o)]
        page, has_more = matching[:limit], len(matching) > limit
    exporter = export or (lambda o: o._export(expand=_nested_expand(params.expand)))
    return {"object": "list", "data": [exporter(o) for o in page], "has_more": has_more, "url": url}


def _nested_expand(expand: Any) -> list[str] | None:
    """``expand[]=data.destination`` on a list applies ``destination`` to each item."""
    if not expand:
        return None
    if not isinstance(expand, list):
        raise _invalid("Invalid array: expand", "expand")
    return [e[len("data.") :] for e in expand if isinstance(e, str) and e.startswith("data.")]


# --------------------------------------------------------------------------------------
# Connect: accounts, account links, login links
# --------------------------------------------------------------------------------------

_COUNTRY_CURRENCY = {
    "GB": "gbp",
    "US": "usd",
    "CA": "cad",
    "AU": "aud",
    "NZ": "nzd",
    "JP": "jpy",
    "CH": "chf",
    "SE": "sek",
    "NO": "nok",
    "DK": "dkk",
    "PL": "pln",
    "SG": "sgd",
    "HK": "hkd",
    "MX": "mxn",
}
_ONBOARDING_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


def _requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    _create_params = (
        "type",
        "country",
        "email",
        "capabilities",
        "metadata",
        "business_type",
        "business_profile",
        "default_currency",
        "settings",
        "tos_acceptance",
        "controller",
        "individual",
        "company",
    )
    _update_params = (
        "email",
        "capabilities",
        "metadata",
        "business_type",
        "business_profile",
        "default_currency",
        "settings",
        "tos_acceptance",
        "individual",
        "company",
    )

    def __init__(self, params: _Params) -> None:
        controller = params.dict("controller")
        type_ = params.str(
            "type", required=controller is None, choices=("express", "standard", "custom")
        )
        country = (params.str("country") or "GB").upper()
        if len(country) != 2:
            raise _invalid(f"Country '{country}' is unknown.", "country")
        email = params.str("email")
        capabilities = _parse_capabilities(params)
        if type_ in ("express", "custom") and not capabilities:
            raise StripeError(
                400,
                f"{type_.capitalize()} accounts must request at least one capability "
                "(for example capabilities[transfers][requested]=true).",
                param="capabilities",
            )
        metadata = params.metadata() or {}
        business_type = params.str(
            "business_type",
            choices=("company", "government_entity", "individual", "non_profit"),
        )
        business_profile = params.dict("business_profile") or {}
        default_currency = params.str("default_currency") or _COUNTRY_CURRENCY.get(country, "eur")
        settings = params.dict("settings") or {}
        tos = params.dict("tos_acceptance") or {}
        params.dict("individual")
        params.dict("company")

        super().__init__(id="acct_" + random_id(16))

        self.type = type_ or "none"
        self.country = country
        self.email = email
        self.metadata = {k: v for k, v in metadata.items() if v != ""}
        self.business_type = business_type
        self.business_profile = {
            "mcc": None,
            "name": None,
            "product_description": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
            **business_profile,
        }
        self.default_currency = default_currency.lower()
        self.settings = {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 7, "interval": "daily"},
                "statement_descriptor": None,
            },
            **settings,
        }
        self.tos_acceptance = {"date": None, "ip": None, "user_agent": None, **tos}
        self.controller = controller or {
            "type": "application",
            "is_controller": True,
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": type_ or "none"},
        }
        self.capabilities = {name: "inactive" for name in capabilities}
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = _requirements(_ONBOARDING_REQUIREMENTS, "requirements.past_due")
        self.future_requirements = _requirements([], None)
        self._external_accounts: list[dict[str, Any]] = []

    @property
    def external_accounts(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": copy.deepcopy(self._external_accounts),
            "has_more": False,
            "total_count": len(self._external_accounts),
            "url": f"/v1/accounts/{self.id}/external_accounts",
        }

    def _snapshot(self, keys: Iterable[str]) -> dict[str, Any]:
        return {k: copy.deepcopy(getattr(self, k)) for k in keys}

    def _set_onboarded(self, onboarded: bool) -> dict[str, Any] | None:
        """Complete (or restrict) onboarding; returns previous_attributes, None if no change."""
        keys = (
            "capabilities",
            "charges_enabled",
            "details_submitted",
            "payouts_enabled",
            "requirements",
            "tos_acceptance",
        )
        before = self._snapshot(keys)
        if onboarded:
            self.details_submitted = True
            self.charges_enabled = "card_payments" in self.capabilities
            self.payouts_enabled = True
            self.capabilities = {name: "active" for name in self.capabilities}
            self.requirements = _requirements([], None)
            if not self.tos_acceptance.get("date"):
                self.tos_acceptance = {
                    "date": int(time.time()),
                    "ip": "127.0.0.1",
                    "user_agent": "stripe_server",
                }
            if not self._external_accounts:
                self._external_accounts = [
                    {
                        "id": "ba_" + random_id(24),
                        "object": "bank_account",
                        "account": self.id,
                        "account_holder_name": None,
                        "account_holder_type": None,
                        "bank_name": "STRIPE TEST BANK",
                        "country": self.country,
                        "currency": self.default_currency,
                        "default_for_currency": True,
                        "fingerprint": random_id(16),
                        "last4": "2345",
                        "metadata": {},
                        "routing_number": "108800",
                        "status": "new",
                    }
                ]
        else:
            self.charges_enabled = False
            self.payouts_enabled = False
            self.capabilities = {name: "inactive" for name in self.capabilities}
            self.requirements = _requirements(["external_account"], "requirements.past_due")
        changed = {k: v for k, v in before.items() if getattr(self, k) != v}
        return changed or None

    def _transfers_active(self) -> bool:
        return self.capabilities.get("transfers") == "active" or (
            self.type == "standard" and self.payouts_enabled
        )


def _parse_capabilities(params: _Params) -> list[str]:
    caps = params.dict("capabilities") or {}
    requested = []
    for name, spec in caps.items():
        if not isinstance(spec, dict) or "requested" not in spec:
            raise _invalid(
                f"Invalid capabilities[{name}]: expected requested=true|false",
                f"capabilities[{name}]",
            )
        flag = try_convert_to_bool(spec["requested"])
        if not isinstance(flag, bool):
            raise _invalid(
                f"Invalid boolean: {spec['requested']}", f"capabilities[{name}][requested]"
            )
        if flag:
            requested.append(name)
    return requested


def _get_account(id: str, param: str = "id") -> Account:
    obj = store.get("account:" + id)
    if obj is None:
        raise _missing("account", id, param)
    return obj


def _complete_onboarding(account: Account) -> None:
    previous = account._set_onboarded(True)
    if previous is not None:
        emit("account.updated", account, previous=previous, account=account.id)
    store.dump_to_disk()


async def create_account(request: web.Request) -> web.Response:
    params = _Params(await _post_data(request), Account._create_params)
    account = Account(params)
    return _json(account._export(expand=params.expand))


async def retrieve_account(request: web.Request) -> web.Response:
    params = _Params(_query(request), ())
    return _json(_get_account(request.match_info["id"])._export(expand=params.expand))


async def update_account(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    params = _Params(await _post_data(request), Account._update_params)
    before = account._snapshot(
        (
            "email",
            "metadata",
            "business_type",
            "business_profile",
            "default_currency",
            "settings",
            "tos_acceptance",
            "capabilities",
        )
    )
    email = params.str("email")
    metadata = params.metadata()
    business_type = params.str("business_type")
    business_profile = params.dict("business_profile")
    default_currency = params.str("default_currency")
    settings = params.dict("settings")
    tos = params.dict("tos_acceptance")
    new_caps = _parse_capabilities(params)
    if email is not None:
        account.email = email
    if metadata is not None:
        account.metadata = _merge_metadata(account.metadata, metadata)
    if business_type is not None:
        account.business_type = business_type
    if business_profile:
        account.business_profile = {**account.business_profile, **business_profile}
    if default_currency is not None:
        account.default_currency = default_currency.lower()
    if settings:
        account.settings = {**account.settings, **settings}
    if tos:
        account.tos_acceptance = {**account.tos_acceptance, **tos}
    if new_caps:
        status = "active" if account.details_submitted and account.payouts_enabled else "inactive"
        account.capabilities = {
            **account.capabilities,
            **{c: status for c in new_caps if c not in account.capabilities},
        }
    previous = {k: v for k, v in before.items() if getattr(account, k) != v}
    if previous:
        emit("account.updated", account, previous=previous, account=account.id)
    return _json(account._export(expand=params.expand))


async def delete_account(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    del store["account:" + account.id]
    return _json({"id": account.id, "object": "account", "deleted": True})


async def list_accounts(request: web.Request) -> web.Response:
    params = _Params(_query(request), ("limit", "starting_after", "ending_before", "created"))
    return _json(_paginate("/v1/accounts", _objects("account"), params, "account"))


_LINK_PREFIX = "_account_link:"
_LINK_TTL = 300


async def create_account_link(request: web.Request) -> web.Response:
    params = _Params(
        await _post_data(request),
        ("account", "refresh_url", "return_url", "type", "collect", "collection_options"),
    )
    account_id = params.str("account", required=True)
    refresh_url = params.str("refresh_url", required=True)
    return_url = params.str("return_url", required=True)
    link_type = params.str("type", required=True, choices=("account_onboarding", "account_update"))
    account = _get_account(account_id, "account")
    token = random_id(24)
    now = int(time.time())
    store[_LINK_PREFIX + token] = {
        "account": account.id,
        "expires_at": now + _LINK_TTL,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": link_type,
        "used": False,
    }
    query = urlencode({"link": token, "return_url": return_url, "refresh_url": refresh_url})
    return _json(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + _LINK_TTL,
            "url": f"{_base_url(request)}/_connect/onboard/{account.id}?{query}",
        }
    )


async def create_login_link(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    _Params(await _post_data(request), ())
    if not account.details_submitted:
        raise StripeError(
            400,
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
            executed=True,
        )
    return _json(
        {
            "object": "login_link",
            "created": int(time.time()),
            "url": f"{_base_url(request)}/_connect/dashboard/{account.id}",
        }
    )


async def onboarding_page(request: web.Request) -> web.Response:
    """What the hosted onboarding does once the user has finished: auto-complete, redirect.

    With ``link=<token>`` (as in account-link URLs) the link is single use and expires after
    five minutes; an expired or used link redirects to ``refresh_url`` without completing.
    """
    account = _get_account(request.match_info["id"])
    token = request.query.get("link")
    return_url = request.query.get("return_url")
    if token:
        link = store.get(_LINK_PREFIX + token)
        if link is None or link["account"] != account.id:
            raise StripeError(404, "This account link is invalid.", code="resource_missing")
        if link["used"] or link["expires_at"] < time.time():
            return _redirect(link["refresh_url"])
        store[_LINK_PREFIX + token] = {**link, "used": True}
        return_url = link["return_url"]
    _complete_onboarding(account)
    if return_url:
        return _redirect(return_url)
    return _page(
        "Onboarding complete",
        f"<p>Account <code>{html.escape(account.id)}</code> "
        "is onboarded: payouts and transfers are enabled.</p>",
    )


async def dashboard_page(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    return _page("Express dashboard", f"<p>Account <code>{html.escape(account.id)}</code>.</p>")


async def config_complete_onboarding(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    _complete_onboarding(account)
    return _json(account._export())


async def config_restrict_account(request: web.Request) -> web.Response:
    account = _get_account(request.match_info["id"])
    previous = account._set_onboarded(False)
    if previous is not None:
        emit("account.updated", account, previous=previous, account=account.id)
    return _json(account._export())


# --------------------------------------------------------------------------------------
# Platform balance (optional, test-controlled)
# --------------------------------------------------------------------------------------

_BALANCE_KEY = "_platform_balance"


def _balance() -> dict[str, Any]:
    return copy.deepcopy(store.get(_BALANCE_KEY) or {"enforce": False, "available": {}})


def _balance_add(currency: str, amount: int) -> None:
    state = _balance()
    if not state["enforce"]:
        return
    state["available"][currency] = state["available"].get(currency, 0) + amount
    store[_BALANCE_KEY] = state


async def config_get_balance(request: web.Request) -> web.Response:
    return _json(_balance())


# Until a test sets the balance, transfers never fail for want of money: the balance reads
# as this much in every currency seen, consistently with that.
UNTRACKED_BALANCE = 10**12


async def retrieve_balance(request: web.Request) -> web.Response:
    """GET /v1/balance in Stripe's shape (lists of {amount, currency}; localstripe's differs)."""
    state = _balance()
    amounts = (
        state["available"]
        if state["enforce"]
        else {currency: UNTRACKED_BALANCE for currency in ("gbp", "eur", "usd")}
    )
    entries = [
        {"amount": amount, "currency": currency, "source_types": {"card": amount}}
        for currency, amount in sorted(amounts.items())
    ]
    return _json(
        {
            "object": "balance",
            "livemode": False,
            "available": entries,
            "pending": [
                {"amount": 0, "currency": e["currency"], "source_types": {"card": 0}}
                for e in entries
            ],
        }
    )


async def config_set_balance(request: web.Request) -> web.Response:
    params = _Params(await _post_data(request), ("available", "enforce"))
    available = params.dict("available") or {}
    state = _balance()
    for currency, amount in available.items():
        value = try_convert_to_int(amount)
        if not isinstance(value, int):
            raise _invalid(f"Invalid integer: {amount}", f"available[{currency}]")
        state["available"][currency.lower()] = value
    state["enforce"] = params.bool("enforce", default=True)
    store[_BALANCE_KEY] = state
    return _json(state)


# --------------------------------------------------------------------------------------
# Transfers and reversals
# --------------------------------------------------------------------------------------


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        description: str | None,
        metadata: dict[str, str],
        transfer_group: str | None,
        source_transaction: str | None,
        source_type: str,
    ) -> None:
        super().__init__(id="tr_" + random_id(24))
        self.amount = amount
        self.amount_reversed = 0
        self.balance_transaction = "txn_" + random_id(24)
        self.currency = currency
        self.description = description
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.metadata = metadata
        self.reversed = False
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group

    @property
    def reversals(self) -> dict[str, Any]:
        items = [r for r in _objects("transfer_reversal") if r.transfer == self.id]
        return {
            "object": "list",
            "data": [r._export() for r in items[:10]],
            "has_more": len(items) > 10,
            "total_count": len(items),
            "url": f"/v1/transfers/{self.id}/reversals",
        }


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(
        self,
        *,
        transfer: Transfer,
        amount: int,
        metadata: dict[str, str],
        description: str | None,
    ) -> None:
        super().__init__(id="trr_" + random_id(24))
        self.amount = amount
        self.balance_transaction = "txn_" + random_id(24)
        self.currency = transfer.currency
        self.description = description
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer.id


def _get_transfer(id: str, param: str = "id") -> Transfer:
    obj = store.get("transfer:" + id)
    if obj is None:
        raise _missing("transfer", id, param)
    return obj


async def create_transfer(request: web.Request) -> web.Response:
    params = _Params(
        await _post_data(request),
        (
            "amount",
            "currency",
            "destination",
            "description",
            "metadata",
            "transfer_group",
            "source_transaction",
            "source_type",
        ),
    )
    amount = params.int("amount", required=True, minimum=1)
    currency = params.str("currency", required=True).lower()
    destination = params.str("destination", required=True)
    description = params.str("description")
    metadata = params.metadata() or {}
    transfer_group = params.str("transfer_group")
    source_transaction = params.str("source_transaction")
    source_type = params.str("source_type", choices=("bank_account", "card", "fpx"), default="card")
    assert amount is not None

    # From here the endpoint is "executing": errors are saved for an idempotency key.
    account = store.get("account:" + destination)
    if account is None:
        raise StripeError(
            400,
            f"No such destination: '{destination}'",
            param="destination",
            code="resource_missing",
            executed=True,
        )
    if not account._transfers_active():
        raise StripeError(
            400,
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            param="destination",
            code="insufficient_capabilities_for_transfer",
            executed=True,
        )
    if source_transaction is not None:
        if store.get("charge:" + source_transaction) is None:
            raise StripeError(
                400,
                f"No such charge: '{source_transaction}'",
                param="source_transaction",
                code="resource_missing",
                executed=True,
            )
    else:
        state = _balance()
        if state["enforce"]:
            available = state["available"].get(currency, 0)
            if available < amount:
                raise StripeError(
                    400,
                    "You have insufficient available funds in your Stripe account. Try adding "
                    "funds directly to your available balance by creating Charges using the "
                    "4000000000000077 test card. See: "
                    "https://stripe.com/docs/testing#available-balance",
                    code="balance_insufficient",
                    executed=True,
                )
            _balance_add(currency, -amount)
    transfer = Transfer(
        amount=amount,
        currency=currency,
        destination=account.id,
        description=description,
        metadata={k: v for k, v in metadata.items() if v != ""},
        transfer_group=transfer_group,
        source_transaction=source_transaction,
        source_type=source_type,
    )
    emit("transfer.created", transfer)
    return _json(transfer._export(expand=params.expand))


async def retrieve_transfer(request: web.Request) -> web.Response:
    params = _Params(_query(request), ())
    return _json(_get_transfer(request.match_info["id"])._export(expand=params.expand))


async def update_transfer(request: web.Request) -> web.Response:
    transfer = _get_transfer(request.match_info["id"])
    params = _Params(await _post_data(request), ("description", "metadata"))
    before = {"description": transfer.description, "metadata": dict(transfer.metadata)}
    description = params.str("description")
    metadata = params.metadata()
    if description is not None:
        transfer.description = description
    if metadata is not None:
        transfer.metadata = _merge_metadata(transfer.metadata, metadata)
    previous = {k: v for k, v in before.items() if getattr(transfer, k) != v}
    if previous:
        emit("transfer.updated", transfer, previous=previous)
    return _json(transfer._export(expand=params.expand))


async def list_transfers(request: web.Request) -> web.Response:
    params = _Params(
        _query(request),
        ("limit", "starting_after", "ending_before", "created", "destination", "transfer_group"),
    )
    destination = params.str("destination")
    group = params.str("transfer_group")

    def keep(t: Transfer) -> bool:
        return (destination is None or t.destination == destination) and (
            group is None or t.transfer_group == group
        )

    return _json(_paginate("/v1/transfers", _objects("transfer"), params, "transfer", keep))


async def create_reversal(request: web.Request) -> web.Response:
    transfer = _get_transfer(request.match_info["id"])
    params = _Params(
        await _post_data(request),
        ("amount", "description", "metadata", "refund_application_fee"),
    )
    amount = params.int("amount", minimum=1)
    description = params.str("description")
    metadata = params.metadata() or {}
    params.bool("refund_application_fee")
    remaining = transfer.amount - transfer.amount_reversed
    if remaining <= 0:
        raise StripeError(
            400, f"Transfer {transfer.id} has already been fully reversed.", executed=True
        )
    if amount is None:
        amount = remaining
    if amount > remaining:
        raise StripeError(
            400,
            f"You cannot reverse {amount} from transfer {transfer.id}: only {remaining} "
            "remains to be reversed.",
            param="amount",
            executed=True,
        )
    previous = {"amount_reversed": transfer.amount_reversed, "reversed": transfer.reversed}
    reversal = TransferReversal(
        transfer=transfer,
        amount=amount,
        metadata={k: v for k, v in metadata.items() if v != ""},
        description=description,
    )
    transfer.amount_reversed += amount
    transfer.reversed = transfer.amount_reversed >= transfer.amount
    if transfer.source_transaction is None:
        _balance_add(transfer.currency, amount)
    emit("transfer.reversed", transfer, previous=previous)
    return _json(reversal._export(expand=params.expand))


async def list_reversals(request: web.Request) -> web.Response:
    transfer = _get_transfer(request.match_info["id"])
    params = _Params(_query(request), ("limit", "starting_after", "ending_before"))
    items = [r for r in _objects("transfer_reversal") if r.transfer == transfer.id]
    return _json(
        _paginate(f"/v1/transfers/{transfer.id}/reversals", items, params, "transfer_reversal")
    )


async def retrieve_reversal(request: web.Request) -> web.Response:
    transfer = _get_transfer(request.match_info["id"])
    params = _Params(_query(request), ())
    reversal = store.get("transfer_reversal:" + request.match_info["rid"])
    if reversal is None or reversal.transfer != transfer.id:
        raise _missing("transfer_reversal", request.match_info["rid"])
    return _json(reversal._export(expand=params.expand))


async def config_transfer_count(request: web.Request) -> web.Response:
    destination = request.query.get("destination")
    group = request.query.get("transfer_group")
    transfers = [
        t
        for t in _objects("transfer")
        if (destination is None or t.destination == destination)
        and (group is None or t.transfer_group == group)
    ]
    return _json(
        {
            "count": len(transfers),
            "amount": sum(t.amount for t in transfers),
            "amount_reversed": sum(t.amount_reversed for t in transfers),
        }
    )


# --------------------------------------------------------------------------------------
# Checkout Sessions (mode=payment with price_data)
# --------------------------------------------------------------------------------------

_MINIMUM_CHARGE = {"usd": 50, "gbp": 30, "eur": 50, "cad": 50, "aud": 50, "chf": 50}
_ZERO_DECIMAL = {
    "jpy",
    "krw",
    "vnd",
    "clp",
    "pyg",
    "ugx",
    "xaf",
    "xof",
    "bif",
    "djf",
    "gnf",
    "kmf",
    "mga",
    "rwf",
    "vuv",
    "xpf",
}
_SESSION_TTL = 24 * 3600


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    _create_params = (
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "metadata",
        "client_reference_id",
        "customer_email",
        "customer",
        "payment_intent_data",
        "payment_method_types",
        "submit_type",
        "expires_at",
        "locale",
        "billing_address_collection",
        "currency",
        "customer_creation",
        "allow_promotion_codes",
    )

    def __init__(self, params: _Params, base_url: str) -> None:
        params.str("mode", required=True, choices=("payment", "setup", "subscription"))
        if params.data["mode"] != "payment":
            raise _invalid("stripe_server only supports mode=payment", "mode")
        items = params.list("line_items")
        if not items:
            raise StripeError(
                400,
                "Missing required param: line_items.",
                param="line_items",
                code="parameter_missing",
            )
        line_items, currency = _parse_line_items(items)
        explicit_currency = params.str("currency")
        if explicit_currency and explicit_currency.lower() != currency:
            raise _invalid("currency does not match the line items' currency", "currency")
        total = sum(li["amount_total"] for li in line_items)
        minimum = _MINIMUM_CHARGE.get(currency, 50 if currency not in _ZERO_DECIMAL else 1)
        if total < minimum:
            raise _invalid(
                f"The Checkout Session's total amount due must add up to at least "
                f"{_format_amount(minimum, currency)}",
                "line_items",
            )
        success_url = params.str("success_url")
        cancel_url = params.str("cancel_url")
        metadata = params.metadata() or {}
        client_reference_id = params.str("client_reference_id")
        customer_email = params.str("customer_email")
        customer = params.str("customer")
        if customer is not None and store.get("customer:" + customer) is None:
            raise _missing("customer", customer, "customer")
        pi_data = params.dict("payment_intent_data") or {}
        unknown = set(pi_data) - {
            "metadata",
            "transfer_group",
            "description",
            "statement_descriptor",
            "receipt_email",
            "capture_method",
            "setup_future_usage",
        }
        if unknown:
            name = sorted(unknown)[0]
            raise StripeError(
                400,
                f"Received unknown parameter: payment_intent_data[{name}]",
                param=f"payment_intent_data[{name}]",
                code="parameter_unknown",
            )
        expires_at = params.int("expires_at")
        params.list("payment_method_types")
        params.str("submit_type")
        params.str("locale")
        params.str("billing_address_collection")
        params.str("customer_creation")
        params.bool("allow_promotion_codes")

        super().__init__(id="cs_test_" + random_id(40))
        self.mode = "payment"
        self.status = "open"
        self.payment_status = "unpaid"
        self.amount_subtotal = total
        self.amount_total = total
        self.currency = currency
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.metadata = {k: v for k, v in metadata.items() if v != ""}
        self.client_reference_id = client_reference_id
        self.customer = customer
        self.customer_email = customer_email
        self.customer_details = None
        self.customer_creation = "if_required"
        self.payment_intent = None
        self.payment_method_types = ["card"]
        self.expires_at = expires_at or self.created + _SESSION_TTL
        self.url = f"{base_url}/_checkout/{self.id}"
        self.total_details = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        self._line_items = line_items
        self._payment_intent_data = copy.deepcopy(pi_data)

    def _line_items_list(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": copy.deepcopy(self._line_items),
            "has_more": False,
            "url": f"/v1/checkout/sessions/{self.id}/line_items",
        }

    def _complete(self, email: str | None = None) -> None:
        if self.status == "complete":
            return
        if self.status != "open":
            raise StripeError(
                400,
                f"This Checkout Session is {self.status} and can no longer be paid.",
                executed=True,
            )
        pi_data = self._payment_intent_data
        pm = PaymentMethod(
            type="card",
            card={
                "number": "4242424242424242",
                "exp_month": "12",
                "exp_year": "2034",
                "cvc": "123",
            },
            billing_details={"email": email or self.customer_email},
        )
        pi = PaymentIntent(
            amount=self.amount_total,
            currency=self.currency,
            customer=self.customer,
            payment_method=pm.id,
            metadata=dict(pi_data.get("metadata") or {}),
        )
        pi.transfer_group = pi_data.get("transfer_group")
        pi.description = pi_data.get("description")
        pi._confirm(on_failure_now=pi._report_failure)
        if isinstance(pi.latest_charge, Charge):
            pi.latest_charge.transfer_group = pi.transfer_group
        self.status = "complete"
        self.payment_status = "paid"
        self.payment_intent = pi.id
        self.customer_details = {
            "address": None,
            "email": email or self.customer_email,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        self.url = None
        _balance_add(self.currency, self.amount_total)
        emit("checkout.session.completed", self)
        store.dump_to_disk()


def _parse_line_items(items: list[Any]) -> tuple[list[dict[str, Any]], str]:
    parsed = []
    currencies = set()
    for i, item in enumerate(items):
        p = f"line_items[{i}]"
        if not isinstance(item, dict):
            raise _invalid(f"Invalid object: {p}", p)
        if "price" in item:
            raise _invalid(
                "stripe_server does not implement Prices: use line_items[][price_data]",
                f"{p}[price]",
            )
        unknown = set(item) - {"price_data", "quantity", "adjustable_quantity"}
        if unknown:
            name = sorted(unknown)[0]
            raise StripeError(
                400,
                f"Received unknown parameter: {p}[{name}]",
                param=f"{p}[{name}]",
                code="parameter_unknown",
            )
        price_data = item.get("price_data")
        if not isinstance(price_data, dict):
            raise StripeError(
                400,
                f"Missing required param: {p}[price_data].",
                param=f"{p}[price_data]",
                code="parameter_missing",
            )
        currency = price_data.get("currency")
        if not isinstance(currency, str) or not currency:
            raise StripeError(
                400,
                f"Missing required param: {p}[price_data][currency].",
                param=f"{p}[price_data][currency]",
                code="parameter_missing",
            )
        unit_amount = try_convert_to_int(price_data.get("unit_amount"))
        if not isinstance(unit_amount, int) or unit_amount < 0:
            raise _invalid(f"Invalid {p}[price_data][unit_amount]", f"{p}[price_data][unit_amount]")
        product_data = price_data.get("product_data")
        if "product" in price_data:
            raise _invalid(
                "stripe_server does not implement Products for price_data: use product_data",
                f"{p}[price_data][product]",
            )
        if not isinstance(product_data, dict) or not product_data.get("name"):
            raise StripeError(
                400,
                f"Missing required param: {p}[price_data][product_data][name].",
                param=f"{p}[price_data][product_data][name]",
                code="parameter_missing",
            )
        quantity = try_convert_to_int(item.get("quantity"))
        if not isinstance(quantity, int) or quantity < 1:
            raise StripeError(
                400,
                f"Missing required param: {p}[quantity].",
                param=f"{p}[quantity]",
                code="parameter_missing",
            )
        currency = currency.lower()
        currencies.add(currency)
        amount = unit_amount * quantity
        parsed.append(
            {
                "id": "li_" + random_id(24),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": currency,
                "description": product_data["name"],
                "price": {
                    "id": "price_" + random_id(24),
                    "object": "price",
                    "active": False,
                    "currency": currency,
                    "metadata": {},
                    "product": "prod_" + random_id(14),
                    "type": "one_time",
                    "unit_amount": unit_amount,
                },
                "quantity": quantity,
            }
        )
    if len(currencies) != 1:
        raise _invalid("All line items must use the same currency", "line_items")
    return parsed, currencies.pop()


def _get_session(id: str) -> CheckoutSession:
    obj = store.get("checkout.session:" + id)
    if obj is None:
        raise _missing("checkout.session", id)
    return obj


def _export_session(session: CheckoutSession, expand: Any) -> dict[str, Any]:
    if expand and not isinstance(expand, list):
        raise _invalid("Invalid array: expand", "expand")
    expand = list(expand or [])
    want_items = "line_items" in expand
    expand = [e for e in expand if e != "line_items"]
    if session.payment_intent is None:
        expand = [e for e in expand if not e.startswith("payment_intent")]
    data = session._export(expand=expand)
    if want_items:
        data["line_items"] = session._line_items_list()
    return data


async def create_checkout_session(request: web.Request) -> web.Response:
    params = _Params(await _post_data(request), CheckoutSession._create_params)
    session = CheckoutSession(params, _base_url(request))
    return _json(_export_session(session, params.expand))


async def retrieve_checkout_session(request: web.Request) -> web.Response:
    params = _Params(_query(request), ())
    return _json(_export_session(_get_session(request.match_info["id"]), params.expand))


async def list_checkout_sessions(request: web.Request) -> web.Response:
    params = _Params(
        _query(request),
        (
            "limit",
            "starting_after",
            "ending_before",
            "created",
            "payment_intent",
            "status",
            "customer",
        ),
    )
    pi = params.str("payment_intent")
    status = params.str("status", choices=("open", "complete", "expired"))
    customer = params.str("customer")

    def keep(s: CheckoutSession) -> bool:
        return (
            (pi is None or s.payment_intent == pi)
            and (status is None or s.status == status)
            and (customer is None or s.customer == customer)
        )

    return _json(
        _paginate(
            "/v1/checkout/sessions",
            _objects("checkout.session"),
            params,
            "checkout.session",
            keep,
            export=lambda s: _export_session(s, _nested_expand(params.expand)),
        )
    )


async def checkout_session_line_items(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    _Params(_query(request), ("limit", "starting_after", "ending_before"))
    return _json(session._line_items_list())


async def expire_checkout_session(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    params = _Params(await _post_data(request), ())
    if session.status != "open":
        raise StripeError(
            400,
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f'This Checkout Session has a status of "{session.status}".',
            executed=True,
        )
    session.status = "expired"
    session.url = None
    emit("checkout.session.expired", session)
    return _json(_export_session(session, params.expand))


async def config_complete_checkout_session(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    params = _Params(await _post_data(request), ("email",))
    session._complete(email=params.str("email"))
    return _json(_export_session(session, params.expand))


async def checkout_page(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    rows = "".join(
        f"<tr><td>{html.escape(li['description'])}</td><td>{li['quantity']}</td>"
        f"<td>{_format_amount(li['amount_total'], li['currency'])}</td></tr>"
        for li in session._line_items
    )
    total = _format_amount(session.amount_total, session.currency)
    if session.status == "open":
        action = f"/_checkout/{html.escape(session.id)}/pay"
        email = html.escape(session.customer_email or "")
        form = (
            f'<form method="post" action="{action}">'
            f'<label>Email <input type="email" name="email" value="{email}"></label> '
            f'<button type="submit" name="pay" value="1">Pay {total}</button></form>'
        )
        if session.cancel_url:
            form += f'<p><a href="{html.escape(session.cancel_url)}">Cancel</a></p>'
    else:
        form = f"<p>This session is {html.escape(session.status)}.</p>"
    body = (
        f"<table><thead><tr><th>Item</th><th>Qty</th><th>Amount</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p>Total: <strong>{total}</strong></p>{form}"
    )
    return _page("Checkout (test)", body)


async def checkout_pay(request: web.Request) -> web.Response:
    session = _get_session(request.match_info["id"])
    form = await request.post()
    email = form.get("email") or None
    session._complete(email=email if isinstance(email, str) else None)
    if session.success_url:
        return _redirect(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))
    paid = _format_amount(session.amount_total, session.currency)
    return _page("Payment complete", f"<p>Paid {paid}.</p>")


def _format_amount(amount: int, currency: str) -> str:
    if currency in _ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:.2f} {currency.upper()}"


# --------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------

_IDEM_PREFIX = "_idempotency:"
IDEMPOTENCY_TTL = 24 * 3600
_in_flight: set[str] = set()


def _fingerprint(request: web.Request, body: bytes) -> str:
    query = sorted(parse_qsl(request.query_string, keep_blank_values=True))
    if request.content_type == "application/json" and body:
        try:
            canonical: Any = json.loads(body)
        except ValueError:
            canonical = body.decode("utf-8", "replace")
    else:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        canonical = sorted(pairs, key=lambda kv: kv[0])  # stable: keeps list order per key
    return json.dumps([query, canonical], sort_keys=True)


async def _run_handler(request: web.Request, handler: Any) -> tuple[web.StreamResponse, bool]:
    """Run the endpoint; return (response, whether Stripe would save it for a key)."""
    try:
        return await handler(request), True
    except StripeError as e:
        return e.to_response(), e.executed
    except UserError as e:  # localstripe's own: its 400s are parameter validation
        return e.to_response(), e.code not in (400, 401)
    except web.HTTPException:
        raise
    except Exception:
        log.error(
            "unhandled error in %s %s\n%s", request.method, request.path, traceback.format_exc()
        )
        body = {"error": {"type": "api_error", "message": "stripe_server internal error"}}
        return ls_server.json_response(body, status=500), True


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return (await _run_handler(request, handler))[0]
    if not key or len(key) > 255:
        raise StripeError(400, "Idempotency keys must be between 1 and 255 characters long.")
    scope = request.headers.get("Stripe-Account", "")
    store_key = f"{_IDEM_PREFIX}{scope}:{key}"
    endpoint = f"{request.method} {request.path}"
    fingerprint = _fingerprint(request, await request.read())
    record = store.get(store_key)
    if record is not None and time.time() - record["created"] > IDEMPOTENCY_TTL:
        del store[store_key]
        record = None
    if record is not None:
        if record["endpoint"] != endpoint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{record['endpoint']}' vs '{endpoint}'). Try using a "
                f"key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        if record["fingerprint"] != fingerprint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        headers = {
            "Content-Type": record["content_type"],
            "Idempotency-Key": key,
            "Idempotent-Replayed": "true",
            "Original-Request": record["request_id"],
        }
        if record.get("location"):
            headers["Location"] = record["location"]
        return web.Response(status=record["status"], body=record["body"], headers=headers)
    if store_key in _in_flight:
        raise StripeError(
            409,
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            code="idempotency_key_in_use",
        )
    _in_flight.add(store_key)
    try:
        response, cacheable = await _run_handler(request, handler)
        if cacheable and isinstance(response, web.Response) and isinstance(response.body, bytes):
            store[store_key] = {
                "body": response.body,
                "content_type": response.headers.get("Content-Type", "application/json"),
                "created": time.time(),
                "endpoint": endpoint,
                "fingerprint": fingerprint,
                "location": response.headers.get("Location"),
                "request_id": request.get("request_id", ""),
                "status": response.status,
            }
        response.headers["Idempotency-Key"] = key
        return response
    finally:
        _in_flight.discard(store_key)


async def config_clear_idempotency(request: web.Request) -> web.Response:
    for k in [k for k in store if k.startswith(_IDEM_PREFIX)]:
        del store[k]
    return web.Response()


# --------------------------------------------------------------------------------------
# Misc config routes, helpers, app
# --------------------------------------------------------------------------------------


async def config_delete_webhook(request: web.Request) -> web.Response:
    ls_webhooks._webhooks.pop(request.match_info["id"], None)
    return web.Response()


async def config_health(request: web.Request) -> web.Response:
    return _json({"ok": True, "store": str(_store_path) if _store_path else None})


def _json(data: Any, status: int = 200) -> web.Response:
    return ls_server.json_response(data, status=status)


def _redirect(url: str) -> web.Response:
    return web.Response(status=303, headers={"Location": url})


def _page(title: str, body: str) -> web.Response:
    doc = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=doc, content_type="text/html")


def _base_url(request: web.Request) -> str:
    return str(request.url.origin())


def _query(request: web.Request) -> dict[str, Any]:
    return ls_server.unflatten_data(request.query) or {}


async def _post_data(request: web.Request) -> dict[str, Any]:
    data = await ls_server.get_post_data(request)
    return dict(data) if data else {}


_PUBLIC_PREFIXES = ("/_connect/", "/_checkout/")


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith(_PUBLIC_PREFIXES):
        return await handler(request)
    return await ls_server.auth_middleware(request, handler)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    request["request_id"] = "req_" + random_id(14)
    try:
        response = await handler(request)
    except UserError as e:
        response = e.to_response()
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as e:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). "
            "stripe_server does not implement this route."
        )
        response = _json(
            {"error": {"type": "invalid_request_error", "message": message}}, status=e.status
        )
    response.headers["Request-Id"] = request["request_id"]
    return response


_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/accounts", create_account),
    ("GET", "/v1/accounts", list_accounts),
    ("GET", "/v1/accounts/{id}", retrieve_account),
    ("POST", "/v1/accounts/{id}", update_account),
    ("DELETE", "/v1/accounts/{id}", delete_account),
    ("POST", "/v1/accounts/{id}/login_links", create_login_link),
    ("POST", "/v1/account_links", create_account_link),
    ("POST", "/v1/transfers", create_transfer),
    ("GET", "/v1/transfers", list_transfers),
    ("GET", "/v1/transfers/{id}", retrieve_transfer),
    ("POST", "/v1/transfers/{id}", update_transfer),
    ("POST", "/v1/transfers/{id}/reversals", create_reversal),
    ("GET", "/v1/transfers/{id}/reversals", list_reversals),
    ("GET", "/v1/transfers/{id}/reversals/{rid}", retrieve_reversal),
    ("POST", "/v1/checkout/sessions", create_checkout_session),
    ("GET", "/v1/checkout/sessions", list_checkout_sessions),
    ("GET", "/v1/checkout/sessions/{id}", retrieve_checkout_session),
    ("GET", "/v1/checkout/sessions/{id}/line_items", checkout_session_line_items),
    ("POST", "/v1/checkout/sessions/{id}/expire", expire_checkout_session),
    ("GET", "/_connect/onboard/{id}", onboarding_page),
    ("GET", "/_connect/dashboard/{id}", dashboard_page),
    ("GET", "/_checkout/{id}", checkout_page),
    ("POST", "/_checkout/{id}/pay", checkout_pay),
    ("POST", "/_config/accounts/{id}/complete_onboarding", config_complete_onboarding),
    ("POST", "/_config/accounts/{id}/restrict", config_restrict_account),
    ("POST", "/_config/checkout/sessions/{id}/complete", config_complete_checkout_session),
    ("GET", "/_config/transfers/count", config_transfer_count),
    ("GET", "/v1/balance", retrieve_balance),
    ("GET", "/_config/balance", config_get_balance),
    ("POST", "/_config/balance", config_set_balance),
    ("DELETE", "/_config/idempotency", config_clear_idempotency),
    ("DELETE", "/_config/webhooks/{id}", config_delete_webhook),
    ("GET", "/_config/health", config_health),
]


def create_app(store_path: str | os.PathLike[str] | None = None) -> web.Application:
    """localstripe's routes plus ours, behind our middlewares (one store per process)."""
    configure_store(store_path)
    Event._api_list_all = classmethod(_event_list_newest_first)  # type: ignore[assignment]
    ls_webhooks._send_webhook = _send_webhook
    app = web.Application(
        middlewares=[
            error_middleware,
            auth_middleware,
            idempotency_middleware,
            ls_server.save_store_middleware,
        ]
    )
    for method, path, handler in _ROUTES:
        app.router.add_route(method, path, handler)
    for route in ls_server.app.router.routes():
        path = route.resource.canonical if route.resource is not None else None
        if path is not None:
            app.router.add_route(route.method, path, route.handler)
    app.on_response_prepare.append(ls_server.add_cors_headers)
    return app


async def serve(port: int, store_path: str | None, verbose: bool) -> None:
    app = create_app(store_path)
    store.try_load_from_disk()  # no-op without a store path
    access_log = logging.getLogger("aiohttp.access") if verbose else None
    runner = web.AppRunner(app, access_log=access_log, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    bound_port = runner.addresses[0][1]
    print(f"{READY_PREFIX} http://{HOST}:{bound_port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.stripe_server",
        description="Local Stripe-compatible server (localstripe + Connect, transfers, "
        "Checkout, idempotency). Listens on 127.0.0.1 only.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8420,
        help="port on 127.0.0.1 (0: pick a free one; see the ready line)",
    )
    parser.add_argument(
        "--store", default=None, help="pickle file to persist state in (default: memory only)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.store, args.verbose))
