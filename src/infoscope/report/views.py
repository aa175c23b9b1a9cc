"""What the report and the dashboard show, read from the store as plain, JSON-ready data.

Every view is a function ``view(store, filters, ...) -> dict`` that only reads: the report
renders the views with no filter, the dashboard renders them per request and serves the same
dicts as JSON. A view of an analysis that has not run returns ``None``; the pages say so and
name the command that fills it.

Filters (date range, community, language, region) narrow posts and accounts:
- dates and language select posts (by ``created_at`` and detected or declared ``lang``);
- community selects the accounts of one community in the latest communities run;
- region selects the accounts placed in one country by the latest ``locate`` run
  (``unknown`` selects the accounts with no place).
Views of accounts keep the accounts that match; views of posts keep the posts of matching
accounts that match the dates and language.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import ibis

from infoscope.errors import BadParameterError, NotFoundError
from infoscope.queries import corpus_stats
from infoscope.store import Store

# The command whose latest completed run each analysis view reads, with the table it fills.
ANALYSES: dict[str, tuple[str, str]] = {
    "communities": ("communities", "network_nodes"),
    "resonance": ("resonance", "resonance_scores"),
    "locate": ("locate", "account_locations"),
    "monitor": ("monitor", "monitor_cells"),
    "coordination": ("coordination", "coordination_edges"),
    "accounts": ("accounts", "account_signals"),
    "articles_actors": ("articles-actors", "article_mentions"),
    "articles_quotes": ("articles-quotes", "article_quotes"),
    "articles_narratives": ("articles-narratives", "narratives"),
    "articles_techniques": ("articles-techniques", "article_techniques"),
}

# What to run when a section is empty.
HOW_TO_RUN: dict[str, str] = {
    "ingest": "infoscope ingest FILE...",
    "communities": "infoscope communities",
    "signatures": "infoscope signature learn --target ... --name NAME",
    "resonance": "infoscope resonance --signature NAME --period week",
    "locate": "infoscope locate",
    "monitor": "infoscope monitor",
    "coordination": "infoscope coordination",
    "accounts": "infoscope accounts",
    "articles": "infoscope articles ingest FILE...",
    "articles_actors": "infoscope articles actors",
    "articles_quotes": "infoscope articles quotes",
    "articles_narratives": "infoscope articles narratives",
    "articles_techniques": "infoscope articles techniques",
}


def _parse_day(name: str, value: str | date | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadParameterError(
            f"{name}={value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """What a view is narrowed to. Empty filters select everything.

    `until` is exclusive when it has a time and covers the whole day when it is a date.
    """

    since: datetime | None = None
    until: datetime | None = None
    community: int | None = None
    lang: str | None = None
    region: str | None = None
    _until_day: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def parse(
        cls,
        *,
        since: str | date | None = None,
        until: str | date | None = None,
        community: int | str | None = None,
        lang: str | None = None,
        region: str | None = None,
    ) -> Filters:
        """Filters from query-string or CLI values, checked; a bad value raises a one-line
        `BadParameterError` naming it."""
        start = _parse_day("since", since)
        end = _parse_day("until", until)
        day = isinstance(until, date) and not isinstance(until, datetime)
        day = day or (isinstance(until, str) and len(until.strip()) == 10)
        if start and end and end < start:
            raise BadParameterError(f"until={until} is before since={since}: swap them")
        number = None
        if community not in (None, ""):
            try:
                number = int(community)  # type: ignore[arg-type]
            except ValueError:
                raise BadParameterError(
                    f"community={community!r} is not a community number (see the communities "
                    "page or `infoscope communities`)"
                ) from None
        return cls(
            since=start,
            until=end,
            community=number,
            lang=(lang or None) and lang.strip().lower(),
            region=(region or None) and region.strip(),
            _until_day=day,
        )

    @property
    def until_exclusive(self) -> datetime | None:
        if self.until is None:
            return None
        if self._until_day:
            from datetime import timedelta

            return self.until + timedelta(days=1)
        return self.until

    @property
    def empty(self) -> bool:
        return not any((self.since, self.until, self.community is not None, self.lang, self.region))

    @property
    def accounts_filtered(self) -> bool:
        return self.community is not None or bool(self.region)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_until_day")
        for key in ("since", "until"):
            if data[key] is not None:
                value = data[key]
                data[key] = (
                    value.date().isoformat()
                    if self._until_day and key == "until"
                    else (value.isoformat())
                )
        return data


# -- runs and provenance -------------------------------------------------------------------


def _json(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _records(cur: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [{k: _iso(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def runs(store: Store, *, limit: int = 200) -> list[dict[str, Any]]:
    """Every recorded run, latest first: command, parameters, seed, input fingerprint,
    version, times, status and its counts (what it produced)."""
    rows = _records(
        store.con.execute(
            "SELECT run_id, command, status, version, seed, input_fingerprint, started_at, "
            "ended_at, parameters, counts FROM runs ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
    )
    for row in rows:
        row["parameters"] = _json(row["parameters"])
        row["counts"] = _json(row["counts"])
    return rows


def store_info(store: Store) -> dict[str, Any]:
    """The store's path, schema version and the version that created it."""
    meta = dict(store.con.execute("SELECT key, value FROM meta").fetchall())
    return {"path": str(store.path), **meta}


