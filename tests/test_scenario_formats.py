"""The scenario written as Mastodon statuses and Bluesky Jetstream events: the same posts as
twitter-v2 (same seed and size), read back by the real importers and scored by `evaluate`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from infoscope.evaluate import evaluate, load_truth
from infoscope.ingest import ingest
from infoscope.scenario import ScenarioConfig, generate_scenario, scenario_formats
from infoscope.store import Store

from .conftest import rows

NEW = ("mastodon", "bluesky-jetstream")
FORMATS = ("twitter-v2", *NEW)
# Small but with every kind, both operations and mentions: 3,000 posts over 5 days.
CONFIG = ScenarioConfig(posts=3_000, days=5, seed=4)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same scenario in each format, each ingested (format detected) into its own store."""
    made: dict[str, Any] = {}
    stores = []
    for fmt in FORMATS:
        out = tmp_path_factory.mktemp(fmt)
        manifest = generate_scenario(CONFIG, out, format=fmt)
        store = Store.open(out / "store.duckdb")
        stores.append(store)
        made[fmt] = {"dir": out, "manifest": manifest, "store": store}
        made[fmt]["summary"] = ingest(store, [manifest.corpus])
    yield made
    for store in stores:
        store.close()


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def test_the_new_formats_are_registered_and_offered_by_the_cli() -> None:
    from infoscope.cli.scenario import SCENARIO_FORMATS

    assert set(NEW) <= set(scenario_formats())
    assert scenario_formats() == SCENARIO_FORMATS


@pytest.mark.parametrize("fmt", NEW)
def test_writers_output_ingests_with_nothing_quarantined(scenarios, fmt: str) -> None:
    summary = scenarios[fmt]["summary"]
    assert dict(summary.formats) == {fmt: 1}  # detected without --format
    assert summary.posts == 3_000
    assert sum(summary.quarantined.values()) == 0
    assert summary.duplicates == 0


@pytest.mark.parametrize("fmt", NEW)
def test_same_posts_accounts_and_kinds_as_twitter_v2(scenarios, fmt: str) -> None:
    query = (
        "SELECT kind, count(*) AS posts, count(DISTINCT account_id) AS accounts "
        "FROM posts GROUP BY kind ORDER BY kind"
    )
    twitter, other = scenarios["twitter-v2"]["store"], scenarios[fmt]["store"]
    assert rows(other, query) == rows(twitter, query)
    posting = "SELECT count(DISTINCT account_id) AS n FROM posts"
    assert rows(other, posting) == rows(twitter, posting)
    # Every posting account is stored with its profile (Jetstream: identity and profile first).
    assert rows(other, "SELECT count(*) AS n FROM accounts") == rows(twitter, posting)
    # Hashtags, mentions and links of the posts that are not retweets are the same (Bluesky
    # reposts carry none of their own; Mastodon boosts, like retweets, repeat the original's).
    own = (
        "SELECT sum(len(hashtags)) AS tags, sum(len(mentions)) AS mentions, "
        "sum(len(urls)) AS urls FROM posts WHERE kind <> 'retweet'"
    )
    assert rows(other, own) == rows(twitter, own)


@pytest.mark.parametrize("fmt", NEW)
def test_evaluate_joins_the_truth_on_the_stored_ids(scenarios, fmt: str) -> None:
    made = scenarios[fmt]
    truth = load_truth(made["dir"])
    assert truth.platform == {"mastodon": "mastodon", "bluesky-jetstream": "bluesky"}[fmt]
    scores = evaluate(made["store"], truth)["ingest"]
    for metric in ("post_recall", "account_recall", "kind_agreement", "time_agreement"):
        assert scores[metric] == 1.0, metric
    assert scores["extra_posts"] == 0


