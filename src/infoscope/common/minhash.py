"""Near-duplicate texts: groups of posts whose normalised texts are nearly the same.

Copy-paste campaigns post one template with small edits (a word or three swapped, a word
dropped, another emoji, link or mention). `near_duplicate_groups` finds them at scale:

1. **Normalisation** (`normalize_texts`): Unicode NFKC, case folding, then a leading
   ``RT @user:`` prefix, URLs and ``@mentions`` are removed, and every run of characters
   that are not letters, marks or digits (punctuation, ``#`` signs, emoji, symbols,
   whitespace) becomes one space. Hashtag words are kept. Nothing here depends on the
   script, so Cyrillic, Arabic or CJK texts are treated like Latin ones.
2. **Shingles**: the set of character n-grams (``shingle`` characters, spaces included) of
   each normalised text. Character shingles need no word segmentation (CJK, Thai) and degrade
   gracefully under small edits: substituting a word changes only the n-grams that touch it.
   Texts shorter than ``min_chars`` characters are skipped: short texts are alike by chance.
3. **MinHash signatures** estimating the Jaccard similarity of two shingle sets (Broder
   1997), computed by one permutation hashing in rounds (Li, Owen & Zhang 2012; Dahlgaard,
   Knudsen & Thorup 2017): in each of three rounds every shingle is hashed to one of
   ``num_perm`` bins with a value, and each bin keeps its smallest value (an earlier round
   always wins); bins still empty (short texts) are filled by optimal densification
   (Shrivastava 2017). Two texts agree in a bin with probability equal to their Jaccard
   similarity. This costs three hashes per shingle instead of ``num_perm``, which is what
   makes millions of posts fast, and on short posts the estimate is more precise than
   classic MinHash's (on the scenario's bursts, a root mean square error of 0.032 around a
   similarity of 0.6, against 0.043 for ``num_perm`` independent hash functions). Each bin
   keeps a 16-bit fingerprint of its minimum (b-bit minwise hashing, Li & König 2010), so
   signatures take ``2 * num_perm`` bytes per text; two different minima agree by chance
   with probability 2**-16, a negligible bias.
4. **LSH banding** (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman, *Mining of Massive
   Datasets*, ch. 3): the signature is cut into ``bands`` bands of ``num_perm / bands``
   rows; texts sharing a whole band are candidates. Within a bucket each text is paired with
   the bucket's first text and with its predecessor (not with every other text), so a bucket
   of thousands of texts costs thousands of pairs, not millions.
5. **Verification**: a candidate pair is kept when the share of agreeing signature slots (the
   estimated Jaccard similarity) is at least ``threshold``; groups are the connected
   components of kept pairs. Identical normalised texts are grouped directly (similarity 1).

Everything is vectorised with numpy over Arrow batches, so memory holds one batch's shingles at
a time plus a signature and an id per post read.

**Computed once.** Coordination, account authenticity and article syndication each ask for
the groups of (mostly) the same posts. A result is kept in the store (tables
``near_duplicate_cache`` and ``near_duplicate_cache_keys``) under a key made of the
parameters and a fingerprint of the rows read (their count and two order-independent sums of
a hash of ``post_id`` and ``text``): the same rows with the same parameters read the stored
groups instead of computing them again, and any change to those rows (a new ingest, another
time range) makes a new key. The last `CACHE_KEYS` results are kept; a store opened
read-only reads them but never writes.

**Any engine.** The posts are an Ibis expression of an `infoscope.engine.Engine` (DuckDB, or
Spark over a Parquet export). The engine counts and fingerprints them, and steps 1 to 3 run
per Arrow batch where the engine computes (`Engine.map_batches`, with the numpy code of
`signed_batch`): on the driver for DuckDB, which streams the texts from the store; on Spark's
executors (``mapInArrow``), so that the texts never leave them. What reaches the driver is,
per post long enough, its ``post_id``, the hash of its normalised text (8 bytes) and its
signature (``2 * num_perm`` bytes): about 300 bytes a post with the defaults, whatever the
length of the texts. Steps 4 and 5 (banding, verification, connected components) run on the
driver over all the signatures. The cache lives in the engine's store (none: nothing is
cached).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from infoscope.engine import Engine, as_engine
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["SIGNED_SCHEMA", "near_duplicate_groups", "normalize_texts", "signed_batch"]

DEFAULT_THRESHOLD = 0.6
DEFAULT_NUM_PERM = 128
DEFAULT_BANDS = 32
DEFAULT_SHINGLE = 4
DEFAULT_MIN_CHARS = 30
MAX_SHINGLE = 8

RESULT_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string(), nullable=False),
        pa.field("similarity", pa.float64(), nullable=False),
    ]
)

# What `signed_batch` makes of a batch of posts: the id, the hash of the normalised text (a
# uint64 stored as int64: Spark has no unsigned type) and the signature (num_perm uint16,
# little-endian).
SIGNED_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string()),
        pa.field("text_hash", pa.int64()),
        pa.field("signature", pa.binary()),
    ]
)

# Results kept in the store's near-duplicate cache (the oldest are dropped).
CACHE_KEYS = 8
_CACHE_DDL = """
CREATE TABLE IF NOT EXISTS near_duplicate_cache_keys (
  key VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, posts BIGINT, grouped BIGINT
);
CREATE TABLE IF NOT EXISTS near_duplicate_cache (
  key VARCHAR NOT NULL, post_id VARCHAR NOT NULL, group_id VARCHAR NOT NULL,
  similarity DOUBLE NOT NULL
);
"""

# Rows read from the store at a time, and UTF-16 code units shingled at a time (a batch of
# very long texts, such as Telegram channel posts, is cut further so memory stays bounded).
_BATCH_ROWS = 100_000
_BATCH_UNITS = 8_000_000
# Candidate pairs verified at a time.
_VERIFY_CHUNK = 262_144

# A leading retweet prefix (possibly repeated), URLs and @mentions; applied after case folding.
_WORDISH = r"[\p{L}\p{M}\p{N}_]"
_STRIP = (
    rf"^\s*(?:rt\s+@{_WORDISH}+:?\s*)+"
    rf"|(?:https?://|www\.)\S+"
    rf"|@{_WORDISH}+"
)
# Runs of anything but letters, marks and digits (punctuation, '#', emoji, symbols, spaces),
# counting as non-letters the marks that belong to emoji (variation selectors, the keycap),
# become one space. The pattern leaves a single plain space alone (most runs, and replacing
# them costs a regex match each): it matches runs with another character, or two spaces.
_EMOJI_MARKS = r"[\x{FE00}-\x{FE0F}\x{20E3}\x{E0100}-\x{E01EF}]"
_NON_WORD = r"(?:[^\p{L}\p{M}\p{N}]|" + _EMOJI_MARKS + ")"
_NON_WORD_NOT_SPACE = r"(?:[^\p{L}\p{M}\p{N} ]|" + _EMOJI_MARKS + ")"
_NOT_WORD = rf" *{_NON_WORD_NOT_SPACE}{_NON_WORD}*| {{2,}}"

_U64 = np.uint64
_EMPTY = np.uint32(0xFFFFFFFF)
# Rounds of one permutation hashing before densification (at most 3: the round number takes
# the top two bits of a bin's value, and all ones marks an empty bin).
_ROUNDS = 3


@functools.lru_cache(maxsize=1)
def _casefold_pattern() -> str:
    """A regex class of the characters that lower-casing leaves but case folding changes
    (``ß``, final ``ς``, ...): only texts containing one need Python's `str.casefold`."""
    # All such characters are in the first two planes (the last is U+FB17 in Unicode 16).
    chars = [
        c
        for c in map(chr, range(0x20000))
        if not 0xD800 <= ord(c) < 0xE000 and c.casefold() != c and c.lower() == c
    ]
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in chars) + "]"