def latest_runs(store: Store) -> dict[str, str | None]:
    """The run each analysis view reads: the latest completed run of each analysis."""
    return {name: store.latest_run_id(cmd, table) for name, (cmd, table) in ANALYSES.items()}


def _run(store: Store, run_id: str) -> dict[str, Any]:
    row = _records(
        store.con.execute(
            "SELECT run_id, command, version, seed, input_fingerprint, started_at, ended_at, "
            "parameters, counts FROM runs WHERE run_id = ?",
            [run_id],
        )
    )[0]
    row["parameters"] = _json(row["parameters"])
    row["counts"] = _json(row["counts"])
    return row


# -- account selection shared by the filters -------------------------------------------------


def _account_filter(store: Store, filters: Filters, alias: str = "") -> tuple[str, list[Any]]:
    """A SQL condition on ``{alias}platform, {alias}account_id`` for the community and region
    filters (``TRUE`` when neither is set)."""
    clauses: list[str] = []
    args: list[Any] = []
    key = f"({alias}platform, {alias}account_id)"
    if filters.community is not None:
        run_id = latest_runs(store)["communities"]
        if run_id is None:
            raise BadParameterError(
                "community filter: the store has no communities run; run `infoscope communities`"
            )
        clauses.append(
            f"{key} IN (SELECT platform, account_id FROM network_nodes "
            "WHERE run_id = ? AND community = ?)"
        )
        args += [run_id, filters.community]
    if filters.region:
        run_id = latest_runs(store)["locate"]
        if run_id is None:
            raise BadParameterError(
                "region filter: the store has no locate run; run `infoscope locate`"
            )
        clauses.append(
            f"{key} IN (SELECT platform, account_id FROM account_locations "
            "WHERE run_id = ? AND upper(country) = upper(?))"
        )
        args += [run_id, filters.region]
    return (" AND ".join(clauses) or "TRUE"), args


def _post_filter(store: Store, filters: Filters, alias: str = "") -> tuple[str, list[Any]]:
    where, args = _account_filter(store, filters, alias)
    clauses = [where]
    if filters.since is not None:
        clauses.append(f"{alias}created_at >= ?")
        args.append(filters.since)
    if filters.until_exclusive is not None:
        clauses.append(f"{alias}created_at < ?")
        args.append(filters.until_exclusive)
    if filters.lang:
        clauses.append(f"lower({alias}lang) = ?")
        args.append(filters.lang)
    return " AND ".join(clauses), args


def _filtered_posts(store: Store, filters: Filters) -> tuple[ibis.Table, ibis.Table]:
    """The posts and accounts tables narrowed by `filters`, as Ibis expressions."""
    posts = store.ibis.table("posts")
    accounts = store.ibis.table("accounts")
    if filters.since is not None:
        posts = posts.filter(posts.created_at >= filters.since)
    if filters.until_exclusive is not None:
        posts = posts.filter(posts.created_at < filters.until_exclusive)
    if filters.lang:
        posts = posts.filter(posts.lang.lower() == filters.lang)
    latest = latest_runs(store)
    selections = []
    if filters.community is not None:
        _account_filter(store, filters)  # checks that the run exists
        nodes = store.ibis.table("network_nodes")
        selections.append(
            nodes.filter(
                (nodes.run_id == latest["communities"]) & (nodes.community == filters.community)
            )
        )
    if filters.region:
        _account_filter(store, filters)
        places = store.ibis.table("account_locations")
        selections.append(
            places.filter(
                (places.run_id == latest["locate"])
                & (places.country.upper() == filters.region.upper())
            )
        )
    for selected in selections:
        posts = posts.semi_join(
            selected,
            [posts.platform == selected.platform, posts.account_id == selected.account_id],
        )
        accounts = accounts.semi_join(
            selected,
            [accounts.platform == selected.platform, accounts.account_id == selected.account_id],
        )
    return posts, accounts


