"""`groundswell returns list|record|decline`: money back to funders from the console, as on
/admin/returns; and `groundswell payments unreconciled|reconcile-deposit`, bank-transfer
deposits reconciled with the platform balance, as on /admin/deposits/unreconciled. `--as EMAIL` names the acting administrator. Recording shows the same check
as the page's check-your-answers step and writes only with `--yes`."""

from __future__ import annotations

import argparse
from typing import Any

from groundswell.cli.common import checked_settings
from groundswell.cli.ledger import _acting_admin, _run


def _describe(row: dict[str, Any]) -> str:
    from groundswell.core.money import format_money

    what = format_money(int(row["amount"]), row["currency"]) + (
        ", then close the pool" if row["close_pool"] else ""
    )
    return (
        f"{row['id']:>5}  {row['status']:<9} {row['pool_name']} ({row['funder_name']}): "
        f"{what}; asked {row['requested_at']:%Y-%m-%d}: {row['reason']}"
    )


def cmd_returns_list(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.ledger.states import ReturnStatus
    from groundswell.payments import returns

    status = None if args.all else ReturnStatus.REQUESTED

    async def work() -> list[dict[str, Any]]:
        return await returns.list_returns(status=status)

    rows = _run(work)
    if not rows:
        print("No requests waiting." if status else "No requests.")
    for row in rows:
        print(_describe(row))
        if row["status"] == ReturnStatus.DECLINED.value:
            print(f"         declined because: {row['decline_reason']}")
        elif row["reference"]:
            print(f"         reference: {row['reference']}")
    return 0


def cmd_returns_record(args: argparse.Namespace) -> int:
    from groundswell.core.money import format_money
    from groundswell.ledger.states import ReturnMethod
    from groundswell.payments import returns
    from groundswell.payments.provider import gateway_for

    settings = checked_settings()
    raw = {"method": ReturnMethod.BANK_TRANSFER.value, "reference": args.reference or ""}

    async def work() -> tuple[str, Any]:
        principal = await _acting_admin(args.acting)
        item = await returns.get_return(args.id)
        data = returns.read_record(raw, int(item["amount"]))
        if not args.yes:
            summary = await returns.preview(args.id, data)
            money = format_money(int(item["amount"]), item["currency"])
            check = (
                f"Return {money} to {summary['funder_name']} by bank transfer {data.reference}; "
                f"the pool's available balance goes from "
                f"{format_money(summary['available_before'], item['currency'])} to "
                f"{format_money(summary['available_after'], item['currency'])}"
                + ("; then the pool closes." if item["close_pool"] else ".")
            )
            if not item["amount"]:
                check = "Close the pool: nothing to give back."
            return check, None
        return "", await returns.record_return(principal, gateway_for(settings), args.id, data)

    check, result = _run(work)
    if result is None:
        print(check)
        print("Nothing is recorded yet: run it again with --yes to record it.")
    elif result.created:
        print(
            f"Recorded return {args.id} as ledger transaction return:{args.id}."
            + (" The pool is closed." if result.closed else "")
        )
    else:
        print(f"Return {args.id} was recorded already; nothing changed.")
    return 0


def cmd_returns_decline(args: argparse.Namespace) -> int:
    settings = checked_settings()
    from groundswell.payments import returns

    async def work() -> bool:
        reason = returns.read_decline({"decline_reason": args.reason})
        return await returns.decline_return(
            await _acting_admin(args.acting), args.id, reason, public_url=settings.public_url
        )

    if _run(work):
        print(f"Declined request {args.id}; the funder is told why by e-mail. Nothing moved.")
    else:
        print(f"Request {args.id} was declined already; nothing changed.")
    return 0


def add_return_commands(commands: Any) -> None:
    parser = commands.add_parser("returns", help="money back to funders (as /admin/returns)")
    actions = parser.add_subparsers(dest="returns_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="requests waiting for an administrator")
    listing.add_argument("--all", action="store_true", help="also recorded and declined ones")
    listing.set_defaults(func=cmd_returns_list)
    record = actions.add_parser(
        "record", help="record a bank transfer already sent (shows the check; --yes records)"
    )
    record.add_argument("id", type=int)
    record.add_argument("--as", dest="acting", required=True, metavar="EMAIL")
    record.add_argument("--reference", help="the bank transfer's reference, as on the statement")
    record.add_argument("--yes", action="store_true", help="record it (without: only the check)")
    record.set_defaults(func=cmd_returns_record)
    decline = actions.add_parser("decline", help="decline a request, saying why (e-mailed)")
    decline.add_argument("id", type=int)
    decline.add_argument("--as", dest="acting", required=True, metavar="EMAIL")
    decline.add_argument("--reason", required=True)
    decline.set_defaults(func=cmd_returns_decline)


def cmd_deposits_unreconciled(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.core.money import format_money
    from groundswell.payments import deposit_reconciliation

    rows = _run(deposit_reconciliation.unreconciled)
    if not rows:
        print("Every bank-transfer deposit has its platform top-up recorded.")
    for row in rows:
        print(
            f"{row['id']:>5}  {row['received_on']:%Y-%m-%d}  "
            f"{format_money(row['amount'], row['currency']):>12}  {row['pool_name']} "
            f"(bank reference {row['external_reference']})"
        )
    return 0


def cmd_deposit_reconcile(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.payments import deposit_reconciliation

    async def work() -> bool:
        reference = deposit_reconciliation.read_reference({"platform_reference": args.reference})
        return await deposit_reconciliation.reconcile_deposit(
            await _acting_admin(args.acting), args.id, reference
        )

    if _run(work):
        print(f"Deposit {args.id} reconciled: it reached the platform balance by {args.reference}.")
    else:
        print(f"Deposit {args.id} was reconciled with {args.reference} already; nothing changed.")
    return 0


def add_deposit_reconciliation_commands(payments_commands: Any) -> None:
    payments_commands.add_parser(
        "unreconciled", help="bank-transfer deposits with no platform top-up recorded"
    ).set_defaults(func=cmd_deposits_unreconciled)
    reconcile = payments_commands.add_parser(
        "reconcile-deposit",
        help="record the platform top-up that moved a bank-transfer deposit to the balance",
    )
    reconcile.add_argument("id", type=int, help="the deposit")
    reconcile.add_argument("--as", dest="acting", required=True, metavar="EMAIL")
    reconcile.add_argument("--reference", required=True, help="the top-up's reference")
    reconcile.set_defaults(func=cmd_deposit_reconcile)
