"""`infoscope accounts` on both engines: behaviour features, a whole run and the command.

One hand-built store (`accounts_store`, every account there for one feature or flag) is run on
DuckDB and on Spark (local[2], the test session's; the store exported to Parquet first): the
features and every stored row of a run must be the same, floats to 1e-9 relative (engines add
in different orders), the rest exactly, and the stated values must hold on each engine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infoscope.authenticity import run_accounts
from infoscope.authenticity.behaviour import behaviour_features, near_duplicate_shares
from infoscope.engine.parquet import export_parquet
from infoscope.store import Store

from .conftest import cli_json, rows, spark_engine
from .test_authenticity import T0, account, bursty, insert, post
from .test_engine_coordination import same_rows

# A long text and its copies with one word changed each: near-duplicates, never exact repeats.
LONG = (
    "the election was stolen by the globalist elites and the media will never tell you "
    "what really happened in the counting rooms last night"
)


def accounts_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Posts and accounts; the comments say what each account is for."""
    posts: list[dict[str, Any]] = []
    # regular: every hour on the hour, 30 times (interval CV 0: regular_intervals).
    posts += [post(f"reg{i}", "regular", T0 + timedelta(hours=i), text=f"scheduled item {i}",
                   lang="en") for i in range(30)]  # fmt: skip
    # copier: 4 texts, each 3 times (case and links differ): duplicate_share 8/12.
    texts = ["Vote them out now", "The media lies", "Share before deleted", "Wake up people"]
    posts += [
        post(f"cp{i}", "copier", T0 + timedelta(minutes=37 * i + (i % 5) * 11),
             text=(texts[i % 4].upper() if i % 2 else texts[i % 4]) + f" https://t.co/x{i}")
        for i in range(12)
    ]  # fmt: skip
    # editor: 12 copies of one long text, one word changed in each: near_duplicate_share
    # 11/12 (copy_paste), duplicate_share 0.
    for i in range(12):
        edited = LONG.split()
        edited[i % len(edited)] = "truly"
        posts.append(post(f"nd{i}", "editor", T0 + timedelta(hours=i * i % 13 + 2 * i),
                          text=" ".join(edited)))  # fmt: skip
    # flooder: 80 posts in one day, three hashtags each (high_volume, hashtag_flooding).
    posts += [
        post(f"fl{i}", "flooder", T0 + timedelta(minutes=17 * i + (i * i) % 7),
             text=f"post {i}", hashtags=["a", "b", "c"])
        for i in range(80)
    ]  # fmt: skip
    # author posts 20 links to one site; amplifier retweets each within 8 seconds
    # (fast_reactions, retweet_only; single_domain for the author).
    for i in range(20):
        at = T0 + timedelta(hours=3 * i + (i * i) % 11, minutes=(i * 37) % 60)
        posts.append(post(f"src{i}", "author", at, text=f"news {i}",
                          urls=[f"https://site.example/{i}"]))  # fmt: skip
        posts.append(post(f"amp{i}", "amplifier", at + timedelta(seconds=8), kind="retweet",
                          ref_post_id=f"src{i}", text=f"news {i}"))  # fmt: skip
    # switcher: 12 posts in English then 12 in Russian (language_switch).
    posts += [
        post(f"sw{i}", "switcher", T0 + timedelta(hours=5 * i + (i % 3)), text=f"text {i}",
             lang="en" if i < 12 else "ru")
        for i in range(24)
    ]  # fmt: skip
    # topics: 10 posts tagged #x #y, then 10 tagged #P #q: disjoint halves (topic_switch;
    # hashtags lower-cased).
    posts += [
        post(f"tp{i}", "topics", T0 + timedelta(hours=7 * i), text=f"topic {i}",
             hashtags=["x", "y"] if i < 10 else ["P", "q"])
        for i in range(20)
    ]  # fmt: skip
    # organic: bursty posts, flagged for nothing.
    posts += bursty("organic", 16, "org")
    # A second platform, so shares are found per platform.
    posts += [{**post(f"m{i}", "echo", T0 + timedelta(days=i), text=LONG),
               "platform": "m"} for i in range(3)]  # fmt: skip
    fetched = {"fetched_at": "Mon Mar 11 12:00:00 +0000 2024"}
    accounts = [
        # Profile fields, a raw profile with a Twitter-date fetch time and theme flags.
        account("regular", created_at=datetime(2015, 1, 3, tzinfo=UTC), followers=12,
                following=4000, posts_count=30_000, favourites=0, listed=0,
                display_name="Regular News", description="Daily items",
                raw=json.dumps({**fetched, "user": {"default_profile": True,
                                                    "default_profile_image": False}})),
        # A fetch time without an offset: UTC on every engine.
        account("copier", created_at=datetime(2024, 2, 28, 6, tzinfo=UTC), followers=3,
                following=900, posts_count=5000,
                raw=json.dumps({"fetched_at": "2024-03-10 18:30:00"})),
        account("editor", handle="user84736251", created_at=datetime(2023, 9, 1, tzinfo=UTC),
                followers=0, following=20, location="Lyon", url="https://x.example"),
        *[account(a, created_at=datetime(2016 + i % 4, 1 + i, 3, tzinfo=UTC))
          for i, a in enumerate(["flooder", "author", "amplifier", "switcher", "topics"])],
        account("organic", followers=250, following=180),  # no creation date, no raw
        {**account("echo"), "platform": "m"},
    ]  # fmt: skip
    # 30 accounts spread over five years, and 8 created in one week (creation_cluster).
    accounts += [
        account(f"spread{i}", created_at=datetime(2012, 1, 2, tzinfo=UTC) + timedelta(days=61 * i))
        for i in range(30)
    ]
    accounts += [
        account(
            f"batch{i}", created_at=datetime(2021, 6, 7, 9, tzinfo=UTC) + timedelta(hours=13 * i)
        )
        for i in range(8)
    ]
    return posts, accounts