def normalize_texts(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalise post texts for near-duplicate detection (nulls become empty strings).

    NFKC, case folding, removal of a leading ``RT @user:`` prefix, URLs and ``@mentions``;
    every run of characters other than letters, marks and digits (punctuation, ``#``,
    emoji, whitespace) becomes one space, and the ends are trimmed:
    ``"RT @bob: Stop the #Fraud!! 🔥 https://t.co/x"`` becomes ``"stop the fraud"``.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    out = pc.utf8_normalize(pc.fill_null(texts.cast(pa.string()), ""), form="NFKC")
    out = pc.utf8_lower(out)
    special = pc.match_substring_regex(out, _casefold_pattern())
    if pc.any(special).as_py():
        folded = [s.casefold() for s in pc.filter(out, special).to_pylist()]
        out = pc.replace_with_mask(out, special, pa.array(folded, pa.string()))
    out = pc.replace_substring_regex(out, _STRIP, " ")
    out = pc.replace_substring_regex(out, _NOT_WORD, " ")
    return pc.utf8_trim_whitespace(out)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, in place on a uint64 array (a bijection with good avalanche)."""
    x ^= x >> _U64(30)
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    return x


def _seed_key(seed: int, salt: int) -> np.uint64:
    """A 64-bit key derived from the user's seed and a salt naming its use."""
    value = np.array([(seed * 0x9E3779B97F4A7C15 + salt) % (1 << 64)], dtype=np.uint64)
    return _U64(_mix(value)[0])


def _windows(units: np.ndarray, width: int) -> np.ndarray:
    """Each `width` (1-4) consecutive UTF-16 code units packed into a uint64, one per start."""
    n = units.size - width + 1
    # An 8-byte window starting at every code unit: an unaligned, overlapping strided view
    # of the units (padded so the last windows stay inside), copied out.
    padded = units.tobytes() + b"\0" * 6
    out = np.ndarray(shape=(n,), dtype="<u8", buffer=padded, strides=(2,)).copy()
    if width < 4:
        out &= _U64((1 << (16 * width)) - 1)
    return out


def _shingles(norm: pa.Array, shingle: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shingle hashes of normalised texts (each at least `shingle` long).

    Returns ``text`` (the text index of each shingle, ascending), ``hashes`` (uint64, seeded)
    and ``text_hash`` (one uint64 per text: the sum of its shingles' hashes, so that two texts
    share it only when they have the same shingles, that is when they are the same text up
    to the order of repeated passages, a Jaccard similarity of 1 either way).
    """
    n = len(norm)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, n], pa.int32()), norm), "\0")
    units = np.frombuffer(joined[0].as_py().encode("utf-16-le"), dtype=np.uint16)
    # Texts are separated by a NUL, which normalisation removes from the texts themselves.
    count = units.size - shingle + 1
    x = _windows(units, min(shingle, 4))[:count]
    if shingle > 4:
        x = _mix(x ^ _U64(0x5851F42D4C957F2D)) ^ _windows(units[4:], shingle - 4)[:count]
    # A shingle is valid when none of its units is a separator.
    seps = np.concatenate([[0], np.cumsum(units == 0, dtype=np.int64)])
    valid = seps[shingle : shingle + count] == seps[:count]
    text = seps[:count][valid]
    hashes = _mix(x[valid] ^ _seed_key(seed, 1))
    starts = np.searchsorted(text, np.arange(n))
    text_hash = np.add.reduceat(hashes, starts) if n else np.zeros(0, np.uint64)
    return text, hashes, _mix(text_hash ^ _seed_key(seed, 2))


def _signatures(
    text: np.ndarray, hashes: np.ndarray, n: int, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signatures of `n` texts from their shingle hashes: ``(n, num_perm)`` uint16.

    One permutation hashing in rounds (Dahlgaard, Knudsen & Thorup 2017): in each of
    `_ROUNDS` rounds every shingle is hashed anew to one bin with a value (the round number in
    the high bits, so an earlier round always wins), and each bin keeps its minimum. Bins
    still empty (short texts) take the value of the first non-empty bin along a probe
    sequence that depends only on the bin and the seed (optimal densification, Shrivastava
    2017). Either way two texts agree in a bin with probability equal to their Jaccard
    similarity; the rounds make the estimate both faster and more precise than densifying
    a single round. Each bin keeps the low 16 bits of its minimum (b-bit minwise hashing).
    """
    sig = np.full(n * num_perm, _EMPTY, dtype=np.uint32)
    offset = text * num_perm
    for r in range(_ROUNDS):
        hashed = hashes if r == 0 else _mix(hashes ^ _seed_key(seed, 10 + r))
        bins = ((hashed >> _U64(32)) * _U64(num_perm)) >> _U64(32)
        values = ((hashed & _U64(0x3FFFFFFF)) | _U64(r << 30)).astype(np.uint32)
        np.minimum.at(sig, offset + bins.astype(np.int64), values)
    filled = sig != _EMPTY
    cells = np.flatnonzero(~filled)  # the empty bins, as flat indices
    probe_key = _seed_key(seed, 3)
    high = np.arange(num_perm, dtype=np.uint64) << _U64(32)
    columns = np.arange(num_perm, dtype=np.int64)
    attempt = 0
    while cells.size:
        # Where each bin looks at this attempt (the same for every text), as an offset.
        probe = _mix((high | _U64(attempt)) ^ probe_key) % _U64(num_perm)
        source = cells + (probe.astype(np.int64) - columns)[cells % num_perm]
        ok = filled[source]
        sig[cells[ok]] = sig[source[ok]]
        cells = cells[~ok]
        attempt += 1
    return (sig & np.uint32(0xFFFF)).astype(np.uint16).reshape(n, num_perm)


def _band_keys(sig: np.ndarray, start: int, rows: int) -> np.ndarray:
    """One uint64 key per signature for the band of columns ``start:start+rows``."""
    key: np.ndarray | None = None
    for lo in range(start, start + rows, 4):
        width = min(4, start + rows - lo)
        if width == 4:
            packed = np.ascontiguousarray(sig[:, lo : lo + 4]).view("<u8").ravel()
        else:
            part = np.zeros((sig.shape[0], 4), dtype=np.uint16)
            part[:, :width] = sig[:, lo : lo + width]
            packed = part.view("<u8").ravel()
        key = packed if key is None else _mix(key ^ _U64(0xD6E8FEB86659FD93)) ^ packed
    assert key is not None
    return key


def _candidates(sig: np.ndarray, rank: np.ndarray, bands: int) -> np.ndarray:
    """Candidate pairs ``a * n + b`` (a < b, unique) of signatures (rows of `sig`, ``n`` of
    them) sharing a band.

    Within a bucket the signatures are ordered by `rank` (a permutation of ``range(n)``),
    and each is paired with the bucket's first and with the one before it, so the pairs
    grow linearly with the bucket's size and do not depend on the order of the rows.
    """
    n = sig.shape[0]
    rows = sig.shape[1] // bands
    row_of_rank = np.empty(n, dtype=np.int64)
    row_of_rank[rank] = np.arange(n)
    # Each band's key (hashed, in the high bits) and the rank (in the low bits) share one
    # uint64, so a plain sort groups the buckets, in rank order within each. Keys shortened
    # to make room for the rank may collide (about n**2 / 2**(64 - rank_bits) pairs per
    # band): such pairs are rejected by the verification.
    rank_bits = max(1, int(n - 1).bit_length())
    mask = _U64((1 << rank_bits) - 1)
    low = rank.astype(np.uint64)
    found: list[np.ndarray] = []
    total = 0
    for band in range(bands):
        # Multiply-shift hashing: the high bits of the product depend on every bit.
        key = _band_keys(sig, band * rows, rows) * _U64(0x9E3779B97F4A7C15)
        packed = np.sort((key >> _U64(rank_bits) << _U64(rank_bits)) | low)
        bucket = packed >> _U64(rank_bits)
        same = bucket[1:] == bucket[:-1]
        if not same.any():
            continue
        row = row_of_rank[(packed & mask).astype(np.int64)]
        head = np.concatenate([[True], ~same])
        first = row[np.flatnonzero(head)][np.cumsum(head) - 1]
        member = np.flatnonzero(~head)
        b = row[member]
        for a in (first[member], row[member - 1]):
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            total += b.size
        if total > max(4 * n, 1 << 24):  # bound the memory of repeated pairs
            found = [_sorted_unique(np.concatenate(found))]
            total = found[0].size
    if not found:
        return np.zeros(0, dtype=np.int64)
    return _sorted_unique(np.concatenate(found))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending, sorting `values` in place (`np.unique`'s hash table
    is far slower on large integer arrays)."""
    values.sort()
    if values.size:
        values = values[np.concatenate([[True], values[1:] != values[:-1]])]
    return values


def _verified(
    sig: np.ndarray, pairs: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (``a * n + b`` codes, ``n`` the rows of `sig`) whose share of agreeing
    signature slots (the estimated Jaccard similarity) is at least `threshold`, as arrays
    ``a``, ``b`` and that share."""
    n, width = sig.shape
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, pairs.size, _VERIFY_CHUNK):
        a, b = np.divmod(pairs[lo : lo + _VERIFY_CHUNK], n)
        share = np.count_nonzero(sig[a] == sig[b], axis=1) / width
        ok = share >= threshold
        kept.append((a[ok], b[ok], share[ok]))
    if not kept:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    a, b, share = (np.concatenate(parts) for parts in zip(*kept, strict=True))
    return a, b, share


def _check(threshold: float, num_perm: int, bands: int, shingle: int, min_chars: int) -> None:
    if not 0 < threshold <= 1:
        raise BadParameterError(f"threshold must be in (0, 1], got {threshold}")
    if not 1 <= num_perm <= 4096:
        raise BadParameterError(f"num_perm must be between 1 and 4096, got {num_perm}")
    if bands < 1 or num_perm % bands:
        raise BadParameterError(
            f"bands ({bands}) must divide num_perm ({num_perm}): each band has "
            "num_perm / bands rows"
        )
    if not 1 <= shingle <= MAX_SHINGLE:
        raise BadParameterError(
            f"shingle must be between 1 and {MAX_SHINGLE} characters, got {shingle}"
        )
    if min_chars < shingle:
        raise BadParameterError(
            f"min_chars ({min_chars}) must be at least shingle ({shingle}): shorter texts "
            "have no shingle"
        )


def _batches(reader: Any, min_chars: int) -> Iterator[tuple[pa.Array, pa.Array]]:
    """``(post_id, normalised text)`` of the posts long enough, in batches bounded both in
    rows and in characters."""
    for batch in reader:
        if batch.num_rows == 0:
            continue
        norm = normalize_texts(batch.column("text"))
        lengths = pc.utf8_length(norm)
        keep = pc.greater_equal(lengths, min_chars)
        ids = pc.filter(batch.column("post_id"), keep)
        norm = pc.filter(norm, keep)
        if len(norm) == 0:
            continue
        # UTF-16 units are at most twice the characters.
        units = np.cumsum(2 * pc.filter(lengths, keep).to_numpy() + 1)
        start = 0
        while start < len(norm):
            base = units[start - 1] if start else 0
            stop = int(np.searchsorted(units, base + _BATCH_UNITS, side="right"))
            stop = max(stop, start + 1)
            yield ids.slice(start, stop - start), norm.slice(start, stop - start)
            start = stop


def signed_batch(
    batch: pa.RecordBatch,
    *,
    min_chars: int = DEFAULT_MIN_CHARS,
    shingle: int = DEFAULT_SHINGLE,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = 0,
) -> pa.Table:
    """The MinHash side of a batch of posts (columns ``post_id`` and ``text``): for each post
    whose normalised text has at least `min_chars` characters, its ``post_id``, ``text_hash``
    and ``signature`` (`SIGNED_SCHEMA`; steps 1 to 3 of the module docstring).

    This is what runs where the engine computes (`infoscope.engine.Engine.map_batches`); it
    depends on each row alone, so any cut of the posts into batches gives the same rows.
    """
    parts = []
    for ids, norm in _batches([batch], min_chars):
        n = len(norm)
        text, hashes, hashed = _shingles(norm, shingle, seed)
        sig = np.ascontiguousarray(_signatures(text, hashes, n, num_perm, seed), dtype="<u2")
        width = 2 * num_perm
        offsets = np.arange(n + 1, dtype=np.int32) * np.int32(width)
        signature = pa.Array.from_buffers(
            pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(sig.tobytes())]
        )
        parts.append(
            pa.table(
                [ids.cast(pa.string()), pa.array(hashed.view(np.int64)), signature],
                schema=SIGNED_SCHEMA,
            )
        )
    return pa.concat_tables(parts) if parts else SIGNED_SCHEMA.empty_table()


