"""Propaganda techniques: the task's metrics on hand-made spans, the detector on a small
corpus written here, the shipped model, and a quick cross-validation on the PTC."""

from __future__ import annotations

import random

import numpy as np
import pytest

from infoscope.articles import techniques as T
from infoscope.articles.techniques.features import _Doc
from infoscope.errors import BadParameterError

from .conftest import shared

# -- metrics on hand-made spans -----------------------------------------------------------


def test_si_score_partial_overlap_merging_and_pooling():
    half = T.si_score({"a": [(0, 10)]}, {"a": [(5, 15)]})
    assert half["precision"] == pytest.approx(0.5) and half["recall"] == pytest.approx(0.5)
    assert half["f1"] == pytest.approx(0.5)
    # overlapping predictions are merged before scoring: one span covering the gold one
    merged = T.si_score({"a": [(0, 4), (2, 6)]}, {"a": [(0, 6)]})
    assert merged["predicted"] == 1 and merged["f1"] == pytest.approx(1.0)
    # touching spans share no character and stay two
    assert T.merge_spans([(0, 3), (3, 5), (4, 8)]) == [(0, 3), (3, 8)]
    # pooled over articles: a gold span nobody predicted lowers recall only
    pooled = T.si_score({"a": [(0, 10)]}, {"a": [(0, 5)], "b": [(0, 4)]})
    assert pooled["precision"] == pytest.approx(0.5)
    assert pooled["recall"] == pytest.approx(0.5)  # (1 + 0) / 2
    assert T.si_score({"a": [(0, 3)]}, {"a": [(5, 9)]})["f1"] == 0.0


def test_tc_and_sentence_scores():
    tc = T.tc_score(["A", "A", "B"], ["A", "B", "B"], techniques=("A", "B", "C"))
    assert tc["micro_f1"] == pytest.approx(2 / 3)
    assert tc["per_technique"]["A"]["precision"] == pytest.approx(0.5)
    assert tc["per_technique"]["B"]["recall"] == pytest.approx(0.5)
    assert tc["macro_f1"] == pytest.approx(2 / 3)  # C has no support and is left out
    with pytest.raises(BadParameterError):
        T.tc_score(["A"], ["A", "B"])
    Y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]])
    P = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 0], [1, 1, 0]])
    scores = T.sentence_scores(Y, P, techniques=("A", "B", "C"))
    # tp 3, predicted 4, gold 4
    assert scores["micro_f1"] == pytest.approx(0.75)
    assert scores["per_technique"]["A"]["precision"] == pytest.approx(2 / 3)
    assert scores["per_technique"]["B"]["recall"] == pytest.approx(0.5)
    # any technique: gold sentences 0, 1, 3; predicted 0, 2, 3
    assert scores["any_technique"]["f1"] == pytest.approx(2 / 3)


# -- text units ------------------------------------------------------------------------------


def test_sentences_and_ptc_files_keep_offsets(tmp_path):
    text = "A title\n\nMr. Smith went to Washington. He said no! Then what?\nU.S. troops left."
    sentences = [text[s:e] for s, e in T.split_sentences(text)]
    assert sentences == [
        "A title",
        "Mr. Smith went to Washington.",
        "He said no!",
        "Then what?",
        "U.S. troops left.",
    ]
    folder = tmp_path / "ptc"
    (folder / "articles").mkdir(parents=True)
    (folder / "articles" / "article7.txt").write_bytes(text.encode("utf-8"))
    start = text.index("Washington")
    (folder / "labels-TC.tsv").write_text(f"7\tFlag-Waving\t{start}\t{start + 10}\n")
    (article,) = T.read_ptc(folder)
    technique, s, e = article.spans[0]
    assert article.id == "7" and technique == "Flag-Waving" and article.text[s:e] == "Washington"
    (folder / "labels-TC.tsv").write_text("8\tDoubt\t0\t4\n")
    with pytest.raises(BadParameterError, match="no article file for id 8"):
        T.read_ptc(folder)
    with pytest.raises(BadParameterError, match="not a PTC folder"):
        T.read_ptc(tmp_path)


# -- the detector on a small written corpus ------------------------------------------------

