"""Benchmark: compute a round over a large PostgreSQL data set (see scripts/bench/allocation).

Builds a fresh database (generate_series, so it takes seconds, not minutes), records a deposit,
then measures, each in its own process so peak memory is its own:

  groundswell allocate --pool 1 --dry-run --json   the real thing: candidates, streamed
                                                   endorsements, the pure policy, explanations
  baseline                                         the same signal (who counts, weights, sqrt
                                                   score) as one SQL aggregate via asyncpg

and prints wall time and peak RSS of each. The target: < 30 s and < 500 MB for 10,000
organisers and 1,000,000 endorsements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"

GENERATE = """
INSERT INTO locality (name, ons_ward_code, ons_la_code, local_authority)
VALUES ('Benchmark ward', 'E05000001', 'E06000001', 'Benchmark');
INSERT INTO funder (name, website, created_at) VALUES ('Benchmark Foundation', '', now());
INSERT INTO pool (funder, name, description, currency, cadence, round_budget, review_days,
                  score_method, window_days, half_life_days, min_endorsers, floor_amount,
                  cap_amount, pairwise_m, is_active, created_at)
VALUES (1, 'Benchmark pool', '', 'GBP', 'quarterly', 100000000, 7, '$method', 180, 90, 5, 0,
        NULL, 1.0, true, now());
INSERT INTO host_organisation (name, contact_name, contact_email, postcode,
                               stripe_details_submitted, stripe_payouts_enabled, created_at)
SELECT 'Host ' || g, '', '', '', false, false, now() FROM generate_series(1, 100) g;
INSERT INTO resident (voice_hash, lang, messages_stopped, hear_back, created_at)
SELECT encode(sha256(('bench-resident-' || g)::bytea), 'hex'), 'en', false, false, now()
FROM generate_series(1, $residents) g;
-- Every 500th organiser has a phone, which one resident uses: a self-endorsement.
INSERT INTO organiser (name, code, host, locality, bursary_start, bursary_end, status, bio,
                       phone_hash, created_at)
SELECT 'Organiser ' || g, 'ORG-' || g, (g % 100) + 1, 1,
       current_date - 400, current_date - 35 - (g % 30), 'active', '',
       CASE WHEN g % 500 = 0 THEN encode(sha256(('bench-resident-' || g)::bytea), 'hex') END,
       now()
FROM generate_series(1, $organisers) g;
-- Each resident vouches for `per` distinct organisers; dates mostly within the window.
INSERT INTO endorsement (resident, organiser, testimony, theme, display_name, neighbourhood,
                         show_funders, channel, verification, state, moderation, flags,
                         score, source_hash, created_at, updated_at, withdrawn_at)
SELECT r, o, 'She got the council to fix the lights on the underpass.', 'value', '', '',
       false, 'sms',
       CASE WHEN x < 0.90 THEN 'sms_inbound' WHEN x < 0.95 THEN 'sms_code' ELSE 'unverified' END,
       CASE WHEN y < 0.02 THEN 'withdrawn' WHEN y < 0.025 THEN 'hidden' ELSE 'active' END,
       CASE WHEN z < 0.01 THEN 'flagged' ELSE 'clear' END,
       '[]', NULL, '', at, at, NULL
FROM (
    SELECT (g - 1) / $per + 1 AS r,
           ((((g - 1) / $per) * 37 + ((g - 1) % $per) * 2503) % $organisers) + 1 AS o,
           random() AS x, random() AS y, random() AS z,
           now() - CASE WHEN random() < 0.05 THEN interval '200 days'
                        ELSE random() * interval '170 days' END AS at
    FROM generate_series(1, $endorsements) g
) AS rows;
"""

BASELINE = """
import asyncio, json, sys
import asyncpg

QUERY = '''
SELECT o.code, count(*) AS endorsers,
       sqrt(sum(CASE e.verification WHEN 'unverified' THEN 0 ELSE 1 END
                * power(0.5, extract(epoch FROM (now() - e.updated_at)) / 86400 / p.half_life_days))) AS score
FROM endorsement e
JOIN organiser o ON o.id = e.organiser
JOIN resident r ON r.id = e.resident
JOIN pool p ON p.id = $1
WHERE o.status = 'active' AND o.bursary_end <= $2::date
  AND (NOT EXISTS (SELECT 1 FROM pool_locality pl WHERE pl.pool = p.id)
       OR o.locality IN (SELECT pl.locality FROM pool_locality pl WHERE pl.pool = p.id))
  AND e.state = 'active' AND e.moderation <> 'flagged' AND e.verification <> 'unverified'
  AND r.voice_hash IS DISTINCT FROM o.phone_hash
  AND e.updated_at > now() - make_interval(days => p.window_days) AND e.updated_at <= now()
GROUP BY o.code, p.min_endorsers
HAVING count(*) >= p.min_endorsers
'''