def _signature_rows(column: pa.Array, num_perm: int) -> np.ndarray:
    """The ``(n, num_perm)`` uint16 signatures of a ``signature`` column of `SIGNED_SCHEMA`
    (every value ``2 * num_perm`` bytes), read from its buffers without a copy."""
    n = len(column)
    width = 2 * num_perm
    if n == 0:
        return np.zeros((0, num_perm), dtype=np.uint16)
    _, offsets, data = column.buffers()
    where = np.frombuffer(offsets, dtype=np.int32)[column.offset : column.offset + n + 1]
    if column.null_count or np.any(np.diff(where) != width):
        raise ValueError(f"signatures of {width} bytes expected")
    start = int(where[0])
    raw = np.frombuffer(data, dtype=np.uint8)[start : start + n * width]
    return raw.view("<u2").reshape(n, num_perm)


def near_duplicate_groups(
    store: Store | Engine,
    posts: ibis.Table,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
    bands: int = DEFAULT_BANDS,
    shingle: int = DEFAULT_SHINGLE,
    min_chars: int = DEFAULT_MIN_CHARS,
    seed: int = 0,
) -> pa.Table:
    """Groups of posts whose texts are near-duplicates (see the module docstring).

    Parameters
    ----------
    store:
        The store whose connection runs `posts`, or the engine that runs them (its store, if
        any, keeps the cache).
    posts:
        An Ibis expression over that store's or engine's tables with columns ``post_id``
        (string, unique) and ``text`` (string); other columns are ignored, null texts
        skipped.
    threshold:
        Estimated Jaccard similarity of two texts' shingle sets from which they are
        near-duplicates. 0.6 (with 4-character shingles) keeps texts of 15 words or more
        with 1-3 words replaced or one dropped, while unrelated texts of one topic stay
        below 0.3.
    num_perm:
        MinHash slots per text (``bands * rows``). 128 gives a standard error of about 0.03
        to 0.04 on the estimate at 0.6 and costs 256 bytes per post read.
    bands:
        LSH bands; each has ``num_perm / bands`` rows. 32 bands of 4 rows make texts with
        similarity 0.6 candidates with probability 0.99 (0.5: 0.87; 0.3: 0.23).
    shingle:
        Characters per shingle (character n-grams, spaces included; 1 to 8). 4 separates
        related and unrelated texts best on short posts; longer shingles lower the
        similarity of edited copies, shorter ones raise that of unrelated texts.
    min_chars:
        Texts shorter than this after normalisation are skipped: a few words are alike by
        chance (``thank you so much``), not by coordination.
    seed:
        Seeds the hash functions; the result depends only on the seed and the set of
        (post_id, text) rows, not on their order.

    Returns
    -------
    pyarrow.Table
        ``post_id``, ``group_id`` (the smallest post_id of the group) and ``similarity``
        (the post's highest estimated Jaccard similarity to another member among the pairs
        compared; 1.0 when another member has the same normalised text), one row per post
        in a group of at least two posts, sorted by ``group_id`` then ``post_id``.
    """
    _check(threshold, num_perm, bands, shingle, min_chars)
    missing = {"post_id", "text"} - set(posts.columns)
    if missing:
        raise BadParameterError(
            f"near-duplicate posts lack column(s) {', '.join(sorted(missing))}: pass an "
            "expression with post_id and text"
        )
    selected = posts.select(post_id=posts.post_id.cast("string"), text=posts.text)
    selected = selected.filter(selected.text.notnull() & selected.post_id.notnull())
    params = (threshold, num_perm, bands, shingle, min_chars, seed)
    engine = as_engine(store)
    capacity, key = _fingerprint(engine, selected, params)
    cache = engine.store
    cached = None if cache is None else _cached(cache, key)
    if cached is not None:
        return cached
    table = _groups(engine, selected, capacity, *params)
    if cache is not None:
        _keep(cache, key, capacity, table)
    return table


