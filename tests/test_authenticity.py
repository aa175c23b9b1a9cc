"""Authenticity signals on hand-built accounts: each feature and flag, with its evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from infoscope.authenticity import Thresholds, explain_account, run_accounts
from infoscope.authenticity.behaviour import behaviour_features
from infoscope.errors import BadParameterError
from infoscope.records import ACCOUNT_SCHEMA, POST_SCHEMA
from infoscope.store import Store

from .conftest import cli_json, rows, run_cli

T0 = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)  # a Monday


def post(pid: str, account: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "platform": "t",
        "post_id": pid,
        "account_id": account,
        "account_handle": "h_" + account,
        "created_at": at,
        "kind": "original",
        **fields,
    }


def account(account_id: str, **fields: Any) -> dict[str, Any]:
    return {"platform": "t", "account_id": account_id, "handle": "h_" + account_id, **fields}


def insert(store: Store, posts: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> None:
    for name, schema, data in (
        ("posts", POST_SCHEMA, posts),
        ("accounts", ACCOUNT_SCHEMA, accounts),
    ):
        table = pa.Table.from_pylist(data, schema=schema)
        store.con.register("_rows", table)
        store.con.execute(f"INSERT INTO {name} SELECT * FROM _rows")
        store.con.unregister("_rows")


def bursty(account_id: str, n: int, prefix: str) -> list[dict[str, Any]]:
    """An organic rhythm: clusters of posts minutes apart, hours between clusters."""
    out, t = [], T0
    for i in range(n):
        t += timedelta(minutes=3) if i % 4 else timedelta(hours=7, minutes=13 * i)
        out.append(post(f"{prefix}{i}", account_id, t, text=f"thought number {i} on {prefix}"))
    return out


@pytest.fixture
def population(store: Store) -> Store:
    posts: list[dict[str, Any]] = []
    # A perfectly regular poster: every hour on the hour, 30 times.
    posts += [
        post(f"reg{i}", "regular", T0 + timedelta(hours=i), text=f"scheduled item {i}")
        for i in range(30)
    ]
    # A copy-paste account: 4 texts, each posted 3 times (links differ, case differs).
    texts = ["Vote them out now", "The media lies", "Share before deleted", "Wake up people"]
    posts += [
        post(
            f"cp{i}", "copier", T0 + timedelta(minutes=37 * i + (i % 5) * 11),
            text=(texts[i % 4].upper() if i % 2 else texts[i % 4]) + f" https://t.co/x{i}",
        )
        for i in range(12)
    ]  # fmt: skip
    # A flood: 80 posts in one day with three hashtags each.
    posts += [
        post(f"fl{i}", "flooder", T0 + timedelta(minutes=17 * i + (i * i) % 7),
             text=f"post {i}", hashtags=["a", "b", "c"])
        for i in range(80)
    ]  # fmt: skip
    # An amplifier retweeting 25 of an author's posts within 8 seconds each (the author
    # posts at irregular times).
    for i in range(25):
        at = T0 + timedelta(hours=3 * i + (i * i) % 11, minutes=(i * 37) % 60)
        posts.append(post(f"src{i}", "author", at, text=f"news {i}", urls=[f"site.example/{i}"]))
        posts.append(
            post(f"amp{i}", "amplifier", at + timedelta(seconds=8), kind="retweet",
                 ref_post_id=f"src{i}", text=f"news {i}")
        )  # fmt: skip
    # A switcher: 12 posts in English, then 12 in Russian.
    posts += [
        post(f"sw{i}", "switcher", T0 + timedelta(hours=5 * i + (i % 3)),
             text=f"text {i}", lang="en" if i < 12 else "ru")
        for i in range(24)
    ]  # fmt: skip
    # An ordinary account, bursty.
    posts += bursty("organic", 40, "org")
    # A night-shift persona: claims Chicago, posts 06:00-13:00 UTC (midnight to 7 am there).
    posts += [
        post(f"ns{i}", "nightshift", T0 + timedelta(days=i // 3, hours=6 + (i * 5) % 8,
             minutes=(7 * i) % 60), text=f"hello america {i}", lang="en")
        for i in range(30)
    ]  # fmt: skip
    accounts = [
        account(a, created_at=datetime(2015 + i % 5, 1 + i, 3, tzinfo=UTC))
        for i, a in enumerate(
            ["regular", "copier", "flooder", "author", "amplifier", "switcher", "organic"]
        )
    ]
    accounts.append(account("nightshift", location="Chicago, IL",
                            created_at=datetime(2016, 5, 5, tzinfo=UTC)))  # fmt: skip
    # Creation dates: 60 accounts spread over ten years, and 10 created in one week.
    accounts += [
        account(f"spread{i}", created_at=datetime(2012, 1, 2, tzinfo=UTC) + timedelta(days=61 * i))
        for i in range(60)
    ]
    accounts += [
        account(
            f"batch{i}", created_at=datetime(2021, 6, 7, 9, tzinfo=UTC) + timedelta(hours=13 * i)
        )
        for i in range(10)
    ]
    insert(store, posts, accounts)
    return store


def features(store: Store) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in behaviour_features(store).to_pylist()}


def test_a_perfectly_regular_poster(population):
    f = features(population)["regular"]
    assert f["posts"] == 30 and f["active_days"] == 2
    assert f["interval_cv"] == pytest.approx(0.0, abs=1e-12)
    assert f["interval_median_s"] == pytest.approx(3600)
    assert f["interval_entropy"] == pytest.approx(0.0)
    assert f["hour_entropy"] == pytest.approx(
        -sum(c / 30 * __import__("math").log2(c / 30) for c in [2] * 6 + [1] * 18)
    )
    organic = features(population)["organic"]
    assert organic["interval_cv"] > 1.0  # bursts: organic rhythm


def test_copy_paste_shares_and_links(population):
    f = features(population)
    copier = f["copier"]
    # 12 posts of 4 texts (case and links ignored): 8 repeat an earlier text.
    assert copier["duplicate_share"] == pytest.approx(8 / 12)
    assert f["organic"]["duplicate_share"] == 0
    flooder = f["flooder"]
    assert flooder["max_posts_per_day"] == 80 and flooder["days_over_72"] == 1
    assert flooder["hashtag_flood_share"] == 1.0 and flooder["hashtags_per_post"] == 3.0
    author = f["author"]
    assert author["url_share"] == 1.0 and author["top_domain_share"] == 1.0
    assert author["distinct_domains"] == 1


def test_reaction_speed_and_kinds(population):
    amp = features(population)["amplifier"]
    assert amp["share_retweet"] == 1.0 and amp["share_original"] == 0.0
    assert amp["reaction_median_s"] == pytest.approx(8.0)
    assert amp["fast_reaction_share"] == 1.0
    assert features(population)["author"]["reaction_median_s"] is None


def test_languages_and_account_age(population):
    sw = features(population)["switcher"]
    assert sw["languages"] == 2 and sw["language_entropy"] == pytest.approx(1.0)
    assert sw["main_language"] in ("en", "ru")
    regular = features(population)["regular"]
    assert regular["age_at_first_post_days"] == pytest.approx(
        (T0 - datetime(2015, 1, 3, tzinfo=UTC)).total_seconds() / 86400
    )


def test_too_little_activity_is_unknown_not_zero(store):
    insert(store, [post("one", "quiet", T0), post("two", "quiet", T0 + timedelta(hours=1))], [])
    f = features(store)["quiet"]
    assert f["interval_median_s"] == pytest.approx(3600)
    assert f["interval_cv"] is None and f["hour_entropy"] is None
    assert f["age_at_first_post_days"] is None  # no profile, no creation date


def signals(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    out = {}
    for r in rows(store, "SELECT * FROM account_signals WHERE run_id = ?", [run_id]):
        r["evidence"] = json.loads(r["evidence"])
        out[r["account_id"]] = r
    return out


@pytest.fixture
def assessed(population):
    from infoscope.geo.accounts import run_locate

    run_locate(population)
    run = run_accounts(population)
    return population, run, signals(population, run.run_id)


def test_flags_each_hand_built_account_with_its_evidence(assessed):
    _, run, s = assessed
    assert s["regular"]["automation"] == ["regular_intervals"]
    assert "vary by 0.00 of their mean" in s["regular"]["evidence"]["regular_intervals"]
    assert "copy_paste" in s["copier"]["automation"]
    assert s["copier"]["evidence"]["copy_paste"].startswith("67% of its own posts")
    assert "high_volume" in s["flooder"]["automation"]
    assert "hashtag_flooding" in s["flooder"]["amplification"]
    assert set(s["amplifier"]["amplification"]) == {"fast_reactions", "retweet_only"}
    assert s["switcher"]["persona"] == ["language_switch"]
    assert (
        "50% en" in s["switcher"]["evidence"]["language_switch"]
        or "100% en" in (s["switcher"]["evidence"]["language_switch"])
    )
    night = s["nightshift"]
    assert "hours_vs_place" in night["persona"]
    assert "claims US" in night["evidence"]["hours_vs_place"]
    # The ordinary account is flagged for nothing.
    organic = s["organic"]
    assert not (organic["automation"] or organic["amplification"] or organic["persona"])
    automated = {a for a, r in s.items() if r["automation"]}
    assert automated == {"regular", "copier", "flooder"}
    assert run.summary["flagged"]["automation"] == 3
    # Every profile gets a domain check; the probability is stored (and explained) only
    # inside the model's domain, and flags nothing unless its threshold is set.
    for r in s.values():
        assert r["profile_status"] in ("inside", "outside", "too_little_known")
        assert (r["profile_probability"] is not None) == (r["profile_status"] == "inside")
        assert json.loads(r["profile_domain"])["status"] == r["profile_status"]
    assert not any("bot_like_profile" in r["automation"] for r in s.values())


def test_creation_clusters(assessed):
    _, _, s = assessed
    batch = [a for a in s if a.startswith("batch")]
    assert all("creation_cluster" in s[a]["persona"] for a in batch) and len(batch) == 10
    assert "with 9 other accounts" in s["batch0"]["evidence"]["creation_cluster"]
    assert not any("creation_cluster" in s[a]["persona"] for a in s if a.startswith("spread"))


def test_features_are_stored_long_and_explained(assessed):
    store, run, _ = assessed
    e = explain_account(store, "@h_regular")
    assert e["run_id"] == run.run_id and e["account_id"] == "regular"
    assert e["features"]["posts"] == 30 and e["features"]["interval_cv"] == pytest.approx(0)
    assert e["evidence"]["regular_intervals"]
    with pytest.raises(BadParameterError, match="no such account"):
        explain_account(store, "@nobody")


def test_thresholds_are_parameters_recorded_with_the_run(population):
    run = run_accounts(population, thresholds=Thresholds(interval_cv=0.0))
    s = signals(population, run.run_id)
    assert "regular_intervals" not in s["regular"]["automation"]
    params = rows(population, "SELECT parameters FROM runs WHERE run_id = ?", [run.run_id])
    assert json.loads(params[0]["parameters"])["thresholds"]["interval_cv"] == 0.0


def test_cli_accounts_json_explain_and_export(population, store_path, tmp_path):
    population.close()  # the commands open the store themselves
    data = cli_json("accounts", "--store", str(store_path), "--explain", "h_copier", "-q")
    assert data["explain"]["account_id"] == "copier"
    assert "copy_paste" in data["explain"]["automation"]
    assert any(r["account_id"] == "regular" for r in data["top"]["automation"])
    out = tmp_path / "signals.csv"
    result = run_cli("export", "account-signals", "--store", str(store_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().count("\n") == data["accounts"] + 1
    bad = run_cli("accounts", "--store", str(store_path), "--explain", "@nobody", "-q")
    assert bad.exit_code != 0 and "no such account" in bad.output
    assert "Traceback" not in bad.output


def test_shortened_links_do_not_make_a_single_domain(store):
    posts = [
        post(f"s{i}", "shortener", T0 + timedelta(hours=i * i % 17 + i), urls=[f"t.co/x{i}"])
        for i in range(12)
    ]
    posts += [
        post(f"m{i}", "mixed", T0 + timedelta(hours=i), urls=[f"bit.ly/{i}", "news.example/a"])
        for i in range(4)
    ]
    insert(store, posts, [])
    f = features(store)
    assert f["shortener"]["url_share"] == 1.0
    assert f["shortener"]["top_domain_share"] is None
    assert f["shortener"]["distinct_domains"] == 0
    assert f["mixed"]["top_domain_share"] == 1.0 and f["mixed"]["distinct_domains"] == 1


def test_near_duplicate_copies_make_a_copy_paste_account(store):
    base = (
        "the election was stolen by the globalist elites and the media will never tell you "
        "what really happened in the counting rooms last night"
    )
    words = base.split()
    posts = []
    for i in range(12):
        edited = list(words)
        edited[i % len(words)] = "truly"  # one word changed per copy: no exact repeat
        posts.append(post(f"nd{i}", "editor", T0 + timedelta(hours=i * i % 13 + 2 * i),
                          text=" ".join(edited)))  # fmt: skip
    posts += bursty("organic", 12, "org")
    insert(store, posts, [])
    run = run_accounts(store)
    s = signals(store, run.run_id)
    assert "copy_paste" in s["editor"]["automation"]
    assert "nearly repeat" in s["editor"]["evidence"]["copy_paste"]
    e = explain_account(store, "editor")
    assert e["features"]["duplicate_share"] == 0
    assert e["features"]["near_duplicate_share"] == pytest.approx(11 / 12)
    assert explain_account(store, "organic")["features"]["near_duplicate_share"] == 0
    without = run_accounts(store, near_duplicates=False)
    assert "copy_paste" not in signals(store, without.run_id)["editor"]["automation"]


def test_schema_12_upgrades_an_accounts_run_stored_before_domain_checks(population, store_path):
    """A store written before schema 12: its account_signals lack the domain and likeness
    columns. Opened writable, it gains them (NULL for the old run: not assessed) and the old
    run still reads; a new run fills them."""
    old = run_accounts(population)
    columns = ("profile_status", "profile_typicality", "profile_domain", "automation_likeness",
               "automation_status", "automation_evidence")  # fmt: skip
    for column in columns:
        population.con.execute(f"ALTER TABLE account_signals DROP COLUMN {column}")
    population.con.execute("UPDATE meta SET value = '11' WHERE key = 'schema_version'")
    population.close()
    with Store.open(store_path) as store:
        kept = rows(store, "SELECT * FROM account_signals WHERE run_id = ?", [old.run_id])
        assert kept and all(r[c] is None for r in kept for c in columns)
        new = run_accounts(store)
        statuses = rows(
            store, "SELECT profile_status FROM account_signals WHERE run_id = ?", [new.run_id]
        )
        assert {r["profile_status"] for r in statuses} <= {
            None, "inside", "outside", "too_little_known"
        }  # fmt: skip
        assert any(r["profile_status"] is not None for r in statuses)
