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


SMALL = {
    "word_features": 2000,
    "char_features": 2000,
    "hash_features": 14,
    "folds": 2,
    "trees": 30,
}


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
        assert 0.0 <= span["confidence"] <= span["fragment_confidence"] <= 1.0
        assert span["kind"] == "plain"
    covering = {w: [s for s in result["spans"] if w in s["text"]] for w in ("crooks", "trust")}
    assert covering["crooks"] and covering["trust"]
    assert covering["trust"][0]["technique"] == "Doubt"
    fact = TEST_TEXT.index("The court")
    assert not [s for s in result["spans"] if fact <= s["start"] < fact + 50]
    sentences = {s["text"]: [f["technique"] for f in s["techniques"]] for s in result["sentences"]}
    assert sentences["The court scheduled the next hearing for October."] == []
    assert "Doubt" in sentences["Can we really trust anything they say?"]
    # the technique of a given fragment (the TC subtask)
    start = TEST_TEXT.index("vile")
    (tc,) = small_model.classify_spans(TEST_TEXT, [(start, start + 4)])
    assert tc["technique"] == "Loaded_Language" and tc["ranking"][0] == "Loaded_Language"
    start = TEST_TEXT.index("crooks")
    (tc,) = small_model.classify_spans(TEST_TEXT, [(start, start + 6)])
    assert tc["technique"] == "Name_Calling,Labeling"


def test_detector_operating_points_and_errors(small_model):
    default = small_model.predict([TEST_TEXT])[0]
    strict = small_model.predict([TEST_TEXT], threshold=1.0, span_threshold=1.0)[0]
    assert strict["spans"] == [] and all(not s["techniques"] for s in strict["sentences"])
    loose = small_model.predict([TEST_TEXT], span_threshold=0.0)[0]
    assert len(loose["spans"]) >= len(default["spans"])
    # a flag budget: fewer flags per 1,000 words asks for more confidence
    few, many = (small_model.confidence_for_density(k) for k in (1, 100))
    assert few >= many
    budget = small_model.predict([TEST_TEXT], flags_per_1000_words=1)[0]
    assert all(s["fragment_confidence"] >= few for s in budget["spans"])
    with pytest.raises(BadParameterError, match=r"threshold must be in \[0, 1\]"):
        small_model.predict([TEST_TEXT], threshold=1.5)
    with pytest.raises(BadParameterError, match="unknown technique"):
        small_model.predict([TEST_TEXT], threshold={"Nonsense": 0.5})
    with pytest.raises(BadParameterError, match="not both"):
        small_model.predict([TEST_TEXT], span_threshold=0.5, flags_per_1000_words=3)
    with pytest.raises(BadParameterError, match="must be positive"):
        small_model.confidence_for_density(0)
    with pytest.raises(BadParameterError, match="not fitted"):
        T.TechniqueDetector().predict([TEST_TEXT])
    bad = T.Article("x", "short text", [("Loaded_Language", 3, 99)])
    with pytest.raises(BadParameterError, match="bad span"):
        T.TechniqueDetector(**SMALL).fit([bad])


def test_fit_is_deterministic_and_saving_round_trips(small_model, tmp_path):
    again = T.TechniqueDetector(**SMALL).fit(_corpus(30))
    np.testing.assert_array_equal(again.sentence_coef_, small_model.sentence_coef_)
    np.testing.assert_array_equal(again.token_coef_, small_model.token_coef_)
    np.testing.assert_array_equal(again.trees_.value, small_model.trees_.value)
    paths = small_model.save(tmp_path / "m")
    assert sorted(p.name for p in paths) == [T.MODEL_FILE, T.ARRAYS_FILE]
    loaded = T.TechniqueDetector.load(tmp_path / "m")
    assert loaded.fingerprint_ and len(loaded.fingerprint_) == 64
    texts = [TEST_TEXT, _corpus(1, seed=9)[0].text]
    assert loaded.predict(texts) == small_model.predict(texts)
    assert T.TechniqueDetector.load(tmp_path / "m").fingerprint_ == loaded.fingerprint_
    with pytest.raises(BadParameterError, match=r"no technique-model\.json"):
        T.TechniqueDetector.load(tmp_path)
    assert T.resolve_technique_model(str(tmp_path / "m")).predict(texts) == loaded.predict(texts)
    with pytest.raises(BadParameterError, match="unknown technique model 'roberta'"):
        T.resolve_technique_model("roberta")