# -- corpus ----------------------------------------------------------------------------------


def overview(store: Store, filters: Filters = Filters(), *, top: int = 10) -> dict[str, Any]:
    """Corpus overview: the statistics `infoscope stats` prints (counts by platform, kind,
    language and month, top accounts, hashtags and hosts), plus posts per day and kind, for
    the posts that match `filters`."""
    posts, accounts = _filtered_posts(store, filters)
    stats = corpus_stats(posts, accounts, top=top)
    daily = (
        posts.mutate(day=posts.created_at.truncate("D").cast("date"))
        .group_by(["day", "kind"])
        .aggregate(posts=ibis._.count())
        .order_by(["day", "kind"])
    )
    by_day = [
        {"day": _iso(r["day"]), "kind": r["kind"], "posts": r["posts"]}
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
        "first_post": _iso(first),
        "last_post": _iso(last),
        "languages": langs,
        "communities": communities,
        "regions": regions,
    }


# -- network ---------------------------------------------------------------------------------


def network_map(
    store: Store,
    filters: Filters = Filters(),
    *,
    max_nodes: int = 50_000,
    max_edges: int = 20_000,
    seed: int = 0,
) -> dict[str, Any] | None:
    """The latest communities run as a map: every node with its position, community and
    influence (PageRank), and the strongest edges between shown nodes.

    Positions come from `infoscope.report.layout.community_layout` (seeded, so the same run
    draws the same map). At most `max_nodes` nodes are shown, the most influential first;
    the counts say how many were left out.
    """
    from infoscope.report.layout import community_layout

    run_id = latest_runs(store)["communities"]
    if run_id is None:
        return None
    where, args = _account_filter(store, filters, "n.")
    nodes = store.con.execute(
        f"""
        SELECT n.platform, n.account_id, n.handle, n.community, n.community_group, n.pagerank,
               n.posts, n.in_strength, n.out_strength, n.stability, n.in_corpus
        FROM network_nodes n WHERE n.run_id = ? AND {where}
        ORDER BY n.pagerank DESC, n.account_id
        """,
        [run_id, *args],
    ).fetchall()
    total = len(nodes)
    layout = community_layout(store, run_id, seed=seed)
    nodes = nodes[:max_nodes]
    index = {r[1]: i for i, r in enumerate(nodes)}
    edges = [
        [index[s], index[t], w]
        for s, t, w in store.con.execute(
            "SELECT source, target, weight FROM network_edges WHERE run_id = ? "
            "ORDER BY weight DESC, source, target",
            [run_id],
        ).fetchall()
        if s in index and t in index
    ][:max_edges]
    coordinated = _coordination_clusters_by_account(store)
    return {
        "run_id": run_id,
        "run": _run(store, run_id),
        "filters": filters.as_dict(),
        "nodes_total": total,
        "nodes_shown": len(nodes),
        "edges_shown": len(edges),
        "edges_total": store.con.execute(
            "SELECT count(*) FROM network_edges WHERE run_id = ?", [run_id]
        ).fetchone()[0],
        "columns": [
            "platform",
            "account_id",
            "handle",
            "community",
            "group",
            "pagerank",
            "posts",
            "in_strength",
            "out_strength",
            "stability",
            "in_corpus",
            "x",
            "y",
            "cluster",
        ],
        "nodes": [
            [*r, *layout.get(r[1], (0.0, 0.0)), coordinated.get((r[0], r[1]))] for r in nodes
        ],
        "edges": edges,
    }


def _coordination_clusters_by_account(store: Store) -> dict[tuple[str, str], int]:
    run_id = latest_runs(store)["coordination"]
    if run_id is None:
        return {}
    return {
        (p, a): c
        for p, a, c in store.con.execute(
            "SELECT platform, account_id, cluster FROM coordination_accounts WHERE run_id = ?",
            [run_id],
        ).fetchall()
    }


