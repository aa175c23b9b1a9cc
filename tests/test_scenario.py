"""The scenario generator: determinism, the planted structure, round trips, bounded memory.

The structure tests share one scenario of 20,000 posts over a week (module fixture) and check
each planted trace against the ground truth the generator wrote, measured on the corpus file
itself (as an analysis would see it), never on the generator's internals.
"""

from __future__ import annotations

import csv
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest

from infoscope.errors import BadParameterError
from infoscope.ingest import ingest
from infoscope.scenario import ScenarioConfig, generate_scenario, scenario_formats
from infoscope.scenario.generate import Generator
from infoscope.scenario.text import Lexicon, organic_weights
from infoscope.store import Store

from .conftest import rows, run_cli

CONFIG = ScenarioConfig(posts=20_000, days=7, seed=11)


def _time(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


@pytest.fixture(scope="module")
def scen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("scenario")
    manifest = generate_scenario(CONFIG, out, workers=1)
    with open(out / "truth_accounts.csv", encoding="utf-8") as f:
        accounts = {r["account_id"]: r for r in csv.DictReader(f)}
    tweets = [orjson.loads(line) for line in (out / "tweets.jsonl").read_bytes().splitlines()]
    return {"out": out, "manifest": manifest, "accounts": accounts, "tweets": tweets}


def _retweet_gaps(scen: dict[str, Any], who: Any) -> np.ndarray:
    """Seconds between each retweet by an account `who` accepts and the tweet it retweets."""
    gaps = []
    for t in scen["tweets"]:
        for ref in t.get("referenced_tweets", []):
            if ref["type"] == "retweeted" and who(scen["accounts"][t["author_id"]], ref):
                gaps.append(_time(t["created_at"]) - _time(ref["created_at"]))
    return np.array(gaps)


def _words(text: str) -> list[str]:
    """The words of a post body: no mentions, hashtags, links, emoji or end punctuation."""
    words = (w.strip("!?.") for w in text.split() if not w.startswith(("@", "#", "http")))
    return [w for w in words if w.replace("-", "").isalpha()]


def _keyword_share(scen: dict[str, Any], keywords: set[str], who: Any) -> tuple[float, int]:
    n = hits = 0
    for t in scen["tweets"]:
        refs = t.get("referenced_tweets", [])
        retweet = bool(refs) and refs[0]["type"] == "retweeted"
        if retweet or not who(scen["accounts"][t["author_id"]]):
            continue
        words = _words(t["text"])
        n += len(words)
        hits += sum(w in keywords for w in words)
    return hits / n, n


# -- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    small = ScenarioConfig(posts=3_000, days=3)
    first = generate_scenario(small, tmp_path / "a", seed=5, workers=1)
    again = generate_scenario(small, tmp_path / "b", seed=5, workers=1)
    # The two-process writer serialises the same bytes.
    parallel = generate_scenario(small, tmp_path / "c", seed=5, workers=2)
    other = generate_scenario(small, tmp_path / "d", seed=6, workers=1)
    assert first.files == again.files == parallel.files
    manifest = (tmp_path / "a" / "scenario.json").read_bytes()
    assert manifest == (tmp_path / "b" / "scenario.json").read_bytes()
    for name, digest in first.files.items():
        assert other.files[name]["sha256"] != digest["sha256"], name
    assert first.config.seed == 5 and orjson.loads(manifest)["seed"] == 5


# -- counts and the truth files --------------------------------------------------------------


def test_exact_counts_and_truth_files(scen: dict[str, Any]) -> None:
    counts = scen["manifest"].counts
    out = scen["out"]
    assert counts["posts"] == len(scen["tweets"]) == 20_000
    assert counts["planted_posts"] + counts["organic_posts"] == 20_000
    truth = pq.read_table(out / "truth_posts.parquet").to_pydict()
    assert len(truth["post_id"]) == 20_000
    assert truth["post_id"] == [t["id"] for t in scen["tweets"]]  # same ids, same order
    assert sum(truth["planted"]) == counts["planted_posts"]
    # Every planted post has an operation, a persona and a trace; no organic post has them.
    for planted, op, persona, trace in zip(
        truth["planted"], truth["operation_id"], truth["persona"], truth["trace"], strict=True
    ):
        assert (op is not None and persona is not None and trace is not None) == planted
    # Operation members: 2 operations of 40, at least one of each persona.
    members = [a for a in scen["accounts"].values() if a["role"] == "operation"]
    assert len(members) == 80 == counts["operation_accounts"]
    assert {(a["operation_id"], a["persona"]) for a in members} == {
        (op, p) for op in ("op1", "op2") for p in ("news-front", "amplifier", "automated", "troll")
    }
    assert sum(int(a["posts"]) for a in scen["accounts"].values()) == 20_000
    assert scen["manifest"].files["tweets.jsonl"]["bytes"] == (out / "tweets.jsonl").stat().st_size


# -- the planted structure -------------------------------------------------------------------


def test_amplifiers_retweet_within_seconds_organic_accounts_within_hours(scen: dict) -> None:
    amplifiers = _retweet_gaps(scen, lambda a, ref: a["persona"] == "amplifier")
    organic = _retweet_gaps(scen, lambda a, ref: a["role"] == "organic")
    assert amplifiers.size > 500 and organic.size > 5_000
    # Configured median delay: 30 s (lognormal); organic retweets follow over hours.
    assert 15 < np.median(amplifiers) < 60
    assert np.mean(amplifiers <= 120) > 0.85
    assert np.median(organic) > 100 * np.median(amplifiers)


def test_narrative_shifts_word_frequencies_as_configured(scen: dict) -> None:
    lexicon = Lexicon()
    counts = scen["manifest"].counts

    def share(lang: str, topic: str, keywords: tuple[str, ...]) -> float:
        """Expected share of `keywords` in organic posts about `topic`."""
        dist = lexicon.add(f"{lang}/{topic}", organic_weights(lexicon, lang, topic))
        return lexicon.keyword_share(dist, keywords)

    for op in counts["operations"]:
        keywords = set(op["keywords"])
        base = share(op["language"], op["topic"], tuple(keywords))
        expected = CONFIG.narrative_shift + (1 - CONFIG.narrative_shift) * base
        # The target community talks about the operation's topic and two others.
        community = counts["community_topics"][op["target_community"]]
        assert community["topics"][0] == op["topic"]
        expected_target = sum(
            w * share(op["language"], t, tuple(keywords))
            for t, w in zip(community["topics"], community["weights"], strict=True)
        )
        planted, n_planted = _keyword_share(
            scen, keywords, lambda a, op=op: a["operation_id"] == op["id"]
        )
        target, n_target = _keyword_share(
            scen,
            keywords,
            lambda a, op=op: (
                a["community"] == str(op["target_community"])
                and a["role"] == "organic"
                and a["sympathiser"] == "false"
            ),
        )
        assert n_planted > 3_000 and n_target > 10_000
        assert planted == pytest.approx(expected, abs=0.03), op["id"]
        assert target == pytest.approx(expected_target, abs=0.005), op["id"]
        assert 0 < base < 0.1  # the narrative words exist organically, only rarely


def test_automated_accounts_post_at_regular_intervals(scen: dict) -> None:
    times: dict[str, list[float]] = {}
    for t in scen["tweets"]:
        times.setdefault(t["author_id"], []).append(_time(t["created_at"]))
    cv: dict[str, list[float]] = {"automated": [], "organic": []}
    for account, ts in times.items():
        gaps = np.diff(sorted(ts))
        role = scen["accounts"][account]
        if role["persona"] == "automated" and len(ts) >= 5:
            cv["automated"].append(gaps.std() / gaps.mean())
        elif role["role"] == "organic" and len(ts) >= 10:
            cv["organic"].append(gaps.std() / gaps.mean())
    assert len(cv["automated"]) == 16 and len(cv["organic"]) > 200
    assert max(cv["automated"]) < 3 * CONFIG.automated_cv
    assert np.median(cv["organic"]) > 0.7


def test_troll_posting_hours_contradict_their_claimed_location(scen: dict) -> None:
    night: dict[str, list[bool]] = {"troll": [], "organic": []}
    for t in scen["tweets"]:
        account = scen["accounts"][t["author_id"]]
        claimed = account["claimed_timezone"]
        group = "troll" if account["persona"] == "troll" else account["role"]
        if claimed and group in night:
            local = datetime.fromisoformat(t["created_at"]).astimezone(ZoneInfo(claimed))
            night[group].append(local.hour < 7)
    trolls = [a for a in scen["accounts"].values() if a["persona"] == "troll"]
    assert all(a["claimed_timezone"] not in ("", a["true_timezone"]) for a in trolls)
    assert len(night["troll"]) > 300
    # Office hours at home are the small hours where they claim to live.
    assert np.mean(night["troll"]) > 0.5
    assert np.mean(night["organic"]) < 0.15


def test_sympathisers_adopt_the_narrative_without_coordinating(scen: dict) -> None:
    sympathisers = {k: a for k, a in scen["accounts"].items() if a["sympathiser"] == "true"}
    assert sympathisers and all(a["role"] == "organic" for a in sympathisers.values())
    for op in scen["manifest"].counts["operations"]:
        keywords = set(op["keywords"])
        adopted, _ = _keyword_share(
            scen, keywords, lambda a, op=op: a["adopts_narrative_of"] == op["id"]
        )
        organic, _ = _keyword_share(
            scen,
            keywords,
            lambda a, op=op: (
                a["community"] == str(op["target_community"])
                and a["sympathiser"] == "false"
                and a["role"] == "organic"
            ),
        )
        assert adopted > 4 * organic
    # They retweet news-fronts, but hours later, like any organic account, never in a burst.
    gaps = _retweet_gaps(
        scen,
        lambda a, ref: (
            a["sympathiser"] == "true"
            and scen["accounts"][ref["author_id"]]["persona"] == "news-front"
        ),
    )
    assert gaps.size > 20
    assert gaps.min() > 120 and np.median(gaps) > 3600
    truth = pq.read_table(scen["out"] / "truth_posts.parquet").to_pydict()
    theirs = [i for i, a in enumerate(truth["account_id"]) if a in sympathisers]
    assert not any(truth["planted"][i] for i in theirs)
    assert 0 < sum(truth["narrative"][i] for i in theirs) < len(theirs)


def test_planted_traces_are_all_present(scen: dict) -> None:
    by_trace = scen["manifest"].counts["by_trace"]
    for trace in ("seed", "amplification", "near-duplicate", "automated", "troll"):
        assert by_trace[trace] > 50, trace
    # Campaign hashtags and the operations' domains are shared by planted posts.
    tags = {h.lower() for op in scen["manifest"].counts["operations"] for h in op["hashtags"]}
    domains = {d for op in scen["manifest"].counts["operations"] for d in op["domains"]}
    tagged = linked = 0
    for t in scen["tweets"]:
        entities = t.get("entities", {})
        tagged += any(h["tag"].lower() in tags for h in entities.get("hashtags", []))
        linked += any(u["expanded_url"].split("/")[2] in domains for u in entities.get("urls", []))
    assert tagged >= by_trace["hashtag-campaign"] and linked >= by_trace["link"] > 100


# -- the real importers ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", scenario_formats())
def test_every_format_goes_through_ingest_without_quarantine(tmp_path: Path, fmt: str) -> None:
    manifest = generate_scenario(ScenarioConfig(posts=2_000, days=3, seed=2), tmp_path, format=fmt)
    assert manifest.corpus.name in {
        "tweets.jsonl",
        "tweets.csv",
        "result.json",
        "statuses.jsonl",
        "jetstream.jsonl",
    }
    with Store.open(tmp_path / "store.duckdb") as store:
        summary = ingest(store, [manifest.corpus])  # format detected, no --format
        assert dict(summary.formats) == {fmt: 1}
        assert summary.posts == 2_000
        assert sum(summary.quarantined.values()) == 0
        assert summary.duplicates == 0
        # The truth joins the store on the ids the importer stored, with the same kinds.
        joined = rows(
            store,
            "SELECT count(*) AS n, count(*) FILTER (WHERE p.kind = t.kind) AS same_kind "
            "FROM read_parquet(?) t JOIN posts p USING (post_id)",
            [str(tmp_path / "truth_posts.parquet")],
        )[0]
        assert joined == {"n": 2_000, "same_kind": 2_000}
        posting = rows(
            store,
            "SELECT count(*) AS n, count(a.account_id) AS stored "
            "FROM read_csv(?, all_varchar = true) t "
            "LEFT JOIN accounts a ON a.account_id = t.account_id WHERE t.posts::INT > 0",
            [str(tmp_path / "truth_accounts.csv")],
        )[0]
        assert posting["n"] == posting["stored"] == manifest.counts["accounts_with_posts"]


# -- memory ----------------------------------------------------------------------------------


def test_memory_is_bounded_by_the_time_slice(tmp_path: Path) -> None:
    def peak(posts: int) -> tuple[int, int]:
        config = ScenarioConfig(posts=posts, accounts=400, days=3, chunk_posts=500)
        largest = 0

        def track(n: int) -> None:
            nonlocal largest
            largest = max(largest, n)

        tracemalloc.start()
        try:
            generate_scenario(
                config, tmp_path / str(posts), format="io-archive", workers=1, progress=track
            )
            return tracemalloc.get_traced_memory()[1], largest
        finally:
            tracemalloc.stop()

    generate_scenario(ScenarioConfig(posts=300), tmp_path / "warm", workers=1)  # imports
    small, _ = peak(4_000)
    large, largest = peak(16_000)
    # Four times the posts, not four times the memory: the generator holds a slice at a time
    # (about chunk_posts posts) plus the bounded pool of recent posts.
    assert largest <= 2 * 500
    assert large < 1.2 * small
    corpus = (tmp_path / "16000" / "tweets.csv").stat().st_size
    assert large < corpus / 1.5  # less than the corpus' text, let alone its Python objects


def test_slices_follow_chunk_posts() -> None:
    gen = Generator(ScenarioConfig(posts=200_000, days=1, chunk_posts=2_000))
    assert gen.timeline.slice_s == 300  # 2.3 posts a second, peaks twice that: 1,400 a slice
    assert Generator(ScenarioConfig(posts=1_000)).timeline.slice_s == 3600


# -- parameters and the command line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"posts": 10}, "posts must be at least 100"),
        ({"seed": -1}, "seed must be 0 or more"),
        ({"languages": ("en", "fr"), "language_shares": (0.5, 0.5)}, "languages must be among"),
        ({"language_shares": (1.0,)}, "one positive share per language"),
        ({"operation_size": 3}, "operation_size must be at least 4"),
        ({"operation_share": 0.9}, "operation_share must be in"),
        ({"narrative_shift": 1.5}, "narrative_shift must be between 0 and 1"),
        ({"start": "1 Jan 2024"}, "start must be a date"),
        ({"operation_timezones": ("Mars/Olympus",)}, "unknown time zone"),
        ({"accounts": 60}, "accounts must exceed the operations' members"),
    ],
)
def test_invalid_parameters_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(BadParameterError, match=message):
        ScenarioConfig(**changes)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadParameterError, match="choose one of: twitter-v2, io-archive"):
        generate_scenario(ScenarioConfig(posts=500), tmp_path, format="csv")


def test_a_scenario_without_operations_is_all_organic(tmp_path: Path) -> None:
    manifest = generate_scenario(ScenarioConfig(posts=1_000, operations=0), tmp_path)
    assert manifest.counts["planted_posts"] == 0 and manifest.counts["operations"] == []
    assert manifest.counts["posts"] == 1_000


def test_cli_simulate_prints_the_manifest(tmp_path: Path) -> None:
    result = run_cli(
        "simulate", "--posts", "1000", "--seed", "3", "--out", str(tmp_path),
        "--format", "telegram", "--languages", "ru,en", "--json", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert data["seed"] == 3 and data["format"] == "telegram"
    assert data["counts"]["posts"] == 1_000 and data["config"]["languages"] == ["ru", "en"]
    assert sorted(data["files"]) == ["result.json", "truth_accounts.csv", "truth_posts.parquet"]
    bad = run_cli("simulate", "--posts", "1000", "--out", str(tmp_path), "--languages", "xx")
    assert bad.exit_code == 1 and "languages must be among" in bad.output
