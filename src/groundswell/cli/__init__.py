"""The `groundswell` command: serve, migrate, demo, createuser, token, scheduler, sms, resident,
export, allocate, deposit, ledger check|correction, returns, payments reconcile, outbox send. Each area's command bodies live in
their own module; the parser and `main` are here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from groundswell.cli.accounts import cmd_createuser, cmd_token, cmd_token_list, cmd_token_revoke
from groundswell.cli.common import CommandError
from groundswell.cli.data import cmd_demo, cmd_export_360giving
from groundswell.cli.ledger import add_correction_commands
from groundswell.cli.money import (
    cmd_allocate,
    cmd_deposit,
    cmd_ledger_check,
    cmd_payments_reconcile,
)
from groundswell.cli.residents import cmd_resident, cmd_sms_process, cmd_sms_simulate
from groundswell.cli.returns import add_deposit_reconciliation_commands, add_return_commands
from groundswell.cli.server import cmd_migrate, cmd_outbox_send, cmd_scheduler, cmd_serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groundswell", description="Listening grants without strings."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="migrate if needed and serve the site (and the scheduler)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-scheduler", action="store_true", help="do not run the scheduler in this process"
    )
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    commands.add_parser(
        "scheduler", help="run the scheduler on its own (one leads, others wait)"
    ).set_defaults(func=cmd_scheduler)

    demo = commands.add_parser("demo", help="load realistic demo data (again without duplicates)")
    demo.add_argument(
        "--scale",
        choices=["small", "large"],
        default="small",
        help="large adds 10,000 organisers and 1,000,000 testimonies in bulk (use PostgreSQL)",
    )
    demo.add_argument("--organisers", type=int, default=10_000, help="organisers in the large demo")
    demo.add_argument(
        "--testimonies", type=int, default=1_000_000, help="testimonies in the large demo"
    )
    demo.set_defaults(func=cmd_demo)

    createuser = commands.add_parser("createuser", help="create a user")
    createuser.add_argument("--email", required=True)
    createuser.add_argument("--role", required=True, choices=["admin", "funder", "host"])
    createuser.add_argument(
        "--org", type=int, action="append", help="funder id (funder) or host id (host); repeatable"
    )
    createuser.add_argument("--name")
    createuser.add_argument("--password", help="prefer GROUNDSWELL_NEW_PASSWORD or the prompt")
    createuser.set_defaults(func=cmd_createuser)

    sms = commands.add_parser("sms", help="SMS tools")
    sms_commands = sms.add_subparsers(dest="sms_command", required=True, metavar="ACTION")
    simulate = sms_commands.add_parser(
        "simulate", help="handle a message as if Twilio delivered it; prints the reply"
    )
    simulate.add_argument(
        "--from", dest="sender", required=True, help="the resident's number, e.g. +447911123456"
    )
    simulate.add_argument(
        "--sid", help="MessageSid (default: a new one); repeat one to see replay handling"
    )
    simulate.add_argument("body", help='the message, e.g. "AMINA-7K she listens"')
    simulate.set_defaults(func=cmd_sms_simulate)
    process = sms_commands.add_parser(
        "process",
        help="process the texts the webhook recorded and queue their replies (a loop)",
    )
    process.add_argument("--once", action="store_true", help="process what is waiting, then stop")
    process.add_argument(
        "--batch", type=int, default=25, help="messages per transaction (default 25)"
    )
    process.add_argument(
        "--workers",
        type=int,
        help="batches processed at once (default 4 on PostgreSQL, 1 on SQLite)",
    )
    process.set_defaults(func=cmd_sms_process)

    resident = commands.add_parser(
        "resident", help="residents' rights: export or erase what is held for a number"
    )
    resident_commands = resident.add_subparsers(
        dest="resident_command", required=True, metavar="ACTION"
    )
    for action, text in (
        ("export", "print everything held for this number"),
        ("erase", "erase everything held for this number"),
    ):
        sub = resident_commands.add_parser(action, help=text)
        sub.add_argument("--phone", required=True)
        sub.set_defaults(func=lambda args, action=action: cmd_resident(action, args))

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create an API token and print it once")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="what the token is for")
    create.add_argument(
        "--expires-days", type=int, default=None, help="days until it expires (90; at most 365)"
    )
    create.add_argument("--read-only", action="store_true", help="it may only read (GET) the API")
    create.set_defaults(func=cmd_token)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--email", help="only this user's tokens")
    listing.set_defaults(func=cmd_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its prefix or id")
    revoke.add_argument("token", metavar="PREFIX_OR_ID")
    revoke.set_defaults(func=cmd_token_revoke)

    export = commands.add_parser("export", help="publish open data")
    export_commands = export.add_subparsers(dest="export_command", required=True, metavar="FORMAT")
    threesixty = export_commands.add_parser(
        "360giving", help="every grant as a 360Giving data package (JSON) or spreadsheet (CSV)"
    )
    threesixty.add_argument("--out", help="write to this file (default: standard output)")
    threesixty.add_argument("--format", choices=["json", "csv"], default="json")
    threesixty.set_defaults(func=cmd_export_360giving)
    allocate = commands.add_parser(
        "allocate", help="compute a pool's round for the current period now"
    )
    allocate.add_argument("--pool", type=int, required=True, metavar="ID")
    allocate.add_argument(
        "--dry-run", action="store_true", help="compute and explain without writing anything"
    )
    allocate.add_argument("--json", action="store_true", help="print one JSON object")
    allocate.set_defaults(func=cmd_allocate)

    deposit = commands.add_parser("deposit", help="record a bank transfer into a pool")
    deposit.add_argument("--pool", type=int, required=True, metavar="ID")
    deposit.add_argument("--amount", required=True, help="in pounds, e.g. 2500.00")
    deposit.add_argument("--reference", required=True, help="the bank transfer's reference")
    deposit.add_argument("--received-on", metavar="YYYY-MM-DD", help="default: today")
    deposit.add_argument("--note")
    deposit.add_argument(
        "--funder", metavar="ID", help="whose money, for a co-funded pool (default: its lead)"
    )
    deposit.set_defaults(func=cmd_deposit)

    ledger = commands.add_parser("ledger", help="the double-entry ledger")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    ledger_commands.add_parser(
        "check", help="verify every ledger invariant; exit 1 naming each violation"
    ).set_defaults(func=cmd_ledger_check)
    add_correction_commands(ledger_commands)
    add_return_commands(commands)
    payments = commands.add_parser("payments", help="payments to hosts")
    payments_commands = payments.add_subparsers(
        dest="payments_command", required=True, metavar="ACTION"
    )
    payments_commands.add_parser(
        "reconcile",
        help="compare the provider's transfers with the ledger; exit 1 naming each difference",
    ).set_defaults(func=cmd_payments_reconcile)
    add_deposit_reconciliation_commands(payments_commands)
    outbox = commands.add_parser("outbox", help="queued SMS and e-mail")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    outbox_commands.add_parser(
        "send", help="send what is due now; print what happened per channel and each failure"
    ).set_defaults(func=cmd_outbox_send)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(f"groundswell: {exc}", file=sys.stderr)
        return 2
