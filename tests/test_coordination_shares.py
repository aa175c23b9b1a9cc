"""Shares of any object (the `shares` format and table), coordination across platforms, the
platform mix of clusters, and account links.

Fixtures (written for these tests from CooRTweet's documented layouts):

- ``shares/election_long.csv``, the long layout: Facebook pages fb_1, fb_2 and the Twitter
  account tw_1 share the same URL (written three ways), hashtags and image hash within two
  minutes, twice (10:00 and 15:00); tw_2 shares the URL a day later and the hashtag "wahl"
  with other objects; fb_3 shares the domain only. One row repeats an earlier one exactly (a
  duplicate), one has no parsable time (quarantined), one a blank object type (``other``);
  ``link`` and ``phash`` are synonyms of ``url`` and ``image``.
- ``shares/german_wide.csv``, the German 2021 election layout (``url_id, hashtag_id,
  domain_id, phash_id``; one row per combination of a post's objects) with a platform column:
  post 1 of fb_1 has two URLs and two hashtags in four rows; ``NA`` and a blank cell are
  missing values, ``11.0`` is the id 11; post 1 exists on both platforms; post 4 shares
  nothing; post 5 has no parsable time.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from infoscope.account_links import (
    account_links,
    add_account_links,
    match_account_links,
    profile_target,
)
from infoscope.coordination import TraceOptions, candidate_pairs, run_coordination
from infoscope.coordination.traces import platforms_text, trace_label
from infoscope.errors import BadParameterError, MissingColumnError
from infoscope.ingest import ingest, registered_formats, sniff
from infoscope.ingest.formats import detect_format
from infoscope.ingest.sources import iter_sources
from infoscope.records import ACCOUNT_SCHEMA, POST_SCHEMA
from infoscope.store import SCHEMA_VERSION, Store

from .conftest import FIXTURES, rows, run_cli, shared

LONG = FIXTURES / "shares" / "election_long.csv"
WIDE = FIXTURES / "shares" / "german_wide.csv"
T0 = datetime(2021, 9, 1, 10, tzinfo=UTC)


def pairs(store: Store, trace: str, **kwargs: Any) -> dict[tuple[str, str], int]:
    """``{(a, b): objects}`` of a trace's raw pairs."""
    table = candidate_pairs(store, trace, **kwargs)
    return {
        (r["account_a"], r["account_b"]): r["objects"]
        for r in table.to_pylist()
    }  # fmt: skip


@pytest.fixture
def election(store: Store) -> Store:
    ingest(store, [LONG])
    return store


# -- the format ----------------------------------------------------------------------------


def test_long_layout_stores_each_share_once_and_each_post_once(store):
    summary = ingest(store, [LONG])
    assert summary.formats == {"shares": 1}
    # 24 rows: 21 distinct shares + the blank-type row ("other") = 22 shares; one exact
    # repeat; one row without a parsable time; 10 posts (p1..p11 less p10).
    assert (summary.store.shares, summary.posts, summary.duplicates) == (22, 10, 1)
    assert dict(summary.quarantined) == {"unparseable date": 1}
    got = {
        (r["platform"], r["post_id"], r["object_type"], r["object_id"])
        for r in rows(store, "SELECT * FROM shares")
    }
    # Normalised as posts are: the URL written three ways is one object, hashtags are
    # case-folded without '#', image hashes lower-cased, a domain without www.
    assert ("facebook", "p1", "url", "example.org/a") in got
    assert ("facebook", "p2", "url", "example.org/a") in got  # object type "link"
    assert ("twitter", "p3", "url", "example.org/a") in got
    assert ("twitter", "p3", "image", "a1b2c3d4") in got  # object type "phash"
    assert ("facebook", "p1", "hashtag", "wahl") in got
    assert ("facebook", "p9", "domain", "example.org") in got
    assert ("facebook", "p11", "other", "something") in got
    # Provenance: the source row of every share.
    (first,) = rows(store, "SELECT * FROM shares WHERE post_id = 'p9'")
    assert (first["format"], first["source_record"]) == ("shares", 13)
    # Each post once, with its objects as post fields and its share as a retweet.
    (p6,) = rows(store, "SELECT * FROM posts WHERE post_id = 'p6'")
    assert (p6["platform"], p6["kind"], p6["ref_post_id"]) == ("twitter", "retweet", "999")
    assert p6["urls"] == ["news.example.com/b"] and p6["media_ids"] == []
    (p1,) = rows(store, "SELECT * FROM posts WHERE post_id = 'p1'")
    assert p1["hashtags"] == ["btw21", "wahl"] and p1["created_at"] == T0
    assert p1["account_handle"] == "heimat_news"
    handles = dict(store.con.execute("SELECT account_id, handle FROM accounts").fetchall())
    assert handles["tw_1"] == "heimat_tw" and len(handles) == 5
    # Ingesting the file again changes nothing.
    again = ingest(store, [LONG])
    assert (again.posts, again.store.shares) == (0, 0)
    assert store.count("shares") == 22


