"""SMS webhook throughput: Groundswell beside a bare baseline, under wrk, same PostgreSQL.

Run through scripts/bench/sms (or scripts/bench/all --only sms).

- Each server is one uvicorn worker with its own fresh database on the same PostgreSQL
  server (created here, dropped afterwards): Groundswell (`groundswell serve`, small demo) and
  the bare baseline (sms_baseline.py: signature check, keyed hash of the phone, one INSERT,
  TwiML in raw asyncpg).
- The load is wrk at a fixed concurrency (32) with lua/requests.lua: every request is a
  distinct, correctly Twilio-signed inbound SMS — fresh MessageSid, fresh phone, a vouch for
  one of the demo's organisers — precomputed into a file before the clock starts.
- First the generator's ceiling: the same wrk script and concurrency against hello_app.py
  on the server's CPU. Then a warm-up per server, then `--repeat` measured runs per server,
  alternating which goes first, each with requests no server has seen.
- Afterwards the databases are checked: every answered request stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wrkbench as wb

TARGET_RATIO = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="each measured run (15)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up per server (3)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per server (3)")
    parser.add_argument("--ceiling-seconds", type=float, default=5)
    parser.add_argument(
        "--max-rate",
        type=int,
        default=6000,
        help="requests/s to prepare for per run (a run that exhausts them is rejected)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin wrk and the server")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the measured runs, one more Groundswell run under py-spy (dev extra)",
    )
    parser.add_argument("--summary", help="also write the result rows as JSON to this file")
    args = parser.parse_args()
    wb.require_wrk()
    pinning = wb.Pinning.choose(not args.no_pin)
    logs = wb.run_dir("sms")
    suffix = os.getpid()
    names = {"groundswell": f"bench_sms_gs_{suffix}", "baseline": f"bench_sms_base_{suffix}"}
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_before = wb.loadavg_text()
    servers: list[wb.Server] = []
    with wb.fresh_databases(*names.values(), keep=args.keep) as urls:
        gs_url, base_url = urls[names["groundswell"]], urls[names["baseline"]]
        env = {
            **os.environ,
            "GROUNDSWELL_DATABASE_URL": gs_url,
            "GROUNDSWELL_PUBLIC_URL": wb.SMS_PUBLIC_URL,
            "GROUNDSWELL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "GROUNDSWELL_PHONE_KEY": "bench-phone-key-0123456789abcdef0123",
            "TWILIO_AUTH_TOKEN": wb.TWILIO_TOKEN,
            "GROUNDSWELL_SCHEDULER": "false",
            "GROUNDSWELL_LOG_LEVEL": "WARNING",
        }
        wb.subprocess.run(
            [wb.PYTHON, "-m", "groundswell", "demo"],
            env=env,
            cwd=wb.ROOT,
            check=True,
            stdout=wb.subprocess.DEVNULL,
        )
        codes = asyncio.run(_active_codes(gs_url))
        ports = {name: wb.free_port() for name in ("hello", "baseline", "groundswell")}
        try:
            servers = [
                wb.start_server(
                    "hello", wb.uvicorn_command("hello_app:app", ports["hello"]), env,
                    ports["hello"], logs, pinning,
                ),
                wb.start_server(
                    "baseline", wb.uvicorn_command("sms_baseline:app", ports["baseline"]),
                    {**env, "BASELINE_DATABASE_URL": base_url}, ports["baseline"], logs, pinning,
                ),
                wb.start_server(
                    "groundswell",
                    [wb.PYTHON, "-m", "groundswell", "serve", "--host", "127.0.0.1",
                     "--port", str(ports["groundswell"]), "--workers", "1", "--no-scheduler"],
                    env, ports["groundswell"], logs, pinning,
                ),
            ]  # fmt: skip
            hello, baseline, groundswell = servers
            wb.wait_until_up(hello, "/")
            wb.wait_until_up(baseline, "/")
            wb.wait_until_up(groundswell, "/health")

            # Requests: slice 0 for the warm-ups, one slice per measured run (the same slice
            # on both servers: each has its own database, so neither has seen them).
            per_run = int(args.max_rate * (args.seconds + 2))
            warm = int(args.max_rate * (args.warmup + 1))
            t0 = time.monotonic()
            warm_file = wb.write_sms_requests(logs / "requests-warmup.tsv", codes, 0, warm)
            run_files = [
                wb.write_sms_requests(
                    logs / f"requests-{i}.tsv", codes, warm + i * per_run, per_run
                )
                for i in range(args.repeat + args.profile)
            ]
            # One more, never sent by wrk: the sanity request each server answers first.
            probe_n = warm + (args.repeat + args.profile) * per_run
            probe = wb.write_sms_requests(logs / "probe.tsv", codes, probe_n, 1)
            print(
                f"{probe_n:,} distinct signed requests prepared in {time.monotonic() - t0:.1f} s",
                flush=True,
            )
            replies = {s.name: _send_probe(s.url, probe) for s in (baseline, groundswell)}
            for name, (status, text) in replies.items():
                print(f"sanity: {name} answered {status}: {text[:160]!r}")
                if status != 200 or "<Response" not in text:
                    raise SystemExit(f"{name} did not accept a signed SMS: {status} {text[:300]}")

            script = "requests.lua"
            print(
                f"\nSMS webhook, wrk -t1 -c{args.concurrency}; {pinning.describe()}; "
                f"load average before: {load_before}\n"
            )
            print(wb.RUN_HEADER)
            wb.run_wrk(
                "hello (warm-up)", hello.url + wb.SMS_PATH, connections=args.concurrency,
                seconds=1, pinning=pinning, script=script,
                script_args=[str(run_files[0]), wb.SMS_PATH],
            )  # fmt: skip
            ceiling = wb.run_wrk(
                "generator ceiling: hello_app", hello.url + wb.SMS_PATH,
                connections=args.concurrency, seconds=args.ceiling_seconds, pinning=pinning,
                script=script, script_args=[str(run_files[0]), wb.SMS_PATH],
                server_pid=hello.pid,
            )  # fmt: skip
            ceiling.wrapped = 0  # the hello app stores nothing: repeats there do not matter
            print(ceiling.line(), flush=True)
            for server, db in ((baseline, names["baseline"]), (groundswell, names["groundswell"])):
                run = wb.run_wrk(
                    f"{server.name} (warm-up)", server.url + wb.SMS_PATH,
                    connections=args.concurrency, seconds=args.warmup, pinning=pinning,
                    script=script, script_args=[str(warm_file), wb.SMS_PATH],
                    server_pid=server.pid, database=db,
                )  # fmt: skip
                print(run.line(), flush=True)

            def measure(name: str, url: str, pid: int, i: int) -> wb.WrkRun:
                return wb.run_wrk(
                    f"{name} #{i + 1}", url + wb.SMS_PATH, connections=args.concurrency,
                    seconds=args.seconds, pinning=pinning, script=script,
                    script_args=[str(run_files[i]), wb.SMS_PATH], server_pid=pid,
                    database=names[name],
                )  # fmt: skip

            ours, theirs = wb.run_pairs(
                groundswell=("groundswell", groundswell.url, groundswell.pid),
                baseline=("baseline", baseline.url, baseline.pid),
                repeat=args.repeat,
                measure=measure,
            )
            profile: list[str] = []
            if args.profile:
                collapsed = logs / "groundswell-profile.txt"
                spy = wb.start_profile(groundswell.pid, args.seconds, collapsed)
                run = measure("groundswell", groundswell.url, groundswell.pid, args.repeat)
                run.target = "groundswell under py-spy (not counted)"
                print(run.line(), flush=True)
                if spy is not None:
                    spy.wait(timeout=args.seconds + 60)
                    profile = wb.summarise_profile(collapsed)
                    print("\nProfile of Groundswell's worker under that load (py-spy):")
                    print("\n".join(profile))
        finally:
            wb.stop_servers(servers)
        stored = asyncio.run(_stored(gs_url, base_url))
    if not args.keep:  # hundreds of thousands of signed requests: tens of MB
        for path in logs.glob("*.tsv"):
            path.unlink()
    load_after = wb.loadavg_text()

    answered = sum(r.requests - r.non_2xx for r in ours)
    comparison = wb.Comparison(
        benchmark=f"SMS webhook, concurrency {args.concurrency} (req/s)",
        path="POST /webhooks/twilio/sms",
        connections=args.concurrency,
        target_ratio=TARGET_RATIO,
        groundswell=ours,
        baseline=theirs,
        ceiling=ceiling,
        note=(
            f"{args.repeat} × {args.seconds:.0f} s each, alternating; load average "
            f"{load_before} before, {load_after} after"
        ),
    )
    row = comparison.row()
    row.update(
        started=started,
        pinning=pinning.describe(),
        loadavg_before=load_before,
        loadavg_after=load_after,
        stored=stored,
        groundswell_reply=replies["groundswell"][1],
        profile=profile,
    )
    print(
        f"\nStored: Groundswell {stored['groundswell_messages']:,} inbound messages and "
        f"{stored['groundswell_new_endorsements']:,} new endorsements; baseline "
        f"{stored['baseline_messages']:,} rows (measured runs answered {answered:,} on "
        "Groundswell, plus warm-up, the probe and up to one in flight per connection at "
        "each run's end)"
    )
    print(
        f"Groundswell ÷ baseline: {comparison.ratio:.2f} (median of {args.repeat} runs each; "
        f"pairs {', '.join(f'{r:.2f}' for r in comparison.pair_ratios)}); target ≥ "
        f"{TARGET_RATIO:.2f}"
    )
    print(f"Generator ceiling: {comparison.ceiling_text()}")
    for problem in comparison.problems:
        print(f"PROBLEM: {problem}")
    print(f"\n{wb.TABLE_HEADER}\n{wb.table_row(row)}")
    print(f"\nServer logs: {logs}")
    wb.write_summary(args.summary, [row])
    return 0 if comparison.met else 1


def _send_probe(url: str, probe: Path) -> tuple[int, str]:
    signature, body = probe.read_text().rstrip("\n").split("\t", 1)
    response = httpx.post(
        url + wb.SMS_PATH,
        content=body,
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=30,
    )
    return response.status_code, response.text


async def _active_codes(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT code FROM organiser WHERE status = 'active' ORDER BY id"
        )
    finally:
        await connection.close()
    if not rows:
        raise SystemExit("the demo has no active organiser to vouch for")
    return [row["code"] for row in rows]


async def _stored(gs_url: str, base_url: str) -> dict[str, int]:
    gs = await asyncpg.connect(gs_url)
    base = await asyncpg.connect(base_url)
    try:
        return {
            "groundswell_messages": await gs.fetchval(
                "SELECT count(*) FROM inbound_message WHERE message_sid LIKE 'SMbench%'"
            ),
            "groundswell_new_endorsements": await gs.fetchval(
                "SELECT count(*) FROM endorsement e JOIN resident r ON r.id = e.resident "
                "JOIN inbound_message m ON m.voice_hash = r.voice_hash "
                "WHERE m.message_sid LIKE 'SMbench%'"
            ),
            "baseline_messages": await base.fetchval("SELECT count(*) FROM inbound"),
        }
    finally:
        await gs.close()
        await base.close()


if __name__ == "__main__":
    raise SystemExit(main())
