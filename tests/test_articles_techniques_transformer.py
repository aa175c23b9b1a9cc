"""The ``transformer`` span model (`infoscope.articles.techniques.transformer`): the shipped
quantised ONNX graph loads from the package and tags text offline and deterministically, its
windows map WordPieces back to the text, and it plugs into detection, the technique of given
spans (TC) and the CLI like the ``fast`` model."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from infoscope.articles import techniques as T
from infoscope.articles.techniques import semeval as S
from infoscope.articles.techniques.features import _Doc
from infoscope.articles.techniques.transformer import (
    CLASSIFIER_FILE,
    MAX_LENGTH,
    META_FILE,
    ONNX_FILE,
    SPAN_MAX_LENGTH,
    TOKENIZER_FILE,
    _span_input,
    _windows,
    mean_technique_proba,
)
from infoscope.errors import BadParameterError

from .conftest import run_cli

# Title, blank line, one sentence a line (the PTC layout): two sentences of loaded language
# and name calling, one plain sentence of facts, one slogan.
ARTICLE = (
    "Corrupt traitors betray our great nation\n\n"
    "The corrupt, treasonous traitors of the deep state are destroying our great nation!\n"
    "They are evil, disgusting liars and everyone knows it.\n"
    "The committee met on Tuesday to discuss the budget for the coming year.\n"
    "Wake up, America, before it is too late!\n"
)
MODEL = Path(str(resources.files("infoscope.articles").joinpath("model")))


@pytest.fixture(scope="module")
def tagger() -> T.TransformerTagger:
    return T.load_transformer_model()


def test_the_shipped_model_is_small_and_tuned_on_articles_it_was_not_fine_tuned_on(tagger):
    assert (MODEL / ONNX_FILE).stat().st_size < 25_000_000
    meta = json.loads((MODEL / META_FILE).read_text("utf-8"))
    training = meta["training"]
    assert training["decoding_tuned_on"]
    assert not set(training["decoding_tuned_on"]) & set(training["fine_tuned_on"])
    assert training["onnx_bytes"] == (MODEL / ONNX_FILE).stat().st_size
    assert T.resolve_technique_model("transformer") is tagger  # loaded once
    assert 0 < tagger.tagger_threshold_ < 1
    assert tagger.strong_confidence_ >= tagger.min_confidence_
    # the calibration map is increasing, so spans keep the order of their scores
    assert np.all(np.diff(tagger.calibration_.x) > 0)
    assert np.all(np.diff(tagger.calibration_(np.linspace(0, 1, 50))) >= 0)


def test_windows_cut_whole_sentences_and_map_wordpieces_back_to_the_text(tagger):
    long = " ".join(["Propaganda"] * 300) + "."
    text = f"A short title\n\n{long}\nThe last line.\n"
    windows = _windows(_Doc(text), tagger.tokenizer_)
    assert len(windows) == 3  # the 301-piece sentence is cut; the title rides with its start
    offsets = [o for ids, offs in windows for o in offs[1:-1]]
    for ids, offs in windows:
        assert len(ids) <= MAX_LENGTH and ids[0] == 101 and ids[-1] == 102
        assert offs[0] == offs[-1] == (0, 0)
    starts = [s for s, _ in offsets]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    words = {text[s:e].lower() for s, e in offsets}
    assert {"a", "short", "title", "propaganda", ".", "last", "line"} <= words


def test_loaded_language_scores_above_a_plain_sentence_of_facts(tagger):
    doc = _Doc(ARTICLE)
    p = tagger.token_proba([doc])
    assert len(p) == sum(len(t) for t in doc.tokens)
    assert np.all((p >= 0) & (p <= 1))
    sentence_max = [
        float(b.max()) for b in np.split(p, np.cumsum([len(t) for t in doc.tokens]))[:-1]
    ]
    committee = 3  # "The committee met on Tuesday ..."
    assert max(sentence_max[1], sentence_max[2]) > sentence_max[committee] + 0.2, sentence_max


def test_detection_is_deterministic_and_spans_point_into_the_text(tagger):
    (first,) = T.detect_techniques(ARTICLE, model=tagger, span_threshold=0.0)
    (again,) = T.detect_techniques([ARTICLE], model=tagger, span_threshold=0.0)
    assert first == again
    assert first["spans"]
    for span in first["spans"]:
        assert ARTICLE[span["start"] : span["end"]] == span["text"]
        assert span["technique"] in T.TECHNIQUES and span["runner_up"] in T.TECHNIQUES
        assert 0 <= span["confidence"] <= span["fragment_confidence"] <= 1
        assert span["kind"] in ("plain", "name", "header", "short_sentence")
    assert not any("committee" in s["text"] for s in first["spans"]), first["spans"]
    # a sentence's techniques are those of its spans
    for sentence in first["sentences"]:
        inside = {
            s["technique"]
            for s in first["spans"]
            if sentence["start"] <= s["start"] and s["end"] <= sentence["end"]
        }
        assert {f["technique"] for f in sentence["techniques"]} <= inside
    # a smaller flag budget flags no more, a higher threshold keeps a subset
    (budget,) = T.detect_techniques(ARTICLE, model=tagger, flags_per_1000_words=1)
    (strict,) = T.detect_techniques(ARTICLE, model=tagger, span_threshold=0.9)
    assert len(budget["spans"]) <= len(first["spans"])
    assert {(s["start"], s["end"]) for s in strict["spans"]} <= {
        (s["start"], s["end"]) for s in first["spans"]
    }
    with pytest.raises(BadParameterError, match="not both"):
        T.detect_techniques(ARTICLE, model=tagger, span_threshold=0.5, flags_per_1000_words=2)


def test_an_articles_spans_do_not_depend_on_the_other_texts_of_a_call():
    # Regression: the graph quantises activations with one scale per batch, so windows of
    # different articles batched together changed each other's probabilities (by up to 0.07).
    other = "Officials said the port handled 1.2 million containers last year.\n" * 40
    alone = T.TransformerTagger.load(MODEL).token_proba([_Doc(ARTICLE)])
    mixed = T.TransformerTagger.load(MODEL, batch_size=16).token_proba([_Doc(other), _Doc(ARTICLE)])
    np.testing.assert_array_equal(mixed[-len(alone) :], alone)


def test_given_spans_get_a_ranking_of_every_technique(tagger):
    start = ARTICLE.index("evil, disgusting liars")
    (found,) = tagger.classify_spans(ARTICLE, [(start, start + len("evil, disgusting liars"))])
    assert sorted(found["ranking"]) == sorted(T.TECHNIQUES)
    assert found["technique"] == found["ranking"][0]
    assert 1 / len(T.TECHNIQUES) < found["confidence"] <= 1
    with pytest.raises(BadParameterError, match="bad span"):
        tagger.classify_spans(ARTICLE, [(5, 2)])


def test_a_folder_with_the_model_files_is_a_transformer_model(tmp_path, tagger):
    for name in (ONNX_FILE, TOKENIZER_FILE, META_FILE):
        (tmp_path / name).write_bytes((MODEL / name).read_bytes())
    # without the fragment classifier, techniques come from the fast model alone
    plain = T.resolve_technique_model(str(tmp_path))
    assert plain.classifier_ is None
    assert plain.span_classes_ == tagger.technique_model_.span_classes_
    assert plain.fingerprint_ != tagger.fingerprint_
    (tmp_path / CLASSIFIER_FILE).write_bytes((MODEL / CLASSIFIER_FILE).read_bytes())
    model = T.resolve_technique_model(str(tmp_path))
    assert isinstance(model, T.TransformerTagger)
    assert model.fingerprint_ == tagger.fingerprint_
    assert model.predict([ARTICLE]) == tagger.predict([ARTICLE])
    meta = json.loads((tmp_path / META_FILE).read_text("utf-8"))
    (tmp_path / META_FILE).write_text(json.dumps(meta | {"format_version": 99}), "utf-8")
    with pytest.raises(BadParameterError, match="format version 99"):
        T.resolve_technique_model(str(tmp_path))


def test_the_cli_detects_and_classifies_with_the_transformer(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "article42.txt").write_text(ARTICLE, encoding="utf-8")
    si, tc = tmp_path / "si.txt", tmp_path / "tc.txt"
    result = run_cli("articles", "techniques", "--articles", str(folder), "--model",
                     "transformer", "--threshold", "0", "--si-out", str(si),
                     "--tc-out", str(tc))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = S.read_span_file(tc)
    assert rows and all(r.article_id == "42" and r.technique in T.TECHNIQUES for r in rows)
    for r in rows:
        assert 0 <= r.start < r.end <= len(ARTICLE)
    # the detected spans, classified again as given spans, get the same techniques
    out = tmp_path / "tc2.txt"
    result = run_cli("articles", "techniques", "--articles", str(folder), "--model",
                     "transformer", "--spans", str(tc), "--tc-out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r.technique for r in S.read_span_file(out)] == [r.technique for r in rows]


def test_the_shipped_files_match_their_recorded_digests():
    meta = json.loads((MODEL / META_FILE).read_text("utf-8"))
    for name, digest in meta["training"]["sha256"].items():
        assert hashlib.sha256((MODEL / name).read_bytes()).hexdigest() == digest
    classifier = meta["classifier"]
    data = (MODEL / CLASSIFIER_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == classifier["sha256"]
    assert classifier["onnx_bytes"] == len(data) < 25_000_000
    assert classifier["fragments"] > 5000 and len(classifier["trained_on"]) == 300


def test_the_fragment_input_marks_the_fragment_inside_its_sentence(tagger):
    tok = tagger.tokenizer_

    def pieces(text: str) -> list[int]:
        return tok.encode(text, add_special_tokens=False).ids

    fragment = "evil, disgusting liars"
    start = ARTICLE.index(fragment)
    ids, mask = _span_input(_Doc(ARTICLE), start, start + len(fragment), tok)
    ids = ids.tolist()
    opened, closed = ids.index(1), ids.index(2)  # [unused0] and [unused1]
    assert ids[opened + 1 : closed] == pieces(fragment)
    assert mask[opened + 1 : closed].all() and mask.sum() == closed - opened - 1
    # the context is the fragment's sentence, nothing of the others
    sentence = "They are evil, disgusting liars and everyone knows it."
    assert [101, *pieces(sentence), 102] == [i for i in ids if i not in (1, 2)]
    # a fragment longer than the room: cut at its end, its start kept, no room for context
    words = " ".join(f"word{i}" for i in range(400))
    text = f"Title\n\nBefore the fragment, {words} and after it.\n"
    start = text.index("word0")
    ids, mask = _span_input(_Doc(text), start, text.index("word300"), tok)
    ids = ids.tolist()
    assert len(ids) == SPAN_MAX_LENGTH and mask.sum() == SPAN_MAX_LENGTH - 4
    assert ids[ids.index(1) + 1 : ids.index(1) + 3] == pieces("word0")[:2]


def test_a_fragments_technique_is_the_mean_of_both_models_and_independent_of_the_others(tagger):
    assert tagger.classifier_ is not None and tagger.span_classes_ == list(T.TECHNIQUES)
    doc = _Doc(ARTICLE)
    spans = [
        (0, ARTICLE.index(text), ARTICLE.index(text) + len(text))
        for text in ("evil, disgusting liars", "Wake up, America", "The committee met")
    ]
    alone = tagger.classifier_.proba([doc], spans[:1])
    together = tagger.classifier_.proba([doc], spans)
    np.testing.assert_array_equal(together[:1], alone)
    np.testing.assert_allclose(together.sum(axis=1), 1.0)
    mean = tagger.span_proba([doc], spans)
    np.testing.assert_array_equal(
        mean, mean_technique_proba(tagger.technique_model_, tagger.classifier_, [doc], spans)
    )
    fast = tagger.technique_model_.span_proba([doc], spans)
    for c, t in enumerate(tagger.technique_model_.span_classes_):
        np.testing.assert_allclose(
            mean[:, T.TECHNIQUES.index(t)], (fast[:, c] + together[:, T.TECHNIQUES.index(t)]) / 2
        )


def test_neutral_reports_stay_quiet(tagger):
    # The wire-style reports and official statements of fixtures/techniques_neutral/ (no
    # technique): at most a quarter of the PTC's gold density (15.9 per 1,000 words), and
    # no proper name, header or one-word line below the strong-evidence level.
    from .conftest import FIXTURES

    texts = [p.read_text("utf-8") for p in sorted((FIXTURES / "techniques_neutral").glob("*.txt"))]
    assert len(texts) >= 12
    found = T.detect_techniques(texts, model=tagger)
    flags = sum(len(r["spans"]) for r in found)
    assert 1000 * flags / sum(T.count_words(t) for t in texts) <= 15.9 / 4
    for r in found:
        for span in r["spans"]:
            assert span["kind"] == "plain" or span["fragment_confidence"] >= (
                tagger.strong_confidence_
            )