def test_german_wide_layout_gives_each_object_of_a_post_once(store):
    summary = ingest(store, [WIDE])
    assert summary.formats == {"shares": 1}
    # fb_1's post 1: 2 URLs, 2 hashtags, 1 domain, 1 image = 6 shares from 4 rows, the 4th
    # row adding nothing (a duplicate); post 2: 4; tw_1's post 3: 3 (its hashtag is NA);
    # tw_2's post 1: 3 (no image); post 4 shares nothing but is a post; post 5 quarantined.
    assert (summary.store.shares, summary.posts, summary.duplicates) == (16, 5, 1)
    assert dict(summary.quarantined) == {"unparseable date": 1}
    per_post = dict(
        store.con.execute(
            "SELECT platform || '/' || post_id, list(object_type || ':' || object_id "
            "ORDER BY object_type, object_id) FROM shares GROUP BY 1"
        ).fetchall()
    )
    assert per_post["facebook/1"] == [
        "domain:31", "hashtag:21", "hashtag:22", "image:41", "url:11", "url:12",
    ]  # fmt: skip
    assert per_post["twitter/3"] == ["domain:31", "image:41", "url:11"]  # 11.0 is id 11
    assert per_post["twitter/1"] == ["domain:32", "hashtag:23", "url:13"]
    assert store.count("posts") == 5  # facebook/1 and twitter/1 are two posts


def test_german_layout_without_platform_column_takes_platform_option(store, tmp_path):
    plain = tmp_path / "german.csv"
    lines = WIDE.read_text().splitlines()
    plain.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    ingest(store, [plain], platform="Facebook")
    assert store.con.execute("SELECT DISTINCT platform FROM shares").fetchall() == [("facebook",)]


def test_detection_keeps_coortweet_layout_and_needs_clear_markers(tmp_path):
    def detected(header: str) -> str:
        path = tmp_path / "f.csv"
        path.write_text(header + "\n")
        return detect_format(sniff(next(iter_sources(path)))).name

    coortweet = "object_id,account_id,content_id,timestamp_share"
    assert detected(coortweet) == "coortweet"
    assert detected(coortweet + ",object_type") == "shares"
    assert detected("account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp") == (
        "shares"
    )
    fmt = registered_formats()["shares"]
    path = tmp_path / "g.csv"
    path.write_text("account_id,post_id,url,timestamp\n")  # "url": the post's own link?
    assert fmt.detect(sniff(next(iter_sources(path)))) == 0
    with pytest.raises(MissingColumnError, match="object_type with object_id"):
        fmt.stage_sql(("account_id", "post_id"), fmt_context())


def fmt_context() -> Any:
    from infoscope.ingest.formats import ReadContext

    return ReadContext()


# -- traces read object types -----------------------------------------------------------


