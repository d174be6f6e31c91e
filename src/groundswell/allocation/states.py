"""Round and allocation states, and the moves allowed between them."""

from enum import StrEnum


class RoundStatus(StrEnum):
    COMPUTED = "computed"  # in its review window: the funder may pause it
    PAUSED = "paused"  # held by the funder; resuming puts it back in review
    CANCELLED = "cancelled"  # ended while paused: its money went back to available, unpaid
    APPROVED = "approved"  # handed to payments; no longer pausable
    PAYING = "paying"  # payments has started transferring (payments)
    PAID = "paid"  # every funded allocation paid (payments)


# What a person reads for each status, wherever a round's status is shown.
ROUND_STATUS_LABELS: dict[str, str] = {
    RoundStatus.COMPUTED.value: "In review",
    RoundStatus.PAUSED.value: "Paused",
    RoundStatus.CANCELLED.value: "Cancelled",
    RoundStatus.APPROVED.value: "Approved",
    RoundStatus.PAYING.value: "Paying",
    RoundStatus.PAID.value: "Paid",
}


def _label(labels: dict[str, str], value: str) -> str:
    """A stored value in words (the value itself, in words, if unknown)."""
    return labels.get(str(value), str(value).replace("_", " ").capitalize())


def round_status_label(status: str) -> str:
    return _label(ROUND_STATUS_LABELS, status)


ROUND_TRANSITIONS: dict[RoundStatus, frozenset[RoundStatus]] = {
    RoundStatus.COMPUTED: frozenset({RoundStatus.PAUSED, RoundStatus.APPROVED}),
    RoundStatus.PAUSED: frozenset({RoundStatus.COMPUTED, RoundStatus.CANCELLED}),
    RoundStatus.CANCELLED: frozenset(),
    RoundStatus.APPROVED: frozenset({RoundStatus.PAYING, RoundStatus.PAID}),
    RoundStatus.PAYING: frozenset({RoundStatus.PAID}),
    RoundStatus.PAID: frozenset(),
}


class AllocationState(StrEnum):
    """One organiser's line in a round.

    The ledger follows the state: proposed, approved, held and failed money sits in the
    pool's committed account; in_transit in in_transit; paid in paid; reversed money has
    gone back to available, and so has a cancelled round's (see `groundswell ledger check`).
    """

    PROPOSED = "proposed"  # in a round under review
    NOT_FUNDED = "not_funded"  # amount 0 (too few voices): explained, never paid
    APPROVED = "approved"  # the round was approved: payments should transfer it
    HELD = "held"  # the host is not onboarded yet: kept, never lost
    IN_TRANSIT = "in_transit"  # transfer created, not yet confirmed
    PAID = "paid"
    FAILED = "failed"  # the transfer failed; money still committed, to retry or reverse
    REVERSED = "reversed"  # money returned to the pool's available balance
    CANCELLED = "cancelled"  # its round was cancelled before approval: back to available


# What a person reads for each line's state (the round page's State column).
ALLOCATION_STATE_LABELS: dict[str, str] = {
    AllocationState.PROPOSED.value: "Proposed",
    AllocationState.NOT_FUNDED.value: "Not funded",
    AllocationState.APPROVED.value: "Approved",
    AllocationState.HELD.value: "Held",
    AllocationState.IN_TRANSIT.value: "In transit",
    AllocationState.PAID.value: "Paid",
    AllocationState.FAILED.value: "Failed",
    AllocationState.REVERSED.value: "Reversed",
    AllocationState.CANCELLED.value: "Cancelled",
}


def allocation_state_label(state: str) -> str:
    return _label(ALLOCATION_STATE_LABELS, state)


ALLOCATION_TRANSITIONS: dict[AllocationState, frozenset[AllocationState]] = {
    AllocationState.PROPOSED: frozenset({AllocationState.APPROVED, AllocationState.CANCELLED}),
    AllocationState.NOT_FUNDED: frozenset(),
    AllocationState.APPROVED: frozenset(
        {AllocationState.HELD, AllocationState.IN_TRANSIT, AllocationState.FAILED}
    ),
    AllocationState.HELD: frozenset({AllocationState.IN_TRANSIT, AllocationState.REVERSED}),
    AllocationState.IN_TRANSIT: frozenset(
        {AllocationState.PAID, AllocationState.FAILED, AllocationState.REVERSED}
    ),
    AllocationState.PAID: frozenset({AllocationState.REVERSED}),
    AllocationState.FAILED: frozenset(
        {AllocationState.IN_TRANSIT, AllocationState.HELD, AllocationState.REVERSED}
    ),
    AllocationState.REVERSED: frozenset(),
    AllocationState.CANCELLED: frozenset(),
}

# Where each state's money is in the pool's ledger accounts.
COMMITTED_STATES = frozenset(
    {
        AllocationState.PROPOSED,
        AllocationState.APPROVED,
        AllocationState.HELD,
        AllocationState.FAILED,
    }
)


def can_move(current: AllocationState, target: AllocationState) -> bool:
    return target in ALLOCATION_TRANSITIONS[current]
