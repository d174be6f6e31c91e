"""SMS webhook ingest benchmark (signature check + store), Groundswell beside a bare baseline.

Both servers run one uvicorn worker on loopback against their own database on the same
PostgreSQL server; the same load generator drives each in turn at the same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

from loadgen import TABLE_HEADER, run_load, wait_until_up  # noqa: E402
from pgdb import database_url  # noqa: E402

TOKEN = "bench-twilio-token"
PG = os.environ.get(
    "GROUNDSWELL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request_factory(base_url: str, code: str):  # type: ignore[no-untyped-def]
    validator = RequestValidator(TOKEN)
    url = base_url + "/webhooks/twilio/sms"

    def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
        params = {
            "MessageSid": f"SMbench{n:026d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+4474{n % 100_000_000:08d}",
            "To": "+447400000001",
            "Body": f"{code} she got the lights fixed on the underpass, thank you ({n})",
            "NumMedia": "0",
        }
        headers = {
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return "POST", "/webhooks/twilio/sms", headers, urlencode(params).encode()

    return make


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--summary", help="also write the results as JSON to this file")
    args = parser.parse_args()

    suffix = f"{os.getpid()}"
    dbs = {"groundswell": f"bench_sms_gs_{suffix}", "baseline": f"bench_sms_base_{suffix}"}
    admin = await asyncpg.connect(PG)
    for name in dbs.values():
        await admin.execute(f'CREATE DATABASE "{name}"')
    processes: list[subprocess.Popen[bytes]] = []
    try:
        gs_port, base_port = free_port(), free_port()
        gs_env = {
            **os.environ,
            "GROUNDSWELL_DATABASE_URL": database_url(PG, dbs["groundswell"]),
            "GROUNDSWELL_PUBLIC_URL": f"http://127.0.0.1:{gs_port}",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "GROUNDSWELL_SCHEDULER": "false",
            "GROUNDSWELL_LOG_LEVEL": "WARNING",
        }
        python = sys.executable
        subprocess.run(
            [python, "-m", "groundswell", "demo"],
            env=gs_env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        gs_db = await asyncpg.connect(gs_env["GROUNDSWELL_DATABASE_URL"])
        code = await gs_db.fetchval(
            "SELECT code FROM organiser WHERE status = 'active' ORDER BY id LIMIT 1"
        )
        await gs_db.close()
        processes.append(
            subprocess.Popen(
                [python, "-m", "groundswell", "serve", "--port", str(gs_port), "--no-scheduler"],
                env=gs_env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        base_env = {
            **gs_env,
            "BASELINE_DATABASE_URL": database_url(PG, dbs["baseline"]),
            "GROUNDSWELL_PUBLIC_URL": f"http://127.0.0.1:{base_port}",
        }
        processes.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "sms_baseline:app",
                    "--port",
                    str(base_port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    "--app-dir",
                    str(ROOT / "scripts" / "bench"),
                ],
                env=base_env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        gs_url, base_url = f"http://127.0.0.1:{gs_port}", f"http://127.0.0.1:{base_port}"
        await wait_until_up(gs_url + "/health")
        await wait_until_up(base_url + "/")
        baseline = await run_load(
            "bare baseline (raw asyncpg)",
            base_url,
            request_factory(base_url, code),
            concurrency=args.concurrency,
            seconds=args.seconds,
        )
        groundswell = await run_load(
            "Groundswell",
            gs_url,
            request_factory(gs_url, code),
            concurrency=args.concurrency,
            seconds=args.seconds,
        )
        gs_db = await asyncpg.connect(gs_env["GROUNDSWELL_DATABASE_URL"])
        stored = await gs_db.fetchval("SELECT count(*) FROM inbound_message")
        vouches = await gs_db.fetchval("SELECT count(*) FROM endorsement")
        await gs_db.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        for name in dbs.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    ratio = groundswell.throughput / baseline.throughput if baseline.throughput else 0
    print(
        f"SMS webhook ingest, concurrency {args.concurrency}, {args.seconds:.0f} s each, one uvicorn worker, "
        f"{platform.machine()} {os.cpu_count()} cores, PostgreSQL on loopback"
    )
    print(TABLE_HEADER)
    print(baseline.row())
    print(groundswell.row())
    print(
        f"Groundswell / baseline throughput: {ratio:.2f} (target >= 0.50); messages stored {stored}, endorsements {vouches}"
    )
    if args.summary:
        Path(args.summary).write_text(
            json.dumps(
                [
                    {
                        "benchmark": f"SMS webhook ingest, concurrency {args.concurrency} (req/s)",
                        "groundswell": groundswell.throughput,
                        "baseline": baseline.throughput,
                        "unit": "req/s",
                        "p50_p99": [
                            groundswell.percentile(0.5),
                            groundswell.percentile(0.99),
                            baseline.percentile(0.5),
                            baseline.percentile(0.99),
                        ],
                        "note": f"{args.seconds:.0f} s each; {groundswell.server_errors} 5xx",
                    }
                ]
            )
        )
    return 0 if ratio >= 0.5 and groundswell.server_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
