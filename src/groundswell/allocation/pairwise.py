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
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

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
    starts = [0]
    for o in codes:
        starts.append(starts[-1] + len(weights[o]))
    voice_ids: dict[str, int] = {}
    voice_of = np.empty(starts[-1], dtype=np.int32)
    w = np.empty(starts[-1], dtype=np.float64)
    for oi, o in enumerate(codes):
        ws, begin, end = weights[o], starts[oi], starts[oi + 1]
        w[begin:end] = np.fromiter(ws.values(), np.float64, end - begin)
        ids = (voice_ids.setdefault(voice, len(voice_ids)) for voice in ws)
        voice_of[begin:end] = np.fromiter(ids, np.int32, end - begin)
    k = np.bincount(voice_of, minlength=len(voice_ids))
    del voice_ids
    # The same IEEE operations as w_io / k_i and math.sqrt on Python floats.
    v = np.divide(w, k[voice_of], out=w)
    linear = [math.fsum(v[starts[oi] : starts[oi + 1]].tolist()) for oi in range(len(codes))]
    a = np.sqrt(v, out=v)
    del v, w

    parts: list[list[float]] = [[] for _ in codes]
    with np.errstate(all="ignore"):
        _default_terms(a, starts, m, parts)
        _shared_more(voice_of, starts, a, k, m, parts)

    return {o: linear[oi] + 2.0 * math.fsum(parts[oi]) for oi, o in enumerate(codes)}


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
    voice_of: NDArray[np.int32],
    starts: list[int],
    a: Floats,
    k: NDArray[np.int64],
    m: float,
    parts: list[list[float]],
) -> None:
    """Correct the pairs of residents who share two or more organisers."""
    multi = np.flatnonzero(k[voice_of] >= 2)
    if multi.size == 0:
        return
    # Each such resident's organisers in ascending order, with √v for each, end to end:
    # entries come organiser by organiser, so a stable sort by resident keeps that order.
    order = multi[np.argsort(voice_of[multi], kind="stable")]
    del multi
    roots = a[order]
    voices = voice_of[order]
    firsts = np.flatnonzero(np.r_[True, voices[1:] != voices[:-1]])  # where each begins
    sizes = k[voices[firsts]]
    del voices
    orgs = (np.searchsorted(np.array(starts), order, side="right") - 1).astype(np.int32)
    del order
    # Residents backing the same set: for each set size, the distinct rows of organisers.
    signatures: list[tuple[int, ...]] = []
    begins: list[Indices] = []
    keys: list[NDArray[np.int64]] = []  # each group's pairs of organisers, as q1·n + q2
    owners: list[Indices] = []
    n = len(starts)
    for size in np.unique(sizes).tolist():
        at = firsts[sizes == size]
        rows = orgs[at[:, None] + np.arange(size)]
        distinct, group = np.unique(rows, axis=0, return_inverse=True)
        group = group.ravel()
        by_group = np.argsort(group, kind="stable")
        cuts = np.searchsorted(group[by_group], np.arange(1, len(distinct)))
        ids = np.arange(len(signatures), len(signatures) + len(distinct))
        signatures.extend(tuple(row) for row in distinct.tolist())
        begins.extend(np.split(at[by_group], cuts))
        c1, c2 = _upper(size)
        keys.append((distinct[:, c1].astype(np.int64) * n + distinct[:, c2]).ravel())
        owners.append(np.repeat(ids, len(c1)))
    del orgs, firsts, sizes

    batches: dict[int, _Batch] = {}
    for g, signature in enumerate(signatures):
        if begins[g].size > 1:
            columns = np.arange(len(signature))
            _block(roots, begins[g], columns, begins[g], columns, signature, m, parts, batches)
    meeting = _meeting(np.concatenate(keys), np.concatenate(owners), len(signatures))
    del keys, owners
    for g, h in meeting:
        shared, cols_g, cols_h = _shared(signatures[g], signatures[h])
        _block(
            roots,
            begins[g],
            np.array(cols_g),
            begins[h],
            np.array(cols_h),
            shared,
            m,
            parts,
            batches,
            same=False,
        )
    for batch in batches.values():
        batch.flush()


def _meeting(keys: NDArray[np.int64], groups: Indices, count: int) -> Iterator[tuple[int, int]]:
    """The pairs of groups (g < h) whose sets share at least two organisers: those that meet
    under some pair of organisers (``keys``, one per pair of organisers of each group)."""
    order = np.lexsort((groups, keys))
    keys, groups = keys[order], groups[order]
    edges = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    begin, length = edges[:-1], np.diff(edges)
    shared = length > 1
    begin, length = begin[shared], length[shared]
    if not begin.size:
        return
    # Within each run of one key, every later member is a partner of each member.
    first = np.repeat(begin, length - 1)
    first += np.arange(first.size) - np.repeat(np.cumsum(length - 1) - (length - 1), length - 1)
    partners = np.repeat(begin + length, length - 1) - first - 1
    left = np.repeat(first, partners)
    offsets = np.arange(left.size) - np.repeat(np.cumsum(partners) - partners, partners)
    codes = np.unique(groups[left].astype(np.int64) * count + groups[left + 1 + offsets])
    del order, keys, left, offsets
    for at in range(0, codes.size, CHUNK):
        chunk = codes[at : at + CHUNK]
        yield from zip((chunk // count).tolist(), (chunk % count).tolist(), strict=True)


def _shared(g: tuple[int, ...], h: tuple[int, ...]) -> tuple[tuple[int, ...], list[int], list[int]]:
    """The organisers two ascending sets share, and where each set has them."""
    shared: list[int] = []
    cols_g: list[int] = []
    cols_h: list[int] = []
    i = j = 0
    while i < len(g) and j < len(h):
        if g[i] == h[j]:
            shared.append(g[i])
            cols_g.append(i)
            cols_h.append(j)
            i += 1
            j += 1
        elif g[i] < h[j]:
            i += 1
        else:
            j += 1
    return tuple(shared), cols_g, cols_h


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
