"""A local Twilio-compatible HTTP server for tests: the Messages API and its status callbacks.

What it implements, as Twilio does (https://www.twilio.com/docs/messaging/api/message-resource):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth (the account
  SID and its auth token), form parameters ``To``, ``Body``, ``From`` or
  ``MessagingServiceSid``, optional ``StatusCallback``; answers 201 with a Message resource
  (``sid`` ``SM`` + 32 hex, ``status`` ``queued``, or ``accepted`` through a Messaging
  Service), or Twilio's error JSON ``{"code", "message", "more_info", "status"}``:
  20003 (401, bad credentials), 21211 (invalid To), 21212 (invalid From), 21602 (no Body),
  21603 (neither From nor MessagingServiceSid), 21617 (Body over 1,600 characters),
  21701 (invalid Messaging Service SID), and Twilio's magic test numbers
  (+15005550001 → 21211, +15005550002 → 21612, +15005550003 → 21408, +15005550004 → 21610,
  +15005550009 → 21614).
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json``: the message as it stands.
* Status callbacks: for a message with a ``StatusCallback``, form posts of ``MessageSid``,
  ``SmsSid``, ``MessageStatus``, ``SmsStatus``, ``AccountSid``, ``From``, ``To``,
  ``ApiVersion`` (and ``MessagingServiceSid``, ``ErrorCode`` where they apply) for
  queued → sent → delivered, or → undelivered / failed with an ``ErrorCode``, each signed
  with ``X-Twilio-Signature`` exactly as Twilio signs (the SDK's ``RequestValidator`` over the
  callback URL and the parameters, keyed with the account's auth token).

Test-only controls under ``/_config/`` (JSON):

* ``POST /_config/accounts`` ``{"sid", "token"}``: an account that may send.
* ``POST /_config/fail_next`` ``{"status", "code", "message"?, "count"?}``: the next
  ``count`` (default 1) message creations answer this error (e.g. 429/20429, 503/20500).
* ``POST /_config/fates`` ``{"fates": [{"fate": "delivered" | "undelivered" | "failed" |
  "sent" | "none", "error_code"?: 30003}, ...]}``: what happens to the next messages
  (default: delivered). ``sent`` stops at sent (no final report); ``none`` sends no report.
* ``POST /_config/callbacks`` ``{"mode": "record" | "deliver", "forward_to"?: base URL}``:
  ``record`` (default) keeps signed callbacks for the test to fetch and post itself (the app
  under test is often in-process); ``deliver`` posts them, to ``forward_to`` + the callback
  URL's path if given (as a proxy would), the signature still over the callback URL.
* ``GET /_config/callbacks`` lists them (``{"url", "params", "signature", "delivered"}``);
  ``POST /_config/callbacks/take`` lists and forgets the recorded ones.
* ``POST /_config/messages/{Sid}/status`` ``{"status", "error_code"?}``: emit one more
  callback (a late or repeated report).
* ``GET /_config/messages``: every message (``to`` masked: only the last two digits).
* ``DELETE /_config/data``: forget messages, callbacks, scripted failures and fates.

It never logs a phone number or a message body. Run:
``python -m tests.twilio_server --port 0 [--account SID:TOKEN ...] [--verbose]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import logging
import re
import secrets
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

log = logging.getLogger("twilio_server")

READY_PREFIX = "TWILIO_SERVER_READY"
HOST = "127.0.0.1"
API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")
# https://www.twilio.com/docs/messaging/tutorials/automate-testing (test credentials)
MAGIC_TO = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: {to}, is not currently reachable."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
FINAL_FATES = {"delivered", "undelivered", "failed"}


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def _mask(number: str) -> str:
    return "…" + number[-2:] if len(number) > 2 else "…"


@dataclass
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    date_created: str = field(default_factory=_now)
    date_updated: str = field(default_factory=_now)
    date_sent: str | None = None
    error_code: int | None = None

    def resource(self) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": self.date_created,
            "date_sent": self.date_sent,
            "date_updated": self.date_updated,
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(self.body) // 153))),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        }


@dataclass
class Callback:
    url: str
    params: dict[str, str]
    signature: str
    delivered: int | None = None  # the HTTP status our POST got, in deliver mode


@dataclass
class State:
    accounts: dict[str, str] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    failures: deque[dict[str, Any]] = field(default_factory=deque)
    fates: deque[dict[str, Any]] = field(default_factory=deque)
    callbacks: list[Callback] = field(default_factory=list)
    mode: str = "record"
    forward_to: str | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def reset(self) -> None:
        self.messages.clear()
        self.failures.clear()
        self.fates.clear()
        self.callbacks.clear()
        self.mode, self.forward_to = "record", None


def twilio_error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def _authenticated(request: web.Request, state: State, account_sid: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    token = state.accounts.get(user)
    return token is not None and secrets.compare_digest(token, password) and user == account_sid


def _unauthenticated() -> web.Response:
    response = twilio_error(401, 20003, "Authenticate")
    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


async def create_message(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    account_sid = request.match_info["account_sid"]
    if not _authenticated(request, state, account_sid):
        return _unauthenticated()
    form = await request.post()
    if state.failures:
        failure = state.failures[0]
        failure["count"] -= 1
        if failure["count"] <= 0:
            state.failures.popleft()
        return twilio_error(
            failure["status"], failure["code"], failure.get("message") or "Scripted failure"
        )
    to = str(form.get("To") or "")
    body = str(form.get("Body") or "")
    from_ = str(form.get("From") or "") or None
    service = str(form.get("MessagingServiceSid") or "") or None
    callback = str(form.get("StatusCallback") or "") or None
    if not to or not E164.match(to):
        return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if to in MAGIC_TO:
        code, text = MAGIC_TO[to]
        return twilio_error(400, code, text.format(to=to))
    if not from_ and not service:
        return twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
    if service and not MESSAGING_SERVICE_SID.match(service):
        return twilio_error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
    if from_ and not (E164.match(from_) or ALPHANUMERIC_SENDER.match(from_)):
        return twilio_error(400, 21212, f"The 'From' number {from_} is not a valid phone number.")
    if not body:
        return twilio_error(400, 21602, "Message body is required.")
    if len(body) > 1600:
        return twilio_error(
            400, 21617, "The concatenated message body exceeds the 1600 character limit."
        )
    message = Message(
        sid="SM" + secrets.token_hex(16),
        account_sid=account_sid,
        to=to,
        from_=from_,
        messaging_service_sid=service,
        body=body,
        status="accepted" if service else "queued",
        status_callback=callback,
    )
    state.messages[message.sid] = message
    fate = state.fates.popleft() if state.fates else {"fate": "delivered"}
    log.info("created %s (to %s), fate %s", message.sid, _mask(to), fate["fate"])
    task = asyncio.ensure_future(_play(state, message, fate))
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)
    return web.json_response(message.resource(), status=201)


async def _play(state: State, message: Message, fate: dict[str, Any]) -> None:
    """The message's life after it was accepted, one status callback per step."""
    name = fate["fate"]
    if name == "none":
        return
    steps = ["queued"]
    if name in {"sent", "delivered", "undelivered"}:
        steps.append("sent")
    if name in FINAL_FATES:
        steps.append(name)
    for status in steps:
        await asyncio.sleep(0.02)
        error = fate.get("error_code") if status in {"undelivered", "failed"} else None
        await _report(state, message, status, error)