async def main(url, period_end):
    import datetime
    connection = await asyncpg.connect(url)
    rows = await connection.fetch(QUERY, 1, datetime.date.fromisoformat(period_end))
    await connection.close()
    print(json.dumps({"scored": len(rows)}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


# Runs a module or a script and, on the way out, writes its own peak RSS (VmHWM, which starts
# afresh at exec; getrusage in the parent would also count the forked parent's pages).
PEAK = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(peak)
atexit.register(report)
kind, target, *args = sys.argv[1:]
if kind == "module":
    sys.argv = [target, *args]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *args]
    exec(compile(target, "<baseline>", "exec"), {"__name__": "__main__"})
"""


def measure(
    kind: str, target: str, args: list[str], env: dict[str, str], stdout_path: Path
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit status of one child process."""
    peak_file = stdout_path.with_suffix(".peak")
    command = [sys.executable, "-c", PEAK, kind, target, *args]
    with stdout_path.open("w") as out:
        started = time.perf_counter()
        result = subprocess.run(
            command,
            env={**env, "BENCH_PEAK_FILE": str(peak_file)},
            stdout=out,
            stderr=subprocess.PIPE,
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode())
        return wall, 0.0, result.returncode
    return wall, int(peak_file.read_text()) / 1024, 0


async def generate(url: str, organisers: int, endorsements: int, per: int, method: str) -> float:
    residents = -(-endorsements // per)
    sql = (
        GENERATE.replace("$method", method)
        .replace("$residents", str(residents))
        .replace("$organisers", str(organisers))
        .replace("$endorsements", str(endorsements))
        .replace("$per", str(per))
    )
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
        # As a live database would be: statistics gathered, hint bits and visibility map set.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def admin(server: str, statement: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organisers", type=int, default=10_000)
    parser.add_argument("--endorsements", type=int, default=1_000_000)
    parser.add_argument(
        "--per-resident", type=int, default=4, help="organisers each resident backs"
    )
    parser.add_argument(
        "--server", default=os.environ.get("GROUNDSWELL_BENCH_POSTGRES_URL", DEFAULT_SERVER)
    )
    parser.add_argument(
        "--method",
        choices=["proportional", "sqrt", "quadratic", "pairwise", "cocm"],
        default="sqrt",
        help="the pool's scoring method (pairwise at M = 1)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--summary", help="also write the results as JSON to this file")
    args = parser.parse_args()
    offsets = {k * 2503 % args.organisers for k in range(args.per_resident)}
    if not 1 <= args.per_resident <= len(offsets) == args.per_resident:
        parser.error("--per-resident must give each resident distinct organisers (try 1 to 4)")

    name = f"gs_bench_{os.getpid()}"
    url = database_url(args.server, name)
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    env = {
        **os.environ,
        "GROUNDSWELL_DATABASE_URL": url,
        "GROUNDSWELL_ENV": "development",
        "GROUNDSWELL_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "GROUNDSWELL_PHONE_KEY": "bench-phone-key-0123456789abcdef",
    }
    groundswell = [sys.executable, "-m", "groundswell"]
    try:
        subprocess.run([*groundswell, "migrate"], env=env, check=True, capture_output=True)
        print(
            f"Generating {args.organisers:,} organisers and {args.endorsements:,} endorsements "
            f"in {name}, scoring {args.method}…",
            flush=True,
        )
        seconds = asyncio.run(
            generate(url, args.organisers, args.endorsements, args.per_resident, args.method)
        )
        print(f"  generated in {seconds:.1f} s", flush=True)
        subprocess.run(
            [
                *groundswell,
                "deposit",
                "--pool",
                "1",
                "--amount",
                "1000000.00",
                "--reference",
                "BENCH",
            ],
            env=env,
            check=True,
            capture_output=True,
        )

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "round.json"
            wall, rss, code = measure(
                "module",
                "groundswell",
                ["allocate", "--pool", "1", "--dry-run", "--json"],
                env,
                out,
            )
            if code != 0:
                print("groundswell allocate failed", file=sys.stderr)
                return 1
            body = json.loads(out.read_text())
            eligible = sum(1 for a in body["allocations"] if a["explanation"]["eligible"])
            funded = sum(1 for a in body["allocations"] if a["amount"] > 0)
            base_out = Path(tmp) / "baseline.json"
            base_wall, base_rss, base_code = measure(
                "script", BASELINE, [url, body["period"]["end"]], env, base_out
            )
            if base_code != 0:
                print("baseline failed", file=sys.stderr)
                return 1
            scored = json.loads(base_out.read_text())["scored"]

        rows = [
            (
                "groundswell allocate --dry-run --json",
                wall,
                rss,
                f"{eligible:,} eligible, {funded:,} funded, explained",
            ),
            (
                "baseline: one SQL aggregate (asyncpg)",
                base_wall,
                base_rss,
                f"{scored:,} scored, no shares",
            ),
        ]
        print()
        print(f"{'':<40} {'wall (s)':>9} {'peak RSS (MB)':>14}  result")
        for label, seconds_, mb, result in rows:
            print(f"{label:<40} {seconds_:>9.1f} {mb:>14.0f}  {result}")
        print(
            f"\nTarget: < 30 s and < 500 MB. Organisers past the threshold agree: "
            f"{'yes' if eligible == scored else f'NO ({eligible} vs {scored})'}."
        )
        if args.summary:
            size = f"{args.organisers:,} organisers, {args.endorsements:,} endorsements"
            if args.method != "sqrt":
                size += f", {args.method}"
            Path(args.summary).write_text(
                json.dumps(
                    [
                        {
                            "benchmark": f"round, allocate --dry-run ({size}) wall s",
                            "groundswell": wall,
                            "baseline": base_wall,
                            "unit": "s",
                            "p50_p99": None,
                            "note": "baseline: one SQL aggregate, no shares or explanations",
                        },
                        {
                            "benchmark": f"round, allocate --dry-run ({size}) peak RSS MB",
                            "groundswell": rss,
                            "baseline": base_rss,
                            "unit": "MB",
                            "p50_p99": None,
                            "note": "",
                        },
                    ]
                )
            )
        return 0 if wall < 30 and rss < 500 else 1
    finally:
        if args.keep:
            print(f"Kept {url}")
        else:
            asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    raise SystemExit(main())
