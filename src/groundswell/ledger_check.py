"""`groundswell ledger check`: every invariant of the ledger, each violation named.

Each check is one aggregate query, so it runs in seconds on a large ledger and reads only.
It sits above every domain (beside the CLI that runs it) because it ties the ledger to each
domain's states: rounds and allocations, programme grants.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from groundswell.allocation.states import COMMITTED_STATES, AllocationState, RoundStatus
from groundswell.core.money import format_money
from groundswell.ledger.states import (
    GRANT_ACCOUNT_KINDS,
    NON_NEGATIVE_KINDS,
    AccountKind,
    CorrectionStatus,
    ReturnStatus,
    TransactionKind,
)
from groundswell.ledger.tables import LedgerAccount
from groundswell.programme.states import GrantStatus, grant_ledger_steps


@dataclass(frozen=True)
class LedgerReport:
    violations: list[str]
    transactions: int
    postings: int
    accounts: int

    @property
    def ok(self) -> bool:
        return not self.violations


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await LedgerAccount.raw(sql, *args)
    return rows


def _in(values: Iterable[str]) -> str:
    """`(?, ?, …)` for an IN list; the values go in as parameters."""
    return "(" + ", ".join("{}" for _ in values) + ")"


def _money(amount: Any, currency: Any = "GBP") -> str:
    return format_money(int(amount), str(currency))


async def check_ledger() -> LedgerReport:
    violations: list[str] = []

    for row in await _rows(
        "SELECT t.id AS id, t.reference AS reference, COUNT(p.id) AS n "
        "FROM ledger_transaction t LEFT JOIN ledger_posting p ON p.txn = t.id "
        "GROUP BY t.id, t.reference HAVING COUNT(p.id) < 2 ORDER BY t.id"
    ):
        violations.append(
            f"transaction {row['id']} ({row['reference']}) has {row['n']} posting(s); "
            "it needs at least two"
        )

    for row in await _rows(
        "SELECT t.id AS id, t.reference AS reference, p.currency AS currency, "
        "SUM(p.amount) AS total FROM ledger_posting p JOIN ledger_transaction t ON t.id = p.txn "
        "GROUP BY t.id, t.reference, p.currency HAVING SUM(p.amount) <> 0 ORDER BY t.id"
    ):
        violations.append(
            f"transaction {row['id']} ({row['reference']}) does not sum to zero in "
            f"{row['currency']}: it is off by {_money(row['total'], row['currency'])}"
        )

    for row in await _rows(
        "SELECT p.id AS id, p.txn AS txn, p.amount AS amount, p.currency AS currency, "
        "a.key AS account, a.currency AS account_currency "
        "FROM ledger_posting p JOIN ledger_account a ON a.id = p.account "
        "WHERE p.currency <> a.currency OR p.amount = 0 ORDER BY p.id"
    ):
        problem = "moves nothing" if row["amount"] == 0 else f"is in {row['currency']}"
        violations.append(
            f"posting {row['id']} of transaction {row['txn']} to {row['account']} ({row['account_currency']}) {problem}"
        )

    for row in await _rows(
        "SELECT a.key AS account, a.balance AS balance, a.currency AS currency, "
        "COALESCE(SUM(p.amount), 0) AS total "
        "FROM ledger_account a LEFT JOIN ledger_posting p ON p.account = a.id "
        "GROUP BY a.id, a.key, a.balance, a.currency "
        "HAVING a.balance <> COALESCE(SUM(p.amount), 0) ORDER BY a.id"
    ):
        violations.append(
            f"account {row['account']} records a balance of {_money(row['balance'], row['currency'])} "
            f"but its postings sum to {_money(row['total'], row['currency'])}"
        )

    for row in await _rows(
        "SELECT a.key AS account, a.currency AS currency, SUM(p.amount) AS total "
        "FROM ledger_account a JOIN ledger_posting p ON p.account = a.id "
        "WHERE a.kind IN " + _in(NON_NEGATIVE_KINDS) + " "
        "GROUP BY a.id, a.key, a.currency HAVING SUM(p.amount) < 0 ORDER BY a.id",
        *[k.value for k in NON_NEGATIVE_KINDS],
    ):
        violations.append(
            f"account {row['account']} is negative: {_money(row['total'], row['currency'])}"
        )

    # A round's lines add up to what it says it allocated, and that was committed.
    for row in await _rows(
        "SELECT r.id AS id, r.allocated AS allocated, r.currency AS currency, "
        "(SELECT COALESCE(SUM(al.amount), 0) FROM allocation al WHERE al.round = r.id) AS lines, "
        "(SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t "
        " JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account "
        " WHERE t.reference = 'round:' || r.id || ':commit' AND a.kind = {}"
        ") AS committed FROM funding_round r ORDER BY r.id",
        AccountKind.COMMITTED.value,
    ):
        if row["lines"] != row["allocated"]:
            violations.append(
                f"round {row['id']} says it allocated {_money(row['allocated'], row['currency'])} "
                f"but its lines add up to {_money(row['lines'], row['currency'])}"
            )
        if row["committed"] != row["allocated"]:
            violations.append(
                f"round {row['id']} allocated {_money(row['allocated'], row['currency'])} but its "
                f"ledger transaction round:{row['id']}:commit committed "
                f"{_money(row['committed'], row['currency'])}"
            )

    # Lines money has left committed for must have the postings that moved it.
    for state, step in ((AllocationState.IN_TRANSIT, "transfer"), (AllocationState.PAID, "paid")):
        for row in await _rows(
            "SELECT al.id AS id, al.amount AS amount FROM allocation al "
            "WHERE al.state = {} AND al.amount > 0 AND NOT EXISTS ("
            "SELECT 1 FROM ledger_transaction t "
            "WHERE t.reference = 'allocation:' || al.id || {}) ORDER BY al.id",
            state.value,
            f":{step}",
        ):
            violations.append(
                f"allocation {row['id']} is {state.value} but has no ledger transaction "
                f"allocation:{row['id']}:{step}"
            )

    # Each pool's accounts hold exactly its lines in the matching states; what a line has
    # had reversed (in whole or in part) has left paid for available.
    expected = {
        AccountKind.COMMITTED: (COMMITTED_STATES, "al.amount"),
        AccountKind.IN_TRANSIT: (frozenset({AllocationState.IN_TRANSIT}), "al.amount"),
        AccountKind.PAID: (
            frozenset({AllocationState.PAID, AllocationState.REVERSED}),
            "al.amount - al.amount_reversed",
        ),
    }
    for kind, (states, held) in expected.items():
        for row in await _rows(
            # Only placeholders and the fixed expressions above are concatenated; the
            # values go in as parameters.
            "SELECT pool, currency, SUM(ledger) AS ledger, SUM(lines) AS lines FROM ("  # noqa: S608
            " SELECT a.pool AS pool, a.currency AS currency, 0 AS lines,"
            " (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_posting p WHERE p.account = a.id)"
            " AS ledger"
            " FROM ledger_account a WHERE a.kind = {}"
            " UNION ALL"
            f" SELECT r.pool AS pool, r.currency AS currency, {held} AS lines, 0 AS ledger"
            " FROM allocation al JOIN funding_round r ON r.id = al.round"
            " WHERE al.state IN " + _in(states) + ") AS both_sides "
            "GROUP BY pool, currency HAVING SUM(ledger) <> SUM(lines) ORDER BY pool",
            kind.value,
            *sorted(s.value for s in states),
        ):
            violations.append(
                f"pool {row['pool']}'s {kind.value} account holds "
                f"{_money(row['ledger'], row['currency'])} but its allocations in "
                f"{', '.join(sorted(s.value for s in states))} add up to "
                f"{_money(row['lines'], row['currency'])}"
            )

    for row in await _rows(
        "SELECT id, amount_reversed, returned FROM ("
        " SELECT al.id AS id, al.amount_reversed AS amount_reversed,"
        " (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t"
        "  JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account"
        "  WHERE t.reference LIKE 'allocation:' || al.id || ':reversal%' AND a.kind = {}"
        " ) AS returned FROM allocation al"
        " WHERE al.amount_reversed <> 0 OR al.state = {}) AS reversals "
        "WHERE returned <> amount_reversed ORDER BY id",
        AccountKind.AVAILABLE.value,
        AllocationState.REVERSED.value,
    ):
        violations.append(
            f"allocation {row['id']} records {_money(row['amount_reversed'])} reversed but its "
            f"reversal transactions returned {_money(row['returned'])} to its pool"
        )
    # And no reversal returned money for a line that records none.
    totals = (
        await _rows(
            "SELECT (SELECT COALESCE(SUM(amount_reversed), 0) FROM allocation) AS recorded, "
            "(SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t"
            " JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account"
            " WHERE t.reference LIKE 'allocation:%:reversal%' AND a.kind = {}) AS returned",
            AccountKind.AVAILABLE.value,
        )
    )[0]
    if totals["recorded"] != totals["returned"]:
        violations.append(
            f"reversal transactions returned {_money(totals['returned'])} in all, but the "
            f"allocations record {_money(totals['recorded'])} reversed"
        )

    for row in await _rows(
        "SELECT d.id AS id, d.amount AS amount, d.currency AS currency, "
        "(SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t "
        " JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account "
        " WHERE t.reference = 'deposit:' || d.id AND a.kind = {}"
        ") AS credited FROM deposit d ORDER BY d.id",
        AccountKind.AVAILABLE.value,
    ):
        if row["credited"] != row["amount"]:
            violations.append(
                f"deposit {row['id']} of {_money(row['amount'], row['currency'])} credited "
                f"{_money(row['credited'], row['currency'])} to its pool"
            )

    for row in await _rows(
        "SELECT r.id AS id, r.status AS status FROM funding_round r "
        "WHERE r.status IN ({}, {}, {}) AND EXISTS (SELECT 1 FROM allocation al "
        "WHERE al.round = r.id AND al.state = {})",
        RoundStatus.APPROVED.value,
        RoundStatus.PAYING.value,
        RoundStatus.PAID.value,
        AllocationState.PROPOSED.value,
    ):
        violations.append(f"round {row['id']} is {row['status']} but still has proposed lines")

    # A cancelled round gave back exactly what it committed, once; no other round did.
    for row in await _rows(
        "SELECT r.id AS id, r.status AS status, r.allocated AS allocated, r.currency AS currency, "
        "(SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t "
        " JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account "
        " WHERE t.reference = 'round:' || r.id || ':cancel' AND a.kind = {}) AS released "
        "FROM funding_round r ORDER BY r.id",
        AccountKind.AVAILABLE.value,
    ):
        want = row["allocated"] if row["status"] == RoundStatus.CANCELLED.value else 0
        if row["released"] != want:
            violations.append(
                f"round {row['id']} is {row['status']} but its ledger transaction "
                f"round:{row['id']}:cancel returned {_money(row['released'], row['currency'])} "
                f"to its pool, not {_money(want, row['currency'])}"
            )

    violations.extend(await _grant_violations())
    violations.extend(await _correction_violations())
    violations.extend(await _return_violations())
    violations.extend(await _share_violations())

    counts = (
        await _rows(
            "SELECT (SELECT COUNT(*) FROM ledger_transaction) AS transactions, "
            "(SELECT COUNT(*) FROM ledger_posting) AS postings, "
            "(SELECT COUNT(*) FROM ledger_account) AS accounts"
        )
    )[0]
    return LedgerReport(
        violations=violations,
        transactions=int(counts["transactions"]),
        postings=int(counts["postings"]),
        accounts=int(counts["accounts"]),
    )


# --------------------------------------------------------------------------------------------
# Programme grants
# --------------------------------------------------------------------------------------------

_GRANT_REFERENCE = re.compile(r"^grant:(\d+):(award|paid|cancel)$")
_GRANT_STEPS: dict[str, tuple[AccountKind, AccountKind]] = {
    "award": (AccountKind.AVAILABLE, AccountKind.GRANT_AWARDED),
    "paid": (AccountKind.GRANT_AWARDED, AccountKind.GRANT_PAID),
    "cancel": (AccountKind.GRANT_AWARDED, AccountKind.AVAILABLE),
}


async def _grant_violations() -> list[str]:
    """Each grant has exactly the transactions its status implies ("grant:<id>:award",
    ":paid", ":cancel"), each moving its amount in its currency between its own pool's
    accounts; no grant transaction exists without such a grant; and each pool's grant
    accounts hold exactly its grants awarded (not yet paid) and paid."""
    violations: list[str] = []
    grants = {
        int(row["id"]): row
        for row in await _rows(
            "SELECT id, pool, amount, currency, status, awarded_on FROM programme_grant ORDER BY id"
        )
    }
    moved: dict[str, dict[tuple[Any, str, str], int]] = defaultdict(lambda: defaultdict(int))
    for row in await _rows(
        "SELECT t.reference AS reference, a.pool AS pool, a.kind AS kind, p.currency AS currency, "
        "SUM(p.amount) AS total FROM ledger_transaction t "
        "LEFT JOIN ledger_posting p ON p.txn = t.id LEFT JOIN ledger_account a ON a.id = p.account "
        "WHERE t.reference LIKE {} GROUP BY t.reference, a.pool, a.kind, p.currency",
        "grant:%",
    ):
        postings = moved[row["reference"]]
        if row["kind"] is not None and row["total"]:
            postings[(row["pool"], row["kind"], row["currency"])] += int(row["total"])

    expected: set[str] = set()
    for grant_id, grant in grants.items():
        amount, currency = int(grant["amount"]), grant["currency"]
        try:
            status = GrantStatus(grant["status"])
        except ValueError:
            violations.append(f"grant {grant_id} has an unknown status {grant['status']!r}")
            continue
        for step in grant_ledger_steps(status, was_awarded=grant["awarded_on"] is not None):
            reference = f"grant:{grant_id}:{step}"
            expected.add(reference)
            if reference not in moved:
                violations.append(
                    f"grant {grant_id} is {grant['status']} but has no ledger transaction "
                    f"{reference}"
                )
                continue
            source, target = _GRANT_STEPS[step]
            want = {
                (grant["pool"], source.value, currency): -amount,
                (grant["pool"], target.value, currency): amount,
            }
            got = {key: total for key, total in moved[reference].items() if total}
            if got != want:
                violations.append(
                    f"ledger transaction {reference} should move {_money(amount, currency)} from "
                    f"pool {grant['pool']}'s {source.value} account to its {target.value} "
                    f"account, as grant {grant_id} says, but it does not"
                )
    for reference in sorted(set(moved) - expected):
        match = _GRANT_REFERENCE.match(reference)
        owner = grants.get(int(match.group(1))) if match else None
        if owner is None:
            violations.append(f"ledger transaction {reference} belongs to no programme grant")
        else:
            violations.append(
                f"ledger transaction {reference} does not fit grant {owner['id']}, "
                f"which is {owner['status']}"
            )

    # Each pool's grant accounts hold exactly its grants in the matching status.
    holds: dict[tuple[Any, str, str], int] = defaultdict(int)
    account_for = {
        GrantStatus.AWARDED.value: AccountKind.GRANT_AWARDED.value,
        GrantStatus.PAID.value: AccountKind.GRANT_PAID.value,
    }
    for grant in grants.values():
        if grant["status"] in account_for:
            key = (grant["pool"], account_for[grant["status"]], grant["currency"])
            holds[key] += int(grant["amount"])
    balances: dict[tuple[Any, str, str], int] = defaultdict(int)
    for row in await _rows(
        # Only placeholders are concatenated; the values go in as parameters.
        "SELECT a.pool AS pool, a.kind AS kind, a.currency AS currency, "  # noqa: S608
        "COALESCE(SUM(p.amount), 0) AS total FROM ledger_account a "
        "LEFT JOIN ledger_posting p ON p.account = a.id WHERE a.kind IN "
        + _in(GRANT_ACCOUNT_KINDS)
        + " GROUP BY a.pool, a.kind, a.currency",
        *[k.value for k in GRANT_ACCOUNT_KINDS],
    ):
        balances[(row["pool"], row["kind"], row["currency"])] += int(row["total"])
    status_of = {AccountKind.GRANT_AWARDED.value: "awarded", AccountKind.GRANT_PAID.value: "paid"}
    for key in sorted(set(holds) | set(balances), key=lambda k: (k[0] or 0, k[1], k[2])):
        if holds.get(key, 0) != balances.get(key, 0):
            pool, account_kind, currency = key
            violations.append(
                f"pool {pool}'s {account_kind} account holds "
                f"{_money(balances.get(key, 0), currency)} but its grants "
                f"{status_of[account_kind]} add up to {_money(holds.get(key, 0), currency)}"
            )
    return violations


# --------------------------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------------------------


async def _correction_violations() -> list[str]:
    """Every correction transaction was approved by a second administrator, and every
    approved correction was posted, as it was proposed."""
    violations: list[str] = []
    for row in await _rows(
        "SELECT t.id AS id, t.reference AS reference FROM ledger_transaction t "
        "WHERE t.kind = {} AND NOT EXISTS (SELECT 1 FROM ledger_correction c "
        "WHERE c.txn = t.id AND c.status = {}) ORDER BY t.id",
        TransactionKind.CORRECTION.value,
        CorrectionStatus.APPROVED.value,
    ):
        violations.append(
            f"correction transaction {row['id']} ({row['reference']}) has no approved correction"
        )
    for row in await _rows(
        "SELECT c.id AS id, c.proposed_by AS proposed_by, c.decided_by AS decided_by, "
        "c.txn AS txn FROM ledger_correction c WHERE c.status = {} ORDER BY c.id",
        CorrectionStatus.APPROVED.value,
    ):
        if row["txn"] is None:
            violations.append(f"correction {row['id']} is approved but was never posted")
        if row["decided_by"] is None or row["decided_by"] == row["proposed_by"]:
            violations.append(f"correction {row['id']} was not approved by a second administrator")
    return violations


# --------------------------------------------------------------------------------------------
# Money back to funders
# --------------------------------------------------------------------------------------------


async def _return_violations() -> list[str]:
    """Each return transaction took exactly its recorded return's amount out of available,
    every recorded return with money was posted, card refunds stay within their deposit,
    and a closed pool is empty."""
    violations: list[str] = []
    for row in await _rows(
        "SELECT t.id AS id, t.reference AS reference FROM ledger_transaction t "
        "WHERE t.kind = {} AND NOT EXISTS (SELECT 1 FROM pool_return r "
        "WHERE r.txn = t.id AND r.status = {}) ORDER BY t.id",
        TransactionKind.RETURN.value,
        ReturnStatus.RECORDED.value,
    ):
        violations.append(
            f"return transaction {row['id']} ({row['reference']}) has no recorded return"
        )
    for row in await _rows(
        "SELECT r.id AS id, r.amount AS amount, r.currency AS currency, "
        "(SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transaction t "
        " JOIN ledger_posting p ON p.txn = t.id JOIN ledger_account a ON a.id = p.account "
        " WHERE t.reference = 'return:' || r.id AND a.kind = {}) AS taken "
        "FROM pool_return r WHERE r.status = {} ORDER BY r.id",
        AccountKind.AVAILABLE.value,
        ReturnStatus.RECORDED.value,
    ):
        if -int(row["taken"]) != row["amount"]:
            violations.append(
                f"return {row['id']} of {_money(row['amount'], row['currency'])} took "
                f"{_money(-int(row['taken']), row['currency'])} from its pool"
            )
    for row in await _rows(
        "SELECT d.id AS id, d.amount AS amount, d.currency AS currency, "
        "SUM(r.amount) AS refunded FROM deposit d JOIN pool_return r ON r.deposit = d.id "
        "WHERE r.status = {} GROUP BY d.id, d.amount, d.currency "
        "HAVING SUM(r.amount) > d.amount ORDER BY d.id",
        ReturnStatus.RECORDED.value,
    ):
        violations.append(
            f"deposit {row['id']} of {_money(row['amount'], row['currency'])} was refunded "
            f"{_money(row['refunded'], row['currency'])}"
        )
    for row in await _rows(
        "SELECT a.pool AS pool, a.currency AS currency, SUM(p.amount) AS total "
        "FROM ledger_account a JOIN ledger_posting p ON p.account = a.id "
        "JOIN pool pl ON pl.id = a.pool WHERE pl.closed_at IS NOT NULL AND a.kind IN ({}, {}, {}) "
        "GROUP BY a.pool, a.currency HAVING SUM(p.amount) <> 0 ORDER BY a.pool",
        AccountKind.AVAILABLE.value,
        AccountKind.COMMITTED.value,
        AccountKind.IN_TRANSIT.value,
    ):
        violations.append(
            f"pool {row['pool']} is closed but still holds {_money(row['total'], row['currency'])}"
        )
    return violations


# --------------------------------------------------------------------------------------------
# Co-funded rounds
# --------------------------------------------------------------------------------------------


async def _share_violations() -> list[str]:
    """A co-funded line's parts sum exactly to the line, each funder's part is positive,
    and its funders are the pool's (its lead or a co-funder)."""
    violations: list[str] = []
    for row in await _rows(
        "SELECT al.id AS id, al.amount AS amount, r.currency AS currency, "
        "SUM(s.amount) AS parts, MIN(s.amount) AS smallest "
        "FROM allocation_share s JOIN allocation al ON al.id = s.allocation "
        "JOIN funding_round r ON r.id = al.round "
        "GROUP BY al.id, al.amount, r.currency "
        "HAVING SUM(s.amount) <> al.amount OR MIN(s.amount) <= 0 ORDER BY al.id"
    ):
        violations.append(
            f"allocation {row['id']} of {_money(row['amount'], row['currency'])} is shared "
            f"among its funders as {_money(row['parts'], row['currency'])} in all"
        )
    for row in await _rows(
        "SELECT s.allocation AS allocation, s.funder AS funder FROM allocation_share s "
        "JOIN funding_round r ON r.id = s.round JOIN pool p ON p.id = r.pool "
        "WHERE s.funder <> p.funder AND NOT EXISTS (SELECT 1 FROM pool_cofunder c "
        "WHERE c.pool = p.id AND c.funder = s.funder) ORDER BY s.allocation"
    ):
        violations.append(
            f"allocation {row['allocation']} gives a part to funder {row['funder']}, "
            "which does not fund its pool"
        )
    return violations