async def _report(state: State, message: Message, status: str, error_code: Any = None) -> None:
    message.status = status
    message.date_updated = _now()
    if status == "sent":
        message.date_sent = message.date_updated
    if error_code is not None:
        message.error_code = int(error_code)
    if not message.status_callback:
        return
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": status,
        "SmsSid": message.sid,
        "SmsStatus": status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    token = state.accounts[message.account_sid]
    signature = RequestValidator(token).compute_signature(message.status_callback, params)
    callback = Callback(message.status_callback, params, signature)
    state.callbacks.append(callback)
    if state.mode == "deliver":
        await _deliver(state, callback)


async def _deliver(state: State, callback: Callback) -> None:
    target = callback.url
    if state.forward_to:
        parts = urlsplit(callback.url)
        target = (
            state.forward_to.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        )
    try:
        async with (
            aiohttp.ClientSession(trust_env=False) as session,
            session.post(
                target,
                data=callback.params,
                headers={"X-Twilio-Signature": callback.signature},
                timeout=aiohttp.ClientTimeout(total=15),
            ) as response,
        ):
            callback.delivered = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("callback for %s not delivered: %s", callback.params["MessageSid"], exc)
        callback.delivered = 0


async def fetch_message(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    account_sid = request.match_info["account_sid"]
    if not _authenticated(request, state, account_sid):
        return _unauthenticated()
    message = state.messages.get(request.match_info["sid"])
    if message is None or message.account_sid != account_sid:
        return twilio_error(404, 20404, "The requested resource was not found")
    return web.json_response(message.resource())


# --- test-only controls ---------------------------------------------------------------------


async def config_accounts(request: web.Request) -> web.Response:
    data = await request.json()
    request.app["state"].accounts[str(data["sid"])] = str(data["token"])
    return web.json_response({"ok": True})


async def config_fail_next(request: web.Request) -> web.Response:
    data = await request.json()
    data.setdefault("count", 1)
    request.app["state"].failures.append(data)
    return web.json_response({"ok": True})


async def config_fates(request: web.Request) -> web.Response:
    data = await request.json()
    request.app["state"].fates.extend(data["fates"])
    return web.json_response({"ok": True})


async def config_callback_mode(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    data = await request.json()
    state.mode = data.get("mode", "record")
    state.forward_to = data.get("forward_to")
    return web.json_response({"ok": True})


def _callbacks_json(callbacks: list[Callback]) -> list[dict[str, Any]]:
    return [
        {"url": c.url, "params": c.params, "signature": c.signature, "delivered": c.delivered}
        for c in callbacks
    ]


async def config_list_callbacks(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    # Reports still on their way (or waiting for our POST's answer) land first.
    if state.tasks:
        await asyncio.wait(set(state.tasks), timeout=10)
    return web.json_response(_callbacks_json(state.callbacks))


async def config_take_callbacks(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    # Let any report still on its way land first.
    if state.tasks:
        await asyncio.wait(set(state.tasks), timeout=10)
    taken, state.callbacks = state.callbacks, []
    return web.json_response(_callbacks_json(taken))


async def config_status(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    message = state.messages.get(request.match_info["sid"])
    if message is None:
        return web.json_response({"error": "no such message"}, status=404)
    data = await request.json()
    await _report(state, message, data["status"], data.get("error_code"))
    return web.json_response({"ok": True})


async def config_messages(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    if state.tasks:
        await asyncio.wait(set(state.tasks), timeout=10)
    return web.json_response(
        [
            {**m.resource(), "to": _mask(m.to), "status_callback": m.status_callback}
            for m in state.messages.values()
        ]
    )


async def config_reset(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    for task in list(state.tasks):
        task.cancel()
    state.reset()
    return web.json_response({"ok": True})


def create_app(accounts: dict[str, str] | None = None) -> web.Application:
    app = web.Application()
    app["state"] = State(accounts=dict(accounts or {}))
    base = f"/{API_VERSION}/Accounts/{{account_sid}}"
    app.router.add_post(f"{base}/Messages.json", create_message)
    app.router.add_get(f"{base}/Messages/{{sid}}.json", fetch_message)
    app.router.add_post("/_config/accounts", config_accounts)
    app.router.add_post("/_config/fail_next", config_fail_next)
    app.router.add_post("/_config/fates", config_fates)
    app.router.add_post("/_config/callbacks", config_callback_mode)
    app.router.add_get("/_config/callbacks", config_list_callbacks)
    app.router.add_post("/_config/callbacks/take", config_take_callbacks)
    app.router.add_post("/_config/messages/{sid}/status", config_status)
    app.router.add_get("/_config/messages", config_messages)
    app.router.add_delete("/_config/data", config_reset)
    return app


async def serve(port: int, accounts: dict[str, str], verbose: bool) -> None:
    app = create_app(accounts)
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
        prog="python -m tests.twilio_server",
        description="Local Twilio-compatible server (Messages API and signed status callbacks). "
        "Listens on 127.0.0.1 only.",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one; see the ready line)"
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="SID:TOKEN",
        help="an account that may send (repeatable; or POST /_config/accounts)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    accounts = dict(item.split(":", 1) for item in args.account)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, accounts, args.verbose))
