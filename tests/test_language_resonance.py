"""Signatures and resonance: the classifier on synthetic counts, then the store and the CLI.

Synthetic counts (`_synthetic`): 60 accounts over 30 terms, 200 tokens each, drawn from a
seeded generator. Members (the first half) use terms m0-m4 at 3x the rate of r0-r4, everyone
else the reverse; n0-n19 are used alike (the same share of every account's tokens). With 200
tokens per account a held-out score separates the groups almost perfectly (AUC near 1), while
with the labels shuffled on accounts that all share one distribution no signature can do
better than chance on accounts it did not see (AUC near 0.5).

The store (`_corpus`): twitter-v2 tweets of 12 labelled accounts, 8 posts each, in English:
team=red (r1-r6) write about "sanctions pipeline sovereignty" and team=blue (b1-b6) about
"garden recipe bakery", both with the shared words "people city". Unlabelled: redfan (talks
like red), bluefan (like blue) and quiet (one short post: too few tokens to score).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import roc_auc_score

from infoscope.common.calibration import Platt
from infoscope.errors import BadParameterError
from infoscope.ingest import ingest
from infoscope.language.model import SignatureClassifier, SignatureModel
from infoscope.language.resonance import AccountTerms, run_resonance
from infoscope.language.signature import get_signature, run_signature
from infoscope.store import Store

from .conftest import cli_json, rows, run_cli

MEMBER_TERMS = [f"m{i}" for i in range(5)]
OTHER_TERMS = [f"r{i}" for i in range(5)]
TERMS = MEMBER_TERMS + OTHER_TERMS + [f"n{i}" for i in range(20)]


def _synthetic(n: int = 60, seed: int = 0, *, same: bool = False) -> tuple[AccountTerms, Any]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) < n // 2
    base = np.ones(len(TERMS))
    counts = []
    for member in y:
        rate = base.copy()
        if member and not same:
            rate[:5] = 3
        elif not same:
            rate[5:10] = 3
        counts.append(rng.multinomial(200, rate / rate.sum()))
    matrix = np.array(counts, dtype=float)
    X = AccountTerms(
        counts=sparse.csr_matrix(matrix),
        terms=list(TERMS),
        tokens=matrix.sum(axis=1),
        accounts=[f"a{i}" for i in range(n)],
    )
    return X, (rng.permutation(y) if same else y)


def _classifier(**kw: Any) -> SignatureClassifier:
    return SignatureClassifier(**{"folds": 5, "seed": 0, "prior_strength": 100, **kw})


def test_classifier_separates_members_and_calibrates() -> None:
    X, y = _synthetic()
    fitted = _classifier().fit(X, y)
    m, model = fitted.cv_metrics_, fitted.model_
    assert m["roc_auc"] > 0.95 and m["f1"] > 0.85
    assert (m["documents"], m["targets"], m["unscored"], m["folds"]) == (60, 30, 0, 5)
    # The member terms pull up, the others' down; the shared terms carry little.
    w = dict(zip(model.terms, model.weights, strict=True))
    assert min(w[t] for t in MEMBER_TERMS) > 0 > max(w[t] for t in OTHER_TERMS)
    assert max(abs(w.get(t, 0.0)) for t in TERMS[10:]) < min(abs(w[t]) for t in MEMBER_TERMS)
    # Calibration is monotone in the score; the threshold is a probability; members are above.
    s, p = model.decision(X), model.predict_proba(X)
    order = np.argsort(s)
    assert np.all(np.diff(p[order]) >= 0) and 0 < model.threshold < 1
    assert (model.predict(X) == y).mean() > 0.9
    assert p[y].mean() > 0.5 > p[~y].mean()
    # Out-of-fold probabilities for every training document, and a reliability table.
    assert not np.isnan(fitted.oof_proba_).any()
    assert sum(b["documents"] for b in model.reliability) == 60


def test_cross_validation_reads_a_weighted_sample_past_its_bound() -> None:
    """Past `max_cv_documents`, CV reads every target and a sample of the reference weighted
    by its inverse rate: the choices and metrics stand for the whole reference, the model is
    fitted on every document, and every document still gets an out-of-sample probability."""
    full, labels = _synthetic(n=680, seed=3)  # 340 members, then 340 others
    rows = np.r_[0:60, 340:680]  # 60 targets, 340 reference documents
    X = AccountTerms(
        counts=full.counts[rows], terms=full.terms, tokens=full.tokens[rows],
        accounts=[full.accounts[i] for i in rows],
    )  # fmt: skip
    y = labels[rows]
    whole = _classifier().fit(X, y)
    bounded = _classifier(max_cv_documents=160).fit(X, y)
    cv = bounded.cv_metrics_
    assert (cv["documents"], cv["cv_documents"], cv["targets"]) == (400, 160, 60)
    assert cv["cv_reference_share"] == pytest.approx(100 / 340, abs=1e-6)
    assert (whole.cv_metrics_["cv_documents"], whole.cv_metrics_["cv_reference_share"]) == (400, 1)
    # The weighted sample estimates the same quality; the model separates as well.
    assert abs(cv["roc_auc"] - whole.cv_metrics_["roc_auc"]) < 0.03
    assert abs(cv["precision"] - whole.cv_metrics_["precision"]) < 0.15
    assert roc_auc_score(y, bounded.model_.decision(X)) > 0.95
    # Calibrated for the whole reference: the mean probability of the reference stays low.
    p = bounded.model_.predict_proba(X)
    assert p[~y].mean() < 0.2 and p[y].mean() > 0.5
    assert not np.isnan(bounded.oof_proba_).any()


def test_classifier_on_noise_labels_is_at_chance() -> None:
    # One distribution for everyone, labels shuffled: in-sample the model fits the noise,
    # out-of-fold it is at chance.
    X, y = _synthetic(n=200, seed=1, same=True)
    fitted = _classifier(Cs=(100.0,), sizes=(30,), prior_weights=(0.0,)).fit(X, y)
    assert abs(fitted.cv_metrics_["roc_auc"] - 0.5) < 0.12
    in_sample = roc_auc_score(y, fitted.model_.decision(X))
    assert in_sample > fitted.cv_metrics_["roc_auc"] + 0.05


def test_few_tokens_and_unknown_words_get_no_score_and_scores_are_explained() -> None:
    X, y = _synthetic()
    # Account 0 (a member) keeps only 10 of its tokens: below min_tokens=20.
    X.counts = X.counts.tolil()
    X.counts[0] = 0
    X.counts[0, 0] = 10
    X.counts = X.counts.tocsr()
    X.tokens[0] = 10
    fitted = _classifier(min_tokens=20).fit(X, y)
    model = fitted.model_
    assert fitted.cv_metrics_["unscored"] == 1 and fitted.cv_metrics_["targets"] == 29
    assert model.status(X)[0] == "too_little_text" and np.isnan(model.predict_proba(X)[0])
    assert not model.predict(X)[0] and not np.isnan(model.predict_proba(X)[1:]).any()
    # A document of words the model never saw (another language): unlike the training data.
    foreign = AccountTerms(sparse.csr_matrix(np.full((1, 3), 40.0)), ["x", "y", "z"],
                           np.array([120.0]), ["stranger"])  # fmt: skip
    assert model.status(foreign)[0] == "unlike_training" and model.coverage(foreign)[0] == 0
    assert np.isnan(model.predict_proba(foreign)[0])
    # The contributions of every term add up to the calibrated log-odds, less the intercept.
    row = 1
    (explained,) = model.explain(X.rows([row]), n=len(TERMS))
    assert explained[0][0] in MEMBER_TERMS and explained[0][2] > 0
    total = sum(c for _t, _n, c in explained)
    expected = model.platt.slope * (model.decision(X)[row] - model.intercept)
    assert total == pytest.approx(expected, abs=1e-3)


def test_explain_ranks_each_rows_terms_by_their_pull() -> None:
    # Terms a-e with weights chosen for ties (b and c pull alike), a zero weight (d) and a
    # term no document uses (e); documents read "b c d a" in another order, and one is empty.
    model = SignatureModel(
        terms=["a", "b", "c", "d", "e"], idf=np.ones(5),
        weights=np.array([0.5, -1.0, 1.0, 0.0, 2.0]), intercept=0.0,
        platt=Platt(slope=2.0, offset=0.0), threshold=0.5, min_tokens=1, coverage_floor=0.0,
    )  # fmt: skip
    X = AccountTerms(
        sparse.csr_matrix(np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 0], [7, 0, 1, 5, 0]], float)),
        ["a", "b", "c", "d", "e"], np.array([4.0, 0.0, 9.0]), ["x", "y", "z"],
    )  # fmt: skip
    explained = model.explain(X, n=2)
    # Row x: b and c tie at |pull| 1 (unit length: each feature log(2)/(2 log 2) = 0.5, times
    # weight and slope 2); stored order breaks the tie (b first); a pulls half as much.
    assert explained[0] == [["b", 1, -1.0], ["c", 1, 1.0]]
    assert explained[1] == []
    # Row z: a pulls most (7 uses), then c; d's zero weight never shows, even with n = 5.
    assert [t for t, _n, _c in explained[2]] == ["a", "c"]
    assert [t for t, _n, _c in model.explain(X, n=5)[2]] == ["a", "c"]
    assert [n for _t, n, _c in explained[2]] == [7, 1]
    # The same list for a row alone as within the matrix, and per period (another term order).
    assert model.explain(X.rows([2]), n=2) == [explained[2]]
    shuffled = AccountTerms(X.counts[:, [4, 3, 2, 1, 0]].tocsr(), ["e", "d", "c", "b", "a"],
                            X.tokens, X.accounts)  # fmt: skip
    assert model.explain(shuffled, n=2) == explained


def test_folds_fitted_in_parallel_give_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from infoscope.language import model as model_module

    X, y = _synthetic()
    serial = _classifier(n_jobs=1).fit(X, y)
    monkeypatch.setattr(model_module, "_PARALLEL_FROM", 0)  # workers even for 60 documents
    spread = _classifier(n_jobs=2).fit(X, y)
    assert spread.cv_metrics_ == serial.cv_metrics_
    np.testing.assert_array_equal(spread.oof_proba_, serial.oof_proba_)
    assert spread.model_.as_dict() == serial.model_.as_dict()


def test_model_round_trips_through_json() -> None:
    X, y = _synthetic()
    model = _classifier().fit(X, y).model_
    again = SignatureModel.from_dict(json.loads(json.dumps(model.as_dict())))
    assert again.predict_proba(X) == pytest.approx(model.predict_proba(X), abs=1e-6)
    assert again.threshold == model.threshold and again.terms == model.terms


def test_fit_needs_two_of_each() -> None:
    X, _ = _synthetic(n=10)
    with pytest.raises(BadParameterError, match="at least 2 target"):
        _classifier().fit(X, np.arange(10) < 1)
    with pytest.raises(BadParameterError, match="labels"):
        _classifier().fit(X, [True, False])


# -- the store and the CLI ----------------------------------------------------------------

RED = "sanctions pipeline sovereignty people city"
BLUE = "garden recipe bakery people city"


def _tweet(pid: str, uid: str, text: str) -> dict[str, Any]:
    return {
        "id": pid,
        "author_id": uid,
        "created_at": "2024-05-01T00:00:00.000Z",
        "text": text,
        "lang": "en",
        "author": {"id": uid, "username": uid},
    }


def _corpus(path: Path) -> Path:
    tweets = []
    for side, words in (("r", RED), ("b", BLUE)):
        for a in range(1, 7):
            for k in range(8):
                tweets.append(_tweet(f"{side}{a}-{k}", f"{side}{a}", words))
    for k in range(8):
        tweets.append(_tweet(f"rf-{k}", "redfan", RED))
        tweets.append(_tweet(f"bf-{k}", "bluefan", BLUE))
    tweets.append(_tweet("q-0", "quiet", "sanctions"))
    path.write_text("".join(json.dumps(t) + "\n" for t in tweets), encoding="utf-8")
    return path


def _fill(store: Store, tmp: Path) -> None:
    ingest(store, [_corpus(tmp / "corpus.jsonl")])
    labels = [(f"r{a}", "team", "red") for a in range(1, 7)]
    labels += [(f"b{a}", "team", "blue") for a in range(1, 7)]
    store.con.executemany(
        "INSERT INTO account_labels (platform, account_id, label_key, label_value) "
        "VALUES ('twitter', ?, ?, ?)",
        labels,
    )


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    _fill(store, tmp_path)
    return store


def test_run_signature(filled: Store) -> None:
    # Each red word: 48 uses by 6 red accounts (top share 1/6) and none by blue; the blue
    # words the reverse; 'people' and 'city' are used alike (z = 0) and left out.
    sig = run_signature(
        filled, "label:team=red", "label:team=blue", name="red", z_min=2.0, prior_strength=100
    ).signature
    top = {r["term"] for r in sig.top(10)}
    assert top == {"sanctions", "pipeline", "sovereignty"}
    assert {r["term"] for r in sig.top(10, side="reference")} == {"garden", "recipe", "bakery"}
    # 6 red accounts x 8 posts x 5 words = 240 tokens of 5 distinct terms.
    assert sig.counts["target"] == {"tokens": 240, "accounts": 6, "terms": 5}
    runs = rows(filled, "SELECT command, status, parameters FROM runs WHERE command = 'signature'")
    assert [(r["command"], r["status"]) for r in runs] == [("signature", "completed")]
    assert json.loads(runs[0]["parameters"])["name"] == "red"
    again = get_signature(filled, "red")
    assert again.weights == pytest.approx(sig.weights)
    # The classifier travels with it, and its 12 training accounts with their side.
    assert again.model().threshold == sig.model().threshold
    training = rows(filled, "SELECT account_id, target FROM signature_training ORDER BY 1")
    assert [(r["account_id"], r["target"]) for r in training] == sorted(
        [(f"b{a}", False) for a in range(1, 7)] + [(f"r{a}", True) for a in range(1, 7)]
    )
    # Same day, same language, no hashtags or links on either side: nothing to warn about.
    assert sig.counts["warnings"] == []
    with pytest.raises(BadParameterError, match="exists"):
        run_signature(filled, "label:team=red", "label:team=blue", name="red")


def test_training_documents_are_counted_in_the_engine(filled: Store) -> None:
    from infoscope.engine import as_engine
    from infoscope.language.groups import GroupSpec, group_posts, language_posts
    from infoscope.language.signature import _documents, classifier_tokens
    from infoscope.language.tokens import TokenOptions, post_tokens

    engine = as_engine(filled)
    posts = language_posts(filled, engine)
    # The target listed last, to check that documents follow the sides' order, not names.
    sides = {"reference": "label:team=blue", "target": "label:team=red"}
    opts = classifier_tokens(TokenOptions())
    tokens = {
        side: post_tokens(group_posts(filled, GroupSpec.parse(spec), "twitter", posts=posts,
                                      engine=engine), opts, engine=engine)
        for side, spec in sides.items()
    }  # fmt: skip
    docs = _documents(tokens, "account", engine=engine)
    X = docs.X
    # Blue accounts first (the first side), then red, each in code point order.
    assert docs.keys == [("reference", f"b{a}") for a in range(1, 7)] + [
        ("target", f"r{a}") for a in range(1, 7)
    ]
    assert X.accounts[0] == "reference:b1" and docs.y.tolist() == [False] * 6 + [True] * 6
    # 8 posts of 5 words: 40 words and 32 word pairs per account.
    assert X.tokens.tolist() == [72.0] * 12
    # Every term is used by 6 accounts (at least 3): words and pairs of both sides, sorted.
    assert X.terms == sorted(X.terms) and "bakery people" in X.terms and "people" in X.terms
    assert len(X.terms) == 8 + 7  # "people", "city" and "people city" on both sides
    dense = X.counts.toarray()
    assert dense[X.accounts.index("target:r3"), X.terms.index("sanctions")] == 8
    assert dense[X.accounts.index("target:r3"), X.terms.index("garden")] == 0
    assert dense[X.accounts.index("reference:b2"), X.terms.index("people city")] == 8
    assert dense.sum() == 12 * 72
    # Nothing is left behind in the engine.
    assert not [t for t in filled.con.execute("SHOW ALL TABLES").fetchall()
                if "_infoscope_signature" in str(t)]  # fmt: skip


def test_term_table_of_a_vocabulary_keeps_its_cells_and_every_total(filled: Store) -> None:
    from infoscope.language.resonance import account_terms, term_table

    posts = filled.ibis.table("posts")
    whole = term_table(posts, period="week")
    some = term_table(posts, period="week", vocabulary=["sanctions", "garden", "absent"])
    try:
        rows_ = some.table.to_pyarrow().to_pylist()
        # One row of its other tokens per account (but quiet, whose one token is "sanctions"),
        # and the vocabulary's cells: "sanctions" of 6 red, redfan and quiet, "garden" of 7.
        assert {r["token"] for r in rows_} == {None, "sanctions", "garden"}
        assert len(rows_) == 14 + 8 + 7
        for vocabulary in (["sanctions", "garden", "absent"], ["garden"]):
            for per_account in (True, False):
                a = account_terms(table=whole, vocabulary=vocabulary, per_account=per_account)
                b = account_terms(table=some, vocabulary=vocabulary, per_account=per_account)
                assert (a.accounts, a.periods, a.terms) == (b.accounts, b.periods, b.terms)
                assert a.tokens.tolist() == b.tokens.tolist()
                assert (a.counts != b.counts).nnz == 0
        assert sum(r["n"] for r in rows_) == whole.table.n.sum().to_pyarrow().as_py()
    finally:
        whole.release()
        some.release()


def _learn_cli(store: str, *extra: str) -> Any:
    return run_cli(
        "signature", "learn", "--store", store, "--target", "label:team=red",
        "--reference", "label:team=blue", "--name", "red", "--z-min", "2", "-q", *extra,
    )  # fmt: skip


def test_signature_cli_round_trip(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as store:
        _fill(store, tmp_path)
    store = str(store_path)
    learnt = _learn_cli(store)
    assert learnt.exit_code == 0, learnt.output
    assert "sanctions" in learnt.stdout and "garden" in learnt.stdout
    # The same name again is refused (one line, no traceback) unless --replace.
    again = _learn_cli(store)
    assert again.exit_code != 0 and "Traceback" not in again.output
    assert "--replace" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert _learn_cli(store, "--replace").exit_code == 0
    listed = cli_json("signature", "list", "--store", store)
    assert [r["name"] for r in listed] == ["red"]
    shown = cli_json("signature", "show", "red", "--store", store)
    # Export, then import into another store: the same terms and weights.
    out = tmp_path / "red.json"
    assert run_cli("signature", "export", "red", "--store", store, "--out", str(out)).exit_code == 0
    other = str(tmp_path / "other.duckdb")
    imported = run_cli("signature", "import", str(out), "--store", other, "--name", "red2")
    assert imported.exit_code == 0, imported.output
    copy = cli_json("signature", "show", "red2", "--store", other)
    assert {t["term"]: t["weight"] for t in copy["terms"]} == pytest.approx(
        {t["term"]: t["weight"] for t in shown["terms"]}
    )
    assert copy["parameters"]["imported_from"] == str(out)
    # A file that is not a signature: a one-line error.
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}', encoding="utf-8")
    bad = run_cli("signature", "import", str(bogus), "--store", other)
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "not an infoscope signature file" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_resonance_cli(store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as s:
        _fill(s, tmp_path)
    store = str(store_path)
    assert _learn_cli(store).exit_code == 0
    text = run_cli("resonance", "--store", store, "--signature", "red", "-q")
    assert text.exit_code == 0, text.output
    # 15 accounts; quiet has 1 token (of 20 needed): said, not scored.
    assert "15 accounts, 14 scored" in text.stdout and "1 with fewer than 20 tokens" in text.stdout
    assert "5-fold CV on its 12 training accounts: ROC AUC 1.0" in text.stdout
    data = cli_json(
        "resonance", "--store", store, "--signature", "red", "-q", "--explain", "redfan",
        "--members", "label:team=red", "--baseline", "label:team=blue",
    )  # fmt: skip
    assert data["cv"]["roc_auc"] == 1.0 and data["cv"]["precision"] == 1.0
    assert (data["accounts"], data["scored_accounts"], data["too_little_text"]) == (15, 14, 1)
    # The training accounts carry their out-of-fold probabilities.
    assert data["out_of_fold"] == 12
    # Resonant: red accounts and redfan, who talks like them; no blue account.
    top = {r["account_id"] for r in data["top_accounts"]}
    assert "redfan" in top and not any(a.startswith("b") for a in top)
    evaluation = data["evaluation"]
    assert evaluation["accounts"] == 12 and evaluation["members"] == 6
    assert evaluation["roc_auc"] == 1.0 and evaluation["precision"] == 1.0
    explained = data["explain"]
    assert explained["account_id"] == "redfan" and explained["resonant"] is True
    assert explained["status"] == "scored" and explained["source"] == "model"
    # The classifier reads words and word pairs: the red ones move redfan's score.
    words = RED.split()
    red = set(words) | {" ".join(p) for p in itertools.pairwise(words)}
    assert explained["top_terms"][0][0] in red - {"people", "city", "sovereignty people"}
    # In the text form too.
    shown = run_cli(
        "resonance", "--store", store, "--signature", "red", "-q", "--explain", "@redfan",
    )  # fmt: skip
    assert shown.exit_code == 0
    assert "redfan: status scored" in shown.stdout and "sanctions" in shown.stdout


def test_scoring_another_store_never_refits_its_thresholds(
    store_path: Path, tmp_path: Path
) -> None:
    """A signature exported from one store and imported into another keeps its calibration
    and threshold there; the second store's labels only evaluate."""
    with Store.open(store_path) as s:
        _fill(s, tmp_path)
        learnt = run_signature(s, "label:team=red", "label:team=blue", name="red").signature
    out = tmp_path / "red.json"
    assert run_cli("signature", "export", "red", "--store", str(store_path),
                   "--out", str(out)).exit_code == 0  # fmt: skip
    other = tmp_path / "other.duckdb"
    (tmp_path / "b").mkdir()
    with Store.open(other) as s:
        _fill(s, tmp_path / "b")
    assert run_cli("signature", "import", str(out), "--store", str(other)).exit_code == 0
    with Store.open(other) as s:
        plain = run_resonance(s, "red")
        labelled = run_resonance(s, "red", members="label:team=red", baseline="label:team=blue")
        imported = get_signature(s, "red").model()
        sql = "SELECT account_id, probability FROM resonance_scores WHERE run_id = ?"
        probabilities = {
            run: {r["account_id"]: r["probability"] for r in rows(s, sql, [run])}
            for run in (plain.run_id, labelled.run_id)
        }
    model = learnt.model()
    assert imported.threshold == model.threshold and imported.platt == model.platt
    assert plain.summary["threshold"] == labelled.summary["threshold"] == model.threshold
    assert probabilities[plain.run_id] == probabilities[labelled.run_id]
    # No out-of-fold probabilities there: the signature was not trained on that store.
    assert plain.summary["out_of_fold"] == 0
    assert plain.summary["evaluation"] is None and labelled.summary["evaluation"]["accounts"] == 12


