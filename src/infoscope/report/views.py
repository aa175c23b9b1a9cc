"""What the report and the dashboard show beside the analyses' sections, read from the store
as plain, JSON-ready data: the corpus overview, the choices the filters offer, the accounts
list and one account's page, the account links (the same actor's accounts on several
platforms, with their evidence), and the runs behind every page (provenance).

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
    "account_links",
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


# -- account links ---------------------------------------------------------------------------


def account_links(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 500
) -> dict[str, Any] | None:
    """The stored account links (`infoscope.account_links`: the same actor's accounts on
    several platforms, stated by the analyst or found by exact matches): how many, by method
    and platform pair, and the first `top` with both accounts, the method, evidence, note and
    source, and each account's community (latest communities run) and coordination cluster
    (latest coordination run). The community and region filters keep the links with an
    account they select; dates and language do not apply. None when the store has no link
    (an older store has no ``account_links`` table)."""
    if not store.has_table("account_links"):
        return None
    if not store.con.execute("SELECT count(*) FROM account_links").fetchone()[0]:
        return None
    latest = latest_runs(store)
    where, args = account_filter(store, filters, "e.")
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _links_shown AS
        WITH e AS (SELECT platform_a AS platform, account_a AS account_id FROM account_links
                   UNION SELECT platform_b, account_b FROM account_links),
             kept AS (SELECT e.platform, e.account_id FROM e WHERE {where})
        SELECT l.* FROM account_links l
        WHERE (l.platform_a, l.account_a) IN (SELECT platform, account_id FROM kept)
           OR (l.platform_b, l.account_b) IN (SELECT platform, account_id FROM kept)
        """,
        args,
    )
    try:
        total, linked = store.con.execute(
            "SELECT count(*), (SELECT count(*) FROM (SELECT platform_a, account_a FROM "
            "_links_shown UNION SELECT platform_b, account_b FROM _links_shown)) "
            "FROM _links_shown"
        ).fetchone()
        by_method = dict(
            store.con.execute(
                "SELECT method, count(*) FROM _links_shown GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        )
        by_pair = records(
            store.con.execute(
                "SELECT platform_a, platform_b, method, count(*) AS links FROM _links_shown "
                "GROUP BY ALL ORDER BY links DESC, platform_a, platform_b, method"
            )
        )
        shown = records(
            store.con.execute(
                """
                SELECT l.platform_a, l.account_a, a.handle AS handle_a, l.platform_b,
                       l.account_b, b.handle AS handle_b, l.method, l.evidence, l.note,
                       l.source, l.source_record, l.run_id, na.community AS community_a,
                       nb.community AS community_b, ka.cluster AS cluster_a,
                       kb.cluster AS cluster_b
                FROM _links_shown l
                LEFT JOIN accounts a ON a.platform = l.platform_a AND a.account_id = l.account_a
                LEFT JOIN accounts b ON b.platform = l.platform_b AND b.account_id = l.account_b
                LEFT JOIN network_nodes na ON na.run_id = ? AND na.platform = l.platform_a
                     AND na.account_id = l.account_a
                LEFT JOIN network_nodes nb ON nb.run_id = ? AND nb.platform = l.platform_b
                     AND nb.account_id = l.account_b
                LEFT JOIN coordination_accounts ka ON ka.run_id = ?
                     AND ka.platform = l.platform_a AND ka.account_id = l.account_a
                LEFT JOIN coordination_accounts kb ON kb.run_id = ?
                     AND kb.platform = l.platform_b AND kb.account_id = l.account_b
                ORDER BY l.platform_a, l.platform_b, l.method, l.account_a, l.account_b
                LIMIT ?
                """,
                [latest["communities"], latest["communities"], latest["coordination"],
                 latest["coordination"], top],
            )
        )  # fmt: skip
        stored_by = [
            r[0]
            for r in store.con.execute(
                "SELECT DISTINCT run_id FROM _links_shown WHERE run_id IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
    finally:
        store.con.execute("DROP TABLE IF EXISTS _links_shown")
    return {
        "filters": filters.as_dict(),
        "total": int(total),
        "accounts": int(linked),
        "by_method": by_method,
        "by_pair": by_pair,
        "links": shown,
        "communities_run": latest["communities"],
        "coordination_run": latest["coordination"],
        "runs": stored_by,
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
    """Everything the store says of one account: its profile, analyst labels, account links
    (its accounts on other platforms, with their evidence), latest posts, place (with source,
    confidence and evidence), community and influence, resonance score with the terms behind
    it, and its coordination edges with their evidence."""
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
    links: list[dict[str, Any]] = []
    if store.has_table("account_links"):
        # The account's links, each with the other account (its handle, and its community and
        # cluster in the latest runs) and the method, evidence and note.
        links = records(
            store.con.execute(
                """
                WITH mine AS (
                  SELECT platform_b AS platform, account_b AS account_id, method, evidence,
                         note, source FROM account_links WHERE platform_a = ? AND account_a = ?
                  UNION ALL
                  SELECT platform_a, account_a, method, evidence, note, source
                  FROM account_links WHERE platform_b = ? AND account_b = ?)
                SELECT m.platform, m.account_id, a.handle, m.method, m.evidence, m.note,
                       m.source, n.community, k.cluster
                FROM mine m
                LEFT JOIN accounts a ON a.platform = m.platform AND a.account_id = m.account_id
                LEFT JOIN network_nodes n ON n.run_id = ? AND n.platform = m.platform
                     AND n.account_id = m.account_id
                LEFT JOIN coordination_accounts k ON k.run_id = ? AND k.platform = m.platform
                     AND k.account_id = m.account_id
                ORDER BY m.platform, m.account_id, m.method
                """,
                [*key, *key, latest["communities"], latest["coordination"]],
            )
        )
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
        "links": links,
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