def _fingerprint(engine: Engine, selected: ibis.Table, params: tuple[Any, ...]) -> tuple[int, str]:
    """The number of rows of `selected` and the cache key of its rows with `params` (each
    engine hashes in its own way: keys of other engines than DuckDB name theirs)."""
    digest = (selected.post_id.cast("string") + "\x1f" + selected.text).hash()
    # Two sums modulo primes (a bitwise xor has no Spark rule in Ibis).
    row = engine.to_arrow(
        selected.aggregate(
            n=selected.count(),
            x=(digest % 1_000_000_007).sum(),
            s=(digest % 2_147_483_647).sum(),
        )
    ).to_pylist()[0]
    n = int(row["n"] or 0)
    version = "v2" if engine.name == "duckdb" else f"v2-{engine.name}"
    return n, f"{version}:{params}:{n}:{row['x']}:{row['s']}"


def _cached(store: Store, key: str) -> pa.Table | None:
    if not store.has_table("near_duplicate_cache_keys"):
        return None
    con = store.ibis.con
    known = con.execute(
        "SELECT count(*) FROM near_duplicate_cache_keys WHERE key = ?", [key]
    ).fetchall()
    if not known[0][0]:
        return None
    table = con.sql(
        "SELECT post_id, group_id, similarity FROM near_duplicate_cache WHERE key = ? "
        "ORDER BY group_id, post_id",
        params=[key],
    ).to_arrow_table()
    return table.cast(RESULT_SCHEMA)


