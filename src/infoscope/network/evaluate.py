"""The communities analysis scored against a scenario's planted groups (`infoscope evaluate`)."""

from __future__ import annotations

from infoscope.evaluate import Truth, ratio
from infoscope.store import Store

__all__ = ["evaluate_communities", "partition_scores"]


def partition_scores(found: list[object], planted: list[object]) -> tuple[float, float]:
    """(NMI, ARI) of two labelings of the same items."""
    import igraph as ig

    def codes(labels: list[object]) -> list[int]:
        index: dict[object, int] = {}
        return [index.setdefault(v, len(index)) for v in labels]

    a, b = codes(found), codes(planted)
    return (
        float(ig.compare_communities(a, b, method="nmi")),
        float(ig.compare_communities(a, b, method="adjusted_rand")),
    )


def evaluate_communities(store: Store, truth: Truth) -> dict[str, float] | None:
    run_id = store.latest_run_id("communities")
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT n.community, t.community AS planted, t.role, t.operation_id
        FROM read_csv(?, all_varchar = true) t
        JOIN network_nodes n ON n.run_id = ? AND n.platform = ? AND n.account_id = t.account_id
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id, truth.platform],
    ).fetchall()
    posting = store.con.execute(
        "SELECT count(*) FROM read_csv(?, all_varchar = true) WHERE CAST(posts AS BIGINT) > 0",
        [str(truth.accounts)],
    ).fetchone()
    found = [r[0] for r in rows]
    nmi, ari = partition_scores(found, [r[1] for r in rows])
    groups = [r[3] if r[2] == "operation" else f"community {r[1]}" for r in rows]
    nmi_groups, ari_groups = partition_scores(found, groups)
    by_operation: dict[str, list[int]] = {}
    for community, _planted, role, operation in rows:
        if role == "operation":
            by_operation.setdefault(operation, []).append(community)
    cohesion = [
        max(members.count(c) for c in set(members)) / len(members)
        for members in by_operation.values()
    ]
    return {
        "accounts_scored": float(len(rows)),
        "coverage": ratio(len(rows), int(posting[0]) if posting else 0),
        "nmi": nmi,
        "ari": ari,
        "nmi_groups": nmi_groups,
        "ari_groups": ari_groups,
        "operation_cohesion": sum(cohesion) / len(cohesion) if cohesion else float("nan"),
    }
