from enum import StrEnum


class OrganiserStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class MoveStatus(StrEnum):
    SCHEDULED = "scheduled"  # recorded ahead of its date
    DONE = "done"  # applied on its date: the organiser's host changed
    CANCELLED = "cancelled"  # withdrawn before its date, or the organiser left first
