"""Residents' voices: SMS and web vouching, verification, moderation, residents' rights.

Loading the package tells the outbox who said STOP (a lower floor cannot import this one)."""

from groundswell.vouching import opt_out as _opt_out  # noqa: F401
