from enum import StrEnum


class Medium(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    SUPPRESSED = "suppressed"  # the resident said STOP before it went
    EXPIRED = "expired"