def test_a_one_day_reference_triggers_the_period_warning(store: Store, tmp_path: Path) -> None:
    """Target accounts post on 30 days, the reference on one: the signature would learn the
    day, and says so (and matching on time leaves only that day)."""
    tweets = []
    for a in range(6):
        for day in range(30):
            tweets.append(_tweet(f"t{a}-{day}", f"t{a}", f"{RED} day{day}")
                          | {"created_at": f"2024-05-{day + 1:02d}T10:00:00.000Z"})  # fmt: skip
        for k in range(5):
            tweets.append(_tweet(f"r{a}-{k}", f"ref{a}", BLUE)
                          | {"created_at": "2024-05-03T10:00:00.000Z"})  # fmt: skip
    path = tmp_path / "days.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in tweets), encoding="utf-8")
    ingest(store, [path])
    targets = tmp_path / "targets.txt"
    targets.write_text("\n".join(f"t{a}" for a in range(6)), encoding="utf-8")
    sig = run_signature(store, f"accounts:{targets}", "rest", name="days", min_tokens=5).signature
    (warning,) = sig.counts["warnings"]
    assert warning.startswith("the reference covers 1 day(s) of the target's 30")
    assert "will learn the period, not the group" in warning
    assert sig.counts["overlap"]["groups"]["shared_periods"] == 1
    matched = run_signature(
        store, f"accounts:{targets}", "rest", name="days-matched", match=("time",), min_tokens=1
    ).signature
    after = matched.counts["overlap"]["matched"]
    assert (after["target_periods"], after["reference_periods"]) == (1, 1)


