"""Run every benchmark (SMS ingest, /listen, allocation) and print one table.

Full size by default (the large demo of 10,000 organisers and 1,000,000 testimonies for
/listen and the allocation bench, built on first use); --quick runs smaller data sets and
shorter loads in a few minutes. Each bench still prints its own detailed output; the table
at the end puts Groundswell beside its baseline for each.
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

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get(
    "GROUNDSWELL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
sys.path.insert(0, str(ROOT / "scripts"))

from pgdb import database_url  # noqa: E402


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        kb = int(info.readline().split()[1])
    import asyncio

    async def pg_version() -> str:
        connection = await asyncpg.connect(PG)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        version = asyncio.run(pg_version())
    except Exception as exc:  # the table still says what it could
        version = f"unreachable ({type(exc).__name__})"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {kb / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, PostgreSQL {version}, {platform.system()} "
        f"{platform.release()}"
    )


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, short loads")
    parser.add_argument(
        "--listen-database",
        help="PostgreSQL database for the /listen bench's demo (kept and reused); default "
        "groundswell_bench, or groundswell_bench_quick with --quick",
    )
    parser.add_argument("--only", choices=["sms", "listen", "allocation"], action="append")
    args = parser.parse_args()
    quick = args.quick
    listen_db = args.listen_database or database_url(
        PG, "groundswell_bench_quick" if quick else "groundswell_bench"
    )
    benches = {
        "sms": ["sms.py", "--seconds", "8" if quick else "20"],
        "listen": [
            "listen_bench.py",
            "--database",
            listen_db,
            *(
                [
                    "--organisers",
                    "1000",
                    "--testimonies",
                    "100000",
                    "--duration",
                    "8",
                    "--samples",
                    "20",
                    "--tool",
                    "python",
                ]
                if quick
                else []
            ),
        ],
        "allocation": [
            "allocation_bench.py",
            *(["--organisers", "2000", "--endorsements", "200000"] if quick else []),
        ],
    }
    rows: list[dict] = []
    failed: list[str] = []
    started = datetime.datetime.now(datetime.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in benches.items():
            if args.only and name not in args.only:
                continue
            summary = Path(tmp) / f"{name}.json"
            print(f"\n===== {name}: {' '.join(command)}", flush=True)
            code = subprocess.call(
                [sys.executable, str(ROOT / "scripts" / "bench" / command[0]), *command[1:],
                 "--summary", str(summary)],
                cwd=ROOT,
            )  # fmt: skip
            if code != 0:
                failed.append(f"{name} (exit {code})")
            if summary.exists():
                rows.extend(json.loads(summary.read_text()))
            else:
                rows.append({"benchmark": f"{name}: no result", "groundswell": None,
                             "baseline": None, "unit": "", "p50_p99": None, "note": ""})  # fmt: skip

    print()
    print(
        f"Benchmarks ({'quick' if quick else 'full'}), {started:%Y-%m-%d %H:%M} UTC, on {machine()}"
    )
    print()
    print(
        "| benchmark | Groundswell | baseline | ratio (Groundswell ÷ baseline) "
        "| p50 / p99 ms, Groundswell | p50 / p99 ms, baseline | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        gs, base = row["groundswell"], row["baseline"]
        ratio = f"{gs / base:.2f}" if gs is not None and base else "—"
        p = row.get("p50_p99")
        ours = f"{p[0]:.0f} / {p[1]:.0f}" if p else "—"
        theirs = f"{p[2]:.0f} / {p[3]:.0f}" if p else "—"
        print(
            f"| {row['benchmark']} | {fmt(gs)} | {fmt(base)} | {ratio} | {ours} | {theirs} "
            f"| {row.get('note', '')} |"
        )
    if failed:
        print(f"\nMissed a target or failed: {', '.join(failed)} (see each bench's output above)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