@pytest.fixture
def accounts_store(store: Store) -> Store:
    insert(store, *accounts_rows())
    return store


def test_behaviour_features_and_near_duplicate_shares_are_the_same_on_every_engine(
    accounts_store, on
):
    engine = on(accounts_store)
    got = behaviour_features(engine).to_pylist()
    reference = behaviour_features(accounts_store).to_pylist()
    same_rows(got, reference)
    f = {(r["platform"], r["account_id"]): r for r in got}
    assert len(f) == 10  # the posting accounts, ordered by platform and account
    assert next(iter(f)) == ("m", "echo")
    regular = f["t", "regular"]
    assert regular["posts"] == 30 and regular["active_days"] == 2
    assert regular["interval_cv"] == pytest.approx(0.0, abs=1e-12)
    assert regular["interval_median_s"] == 3600.0
    assert regular["age_at_first_post_days"] == pytest.approx(
        (T0 - datetime(2015, 1, 3, tzinfo=UTC)).total_seconds() / 86400
    )
    assert f["t", "copier"]["duplicate_share"] == pytest.approx(8 / 12)
    assert f["t", "editor"]["duplicate_share"] == 0
    assert f["t", "flooder"]["max_posts_per_day"] == 80
    assert f["t", "flooder"]["days_over_72"] == 1
    assert f["t", "author"]["top_domain_share"] == 1.0
    assert f["t", "amplifier"]["reaction_median_s"] == 8.0
    assert f["t", "switcher"]["languages"] == 2
    assert f["t", "switcher"]["main_language"] == "en"  # 12 en, 12 ru: ties go to en
    assert f["t", "organic"]["age_at_first_post_days"] is None

    shares = near_duplicate_shares(engine)
    assert shares == near_duplicate_shares(accounts_store)
    assert shares["t", "editor"] == pytest.approx(11 / 12)
    assert shares["m", "echo"] == pytest.approx(2 / 3)  # three copies on the other platform
    assert shares["t", "organic"] == 0.0
    assert ("t", "amplifier") not in shares  # only retweets: no own posts


