"""How each scoring method responds to new voices: the table in README and on the pool form.

    PYTHONPATH=src python scripts/bench/policy_response.py

Runs the real policy (allocation.policy.allocate) on one made-up round and prints Markdown.
The round: 10 organisers, A to J, each with 20 residents who back only them, their voices
spread over the 170 days before yesterday (never two in the same hour), all verified;
a budget of £10,000, no floor, no cap, 5 residents needed, half-life 90 days. Then, for
organiser A:

- a sudden crowd: k = 1, 10 or 100 new residents back only A, all within one hour;
- 10 new residents four ways: in one hour, or over 10 days (one a day), backing only A; or
  over 10 days backing A and B together (the same set), or A and each a different set of
  others (unconnected).

Each cell is A's amount, with A's score as a multiple of its score before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundswell.allocation.policy import Endorsement, PolicySettings, ScoreMethod, allocate

AS_OF = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
CODES = [chr(ord("A") + n) for n in range(10)]
BUDGET = 10_000_00
UNCONNECTED = [[code] for code in CODES[1:]] + [["C", "D"]]
METHODS = [
    (ScoreMethod.PROPORTIONAL, "proportional"),
    (ScoreMethod.SQRT, "sqrt (default)"),
    (ScoreMethod.QUADRATIC, "quadratic"),
    (ScoreMethod.PAIRWISE, "pairwise, M = 1"),
    (ScoreMethod.COCM, "cocm"),
]


def baseline() -> list[Endorsement]:
    # Resident n of organiser j vouched 1 + 8.3 n + 0.37 j days and a few minutes ago.
    return [
        Endorsement(
            f"{code}-{n}",
            code,
            AS_OF - timedelta(days=1 + 8.3 * n + 0.37 * j, minutes=7 * n + j),
            1.0,
        )
        for j, code in enumerate(CODES)
        for n in range(20)
    ]


def burst(k: int) -> list[Endorsement]:
    return [Endorsement(f"new-{n}", "A", AS_OF - timedelta(seconds=n * 3), 1.0) for n in range(k)]


def spread(k: int, others: list[list[str]] | None = None) -> list[Endorsement]:
    """k new residents, one a day, each backing A and the organisers others[n] (if any)."""
    return [
        Endorsement(f"new-{n}", code, AS_OF - timedelta(days=n + 0.5, hours=n), 1.0)
        for n in range(k)
        for code in ["A", *(others[n] if others else [])]
    ]


def a_of(method: ScoreMethod, extra: list[Endorsement]) -> tuple[int, float]:
    policy = PolicySettings(score=method, min_endorsers=5, half_life_days=90, pairwise_m=1.0)
    result = allocate(CODES, baseline() + extra, policy, AS_OF, BUDGET)
    line = next(a for a in result.allocations if a.organiser == "A")
    return line.amount, line.score


def pounds(minor: int) -> str:
    return f"£{minor / 100:,.0f}"


def table(columns: list[tuple[str, list[Endorsement]]]) -> list[str]:
    rows = [
        "| method | A before | " + " | ".join(name for name, _ in columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for method, label in METHODS:
        amount, score = a_of(method, [])
        cells = [pounds(amount)]
        for _, extra in columns:
            after, after_score = a_of(method, extra)
            cells.append(f"{pounds(after)} (×{after_score / score:.2f})")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    print("A sudden crowd: k new residents back only A, all within one hour.\n")
    print("\n".join(table([(f"+{k} in one hour", burst(k)) for k in (1, 10, 100)])))
    print("\n10 new residents for A, four ways.\n")
    print(
        "\n".join(
            table(
                [
                    ("in one hour, only A", burst(10)),
                    ("over 10 days, only A", spread(10)),
                    ("over 10 days, all A and B", spread(10, [["B"]] * 10)),
                    # B to J one each, and C with D for the tenth: ten different sets.
                    ("over 10 days, A and each another", spread(10, UNCONNECTED)),
                ]
            )
        )
    )
    # Pairwise at M = 1: the factor M / (M + Σ_q √v_iq √v_jq) on a pair's term.
    independent = 1 / (1 + 1.0)  # two residents backing only A, weight 1: overlap 1·1
    clique = 1 / (1 + 3 * (1 / 3))  # two backing the same 3 organisers: overlap 3 · √⅓·√⅓
    print(
        f"\nPairwise, M = 1, on one pair's term: {independent:.2f} for two residents who each "
        f"back only A, {clique:.2f} for two who back the same three organisers."
    )


if __name__ == "__main__":
    main()
