"""`groundswell ledger correction propose|approve|reject|list`: corrections with four eyes
from the console. `--as EMAIL` names the acting administrator (an active admin account), as
each decision is recorded against a person; the proposer cannot approve their own."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from groundswell.cli.common import CommandError, checked_settings, problem, with_database


async def _acting_admin(email: str) -> Any:
    from groundswell.accounts.services import principal_for
    from groundswell.accounts.tables import User

    row = await User.select(User.id).where(User.email == email.strip().lower()).first()
    principal = await principal_for(int(row["id"])) if row is not None else None
    if principal is None or not principal.is_admin:
        raise CommandError(f"{email} is not an active administrator's e-mail address.")
    return principal


def _run(work: Any) -> Any:
    from groundswell.core.errors import DomainError

    try:
        return asyncio.run(with_database(work))
    except DomainError as exc:
        raise problem(exc) from None


def cmd_correction_propose(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.ledger import corrections

    raw: dict[str, Any] = {"reason": args.reason}
    for n, posting in enumerate(args.posting or [], start=1):
        key, sep, amount = posting.rpartition("=")
        if not sep:
            raise CommandError(
                f"--posting {posting!r}: write ACCOUNT_KEY=AMOUNT, e.g. pool:3:available=-12.50"
            )
        raw[f"account-{n}"], raw[f"amount-{n}"] = key, amount
    if len(args.posting or []) > corrections.MAX_LINES:
        raise CommandError(f"A correction has at most {corrections.MAX_LINES} postings.")

    async def work() -> int:
        principal = await _acting_admin(args.acting)
        return await corrections.propose(principal, await corrections.read_correction(raw))

    correction_id = _run(work)
    print(
        f"Proposed correction {correction_id}; a different administrator must approve it "
        f"(groundswell ledger correction approve {correction_id} --as EMAIL)."
    )
    return 0


def cmd_correction_approve(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.ledger import corrections

    async def work() -> bool:
        return await corrections.approve(await _acting_admin(args.acting), args.id)

    if _run(work):
        print(f"Approved correction {args.id}: posted as ledger transaction correction:{args.id}.")
    else:
        print(f"Correction {args.id} was approved already; nothing changed.")
    return 0


def cmd_correction_reject(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.ledger import corrections

    async def work() -> bool:
        return await corrections.reject(await _acting_admin(args.acting), args.id, args.reason)

    if _run(work):
        print(f"Rejected correction {args.id}; nothing was posted.")
    else:
        print(f"Correction {args.id} was rejected already; nothing changed.")
    return 0


def cmd_correction_list(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.core.money import format_money
    from groundswell.ledger import corrections

    rows = _run(corrections.list_corrections)
    if not rows:
        print("No corrections.")
    for row in rows:
        decided = (
            f"; {row['status']} by {row['decider_name']} {row['decided_at']:%Y-%m-%d %H:%M}"
            if row["decided_by"]
            else "; waiting for a second administrator"
        )
        print(
            f"{row['id']:>5}  {row['status']:<9} proposed by {row['proposer_name']} "
            f"{row['proposed_at']:%Y-%m-%d %H:%M}{decided}: {row['reason']}"
        )
        for line in row["lines"]:
            print(
                f"         {line['account']:<40} {format_money(line['amount'], row['currency'] or 'GBP'):>14}"
            )
        if row["decision_reason"]:
            print(f"         rejected because: {row['decision_reason']}")
    return 0


def add_correction_commands(ledger_commands: Any) -> None:
    correction = ledger_commands.add_parser(
        "correction", help="correcting transactions: one administrator proposes, another approves"
    )
    actions = correction.add_subparsers(dest="correction_command", required=True, metavar="ACTION")
    propose = actions.add_parser("propose", help="propose a balanced correcting transaction")
    propose.add_argument(
        "--as", dest="acting", required=True, metavar="EMAIL", help="you, an administrator"
    )
    propose.add_argument(
        "--posting",
        action="append",
        required=True,
        metavar="ACCOUNT_KEY=AMOUNT",
        help="e.g. pool:3:available=-12.50 (pounds; negative takes out); at least two, summing to zero",
    )
    propose.add_argument("--reason", required=True)
    propose.set_defaults(func=cmd_correction_propose)
    approve = actions.add_parser("approve", help="approve and post someone else's correction")
    approve.add_argument("id", type=int)
    approve.add_argument("--as", dest="acting", required=True, metavar="EMAIL")
    approve.set_defaults(func=cmd_correction_approve)
    reject = actions.add_parser("reject", help="reject someone else's correction, saying why")
    reject.add_argument("id", type=int)
    reject.add_argument("--as", dest="acting", required=True, metavar="EMAIL")
    reject.add_argument("--reason", required=True)
    reject.set_defaults(func=cmd_correction_reject)
    actions.add_parser("list", help="every correction, waiting ones first").set_defaults(
        func=cmd_correction_list
    )
