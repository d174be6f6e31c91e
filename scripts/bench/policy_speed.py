"""Time the pure allocation policy (no database) on rounds built in memory.

    PYTHONPATH=src python scripts/bench/policy_speed.py [--method pairwise] [--shape one]
        [--voices 50000] [--organisers 10000] [--endorsements 1000000]

Shapes: ``one``: one organiser with --voices residents who back only it, testimonies spread
over 170 days; ``bench``: the endorsement pattern of scripts/bench/allocation (each resident
backs 4 organisers, --organisers and --endorsements); ``mixed``: residents back 1, 2 or 3
random organisers (half of them one). Prints the CPU and wall seconds of ``allocate`` and the
process's peak RSS (building the round included; scripts/bench/allocation measures a real
round's). Point PYTHONPATH at another checkout's src/ to time an
older policy on the same round.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from groundswell.allocation.policy import Endorsement, PolicySettings, allocate

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def build(shape: str, args: argparse.Namespace) -> tuple[list[str], list[Endorsement]]:
    rnd = random.Random(17)

    def at() -> datetime:
        return AS_OF - timedelta(seconds=rnd.random() * 170 * 86_400)

    if shape == "one":
        return ["ORG-1"], [Endorsement(str(r), "ORG-1", at(), 1.0) for r in range(args.voices)]
    organisers = [f"ORG-{o}" for o in range(1, args.organisers + 1)]
    es: list[Endorsement] = []
    if shape == "bench":
        per = 4
        for g in range(args.endorsements):
            r = g // per
            o = ((r * 37 + (g % per) * 2503) % args.organisers) + 1
            es.append(Endorsement(str(r), f"ORG-{o}", at(), 1.0))
        return organisers, es
    r = 0
    while len(es) < args.endorsements:
        for o in rnd.sample(organisers, rnd.choice([1, 1, 1, 2, 2, 3])):
            es.append(Endorsement(str(r), o, at(), 1.0))
        r += 1
    return organisers, es


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--method", default="pairwise")
    parser.add_argument("--shape", choices=["one", "bench", "mixed"], default="one")
    parser.add_argument("--voices", type=int, default=50_000)
    parser.add_argument("--organisers", type=int, default=10_000)
    parser.add_argument("--endorsements", type=int, default=1_000_000)
    parser.add_argument("--summary", help="also write the result as JSON to this file")
    args = parser.parse_args()
    organisers, es = build(args.shape, args)
    policy = PolicySettings(score=args.method, min_endorsers=5)
    wall, cpu = time.perf_counter(), time.process_time()
    result = allocate(organisers, es, policy, AS_OF, 100_000_000)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    funded = sum(1 for a in result.allocations if a.amount)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.method} {args.shape}: {len(es):,} endorsements, {funded:,} funded: "
        f"{cpu:.1f} s CPU, {wall:.1f} s wall, peak RSS of the process {rss:.0f} MB"
    )
    if args.summary:
        size = f"{args.voices:,} voices" if args.shape == "one" else f"{len(es):,} endorsements"
        Path(args.summary).write_text(
            json.dumps(
                [
                    {
                        "benchmark": f"{args.method}, shape {args.shape} ({size}), pure policy, "
                        "wall s",
                        "groundswell": wall,
                        "baseline": None,
                        "note": f"target < 30 s; {cpu:.1f} s CPU, peak RSS {rss:.0f} MB",
                    }
                ]
            )
        )
    return 0 if wall < 30 else 1


if __name__ == "__main__":
    raise SystemExit(main())