def test_tree_arrays_predict_as_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from infoscope.articles.techniques.tagger import _Trees

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    X[::7, 2] = np.nan  # missing values follow the learned side
    y = ((X[:, 0] + np.nan_to_num(X[:, 2])) > 0.3).astype(int)
    options = {"max_iter": 20, "learning_rate": 0.2, "max_leaf_nodes": 7, "min_samples_leaf": 5}
    trees = _Trees.fit(X, y, **options, seed=0)
    reference = HistGradientBoostingClassifier(**options, early_stopping=False, random_state=0)
    expected = reference.fit(X, y).predict_proba(X)[:, 1]
    np.testing.assert_allclose(trees.probability(X), expected, rtol=1e-9)
    again = _Trees.from_arrays(trees.to_arrays("t"), "t", trees.baseline)
    np.testing.assert_allclose(again.probability(X), expected, rtol=1e-9)


def test_cross_validation_groups_by_article():
    corpus = _corpus(12)
    cv = T.cross_validate_techniques(corpus, folds=3, params=SMALL, neutral=[FACTS[0]])
    assert cv["articles"] == 12 and len(cv["per_fold"]) == 3
    assert sum(f["articles"] for f in cv["per_fold"]) == 12
    assert cv["tc"]["n"] == cv["tc_baseline_majority"]["n"] == sum(len(a.spans) for a in corpus)
    gold = sum(len(T.merge_spans((s, e) for _, s, e in a.spans)) for a in corpus)
    assert cv["si"]["gold"] == cv["si_baseline_every_sentence"]["gold"] == gold
    # every sentence is a span: one span per sentence, the whole text marked but the breaks
    assert cv["si_baseline_every_sentence"]["recall"] == pytest.approx(1.0)
    # the written corpus is easy: held-out articles are mostly right, above the baselines
    assert cv["tc"]["micro_f1"] > 0.9 > cv["tc_baseline_majority"]["micro_f1"]
    assert cv["si"]["f1"] > cv["si_baseline_every_sentence"]["f1"]
    assert cv["sentence"]["micro_f1"] > 0.8
    assert cv["neutral"]["texts"] == 1 and cv["neutral"]["flags"] == 0


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
    flagged = [s for s in first["spans"] if "traitors" in s["text"] or "corrupt" in s["text"]]
    assert flagged and not [s for s in first["spans"] if "committee" in s["text"]]
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
    # technique classification beats the training folds' most frequent technique
    assert cv["tc"]["micro_f1"] > cv["tc_baseline_majority"]["micro_f1"] + 0.15
    # spans beat "every sentence is a span", without over-flagging
    assert cv["si"]["f1"] > cv["si_baseline_every_sentence"]["f1"] + 0.05
    assert cv["si"]["spans_per_gold"] <= 1.5
    # one span per sentence still marks more text than the annotators did (32% vs 14%;
    # the previous model: 34%); the flag-budget point marks less than they did
    assert cv["si"]["marked_share"] < 2.5 * cv["gold"]["marked_share"]
    assert cv["si_operating_point"]["marked_share"] < cv["gold"]["marked_share"]
    # the flag budget holds on held-out articles within a factor of two
    asked = cv["si_operating_point"]["flags_per_1000_words_asked"]
    assert asked / 2 < cv["si_operating_point"]["flags_per_1000_words"] < asked * 2
    # operating points saved with the model are the ones it uses
    points = manifest["operating_points"]
    assert points["min_confidence"] == model.min_confidence_
    assert points["strong_confidence"] == model.strong_confidence_ >= model.min_confidence_


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


def test_span_calibration_is_monotone_and_tracks_the_observed_share():
    from infoscope.articles.techniques.tagger import _Isotonic

    rng = np.random.default_rng(1)
    scores = rng.uniform(size=2000)
    share = (rng.uniform(size=2000) < scores * 0.6).astype(float)  # true share = 0.6 x score
    iso = _Isotonic.fit(scores, share)
    grid = np.linspace(0.05, 0.95, 50)
    assert np.all(np.diff(iso(grid)) >= 0)
    assert len(np.unique(np.round(iso(grid), 9))) > 40  # strictly increasing: no ties
    assert np.abs(iso(grid) - 0.6 * grid).max() < 0.12
    assert float(iso(np.array([-1.0]))[0]) == float(iso(np.array([0.0]))[0])  # clipped


def test_fit_fragments_fits_only_the_technique_of_given_fragments(small_model):
    # The transformer's spans get their technique from this part of the fast model alone.
    fragments = T.TechniqueDetector(**SMALL).fit_fragments(_corpus(30))
    spans = [(0, 12), (5, 30)]
    assert fragments.classify_spans(TEST_TEXT, spans) == small_model.classify_spans(
        TEST_TEXT, spans
    )
    with pytest.raises(BadParameterError, match="not fitted"):
        fragments.predict([TEST_TEXT])
