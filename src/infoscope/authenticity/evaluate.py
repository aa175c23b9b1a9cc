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
    or more.
    """
    run_id = store.latest_run_id("accounts")
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.persona, s.automation, s.amplification, s.persona,
               s.profile_probability
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
    return scores
