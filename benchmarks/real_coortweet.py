"""Shares of any object on real data, beside a faithful re-implementation of CooRTweet's rule.

Input (one CSV, plain or gzipped; default: the shipped Russian data):

- CooRTweet's layout ``object_id, account_id, content_id, timestamp_share`` (the shipped
  ``../shared/data/coordination/russian-coord-tweets-2021.csv.gz``: co-retweets of
  pro-government Russian Twitter, June 2021, Kulichkina, Righetti & Waldherr 2024): every
  object a retweeted tweet, platform twitter;
- the German 2021 election layout as a user exports it from R
  (``write.csv(CooRTweet::german_elections, "german.csv", row.names = FALSE)``, or the
  ``.rda`` read with ``pyreadr`` and written as CSV): ``account_id, post_id, url_id,
  hashtag_id, domain_id, phash_id`` (or ``image_id``), ``timestamp``; each account's platform
  from a ``platform`` column when there is one, else from the shorthand its id starts with
  (``--platform-prefix``, by default ``fb``/``facebook`` -> facebook, ``tw``/``twitter``/``x``
  -> twitter, ``ig`` -> instagram; the prefixes found are printed so that the mapping can be
  checked);
- infoscope's long layout (``account_id, object_type, object_id, content_id`` or ``post_id``, a
  time column, optional ``platform``).

The input is converted to the long layout (``WORK/long.csv``) and ingested with infoscope's
``shares`` format into ``WORK/store.duckdb`` (no-op when already stored). For each object
type present (url, domain, hashtag, image, retweet) it runs, with the same ``--window``:

- infoscope's trace across platforms (co-link at url and at domain level, co-hashtag with
  ``--hashtag-mode each``, co-image, co-retweet), with the null model (``--alpha``, at least
  ``--min-repetition`` shared objects per pair) and without (alpha none: every pair with at
  least ``--min-repetition`` objects);
- CooRTweet's rule, re-implemented in DuckDB from ``detect_groups`` and
  ``generate_coordinated_network`` (CooRTweet 2.x): the shares of the type made unique by
  (object, account, content, time); accounts with fewer than ``min_participation`` (=
  ``--min-repetition``) shares left out; every two shares of an object at most the window
  apart (boundaries included) paired; loops removed (same account, same content, an object
  equal to a content id); accounts kept only with ``min_participation`` shares among the
  paired contents (a pair stays when either content is kept, as CooRTweet does); the edge
  weight of two accounts the number of their paired shares; clusters the connected
  components. Also with the vignette's ``edge_weight = 0.5`` subgraph: only edges whose weight
  exceeds the median weight (R's type-7 quantile).

It prints per type and tool the account pairs (edges), accounts, clusters and cluster sizes, and for
both tools the platform mix of the clusters (accounts per platform; how many clusters mix
platforms), then the accounts flagged by both. A combined row fuses the types (CooRTweet's
vignette binds the per-type results into one network; infoscope runs the traces together).
Run on demand::

    python benchmarks/real_coortweet.py
    python benchmarks/real_coortweet.py german.csv --window 30
    python benchmarks/real_coortweet.py german.csv --platform-prefix FB=facebook,TW=twitter

It prints a message and exits when the input is absent.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUSSIAN = ROOT.parent / "shared" / "data" / "coordination" / "russian-coord-tweets-2021.csv.gz"
WIDE = {
    "url_id": "url",
    "domain_id": "domain",
    "hashtag_id": "hashtag",
    "phash_id": "image",
    "image_id": "image",
}
TIME_COLUMNS = ("timestamp_share", "timestamp", "created_at", "time")
DEFAULT_PREFIXES = "fb=facebook,facebook=facebook,tw=twitter,twitter=twitter,x=twitter,ig=instagram"
# Object type -> (infoscope trace, its options).
TRACES: dict[str, tuple[str, dict[str, Any]]] = {
    "url": ("co-link", {"link_level": "url"}),
    "domain": ("co-link", {"link_level": "domain"}),
    "hashtag": ("co-hashtag", {"hashtag_mode": "each"}),
    "image": ("co-image", {}),
    "retweet": ("co-retweet", {}),
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_source(path: Path) -> str:
    return f"read_csv('{path}', header = true, all_varchar = true, nullstr = ['', 'NA'])"


def to_long(con: Any, path: Path, prefixes: dict[str, str]) -> tuple[str, str]:
    """The input as a table ``shares_long(platform, account_id, content_id, object_type,
    object_id, ts)`` (epoch seconds); returns its layout name and how platforms were set."""
    source = csv_source(path)
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    time_col = next((c for c in TIME_COLUMNS if c in columns), None)
    if time_col is None:
        raise SystemExit(f"{path}: no time column ({', '.join(TIME_COLUMNS)}): {columns}")
    ts = f"""CASE WHEN regexp_full_match(trim("{time_col}"), '[+-]?[0-9.eE+-]+')
                  THEN try_cast("{time_col}" AS DOUBLE)
                  ELSE epoch(try_cast("{time_col}" AS TIMESTAMPTZ)) END"""
    post = "content_id" if "content_id" in columns else "post_id"
    coortweet = "object_type" not in columns and "object_id" in columns
    if "platform" in columns:
        platform, how = "lower(trim(platform))", "the platform column"
    elif coortweet:
        platform, how = "'twitter'", "CooRTweet's layout (twitter)"
    else:
        cases = " ".join(f"WHEN '{k.lower()}' THEN '{v}'" for k, v in prefixes.items())
        prefix = "lower(regexp_extract(account_id, '^([A-Za-z]+)[_:-]', 1))"
        platform = f"CASE {prefix} {cases} ELSE 'unknown' END"
        how = "the account ids' prefixes"
        found = con.execute(
            f"SELECT {prefix} AS p, count(DISTINCT account_id) FROM {source} GROUP BY 1 "
            "ORDER BY 2 DESC LIMIT 10"
        ).fetchall()
        shown = ", ".join(f"{p or '(none)'} {n:,}" for p, n in found)
        print(f"account id prefixes (accounts): {shown}")
    if "object_type" in columns:
        from infoscope.ingest.shares import OBJECT_TYPE_SYNONYMS

        layout = "long"
        word = "lower(trim(object_type))"
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in OBJECT_TYPE_SYNONYMS.items())
        synonyms = f"CASE {word} {cases} ELSE {word} END"
        select = (
            f"SELECT {platform} AS platform, account_id, {post} AS content_id, "
            f"{synonyms} AS object_type, object_id, {ts} AS ts FROM {source}"
        )
    elif "object_id" in columns:
        layout = "coortweet"
        select = (
            f"SELECT {platform} AS platform, account_id, content_id, 'retweet' AS object_type, "
            f"object_id, {ts} AS ts FROM {source}"
        )
    else:
        wide = [c for c in WIDE if c in columns]
        if not wide:
            raise SystemExit(f"{path}: neither object_type, object_id nor {', '.join(WIDE)}")
        layout = "german (wide)"
        select = " UNION ALL ".join(
            f"SELECT {platform} AS platform, account_id, {post} AS content_id, "
            f"'{WIDE[c]}' AS object_type, \"{c}\" AS object_id, {ts} AS ts FROM {source} "
            f'WHERE "{c}" IS NOT NULL'
            for c in wide
        )
    con.execute(
        f"CREATE OR REPLACE TABLE shares_long AS SELECT DISTINCT * FROM ({select}) "
        "WHERE object_id IS NOT NULL AND account_id IS NOT NULL AND ts IS NOT NULL"
    )
    return layout, how


def coortweet_rule(con: Any, kind: str, window: float, min_participation: int) -> list[tuple]:
    """CooRTweet's detect_groups on the shares of `kind` (see the module docstring): rows
    ``account_a, account_b, weight`` with account_a < account_b."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE x AS
        SELECT row_number() OVER (ORDER BY platform, account_id, content_id, object_id, ts) AS rid,
               platform || ':' || account_id AS account_id,
               platform || ':' || content_id AS content_id, content_id AS content_raw,
               object_id, ts
        FROM shares_long WHERE object_type = '{kind}'
          AND (platform, account_id) IN (
            SELECT (platform, account_id) FROM shares_long WHERE object_type = '{kind}'
            GROUP BY ALL HAVING count(*) >= {min_participation})
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE result AS
        SELECT a.object_id, a.account_id, b.account_id AS account_id_y,
               a.content_id, b.content_id AS content_id_y
        FROM x a JOIN x b ON a.object_id = b.object_id AND a.rid < b.rid
             AND b.ts BETWEEN a.ts - {window} AND a.ts + {window}
        WHERE a.object_id <> a.content_raw AND a.object_id <> b.content_raw
          AND a.content_id <> b.content_id AND a.account_id <> b.account_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE kept_contents AS
        WITH contents AS (SELECT content_id FROM result UNION SELECT content_id_y FROM result),
        filt AS (
          SELECT x.account_id, x.content_id FROM x SEMI JOIN contents USING (content_id)
          QUALIFY count(*) OVER (PARTITION BY x.account_id) >= {min_participation})
        SELECT DISTINCT content_id FROM filt
        """
    )
    return con.execute(
        """
        SELECT least(account_id, account_id_y) AS a, greatest(account_id, account_id_y) AS b,
               count(*) AS weight
        FROM result r
        WHERE content_id IN (SELECT content_id FROM kept_contents)
           OR content_id_y IN (SELECT content_id FROM kept_contents)
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()


