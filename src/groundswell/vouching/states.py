from enum import StrEnum


class EndorsementState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    HIDDEN = "hidden"  # hidden by a moderator: never shown, never counted


class Channel(StrEnum):
    SMS = "sms"
    WEB = "web"


class Theme(StrEnum):
    VALUE = "value"  # what they value in the organiser's work
    CONCERN = "concern"
    HOPE = "hope"
    IDEA = "idea"


class Verification(StrEnum):
    """How sure we are that a real, distinct resident spoke; the policy's strength."""

    SMS_INBOUND = "sms_inbound"  # they texted us from the number
    SMS_CODE = "sms_code"  # they typed the code we texted to the number
    UNVERIFIED = "unverified"  # a web vouch whose code was never confirmed

    @property
    def strength(self) -> float:
        return {"sms_inbound": 1.0, "sms_code": 1.0, "unverified": 0.0}[self.value]


class ModerationStatus(StrEnum):
    CLEAR = "clear"
    FLAGGED = "flagged"  # flagged and not yet reviewed: does not count for funding
    REVIEWED = "reviewed"  # a moderator looked and left it visible
