"""Benchmark /listen on the large demo (run through scripts/bench/listen).

1. Latency: each kind of page (first, 1,000 pages deep, filtered, searched, ...) requested
   one at a time over a kept-alive loopback connection, after a warm-up; the median is
   what the server takes (plus well under a millisecond of loopback HTTP).
2. Throughput: the first page of /listen under the same concurrent load, from the same
   load generator on this machine, served by (a) the bare baseline (raw asyncpg + the same
   Jinja templates in a tiny ASGI app) and (b) Groundswell signed in as a funder.
   Groundswell must reach at least half the baseline's throughput.

Loopback only; every run is bounded by --duration. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
MEDIAN_TARGET_MS = 50.0
THROUGHPUT_TARGET = 0.5
PUBLISHED = (
    "e.verification IN ('sms_inbound', 'sms_code') AND e.state = 'active' "
    "AND e.moderation <> 'flagged' AND e.consent_to_publish"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up:\n{log.read_text()[-3000:]}")


async def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.strip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"Use a plain database name (lower case, digits, _), not {name!r}.")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@dataclass
class Scenario:
    name: str
    path: str


async def scenarios(url: str) -> list[Scenario]:
    """The pages to time, with a real 1,000-pages-deep cursor for each sort."""
    from groundswell.core.cursor import encode_keyset

    connection = await asyncpg.connect(url)
    try:
        deep = await connection.fetchrow(
            f"SELECT e.updated_at, e.id FROM endorsement e WHERE {PUBLISHED} "
            "ORDER BY e.updated_at DESC, e.id DESC OFFSET 19999 LIMIT 1"
        )
        deep_by_organiser = await connection.fetchrow(
            "SELECT o.name, o.id AS oid, e.updated_at, e.id FROM endorsement e "
            f"JOIN organiser o ON o.id = e.organiser WHERE {PUBLISHED} "
            "ORDER BY o.name, o.id, e.updated_at DESC, e.id DESC OFFSET 19999 LIMIT 1"
        )
        locality = await connection.fetchval(
            "SELECT locality FROM organiser GROUP BY locality ORDER BY count(*) DESC LIMIT 1"
        )
        pool = await connection.fetchval(
            "SELECT pool FROM pool_locality GROUP BY pool ORDER BY count(*) DESC LIMIT 1"
        )
        host = await connection.fetchval(
            "SELECT host FROM organiser GROUP BY host ORDER BY count(*) DESC LIMIT 1"
        )
        busiest = await connection.fetchval(
            "SELECT o.code FROM endorsement e JOIN organiser o ON o.id = e.organiser "
            "GROUP BY o.code ORDER BY count(*) DESC LIMIT 1"
        )
    finally:
        await connection.close()
    cursor = encode_keyset("newest", (deep["updated_at"], deep["id"]))
    cursor_by_organiser = encode_keyset(
        "organiser",
        (
            deep_by_organiser["name"],
            deep_by_organiser["oid"],
            deep_by_organiser["updated_at"],
            deep_by_organiser["id"],
        ),
    )

    def listen(**params: object) -> str:
        return "/listen" + ("?" + urlencode(params) if params else "")

    return [
        Scenario("first page", listen()),
        Scenario("1,000 pages deep", listen(cursor=cursor)),
        Scenario("filtered: place", listen(locality=locality)),
        Scenario("filtered: pool + theme", listen(pool=pool, theme="hope")),
        Scenario("filtered: host, by organiser", listen(host=host, sort="organiser")),
        Scenario("filtered: dates", listen(**{"from": "2025-06-01", "to": "2025-06-30"})),
        Scenario("search: common word", listen(q="football")),
        Scenario("search: phrase + theme", listen(q='"credit union"', theme="concern")),
        Scenario("search: no match", listen(q="zebra")),
        Scenario("search in a place", listen(q="library", locality=locality)),
        Scenario(
            "by organiser, 1,000 pages deep", listen(sort="organiser", cursor=cursor_by_organiser)
        ),
        Scenario("htmx partial: theme", listen(theme="idea")),
        Scenario("organiser page (busiest)", f"/organisers/{busiest}"),
        Scenario("place page (most organisers)", f"/localities/{locality}"),
    ]


def sign_in(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "email": "funder@groundswell.example",
                "password": "groundswell-demo",
                "_csrf_token": client.cookies["csrftoken"],
            },
        )
        if response.status_code not in (302, 303) or "gs_session" not in client.cookies:
            raise SystemExit(f"Could not sign in as the demo funder: {response.status_code}")
        return str(client.cookies["gs_session"])


def time_requests(base: str, path: str, cookie: str | None, count: int, htmx: bool) -> list[float]:
    headers = {"HX-Request": "true"} if htmx else {}
    cookies = {"gs_session": cookie} if cookie else {}
    timings = []
    with httpx.Client(base_url=base, cookies=cookies, headers=headers) as client:
        for n in range(count + 5):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}\n{response.text[-1000:]}")
            if n >= 5:  # warm-up first
                timings.append(elapsed)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str


def run_wrk(url: str, cookie: str | None, connections: int, duration: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: gs_session={cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    assert rps, output
    if socket_errors:
        print(f"  wrk: socket errors: {socket_errors.group(1)}", file=sys.stderr)
    return Load(
        requests_per_second=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=int(errors.group(1)) if errors else 0,
        tool="wrk",
    )


async def run_python_load(url: str, cookie: str | None, connections: int, duration: int) -> Load:
    """A small httpx load generator, when wrk is not installed."""
    timings: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    cookies = {"gs_session": cookie} if cookie else {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(cookies=cookies, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return Load(
        requests_per_second=len(timings) / elapsed,
        p50_ms=percentile(timings, 0.5),
        p99_ms=percentile(timings, 0.99),
        errors=errors,
        tool="python-httpx",
    )


def load(url: str, cookie: str | None, args: argparse.Namespace) -> Load:
    if args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk")):
        return run_wrk(url, cookie, args.connections, args.duration)
    return asyncio.run(run_python_load(url, cookie, args.connections, args.duration))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "GROUNDSWELL_BENCH_DATABASE_URL",
            "postgresql://postgres@127.0.0.1:5432/groundswell_bench",
        ),
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--samples", type=int, default=50, help="timed requests per page")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--organisers", type=int, default=10_000, help="size of the large demo (first build)"
    )
    parser.add_argument(
        "--testimonies", type=int, default=1_000_000, help="size of the large demo (first build)"
    )
    parser.add_argument("--summary", help="also write the results as JSON to this file")
    args = parser.parse_args()
    if not 1 <= args.duration <= 300:
        parser.error("--duration is 1 to 300 seconds")
    if not args.database.startswith("postgresql://"):
        parser.error("the benchmark runs on PostgreSQL: --database postgresql://...")

    asyncio.run(ensure_database(args.database))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "STRIPE_"))}
    env.update(
        GROUNDSWELL_DATABASE_URL=args.database,
        GROUNDSWELL_ENV="development",
        GROUNDSWELL_SECRET_KEY=env.get(
            "GROUNDSWELL_SECRET_KEY", "bench-secret-key-0123456789abcdef"
        ),
        GROUNDSWELL_PHONE_KEY=env.get("GROUNDSWELL_PHONE_KEY", "bench-phone-key-0123456789abcdef"),
        GROUNDSWELL_SCHEDULER="false",
        GROUNDSWELL_LOG_LEVEL="WARNING",
    )
    print("Large demo (loaded once; later runs reuse it) …", file=sys.stderr, flush=True)
    subprocess.run(
        [
            PYTHON,
            "-m",
            "groundswell",
            "demo",
            "--scale",
            "large",
            "--organisers",
            str(args.organisers),
            "--testimonies",
            str(args.testimonies),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    logs = Path(tempfile.mkdtemp(prefix="groundswell-bench-"))
    app_port, base_port = free_port(), free_port()
    env["GROUNDSWELL_PUBLIC_URL"] = f"http://127.0.0.1:{app_port}"
    groundswell_cmd = [
        PYTHON,
        "-m",
        "groundswell",
        "serve",
        "--port",
        str(app_port),
        "--no-scheduler",
    ]
    baseline_cmd = [
        PYTHON, "-m", "uvicorn", "--app-dir", str(ROOT / "scripts" / "bench"), "baseline_app:app",
        "--host", "127.0.0.1", "--port", str(base_port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with (
        process(groundswell_cmd, env, logs / "groundswell.log") as groundswell,
        process(baseline_cmd, env, logs / "baseline.log") as baseline,
    ):
        app, base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
        wait_until_up(f"{app}/health", groundswell, logs / "groundswell.log")
        wait_until_up(f"{base}/listen", baseline, logs / "baseline.log")
        cookie = sign_in(app)
        counts = asyncio.run(_counts(args.database))
        print(f"\n## /listen on {counts}\n")
        print("### Server time per page (sequential, after warm-up)\n")
        print("| Page | median ms | p99 ms |\n|---|---:|---:|")
        missed = []
        first_page: list[float] = []
        for scenario in asyncio.run(scenarios(args.database)):
            timings = time_requests(
                app, scenario.path, cookie, args.samples, htmx=scenario.name.startswith("htmx")
            )
            median = statistics.median(timings)
            first_page = first_page or timings
            print(
                f"| {scenario.name} | {median:.1f} | {percentile(timings, 0.99):.1f} |", flush=True
            )
            if median > MEDIAN_TARGET_MS:
                missed.append(f"{scenario.name}: median {median:.1f} ms > {MEDIAN_TARGET_MS} ms")
        base_timings = time_requests(base, "/listen", None, args.samples, htmx=False)
        print(
            f"| (baseline) first page | {statistics.median(base_timings):.1f} "
            f"| {percentile(base_timings, 0.99):.1f} |"
        )
        print(
            f"\n### Throughput: first page of /listen, {args.connections} connections, "
            f"{args.duration} s each\n"
        )
        results = {}
        for name, url, who in (
            ("baseline (asyncpg + Jinja, bare ASGI)", f"{base}/listen", None),
            ("Groundswell (signed-in funder)", f"{app}/listen", cookie),
        ):
            results[name] = load(url, who, args)
        print("| Server | requests/s | p50 ms | p99 ms | errors | load generator |")
        print("|---|---:|---:|---:|---:|---|")
        for name, result in results.items():
            print(
                f"| {name} | {result.requests_per_second:.0f} | {result.p50_ms:.1f} "
                f"| {result.p99_ms:.1f} | {result.errors} | {result.tool} |"
            )
        baseline_rps, app_rps = (r.requests_per_second for r in results.values())
        ratio = app_rps / baseline_rps if baseline_rps else 0.0
        print(f"\nGroundswell reaches {ratio:.0%} of the baseline's throughput (target ≥ 50%).")
        if ratio < THROUGHPUT_TARGET:
            missed.append(f"throughput {ratio:.0%} of the baseline < 50%")
        if any(r.errors for r in results.values()):
            missed.append("some responses were not 200")
        if args.summary:
            base_result, app_result = results.values()
            Path(args.summary).write_text(
                json.dumps(
                    [
                        {
                            "benchmark": "/listen first page, one request at a time (ms)",
                            "groundswell": statistics.median(first_page),
                            "baseline": statistics.median(base_timings),
                            "unit": "ms median",
                            "p50_p99": [
                                statistics.median(first_page),
                                percentile(first_page, 0.99),
                                statistics.median(base_timings),
                                percentile(base_timings, 0.99),
                            ],
                            "note": f"{args.samples} requests; {counts.split('; ')[0]}",
                        },
                        {
                            "benchmark": f"/listen first page, {args.connections} connections (req/s)",
                            "groundswell": app_result.requests_per_second,
                            "baseline": base_result.requests_per_second,
                            "unit": "req/s",
                            "p50_p99": [
                                app_result.p50_ms,
                                app_result.p99_ms,
                                base_result.p50_ms,
                                base_result.p99_ms,
                            ],
                            "note": f"{args.duration} s each, {app_result.tool}",
                        },
                    ]
                )
            )
    print(f"\nServer logs: {logs}", file=sys.stderr)
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed else 0


async def _counts(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        organisers = await connection.fetchval("SELECT count(*) FROM organiser")
        voices = await connection.fetchval("SELECT count(*) FROM endorsement")
        version = await connection.fetchval("SHOW server_version")
        buffers = await connection.fetchval("SHOW shared_buffers")
    finally:
        await connection.close()
    cpus = os.cpu_count()
    return (
        f"{organisers:,} organisers, {voices:,} testimonies; PostgreSQL {version} "
        f"(shared_buffers {buffers}); {cpus} CPUs; one Groundswell worker"
    )


if __name__ == "__main__":
    raise SystemExit(main())
