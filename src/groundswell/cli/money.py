"""Money: computing a pool's round, recording a deposit, checking the ledger and reconciling
payments."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from groundswell.cli.common import CommandError, checked_settings, problem, with_database

if TYPE_CHECKING:
    from groundswell.allocation.reports import Computed, RoundReport


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
    settings = checked_settings()
    from groundswell.allocation import rounds
    from groundswell.core.errors import DomainError

    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None

    async def work() -> tuple[Computed, int | None]:
        outcome = await rounds.compute_round(
            args.pool, dry_run=args.dry_run, public_url=settings.public_url, progress=progress
        )
        period = outcome.report.period
        return outcome, await rounds.round_for(args.pool, period.start)

    try:
        outcome, stored = asyncio.run(with_database(work))
    except DomainError as exc:
        raise problem(exc) from None
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
    checked_settings()
    from groundswell.core.errors import DomainError
    from groundswell.core.money import format_money
    from groundswell.ledger import deposits as services

    raw = {
        "amount": args.amount,
        "reference": args.reference,
        "received_on": args.received_on or "",
        "note": args.note or "",
        "funder_id": args.funder or "",
    }

    async def work() -> tuple[services.DepositRecorded, dict[str, Any], int]:
        data = services.read_deposit_input(raw)
        recorded = await services.record_deposit(None, args.pool, data)
        return recorded, await services.get_pool(args.pool), data.amount

    try:
        recorded, pool, amount = asyncio.run(with_database(work))
    except DomainError as exc:
        raise problem(exc) from None
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
    checked_settings()
    from groundswell.ledger_check import check_ledger

    report = asyncio.run(with_database(check_ledger))
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
    """Compare the provider with the ledger, store and report each difference, name each."""
    settings = checked_settings()
    from groundswell.payments.findings import reconcile_and_report
    from groundswell.payments.gateway import GatewayError

    async def work() -> list[str]:
        return [d.text for d in await reconcile_and_report(settings)]

    try:
        differences = asyncio.run(with_database(work))
    except GatewayError as exc:
        raise CommandError(f"Could not reach the payment provider: {exc}") from None
    if not differences:
        print(
            "Payments reconcile: the provider's deposits, refunds, transfers and balance "
            "match the ledger."
        )
        return 0
    for difference in differences:
        print(f"DIFFERENCE: {difference}")
    print(
        f"{len(differences)} difference(s) found; administrators are e-mailed about each once.",
        file=sys.stderr,
    )
    return 1
