"""What the report and the dashboard show beside the analyses' sections, read from the store
as plain, JSON-ready data: the corpus overview, the choices the filters offer, the accounts
list and one account's page, and the runs behind every page (provenance).

Every view is a function ``view(store, filters, ...)`` that only reads: the report renders
the views with no filter, the dashboard renders them per request and serves the same dicts
as JSON. The analyses' own sections (network map, communities, coordination...) are views in
their packages, named by the registry (`infoscope.registry`); `Filters` and the helpers they
share are in `infoscope.report.filters`.
"""

from __future__ import annotations

from typing import Any

import ibis

from infoscope.errors import BadParameterError, NotFoundError
from infoscope.queries import corpus_stats
from infoscope.registry import registered_analyses
from infoscope.report.filters import (
    NO_FILTERS,
    Filters,
    account_filter,
    filtered_posts,
    iso,
    loads,
    post_filter,
    post_texts,
    records,
)
from infoscope.store import Store

__all__ = [
    "ACCOUNT_SORTS",
    "Filters",
    "account",
    "accounts",
    "filter_choices",
    "latest_runs",
    "overview",
    "runs",
    "store_info",
]


# -- runs and provenance -------------------------------------------------------------------


def runs(store: Store, *, limit: int = 200) -> list[dict[str, Any]]:
    """Every recorded run, latest first: command, parameters, seed, input fingerprint,
    version, times, status and its counts (what it produced)."""
    rows = records(
        store.con.execute(
            "SELECT run_id, command, status, version, seed, input_fingerprint, started_at, "
            "ended_at, parameters, counts FROM runs ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
    )
    for row in rows:
        row["parameters"] = loads(row["parameters"])
        row["counts"] = loads(row["counts"])
    return rows


def store_info(store: Store) -> dict[str, Any]:
    """The store's path, schema version and the version that created it."""
    meta = dict(store.con.execute("SELECT key, value FROM meta").fetchall())
    return {"path": str(store.path), **meta}


def latest_runs(store: Store) -> dict[str, str | None]:
    """The run each analysis section reads: the latest completed run of every registered
    analysis, by analysis name."""
    return {name: store.latest_run_id(name) for name in registered_analyses()}


# -- corpus ----------------------------------------------------------------------------------


def overview(store: Store, filters: Filters = NO_FILTERS, *, top: int = 10) -> dict[str, Any]:
    """Corpus overview: the statistics `infoscope stats` prints (counts by platform, kind,
    language and month, top accounts, hashtags and hosts), plus posts per day and kind, for
    the posts that match `filters`."""
    posts, accounts = filtered_posts(store, filters)
    stats = corpus_stats(posts, accounts, top=top)
    daily = (
        posts.mutate(day=posts.created_at.truncate("D").cast("date"))
        .group_by(["day", "kind"])
        .aggregate(posts=ibis._.count())
        .order_by(["day", "kind"])
    )
    by_day = [
        {"day": iso(r["day"]), "kind": r["kind"], "posts": r["posts"]}
        for r in daily.to_pyarrow().to_pylist()
        if r["day"] is not None
    ]
    quarantined = store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    return {
        "filters": filters.as_dict(),
        **stats,
        "by_day": by_day,
        "quarantined": int(quarantined),
    }


def filter_choices(store: Store) -> dict[str, Any]:
    """What the filters can take: the date span, communities, languages and regions."""
    first, last = store.con.execute("SELECT min(created_at), max(created_at) FROM posts").fetchone()
    langs = [
        r[0]
        for r in store.con.execute(
            "SELECT lower(lang) AS l FROM posts WHERE lang IS NOT NULL GROUP BY l "
            "ORDER BY count(*) DESC LIMIT 40"
        ).fetchall()
    ]
    latest = latest_runs(store)
    communities: list[dict[str, Any]] = []
    if latest["communities"]:
        communities = [
            {"community": r[0], "size": r[1], "label": r[2]}
            for r in store.con.execute(
                """
                SELECT c.community, c.size,
                       coalesce(json_extract_string(c.profile, '$.top_by_pagerank[0].handle'),
                                json_extract_string(c.profile, '$.top_by_pagerank[0].account_id'))
                FROM communities c WHERE run_id = ? ORDER BY size DESC, community LIMIT 60
                """,
                [latest["communities"]],
            ).fetchall()
        ]
    regions: list[dict[str, Any]] = []
    if latest["locate"]:
        regions = [
            {"region": r[0], "accounts": r[1]}
            for r in store.con.execute(
                "SELECT country, count(*) FROM account_locations WHERE run_id = ? "
                "GROUP BY country ORDER BY count(*) DESC, country LIMIT 80",
                [latest["locate"]],
            ).fetchall()
        ]
    return {
        "first_post": iso(first),
        "last_post": iso(last),
        "languages": langs,
        "communities": communities,
        "regions": regions,
    }


# -- accounts --------------------------------------------------------------------------------

ACCOUNT_SORTS = {
    "posts": "posts DESC",
    "pagerank": "pagerank DESC NULLS LAST",
    "resonance": "resonance DESC NULLS LAST",
    "handle": "lower(handle) NULLS LAST",
}


def accounts(
    store: Store,
    filters: Filters = NO_FILTERS,
    *,
    search: str | None = None,
    sort: str = "posts",
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Accounts matching `filters` (and `search` in handle or name), with what each analysis
    says of them: posts in range, community, PageRank, country, resonance, coordination."""
    if sort not in ACCOUNT_SORTS:
        raise BadParameterError(f"sort={sort!r}: choose one of {', '.join(ACCOUNT_SORTS)}")
    if not 1 <= limit <= 1000 or offset < 0:
        raise BadParameterError("limit must be 1..1000 and offset at least 0")
    latest = latest_runs(store)
    where, args = account_filter(store, filters, "a.")
    post_where, post_args = post_filter(store, filters.posts_only(), "p.")
    posts_needed = filters.since or filters.until or filters.lang
    if search:
        where += " AND (a.handle ILIKE ? OR a.display_name ILIKE ? OR a.account_id = ?)"
        args += [f"%{search.lstrip('@')}%", f"%{search}%", search]
    sql = f"""
        WITH counted AS (
          SELECT p.platform, p.account_id, count(*) AS posts FROM posts p WHERE {post_where}
          GROUP BY ALL
        ),
        rows AS (
          SELECT a.platform, a.account_id, a.handle, a.display_name,
                 coalesce(c.posts, 0) AS posts, n.community, n.pagerank, l.country,
                 r.score AS resonance, r.resonant, k.cluster
          FROM accounts a
          LEFT JOIN counted c ON c.platform = a.platform AND c.account_id = a.account_id
          LEFT JOIN network_nodes n ON n.run_id = ? AND n.platform = a.platform
               AND n.account_id = a.account_id
          LEFT JOIN account_locations l ON l.run_id = ? AND l.platform = a.platform
               AND l.account_id = a.account_id
          LEFT JOIN resonance_scores r ON r.run_id = ? AND r.period IS NULL
               AND r.platform = a.platform AND r.account_id = a.account_id
          LEFT JOIN coordination_accounts k ON k.run_id = ? AND k.platform = a.platform
               AND k.account_id = a.account_id
          WHERE {where} {"AND c.posts IS NOT NULL" if posts_needed else ""}
        )
        SELECT *, count(*) OVER () AS total FROM rows
        ORDER BY {ACCOUNT_SORTS[sort]}, account_id LIMIT ? OFFSET ?
    """
    found = records(
        store.con.execute(
            sql,
            [
                *post_args, latest["communities"], latest["locate"], latest["resonance"],
                latest["coordination"], *args, limit, offset,
            ],
        )
    )  # fmt: skip
    total = found[0]["total"] if found else 0
    for row in found:
        del row["total"]
    return {
        "filters": filters.as_dict(),
        "search": search,
        "sort": sort,
        "total": total,
        "offset": offset,
        "limit": limit,
        "accounts": found,
    }


def account(store: Store, platform: str, account_id: str, *, posts: int = 50) -> dict[str, Any]:
    """Everything the store says of one account: its profile, analyst labels, latest posts,
    place (with source, confidence and evidence), community and influence, resonance score with
    the terms behind it, and its coordination edges with their evidence."""
    from infoscope.coordination.run import edge_evidence
    from infoscope.errors import InfoscopeError

    profile = records(
        store.con.execute(
            "SELECT * EXCLUDE (raw) FROM accounts WHERE platform = ? AND account_id = ?",
            [platform, account_id],
        )
    )
    if not profile:
        raise NotFoundError(
            f"no account {platform}/{account_id} in the store: search the accounts page"
        )
    latest = latest_runs(store)
    key = [platform, account_id]
    labels = records(
        store.con.execute(
            "SELECT label_key, label_value, source FROM account_labels "
            "WHERE platform = ? AND account_id = ? ORDER BY label_key, label_value",
            key,
        )
    )
    recent = records(
        store.con.execute(
            "SELECT post_id, created_at, kind, lang, text, ref_post_id, ref_account_handle, "
            "hashtags, urls FROM posts WHERE platform = ? AND account_id = ? "
            "ORDER BY created_at DESC NULLS LAST, post_id LIMIT ?",
            [*key, posts],
        )
    )
    counts = store.con.execute(
        "SELECT count(*), min(created_at), max(created_at) FROM posts "
        "WHERE platform = ? AND account_id = ?",
        key,
    ).fetchone()

    def one(sql: str, run_id: str | None) -> dict[str, Any] | None:
        if run_id is None:
            return None
        rows = records(store.con.execute(sql, [run_id, *key]))
        return rows[0] if rows else None

    network = one(
        "SELECT * EXCLUDE (run_id, platform, account_id) FROM network_nodes "
        "WHERE run_id = ? AND platform = ? AND account_id = ?",
        latest["communities"],
    )
    place = one(
        "SELECT * EXCLUDE (run_id, platform, account_id) FROM account_locations "
        "WHERE run_id = ? AND platform = ? AND account_id = ?",
        latest["locate"],
    )
    if place is not None:
        place["checks"] = loads(place["checks"])
    score = one(
        "SELECT score, probability, resonant, tokens, top_terms, signature_id "
        "FROM resonance_scores WHERE run_id = ? AND platform = ? AND account_id = ? "
        "AND period IS NULL",
        latest["resonance"],
    )
    if score is not None:
        score["top_terms"] = [
            {"term": t[0], "count": t[1], "contribution": t[2]} for t in loads(score["top_terms"])
        ]
        score["run_id"] = latest["resonance"]
    coordinated = one(
        "SELECT cluster, subcluster, degree, strength, traces FROM coordination_accounts "
        "WHERE run_id = ? AND platform = ? AND account_id = ?",
        latest["coordination"],
    )
    edges: list[dict[str, Any]] = []
    if coordinated is not None:
        try:
            edges = edge_evidence(
                store, account_id, run_id=latest["coordination"], limit=10, platform=platform
            )
        except InfoscopeError:
            edges = []
        # Evidence rows name each post's platform (a run across platforms pairs accounts of
        # several); their texts are looked up per platform.
        wanted: dict[str, list[str]] = {}
        for e in edges:
            for r in e["evidence"]:
                for side in ("a", "b"):
                    on = r.get(f"platform_{side}") or platform
                    wanted.setdefault(on, []).append(r[f"post_{side}"])
        texts = {
            (on, post): text
            for on, ids in wanted.items()
            for post, text in post_texts(store, on, ids).items()
        }
        for edge in edges:
            for k, v in list(edge.items()):
                edge[k] = iso(v)
            for row in edge["evidence"]:
                for k, v in list(row.items()):
                    row[k] = iso(v)
                for side in ("a", "b"):
                    on = row.get(f"platform_{side}") or platform
                    row[f"text_{side}"] = texts.get((on, row[f"post_{side}"]))
        coordinated["run_id"] = latest["coordination"]
    signals = None
    if latest["accounts"] is not None:
        from infoscope.authenticity import explain_account

        try:
            signals = explain_account(store, account_id, run_id=latest["accounts"])
        except BadParameterError:
            signals = None
    return {
        "platform": platform,
        "account_id": account_id,
        "signals": signals,
        "profile": profile[0],
        "labels": labels,
        "posts": {
            "total": counts[0],
            "first": iso(counts[1]),
            "last": iso(counts[2]),
            "latest": recent,
        },
        "community": network and {**network, "run_id": latest["communities"]},
        "place": place and {**place, "run_id": latest["locate"]},
        "resonance": score,
        "coordination": coordinated and {**coordinated, "edges": edges},
    }
