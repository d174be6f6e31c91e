"""What happened to an outgoing message, in our words and in the providers'.

    pending ─▶ sending ─▶ sent ─▶ delivered | undelivered | failed   (SMS: Twilio reports)
       ▲          │   └─▶ failed        (refused for good: 5xx, invalid number)
       └──────────┘                     (temporary failure: tried again after a while)
    pending ─▶ suppressed | expired     (never sent)

`sent` means the provider accepted the message: for e-mail that is all we ever learn (the
receiving server's acceptance), for SMS Twilio then reports delivered, undelivered or failed
to /webhooks/twilio/status. Those three are final: a late or replayed report changes nothing.
"""

from enum import StrEnum


class Medium(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"  # the provider accepted it; SMS: waiting for Twilio's delivery report
    DELIVERED = "delivered"  # Twilio: the handset has it
    UNDELIVERED = "undelivered"  # Twilio: the carrier could not deliver it
    FAILED = "failed"  # refused for good, gave up after the last retry, or Twilio could not send
    SUPPRESSED = "suppressed"  # the resident said STOP before it went
    EXPIRED = "expired"


# Waiting for us (to send, or to try again).
WAITING = frozenset({OutboxStatus.PENDING, OutboxStatus.SENDING})
# Nothing will change them any more.
FINAL = frozenset(
    {
        OutboxStatus.DELIVERED,
        OutboxStatus.UNDELIVERED,
        OutboxStatus.FAILED,
        OutboxStatus.SUPPRESSED,
        OutboxStatus.EXPIRED,
    }
)
# The message reached its provider and, as far as we know, the person: what "loops closed"
# and similar counts should read (an e-mail never gets further than `sent`).
REACHED = frozenset({OutboxStatus.SENT, OutboxStatus.DELIVERED})

STATUS_LABELS = {
    OutboxStatus.PENDING: "Waiting to send",
    OutboxStatus.SENDING: "Sending",
    OutboxStatus.SENT: "Sent",
    OutboxStatus.DELIVERED: "Delivered",
    OutboxStatus.UNDELIVERED: "Not delivered",
    OutboxStatus.FAILED: "Failed",
    OutboxStatus.SUPPRESSED: "Not sent: the resident opted out",
    OutboxStatus.EXPIRED: "Not sent: too late to be useful",
}


def status_label(status: str, medium: str = "", *, retrying: bool = False) -> str:
    """The outbox page's words for a status (what `sent` means depends on the channel)."""
    try:
        known = OutboxStatus(status)
    except ValueError:
        return status
    if known is OutboxStatus.SENT:
        if medium == Medium.SMS.value:
            return "Sent, waiting for the delivery report"
        if medium == Medium.EMAIL.value:
            return "Accepted by the mail server"
    if known is OutboxStatus.PENDING and retrying:
        return "Waiting to try again"
    return STATUS_LABELS[known]


# Twilio's MessageStatus values, in the order a message passes through them. A report moves
# a message only forward: a late `sent` never undoes `delivered`, a replay changes nothing.
TWILIO_PROGRESS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
}
# Twilio's final statuses and ours.
TWILIO_FINAL = {
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.DELIVERED,  # WhatsApp/RCS: read implies delivered
    "undelivered": OutboxStatus.UNDELIVERED,
    "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}

# Twilio error codes we meet, in words for the outbox page (https://www.twilio.com/docs/api/errors).
TWILIO_ERRORS = {
    "20003": "Twilio refused our credentials (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
    "20404": "Twilio does not know this account or resource",
    "20429": "Twilio asked us to slow down (too many requests)",
    "21211": "not a valid phone number",
    "21408": "this account may not send to that region",
    "21602": "the message had no text",
    "21606": "the From number cannot send SMS",
    "21610": "the recipient has replied STOP to our number (Twilio blocks messages to them)",
    "21612": "Twilio cannot route a message to this number",
    "21614": "not a mobile number",
    "21617": "the message is too long",
    "30001": "Twilio's queue overflowed",
    "30002": "the Twilio account is suspended",
    "30003": "the handset is unreachable (switched off or out of coverage)",
    "30004": "the message was blocked (the recipient or their carrier blocks it)",
    "30005": "the number is unknown or no longer exists",
    "30006": "a landline or a number that cannot receive SMS",
    "30007": "the carrier filtered it as spam",
    "30008": "the carrier reported an unknown error",
    "30032": "the toll-free number is not verified",
    "30034": "the sender is not registered for A2P 10DLC",
}


def twilio_error(code: str | int | None) -> str:
    """'Twilio error 30003: the handset is unreachable (...)', or the bare code if unknown."""
    if code in (None, ""):
        return "Twilio gave no error code"
    words = TWILIO_ERRORS.get(str(code))
    return f"Twilio error {code}: {words}" if words else f"Twilio error {code}"
