"""POST /webhooks/twilio/sms: Twilio's signed form post in, TwiML out.

By default the webhook only records the message (vouching/inbound.py) and answers with
empty TwiML; the processor behind it (vouching/processor.py) queues the reply through the
outbox. GROUNDSWELL_SMS_INLINE processes it within the request and answers with the reply."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, post
from litestar.response.base import ASGIResponse
from twilio.twiml.messaging_response import MessagingResponse

from groundswell.core.phones import InvalidPhoneNumber
from groundswell.core.twilio_signature import is_signed_by_twilio, signed_url
from groundswell.core.web import MACHINE_CALLER, settings_of
from groundswell.vouching import inbound
from groundswell.vouching.messages import render
from groundswell.vouching.sms import handle_sms

TWIML = "application/xml"
EMPTY_TWIML = str(MessagingResponse()).encode()


def twiml(text: str | None, status_code: int = 200) -> ASGIResponse:
    response = MessagingResponse()
    if text:
        response.message(text)
    return ASGIResponse(body=str(response).encode(), media_type=TWIML, status_code=status_code)


def plain(text: str, status_code: int) -> ASGIResponse:
    return ASGIResponse(body=text.encode(), media_type="text/plain", status_code=status_code)


def twilio_form(body: bytes) -> dict[str, str]:
    """Twilio's form post, each name's first value, read the way Litestar reads forms (so a
    signature over what arrives is checked against the same text)."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, separator="&"):
        params.setdefault(key, value)
    return params


# The hottest route: a national campaign's texts arrive here. Machines call it, so no
# browser middleware runs (MACHINE_CALLER), the form is parsed once from the body, and the
# answer is an ASGI response built directly, without Litestar's response pipeline.
@post(
    "/webhooks/twilio/sms",
    name="twilio_sms",
    include_in_schema=False,
    request_max_body_size=64 * 1024,
    opt={MACHINE_CALLER: True},
)
async def twilio_sms(request: Request[Any, Any, Any]) -> ASGIResponse:
    settings = settings_of(request)
    if not settings.twilio_auth_token:
        return plain(
            "SMS vouching is not configured: set TWILIO_AUTH_TOKEN so Groundswell can check that "
            "messages really come from Twilio. (For a demo, use `groundswell sms simulate`.)",
            503,
        )
    params = twilio_form(await request.body())
    signature = request.headers.get("x-twilio-signature", "")
    scope = request.scope
    url = signed_url(
        settings.public_url, scope["path"], scope.get("query_string", b"").decode("latin-1")
    )
    if not is_signed_by_twilio(settings.twilio_auth_token, url, params, signature):
        return plain("Invalid or missing X-Twilio-Signature.", 403)
    message_sid = str(params.get("MessageSid") or params.get("SmsSid") or "")
    from_number = str(params.get("From") or "")
    if not message_sid or not from_number:
        return twiml(render("unknown"))
    try:
        num_media = int(str(params.get("NumMedia") or "0"))
    except ValueError:
        num_media = 0
    body = str(params.get("Body") or "")
    if settings.sms_processed_inline:
        reply = await handle_sms(
            settings,
            message_sid=message_sid,
            from_number=from_number,
            body=body,
            num_media=num_media,
        )
        return twiml(reply.text)
    try:
        await inbound.record(
            settings,
            message_sid=message_sid,
            from_number=from_number,
            body=body,
            num_media=num_media,
        )
    except (InvalidPhoneNumber, inbound.InvalidMessageSid):
        # Short codes and alphanumeric senders cannot vouch: answered now, nothing stored.
        return twiml(render("unknown"))
    # Recorded (or recorded before, by a delivery Twilio retried): the processor replies
    # through the outbox, so the answer is empty.
    return ASGIResponse(body=EMPTY_TWIML, media_type=TWIML)
