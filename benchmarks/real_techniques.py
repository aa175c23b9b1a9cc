"""Propaganda techniques on the PTC: 5-fold article-grouped cross-validation of the span models
(``fast`` and ``transformer``) against the task's simple baselines, their false flags on
neutral reporting, and their speed.

``../shared/data/propaganda/ptc-train/`` holds the 300 training articles of the Propaganda
Techniques Corpus (Da San Martino et al., EMNLP 2019; SemEval-2020 Task 11), 5,179 labelled
fragments. Each fold's model is fitted on the other four folds only: its decoding threshold,
span calibration (isotonic, on spans of training articles held out from what scored them),
the confidence needed by proper names, headers and one-word sentences, and its flag-budget
operating points are all chosen on its training articles, never on the fold it is scored on.
Both models are scored on the same folds (GroupKFold by article, shuffled with the seed).

- ``fast``: fitted per fold here (35 minutes); its tuning uses out-of-fold scores of 3 inner
  folds of the training articles.
- ``transformer``: the fold models of ``train_techniques_transformer.py`` (``--transformer-
  folds``: MiniLM fine-tuned on four fifths of the fold's training articles, exported and
  quantised); the decoding and calibration are tuned here on the other fifth, and the
  technique of a span is the mean of the ``fast`` model's fragment model fitted on all the
  fold's training articles and the fold's fine-tuned fragment classifier (trained on all the
  fold's training articles, ``--classifier``), when the fold folder has one.
- ``--tc-only FOLDS``: the technique of the gold fragments alone, from the fold classifiers
  (``train_techniques_transformer.py --classifier --out FOLDS``), the fast fragment model of
  each fold, their mean and the most frequent technique, on the same folds; then the speed of
  the shipped transformer model.

Printed, per model, in the same run and on the same folds:

- SI (span identification, the task's scorer: character overlap, overlapping spans merged):
  precision, recall, F1, spans per gold span, share of the text marked and flags per 1,000
  words, at the span-F1 operating point, at the operating point of ``--per-1000-words`` (5
  by default), and for the "every sentence is a span" baseline;
- TC (technique of the gold fragments): micro and macro F1 of the model and of the
  training folds' most frequent technique;
- the calibration of span confidence on held-out articles (expected calibration error
  against the share of each span inside a gold fragment);
- flags per 1,000 words on the neutral reports of ``tests/fixtures/techniques_neutral/``
  (each fold's model, and the shipped model) next to the PTC's gold density;
- articles per second of the shipped model (detection on 60 PTC articles, 2 cores).

Measured (seed 0; PTC gold: 4,550 merged spans, 15.9 per 1,000 words, 13.7% of the text)::

                                       P      R     F1  spans/gold  marked  per 1k w
    fast (span-F1 point)             0.256  0.563  0.352     1.41    31.7%    22.4
    transformer (span-F1 point)      0.289  0.510  0.369     1.35    24.1%    21.5
    fast (5 per 1,000 words)         0.326  0.200  0.248      -        -       5.5
    transformer (5 per 1,000 words)  0.364  0.119  0.179     0.31     3.7%     4.9
    every sentence a span            0.135  1.000  0.238     3.15    99.1%    50.1

    SI F1 per fold (fast / transformer): 0.377/0.388, 0.357/0.380, 0.323/0.361,
    0.317/0.340, 0.371/0.363
    TC micro / macro F1: fast 0.584 / 0.394, transformer 0.585 / 0.394 (then the same
    fragment model; with the fragment classifier since: 0.633 / 0.429, below), most frequent
    technique 0.343 / 0.036
    calibration error (ECE): fast 0.015, transformer 0.029
    neutral reports, flags per 1,000 words (fold models / shipped): fast 4.4 / 2.9,
    transformer 0.2 / 0.0
    speed (shipped models, 60 PTC articles, 2 cores, load about 1): fast 23 articles/s,
    transformer 6.7 articles/s (3.0 at a load of 3-5); the transformer adds 23.3 MB to the
    package (quantised graph 22.8 MB, tokenizer 0.5 MB)

TC with the fine-tuned fragment classifier (``--tc-only /tmp/tt-cv``, the same folds;
micro / macro F1; per fold micro: fast, classifier, mean)::

    fast fragment model        0.584 / 0.394    0.593 0.590 0.555 0.584 0.589
    classifier                 0.601 / 0.395    0.605 0.597 0.583 0.633 0.585
    mean (the transformer's)   0.633 / 0.429    0.643 0.635 0.604 0.661 0.614
    most frequent technique    0.343 / 0.036

The transformer is a little better at the span-F1 point (F1 +0.017, better on 4 folds of 5,
fewer and more precise spans) and much quieter on neutral reporting, but worse at the
5-flags-per-1,000-words budget, 3 to 8 times slower and 23 MB larger, and neither reaches the
shared task's best span F1 (about 0.51): ``fast`` stays the default. The transformer's recipe
was cut to what CPU fine-tuning of 5 folds allows (one epoch, the embeddings and first two
layers frozen; ``train_techniques_transformer.py``); the fast figures above come from the
same folds and seed (its shipped manifest's CV; ``--model both`` reruns them).

Run on demand (the fast model's CV: 35 minutes on 2 cores shared with other jobs, a fold's
fit is the slow part: 14 sentence models and the token tagger with 3 inner folds each, then
the tree ensemble 4 times; the transformer's: 4 to 9 minutes, after 5 x 5-16 minutes of
fine-tuning)::

    python benchmarks/train_techniques_transformer.py --base MINILM --out /tmp/tt-cv
    python benchmarks/train_techniques_transformer.py --base MINILM --out /tmp/tt-cv --classifier
    python benchmarks/real_techniques.py --transformer-folds /tmp/tt-cv --json cv.json
    python benchmarks/real_techniques.py --tc-only /tmp/tt-cv
    python benchmarks/real_techniques.py --model fast

It prints a message and exits when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PTC = ROOT.parent / "shared" / "data" / "propaganda" / "ptc-train"
NEUTRAL = ROOT / "tests" / "fixtures" / "techniques_neutral"


def _si_row(name: str, s: dict) -> str:
    return (
        f"{name:<34} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
        f"{s['spans_per_gold']:>9.2f} {s['marked_share']:>7.1%} {s['flags_per_1000_words']:>9.1f}"
    )


def _transformer_folds(folder: Path, articles: list, folds: int, seed: int):  # type: ignore[no-untyped-def]
    """``fit_fold`` for `cross_validate_techniques`: fold k's fine-tuned graph from
    ``folder/fold<k>`` (``train_techniques_transformer.py``), its decoding tuned on the
    fold's training articles that the encoder was not fine-tuned on, and the ``fast``
    model's fragment technique model fitted on the fold's training articles."""
    from infoscope.articles.techniques import TechniqueDetector
    from infoscope.articles.techniques.transformer import TransformerTagger

    by_id = {a.id: a for a in articles}

    def fit_fold(k: int, train: list) -> TransformerTagger:
        info = json.loads((folder / f"fold{k}" / "training.json").read_text("utf-8"))
        ids = {a.id for a in train}
        if info["fold"] != k or set(info["fine_tuned_on"]) | set(info["decoding_tuned_on"]) != ids:
            raise SystemExit(f"{folder}/fold{k} was not trained on this fold's articles")
        record = folder / f"fold{k}" / "classifier.json"
        if record.exists() and set(json.loads(record.read_text("utf-8"))["trained_on"]) != ids:
            raise SystemExit(
                f"{folder}/fold{k}'s classifier was not trained on this fold's articles"
            )
        techniques = TechniqueDetector(random_state=seed).fit_fragments(train)
        tagger = TransformerTagger.load_graph(folder / f"fold{k}", technique_model=techniques)
        fitted.append((info["test"], tagger))
        return tagger.fit_decoding([by_id[i] for i in info["decoding_tuned_on"]])

    fitted: list = []
    fit_fold.fitted = fitted  # type: ignore[attr-defined]
    return fit_fold


class _Ranker:
    """`span_proba` and `span_classes_` of one part of a transformer model's technique
    ranking (for `_tc_predictions`)."""

    def __init__(self, proba, classes: list[str]) -> None:  # type: ignore[no-untyped-def]
        self.span_proba, self.span_classes_ = proba, classes


def _part_predictions(fast, classifier, test: list, docs: list) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """TC answers on the gold fragments of `test` of the ``fast`` model's fragment model,
    the fine-tuned fragment classifier and their mean (the transformer model's ranking)."""
    from infoscope.articles.techniques import TECHNIQUES
    from infoscope.articles.techniques.train import _tc_predictions
    from infoscope.articles.techniques.transformer import mean_technique_proba

    parts = {
        "fast fragment model": fast,
        "classifier": _Ranker(classifier.proba, list(TECHNIQUES)),
        "mean": _Ranker(
            lambda d, s: mean_technique_proba(fast, classifier, d, s), list(TECHNIQUES)
        ),
    }
    return {name: _tc_predictions(model, test, docs) for name, model in parts.items()}


def _tc_parts(fitted: list, articles: list) -> dict[str, dict]:
    """TC (micro and macro F1 on the gold fragments of each fold's held-out articles) of the
    transformer model's technique ranking and of its two parts alone: the ``fast`` model's
    fragment model and the fine-tuned fragment classifier (the same folds, the same run)."""
    from infoscope.articles.techniques.features import _Doc
    from infoscope.articles.techniques.metrics import tc_score

    by_id = {a.id: a for a in articles}
    pred: dict[str, list[str]] = {"fast fragment model": [], "classifier": [], "mean": []}
    gold: list[str] = []
    for test_ids, tagger in fitted:
        if tagger.classifier_ is None:
            return {}
        test = [by_id[i] for i in test_ids]
        docs = [_Doc(a.text) for a in test]
        for name, got in _part_predictions(
            tagger.technique_model_, tagger.classifier_, test, docs
        ).items():
            pred[name] += got
        gold += [t for a in test for t, _, _ in a.spans]
    return {name: tc_score(p, gold) for name, p in pred.items()}


def _tc_cv(folder: Path, articles: list, folds: int, seed: int) -> dict[str, dict]:
    """TC alone (``--tc-only``): per fold, the ``fast`` model's fragment model fitted on the
    fold's training articles and the fold's fine-tuned fragment classifier
    (``folder/fold<k>``, ``train_techniques_transformer.py --classifier``), scored on the
    gold fragments of its held-out articles, alone and averaged, next to the training
    folds' most frequent technique."""
    from collections import Counter

    from infoscope.articles.techniques import TECHNIQUES, TechniqueDetector
    from infoscope.articles.techniques.features import _Doc
    from infoscope.articles.techniques.linear import _group_folds
    from infoscope.articles.techniques.metrics import tc_score
    from infoscope.articles.techniques.transformer import (
        CLASSIFIER_FILE,
        TOKENIZER_FILE,
        SpanClassifier,
    )

    names = ("fast fragment model", "classifier", "mean", "baseline: most frequent")
    pred: dict[str, list[str]] = {name: [] for name in names}
    gold: list[str] = []
    per_fold = []
    for k, (train_i, test_i) in enumerate(_group_folds(np.arange(len(articles)), folds, seed)):
        train = [articles[i] for i in train_i]
        test = [articles[i] for i in test_i]
        sub = folder / f"fold{k}"
        record = json.loads((sub / "classifier.json").read_text("utf-8"))
        if record["fold"] != k or set(record["trained_on"]) != {a.id for a in train}:
            raise SystemExit(f"{sub}: its classifier was not trained on this fold's articles")
        fast = TechniqueDetector(random_state=seed).fit_fragments(train)
        classifier = SpanClassifier.from_bytes(
            (sub / CLASSIFIER_FILE).read_bytes(), (sub / TOKENIZER_FILE).read_bytes()
        )
        docs = [_Doc(a.text) for a in test]
        counts = Counter(t for a in train for t, _, _ in a.spans)
        majority = max(TECHNIQUES, key=lambda t: (counts[t], -TECHNIQUES.index(t)))
        fold_gold = [t for a in test for t, _, _ in a.spans]
        fold = {"fold": k, "fragments": len(fold_gold)}
        for name, got in _part_predictions(fast, classifier, test, docs).items():
            pred[name] += got
            fold[name] = round(tc_score(got, fold_gold)["micro_f1"], 4)
        pred["baseline: most frequent"] += [majority] * len(fold_gold)
        gold += fold_gold
        per_fold.append(fold)
        print(f"  fold {k}: {fold}", file=sys.stderr)
    out = {name: tc_score(p, gold) for name, p in pred.items()}
    return out | {"per_fold": per_fold}


def _tc_speed(articles: list) -> dict[str, float]:
    """Articles per second of the shipped transformer model's detection and gold fragments
    per second of its technique ranking (the TC subtask), on `articles`."""
    from infoscope.articles.techniques import resolve_technique_model

    model = resolve_technique_model("transformer")
    timed = time.perf_counter()
    fragments = 0
    for a in articles:
        fragments += len(model.classify_spans(a.text, [(s, e) for _, s, e in a.spans]))
    seconds = time.perf_counter() - timed
    model.__dict__.pop("_pieces", None)  # the tagger keeps recent texts' WordPieces: time it too
    return {
        "articles_per_second": _speed(model, articles),
        "fragments": fragments,
        "fragments_per_second": fragments / seconds,
    }


def _speed(model, articles: list) -> float:  # type: ignore[no-untyped-def]
    from infoscope.articles.techniques import detect_techniques

    detect_techniques(articles[:2], model=model)  # warm up
    timed = time.perf_counter()
    detect_techniques(articles, model=model)
    return len(articles) / (time.perf_counter() - timed)


def _report(name: str, cv: dict, args: argparse.Namespace, shipped: dict) -> None:
    gold = cv["gold"]
    print(f"\n== {name} ==")
    print(f"{'SI (span identification)':<34} {'P':>6} {'R':>6} {'F1':>6} {'spans/gold':>9} "
          f"{'marked':>7} {'per 1k w':>9}")  # fmt: skip
    print(_si_row(f"{name} (span-F1 point)", cv["si"]))
    print(_si_row(f"{name} ({args.budget:g} per 1,000 words)", cv["si_operating_point"]))
    print(_si_row("baseline: every sentence a span", cv["si_baseline_every_sentence"]))
    print(_si_row("gold", {**gold, "precision": 1, "recall": 1, "f1": 1, "spans_per_gold": 1,
                           "flags_per_1000_words": gold["per_1000_words"]}))  # fmt: skip
    print(f"\n{'TC (technique of gold spans)':<34} {'micro-F1':>9} {'macro-F1':>9}")
    for label, key in ((name, "tc"), ("baseline: most frequent", "tc_baseline_majority")):
        print(f"{label:<34} {cv[key]['micro_f1']:>9.3f} {cv[key]['macro_f1']:>9.3f}")
    for part, score in cv.get("tc_parts", {}).items():
        print(f"{'  ' + part:<34} {score['micro_f1']:>9.3f} {score['macro_f1']:>9.3f}")
    cal = cv["calibration"]
    print(f"\ncalibration on held-out articles: {cal['spans']:,} spans, mean confidence "
          f"{cal['mean_confidence']:.3f} vs mean share inside gold "
          f"{cal['mean_share_inside_gold']:.3f}, ECE {cal['ece']:.3f}")  # fmt: skip
    n = cv["neutral"]
    print(f"neutral reports ({n['texts']} texts, {n['words']:,} words): "
          f"{n['flags_per_1000_words']:.1f} flags per 1,000 words (fold models), "
          f"{shipped['neutral_per_1000_words']:.1f} (shipped model, {shipped['neutral_flags']} "
          f"flags); PTC gold {gold['per_1000_words']:.1f}")  # fmt: skip
    print(f"speed: {shipped['articles_per_second']:.1f} articles/s (shipped {name} model, "
          f"{args.sample} PTC articles); CV fit {cv['fit_seconds']:.0f} s, "
          f"predict {cv['predict_seconds']:.0f} s")  # fmt: skip
    print("per fold:")
    for f in cv["per_fold"]:
        print(f"  {f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=PTC, help="a PTC folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=("fast", "transformer", "both"), default="both",
                        help="the span model(s) cross-validated")  # fmt: skip
    parser.add_argument("--transformer-folds", type=Path, dest="transformer_folds",
                        help="the fold models written by train_techniques_transformer.py "
                        "(needed for --model transformer or both)")  # fmt: skip
    parser.add_argument("--per-1000-words", type=float, default=5.0, dest="budget",
                        help="the flag budget of the second operating point")  # fmt: skip
    parser.add_argument("--tc-only", type=Path, dest="tc_only", metavar="FOLDS",
                        help="only TC: the fold classifiers in FOLDS against the fast "
                        "fragment model and their mean (no span model)")  # fmt: skip
    parser.add_argument("--sample", type=int, default=60, help="PTC articles timed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not (args.data / "labels-TC.tsv").exists():
        print(f"real data {args.data} is absent (a fresh clone has no ../shared/data)")
        return 0
    if args.tc_only is not None:
        from infoscope.articles.techniques import read_ptc

        articles = read_ptc(args.data)
        tc = _tc_cv(args.tc_only, articles, args.folds, args.seed)
        tc["shipped_transformer"] = _tc_speed(articles[: args.sample])
        print(f"TC on the gold fragments, {args.folds}-fold article-grouped CV, seed {args.seed}")
        print(f"{'':<34} {'micro-F1':>9} {'macro-F1':>9}")
        for name, score in tc.items():
            if name not in ("per_fold", "shipped_transformer"):
                print(f"{name:<34} {score['micro_f1']:>9.3f} {score['macro_f1']:>9.3f}")
        speed = tc["shipped_transformer"]
        print(f"shipped transformer model, {args.sample} PTC articles: detection "
              f"{speed['articles_per_second']:.1f} articles/s, the technique of their "
              f"{speed['fragments']:,} gold fragments "
              f"{speed['fragments_per_second']:.0f}/s")  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps(tc, indent=1) + "\n", encoding="utf-8")
        return 0
    names = ["fast", "transformer"] if args.model == "both" else [args.model]
    if "transformer" in names and args.transformer_folds is None:
        parser.error("--model transformer needs --transformer-folds (see "
                     "benchmarks/train_techniques_transformer.py)")  # fmt: skip
    from infoscope.articles.techniques import (
        count_words,
        cross_validate_techniques,
        detect_techniques,
        read_ptc,
        resolve_technique_model,
    )

    articles = read_ptc(args.data)
    neutral = [p.read_text(encoding="utf-8") for p in sorted(NEUTRAL.glob("*.txt"))]
    neutral_words = sum(count_words(t) for t in neutral)
    results: dict[str, dict] = {}
    for name in names:
        started = time.perf_counter()
        fit_fold = (
            _transformer_folds(args.transformer_folds, articles, args.folds, args.seed)
            if name == "transformer"
            else None
        )
        cv = cross_validate_techniques(
            articles,
            folds=args.folds,
            seed=args.seed,
            flags_per_1000_words=args.budget,
            neutral=neutral,
            fit_fold=fit_fold,
            progress=lambda m, name=name, started=started: print(
                f"  [{name} {time.perf_counter() - started:5.0f} s] {m}", file=sys.stderr
            ),
        )
        if fit_fold is not None:
            cv["tc_parts"] = _tc_parts(fit_fold.fitted, articles)  # type: ignore[attr-defined]
        cv["minutes"] = (time.perf_counter() - started) / 60
        model = resolve_technique_model(name)
        flags = sum(len(r["spans"]) for r in detect_techniques(neutral, model=model))
        cv["shipped"] = {
            "neutral_flags": flags,
            "neutral_per_1000_words": 1000 * flags / max(neutral_words, 1),
            "articles_per_second": _speed(model, articles[: args.sample]),
        }
        results[name] = cv

    first = results[names[0]]
    gold = first["gold"]
    print(f"PTC: {first['articles']} articles, {first['words']:,} words, {gold['spans']:,} gold "
          f"spans (overlaps merged; {gold['per_1000_words']:.1f} per 1,000 words, "
          f"{gold['marked_share']:.1%} of the text); {args.folds}-fold article-grouped CV, "
          f"seed {args.seed}, the same folds for every model")  # fmt: skip
    for name in names:
        _report(name, results[name], args, results[name]["shipped"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
