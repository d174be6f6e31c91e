"""POST /webhooks/twilio/sms: Twilio's signed form post in, TwiML out.

By default the webhook only records the message (vouching/inbound.py) and answers with
empty TwiML; the processor behind it (vouching/processor.py) queues the reply through the
outbox. GROUNDSWELL_SMS_INLINE processes it within the request and answers with the reply."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from twilio.twiml.messaging_response import MessagingResponse

from groundswell.core.phones import InvalidPhoneNumber
from groundswell.core.twilio_signature import is_signed_by_twilio, signed_url
from groundswell.core.web import settings_of
from groundswell.vouching import inbound
from groundswell.vouching.messages import render
from groundswell.vouching.sms import handle_sms

TWIML = "application/xml"
EMPTY_TWIML = str(MessagingResponse())


def twiml(text: str | None, status_code: int = 200) -> Response[str]:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), media_type=TWIML, status_code=status_code)


def public_url_for(base: str, request: Request[Any, Any, Any]) -> str:
    """The URL Twilio called, as configured: signatures cover scheme, host, port, path and query."""
    return signed_url(base, request.url.path, request.url.query)


@post(
    "/webhooks/twilio/sms",
    name="twilio_sms",
    include_in_schema=False,
    request_max_body_size=64 * 1024,
)
async def twilio_sms(request: Request[Any, Any, Any]) -> Response[str]:
    settings = settings_of(request)
    if not settings.twilio_auth_token:
        return Response(
            "SMS vouching is not configured: set TWILIO_AUTH_TOKEN so Groundswell can check that "
            "messages really come from Twilio. (For a demo, use `groundswell sms simulate`.)",
            status_code=503,
            media_type="text/plain",
        )
    form = await request.form()
    params = {key: form.get(key) for key in form}
    signature = request.headers.get("x-twilio-signature", "")
    if not is_signed_by_twilio(
        settings.twilio_auth_token, public_url_for(settings.public_url, request), params, signature
    ):
        return Response(
            "Invalid or missing X-Twilio-Signature.", status_code=403, media_type="text/plain"
        )
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
    return Response(EMPTY_TWIML, media_type=TWIML, status_code=200)
