"""The resonance analysis scored against a scenario's planted operations (`infoscope evaluate`)."""

from __future__ import annotations

from infoscope.evaluate import Truth, ratio
from infoscope.store import Store

__all__ = ["evaluate_resonance"]


def evaluate_resonance(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest resonance run against the planted operations, on the accounts outside its
    signature's target group (the members it learnt from): the operations targeted are
    those of those members. Metrics: ``calibration_members``, ``precision`` (share of
    resonant accounts that are operation members), ``recall_targeted_operations``,
    ``recall_all_operations``, ``sympathiser_flag_rate`` (organic accounts adopting a targeted
    operation's narrative: language is what resonance measures, so flags here are expected)
    and ``organic_flag_rate`` (false alarms)."""
    if not store.has_table("resonance_scores"):
        return None
    run = store.latest_run("resonance")
    if run is None:
        return None
    from infoscope.language.groups import GroupSpec, group_accounts
    from infoscope.language.signature import get_signature

    run_id, params = run.run_id, run.parameters
    # The accounts the signature learnt as its target: what it was calibrated on.
    target = get_signature(store, params["signature_id"]).parameters["target"]
    members = set(
        group_accounts(store, GroupSpec.parse(target), params["platform"])
        .to_pyarrow()["account_id"]
        .to_pylist()
    )
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.operation_id, t.sympathiser, t.adopts_narrative_of,
               coalesce(r.resonant, false)
        FROM read_csv(?, all_varchar = true) t
        LEFT JOIN resonance_scores r ON r.run_id = ? AND r.period IS NULL
             AND r.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    targeted = {r[2] for r in rows if r[0] in members and r[1] == "operation"}
    unseen = [r for r in rows if r[0] not in members]
    flagged = [r for r in unseen if r[5]]
    in_target = [r for r in unseen if r[1] == "operation" and r[2] in targeted]
    any_operation = [r for r in unseen if r[1] == "operation"]
    sympathisers = [r for r in unseen if r[3] == "true" and r[4] in targeted]
    organic = [r for r in unseen if r[1] != "operation" and r[3] != "true"]
    return {
        "calibration_members": float(len(members)),
        "precision": ratio(sum(1 for r in flagged if r[1] == "operation"), len(flagged)),
        "recall_targeted_operations": ratio(sum(1 for r in in_target if r[5]), len(in_target)),
        "recall_all_operations": ratio(sum(1 for r in any_operation if r[5]), len(any_operation)),
        "sympathiser_flag_rate": ratio(sum(1 for r in sympathisers if r[5]), len(sympathisers)),
        "organic_flag_rate": ratio(sum(1 for r in organic if r[5]), len(organic)),
    }
