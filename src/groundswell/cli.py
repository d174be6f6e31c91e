"""The `groundswell` command: serve, migrate, demo, createuser, token, scheduler, sms, resident,
export, allocate, deposit, ledger check, payments reconcile, outbox send."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from groundswell.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from groundswell.allocation.services import RoundReport
    from groundswell.core.errors import DomainError


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


async def _with_database(work: Callable[[], Awaitable[Any]]) -> Any:
    from groundswell import db

    await db.start()
    try:
        return await work()
    finally:
        await db.stop()


def cmd_migrate(args: argparse.Namespace) -> int:
    _settings()
    from groundswell.migrate import apply_migrations, pending_migrations

    async def work() -> list[str]:
        before = await pending_migrations()
        await apply_migrations()
        return before

    applied = asyncio.run(_with_database(work))
    print(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    import uvicorn

    cmd_migrate(args)
    if args.workers > 1 and not args.no_scheduler:
        # Every worker would compete for leadership; one leads and the rest wait, which is
        # correct but wasteful, so say how to run the scheduler once instead.
        print("Note: with several workers, prefer --no-scheduler plus one `groundswell scheduler`.")
    os.environ["GROUNDSWELL_SCHEDULER"] = "false" if args.no_scheduler else "true"
    print(
        f"Groundswell is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True
    )
    uvicorn.run(
        "groundswell.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=settings.is_production,
        access_log=False,
    )
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings = _settings()
    from groundswell.scheduler import SchedulerRunner

    async def work() -> None:
        runner = SchedulerRunner(settings)
        print("Scheduler started; it runs jobs while it leads and waits otherwise.", flush=True)
        await runner.run_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_with_database(work))
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _settings()
    from groundswell.accounts import services
    from groundswell.accounts.roles import Role
    from groundswell.core.errors import DomainError

    password = args.password or os.environ.get("GROUNDSWELL_NEW_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CommandError(
                "Give --password or GROUNDSWELL_NEW_PASSWORD when not at a terminal."
            )
        password = getpass.getpass("Password (10 characters or more): ")
    role = Role(args.role)
    orgs = tuple(args.org or ())

    async def work() -> int:
        return await services.create_user(
            email=args.email,
            name=args.name or args.email.split("@")[0],
            password=password,
            role=role,
            funder_ids=orgs if role is Role.FUNDER else (),
            host_ids=orgs if role is Role.HOST else (),
        )

    try:
        user_id = asyncio.run(_with_database(work))
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        raise CommandError(f"{exc.detail} {details}".strip()) from None
    print(f"Created {role.value} user {services.normalise_email(args.email)} (id {user_id}).")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _settings()
    from groundswell.accounts import services
    from groundswell.core.errors import DomainError

    try:
        token = asyncio.run(
            _with_database(lambda: services.create_api_token(args.email, args.name))
        )
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    from groundswell.demo import load_demo
    from groundswell.demo_voices import LargeScale
    from groundswell.migrate import apply_migrations

    if args.organisers < 1 or args.testimonies < 1:
        raise CommandError("--organisers and --testimonies must be at least 1.")
    large = LargeScale(organisers=args.organisers, testimonies=args.testimonies)
    if args.scale == "large" and settings.is_sqlite:
        print(
            f"Warning: building {large.testimonies:,} testimonies on SQLite is slow (several "
            "minutes) and makes a large file; PostgreSQL is the engine for this scale. "
            "Use --testimonies for a smaller set.",
            file=sys.stderr,
        )

    async def work() -> Any:
        await apply_migrations()
        return await load_demo(scale=args.scale, settings=settings, large=large)

    report = asyncio.run(_with_database(work))
    print(report)
    return 0


def cmd_sms_simulate(args: argparse.Namespace) -> int:
    """Run the real inbound-SMS handler, as if Twilio had delivered the message."""
    settings = _settings()
    import uuid

    from groundswell.vouching.services import handle_sms

    sid = args.sid or f"SIMULATED{uuid.uuid4().hex}"
    reply = asyncio.run(
        _with_database(
            lambda: handle_sms(settings, message_sid=sid, from_number=args.sender, body=args.body)
        )
    )
    print(reply.text)
    return 0


def _resident_command(action: str, args: argparse.Namespace) -> int:
    settings = _settings()
    import json

    from groundswell.core.phones import InvalidPhoneNumber
    from groundswell.vouching import residents

    work = residents.export if action == "export" else residents.erase
    try:
        result = asyncio.run(_with_database(lambda: work(settings, args.phone)))
    except InvalidPhoneNumber as exc:
        raise CommandError(str(exc)) from None
    print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_export_360giving(args: argparse.Namespace) -> int:
    settings = _settings()
    import json
    import tempfile
    from pathlib import Path

    from groundswell.core.errors import DomainError
    from groundswell.exports import services

    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise CommandError(f"There is no folder {str(out.parent)!r} to write {out.name!r} in.")
    if out is not None and out.is_dir():
        raise CommandError(f"{str(out)!r} is a folder; give a file name.")
    try:
        package = asyncio.run(_with_database(lambda: services.build_package(settings)))
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    if args.format == "csv":
        text = services.package_csv(package)
    else:
        text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return 0
    # Written beside the target and renamed over it, so no reader sees half a file.
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(text)
        os.replace(temporary, out)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise CommandError(f"Could not write {str(out)!r}: {exc.strerror or exc}.") from None
    grants = package.get("grants")
    count = len(grants) if isinstance(grants, list) else 0
    print(f"Wrote {count} grant(s) to {out} (360Giving {args.format.upper()}).", file=sys.stderr)
    return 0


def _problem(exc: DomainError) -> CommandError:
    details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
    return CommandError(f"{exc.detail} {details}".strip())


class ProgressBar:
    """A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        moment = time.monotonic()
        finished = total == 0 or done >= total
        if not finished and moment - self.shown_at < 0.1:
            return
        self.shown_at = moment
        fraction = 1.0 if total == 0 else min(done / total, 1.0)
        bar = "#" * int(fraction * 30)
        self.stream.write(f"\r{phase:<22} [{bar:<30}] {fraction:4.0%} ({done:,}/{total:,})\033[K")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()