def communities(store: Store, filters: Filters = Filters()) -> dict[str, Any] | None:
    """The latest communities run as `infoscope communities --json` prints it (run summary and
    every community's profile); the community filter keeps one profile."""
    from infoscope.network.run import load_communities

    run_id = latest_runs(store)["communities"]
    if run_id is None:
        return None
    run = load_communities(store, run_id)
    profiles = run.profiles
    if filters.community is not None:
        profiles = [p for p in profiles if p["community"] == filters.community]
    return {
        "run_id": run.run_id,
        "filters": filters.as_dict(),
        "summary": run.summary,
        "profiles": profiles,
    }


# -- language --------------------------------------------------------------------------------


def signatures(store: Store, *, top: int = 25) -> list[dict[str, Any]]:
    """Every stored signature with its parameters, counts and `top` key terms (largest weight
    first) with their effect sizes and counts."""
    found = _records(
        store.con.execute(
            "SELECT signature_id, name, run_id, created_at, parameters, counts FROM signatures "
            "ORDER BY created_at DESC"
        )
    )
    for sig in found:
        sig["parameters"] = _json(sig["parameters"])
        sig["counts"] = _json(sig["counts"])
        sig["terms"] = _records(
            store.con.execute(
                "SELECT * EXCLUDE (signature_id) FROM signature_terms WHERE signature_id = ? "
                "ORDER BY weight DESC, term LIMIT ?",
                [sig["signature_id"], top],
            )
        )
    return found


def resonance(
    store: Store, filters: Filters = Filters(), *, top: int = 25
) -> dict[str, Any] | None:
    """The latest resonance run: its summary (held-out precision, recall, threshold), the
    resonant share of scored accounts per period, and the most resonant accounts with the terms
    behind their scores. Account filters narrow all three; dates narrow the periods."""
    run_id = latest_runs(store)["resonance"]
    if run_id is None:
        return None
    run = _run(store, run_id)
    where, args = _account_filter(store, filters, "r.")
    period_where = ""
    period_args: list[Any] = []
    if filters.since is not None:
        period_where += " AND r.period >= ?"
        period_args.append(filters.since.date())
    if filters.until_exclusive is not None:
        period_where += " AND r.period < ?"
        period_args.append(filters.until_exclusive.date())
    overall = store.con.execute(
        f"SELECT count(*) FILTER (r.probability IS NOT NULL), count(*) FILTER (resonant) "
        f"FROM resonance_scores r "
        f"WHERE r.run_id = ? AND r.period IS NULL AND {where}",
        [run_id, *args],
    ).fetchone()
    periods = _records(
        store.con.execute(
            f"""
            SELECT r.period, count(*) AS scored, count(*) FILTER (resonant) AS resonant,
                   count(*) FILTER (resonant) / count(*) AS share
            FROM resonance_scores r
            WHERE r.run_id = ? AND r.period IS NOT NULL AND r.probability IS NOT NULL
              AND {where}{period_where}
            GROUP BY r.period ORDER BY r.period
            """,
            [run_id, *args, *period_args],
        )
    )
    leaders = _records(
        store.con.execute(
            f"""
            SELECT r.platform, r.account_id, a.handle, r.score, r.probability, r.tokens,
                   r.top_terms
            FROM resonance_scores r
            LEFT JOIN accounts a ON a.platform = r.platform AND a.account_id = r.account_id
            WHERE r.run_id = ? AND r.period IS NULL AND r.resonant AND {where}
            ORDER BY r.score DESC, r.account_id LIMIT ?
            """,
            [run_id, *args, top],
        )
    )
    for row in leaders:
        row["top_terms"] = _json(row["top_terms"])
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "scored_accounts": overall[0],
        "resonant_accounts": overall[1],
        "periods": periods,
        "top": leaders,
    }


# -- places ----------------------------------------------------------------------------------


def places(store: Store, filters: Filters = Filters()) -> dict[str, Any] | None:
    """The latest locate run: accounts per country (``unknown`` included and counted as
    such) with the source and confidence band of each placement."""
    run_id = latest_runs(store)["locate"]
    if run_id is None:
        return None
    where, args = _account_filter(store, filters, "l.")
    rows = _records(
        store.con.execute(
            f"""
            SELECT l.country, count(*) AS accounts,
                   count(*) FILTER (l.source = 'geotag') AS geotag,
                   count(*) FILTER (l.source = 'place') AS place,
                   count(*) FILTER (l.source = 'profile') AS profile,
                   avg(l.confidence) AS mean_confidence
            FROM account_locations l WHERE l.run_id = ? AND {where}
            GROUP BY l.country ORDER BY accounts DESC, l.country
            """,
            [run_id, *args],
        )
    )
    total = sum(r["accounts"] for r in rows)
    unknown = sum(r["accounts"] for r in rows if r["country"] == "unknown")
    return {
        "run_id": run_id,
        "run": _run(store, run_id),
        "filters": filters.as_dict(),
        "accounts": total,
        "unknown": unknown,
        "unknown_share": unknown / total if total else None,
        "countries": rows,
    }


