"""Run every benchmark and print one table (also written as JSON to .run/bench-<time>.json).

- sms: the SMS webhook under wrk at concurrency 32, Groundswell beside the bare baseline
  (target ≥ 0.5×);
- listen: /listen's first page under wrk at 16 connections beside a bare app rendering the
  same HTML from the same SQL (target ≥ 0.7×), and each page's latency, on the small demo;
- listen-large: the same on the large demo (10,000 organisers, 1,000,000 testimonies, built
  once in groundswell_bench: several minutes the first time); target first page p50 < 20 ms;
- ingest: 500 signed SMS/s offered open-loop for 60 s to two web workers (zero lost, zero
  5xx, p99 receipt→reply queued < 2 s);
- allocation: a round of 10,000 organisers and 1,000,000 endorsements scored `pairwise`,
  the costliest method (< 30 s, < 500 MB);
- pairwise-one: the pure policy on one organiser with 50,000 voices under `pairwise` (< 30 s).

--quick runs shorter loads, no large demo and a smaller allocation (a few minutes).
Each bench prints its own detail first; the table at the end is for the README.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wrkbench as wb

BENCHES = ("sms", "listen", "listen-large", "ingest", "allocation", "pairwise-one")


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        kb = int(info.readline().split()[1])
    version = subprocess.run(
        [wb.PYTHON, "-c", "import asyncio, asyncpg, sys\n"
         "async def m():\n c = await asyncpg.connect(sys.argv[1])\n"
         " print(await c.fetchval('SHOW server_version')); await c.close()\n"
         "asyncio.run(m())", wb.PG],
        capture_output=True, text=True,
    ).stdout.strip() or "unreachable"  # fmt: skip
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {kb / 1024 / 1024:.0f} GiB RAM, Python "
        f"{platform.python_version()}, PostgreSQL {version}, {platform.system()} "
        f"{platform.release()}, {(wrk.stdout or wrk.stderr).split(' Copyright')[0]}"
    )


def commands(args: argparse.Namespace) -> dict[str, list[str]]:
    quick = args.quick
    pin = ["--no-pin"] if args.no_pin else []
    profile = ["--profile"] if args.profile else []
    load = ["--seconds", "8", "--repeat", "2", "--warmup", "2"] if quick else []
    return {
        "sms": ["sms.py", *load, *pin, *profile],
        "listen": ["listen_bench.py", *load, *pin, *profile],
        "listen-large": [
            "listen_bench.py", "--scale", "large", *load, *pin,
            *(["--database", args.listen_database] if args.listen_database else []),
        ],
        "ingest": ["ingest.py", *(["--seconds", "20"] if quick else []), *pin],
        "allocation": [
            "allocation_bench.py", "--method", "pairwise",
            *(["--organisers", "2000", "--endorsements", "200000"] if quick else []),
        ],
        "pairwise-one": [
            "policy_speed.py", "--method", "pairwise", "--shape", "one",
            "--voices", "5000" if quick else "50000",
        ],
    }  # fmt: skip


def cell(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def table_line(row: dict[str, Any]) -> str:
    """One README row, whatever the kind of bench."""
    if "groundswell_rps" in row:  # a wrk comparison
        return wb.table_row(row)
    if "pages" in row:  # latency, one connection
        gp50, gp99 = row["groundswell_p50_p99_ms"]
        bp50, bp99 = row["baseline_p50_p99_ms"]
        target = row.get("target_p50_ms")
        verdict = (
            f"p50 < {target:.0f} ms: {'met' if row['met'] else 'MISSED'}"
            if target
            else "judged at a million voices"
        )
        return f"| {row['benchmark']} | {gp50:.1f} ms | {bp50:.1f} ms | — ({verdict}) | {gp50:.1f} / {gp99:.1f} | {bp50:.1f} / {bp99:.1f} | — | — | wrk -c1 |"
    if "sender" in row:  # ingest
        sender, ceiling = row["sender"], row["sender_ceiling"]
        verdict = (
            "all checks met"
            if row["met"]
            else "MISSED: " + "; ".join(c["check"] for c in row["checks"] if not c["ok"])
        )
        return (
            f"| {row['benchmark']} | {row['accepted']:,} of {row['offered']:,} accepted, "
            f"{row['lost']} lost, {row['server_errors']} 5xx | — | {verdict} "
            f"| {row['p50_ms']:.0f} / {row['p99_ms']:.0f} (receipt→reply) | — | — | — "
            f"| open-loop sender: {ceiling['offered_rate']:.0f}/s to hello, late p99 "
            f"{ceiling['late_p99_ms']:.0f} ms; in the run late p99 {sender['late_p99_ms']:.0f} ms, "
            f"{sender['sender_cpu_share']:.0%} of a CPU |"
        )
    gs, base = row.get("groundswell"), row.get("baseline")  # allocation
    ratio = f"{gs / base:.1f}" if gs is not None and base else "—"
    return (
        f"| {row['benchmark']} | {cell(gs, 1)} | {cell(base, 1)} | {ratio} | — | — | — | — "
        f"| {row.get('note', '')} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short loads, no large demo")
    parser.add_argument("--only", choices=BENCHES, action="append")
    parser.add_argument("--no-pin", action="store_true", help="do not pin wrk and the servers")
    parser.add_argument(
        "--profile", action="store_true", help="sms and listen: one more run under py-spy"
    )
    parser.add_argument(
        "--listen-database", help="the kept database for the large demo (groundswell_bench)"
    )
    args = parser.parse_args()
    selected = args.only or [b for b in BENCHES if not (args.quick and b == "listen-large")]
    started = datetime.datetime.now(datetime.UTC)
    load_before = wb.loadavg_text()
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in commands(args).items():
            if name not in selected:
                continue
            summary = Path(tmp) / f"{name}.json"
            print(f"\n===== {name}: {' '.join(command)}  (load average {wb.loadavg_text()})",
                  flush=True)  # fmt: skip
            code = subprocess.call(
                [wb.PYTHON, str(wb.BENCH / command[0]), *command[1:], "--summary", str(summary)],
                cwd=wb.ROOT,
            )
            if code != 0:
                failed.append(f"{name} (exit {code})")
            if summary.exists():
                rows.extend({"bench": name, **row} for row in json.loads(summary.read_text()))
            else:
                rows.append({"bench": name, "benchmark": f"{name}: no result", "groundswell": None,
                             "baseline": None, "note": f"exit {code}"})  # fmt: skip
    load_after = wb.loadavg_text()
    about = machine()
    print(
        f"\nBenchmarks{' (quick)' if args.quick else ''}, {started:%Y-%m-%d %H:%M} UTC, on "
        f"{about}; load average (1/5/15 min) {load_before} at the start, {load_after} at the "
        f"end; {wb.Pinning.choose(not args.no_pin).describe()}\n"
    )
    print(wb.TABLE_HEADER)
    for row in rows:
        print(table_line(row))
    out = wb.ROOT / ".run" / f"bench-{started:%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "machine": about,
                "loadavg_before": load_before,
                "loadavg_after": load_after,
                "quick": args.quick,
                "benches": selected,
                "rows": rows,
                "failed": failed,
            },
            indent=1,
            default=str,
        )
    )
    print(f"\nJSON: {out.relative_to(wb.ROOT)}")
    if failed:
        print(f"Missed a target or failed: {', '.join(failed)} (see each bench's output above)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
