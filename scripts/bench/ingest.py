"""SMS ingest under a constant offered load: 500 signed messages/s for 60 s to two web
workers plus the processor (`groundswell sms process`), then: zero lost, zero 5xx, and the
p99 time from a message's receipt to its reply being queued, under 2 s.

Run through scripts/bench/ingest (or scripts/bench/all --only ingest).

The load is open-loop (openloop.py, in its own process pinned to CPU 0): request i leaves at
start + i/rate whatever the server does, so the offered rate holds when the server falls
behind and latency counts from each request's due time. wrk cannot offer a constant rate
(each connection waits for its answer; its Lua delay() only spaces one connection's
requests, so a slow server still lowers the rate) and wrk2 is not a Debian package. Before
the run the sender offers the same rate to hello_app for a few seconds: its lateness and CPU
there are its own ceiling. The web workers, the processor and PostgreSQL are not pinned:
they need both CPUs.

Receipt → reply queued, from the database: the webhook stores `inbound_message.received_at`
as it records a message, and the processor sets `processed_at` in the transaction that
queues the reply (stamped as each message is processed; the batch commits a few
milliseconds later). The bench waits (`--drain-seconds`) until every message of the run is
processed, then takes p99(processed_at - received_at) over them; a message left
unprocessed, or set aside because its processing failed, counts as lost. `--processor`
names other `groundswell` arguments to run instead (e.g. "scheduler"), or none; `--inline`
has the web workers process each message within the request instead
(GROUNDSWELL_SMS_INLINE), and then the time is each request's latency from its due time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wrkbench as wb

P99_TARGET_MS = 2000.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def stored(url: str, processed: bool) -> dict[str, Any]:
    """The run's messages in the database: sid → (times stored, receipt→processed ms, failed)."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT message_sid, count(*) AS n, "
            "max(extract(epoch FROM processed_at - received_at))::float8 * 1000 AS ms, "
            "bool_or(error <> '') AS failed "
            "FROM inbound_message WHERE message_sid LIKE 'SMbench%' GROUP BY message_sid"
        )
    finally:
        await connection.close()
    return {
        row["message_sid"]: (row["n"], row["ms"] if processed else None, row["failed"])
        for row in rows
    }


async def drain(url: str, processed: bool, seconds: float) -> float:
    """Wait until nothing new is stored for 3 s and, with a processor, every stored message
    of the run is processed (or `seconds` pass); returns the seconds waited."""
    started = time.monotonic()
    connection = await asyncpg.connect(url)
    try:
        quiet, last = 0, -1
        while time.monotonic() - started < seconds:
            count = await connection.fetchval(
                "SELECT count(*) FROM inbound_message WHERE message_sid LIKE 'SMbench%'"
            )
            pending = 0
            if processed:
                pending = await connection.fetchval(
                    "SELECT count(*) FROM inbound_message WHERE message_sid LIKE 'SMbench%' "
                    "AND processed_at IS NULL"
                )
            quiet = quiet + 1 if count == last else 0
            last = count
            if quiet >= 3 and not pending:
                break
            await asyncio.sleep(1)
    finally:
        await connection.close()
    return time.monotonic() - started