def _keep(store: Store, key: str, posts: int, table: pa.Table) -> None:
    """Store `table` under `key` (rows first, the key last: a key always has its rows)."""
    if store.read_only:
        return
    con = store.ibis.con
    con.execute(_CACHE_DDL)
    con.execute("DELETE FROM near_duplicate_cache WHERE key = ?", [key])
    con.register("_near_duplicate_new", table)
    try:
        con.execute(
            "INSERT INTO near_duplicate_cache SELECT ?, post_id, group_id, similarity "
            "FROM _near_duplicate_new",
            [key],
        )
    finally:
        con.unregister("_near_duplicate_new")
    con.execute(
        "INSERT OR REPLACE INTO near_duplicate_cache_keys VALUES (?, now(), ?, ?)",
        [key, posts, table.num_rows],
    )
    old = [
        r[0]
        for r in con.execute(
            "SELECT key FROM near_duplicate_cache_keys ORDER BY created_at DESC OFFSET ?",
            [CACHE_KEYS],
        ).fetchall()
    ]
    for stale in old:
        con.execute("DELETE FROM near_duplicate_cache_keys WHERE key = ?", [stale])
    # Rows whose key is gone (dropped above, or written by a process killed before its key).
    con.execute(
        "DELETE FROM near_duplicate_cache WHERE key NOT IN "
        "(SELECT key FROM near_duplicate_cache_keys)"
    )


