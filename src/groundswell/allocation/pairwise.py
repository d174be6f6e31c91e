"""Pairwise-bounded quadratic funding, to the bit and at numpy speed.

Pure (stdlib and numpy). For organiser o with counted voices V_o,

    score_o = Σ_i v_io + 2·Σ_{i<j in V_o} t_ij,   t_ij = p·M / (M + ov_ij),

where p = √v_io·√v_jo and ov_ij = Σ_q √v_iq·√v_jq over the organisers q that both residents
back. This module returns exactly the floats the straightforward double loop gives (each t_ij
computed with the same IEEE operations, ov_ij correctly rounded as ``math.fsum`` rounds it,
and the t_ij summed as ``math.fsum`` sums them: exactly, then rounded once), in far less time:

- **Every pair first as if it shared only o** (ov = p), which is true whenever either resident
  backs only o, as most residents do: an organiser's terms come as rows of an outer product
  (small organisers are batched together), about 6 ns a pair, and
  :func:`exactsum.segment_parts` keeps each organiser's sum exact.
- **Then the pairs that share more**, which only residents who back two or more organisers
  can: residents backing exactly the same organisers form a group, and two groups whose sets
  share at least two organisers (they meet under some pair of organisers) form a block of
  pairs with one list of shared organisers. A block's overlaps are computed once, correctly
  rounded (:func:`exactsum.rounded_sums`), and serve every organiser the two groups share:
  each gets t_ij − t_ij(ov = p) for every pair of the block, again summed exactly. Small
  blocks are batched together.

So the work is about n²/2 cheap terms per organiser, plus one term per pair and organiser
for pairs that share more than that organiser; memory is a few arrays of about 2^16 floats.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import cache
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from groundswell.allocation.exactsum import Floats, rounded_sums, segment_parts

__all__ = ["pairwise_scores"]

CHUNK = 1 << 16  # terms per vectorised step: a few arrays of this many floats fit in cache

Indices = NDArray[np.intp]


def pairwise_scores(
    weights: Mapping[str, Mapping[str, float]], eligible: Sequence[str], m: float
) -> dict[str, float]:
    """The pairwise score of each ``eligible`` organiser from ``weights[o][voice]`` = w_io.

    A resident's weight is split over the k_i eligible organisers they back, v_io = w_io/k_i,
    as in quadratic funding; ``m`` is the pool's M.
    """
    codes = list(eligible)
    voice_ids: dict[str, int] = {}
    voice_list: list[int] = []
    w_list: list[float] = []
    starts = [0]
    for o in codes:
        ws = weights[o]
        voice_list.extend([voice_ids.setdefault(voice, len(voice_ids)) for voice in ws])
        w_list.extend(ws.values())
        starts.append(len(voice_list))
    voice_of = np.array(voice_list, dtype=np.intp)
    org_of = np.repeat(np.arange(len(codes), dtype=np.intp), np.diff(starts))
    k = np.bincount(voice_of, minlength=len(voice_ids))
    # The same IEEE operations as w_io / k_i and math.sqrt on Python floats.
    v = np.array(w_list, dtype=np.float64) / k[voice_of]
    a = np.sqrt(v)
    del voice_list, w_list, voice_ids

    parts: list[list[float]] = [[] for _ in codes]
    with np.errstate(all="ignore"):
        _default_terms(a, starts, m, parts)
        _shared_more(voice_of, org_of, a, k, m, parts)

    return {
        o: math.fsum(v[starts[oi] : starts[oi + 1]].tolist()) + 2.0 * math.fsum(parts[oi])
        for oi, o in enumerate(codes)
    }


def _terms(p: Floats, ov: Floats, m: float) -> Floats:
    """p·M / (M + ov), operation for operation as the scalar formula."""
    t = p * m
    return np.divide(t, ov + m, out=t)


@cache
def _upper(n: int) -> tuple[Indices, Indices]:
    """The pairs (i, j), i < j, of n things."""
    return np.triu_indices(n, 1)


@cache
def _below_diagonal(rows: int) -> tuple[Indices, Indices]:
    """In a block whose row r starts at the column of the pair (r, r + 1), the entries
    (r, c) with c < r are pairs already counted (or a voice with itself)."""
    return np.tril_indices(rows, -1)


class _Batch:
    """Pairs of positions in ``values``, gathered until there are about CHUNK of them, each
    run of them owned by one parts list; the terms are then computed and summed together."""

    def __init__(self, values: Floats, m: float, parts: list[list[float]], width: int = 1):
        self.values = values
        self.m = m
        self.parts = parts
        self.width = width  # organisers shared by every pair: rows of the index arrays
        self.left: list[Indices] = []
        self.right: list[Indices] = []
        self.owners: list[Sequence[int]] = []  # one organiser per row
        self.size = 0

    def add(self, left: Indices, right: Indices, owners: Sequence[int]) -> None:
        self.left.append(left)
        self.right.append(right)
        self.owners.append(owners)
        self.size += left.size
        if self.size >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.size:
            return
        # Row r of a run belongs to owners[r]; runs side by side in a (width × pairs) array.
        left = np.concatenate(self.left, axis=-1).reshape(self.width, -1)
        right = np.concatenate(self.right, axis=-1).reshape(self.width, -1)
        pairs = left.shape[1]
        runs = np.cumsum([0, *(x.shape[-1] for x in self.left)])[:-1]
        p = self.values[left] * self.values[right]
        if self.width == 1:
            terms = _terms(p, p, self.m).ravel()
            starts = runs
            outs = [self.parts[owner[0]] for owner in self.owners]
        else:
            # The overlap of each pair, then t(ov) − t(ov = p) for each shared organiser.
            ov = rounded_sums(list(p))
            terms = np.concatenate(
                [_terms(p, ov, self.m).ravel(), np.negative(_terms(p, p, self.m)).ravel()]
            )
            rows = np.arange(2 * self.width) * pairs
            starts = np.add.outer(rows, runs).ravel()
            outs = [
                self.parts[owner[row % self.width]]
                for row in range(2 * self.width)
                for owner in self.owners
            ]
        segment_parts(terms, starts, outs)
        self.left.clear()
        self.right.clear()
        self.owners.clear()
        self.size = 0


def _default_terms(a: Floats, starts: list[int], m: float, parts: list[list[float]]) -> None:
    """Parts of Σ_{i<j} t_ij for each organiser, every pair taken as sharing only it."""
    batch = _Batch(a, m, parts)
    for oi in range(len(parts)):
        begin, n = starts[oi], starts[oi + 1] - starts[oi]
        if n < 2:
            continue
        if n * (n - 1) // 2 < CHUNK:
            i, j = _upper(n)
            batch.add(i + begin, j + begin, (oi,))
            continue
        row = a[begin : begin + n]
        rows = max(1, CHUNK // n)
        for r0 in range(0, n - 1, rows):
            r1 = min(r0 + rows, n - 1)
            p = np.multiply.outer(row[r0:r1], row[r0 + 1 :])
            if r1 - r0 > 1:
                p[_below_diagonal(r1 - r0)] = 0.0  # a zero p gives a zero term
            segment_parts(_terms(p, p, m).ravel(), np.zeros(1, dtype=np.intp), [parts[oi]])
    batch.flush()


def _shared_more(
    voice_of: Indices,
    org_of: Indices,
    a: Floats,
    k: NDArray[np.int64],
    m: float,
    parts: list[list[float]],
) -> None:
    """Correct the pairs of residents who share two or more organisers."""
    multi = np.flatnonzero(k[voice_of] >= 2)
    if multi.size == 0:
        return
    # Each such resident's organisers in ascending order, with √v for each, end to end.
    order = multi[np.lexsort((org_of[multi], voice_of[multi]))]
    voices = voice_of[order]
    orgs = org_of[order].tolist()
    roots = a[order]
    members: dict[tuple[int, ...], list[int]] = defaultdict(list)  # set -> where each begins
    begin = 0
    for end in [*(np.flatnonzero(np.diff(voices)) + 1).tolist(), voices.size]:
        members[tuple(orgs[begin:end])].append(begin)
        begin = end
    del orgs, voices, order

    signatures = list(members)
    begins = [np.array(members[s], dtype=np.intp) for s in signatures]
    del members
    # Groups whose sets share at least two organisers meet under some pair of organisers.
    meeting: dict[tuple[int, int], list[int]] = defaultdict(list)
    for g, signature in enumerate(signatures):
        if len(signature) > 1:
            for pair in combinations(signature, 2):
                meeting[pair].append(g)
    blocks: set[tuple[int, int]] = set()
    for groups in meeting.values():
        if len(groups) > 1:
            blocks.update(combinations(groups, 2))  # g < h: groups are listed in order
    del meeting

    batches: dict[int, _Batch] = {}
    for g, signature in enumerate(signatures):
        if begins[g].size > 1:
            columns = np.arange(len(signature))
            _block(roots, begins[g], columns, begins[g], columns, signature, m, parts, batches)
    for g, h in sorted(blocks):
        shared = sorted(set(signatures[g]) & set(signatures[h]))
        _block(
            roots,
            begins[g],
            np.array([signatures[g].index(q) for q in shared]),
            begins[h],
            np.array([signatures[h].index(q) for q in shared]),
            tuple(shared),
            m,
            parts,
            batches,
            same=False,
        )
    for batch in batches.values():
        batch.flush()


def _block(
    roots: Floats,
    begins_g: Indices,
    cols_g: Indices,
    begins_h: Indices,
    cols_h: Indices,
    shared: tuple[int, ...],
    m: float,
    parts: list[list[float]],
    batches: dict[int, _Batch],
    *,
    same: bool = True,
) -> None:
    """Every pair (x of group g, y of group h; x before y when g is h) shares the organisers
    ``shared``, whose √v are at ``roots[begin + col]``: for each, add t(ov) − t(ov = p) to
    that organiser's parts."""
    sg, sh = begins_g.size, begins_h.size
    count = sg * (sg - 1) // 2 if same else sg * sh
    width = len(shared)
    if count * width < CHUNK:
        if same:
            i, j = _upper(sg)
            x, y = begins_g[i], begins_g[j]
        else:
            x, y = np.repeat(begins_g, sh), np.tile(begins_h, sg)
        batch = batches.get(width)
        if batch is None:
            batch = batches[width] = _Batch(roots, m, parts, width)
        batch.add(np.add.outer(cols_g, x), np.add.outer(cols_h, y), shared)
        return

    left = [roots[begins_g + c] for c in cols_g]
    right = [roots[begins_h + c] for c in cols_h]
    last = sg - 1 if same else sg
    rows = max(1, CHUNK // (width * sh))
    only = np.zeros(1, dtype=np.intp)
    for r0 in range(0, last, rows):
        r1 = min(r0 + rows, last)
        c0 = r0 + 1 if same else 0
        products = [np.multiply.outer(x[r0:r1], y[c0:]) for x, y in zip(left, right, strict=True)]
        if same and r1 - r0 > 1:
            below = _below_diagonal(r1 - r0)
            for p in products:
                p[below] = 0.0
        ov = rounded_sums(products)
        for p, o in zip(products, shared, strict=True):
            segment_parts(_terms(p, ov, m).ravel(), only, [parts[o]])
            segment_parts(np.negative(_terms(p, p, m)).ravel(), only, [parts[o]])