def stored(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """A run's stored rows, in a fixed order (without the run id)."""
    return {
        "account_signals": rows(
            store,
            "SELECT * EXCLUDE (run_id) FROM account_signals WHERE run_id = ? "
            "ORDER BY platform, account_id",
            [run_id],
        ),
        "account_features": rows(
            store,
            "SELECT * EXCLUDE (run_id) FROM account_features WHERE run_id = ? "
            "ORDER BY platform, account_id, feature",
            [run_id],
        ),
    }


def check_flags(store: Store, run_id: str) -> None:
    """The flags the accounts of `accounts_store` are there for."""
    signals = {r["account_id"]: r for r in stored(store, run_id)["account_signals"]}
    assert signals["regular"]["automation"] == ["regular_intervals"]
    assert "copy_paste" in signals["copier"]["automation"]
    assert "nearly repeat" in json.loads(signals["editor"]["evidence"])["copy_paste"]
    assert {"high_volume"} <= set(signals["flooder"]["automation"])
    assert set(signals["amplifier"]["amplification"]) == {"fast_reactions", "retweet_only"}
    assert "single_domain" in signals["author"]["amplification"]
    evidence = json.loads(signals["switcher"]["evidence"])["language_switch"]
    assert evidence == "first half of its posts 100% en, second half 100% ru"
    evidence = json.loads(signals["topics"]["evidence"])["topic_switch"]
    assert evidence.endswith("(20 and 20 uses) have a cosine similarity of 0.00")
    batch = [a for a, r in signals.items() if "creation_cluster" in r["persona"]]
    assert sorted(batch) == [f"batch{i}" for i in range(8)]
    assert not any(signals["organic"][f] for f in ("automation", "amplification", "persona"))
    features = stored(store, run_id)["account_features"]
    profile = {(r["account_id"], r["feature"]): r["value"] for r in features}
    # regular: created 2015-01-03, fetched 2024-03-11 12:00 UTC (its raw profile).
    age = (datetime(2024, 3, 11, 12, tzinfo=UTC) - datetime(2015, 1, 3, tzinfo=UTC)) / timedelta(
        days=1
    )
    assert profile["regular", "profile.age_days"] == pytest.approx(age)
    assert profile["regular", "profile.default_profile"] == 1.0
    # copier: fetched "2024-03-10 18:30:00", no offset: UTC.
    assert profile["copier", "profile.age_days"] == pytest.approx(11.5208333333, rel=1e-9)
    assert profile["editor", "profile.handle_looks_default"] == 1.0


@pytest.mark.spark
def test_a_whole_run_stores_the_same_rows_from_spark_as_from_duckdb(
    accounts_store, tmp_path, request
):
    duck = run_accounts(accounts_store)
    spark = spark_engine(accounts_store, tmp_path / "parquet", request)
    sparked = run_accounts(accounts_store, engine=spark)
    a, b = stored(accounts_store, duck.run_id), stored(accounts_store, sparked.run_id)
    assert len(a["account_signals"]) == 48  # every account, posting or not
    for table in a:
        same_rows(a[table], b[table])
    check_flags(accounts_store, duck.run_id)
    assert sparked.summary["flagged"] == duck.summary["flagged"]
    recorded = {r["engine"]: r for r in rows(accounts_store, "SELECT * FROM runs")}
    assert recorded["spark"]["input_fingerprint"] == recorded["duckdb"]["input_fingerprint"]
    described = json.loads(recorded["spark"]["parameters"])["engine"]
    assert described["name"] == "spark" and described["data"] == str(tmp_path / "parquet")
    assert json.loads(recorded["duckdb"]["parameters"])["engine"]["name"] == "duckdb"


@pytest.mark.spark
def test_accounts_command_runs_on_spark(store_path, tmp_path, spark_session):
    with Store.open(store_path) as store:
        posts, accounts = accounts_rows()
        # The switcher and the creation batch are enough to show the command's path.
        keep = {"switcher", "regular"}
        insert(store, [p for p in posts if p["account_id"] in keep],
               [a for a in accounts if a["account_id"] in keep
                or a["account_id"].startswith(("batch", "spread"))])  # fmt: skip
        export_parquet(store, tmp_path / "parquet")
    args = ["accounts", "--store", str(store_path), "--platform", "t", "-q"]
    duck = cli_json(*args)
    spark = cli_json(*args, "--engine", "spark", "--data", str(tmp_path / "parquet"))
    assert spark["flagged"] == duck["flagged"]
    assert spark["flags"]["persona"] == {"creation_cluster": 8, "language_switch": 1}
    with Store.open(store_path, read_only=True) as store:
        a, b = stored(store, duck["run_id"]), stored(store, spark["run_id"])
        engines = [r["engine"] for r in rows(store, "SELECT engine FROM runs ORDER BY started_at")]
    for table in a:
        same_rows(a[table], b[table])
    assert engines == ["duckdb", "spark"]