def _groups(
    engine: Engine,
    selected: ibis.Table,
    capacity: int,
    threshold: float,
    num_perm: int,
    bands: int,
    shingle: int,
    min_chars: int,
    seed: int,
) -> pa.Table:
    """The groups of `selected` (see `near_duplicate_groups`), computed: the signatures where
    the engine runs (`signed_batch` through `Engine.map_batches`), the rest here on the driver,
    which receives only (post_id, text hash, signature) per post long enough."""

    sig = np.empty((capacity, num_perm), dtype=np.uint16)
    text_hash = np.empty(capacity, dtype=np.uint64)
    id_chunks: list[pa.Array] = []
    filled = 0
    sign = functools.partial(
        signed_batch, min_chars=min_chars, shingle=shingle, num_perm=num_perm, seed=seed
    )
    for out in engine.map_batches(selected, sign, SIGNED_SCHEMA, batch_rows=_BATCH_ROWS):
        n = out.num_rows
        if n == 0:
            continue
        if filled + n > capacity:  # the table grew since it was counted
            grow = max(filled + n, 2 * capacity)
            sig = np.resize(sig, (grow, num_perm))
            text_hash = np.resize(text_hash, grow)
            capacity = grow
        sig[filled : filled + n] = _signature_rows(out.column("signature"), num_perm)
        text_hash[filled : filled + n] = out.column("text_hash").to_numpy().view(np.uint64)
        id_chunks.append(out.column("post_id"))
        filled += n
    if filled < 2:
        return RESULT_SCHEMA.empty_table()

    # One signature per distinct normalised text, moved in place to the front in the order
    # of first occurrence (each row moves to a row no later than its own, so a forward pass
    # never overwrites a row still to be read). The texts' hash order (which depends on the
    # seed and the texts only) orders the buckets, so nothing depends on the order of rows.
    _, first_row, hash_rank_of_row = np.unique(
        text_hash[:filled], return_index=True, return_inverse=True
    )
    n_texts = first_row.size
    by_row = np.argsort(first_row)
    source = first_row[by_row]
    for lo in range(0, n_texts, _VERIFY_CHUNK):
        hi = min(lo + _VERIFY_CHUNK, n_texts)
        sig[lo:hi] = sig[source[lo:hi]]
    sig = sig[:n_texts]
    text_of_rank = np.empty(n_texts, dtype=np.int64)
    text_of_rank[by_row] = np.arange(n_texts)
    text_of_row = text_of_rank[hash_rank_of_row]
    copies = np.bincount(text_of_row, minlength=n_texts)

    a, b, agree = _verified(sig, _candidates(sig, by_row, bands), threshold)

    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n_texts, n_texts))
    _, label = connected_components(graph, directed=False)
    best = np.zeros(n_texts, dtype=np.float64)
    np.maximum.at(best, a, agree)
    np.maximum.at(best, b, agree)
    best[copies >= 2] = 1.0

    label_of_row = label[text_of_row]
    posts_in = np.bincount(label_of_row)
    rows = np.flatnonzero(posts_in[label_of_row] >= 2)
    if rows.size == 0:
        return RESULT_SCHEMA.empty_table()
    ids = pa.concat_arrays(id_chunks).take(pa.array(rows))
    table = pa.table(
        {"post_id": ids, "component": label_of_row[rows], "similarity": best[text_of_row[rows]]}
    )
    smallest = table.group_by("component").aggregate([("post_id", "min")])
    table = table.join(smallest, "component").rename_columns({"post_id_min": "group_id"})
    table = table.select(["post_id", "group_id", "similarity"]).sort_by(
        [("group_id", "ascending"), ("post_id", "ascending")]
    )
    return table.cast(RESULT_SCHEMA)