def test_posts_and_accounts_are_scored_from_one_count_of_the_posts(filled: Store) -> None:
    # With --posts the posts are tokenised once, counted per post, and summed for the
    # accounts: the accounts' scores are those of a run without posts, and each post's are
    # those of its own tokens (counted here straight from post_tokens) under the post model.
    import pyarrow as pa

    from infoscope.language.model import documents_matrix
    from infoscope.language.tokens import TokenOptions, post_tokens

    sig = run_signature(filled, "label:team=red", "label:team=blue", name="red", posts=True)
    post_model = sig.signature.model("post")
    plain = run_resonance(filled, "red", period="week")
    both = run_resonance(filled, "red", period="week", posts=True)
    sql = (
        "SELECT account_id, period, tokens, score, probability, status FROM resonance_scores "
        "WHERE run_id = ? ORDER BY account_id, period NULLS FIRST"
    )
    assert rows(filled, sql, [both.run_id]) == rows(filled, sql, [plain.run_id])
    scored = rows(
        filled,
        "SELECT post_id, tokens, score, status FROM resonance_posts WHERE run_id = ? "
        "ORDER BY post_id",
        [both.run_id],
    )
    tokens = post_tokens(
        filled.ibis.table("posts"), TokenOptions.from_dict(post_model.tokens),
        keep=("post_id",),
    ).to_pyarrow()  # fmt: skip
    cells = tokens.group_by(["post_id", "token"]).aggregate([("token", "count")])
    ids = sorted(set(tokens["post_id"].to_pylist()))
    X = documents_matrix(
        pa.table({"doc": cells["post_id"], "token": cells["token"], "n": cells["token_count"]}),
        ids,
        vocabulary=post_model.terms,
    )
    assert [r["post_id"] for r in scored] == ids and len(ids) == 113
    assert [r["tokens"] for r in scored] == X.tokens.astype(int).tolist()
    assert [r["score"] for r in scored] == pytest.approx(post_model.decision(X).tolist())
    assert [r["status"] for r in scored] == post_model.status(X).tolist()