FACTS = [
    "The committee met on Tuesday to discuss the budget.",
    "The ministry published its annual report in March.",
    "Officials said the bridge would reopen next month.",
    "The company reported revenue of 4 million dollars.",
    "Voters in the district will choose a new mayor in May.",
    "The court scheduled the next hearing for October.",
    "Rail traffic resumed after the repairs were finished.",
    "The agency hired two hundred new inspectors last year.",
]
INSULTS = ["traitors", "thugs", "globalist puppets", "lunatics", "crooks"]
LOADED = ["disgusting", "evil", "shameful", "monstrous", "vile"]
DOUBTS = [
    "Can we really trust anything they say?",
    "Is it even true that the vote was fair?",
    "Why should anyone believe these so-called experts?",
]


def _article(rng: random.Random, k: int) -> T.Article:
    parts = [f"Report number {k}", ""]
    spans: list[tuple[str, int, int]] = []
    pos = len("\n".join(parts)) + 1
    for _ in range(8):
        kind = rng.random()
        if kind < 0.45:
            line = rng.choice(FACTS)
        elif kind < 0.8:
            insult, loaded = rng.choice(INSULTS), rng.choice(LOADED)
            line = f"These {insult} pushed a {loaded} plan on the town."
            s = line.index(insult)
            spans.append(("Name_Calling,Labeling", pos + s, pos + s + len(insult)))
            s = line.index(loaded)
            spans.append(("Loaded_Language", pos + s, pos + s + len(loaded)))
        else:
            line = rng.choice(DOUBTS)
            spans.append(("Doubt", pos, pos + len(line)))
        parts.append(line)
        pos += len(line) + 1
    return T.Article(str(k), "\n".join(parts), spans)


def _corpus(n: int, seed: int = 3) -> list[T.Article]:
    rng = random.Random(seed)
    return [_article(rng, k) for k in range(n)]


SMALL = {"word_features": 2000, "char_features": 2000, "hash_features": 14, "folds": 2}


@pytest.fixture(scope="module")
def small_model() -> T.TechniqueDetector:
    return T.TechniqueDetector(**SMALL).fit(_corpus(30))


TEST_TEXT = (
    "Town news\n\nThe court scheduled the next hearing for October.\n"
    "These crooks pushed a vile plan on the town.\n"
    "Can we really trust anything they say?"
)


def test_detector_finds_the_written_techniques(small_model):
    (result,) = small_model.predict([TEST_TEXT])
    for span in result["spans"]:
        assert TEST_TEXT[span["start"] : span["end"]] == span["text"]
        assert 0.0 <= span["confidence"] <= 1.0
    by_text = {s["text"]: s["technique"] for s in result["spans"]}
    assert by_text.get("crooks") == "Name_Calling,Labeling"
    assert by_text.get("vile") == "Loaded_Language"
    fact = TEST_TEXT.index("The court")
    assert not [s for s in result["spans"] if fact <= s["start"] < fact + 50]
    sentences = {s["text"]: [f["technique"] for f in s["techniques"]] for s in result["sentences"]}
    assert sentences["The court scheduled the next hearing for October."] == []
    assert "Doubt" in sentences["Can we really trust anything they say?"]
    # the technique of a given fragment (the TC subtask)
    start = TEST_TEXT.index("vile")
    (tc,) = small_model.classify_spans(TEST_TEXT, [(start, start + 4)])
    assert tc["technique"] == "Loaded_Language" and tc["ranking"][0] == "Loaded_Language"


def test_detector_thresholds_modes_and_errors(small_model):
    strict = small_model.predict([TEST_TEXT], threshold=1.0)[0]
    assert strict["spans"] == [] and all(not s["techniques"] for s in strict["sentences"])
    loose = small_model.predict([TEST_TEXT], threshold=0.0)[0]
    assert len(loose["spans"]) >= len(small_model.predict([TEST_TEXT])[0]["spans"])
    sentence_mode = small_model.predict([TEST_TEXT], span_mode="sentence")[0]
    starts = {s["start"] for s in sentence_mode["sentences"]}
    assert all(s["start"] in starts for s in sentence_mode["spans"])
    with pytest.raises(BadParameterError, match=r"threshold must be in \[0, 1\]"):
        small_model.predict([TEST_TEXT], threshold=1.5)
    with pytest.raises(BadParameterError, match="unknown technique"):
        small_model.predict([TEST_TEXT], threshold={"Nonsense": 0.5})
    with pytest.raises(BadParameterError, match="span_mode"):
        small_model.predict([TEST_TEXT], span_mode="words")
    with pytest.raises(BadParameterError, match="not fitted"):
        T.TechniqueDetector().predict([TEST_TEXT])
    bad = T.Article("x", "short text", [("Loaded_Language", 3, 99)])
    with pytest.raises(BadParameterError, match="bad span"):
        T.TechniqueDetector(**SMALL).fit([bad])


