"""Signatures and resonance: the scorer on synthetic counts, then the CLI on a small store.

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

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import roc_auc_score

from infoscope.errors import BadParameterError
from infoscope.ingest import ingest
from infoscope.language.resonance import AccountTerms, ResonanceScorer
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


def _scorer(**kw: Any) -> ResonanceScorer:
    return ResonanceScorer(
        **{"min_count": 5, "min_accounts": 3, "prior_strength": 100, "cv": 5, "seed": 0, **kw}
    )


def test_scorer_separates_members_and_calibrates() -> None:
    X, y = _synthetic()
    scorer = _scorer().fit(X, y)
    m = scorer.cv_metrics_
    assert m["roc_auc"] > 0.95
    assert m["f1"] > 0.85
    assert (m["accounts"], m["members"], m["unscored"], m["folds"]) == (60, 30, 0, 5)
    # The learnt signature: member terms weigh positive, the others' negative.
    weights = scorer.signature_.weights
    assert {t for t, w in weights.items() if w > 0} == set(MEMBER_TERMS)
    assert {t for t, w in weights.items() if w < 0} == set(OTHER_TERMS)
    # Calibration: probabilities increase with the score; the threshold lies between the
    # groups' typical scores, and members are mostly above it.
    s, p = scorer.score(X), scorer.predict_proba(X)
    order = np.argsort(s)
    assert np.all(np.diff(p[order]) >= 0)
    assert np.median(s[~y]) < scorer.threshold_ < np.median(s[y])
    assert (scorer.predict(X) == y).mean() > 0.9
    assert p[y].mean() > 0.5 > p[~y].mean()


def test_scorer_on_noise_labels_is_at_chance() -> None:
    # Everyone draws from one distribution and the labels are shuffled. z_min=0 keeps every
    # term the training folds happen to find, so in-sample the learnt signature fits the
    # noise (AUC well above 0.5) but on held-out accounts it is at chance.
    X, y = _synthetic(n=200, seed=1, same=True)
    scorer = _scorer(z_min=0.0, min_accounts=1).fit(X, y)
    assert len(scorer.signature_.weights) > 0
    assert abs(scorer.cv_metrics_["roc_auc"] - 0.5) < 0.12
    in_sample = roc_auc_score(y, scorer.score(X))
    assert in_sample > scorer.cv_metrics_["roc_auc"] + 0.05


def test_few_tokens_are_not_scored_and_explain() -> None:
    X, y = _synthetic()
    # Account 0 (a member) keeps only 10 of its tokens: below min_tokens=20.
    X.counts = X.counts.tolil()
    X.counts[0] = 0
    X.counts[0, 0] = 10
    X.counts = X.counts.tocsr()
    X.tokens[0] = 10
    scorer = _scorer(min_tokens=20).fit(X, y)
    assert scorer.cv_metrics_["unscored"] == 1 and scorer.cv_metrics_["members"] == 29
    assert np.isnan(scorer.score(X)[0]) and np.isnan(scorer.predict_proba(X)[0])
    assert not scorer.predict(X)[0]
    assert not np.isnan(scorer.predict_proba(X)[1:]).any()
    # Explaining a member: the strongest pulls are signature terms, each contribution is
    # count * weight / (tokens + smoothing), and all of them add up to the score.
    row = 1
    explained = scorer.explain(X, row, n=len(TERMS))
    assert explained[0]["term"] in MEMBER_TERMS and explained[0]["contribution"] > 0
    assert {e["term"] for e in explained} <= set(MEMBER_TERMS + OTHER_TERMS)
    for e in explained:
        assert e["contribution"] == pytest.approx(
            e["count"] * e["weight"] / (X.tokens[row] + scorer.smoothing)
        )
    assert sum(e["contribution"] for e in explained) == pytest.approx(scorer.score(X)[row])


def test_fit_needs_two_of_each() -> None:
    X, _ = _synthetic(n=10)
    with pytest.raises(BadParameterError, match="at least 2 members"):
        _scorer().fit(X, np.arange(10) < 1)
    with pytest.raises(BadParameterError, match="labels"):
        _scorer().fit(X, [True, False])


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
    with pytest.raises(BadParameterError, match="exists"):
        run_signature(filled, "label:team=red", "label:team=blue", name="red")


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
    text = run_cli("resonance", "--store", store, "--signature", "red", "--seed", "1", "-q")
    assert text.exit_code == 0, text.output
    # 15 accounts, 14 with 20+ tokens (quiet has 1); calibrated on 6 red vs 6 blue, 5 folds,
    # each fold scored by a signature learnt without it: the groups separate perfectly.
    assert "held-out (5-fold, 12 labelled accounts, 6 members)" in text.stdout
    assert "ROC AUC 1.000" in text.stdout
    data = cli_json(
        "resonance", "--store", store, "--signature", "red", "--seed", "1", "-q",
        "--explain", "redfan",
    )  # fmt: skip
    # Held out, no blue account is called resonant (precision 1); each fold's threshold comes
    # from the other folds' scores, made by slightly different signatures, so a red account
    # may fall just below it: recall is only bounded.
    assert data["cv"]["roc_auc"] == 1.0 and data["cv"]["precision"] == 1.0
    assert data["cv"]["recall"] >= 0.5
    assert (data["accounts"], data["scored_accounts"]) == (15, 14)
    # Resonant: the 6 red accounts and redfan, who talks like them.
    assert data["resonant_accounts"] == 7
    top = {r["account_id"] for r in data["top_accounts"][:7]}
    assert top == {f"r{a}" for a in range(1, 7)} | {"redfan"}
    explained = data["explain"]
    assert explained["account_id"] == "redfan" and explained["resonant"] is True
    assert {t[0] for t in explained["top_terms"]} == {"sanctions", "pipeline", "sovereignty"}
    # In the text form too.
    shown = run_cli(
        "resonance", "--store", store, "--signature", "red", "--seed", "1", "-q",
        "--explain", "@redfan",
    )  # fmt: skip
    assert shown.exit_code == 0
    assert "redfan: score" in shown.stdout and "sanctions" in shown.stdout
