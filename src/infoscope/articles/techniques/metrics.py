"""The task's metrics (SemEval-2020 Task 11): span identification (`si_score`, on
`merge_spans`), technique classification of gold fragments (`tc_score`), and multi-label
sentence classification (`sentence_scores` of `sentence_labels`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from infoscope.articles.techniques.corpus import TECHNIQUES, Article
from infoscope.errors import BadParameterError

__all__ = ["merge_spans", "sentence_labels", "sentence_scores", "si_score", "tc_score"]


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping (start, end) intervals merged (touching ones are not: they share no
    character), sorted."""
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _prf(p_num: float, p_den: int, r_num: float, r_den: int) -> dict[str, float]:
    p = p_num / p_den if p_den else 0.0
    r = r_num / r_den if r_den else 0.0
    f1 = 1.0 if p_den == 0 and r_den == 0 else 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def si_score(
    predicted: Mapping[str, Iterable[tuple[int, int]]],
    gold: Mapping[str, Iterable[tuple[int, int]]],
) -> dict[str, float]:
    """Span identification (SemEval-2020 Task 11 SI) precision, recall and F1.

    Per article, overlapping spans are merged in both sets (techniques are ignored); then
    precision = Σ over predicted p and gold g of |p ∩ g| / |p|, over the number of predicted
    spans, recall = Σ |p ∩ g| / |g| over the number of gold spans (all articles pooled).
    Also returns the span counts."""
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for aid in sorted(set(predicted) | set(gold)):
        P = merge_spans(predicted.get(aid, ()))
        G = merge_spans(gold.get(aid, ()))
        n_pred += len(P)
        n_gold += len(G)
        for ps, pe in P:
            for gs, ge in G:
                inter = min(pe, ge) - max(ps, gs)
                if inter > 0:
                    p_num += inter / (pe - ps)
                    r_num += inter / (ge - gs)
    return {**_prf(p_num, n_pred, r_num, n_gold), "predicted": n_pred, "gold": n_gold}


def tc_score(
    predicted: Sequence[str], gold: Sequence[str], techniques: Sequence[str] = TECHNIQUES
) -> dict[str, Any]:
    """Technique classification of gold fragments: micro-F1 (one predicted technique per gold
    row, so it equals accuracy), macro-F1 and per technique precision, recall, F1, support."""
    if len(predicted) != len(gold):
        raise BadParameterError(f"{len(predicted)} predictions for {len(gold)} gold fragments")
    correct = sum(1 for p, g in zip(predicted, gold, strict=True) if p == g)
    per = {}
    for t in techniques:
        tp = sum(1 for p, g in zip(predicted, gold, strict=True) if p == g == t)
        n_p = sum(1 for p in predicted if p == t)
        n_g = sum(1 for g in gold if g == t)
        per[t] = {**_prf(tp, n_p, tp, n_g), "support": n_g}
        if n_p == 0 and n_g == 0:
            per[t]["f1"] = 0.0
    present = [t for t in techniques if per[t]["support"] > 0]
    return {
        "micro_f1": correct / len(gold) if gold else 0.0,
        "macro_f1": float(np.mean([per[t]["f1"] for t in present])) if present else 0.0,
        "n": len(gold),
        "per_technique": per,
    }


def sentence_scores(
    Y_true: np.ndarray, Y_pred: np.ndarray, techniques: Sequence[str] = TECHNIQUES
) -> dict[str, Any]:
    """Multi-label sentence classification: micro and macro F1 (macro over techniques with
    gold sentences), per technique precision, recall, F1 and support, and the binary task
    (any technique; with the share of sentences that have one, the precision of flagging
    every sentence)."""
    Y_true = np.asarray(Y_true, dtype=bool)
    Y_pred = np.asarray(Y_pred, dtype=bool)
    if Y_true.shape != Y_pred.shape or Y_true.ndim != 2 or Y_true.shape[1] != len(techniques):
        raise BadParameterError("sentence label matrices must be (sentences, techniques)")
    tp = (Y_true & Y_pred).sum(axis=0)
    n_p = Y_pred.sum(axis=0)
    n_g = Y_true.sum(axis=0)
    per = {}
    for k, t in enumerate(techniques):
        per[t] = {**_prf(int(tp[k]), int(n_p[k]), int(tp[k]), int(n_g[k])), "support": int(n_g[k])}
        if n_p[k] == 0 and n_g[k] == 0:
            per[t]["f1"] = 0.0
    micro = _prf(int(tp.sum()), int(n_p.sum()), int(tp.sum()), int(n_g.sum()))
    present = [t for t in techniques if per[t]["support"] > 0]
    any_true, any_pred = Y_true.any(axis=1), Y_pred.any(axis=1)
    binary = _prf(
        int((any_true & any_pred).sum()),
        int(any_pred.sum()),
        int((any_true & any_pred).sum()),
        int(any_true.sum()),
    )
    binary["gold_share"] = float(np.mean(any_true)) if Y_true.shape[0] else 0.0
    return {
        "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "micro_f1": micro["f1"],
        "macro_f1": float(np.mean([per[t]["f1"] for t in present])) if present else 0.0,
        "any_technique": binary,
        "sentences": len(Y_true),
        "per_technique": per,
    }


def sentence_labels(article: Article, sentences: Sequence[tuple[int, int]]) -> np.ndarray:
    """(sentences, techniques) 0/1: a technique labels a sentence its fragment overlaps."""
    Y = np.zeros((len(sentences), len(TECHNIQUES)), dtype=np.int8)
    index = {t: k for k, t in enumerate(TECHNIQUES)}
    for i, (s, e) in enumerate(sentences):
        for t, a0, a1 in article.spans:
            if a0 < e and s < a1 and t in index:
                Y[i, index[t]] = 1
    return Y
