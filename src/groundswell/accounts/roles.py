from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FUNDER = "funder"
    HOST = "host"