def monitor(store: Store, filters: Filters = Filters()) -> dict[str, Any] | None:
    """The latest monitor run: prevalence of resonant accounts per place and period with
    confidence intervals, unknown-location share and growth alerts."""
    run_id = latest_runs(store)["monitor"]
    if run_id is None:
        return None
    clauses: list[str] = ["run_id = ?"]
    args: list[Any] = [run_id]
    if filters.region:
        clauses.append("upper(place) = upper(?)")
        args.append(filters.region)
    if filters.since is not None:
        clauses.append("period >= ?")
        args.append(filters.since.date())
    if filters.until_exclusive is not None:
        clauses.append("period < ?")
        args.append(filters.until_exclusive.date())
    cells = _records(
        store.con.execute(
            f"SELECT * EXCLUDE (run_id) FROM monitor_cells WHERE {' AND '.join(clauses)} "
            "ORDER BY place, period",
            args,
        )
    )
    run = _run(store, run_id)
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "cells": cells,
        "alerts": [c for c in cells if c["alert"]],
    }


# -- coordination ----------------------------------------------------------------------------


def coordination(
    store: Store,
    filters: Filters = Filters(),
    *,
    clusters: int = 25,
    edges: int = 15,
    evidence: int = 5,
) -> dict[str, Any] | None:
    """The latest coordination run: its summary per trace and the largest `clusters`
    clusters, each with its profile and its `edges` strongest edges, every edge with
    `evidence` rows (shared object, both posts with their text and time, the gap).

    Account filters keep the clusters with at least one matching member; dates keep the
    clusters active in the range.
    """
    from infoscope.coordination.run import load_coordination

    run_id = latest_runs(store)["coordination"]
    if run_id is None:
        return None
    run = load_coordination(store, run_id)
    profiles = run.clusters
    if filters.accounts_filtered:
        where, args = _account_filter(store, filters)
        keep = {
            r[0]
            for r in store.con.execute(
                f"SELECT DISTINCT cluster FROM coordination_accounts WHERE run_id = ? AND {where}",
                [run_id, *args],
            ).fetchall()
        }
        profiles = [p for p in profiles if p["cluster"] in keep]
    if filters.since is not None:
        start = filters.since
        profiles = [
            p for p in profiles if p["last_at"] and datetime.fromisoformat(p["last_at"]) >= start
        ]
    if filters.until_exclusive is not None:
        cut = filters.until_exclusive
        profiles = [
            p for p in profiles if p["first_at"] and datetime.fromisoformat(p["first_at"]) < cut
        ]
    shown = []
    platform = run.summary.get("platform")
    for profile in profiles[:clusters]:
        shown.append(
            {
                **profile,
                "evidence_edges": cluster_edges(
                    store, run_id, profile["cluster"], platform, limit=edges, evidence=evidence
                ),
            }
        )
    return {
        "run_id": run_id,
        "run": _run(store, run_id),
        "filters": filters.as_dict(),
        "summary": run.summary,
        "clusters_total": len(run.clusters),
        "clusters_matching": len(profiles),
        "clusters": shown,
    }


def cluster_edges(
    store: Store,
    run_id: str,
    cluster: int,
    platform: str | None,
    *,
    limit: int = 15,
    evidence: int = 5,
) -> list[dict[str, Any]]:
    """The strongest (smallest p-value) edges inside one cluster, each with its evidence rows
    and the text of both posts."""
    found = _records(
        store.con.execute(
            """
            SELECT e.trace, e.account_a, a.handle AS handle_a, e.account_b, b.handle AS handle_b,
                   e.objects, e.co_actions, e.expected, e.p_value, e.q_value, e.similarity,
                   e.median_gap_s, e.first_at, e.last_at
            FROM coordination_edges e
            JOIN coordination_accounts a ON a.run_id = e.run_id AND a.account_id = e.account_a
            JOIN coordination_accounts b ON b.run_id = e.run_id AND b.account_id = e.account_b
            WHERE e.run_id = ? AND a.cluster = ? AND b.cluster = ?
            ORDER BY e.p_value, e.objects DESC, e.trace, e.account_a, e.account_b
            LIMIT ?
            """,
            [run_id, cluster, cluster, limit],
        )
    )
    rows = evidence_rows(store, run_id, found, platform, limit=evidence)
    for edge in found:
        edge["evidence"] = rows.get((edge["trace"], edge["account_a"], edge["account_b"]), [])
    return found