def run_sender(
    url: str, requests: Path, rate: float, seconds: float, out: Path, pinning: wb.Pinning
) -> dict[str, Any]:
    command = [
        wb.PYTHON, str(wb.BENCH / "openloop.py"), "--url", url, "--requests", str(requests),
        "--rate", str(rate), "--seconds", str(seconds), "--out", str(out),
    ]  # fmt: skip
    wb.subprocess.run(pinning.wrap(command, pinning.generator), check=True, cwd=wb.ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def sender_summary(result: dict[str, Any]) -> dict[str, float]:
    answered = [ms for ms, code in zip(result["latency_ms"], result["status"], strict=True) if code]
    return {
        "offered": result["requests"],
        "offered_rate": result["requests"] / result["sent_in_s"],
        "answered_rate": len(answered) / result["finished_in_s"],
        "late_p99_ms": percentile(result["late_ms"], 0.99),
        "late_max_ms": max(result["late_ms"], default=0.0),
        "latency_p50_ms": percentile(answered, 0.5),
        "latency_p99_ms": percentile(answered, 0.99),
        "latency_max_ms": max(answered, default=0.0),
        "sender_cpu_share": result["cpu_s"] / result["finished_in_s"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=500, help="messages per second (500)")
    parser.add_argument("--seconds", type=float, default=60, help="load window (60)")
    parser.add_argument("--workers", type=int, default=2, help="web workers (2)")
    parser.add_argument(
        "--processor", default="sms process", help='groundswell arguments ("sms process"), or none'
    )
    parser.add_argument(
        "--inline", action="store_true", help="the web workers process within the request"
    )
    parser.add_argument("--drain-seconds", type=float, default=120)
    parser.add_argument("--ceiling-seconds", type=float, default=10)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--summary", help="also write the result rows as JSON to this file")
    args = parser.parse_args()
    pinning = wb.Pinning.choose(not args.no_pin)
    logs = wb.run_dir("ingest")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_before = wb.loadavg_text()
    name = f"bench_ingest_{os.getpid()}"
    servers: list[wb.Server] = []
    with wb.fresh_databases(name, keep=args.keep) as urls:
        url = urls[name]
        env = {
            **os.environ,
            "GROUNDSWELL_DATABASE_URL": url,
            "GROUNDSWELL_PUBLIC_URL": wb.SMS_PUBLIC_URL,
            "GROUNDSWELL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "GROUNDSWELL_PHONE_KEY": "bench-phone-key-0123456789abcdef0123",
            "TWILIO_AUTH_TOKEN": wb.TWILIO_TOKEN,
            "GROUNDSWELL_SCHEDULER": "false",
            "GROUNDSWELL_LOG_LEVEL": "WARNING",
            "GROUNDSWELL_SMS_INLINE": "true" if args.inline else "false",
        }
        wb.subprocess.run([wb.PYTHON, "-m", "groundswell", "demo"], env=env, cwd=wb.ROOT,
                          check=True, stdout=wb.subprocess.DEVNULL)  # fmt: skip
        processed = not args.inline
        processor = None if args.inline or args.processor == "none" else shlex.split(args.processor)
        codes = asyncio.run(_codes(url))
        total = int(args.rate * args.seconds)
        ceiling_count = int(args.rate * args.ceiling_seconds)
        requests = wb.write_sms_requests(logs / "requests.tsv", codes, 0, total)
        ceiling_requests = wb.write_sms_requests(logs / "ceiling.tsv", codes, total, ceiling_count)
        ports = {"hello": wb.free_port(), "web": wb.free_port()}
        try:
            hello = wb.start_server("hello", wb.uvicorn_command("hello_app:app", ports["hello"]),
                                    env, ports["hello"], logs, pinning)  # fmt: skip
            servers.append(hello)
            web = wb.start_server(
                "web",
                [wb.PYTHON, "-m", "groundswell", "serve", "--host", "127.0.0.1",
                 "--port", str(ports["web"]), "--workers", str(args.workers), "--no-scheduler"],
                env, ports["web"], logs, pinning, pin=False,
            )  # fmt: skip
            servers.append(web)
            if processor:
                servers.append(
                    wb.start_server(
                        "processor",
                        [wb.PYTHON, "-m", "groundswell", *processor],
                        env,
                        0,
                        logs,
                        pinning,
                        pin=False,
                    )
                )
            wb.wait_until_up(hello, "/")
            wb.wait_until_up(web, "/health")
            print(
                f"SMS ingest: {args.rate:.0f} msg/s for {args.seconds:.0f} s ({total:,} distinct "
                f"signed messages) to {args.workers} web workers; processor: "
                f"{' '.join(processor) if processor else 'none (the webhook processes inline)'}; "
                f"receipt→reply-queued from: "
                f"{'inbound_message.processed_at - received_at' if processed else 'request latency (inline)'}; "
                f"sender on CPU {pinning.generator if pinning.generator is not None else '(any)'}, "
                f"servers not pinned; load average before: {load_before}",
                flush=True,
            )
            ceiling = sender_summary(
                run_sender(
                    hello.url,
                    ceiling_requests,
                    args.rate,
                    args.ceiling_seconds,
                    logs / "ceiling.json",
                    pinning,
                )
            )
            print(
                f"sender ceiling (hello_app, {args.ceiling_seconds:.0f} s): offered "
                f"{ceiling['offered_rate']:.0f}/s, late p99 {ceiling['late_p99_ms']:.1f} ms, "
                f"latency p99 {ceiling['latency_p99_ms']:.1f} ms, sender CPU "
                f"{ceiling['sender_cpu_share']:.0%} of one",
                flush=True,
            )
            server_meter = wb.CpuMeter([web.pid], name)
            server_meter.start()
            result = run_sender(web.url, requests, args.rate, args.seconds, logs / "load.json",
                                pinning)  # fmt: skip
            waited = asyncio.run(drain(url, processed, args.drain_seconds))
            _, db_cpu = server_meter.stop()
        finally:
            wb.stop_servers(servers)
        in_db = asyncio.run(stored(url, processed))
    load_after = wb.loadavg_text()
    if not args.keep:
        for path in logs.glob("*.tsv"):
            path.unlink()

    summary = sender_summary(result)
    statuses: list[int] = result["status"]
    sids: list[str] = result["sids"]
    accepted = [sid for sid, code in zip(sids, statuses, strict=True) if 200 <= code < 300]
    server_errors = sum(1 for code in statuses if code >= 500)
    other = sum(1 for code in statuses if 0 < code < 200 or 300 <= code < 500)
    no_answer = sum(1 for code in statuses if code == 0)
    missing = [sid for sid in accepted if sid not in in_db]
    twice = [sid for sid, (n, _, _) in in_db.items() if n != 1]
    if processed:
        times = [
            ms
            for sid in accepted
            if sid in in_db and (ms := in_db[sid][1]) is not None and not in_db[sid][2]
        ]
        unprocessed = sum(1 for sid in accepted if sid in in_db and in_db[sid][1] is None)
        failed = sum(1 for sid in accepted if sid in in_db and in_db[sid][2])
        source = "inbound_message.processed_at - received_at"
    else:
        times = [
            ms for ms, code in zip(result["latency_ms"], statuses, strict=True) if 200 <= code < 300
        ]
        unprocessed = failed = 0
        source = "request latency from its due time (processing is inline)"
    p99 = percentile(times, 0.99)
    # A request without an answer (the sender gave up) is lost unless the server stored it
    # anyway; Twilio would retry it, but it still counts against "answered".
    unanswered = [sid for sid, code in zip(sids, statuses, strict=True) if code == 0]
    unanswered_lost = sum(1 for sid in unanswered if sid not in in_db)
    lost = len(missing) + unprocessed + failed + unanswered_lost
    checks = [
        ("offered rate held (sender p99 lateness < 100 ms)", summary["late_p99_ms"] < 100,
         f"{summary['offered_rate']:.1f}/s offered, sender late p99 {summary['late_p99_ms']:.1f} ms, "
         f"max {summary['late_max_ms']:.0f} ms"),
        ("zero lost", lost == 0 and not twice,
         f"{len(accepted):,} accepted of {len(sids):,}; {len(missing)} accepted but not stored, "
         f"{unprocessed} stored but not processed, {failed} failed in processing, {unanswered_lost} unanswered and not stored, "
         f"{len(twice)} stored more than once"),
        ("every request answered", no_answer == 0,
         f"{no_answer} without an answer within the sender's timeout "
         f"({no_answer - unanswered_lost} of them stored all the same)"),
        ("zero 5xx", server_errors == 0, f"{server_errors} 5xx, {other} other non-2xx"),
        (f"p99 receipt→reply queued < {P99_TARGET_MS / 1000:.0f} s", p99 < P99_TARGET_MS,
         f"p50 {percentile(times, 0.5):.0f} ms, p99 {p99:.0f} ms, max "
         f"{max(times, default=0):.0f} ms ({source})"),
    ]  # fmt: skip
    print(
        f"\nload: {len(sids):,} messages, answered at {summary['answered_rate']:.1f}/s; request "
        f"latency from due time p50 {summary['latency_p50_ms']:.0f} ms, p99 "
        f"{summary['latency_p99_ms']:.0f} ms; sender CPU {summary['sender_cpu_share']:.0%} of "
        f"one; PostgreSQL CPU (its db) {db_cpu or 0:.1f} s; drained in {waited:.0f} s; load "
        f"average after: {load_after}\n"
    )
    for check, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {check}: {detail}")
    row: dict[str, object] = {
        "benchmark": f"SMS ingest, {args.rate:.0f} msg/s offered for {args.seconds:.0f} s, "
        f"{args.workers} web workers",
        "path": "POST /webhooks/twilio/sms (open loop)",
        "offered": len(sids),
        "accepted": len(accepted),
        "lost": lost,
        "server_errors": server_errors,
        "p50_ms": percentile(times, 0.5),
        "p99_ms": p99,
        "p99_source": source,
        "processor": " ".join(processor) if processor else None,
        "sender": summary,
        "sender_ceiling": ceiling,
        "checks": [{"check": c, "ok": ok, "detail": d} for c, ok, d in checks],
        "met": all(ok for _, ok, _ in checks),
        "started": started,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    wb.write_summary(args.summary, [row])
    print(f"\nLogs: {logs}")
    return 0 if row["met"] else 1


async def _codes(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT code FROM organiser WHERE status = 'active' ORDER BY id"
        )
    finally:
        await connection.close()
    return [row["code"] for row in rows]


if __name__ == "__main__":
    raise SystemExit(main())