def test_mastodon_statuses_are_what_the_api_returns(scenarios) -> None:
    statuses = _lines(scenarios["mastodon"]["manifest"].corpus)
    boosts = [s for s in statuses if s["reblog"]]
    quotes = [s for s in statuses if s["quote"]]
    replies = [s for s in statuses if s["in_reply_to_id"]]
    assert boosts and quotes and replies
    for boost in boosts[:50]:
        assert boost["content"] == "" and boost["uri"].endswith("/activity")
        assert boost["reblog"]["uri"].startswith(boost["reblog"]["account"]["uri"] + "/statuses/")
    assert all(q["quote"]["state"] == "accepted" for q in quotes)
    for reply in replies:
        # The replied-to author is among the mentions (as Mastodon's clients write replies).
        assert reply["in_reply_to_account_id"] in {m["id"] for m in reply["mentions"]}
    for status in statuses[:200]:
        account = status["account"]
        assert account["created_at"].endswith("T00:00:00.000Z")  # Mastodon 3.4+: the day
        local = account["url"].startswith("https://mastodon.social/")
        assert ("@" in account["acct"]) != local  # remote accounts are user@server


def test_mastodon_replies_keep_the_replied_to_account_and_post(scenarios) -> None:
    store = scenarios["mastodon"]["store"]
    found = rows(
        store,
        "SELECT count(*) AS n, count(r.ref_account_id) AS account, count(p.post_id) AS post "
        "FROM posts r LEFT JOIN posts p ON p.post_id = r.ref_post_id WHERE r.kind = 'reply'",
    )[0]
    # The API gives the parent's instance-local id; the importer maps it to the parent's URI
    # (the parent is in the same timeline), so every reply joins its parent.
    assert found["n"] > 0 and found["account"] == found["n"] and found["post"] == found["n"]


def test_bluesky_events_are_jetstream_commits_with_rich_text(scenarios) -> None:
    events = _lines(scenarios["bluesky-jetstream"]["manifest"].corpus)
    seen: set[str] = set()
    posts = 0
    for event in events:
        if event["kind"] == "identity":
            seen.add(event["did"])
            continue
        commit = event["commit"]
        assert event["did"] in seen  # the handle is known before the account's first record
        assert len(commit["rkey"]) == 13 or commit["rkey"] == "self"  # TIDs
        assert commit["cid"].startswith("bafyrei")
        record = commit["record"]
        if commit["collection"] != "app.bsky.feed.post":
            continue
        posts += 1
        text = record["text"].encode("utf-8")
        for facet in record.get("facets", []):
            covered = text[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
            feature = facet["features"][0]
            kind = feature["$type"].rsplit("#", 1)[-1]
            if kind == "mention":
                assert covered.startswith("@") and covered.endswith(".bsky.social")
            elif kind == "tag":
                assert covered == "#" + feature["tag"]
            else:
                assert feature["uri"].split("://", 1)[-1].startswith(covered.rstrip("."))
        if "reply" in record:
            assert {"root", "parent"} <= set(record["reply"])
    assert posts > 0


def test_bluesky_references_and_mentions_resolve_to_stored_accounts(scenarios) -> None:
    store = scenarios["bluesky-jetstream"]["store"]
    refs = rows(
        store,
        "SELECT count(*) AS n, count(o.post_id) AS found FROM posts p "
        "LEFT JOIN posts o ON o.post_id = p.ref_post_id WHERE p.ref_post_id IS NOT NULL",
    )[0]
    assert refs["n"] > 0 and refs["found"] == refs["n"]  # reposts, replies, quotes by AT URI
    # Mentions are stored by handle; identity events give every posting account its handle.
    mentions = rows(
        store,
        "WITH m AS (SELECT unnest(mentions) AS handle FROM posts) "
        "SELECT count(*) AS n, count(a.account_id) AS resolved FROM m "
        "LEFT JOIN accounts a ON a.handle = m.handle",
    )[0]
    assert mentions["n"] > 0 and mentions["resolved"] > 0.9 * mentions["n"]


def test_communities_score_as_well_in_each_format(scenarios) -> None:
    """The key figure of the communities analysis, on the same scenario in three formats."""
    from infoscope.network.evaluate import evaluate_communities
    from infoscope.network.run import run_communities

    nmi = {}
    for fmt, made in scenarios.items():
        run_communities(made["store"], runs=3, seed=1)
        nmi[fmt] = evaluate_communities(made["store"], load_truth(made["dir"]))["nmi"]
    assert nmi["twitter-v2"] > 0.6, nmi
    for fmt in NEW:
        assert abs(nmi[fmt] - nmi["twitter-v2"]) < 0.05, nmi
