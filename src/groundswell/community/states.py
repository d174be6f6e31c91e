from enum import StrEnum


class OrganiserStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