def test_fit_is_deterministic_and_saving_round_trips(small_model, tmp_path):
    again = T.TechniqueDetector(**SMALL).fit(_corpus(30))
    np.testing.assert_array_equal(again.sentence_coef_, small_model.sentence_coef_)
    np.testing.assert_array_equal(again.token_coef_, small_model.token_coef_)
    paths = small_model.save(tmp_path / "m")
    assert sorted(p.name for p in paths) == [T.MODEL_FILE, T.ARRAYS_FILE]
    loaded = T.TechniqueDetector.load(tmp_path / "m")
    assert loaded.fingerprint_ and len(loaded.fingerprint_) == 64
    texts = [TEST_TEXT, _corpus(1, seed=9)[0].text]
    assert loaded.predict(texts) == small_model.predict(texts)
    assert T.TechniqueDetector.load(tmp_path / "m").fingerprint_ == loaded.fingerprint_
    with pytest.raises(BadParameterError, match=r"no technique-model\.json"):
        T.TechniqueDetector.load(tmp_path)


def test_cross_validation_groups_by_article():
    cv = T.cross_validate_techniques(_corpus(12), folds=3, params=SMALL)
    assert cv["articles"] == 12 and len(cv["per_fold"]) == 3
    assert sum(f["articles"] for f in cv["per_fold"]) == 12
    assert cv["tc"]["n"] == sum(len(a.spans) for a in _corpus(12))
    assert cv["si"]["gold"] == sum(len(T.merge_spans((s, e) for _, s, e in a.spans))
                                   for a in _corpus(12))  # fmt: skip
    # the written corpus is easy: held-out articles are mostly right
    assert cv["tc"]["micro_f1"] > 0.9
    assert cv["sentence"]["micro_f1"] > 0.8


# -- the shipped model ---------------------------------------------------------------------


def test_shipped_model_prefers_loaded_language_over_facts():
    model = T.load_technique_model()
    assert model.techniques_ == list(T.TECHNIQUES)
    text = (
        "Deep state traitors\n\n"
        "The corrupt, treasonous traitors of the deep state are destroying our great nation!\n"
        "The committee met on Tuesday to discuss the budget for the coming year."
    )
    (first,) = T.detect_techniques(text)
    assert T.detect_techniques([text]) == [first]  # deterministic, one text or a list
    loaded, factual = first["sentences"][1], first["sentences"][2]
    probs = model.sentence_proba([_Doc(text)])
    assert probs[1].max() > probs[2].max()
    assert loaded["techniques"] and not factual["techniques"]
    for span in first["spans"]:
        assert text[span["start"] : span["end"]] == span["text"]
        assert span["technique"] in T.TECHNIQUES


def test_shipped_manifest_records_training_and_beats_baselines():
    model = T.load_technique_model()
    manifest = model.manifest_
    assert manifest["counts"]["articles"] == 300
    assert sum(manifest["counts"]["fragments_per_technique"].values()) == 5179
    assert {i["path"] for i in manifest["inputs"]} >= {"labels-TC.tsv"}
    cv = manifest["cv"]
    assert cv["folds"] == 5 and cv["grouping"].startswith("article")
    # technique classification beats always answering the most frequent technique
    per = cv["tc"]["per_technique"]
    majority = max(v["support"] for v in per.values()) / cv["tc"]["n"]
    assert cv["tc"]["micro_f1"] > majority + 0.05
    # sentence detection beats flagging every sentence
    share = cv["sentence"]["any_technique"]["gold_share"]
    assert cv["sentence"]["any_technique"]["f1"] > 2 * share / (share + 1)
    assert model.span_mode == manifest["params"]["span_mode"]


@pytest.mark.realdata
def test_quick_cross_validation_on_ptc():
    articles = T.read_ptc(shared("propaganda/ptc-train"))
    assert len(articles) == 300
    for a in articles[:20]:
        for _, s, e in a.spans:
            assert 0 <= s < e <= len(a.text)
    cv = T.cross_validate_techniques(articles[:24], folds=2, params=SMALL)
    assert cv["tc"]["n"] == sum(len(a.spans) for a in articles[:24])
    for key in ("precision", "recall", "f1"):
        assert 0.0 <= cv["si"][key] <= 1.0
    assert cv["tc"]["micro_f1"] > 0.2