def r_quantile(values: list[float], p: float) -> float:
    """R's default (type 7) quantile."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def components(edges: list[tuple[str, str]]) -> list[set[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return sorted(groups.values(), key=lambda g: (-len(g), min(g)))


def mix_text(clusters: list[set[str]], show: int = 5) -> str:
    """How many clusters mix platforms, and the largest clusters' accounts per platform."""
    mixed = sum(1 for c in clusters if len({k.split(":", 1)[0] for k in c}) > 1)
    largest = "; ".join(
        "+".join(f"{p} {n}" for p, n in sorted(Counter(k.split(":", 1)[0] for k in c).items()))
        for c in clusters[:show]
    )
    return f"{mixed:,} mixed; largest: {largest or '-'}"


def sizes_text(clusters: list[set[str]]) -> str:
    sizes = [len(c) for c in clusters]
    if not sizes:
        return "-"
    more = " ..." if len(sizes) > 5 else ""
    return f"{', '.join(map(str, sizes[:5]))}{more} (median {statistics.median(sizes):g})"


def row(label: str, edges: int, clusters: list[set[str]], seconds: float) -> None:
    accounts = sum(len(c) for c in clusters)
    print(
        f"  {label:<42} {edges:>8,} {accounts:>9,} {len(clusters):>9,} {seconds:>7.1f}  "
        f"{sizes_text(clusters)}"
    )
    print(f"  {'':<42} platform mix: {mix_text(clusters)}")


