"""Profiles of coordinated clusters, read from a stored coordination run.

A cluster's profile says who is in it and what ties them: its size and subclusters, the
traces behind its edges (each named with its object type and the platforms of its edges:
``co-link (url) across facebook and twitter``), its platform mix (accounts, and posts in its
evidence, per platform; edges between accounts of two platforms), its leading accounts (by
fused strength), when its co-actions happened (per day, per hour of day, UTC), the objects its
members shared most, its strongest edges with their evidence, and how it overlaps with what
the analyst and other analyses say: the analyst's labels of its accounts (``account_labels``),
the communities of the latest `infoscope communities` run, and the account links
(``account_links``: the same actor's accounts on several platforms, stated by the analyst or
found by exact handle and URL matches) of its members, with their evidence. Linked accounts
are shown together, never merged: ``actors`` counts the members once per linked group. Labels
and links are inputs shown for comparison, never inferred.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["profile_clusters"]

EXAMPLES = 3


def _rows(store: Store, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def profile_clusters(
    store: Store, run_id: str, platform: str, *, top: int = 10
) -> list[dict[str, Any]]:
    """One profile per cluster of coordination run `run_id`, largest cluster first."""
    members = _rows(
        store,
        "SELECT account_key, platform, account_id, handle, cluster, subcluster, degree, "
        "strength, traces FROM coordination_accounts WHERE run_id = ? "
        "ORDER BY cluster, strength DESC, account_key",
        [run_id],
    )
    if not members:
        return []
    from infoscope.coordination.traces import get_trace, trace_label

    run = store.get_run(run_id)
    options = _options(run.parameters)
    by_cluster: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in members:
        by_cluster[m["cluster"]].append(m)

    # Per cluster in the engine: edges per trace, time span, and its `top` strongest edges.
    traces_of: dict[int, dict[str, int]] = defaultdict(dict)
    labels_of: dict[int, dict[str, str]] = defaultdict(dict)
    crossing: dict[int, int] = defaultdict(int)
    span: dict[int, tuple[Any, Any]] = {}
    for c, trace, n, platforms, across, first, last in store.con.execute(
        """
        SELECT a.cluster, e.trace, count(*),
               list_sort(list_distinct(list(a.platform) || list(b.platform))),
               count(*) FILTER (WHERE a.platform <> b.platform),
               min(min(e.first_at)) OVER (PARTITION BY a.cluster),
               max(max(e.last_at)) OVER (PARTITION BY a.cluster)
        FROM coordination_edges e
        JOIN coordination_accounts a ON a.run_id = e.run_id AND a.account_key = e.account_a
        JOIN coordination_accounts b ON b.run_id = e.run_id AND b.account_key = e.account_b
        WHERE e.run_id = ? GROUP BY 1, 2 ORDER BY 1, 2
        """,
        [run_id],
    ).fetchall():
        traces_of[c][trace] = n
        labels_of[c][trace] = trace_label(trace, _object_type(get_trace, trace, options), platforms)
        crossing[c] += across
        span[c] = (first, last)
    edges_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in _rows(
        store,
        """
        SELECT * EXCLUDE (rn) FROM (
          SELECT a.cluster, e.trace, e.account_a, e.account_b, e.objects, e.expected,
                 e.p_value, e.q_value, e.similarity, e.first_at, e.last_at,
                 row_number() OVER (PARTITION BY a.cluster ORDER BY e.p_value, e.objects DESC,
                                    e.trace, e.account_a, e.account_b) AS rn
          FROM coordination_edges e
          JOIN coordination_accounts a ON a.run_id = e.run_id AND a.account_key = e.account_a
          WHERE e.run_id = ?)
        WHERE rn <= ? ORDER BY cluster, rn
        """,
        [run_id, top],
    ):
        edges_of[e.pop("cluster")].append(e)

    # Evidence aggregated per cluster in the engine: days, hours, shared objects.
    store.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _coord_ev AS
        SELECT a.cluster, e.trace, e.object_id, e.account_a, e.account_b, e.at_a,
               coalesce(e.platform_a, a.platform) AS platform_a, e.post_a,
               coalesce(e.platform_b, a.platform) AS platform_b, e.post_b
        FROM coordination_evidence e
        JOIN coordination_accounts a ON a.run_id = e.run_id AND a.account_key = e.account_a
        WHERE e.run_id = ?
        """,
        [run_id],
    )
    posts_of: dict[int, dict[str, int]] = defaultdict(dict)
    for c, platform, n in store.con.execute(
        """
        SELECT cluster, platform, count(DISTINCT post_id) FROM (
          SELECT cluster, platform_a AS platform, post_a AS post_id FROM _coord_ev
          UNION ALL SELECT cluster, platform_b, post_b FROM _coord_ev)
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall():
        posts_of[c][platform] = n
    days: dict[int, list[list[Any]]] = defaultdict(list)
    for c, day, n in store.con.execute(
        "SELECT cluster, CAST(date_trunc('day', at_a) AS DATE), count(*) FROM _coord_ev "
        "WHERE at_a IS NOT NULL GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        days[c].append([day.isoformat(), n])
    hours: dict[int, list[int]] = defaultdict(lambda: [0] * 24)
    for c, hour, n in store.con.execute(
        "SELECT cluster, hour(at_a), count(*) FROM _coord_ev WHERE at_a IS NOT NULL GROUP BY ALL"
    ).fetchall():
        hours[c][hour] = n
    shared: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c, trace, obj, pairs, accounts in store.con.execute(
        """
        SELECT cluster, trace, object_id, pairs, accounts FROM (
          SELECT cluster, trace, object_id, count(*) AS pairs,
                 list_distinct(list(account_a) || list(account_b)).len() AS accounts,
                 row_number() OVER (PARTITION BY cluster
                                    ORDER BY count(*) DESC, trace, object_id) AS rn
          FROM _coord_ev GROUP BY cluster, trace, object_id)
        WHERE rn <= ? ORDER BY cluster, rn
        """,
        [top],
    ).fetchall():
        shared[c].append({"trace": trace, "object_id": obj, "pairs": pairs, "accounts": accounts})
    store.con.execute("DROP TABLE IF EXISTS _coord_ev")

    labels = _labels(store, run_id, platform)
    communities = _communities(store, run_id, platform)
    links = _links(store, run_id)

    handles = {m["account_key"]: m["handle"] for m in members}
    platform_of = {m["account_key"]: m["platform"] for m in members}
    examples = _examples(store, run_id, [e for c in by_cluster for e in edges_of[c][:top]])
    profiles = []
    for c in sorted(by_cluster):
        group = by_cluster[c]
        cluster_edges = edges_of[c]
        strongest = [
            {
                **e,
                "handle_a": handles.get(e["account_a"]),
                "handle_b": handles.get(e["account_b"]),
                "platform_a": platform_of.get(e["account_a"]),
                "platform_b": platform_of.get(e["account_b"]),
                "examples": examples.get((e["trace"], e["account_a"], e["account_b"]), []),
            }
            for e in cluster_edges[:top]
        ]
        first_at, last_at = span.get(c, (None, None))
        accounts_per: dict[str, int] = defaultdict(int)
        for m in group:
            accounts_per[m["platform"]] += 1
        cluster_links = links.get(c, [])
        profiles.append(
            {
                "cluster": c,
                "size": len(group),
                "subclusters": len({m["subcluster"] for m in group}),
                "edges": sum(traces_of[c].values()),
                "traces": traces_of[c],
                "trace_labels": labels_of[c],
                "platforms": {
                    p: {"accounts": accounts_per[p], "posts": posts_of[c].get(p, 0)}
                    for p in sorted(accounts_per)
                },
                "cross_platform_edges": crossing[c],
                "actors": _actors(group, cluster_links),
                "first_at": first_at,
                "last_at": last_at,
                "accounts": [
                    {
                        "account_id": m["account_id"],
                        "platform": m["platform"],
                        "account_key": m["account_key"],
                        "handle": m["handle"],
                        "strength": round(float(m["strength"]), 4),
                        "degree": m["degree"],
                        "traces": m["traces"],
                    }
                    for m in group[:top]
                ],
                "per_day": _every_day(days.get(c, [])),
                "per_hour": hours.get(c, [0] * 24),
                "shared_objects": shared.get(c, []),
                "strongest_edges": strongest,
                "labels": labels.get(c, {}),
                "communities": communities.get(c, {}),
                "linked_accounts": cluster_links[:top],
            }
        )
    return profiles


def _options(parameters: dict[str, Any]) -> Any:
    """The run's trace options, as far as naming object types needs them."""
    from infoscope.coordination.traces import TraceOptions

    known = {"link_level", "hashtag_mode"}
    try:
        return TraceOptions(**{k: v for k, v in parameters.items() if k in known})
    except (BadParameterError, TypeError):  # options of another version: defaults name types
        return TraceOptions()


def _object_type(get_trace: Any, trace: str, options: Any) -> str:
    try:
        return str(get_trace(trace).object_type(options))
    except BadParameterError:  # a trace no longer registered
        return "object"


def _actors(group: list[dict[str, Any]], links: list[dict[str, Any]]) -> int:
    """The cluster's members counted once per group of linked accounts (links between two
    members join them; nothing else does)."""
    parent = {m["account_key"]: m["account_key"] for m in group}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        a, b = link["a"]["account_key"], link["b"]["account_key"]
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    return len({find(k) for k in parent})


def _every_day(counts: list[list[Any]]) -> list[list[Any]]:
    """``[[day, n], ...]`` with the days without co-actions between the first and last as 0."""
    if not counts:
        return []
    from datetime import date, timedelta

    seen = dict((date.fromisoformat(d), n) for d, n in counts)
    first, last = min(seen), max(seen)
    return [
        [(first + timedelta(days=i)).isoformat(), seen.get(first + timedelta(days=i), 0)]
        for i in range((last - first).days + 1)
    ]


def _examples(
    store: Store, run_id: str, edges: list[dict[str, Any]]
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The first `EXAMPLES` evidence rows (by time) of each of `edges`, in one query."""
    import pyarrow as pa

    out: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    if not edges:
        return out
    keys = pa.table(
        {name: pa.array([e[name] for e in edges], pa.string()) for name in
         ("trace", "account_a", "account_b")}
    )  # fmt: skip
    store.con.register("_coord_strongest", keys)
    try:
        rows = _rows(
            store,
            """
            SELECT trace, account_a, account_b, object_id, post_a, post_b, at_a, gap_s FROM (
              SELECT e.*, row_number() OVER (PARTITION BY e.trace, e.account_a, e.account_b
                                             ORDER BY e.at_a, e.object_id) AS rn
              FROM coordination_evidence e
              SEMI JOIN _coord_strongest k ON k.trace = e.trace
                   AND k.account_a = e.account_a AND k.account_b = e.account_b
              WHERE e.run_id = ?)
            WHERE rn <= ? ORDER BY trace, account_a, account_b, rn
            """,
            [run_id, EXAMPLES],
        )
    finally:
        store.con.unregister("_coord_strongest")
    for r in rows:
        key = (r.pop("trace"), r.pop("account_a"), r.pop("account_b"))
        out[key].append(r)
    return out


def _labels(store: Store, run_id: str, platform: str) -> dict[int, dict[str, Any]]:
    """Per cluster: analyst label ``key=value`` -> accounts and share of the cluster."""
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    rows = store.con.execute(
        """
        SELECT a.cluster, l.label_key || '=' || l.label_value, count(DISTINCT a.account_key),
               any_value(s.size)
        FROM coordination_accounts a
        JOIN account_labels l ON l.platform = a.platform AND l.account_id = a.account_id
        JOIN (SELECT cluster, count(*) AS size FROM coordination_accounts
              WHERE run_id = ? GROUP BY cluster) s ON s.cluster = a.cluster
        WHERE a.run_id = ?
        GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
        """,
        [run_id, run_id],
    ).fetchall()
    for c, label, n, size in rows:
        out[c][label] = {"accounts": n, "share": round(n / size, 4)}
    return out


def _communities(store: Store, run_id: str, platform: str) -> dict[int, dict[str, Any]]:
    """Per cluster: the latest communities run's communities of its members."""
    found = store.latest_run_id("communities")
    if found is None:
        return {}
    out: dict[int, dict[str, Any]] = {}
    rows = store.con.execute(
        """
        SELECT a.cluster, n.community, count(*)
        FROM coordination_accounts a
        JOIN network_nodes n ON n.run_id = ? AND n.platform = a.platform
             AND n.account_id = a.account_id
        WHERE a.run_id = ?
        GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
        """,
        [found, run_id],
    ).fetchall()
    for c, community, n in rows:
        entry = out.setdefault(c, {"run_id": found, "members_in_network": 0, "communities": {}})
        entry["members_in_network"] += n
        entry["communities"][str(community)] = n
    return out


def _links(store: Store, run_id: str) -> dict[int, list[dict[str, Any]]]:
    """Per cluster: the account links with at least one end among its members, each end with
    its platform, id, key, handle and cluster in the run (None: not coordinated), and the
    link's method, evidence and note (`infoscope.account_links`)."""
    if not store.has_table("account_links"):
        return {}
    rows = _rows(
        store,
        """
        WITH m AS (SELECT platform, account_id, account_key, handle, cluster
                   FROM coordination_accounts WHERE run_id = ?)
        SELECT l.platform_a, l.account_a, l.platform_b, l.account_b, l.method, l.evidence,
               l.note, ma.account_key AS key_a, ma.handle AS handle_a, ma.cluster AS cluster_a,
               mb.account_key AS key_b, mb.handle AS handle_b, mb.cluster AS cluster_b
        FROM account_links l
        LEFT JOIN m ma ON ma.platform = l.platform_a AND ma.account_id = l.account_a
        LEFT JOIN m mb ON mb.platform = l.platform_b AND mb.account_id = l.account_b
        WHERE ma.cluster IS NOT NULL OR mb.cluster IS NOT NULL
        ORDER BY l.platform_a, l.account_a, l.platform_b, l.account_b, l.method
        """,
        [run_id],
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        ends = {
            side: {
                "platform": r[f"platform_{side}"],
                "account_id": r[f"account_{side}"],
                "account_key": r[f"key_{side}"],
                "handle": r[f"handle_{side}"],
                "cluster": r[f"cluster_{side}"],
            }
            for side in ("a", "b")
        }
        link = {
            **ends,
            "method": r["method"],
            "evidence": r["evidence"],
            "note": r["note"],
            "same_cluster": r["cluster_a"] is not None and r["cluster_a"] == r["cluster_b"],
        }
        for c in {r["cluster_a"], r["cluster_b"]} - {None}:
            out[c].append(link)
    return out