def test_traces_read_shares_of_their_type_across_platforms(election):
    fb1, fb2, fb3 = "facebook:fb_1", "facebook:fb_2", "facebook:fb_3"
    tw1, tw2 = "twitter:tw_1", "twitter:tw_2"
    # URLs: fb_1, fb_2, tw_1 share example.org/a and news.example.com/b within minutes;
    # tw_2 shares example.org/a a day later (outside the hour) and other.org/c.
    assert pairs(election, "co-link", platform="all", window=3600) == {
        (fb1, fb2): 2, (fb1, tw1): 2, (fb2, tw1): 2,
    }  # fmt: skip
    # Domains: fb_3's domain share joins example.org; tw_2's other.org/c is alone.
    domains = pairs(election, "co-link", platform="all", window=3600, link_level="domain")
    assert domains[(fb1, fb3)] == 1 and domains[(fb3, tw1)] == 1 and domains[(fb1, tw1)] == 2
    # Images: the same hash from both platforms, twice.
    assert pairs(election, "co-image", platform="all", window=3600) == {
        (fb1, fb2): 2, (fb1, tw1): 2, (fb2, tw1): 2,
    }  # fmt: skip
    # Each hashtag an object: "wahl" (fb_1, tw_2, fb_2 within 60 s), "btw21" (fb_1, tw_1).
    assert pairs(election, "co-hashtag", platform="all", window=3600, hashtag_mode="each") == {
        (fb1, fb2): 1, (fb1, tw1): 1, (fb1, tw2): 1, (fb2, tw2): 1,
    }  # fmt: skip
    # Sequences (sorted hashtags of a post): only "wahl" alone is posted twice.
    assert pairs(election, "co-hashtag", platform="all", window=3600, min_hashtags=1) == {
        (fb2, tw2): 1
    }
    # Rare hashtags (at most 2 accounts): btw21 only.
    rare = pairs(
        election, "co-hashtag", platform="all", window=3600, hashtag_mode="rare",
        rare_hashtag_accounts=2,
    )  # fmt: skip
    assert rare == {(fb1, tw1): 1}


def test_one_platform_keeps_plain_ids_and_ignores_the_others(election):
    assert pairs(election, "co-link", platform="facebook", window=3600) == {("fb_1", "fb_2"): 2}
    assert pairs(election, "co-image", platform="twitter", window=3600) == {}


def test_ids_shared_by_two_platforms_never_merge(store):
    # Account "1" and post "10" exist on both platforms: across platforms they are four
    # accounts' posts, never one account's.
    posts = [
        {"platform": p, "post_id": pid, "account_id": acc, "created_at": T0, "kind": "original",
         "urls": ["example.org/x"], "media_ids": [media]}
        for p, pid, acc, media in (
            ("facebook", "10", "1", "m1"), ("twitter", "10", "1", "m1"),
            ("facebook", "11", "2", "m1"), ("twitter", "11", "2", "m1"),
        )
    ]  # fmt: skip
    store.insert("posts", pa.Table.from_pylist(posts, schema=POST_SCHEMA))
    both = pairs(store, "co-link", platform="facebook,twitter", window=60)
    assert set(both) == {
        ("facebook:1", "facebook:2"), ("facebook:1", "twitter:1"), ("facebook:1", "twitter:2"),
        ("facebook:2", "twitter:1"), ("facebook:2", "twitter:2"), ("twitter:1", "twitter:2"),
    }  # fmt: skip
    # Media ids are a platform's own: m1 on facebook is not m1 on twitter.
    assert set(pairs(store, "co-image", platform="all", window=60)) == {
        ("facebook:1", "facebook:2"),
        ("twitter:1", "twitter:2"),
    }