def infoscope_clusters(store: Any, run_id: str) -> list[set[str]]:
    groups: dict[int, set[str]] = defaultdict(set)
    for platform, account, cluster in store.con.execute(
        "SELECT platform, account_id, cluster FROM coordination_accounts WHERE run_id = ?",
        [run_id],
    ).fetchall():
        groups[int(cluster)].add(f"{platform}:{account}")
    return sorted(groups.values(), key=lambda g: (-len(g), min(g)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(RUSSIAN), help="the CSV (default: Russian)")
    parser.add_argument(
        "--window",
        type=float,
        help="seconds (default 60 for CooRTweet's "
        "layout, as its Russian example; 30 otherwise, as its German example)",
    )
    parser.add_argument(
        "--min-repetition",
        type=int,
        default=2,
        help="CooRTweet's min_participation; infoscope's --min-count",
    )
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument(
        "--platform-prefix",
        default=DEFAULT_PREFIXES,
        help="PREFIX=PLATFORM,... for account ids like fb_123",
    )
    parser.add_argument("--work", default=str(ROOT / "bench-out" / "real-coortweet"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    path = Path(args.path)
    if not path.exists():
        print(f"the input is absent ({path}); nothing to measure")
        return

    import duckdb

    from infoscope.coordination import TraceOptions, run_coordination
    from infoscope.ingest import ingest
    from infoscope.store import Store

    prefixes = dict(p.split("=", 1) for p in args.platform_prefix.split(",") if "=" in p)
    work = Path(args.work) / path.name.split(".")[0]
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    layout, how = to_long(con, path, prefixes)
    window = args.window if args.window is not None else (60.0 if layout == "coortweet" else 30.0)
    r = args.min_repetition
    long_csv = work / "long.csv"
    con.execute(
        f"COPY (SELECT platform, account_id, content_id, object_type, object_id, "
        f"CAST(ts AS BIGINT) AS timestamp_share FROM shares_long ORDER BY ALL) "
        f"TO '{long_csv}' (HEADER, DELIMITER ',')"
    )
    header = f"  {'':<42} {'edges':>8} {'accounts':>9} {'clusters':>9} {'s':>7}  sizes"
    with Store.open(work / "store.duckdb") as store:
        started = time.perf_counter()
        summary = ingest(store, [long_csv])
        print(
            f"{path.name}: {layout} layout; platforms from {how}\n"
            f"ingest {long_csv.name}: {summary.store.shares:,} shares, {summary.posts:,} posts "
            f"({time.perf_counter() - started:.1f} s; a no-op when stored before)"
        )
        # Both tools read the shares as stored (normalised once, at ingest).
        con = store.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE shares_long AS SELECT platform, account_id, "
            "post_id AS content_id, object_type, object_id, epoch(created_at) AS ts FROM shares"
        )
        types = con.execute(
            "SELECT object_type, count(*), count(DISTINCT platform || account_id), "
            "count(DISTINCT object_id) FROM shares_long GROUP BY 1 ORDER BY 1"
        ).fetchall()
        per_platform = con.execute(
            "SELECT platform, count(DISTINCT account_id), count(DISTINCT content_id) "
            "FROM shares_long GROUP BY 1 ORDER BY 1"
        ).fetchall()
        print("  shares by type (shares, accounts, objects): " + "; ".join(
            f"{t} {n:,}, {a:,}, {o:,}" for t, n, a, o in types))  # fmt: skip
        print("  platforms (accounts, posts): " + "; ".join(
            f"{p} {a:,}, {c:,}" for p, a, c in per_platform))  # fmt: skip
        print(f"  window {window:g} s, min repetition {r}, alpha {args.alpha}, seed {args.seed}\n")
        flagged: dict[str, dict[str, set[str]]] = {}
        present = [t for t, *_ in types if t in TRACES]
        combined_edges: list[tuple[str, str]] = []
        for kind in [*present, "combined"]:
            print(f"{kind}:")
            print(header)
            if kind == "combined":
                names = [TRACES[t][0] for t in present if t != "domain"]
                options: dict[str, Any] = {"hashtag_mode": "each", "link_level": "url"}
            else:
                names = [TRACES[kind][0]]
                options = dict(TRACES[kind][1])
            windowed = {n: window for n in names}
            flagged[kind] = {}
            for label, alpha in ((f"infoscope, null model (q <= {args.alpha})", args.alpha),
                                 (f"infoscope, pairs with >= {r} objects", None)):  # fmt: skip
                started = time.perf_counter()
                run = run_coordination(
                    store, names,
                    TraceOptions(platform="all", windows=windowed, **options),
                    min_count=r, alpha=alpha, seed=args.seed,
                )  # fmt: skip
                seconds = time.perf_counter() - started
                clusters = infoscope_clusters(store, run.run_id)
                (pairs,) = store.con.execute(
                    "SELECT count(DISTINCT (account_a, account_b)) FROM coordination_edges "
                    "WHERE run_id = ?",
                    [run.run_id],
                ).fetchone()
                row(label, int(pairs), clusters, seconds)
                flagged[kind][label] = set().union(*clusters) if clusters else set()
            if kind == "combined":
                edges = combined_edges
                seconds = 0.0
            else:
                started = time.perf_counter()
                weighted = coortweet_rule(con, kind, window, r)
                seconds = time.perf_counter() - started
                edges = [(a, b) for a, b, _ in weighted]
                if kind != "domain":
                    combined_edges.extend(edges)
                weights = [w for *_, w in weighted]
                if weights:
                    threshold = r_quantile(weights, 0.5)
                    heavy = [(a, b) for a, b, w in weighted if w > threshold]
                    clusters = components(heavy)
                    row(f"CooRTweet rule, edge_weight 0.5 (> {threshold:g})", len(heavy),
                        clusters, seconds)  # fmt: skip
            distinct = sorted(set(edges))
            clusters = components(distinct)
            label = f"CooRTweet rule (min_participation {r})"
            row(label, len(distinct), clusters, seconds)
            flagged[kind][label] = set().union(*clusters) if clusters else set()
            sets = list(flagged[kind].items())
            both = sets[1][1] & sets[-1][1]
            print(
                f"  flagged by infoscope (>= {r} objects) and by CooRTweet's rule: {len(both):,} "
                f"(infoscope only {len(sets[1][1] - both):,}, CooRTweet only "
                f"{len(sets[-1][1] - both):,}); by the null model: {len(sets[0][1]):,}\n"
            )
    print(f"peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
