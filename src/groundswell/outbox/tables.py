"""The durable outbox: every SMS and e-mail we send is a row first, sent after commit."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from groundswell.outbox.states import Medium, OutboxStatus


class OutboxMessage(Table, tablename="outbox_message"):
    id: Serial
    dedupe_key = Varchar(length=200, unique=True)  # the same message is never queued twice
    medium = Varchar(length=8, choices=Medium)
    # SMS: the recipient's number, encrypted, erased once sent or expired; plus its keyed hash
    # (to honour STOP). E-mail: the address in clear (organisations, not residents).
    recipient_encrypted = Text(null=True, default=None, secret=True)
    recipient_hash = Varchar(length=64, default="", index=True)
    recipient_email = Varchar(length=254, default="")
    subject = Varchar(length=200, default="")
    body = Text()
    purpose = Varchar(length=40)  # verification_code, thanks, round_result, reminder, ...
    status = Varchar(length=12, choices=OutboxStatus, default=OutboxStatus.PENDING, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    expires_at = Timestamptz()
    last_error = Text(default="")
    # Twilio's MessageSid, or the e-mail's Message-ID: delivery reports find the message by it.
    provider_id = Varchar(length=80, default="", index=True)
    # The provider's last word on it (Twilio: queued, sent, delivered, undelivered, failed ...)
    # and its error code (Twilio's ErrorCode, or the SMTP reply code of a refusal).
    provider_status = Varchar(length=20, default="")
    error_code = Varchar(length=20, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)  # the provider's last delivery report


TABLES = [OutboxMessage]
