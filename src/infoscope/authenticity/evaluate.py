"""The accounts (authenticity) analysis scored against a scenario's personas
(`infoscope evaluate`)."""

from __future__ import annotations

from infoscope.evaluate import Truth, ratio
from infoscope.store import Store

__all__ = ["evaluate_accounts"]


def evaluate_accounts(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest `infoscope accounts` run against the scenario's personas.

    Over the scenario's accounts that posted: ``automation_precision`` and
    ``automation_recall`` of any automation flag against the planted automated accounts, and
    the same per flag (``regular_intervals_precision`` ...); ``amplification_recall_amplifier``
    the share of planted amplifiers with an amplification flag and
    ``amplification_organic_rate`` that of organic accounts; ``persona_recall_troll`` the share
    of planted trolls (who claim a place they do not post from) with a persona flag and
    ``persona_organic_rate`` that of organic accounts; ``creation_cluster_recall`` the share of
    operation members flagged as created in a cluster and its organic rate;
    ``profile_auc_automated_vs_organic`` how the profile model ranks automated accounts above
    organic ones and ``profile_organic_over_half`` the share of organic profiles it scores 0.5
    or more (both over the profiles inside its domain); ``profile_outside_share`` the share of
    profiles its domain check marks outside or too little known, ``profile_organic_flag_rate``
    and ``profile_recall_automated`` the shares above its own threshold (stated human
    false-flag rate); ``likeness_*`` the same for the automation-likeness of accounts with
    posts (``likeness_scored_share``: the share it scores).
    """
    run_id = store.latest_run_id("accounts")
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.persona, s.automation, s.amplification, s.persona,
               s.profile_probability, s.profile_status,
               coalesce(s.profile_domain->>'above_threshold' = 'true', false),
               s.automation_likeness,
               coalesce(s.automation_evidence->>'above_threshold' = 'true', false)
        FROM read_csv(?, all_varchar = true) t
        JOIN account_signals s ON s.run_id = ? AND s.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    bots = [r for r in rows if r[2] == "automated"]
    organic = [r for r in rows if r[1] != "operation"]
    flagged = [r for r in rows if r[3]]
    scores = {
        "accounts": float(len(rows)),
        "automation_flagged": float(len(flagged)),
        "automation_precision": ratio(sum(r[2] == "automated" for r in flagged), len(flagged)),
        "automation_recall": ratio(sum(bool(r[3]) for r in bots), len(bots)),
    }
    for flag in ("high_volume", "regular_intervals", "copy_paste", "bot_like_profile"):
        hit = [r for r in rows if flag in r[3]]
        scores[f"{flag}_flagged"] = float(len(hit))
        scores[f"{flag}_precision"] = ratio(sum(r[2] == "automated" for r in hit), len(hit))
        scores[f"{flag}_recall"] = ratio(sum(flag in r[3] for r in bots), len(bots))
    amps = [r for r in rows if r[2] == "amplifier"]
    trolls = [r for r in rows if r[2] == "troll"]
    members = [r for r in rows if r[1] == "operation"]
    scores["amplification_recall_amplifier"] = ratio(sum(bool(r[4]) for r in amps), len(amps))
    scores["amplification_organic_rate"] = ratio(sum(bool(r[4]) for r in organic), len(organic))
    persona_flags = ("hours_vs_place", "language_vs_place", "language_switch", "topic_switch")
    scores["persona_recall_troll"] = ratio(
        sum(any(f in r[5] for f in persona_flags) for r in trolls), len(trolls)
    )
    scores["persona_organic_rate"] = ratio(
        sum(any(f in r[5] for f in persona_flags) for r in organic), len(organic)
    )
    scores["creation_cluster_recall"] = ratio(
        sum("creation_cluster" in r[5] for r in members), len(members)
    )
    scores["creation_cluster_organic_rate"] = ratio(
        sum("creation_cluster" in r[5] for r in organic), len(organic)
    )
    # The profile model: how well it ranks automated accounts above organic ones, and how
    # many organic profiles it scores over 0.5 (it was trained on another population).
    scored = [r for r in rows if r[6] is not None and (r[2] == "automated" or r[1] != "operation")]
    if {r[2] == "automated" for r in scored} == {True, False}:
        from sklearn.metrics import roc_auc_score

        scores["profile_auc_automated_vs_organic"] = float(
            roc_auc_score([r[2] == "automated" for r in scored], [r[6] for r in scored])
        )
    organic_scored = [r for r in organic if r[6] is not None]
    scores["profile_organic_over_half"] = ratio(
        sum(r[6] >= 0.5 for r in organic_scored), len(organic_scored)
    )
    # The domain check and the model's own threshold (its stated human false-flag rate).
    profiled = [r for r in rows if r[7] is not None]
    scores["profile_outside_share"] = ratio(sum(r[7] != "inside" for r in profiled), len(profiled))
    scores["profile_organic_flag_rate"] = ratio(
        sum(r[8] for r in organic_scored), len(organic_scored)
    )
    bots_scored = [r for r in bots if r[6] is not None]
    scores["profile_recall_automated"] = ratio(sum(r[8] for r in bots_scored), len(bots_scored))
    # Automation-likeness (behaviour and profile) where posts exist.
    liked = [r for r in rows if r[9] is not None and (r[2] == "automated" or r[1] != "operation")]
    scores["likeness_scored_share"] = ratio(sum(r[9] is not None for r in rows), len(rows))
    if {r[2] == "automated" for r in liked} == {True, False}:
        from sklearn.metrics import roc_auc_score

        scores["likeness_auc_automated_vs_organic"] = float(
            roc_auc_score([r[2] == "automated" for r in liked], [r[9] for r in liked])
        )
    scores["likeness_recall_automated"] = ratio(
        sum(r[10] for r in bots if r[9] is not None), sum(r[9] is not None for r in bots)
    )
    scores["likeness_organic_flag_rate"] = ratio(
        sum(r[10] for r in organic if r[9] is not None), sum(r[9] is not None for r in organic)
    )
    return scores