def evidence_rows(
    store: Store,
    run_id: str,
    edges: list[dict[str, Any]],
    platform: str | None,
    *,
    limit: int = 5,
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The first `limit` shared objects behind each of `edges` (dicts with trace, account_a,
    account_b), with both posts' text and times, keyed by (trace, account_a, account_b).

    One query for the evidence of all edges and one for the texts: a query per edge took
    6 s for a report's 375 edges at 1M posts."""
    if not edges:
        return {}
    found = _records(
        store.con.execute(
            """
            SELECT v.trace, v.account_a, v.account_b, v.object_id, v.post_a, v.at_a, v.post_b,
                   v.at_b, v.gap_s
            FROM coordination_evidence v
            SEMI JOIN (
              SELECT unnest(?::VARCHAR[]) AS trace, unnest(?::VARCHAR[]) AS account_a,
                     unnest(?::VARCHAR[]) AS account_b
            ) c ON c.trace = v.trace AND c.account_a = v.account_a AND c.account_b = v.account_b
            WHERE v.run_id = ?
            QUALIFY row_number() OVER (
              PARTITION BY v.trace, v.account_a, v.account_b ORDER BY v.at_a, v.object_id
            ) <= ?
            ORDER BY v.trace, v.account_a, v.account_b, v.at_a, v.object_id
            """,
            [
                [e["trace"] for e in edges], [e["account_a"] for e in edges],
                [e["account_b"] for e in edges], run_id, limit,
            ],
        )
    )  # fmt: skip
    texts = post_texts(store, platform, [r[k] for r in found for k in ("post_a", "post_b")])
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in found:
        key = (row.pop("trace"), row.pop("account_a"), row.pop("account_b"))
        row["text_a"] = texts.get(row["post_a"])
        row["text_b"] = texts.get(row["post_b"])
        out.setdefault(key, []).append(row)
    return out


def post_texts(store: Store, platform: str | None, post_ids: list[str]) -> dict[str, str]:
    """The text of each post id (of `platform`) found in the store."""
    if not post_ids:
        return {}
    return dict(
        store.con.execute(
            "SELECT post_id, text FROM posts WHERE platform = ? AND post_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [platform, sorted(set(post_ids))],
        ).fetchall()
    )


# -- authenticity ----------------------------------------------------------------------------

FAMILIES = ("automation", "amplification", "persona")


def authenticity(
    store: Store, filters: Filters = Filters(), *, top: int = 30
) -> dict[str, Any] | None:
    """The latest accounts run: flags per family and per flag, the profile-probability
    distribution, and the most flagged accounts with the evidence of each flag. Account
    filters narrow everything."""
    run_id = latest_runs(store)["accounts"]
    if run_id is None:
        return None
    run = _run(store, run_id)
    where, args = _account_filter(store, filters, "s.")
    flags = _records(
        store.con.execute(
            f"""
            SELECT family, flag, count(*) AS accounts FROM (
              SELECT 'automation' AS family, unnest(automation) AS flag FROM account_signals s
              WHERE run_id = ? AND {where}
              UNION ALL
              SELECT 'amplification', unnest(amplification) FROM account_signals s
              WHERE run_id = ? AND {where}
              UNION ALL
              SELECT 'persona', unnest(persona) FROM account_signals s WHERE run_id = ? AND {where}
            ) GROUP BY ALL ORDER BY family, accounts DESC, flag
            """,
            [run_id, *args] * 3,
        )
    )
    counts = store.con.execute(
        f"""
        SELECT count(*), count(*) FILTER (len(automation) > 0),
               count(*) FILTER (len(amplification) > 0), count(*) FILTER (len(persona) > 0),
               count(profile_probability), count(*) FILTER (profile_probability >= 0.5)
        FROM account_signals s WHERE run_id = ? AND {where}
        """,
        [run_id, *args],
    ).fetchone()
    histogram = [
        {"bin": b / 10, "accounts": n}
        for b, n in store.con.execute(
            f"SELECT least(floor(profile_probability * 10), 9) AS b, count(*) "
            f"FROM account_signals s WHERE run_id = ? AND profile_probability IS NOT NULL "
            f"AND {where} GROUP BY ALL ORDER BY b",
            [run_id, *args],
        ).fetchall()
    ]
    flagged = _records(
        store.con.execute(
            f"""
            SELECT platform, account_id, handle, posts, language_group, profile_probability,
                   automation, amplification, persona, evidence
            FROM account_signals s
            WHERE run_id = ? AND {where}
              AND len(automation) + len(amplification) + len(persona) > 0
            ORDER BY len(automation) DESC, len(amplification) + len(persona) DESC, posts DESC,
                     account_id
            LIMIT ?
            """,
            [run_id, *args, top],
        )
    )
    for row in flagged:
        row["evidence"] = _json(row["evidence"])
    groups = _records(
        store.con.execute(
            f"""
            SELECT language_group, count(*) AS accounts,
                   count(*) FILTER (len(automation) > 0) AS automation,
                   count(*) FILTER (len(amplification) > 0) AS amplification,
                   count(*) FILTER (len(persona) > 0) AS persona,
                   avg(profile_probability) AS mean_profile_probability
            FROM account_signals s WHERE run_id = ? AND {where}
            GROUP BY ALL ORDER BY accounts DESC, language_group LIMIT 12
            """,
            [run_id, *args],
        )
    )
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "accounts": counts[0],
        "flagged": dict(zip(FAMILIES, counts[1:4], strict=True)),
        "profiles_scored": counts[4],
        "bot_like_profiles": counts[5],
        "flags": flags,
        "profile_histogram": histogram,
        "language_groups": groups,
        "top": flagged,
    }


