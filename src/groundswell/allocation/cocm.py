"""Connection-oriented cluster matching (COCM), with clusters drawn from how residents vouch.

Pure (stdlib only). Miller, Weyl and Erichsen ("Beyond Collusion Resistance: Leveraging Social
Information for Plural Funding and Voting", 2022) fund a project by the square of a sum over
*clusters* of contributors rather than over contributors: money from one connected group
counts once, like one contributor giving the group's total, and only independent groups
multiply each other's support. Gitcoin's `qf-calculator` (``fundingutils.COCM``) takes the
projects themselves as the clusters; a resident who backs only their own organiser, the most
common voice here, would then add nothing at all. We draw the clusters from two things that
mark voices as not independent:

- **the same set of organisers**: residents who back exactly the same two or more organisers
  (backing only your own organiser is what most residents do and connects you to nobody);
- **a burst**: voices for the same organiser whose counted testimony was given in the same
  clock hour (UTC), like the hour moderation looks at for bursts.

Residents connected by either, directly or through others, form one cluster (the connected
components of that graph), so every resident is in exactly one cluster. On such disjoint
clusters COCM's connection discount and plain cluster matching agree, and Gitcoin's COCM
returns exactly score − Σ v (its figure is the match on top of the contributions); the test
fixture from their code checks this. With v_io = w_io / k_i as in quadratic funding and C_go
the summed v_io of cluster g's residents who back o:

    score_o = (Σ_g √C_go)²

Residents in clusters of one count exactly as in quadratic funding. A newcomer who backs only
o either starts a cluster of their own or joins the one their hour's voices for o belong to;
never two clusters into one (a clock hour is one bucket, not a chain of nearby voices), so one
more voice never lowers o's score and never changes anyone else's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["BURST", "burst_of", "cocm_scores"]

BURST = timedelta(hours=1)  # as vouching.moderation.BURST_WINDOW
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SHOWN_CLUSTERS = 12


def burst_of(at: datetime) -> int:
    """The clock hour (UTC) a voice was given in: voices in the same one are a burst."""
    return (at - _EPOCH) // BURST


def cocm_scores(
    weights: Mapping[str, Mapping[str, float]],
    bursts: Mapping[str, Mapping[str, int]],
    eligible: Sequence[str],
) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Each eligible organiser's COCM score, and what explains it.

    ``weights[o][voice]`` is w_io and ``bursts[o][voice]`` the hour of that voice
    (:func:`burst_of`). The explanation of each organiser: how many clusters its voices form,
    how many residents share one with another of its residents (and why: the same organisers,
    a burst), the largest clusters' sizes and weights, and the score had every resident
    counted alone (quadratic funding's).
    """
    k: dict[str, int] = defaultdict(int)
    backs: dict[str, list[str]] = defaultdict(list)
    for o in eligible:
        for voice in weights[o]:
            k[voice] += 1
            backs[voice].append(o)

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = parent.get(x, x)
        while root != parent.get(root, root):
            root = parent[root]
        while x != root:  # compress the path
            parent[x], x = root, parent.get(x, x)
        return root

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)

    # The same set of two or more organisers.
    same_set: dict[tuple[str, ...], str] = {}
    in_shared_set: set[str] = set()
    for voice, organisers in backs.items():
        if len(organisers) > 1:
            key = tuple(sorted(organisers))
            first = same_set.setdefault(key, voice)
            if first != voice:
                union(first, voice)
                in_shared_set.update((first, voice))
    # The same organiser in the same hour.
    in_burst: dict[str, set[str]] = defaultdict(set)
    for o in eligible:
        first_in: dict[int, str] = {}
        for voice, hour in bursts[o].items():
            first = first_in.setdefault(hour, voice)
            if first != voice:
                union(first, voice)
                in_burst[o].update((first, voice))

    scores: dict[str, float] = {}
    explained: dict[str, dict[str, Any]] = {}
    for o in eligible:
        clusters: dict[str, list[float]] = defaultdict(list)
        for voice, w_io in weights[o].items():
            clusters[find(voice)].append(w_io / k[voice])
        sizes_weights = sorted(
            ((len(vs), math.fsum(vs)) for vs in clusters.values()), key=lambda c: (-c[0], -c[1])
        )
        scores[o] = math.fsum(math.sqrt(c) for _, c in sizes_weights) ** 2
        alone = math.fsum(math.sqrt(w_io / k[voice]) for voice, w_io in weights[o].items()) ** 2
        explained[o] = {
            "burst_minutes": BURST // timedelta(minutes=1),
            "clusters": len(clusters),
            "clustered": sum(n for n, _ in sizes_weights if n > 1),
            "same_organisers": sum(1 for voice in weights[o] if voice in in_shared_set),
            "burst": len(in_burst[o]),
            "largest": [
                {"residents": n, "weight": c} for n, c in sizes_weights[:SHOWN_CLUSTERS] if n > 1
            ],
            "alone_score": alone,
        }
    return scores, explained