def test_platform_option_is_checked():
    with pytest.raises(BadParameterError, match="several separated by commas"):
        TraceOptions(platform="all,twitter")
    with pytest.raises(BadParameterError, match="choose sequence, rare, each"):
        TraceOptions(hashtag_mode="every")
    assert platforms_text(["twitter"]) == "on twitter"
    assert platforms_text(["twitter", "facebook"]) == "across facebook and twitter"
    assert trace_label("co-link", "url", ["facebook", "twitter"]) == (
        "co-link (url) across facebook and twitter"
    )
    assert trace_label("co-retweet", "retweet", ["twitter"]) == "co-retweet on twitter"


# -- runs across platforms, their platform mix and account links ----------------------------


def _run(store: Store, **options: Any) -> Any:
    return run_coordination(
        store,
        ["co-link", "co-image", "co-hashtag"],
        TraceOptions(platform="all", hashtag_mode="each", **options),
        alpha=None,
        seed=1,
    )


def test_cross_platform_run_names_platforms_object_types_and_the_mix(election):
    run = _run(election)
    s = run.summary
    assert s["platforms"] == ["facebook", "twitter"] and s["cross_platform"] is True
    link = s["traces"]["co-link"]
    assert link["label"] == "co-link (url) across facebook and twitter"
    assert link["object_type"] == "url" and link["platforms"] == {"facebook": 2, "twitter": 2}
    assert s["traces"]["co-image"]["label"] == "co-image across facebook and twitter"
    (cluster,) = run.clusters
    assert cluster["platforms"] == {
        "facebook": {"accounts": 2, "posts": 4},  # p1, p2, p4, p5
        "twitter": {"accounts": 1, "posts": 2},  # p3, p6
    }
    assert cluster["cross_platform_edges"] == 4  # fb_1-tw_1 and fb_2-tw_1 in both traces
    assert cluster["trace_labels"]["co-link"] == "co-link (url) across facebook and twitter"
    assert {(a["platform"], a["account_id"], a["account_key"]) for a in cluster["accounts"]} == {
        ("facebook", "fb_1", "facebook:fb_1"),
        ("facebook", "fb_2", "facebook:fb_2"),
        ("twitter", "tw_1", "twitter:tw_1"),
    }
    # The stored rows: accounts with their platform and id, evidence with the platforms' own
    # post ids and the platform of each.
    members = rows(election, "SELECT platform, account_id, account_key FROM coordination_accounts")
    assert {m["account_key"] for m in members} == {"facebook:fb_1", "facebook:fb_2", "twitter:tw_1"}
    evidence = rows(
        election,
        "SELECT * FROM coordination_evidence WHERE account_a = 'facebook:fb_1' "
        "AND account_b = 'twitter:tw_1' AND trace = 'co-link' ORDER BY at_a",
    )
    assert [(e["platform_a"], e["post_a"], e["platform_b"], e["post_b"]) for e in evidence] == [
        ("facebook", "p1", "twitter", "p3"),
        ("facebook", "p4", "twitter", "p6"),
    ]
    # Single-platform runs keep plain ids.
    alone = run_coordination(
        election, ["co-link"], TraceOptions(platform="facebook"), alpha=None, seed=1
    )
    assert alone.summary["traces"]["co-link"]["label"] == "co-link (url) on facebook"
    keys = rows(
        election,
        "SELECT account_key, account_id FROM coordination_accounts WHERE run_id = ?",
        [alone.run_id],
    )
    assert all(k["account_key"] == k["account_id"] for k in keys)