# -- articles --------------------------------------------------------------------------------


def articles(store: Store, *, top: int = 20) -> dict[str, Any] | None:
    """The article analyses' latest runs: counts by outlet, top actors and actor pairs (with
    evidence sentences), top quoted sources, narratives over time, and technique highlights
    (spans in their sentence). None when the store has no articles."""
    if not store.has_table("narratives"):
        return None
    total = store.con.execute("SELECT count(*) FROM articles").fetchone()[0]
    if not total:
        return None
    latest = latest_runs(store)
    out: dict[str, Any] = {
        "articles": total,
        "outlets": _records(
            store.con.execute(
                "SELECT coalesce(outlet, 'unknown') AS outlet, count(*) AS articles, "
                "min(published) AS first, max(published) AS last FROM articles "
                "GROUP BY ALL ORDER BY articles DESC, outlet LIMIT ?",
                [top],
            )
        ),
        "runs": {k: latest[k] for k in latest if k.startswith("articles_")},
    }
    run_id = latest["articles_actors"]
    out["actors"] = None
    if run_id is not None:
        out["actors"] = {
            "run": _run(store, run_id),
            "top": _records(
                store.con.execute(
                    "SELECT actor, any_value(actor_kind) AS kind, count(*) AS mentions, "
                    "count(DISTINCT article_id) AS articles FROM article_mentions "
                    "WHERE run_id = ? GROUP BY actor ORDER BY mentions DESC, actor LIMIT ?",
                    [run_id, top],
                )
            ),
            "pairs": [
                {**r, "evidence": _json(r["evidence"])}
                for r in _records(
                    store.con.execute(
                        "SELECT level, actor_a, actor_b, count, pmi, npmi, evidence "
                        "FROM actor_relations WHERE run_id = ? AND level = 'sentence' "
                        "ORDER BY count DESC, npmi DESC, actor_a, actor_b LIMIT ?",
                        [run_id, top],
                    )
                )
            ],
        }
    run_id = latest["articles_quotes"]
    out["quotes"] = None
    if run_id is not None:
        out["quotes"] = {
            "run": _run(store, run_id),
            "sources": _records(
                store.con.execute(
                    "SELECT coalesce(actor, speaker) AS source, count(*) AS quotes, "
                    "count(DISTINCT q.article_id) AS articles, "
                    "count(DISTINCT a.outlet) AS outlets, any_value(affiliation) AS affiliation "
                    "FROM article_quotes q LEFT JOIN articles a USING (article_id) "
                    "WHERE q.run_id = ? AND coalesce(actor, speaker) IS NOT NULL "
                    "GROUP BY ALL ORDER BY quotes DESC, source LIMIT ?",
                    [run_id, top],
                )
            ),
            "examples": _records(
                store.con.execute(
                    "SELECT article_id, speaker, affiliation, verb, medium, quote FROM "
                    "article_quotes WHERE run_id = ? AND quote IS NOT NULL "
                    "ORDER BY article_id, start LIMIT ?",
                    [run_id, top],
                )
            ),
        }
    run_id = latest["articles_narratives"]
    out["narratives"] = None
    if run_id is not None:
        out["narratives"] = {
            "run": _run(store, run_id),
            "profiles": [
                _json(p)
                for (p,) in store.con.execute(
                    "SELECT profile FROM narratives WHERE run_id = ? ORDER BY narrative LIMIT ?",
                    [run_id, top],
                ).fetchall()
            ],
        }
    run_id = latest["articles_techniques"]
    out["techniques"] = None
    if run_id is not None:
        out["techniques"] = {
            "run": _run(store, run_id),
            "counts": _records(
                store.con.execute(
                    "SELECT technique, count(*) AS spans, count(DISTINCT article_id) AS "
                    "articles, avg(confidence) AS mean_confidence FROM article_techniques "
                    "WHERE run_id = ? GROUP BY ALL ORDER BY spans DESC, technique",
                    [run_id],
                )
            ),
            "highlights": _records(
                store.con.execute(
                    'SELECT t.article_id, a.title, t.technique, t.start, t."end", t.text, '
                    "t.confidence, "
                    # up to 120 characters of context on each side, cut at line ends
                    "regexp_extract(substring(a.text, greatest(t.start - 119, 1), "
                    "t.start - greatest(t.start - 120, 0)), '[^\\n]*$') AS before, "
                    "regexp_extract(substring(a.text, t.\"end\" + 1, 120), '^[^\\n]*') AS after "
                    "FROM article_techniques t LEFT JOIN articles a "
                    "USING (article_id) WHERE t.run_id = ? "
                    "ORDER BY t.confidence DESC, t.article_id, t.start LIMIT ?",
                    [run_id, top],
                )
            ),
        }
    return out


