"""One logging set-up for every process (web workers, the scheduler, commands), and the
request id that ties a request's log lines, its response and its error page together.

Records are written by a background thread (a queue between the caller and stderr), so a
slow terminal or log collector never blocks the event loop. `GROUNDSWELL_LOG_FORMAT=json`
writes one JSON object per line for a collector; `text` is for people."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str] = ContextVar("groundswell_request_id", default="-")
HEADER = "x-request-id"
# A proxy's own id is kept when it is plainly an id; anything else (a newline to forge a
# log line, a megabyte of text) is replaced by ours.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# LogRecord's own attributes: anything else on a record came from `extra=` and is worth keeping.
# (uvicorn's `color_message` is its message again, with terminal colours.)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


def new_request_id() -> str:
    return uuid.uuid4().hex


def adopt_request_id(offered: str | None) -> str:
    """The id a request goes by: the proxy's, when it is a plain id, else a new one."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return new_request_id()


_make_record = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record is stamped with the current request's (or job's) id where it is made,
    so every handler (ours, a test's, a library's) sees it."""
    record = _make_record(*args, **kwargs)
    record.request_id = REQUEST_ID.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    the exception's traceback when there is one, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        return json.dumps(entry, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


_listener: logging.handlers.QueueListener | None = None


def configure_logging(level: str, log_format: str, stream: Any = None) -> None:
    """Root logging for this process: `level`, `log_format` (text or json), to stderr by a
    background thread. Safe to call again (the last call wins)."""
    global _listener
    if _listener is not None:
        _listener.stop()
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(records)
    # Formatted in the caller (where the request id and the traceback are at hand); the
    # writer thread only writes the finished line.
    handler.setFormatter(formatter_for(log_format))
    writer = logging.StreamHandler(stream or sys.stderr)
    writer.setFormatter(logging.Formatter("%(message)s"))
    _listener = logging.handlers.QueueListener(records, writer)
    _listener.start()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_groundswell", False)]:
        root.removeHandler(old)
    handler._groundswell = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    # APScheduler says "Running job …" at every tick; our own lines say what each job did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@atexit.register
def _flush() -> None:
    if _listener is not None:
        _listener.stop()


class RequestIdMiddleware(ASGIMiddleware):
    """Gives each request an id (the trusted proxy's X-Request-ID when it is a plain id),
    sets it for the request's log lines and returns it in the X-Request-ID header."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        offered = None
        for name, value in scope.get("headers", ()):
            if name == HEADER.encode():
                offered = value.decode("latin-1")
                break
        request_id = adopt_request_id(offered)
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
