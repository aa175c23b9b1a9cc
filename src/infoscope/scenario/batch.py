"""Columnar batches of generated posts, weighted group sampling, and the pool of recent posts.

A `Batch` holds posts as numpy columns, two of them object arrays: ``parts`` (what a post says)
and ``ref_parts`` (what the post it replies to or quotes says). ``parts`` is a tuple
``(body, hashtags, mentions, urls)``: the body text, hashtags without ``#``, mentioned account
numbers, and ``(short code, expanded URL)`` pairs; formats render it (Twitter writes t.co links,
Telegram the URL itself). A retweet carries the parts of the post it retweets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Batch", "Grouped", "Pool", "objects"]

ORIGINAL, RETWEET, REPLY, QUOTE = 0, 1, 2, 3
KINDS = ("original", "retweet", "reply", "quote")

# Traces of planted behaviour, as bits of `Batch.trace`; the names go to truth_posts.
TRACES = (
    "seed",
    "amplification",
    "near-duplicate",
    "automated",
    "troll",
    "hashtag-campaign",
    "link",
)
SEED, AMPLIFICATION, NEAR_DUPLICATE, AUTOMATED, TROLL, HASHTAG, LINK = (1 << i for i in range(7))

Parts = tuple[str, tuple[str, ...], tuple[int, ...], tuple[tuple[str, str], ...]]
EMPTY: tuple[()] = ()

_INT_FIELDS = (
    "t_ms",
    "uid",
    "seq",
    "author",
    "kind",
    "ref_uid",
    "ref_seq",
    "ref_author",
    "ref_t_ms",
    "conv_uid",
    "conv_author",
    "op",
    "persona",
    "trace",
    "likes",
    "retweets",
    "replies",
    "quotes",
)
_BOOL_FIELDS = ("planted", "narrative", "first")
_LIST_FIELDS = ("parts", "ref_parts")
FIELDS = _INT_FIELDS + _BOOL_FIELDS + _LIST_FIELDS


def objects(items: Any) -> np.ndarray:
    """A 1-d object array of `items` (tuples stay elements, not rows)."""
    if isinstance(items, np.ndarray):
        return items
    items = list(items)
    return np.fromiter(items, dtype=object, count=len(items))


class Batch:
    """Posts as columns (see the module docstring); ``seq`` is set when a post is emitted."""

    __slots__ = FIELDS
    t_ms: np.ndarray
    uid: np.ndarray
    seq: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    ref_uid: np.ndarray
    ref_seq: np.ndarray
    ref_author: np.ndarray
    ref_t_ms: np.ndarray
    conv_uid: np.ndarray
    conv_author: np.ndarray  # the author of the conversation's root post
    op: np.ndarray
    persona: np.ndarray
    trace: np.ndarray
    likes: np.ndarray
    retweets: np.ndarray
    replies: np.ndarray
    quotes: np.ndarray
    planted: np.ndarray
    narrative: np.ndarray
    first: np.ndarray  # the author's first post of the scenario (set when emitted)
    parts: np.ndarray  # of Parts
    ref_parts: np.ndarray  # of Parts or None

    def __init__(self, **columns: Any):
        n = len(columns["t_ms"])
        for name in _INT_FIELDS:
            value = columns.get(name)
            if value is None:
                value = np.full(n, 0 if name == "trace" else -1, dtype=np.int64)
            elif np.isscalar(value):
                value = np.full(n, value, dtype=np.int64)
            setattr(self, name, np.asarray(value, dtype=np.int64))
        for name in _BOOL_FIELDS:
            value = columns.get(name, False)
            if np.isscalar(value):
                value = np.full(n, bool(value))
            setattr(self, name, np.asarray(value, dtype=bool))
        self.parts = objects(columns["parts"])
        ref_parts = columns.get("ref_parts")
        self.ref_parts = np.full(n, None, dtype=object) if ref_parts is None else objects(ref_parts)

    def __len__(self) -> int:
        return int(self.t_ms.size)

    def take(self, idx: np.ndarray) -> Batch:
        out = Batch.__new__(Batch)
        for name in _INT_FIELDS + _BOOL_FIELDS:
            setattr(out, name, getattr(self, name)[idx])
        out.parts = self.parts[idx]
        out.ref_parts = self.ref_parts[idx]
        return out

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        batches = [b for b in batches if len(b)]
        if len(batches) == 1:
            return batches[0]
        out = Batch.__new__(Batch)
        if not batches:
            return Batch(t_ms=np.empty(0, dtype=np.int64), parts=[])
        for name in FIELDS:
            setattr(out, name, np.concatenate([getattr(b, name) for b in batches]))
        return out


class Grouped:
    """Draw items of a group with probability proportional to their weight, many at once.

    Items are sorted by group once; a draw for group g is a uniform point in g's stretch of the
    cumulative weights, located with one `numpy.searchsorted` for all draws.
    """

    def __init__(self, keys: np.ndarray, weights: np.ndarray, n_keys: int):
        # Small integer keys sort in linear time (numpy's radix sort for 16-bit types).
        small = keys.astype(np.int16) if n_keys < (1 << 15) else keys
        order = np.argsort(small, kind="stable")
        self.order = order
        self.cum = np.cumsum(weights[order], dtype=np.float64)
        sorted_keys = keys[order]
        groups = np.arange(n_keys)
        self.starts = np.searchsorted(sorted_keys, groups, side="left")
        self.ends = np.searchsorted(sorted_keys, groups, side="right")
        padded = np.concatenate([[0.0], self.cum])
        self.lo = padded[self.starts]
        self.hi = padded[self.ends]
        self.nonempty = self.hi > self.lo

    def sample(self, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """An item of group ``keys[i]`` for each i, or -1 where that group is empty."""
        if keys.size == 0:
            return np.empty(0, dtype=np.int64)
        lo, hi = self.lo[keys], self.hi[keys]
        pos = np.searchsorted(self.cum, lo + rng.random(keys.size) * (hi - lo), side="right")
        pos = np.clip(pos, self.starts[keys], np.maximum(self.ends[keys] - 1, 0))
        out = self.order[np.minimum(pos, self.order.size - 1)] if self.order.size else pos
        return np.where(self.nonempty[keys], out, -1)


class Pool:
    """The most recent emitted posts that can be retweeted, replied to or quoted (a ring)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.size = 0
        self.head = 0
        self.uid = np.zeros(capacity, dtype=np.int64)
        self.seq = np.zeros(capacity, dtype=np.int64)
        self.author = np.zeros(capacity, dtype=np.int64)
        self.t_ms = np.zeros(capacity, dtype=np.int64)
        self.conv_uid = np.zeros(capacity, dtype=np.int64)
        self.conv_author = np.zeros(capacity, dtype=np.int64)
        self.community = np.zeros(capacity, dtype=np.int64)
        self.seed_op = np.zeros(capacity, dtype=np.int64)
        self.parts = np.full(capacity, None, dtype=object)

    def recent(self, since_ms: int) -> np.ndarray:
        """Slots of the pooled posts from `since_ms` on, oldest first."""
        # Binary search over the ring's logical positions (posts are pooled in time order).
        oldest = self.head - self.size
        lo, hi = 0, self.size
        t_ms, cap = self.t_ms, self.capacity
        while lo < hi:
            mid = (lo + hi) // 2
            if t_ms[(oldest + mid) % cap] < since_ms:
                lo = mid + 1
            else:
                hi = mid
        return (oldest + np.arange(lo, self.size, dtype=np.int64)) % cap

    def add(self, batch: Batch, community: np.ndarray, seed_op: np.ndarray) -> None:
        """Append the emitted posts of `batch` (retweets excluded) with their groups."""
        keep = np.flatnonzero(batch.kind != RETWEET)
        if keep.size > self.capacity:
            keep = keep[-self.capacity :]
        n = keep.size
        slots = (self.head + np.arange(n)) % self.capacity
        self.uid[slots] = batch.uid[keep]
        self.seq[slots] = batch.seq[keep]
        self.author[slots] = batch.author[keep]
        self.t_ms[slots] = batch.t_ms[keep]
        self.conv_uid[slots] = batch.conv_uid[keep]
        self.conv_author[slots] = batch.conv_author[keep]
        self.community[slots] = community[keep]
        self.seed_op[slots] = seed_op[keep]
        self.parts[slots] = batch.parts[keep]
        self.head = (self.head + n) % self.capacity
        self.size = min(self.capacity, self.size + n)