def test_cli_names_platforms_and_shows_the_mix_and_links(store_path, tmp_path):
    with Store.open(store_path) as store:
        ingest(store, [LONG])
    links = tmp_path / "links.csv"
    links.write_text(
        "platform_a,account_a,platform_b,account_b,note\n"
        "facebook,@heimat_news,twitter,tw_1,same party office\n"
        "facebook,fb_2,facebook,fb_2,\n"
        "twitter,tw_2,facebook,\n"
    )
    added = run_cli("accounts", "link", str(links), "--store", str(store_path))
    assert added.exit_code == 0, added.output
    assert "links added: analyst 1" in added.stdout
    assert "an account linked to itself 1" in added.stdout
    result = run_cli(
        "coordination", "--store", str(store_path), "--platform", "all", "--traces",
        "co-link,co-image", "--alpha", "none", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "significant edges across facebook and twitter" in out
    assert "url, facebook 2, twitter 2" in out  # co-link's objects and accounts per platform
    assert "co-link (url) across facebook and twitter 3" in out
    assert "platforms: facebook 2 accounts (4 posts), twitter 1 accounts (2 posts)" in out
    assert "@heimat_news (facebook)" in out
    assert "linked: @heimat_news (facebook) = @heimat_tw (twitter), analyst" in out
    assert "actors: 2 among 3 accounts" in out
    listed = run_cli("accounts", "links", "--store", str(store_path), "--json")
    (link,) = json.loads(listed.stdout)
    assert (link["account_a"], link["account_b"], link["note"]) == (
        "fb_1",
        "tw_1",
        "same party office",
    )
    evidence = run_cli(
        "coordination", "evidence", "facebook:fb_1", "twitter:tw_1", "--store", str(store_path),
        "--trace", "co-link",
    )  # fmt: skip
    assert evidence.exit_code == 0, evidence.output
    assert "co-link (url) across facebook and twitter: facebook:fb_1 ~ twitter:tw_1" in (
        evidence.stdout
    )
    assert "facebook p1 at" in evidence.stdout and "twitter p3 at" in evidence.stdout


def test_profile_shows_links_with_their_evidence_without_merging(election):
    summary = add_account_links(election, _links_file(election.path.parent))
    assert summary.added == {"analyst": 1}
    run = _run(election)
    (cluster,) = run.clusters
    assert cluster["size"] == 3 and cluster["actors"] == 2  # fb_1 and tw_1: one actor
    (link,) = cluster["linked_accounts"]
    assert (link["a"]["account_key"], link["b"]["account_key"]) == (
        "facebook:fb_1",
        "twitter:tw_1",
    )
    assert link["same_cluster"] and link["method"] == "analyst"
    assert "row 1" in link["evidence"]
    # The network is the same with or without the link: nothing is merged.
    members = rows(election, "SELECT count(*) AS n FROM coordination_accounts WHERE run_id = ?",
                   [run.run_id])  # fmt: skip
    assert members[0]["n"] == 3


def _links_file(folder: Path) -> Path:
    path = folder / "same-actor.csv"
    path.write_text("platform_a,account_a,platform_b,account_b\ntwitter,tw_1,facebook,fb_1\n")
    return path


def test_exact_matches_link_profile_urls_same_urls_and_handles_only_when_unique(store):
    accounts = [
        # fb_a's profile URL is tw_a's Twitter address: profile-url.
        ("facebook", "fb_a", "party_a", "https://www.twitter.com/Party_A_TW/"),
        ("twitter", "tw_a", "party_a_tw", "https://party-a.example/"),
        # tg_a gives the same website as tw_a: same-url.
        ("telegram", "tg_a", "partya", "http://www.party-a.example"),
        # Two telegram channels give the same URL: ambiguous, no link.
        ("telegram", "tg_b", "b1", "https://shared.example"),
        ("telegram", "tg_c", "b2", "https://shared.example"),
        ("twitter", "tw_b", "b3", "https://shared.example/"),
        # The same handle on two platforms: only with same-handle.
        ("twitter", "tw_c", "citizen_x", None),
        ("vk", "vk_c", "Citizen_X", None),
    ]
    table = pa.Table.from_pylist(
        [{"platform": p, "account_id": a, "handle": h, "url": u} for p, a, h, u in accounts],
        schema=ACCOUNT_SCHEMA,
    )
    store.insert("accounts", table)
    found = match_account_links(store)
    assert found.added == {"profile-url": 1, "same-url": 1}
    assert found.skipped == {"URL given by several accounts of one platform": 1}
    got = {
        (r["account_a"], r["account_b"], r["method"]): r["evidence"] for r in account_links(store)
    }
    assert "https://www.twitter.com/Party_A_TW/" in got[("fb_a", "tw_a", "profile-url")]
    assert got[("tg_a", "tw_a", "same-url")] == "both give party-a.example"
    handles = match_account_links(store, by=("same-handle",))
    assert handles.added == {"same-handle": 1}
    assert account_links(store, account="@citizen_x")[0]["evidence"] == "handle @citizen_x on both"
    # Matching again stores nothing new.
    assert match_account_links(store).known == 2
    assert profile_target("https://mastodon.social/@alice") == ("mastodon", "alice@mastodon.social")
    assert profile_target("https://twitter.com/search") is None
    with pytest.raises(BadParameterError, match="choose from profile-url"):
        match_account_links(store, by=("similar-name",))


def test_links_file_needs_its_columns(store, tmp_path):
    bad = tmp_path / "links.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(MissingColumnError, match="platform_a, account_a, platform_b, account_b"):
        add_account_links(store, bad)


# -- stores of schema 13 ------------------------------------------------------------------


def test_older_store_gets_account_keys_and_evidence_platforms(store_path):
    with Store.open(store_path) as store:
        ingest(store, [LONG])
        run = run_coordination(
            store, ["co-link"], TraceOptions(platform="facebook"), alpha=None, seed=1
        )
        # As schema 13 left them: without the new columns and tables.
        store.con.execute("ALTER TABLE coordination_accounts DROP COLUMN account_key")
        for column in ("platform_a", "platform_b"):
            store.con.execute(f"ALTER TABLE coordination_evidence DROP COLUMN {column}")
        store.con.execute("DROP TABLE account_links")
        store.con.execute("UPDATE meta SET value = '13' WHERE key = 'schema_version'")
    from infoscope.coordination import edge_evidence
    from infoscope.coordination.view import coordination_view

    # Read as it is (a report on a store not yet opened for writing): one platform, keys = ids.
    with Store.open(store_path, read_only=True) as store:
        view = coordination_view(store)
        assert view is not None and view["clusters"][0]["evidence_edges"][0]["evidence"]
        (edge,) = edge_evidence(store, "fb_1")
        assert edge["evidence"][0]["platform_a"] is None and edge["objects"] == 2
    with Store.open(store_path) as store:
        assert store.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)
        keys = rows(store, "SELECT account_id, account_key FROM coordination_accounts")
        assert keys and all(k["account_id"] == k["account_key"] for k in keys)
        platforms = rows(store, "SELECT DISTINCT platform_a, platform_b FROM coordination_evidence")
        assert platforms == [{"platform_a": "facebook", "platform_b": "facebook"}]
        assert store.has_table("account_links")
        view = coordination_view(store)
        assert view is not None and view["run_id"] == run.run_id
        assert view["clusters"][0]["evidence_edges"][0]["evidence"]


# -- real data -----------------------------------------------------------------------------


def test_real_coortweet_shares_in_the_long_layout_give_the_same_co_retweets(tmp_path):
    real = shared("coordination/russian-coord-tweets-2021.csv.gz")
    long = tmp_path / "russian-long.csv"
    with gzip.open(real, "rt", encoding="utf-8") as src, long.open("w", encoding="utf-8") as out:
        header = src.readline().strip().split(",")
        assert header == ["object_id", "account_id", "content_id", "timestamp_share"]
        out.write("object_type,object_id,account_id,content_id,timestamp_share\n")
        for line in src:
            out.write("retweet," + line)
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        assert ingest(a, [real]).formats == {"coortweet": 1}
        summary = ingest(b, [long], platform="twitter")
        assert summary.formats == {"shares": 1}
        assert (summary.store.shares, summary.duplicates) == (35_124, 1)
        # The coortweet format keys a post by share; the long layout by post, its objects
        # as shares: the co-retweet pairs are the same.
        assert pairs(a, "co-retweet", window=60) == pairs(b, "co-retweet", window=60)
