"""Automation-likeness: training on collections of accounts with posts, judged on the ones
left out, and scoring with the trained model.

A hand-built store of three collections, told apart by the posts' source file:
- ``sched.csv``: 12 scheduler bots, posting every hour give or take a minute, each repeating
  3 texts (inauthentic);
- ``copy.csv``: 12 copy-paste bots, posting in bursts like people but repeating 2 texts
  (inauthentic, a second kind);
- ``people.csv``: 24 organic accounts, bursty, never repeating (organic).
Every account posts 24 times; one organic account posts 5 times (too little known).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from infoscope.authenticity.activity import (
    ACTIVITY_FEATURES,
    ActivityModelSet,
    PostCollection,
    train_activity_model,
)
from infoscope.errors import BadParameterError
from infoscope.records import POST_SCHEMA
from infoscope.store import Store

from .conftest import run_cli

T0 = datetime(2024, 3, 4, tzinfo=UTC)
COLLECTIONS = [
    PostCollection("sched", "bot", source="*sched.csv"),
    PostCollection("copy", "bot", source="*copy.csv"),
    PostCollection("people", "human", source="*people.csv"),
]


def _post(source: str, account: str, i: int, at: datetime, text: str) -> dict[str, Any]:
    return {
        "platform": "t",
        "post_id": f"{account}-{i}",
        "account_id": account,
        "created_at": at,
        "kind": "original",
        "text": text,
        "source": source,
        "format": "generic-csv",
    }


def _posts() -> list[dict[str, Any]]:
    rng = np.random.default_rng(3)
    out: list[dict[str, Any]] = []
    for a in range(12):
        start = T0 + timedelta(minutes=int(rng.integers(600)))
        for i in range(24):
            at = start + timedelta(hours=i, seconds=int(rng.integers(-60, 60)))
            out.append(_post("/d/sched.csv", f"s{a}", i, at, f"item {i % 3} of feed {a}"))
    for source, prefix, n, repeats in (
        ("/d/copy.csv", "c", 12, 2),
        ("/d/people.csv", "p", 24, 0),
    ):
        for a in range(n):
            t = T0 + timedelta(minutes=int(rng.integers(600)))
            posts = 5 if (prefix, a) == ("p", 0) else 24
            for i in range(posts):
                gap = rng.exponential(4) if rng.random() < 0.7 else rng.exponential(600)
                t += timedelta(minutes=float(gap) + 1)
                text = f"slogan {i % repeats}" if repeats else f"{prefix}{a} thinks {i} {t:%H%M}"
                out.append(_post(source, f"{prefix}{a}", i, t, text))
    return out


@pytest.fixture
def labelled_store(store: Store) -> Store:
    table = pa.Table.from_pylist(_posts(), schema=POST_SCHEMA)
    store.con.register("_rows", table)
    store.con.execute("INSERT INTO posts SELECT * FROM _rows")
    store.con.unregister("_rows")
    return store


def test_train_judges_each_bot_collection_left_out_beside_the_baseline(labelled_store, tmp_path):
    out = tmp_path / "model"
    manifest = train_activity_model(
        labelled_store, COLLECTIONS, out, folds=3, near_duplicates=False
    )
    assert json.loads((out / "activity-manifest.json").read_text(encoding="utf-8")) == manifest
    counts = manifest["collections"]
    assert {n: c["with_enough_posts"] for n, c in counts.items()} == {
        "copy": 12,
        "people": 23,  # p0 posts 5 times: too few to train on
        "sched": 12,
    }
    # Volume features are never used; no collection here lacks retweets while another has
    # them (none has any), so share_retweet does not vary anywhere and is not a sampling
    # artifact of one collection.
    assert not {"posts", "posts_per_day", "active_days"} & set(manifest["features"])
    assert set(manifest["features"]) <= set(ACTIVITY_FEATURES)
    for variant in ("infoscope", "baseline"):
        left_out = manifest["left_out"][variant]
        assert left_out["people"]["evaluable"] is False  # the only organic collection
        for name in ("sched", "copy"):
            assert left_out[name]["evaluable"] is True
            assert left_out[name]["paired"]["collections"] == ["people"]
        assert manifest["in_collection"][variant]["n"] == 47
    # Scheduled bots repeat too: trained on copy-paste bots and people, they still rank
    # above the held-out people.
    assert manifest["left_out"]["infoscope"]["sched"]["auc"] > 0.9
    # Same store, same seed: the same model file, byte for byte.
    again = train_activity_model(
        labelled_store, COLLECTIONS, tmp_path / "again", folds=3, near_duplicates=False,
        compare_baseline=False,
    )  # fmt: skip
    assert again["left_out"]["infoscope"] == manifest["left_out"]["infoscope"]
    assert (tmp_path / "again" / "activity-model.json").read_bytes() == (
        out / "activity-model.json"
    ).read_bytes()
    # The saved model scores with its domain check; too few posts: too little known.
    model = ActivityModelSet.from_json(out / "activity-model.json")
    assert model.min_posts == 20


def test_train_activity_refuses_collections_of_one_class(labelled_store, tmp_path):
    with pytest.raises(BadParameterError, match="need both bots and humans"):
        train_activity_model(labelled_store, COLLECTIONS[:2], tmp_path, near_duplicates=False)
    with pytest.raises(BadParameterError, match="no account"):
        train_activity_model(
            labelled_store, [PostCollection("x", "bot", source="*absent*")], tmp_path
        )
    with pytest.raises(BadParameterError, match="either a source pattern or a label key"):
        PostCollection("x", "bot")


def test_cli_train_activity(labelled_store, store_path, tmp_path):
    labelled_store.close()
    out = tmp_path / "model"
    result = run_cli(
        "accounts", "train-activity", "--store", str(store_path), "--folds", "3",
        "--no-near-duplicates", "--bots", "sched=*sched.csv", "--bots", "copy=*copy.csv",
        "--humans", "people=*people.csv", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"model and manifest written to {out}"
    assert any(line.split()[:2] == ["baseline", "sched"] for line in lines)
    bad = run_cli("accounts", "train-activity", "--store", str(store_path), "--bots", "sched",
                  "--out", str(out))  # fmt: skip
    assert bad.exit_code != 0 and "give NAME=PATTERN" in bad.output


def test_accounts_scores_automation_likeness_only_with_a_model(
    labelled_store, store_path, tmp_path
):
    labelled_store.close()
    out = tmp_path / "model"
    trained = run_cli(
        "accounts", "train-activity", "--store", str(store_path), "--folds", "3",
        "--no-near-duplicates", "--bots", "sched=*sched.csv", "--bots", "copy=*copy.csv",
        "--humans", "people=*people.csv", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output

    def likeness() -> dict[str, Any]:
        with Store.open(store_path, read_only=True) as store:
            rows = store.con.execute(
                "SELECT account_id, automation_likeness, automation_status FROM account_signals"
                " WHERE run_id = ?",
                [store.latest_run_id("accounts")],
            ).fetchall()
        return {a: (v, s) for a, v, s in rows}

    # None ships with infoscope: without --activity-model no account gets a likeness.
    assert run_cli("accounts", "--store", str(store_path), "--quiet").exit_code == 0
    assert all(v is None for v, _ in likeness().values())
    scored = run_cli(
        "accounts", "--store", str(store_path), "--activity-model", str(out), "--quiet"
    )
    assert scored.exit_code == 0, scored.output
    values = likeness()
    inside = {a: v for a, (v, _) in values.items() if v is not None}
    # Every account that posts 24 times is scored; p0 (5 posts) is too little known.
    assert len(inside) == 47 and values["p0"] == (None, "too_little_known")
    bots = [v for a, v in inside.items() if not a.startswith("p")]
    people = [v for a, v in inside.items() if a.startswith("p")]
    assert np.mean(bots) > np.mean(people) + 0.3
    missing = run_cli("accounts", "--store", str(store_path), "--activity-model", str(tmp_path))
    assert missing.exit_code != 0 and "no activity model at" in missing.output
