"""The coordination analysis scored against a scenario's planted operations
(`infoscope evaluate`)."""

from __future__ import annotations

from typing import Any

from infoscope.evaluate import Truth, ratio
from infoscope.store import Store

__all__ = ["evaluate_coordination"]


def evaluate_coordination(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest coordination run against the planted operations.

    Over the scenario's accounts that posted: an account is *flagged* when it is in a
    coordinated cluster. ``precision`` is the share of flagged accounts that are operation
    members, ``recall`` the share of operation members flagged (also per persona:
    ``recall_news-front``, ``recall_amplifier``, ``recall_automated``, ``recall_troll``),
    ``sympathiser_flag_rate`` the share of organic sympathisers (accounts that adopt an
    operation's narrative without coordinating) flagged, which should stay near 0, and
    ``organic_flag_rate`` that of the other organic accounts. ``cluster_purity`` is the share
    of flagged operation members whose cluster's most common operation is their own.
    """
    run_id = store.latest_run_id("coordination")
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.operation_id, t.persona, t.sympathiser, a.cluster
        FROM read_csv(?, all_varchar = true) t
        LEFT JOIN coordination_accounts a ON a.run_id = ? AND a.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    flagged = [r for r in rows if r[5] is not None]
    members = [r for r in rows if r[1] == "operation"]
    sympathisers = [r for r in rows if r[1] != "operation" and r[4] == "true"]
    organic = [r for r in rows if r[1] != "operation" and r[4] != "true"]
    scores = {
        "accounts_flagged": float(len(flagged)),
        "clusters": float(len({r[5] for r in flagged})),
        "precision": ratio(sum(r[1] == "operation" for r in flagged), len(flagged)),
        "recall": ratio(sum(r[5] is not None for r in members), len(members)),
    }
    for persona in sorted({r[3] for r in members if r[3]}):
        group = [r for r in members if r[3] == persona]
        scores[f"recall_{persona}"] = ratio(sum(r[5] is not None for r in group), len(group))
    scores["sympathiser_flag_rate"] = ratio(
        sum(r[5] is not None for r in sympathisers), len(sympathisers)
    )
    scores["organic_flag_rate"] = ratio(sum(r[5] is not None for r in organic), len(organic))
    by_cluster: dict[Any, list[str]] = {}
    for r in flagged:
        if r[1] == "operation":
            by_cluster.setdefault(r[5], []).append(r[2])
    pure = sum(
        sum(op == max(set(ops), key=lambda o: (ops.count(o), o)) for op in ops)
        for ops in by_cluster.values()
    )
    scores["cluster_purity"] = ratio(pure, sum(len(v) for v in by_cluster.values()))
    return scores