# -- accounts --------------------------------------------------------------------------------

ACCOUNT_SORTS = {
    "posts": "posts DESC",
    "pagerank": "pagerank DESC NULLS LAST",
    "resonance": "resonance DESC NULLS LAST",
    "handle": "lower(handle) NULLS LAST",
}


def accounts(
    store: Store,
    filters: Filters = Filters(),
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
    where, args = _account_filter(store, filters, "a.")
    post_where, post_args = _post_filter(store, Filters(
        since=filters.since, until=filters.until, lang=filters.lang,
        _until_day=filters._until_day,
    ), "p.")  # fmt: skip
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
    found = _records(
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

    profile = _records(
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
    labels = _records(
        store.con.execute(
            "SELECT label_key, label_value, source FROM account_labels "
            "WHERE platform = ? AND account_id = ? ORDER BY label_key, label_value",
            key,
        )
    )
    recent = _records(
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
        rows = _records(store.con.execute(sql, [run_id, *key]))
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
        place["checks"] = _json(place["checks"])
    score = one(
        "SELECT score, probability, resonant, tokens, top_terms, signature_id "
        "FROM resonance_scores WHERE run_id = ? AND platform = ? AND account_id = ? "
        "AND period IS NULL",
        latest["resonance"],
    )
    if score is not None:
        score["top_terms"] = [
            {"term": t[0], "count": t[1], "contribution": t[2]} for t in _json(score["top_terms"])
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
            edges = edge_evidence(store, account_id, run_id=latest["coordination"], limit=10)
        except InfoscopeError:
            edges = []
        ids = [r[k] for e in edges for r in e["evidence"] for k in ("post_a", "post_b")]
        texts = post_texts(store, platform, ids)
        for edge in edges:
            for k, v in list(edge.items()):
                edge[k] = _iso(v)
            for row in edge["evidence"]:
                for k, v in list(row.items()):
                    row[k] = _iso(v)
                row["text_a"] = texts.get(row["post_a"])
                row["text_b"] = texts.get(row["post_b"])
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
            "first": _iso(counts[1]),
            "last": _iso(counts[2]),
            "latest": recent,
        },
        "community": network and {**network, "run_id": latest["communities"]},
        "place": place and {**place, "run_id": latest["locate"]},
        "resonance": score,
        "coordination": coordinated and {**coordinated, "edges": edges},
    }
