"""POST /webhooks/twilio/status: Twilio's signed delivery reports for the SMS we sent.

Each outgoing SMS asks for them (StatusCallback = GROUNDSWELL_PUBLIC_URL + this path). The
report is checked like the inbound SMS webhook (X-Twilio-Signature over the public URL),
applied in one conditional UPDATE, and answered 204 at once. A report for a MessageSid we
do not know is answered 200 and logged, so Twilio does not retry it; the form's From and To
(phone numbers) are never logged or stored.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, post

from groundswell.core.twilio_signature import is_signed_by_twilio, signed_url
from groundswell.core.web import settings_of
from groundswell.outbox.adapters import STATUS_CALLBACK_PATH
from groundswell.outbox.receipts import record_delivery_report

log = logging.getLogger("groundswell.outbox")


@post(
    STATUS_CALLBACK_PATH,
    name="twilio_status",
    include_in_schema=False,
    request_max_body_size=64 * 1024,
)
async def twilio_status(request: Request[Any, Any, Any]) -> Response[Any]:
    settings = settings_of(request)
    if not settings.twilio_auth_token:
        return Response(
            "Delivery reports are not configured: set TWILIO_AUTH_TOKEN so Groundswell can check "
            "that they really come from Twilio.",
            status_code=503,
            media_type="text/plain",
        )
    form = await request.form()
    params = {key: form.get(key) for key in form}
    url = signed_url(settings.public_url, request.url.path, request.url.query)
    signature = request.headers.get("x-twilio-signature", "")
    if not is_signed_by_twilio(settings.twilio_auth_token, url, params, signature):
        return Response(
            "Invalid or missing X-Twilio-Signature.", status_code=403, media_type="text/plain"
        )
    message_sid = str(params.get("MessageSid") or params.get("SmsSid") or "")[:80]
    status = str(params.get("MessageStatus") or params.get("SmsStatus") or "")[:20]
    error_code = str(params.get("ErrorCode") or "")
    if not message_sid or not status:
        log.info("twilio status callback without MessageSid or MessageStatus: ignored")
        return Response(None, status_code=204)
    result = await record_delivery_report(message_sid, status, error_code)
    if result == "unknown":
        log.info(
            "twilio status callback for unknown MessageSid %s (%s): ignored", message_sid, status
        )
        return Response(None, status_code=200)
    log.debug("twilio status %s for %s: %s", status, message_sid, result)
    return Response(None, status_code=204)