def _print_round(report: RoundReport, *, dry_run: bool) -> None:
    from groundswell.core.clock import on_uk_clocks
    from groundswell.core.money import format_money

    def money(amount: int) -> str:
        return format_money(amount, report.currency)

    where = "dry run, nothing written" if dry_run else f"round {report.round_id}, {report.status}"
    print(
        f"Pool {report.pool_id} ({report.pool_name}), {report.period.label()} "
        f"({report.period.start} to {report.period.end}) — {where}"
    )
    print(
        f"Budget {money(report.budget)}: {money(report.allocated)} to {report.funded} of "
        f"{len(report.lines)} eligible organisers, {money(report.unallocated)} unallocated."
    )
    if report.review_until is not None:
        print(f"Review window ends {on_uk_clocks(report.review_until):%-d %b %Y %H:%M %Z}.")
    width = max([len(line.organiser) for line in report.lines] + [9])
    for line in sorted(report.lines, key=lambda x: (-x.amount, x.organiser)):
        print(
            f"  {line.organiser:<{width}} {money(line.amount):>14} {line.endorsers:>5} voices  "
            f"score {line.score:<8.4g} {line.explanation.get('summary', '')}"
        )


def cmd_allocate(args: argparse.Namespace) -> int:
    settings = _settings()
    from groundswell.allocation import services
    from groundswell.core.errors import DomainError

    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None

    async def work() -> tuple[services.Computed, int | None]:
        outcome = await services.compute_round(
            args.pool, dry_run=args.dry_run, public_url=settings.public_url, progress=progress
        )
        period = outcome.report.period
        return outcome, await services.round_for(args.pool, period.start)

    try:
        outcome, stored = asyncio.run(_with_database(work))
    except DomainError as exc:
        raise _problem(exc) from None
    finally:
        if progress is not None:
            progress.close()
    report = outcome.report
    if args.dry_run and stored is not None:
        print(
            f"Note: the {report.period.label()} round of pool {report.pool_id} exists already "
            f"(round {stored}); this dry run shows what the voices say now and changes nothing.",
            file=sys.stderr,
        )
    if not args.dry_run and not outcome.created:
        print(
            f"The {report.period.label()} round of pool {report.pool_id} exists already "
            f"(round {report.round_id}, {report.status}); nothing was computed.",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        _print_round(report, dry_run=args.dry_run)
    return 0


def cmd_deposit(args: argparse.Namespace) -> int:
    _settings()
    from groundswell.core.errors import DomainError
    from groundswell.core.money import format_money
    from groundswell.funders import services

    raw = {
        "amount": args.amount,
        "reference": args.reference,
        "received_on": args.received_on or "",
        "note": args.note or "",
    }

    async def work() -> tuple[services.DepositRecorded, dict[str, Any], int]:
        data = services.read_deposit_input(raw)
        recorded = await services.record_deposit(None, args.pool, data)
        return recorded, await services.get_pool(args.pool), data.amount

    try:
        recorded, pool, amount = asyncio.run(_with_database(work))
    except DomainError as exc:
        raise _problem(exc) from None
    if recorded.created:
        print(
            f"Recorded deposit {recorded.deposit_id}: {format_money(amount, pool['currency'])} "
            f"into pool {args.pool} ({pool['name']})."
        )
    else:
        print(
            f"Deposit {recorded.deposit_id} with reference {args.reference!r} was recorded "
            "already; nothing changed."
        )
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    _settings()
    from groundswell.ledger.checks import check_ledger

    report = asyncio.run(_with_database(check_ledger))
    if report.ok:
        print(
            f"Ledger OK: {report.transactions} transactions, {report.postings} postings, "
            f"{report.accounts} accounts; every invariant holds."
        )
        return 0
    for violation in report.violations:
        print(f"VIOLATION: {violation}")
    print(f"{len(report.violations)} violation(s) found.", file=sys.stderr)
    return 1


def cmd_payments_reconcile(args: argparse.Namespace) -> int:
    settings = _settings()
    from groundswell.payments.reconcile import reconcile

    async def work() -> list[str]:
        return await reconcile(settings)

    differences = asyncio.run(_with_database(work))
    if not differences:
        print("Payments reconcile: the provider's transfers match the ledger.")
        return 0
    for difference in differences:
        print(f"DIFFERENCE: {difference}")
    print(f"{len(differences)} difference(s) found.", file=sys.stderr)
    return 1


def cmd_outbox_send(args: argparse.Namespace) -> int:
    settings = _settings()
    from groundswell.outbox.services import send_due

    async def work() -> Any:
        return await send_due(settings)

    for line in asyncio.run(_with_database(work)).lines():
        print(line)
    return 0


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
        sub.set_defaults(func=lambda args, action=action: _resident_command(action, args))

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create an API token and print it once")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_token)

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
    deposit.set_defaults(func=cmd_deposit)

    ledger = commands.add_parser("ledger", help="the double-entry ledger")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    ledger_commands.add_parser(
        "check", help="verify every ledger invariant; exit 1 naming each violation"
    ).set_defaults(func=cmd_ledger_check)
    payments = commands.add_parser("payments", help="payments to hosts")
    payments_commands = payments.add_subparsers(
        dest="payments_command", required=True, metavar="ACTION"
    )
    payments_commands.add_parser(
        "reconcile",
        help="compare the provider's transfers with the ledger; exit 1 naming each difference",
    ).set_defaults(func=cmd_payments_reconcile)
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


if __name__ == "__main__":
    raise SystemExit(main())
