"""Tokens, term counts, groups, and whole signature and resonance runs on both engines.

Each test fills a fresh DuckDB store with the fixtures of ``test_language_tokens`` (posts in
several languages and scripts, one per case, with its expected tokens),
``test_language_resonance`` (12 labelled accounts, red and blue, and three unlabelled ones)
or its own (posts without a language; a target and a reference group that overlap in part),
exports it as Parquet and runs on DuckDB and on Spark (local[2], one session for the test
run): the rows must be the same, and where a test states them, the expected ones. Nothing
here collects through pandas (pyspark's ``toPandas``): warnings are errors.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import ibis
import pytest

from infoscope.common.langid import MODEL, identify_language
from infoscope.engine import Engine, as_engine
from infoscope.language import detect
from infoscope.language.detect import DETECTED_TABLE, detect_languages, posts_with_language
from infoscope.language.groups import GroupSpec, group_accounts, group_posts
from infoscope.language.reference import describe_overlap, event_terms, match_posts
from infoscope.language.signature import term_counts
from infoscope.language.tokens import KINDS, TokenOptions, post_tokens
from infoscope.store import Store

from .conftest import cli_json, rows, run_cli
from .test_coordination_traces import insert, post
from .test_engine_coordination import same_rows
from .test_language_resonance import _fill
from .test_language_tokens import POSTS, _ingest, _tweet

# Beyond test_language_tokens' POSTS (post id -> lang, text, expected unigrams):
EXTRA: dict[str, tuple[str | None, str, list[str]]] = {
    # Case folding: Spark's own lower() makes a word-final Σ a final sigma (ς) and İ an i
    # with a combining dot; both engines give DuckDB's σ and i, in words and hashtags.
    # 'ΟΔΟΣ' is no Greek stop-word; 'ο' has one letter.
    "fold": (
        "el",
        "ΟΔΟΣ İSTANBUL ο #ΣΠΑΡΤΗΣ",
        ["οδοσ", "istanbul", "#σπαρτησ"],
    ),
    # Numbers (kind number), inner hyphens and apostrophes, scripts without spaces,
    # a mention and two links on one domain (one token each).
    "mixed": (
        "en",
        "e-mail O'Brien 3.5 2016 中文字 @Alice https://www.Example.org/a http://example.org/b",
        ["e-mail", "o'brien", "3.5", "2016", "中文字", "@alice", "domain:example.org",
         "domain:example.org"],
    ),
}  # fmt: skip


def _tokens(engine: Engine, options: TokenOptions) -> dict[str, Counter[str]]:
    table = engine.to_arrow(post_tokens(engine.table("posts"), options, engine=engine))
    out: dict[str, Counter[str]] = {}
    for r in table.select(["post_id", "token"]).to_pylist():
        out.setdefault(r["post_id"], Counter())[r["token"]] += 1
    return out


def test_tokens_are_the_same_on_every_engine(store, tmp_path, on):
    cases = {**POSTS, **EXTRA}
    _ingest(store, tmp_path / "t.jsonl", [_tweet(p, lg, t) for p, (lg, t, _) in cases.items()])
    engine = on(store)
    got = _tokens(engine, TokenOptions(kinds=KINDS, ngrams=2))
    unigrams = {p: Counter({t: n for t, n in c.items() if " " not in t}) for p, c in got.items()}
    for post_id, (_lang, _text, expected) in cases.items():
        assert unigrams.get(post_id, Counter()) == Counter(expected), post_id
    # Bigrams of adjacent kept words, within a post only.
    assert {t for t in got["repeat"] if " " in t} == {"pipeline pipeline", "pipeline gas"}
    assert {t for t in got["fold"] if " " in t} == {"οδοσ istanbul"}
    assert got["mixed"]["o'brien 3.5"] == 1 and got["mixed"]["2016 中文字"] == 1
    # And the same multiset, pair for pair, as DuckDB (the reference).
    assert got == _tokens(as_engine(store), TokenOptions(kinds=KINDS, ngrams=2))


def _counts(engine: Engine, accounts: list[str]) -> tuple[list[dict[str, Any]], int, int]:
    posts = engine.table("posts")
    tokens = post_tokens(posts.filter(posts.account_id.isin(accounts)), engine=engine)
    table, total, accounts_n = term_counts(tokens, engine=engine)
    return sorted(table.to_pylist(), key=lambda r: r["term"]), total, accounts_n


def test_term_counts_are_the_same_on_every_engine(store, tmp_path, on):
    _fill(store, tmp_path)
    chosen = ["r1", "r2", "b1", "quiet"]
    got, total, accounts = _counts(on(store), chosen)
    # r1, r2 and b1: 8 posts of 5 words each; quiet: one post, 'sanctions'.
    assert (total, accounts) == (3 * 8 * 5 + 1, 4)
    assert {r["term"]: (r["uses"], r["accounts"]) for r in got} == {
        "sanctions": (17, 3), "pipeline": (16, 2), "sovereignty": (16, 2),
        "garden": (8, 1), "recipe": (8, 1), "bakery": (8, 1), "people": (24, 3), "city": (24, 3),
    }  # fmt: skip
    assert {r["term"]: r["top_share"] for r in got}["sanctions"] == pytest.approx(8 / 17)
    reference, *totals = _counts(as_engine(store), chosen)
    same_rows(got, reference)
    assert [total, accounts] == totals


GROUPS = [
    # spec, other (for rest), expected accounts
    ("label:team=red", None, {f"r{a}" for a in range(1, 7)}),
    ("label:team=red|blue", None, {f"{s}{a}" for s in "rb" for a in range(1, 7)}),
    ("community:c-run:1|2", None, {"r1", "b2", "redfan"}),
    ("accounts:{list}", None, {"r1", "bluefan"}),
    ("rest", "label:team=blue", {f"r{a}" for a in range(1, 7)} | {"redfan", "bluefan", "quiet"}),
    ("window:2024-05-01..2024-05-02", None, "every"),
    ("window:2024-04-01..2024-05-01", None, set()),
]


def test_groups_are_the_same_on_every_engine(store, tmp_path, on):
    _fill(store, tmp_path)
    # A stored communities run (only its nodes matter): r1 and b2 in community 1, redfan in
    # 2, quiet in 3; community groups come from the store whatever the engine.
    for account, community in (("r1", 1), ("b2", 1), ("redfan", 2), ("quiet", 3)):
        store.con.execute(
            "INSERT INTO network_nodes VALUES ('c-run', 'twitter', ?, NULL, true, 8, ?, NULL, "
            "1, 0, 0, 0, 0)",
            [account, community],
        )
    listed = tmp_path / "accounts.txt"
    listed.write_text("r1\n@BlueFan\n# a comment\n", encoding="utf-8")
    engine = on(store)
    every = {r["account_id"] for r in rows(store, "SELECT DISTINCT account_id FROM posts")}
    for spec, other, expected in GROUPS:
        parsed = GroupSpec.parse(spec.format(list=listed))
        against = None if other is None else GroupSpec.parse(other)
        chosen = group_posts(store, parsed, "twitter", other=against, engine=engine)
        got = {r["account_id"] for r in engine.to_arrow(chosen.select("account_id")).to_pylist()}
        assert got == (every if expected == "every" else expected), spec
        if not parsed.is_window and parsed.kind != "rest":
            accounts = engine.to_arrow(group_accounts(store, parsed, "twitter", engine=engine))
            assert set(accounts["account_id"].to_pylist()) == expected, spec


# -- language identification: where the engine runs -----------------------------------------

# Posts of platform "t" (post id -> stated language, text): the first four have no language
# (NULL or 'und') and a text, so they are identified; the link-only text leaves nothing to
# identify ('und', confidence 0, not used); a stated 'fr' and a post without text are not
# identified; "done" was identified before (as 'es', stored below) and is not again.
UNIDENTIFIED: dict[str, tuple[str | None, str | None]] = {
    "en": (None, "The government announced new sanctions against the company"),
    "ru": ("und", "Правительство объявило новые санкции против этой компании"),
    "de": (None, "Die Regierung hat neue Sanktionen gegen das Unternehmen angekündigt"),
    "link": (None, "https://example.org/a @alice #tag"),
    "fr": ("fr", "Le gouvernement a annoncé de nouvelles sanctions"),
    "none": (None, None),
    "done": (None, "Hola a todos"),
}


def test_languages_are_identified_alike_where_every_engine_runs(store, on, monkeypatch):
    insert(store, [post(p, "a_" + p, 0, text=text) | {"lang": lang}
                   for p, (lang, text) in UNIDENTIFIED.items()])  # fmt: skip
    store.con.execute("INSERT INTO detected_languages VALUES ('t', 'done', 'es', 0.9, 'earlier')")
    expected = {p: identify_language(UNIDENTIFIED[p][1]) for p in ("de", "en", "link", "ru")}
    assert {p: lang for p, (lang, _score) in expected.items()} == {
        "de": "de", "en": "en", "link": "und", "ru": "ru"
    }  # fmt: skip
    engine = on(store)
    if engine.name == "spark":
        # Spark identifies on its executors, which import infoscope afresh: the driver's
        # identifier is never called.
        def driver_identifies(text: str | None) -> tuple[str, float]:
            raise AssertionError("identified on the driver")

        monkeypatch.setattr(detect, "identify_language", driver_identifies)
    batches: list[int] = []
    assert detect_languages(store, engine=engine, batch=3, progress=batches.append) == 4
    assert sum(batches) == 4 and max(batches) <= 3
    stored = rows(store, "SELECT * FROM detected_languages ORDER BY post_id")
    identified = {p: (lang, score, MODEL) for p, (lang, score) in expected.items()}
    identified["done"] = ("es", 0.9, "earlier")
    same_rows(stored, [
        {"platform": "t", "post_id": p, "lang": lang, "confidence": score, "model": model}
        for p, (lang, score, model) in sorted(identified.items())
    ])  # fmt: skip
    # Identified once: a second pass finds nothing left (the store's rows reach the engine).
    assert detect_languages(store, engine=engine) == 0
    assert not engine.has_table("_infoscope_detected_before")
    filled = posts_with_language(store, engine=engine)
    try:
        got = engine.to_arrow(filled.select("post_id", "lang")).to_pylist()
    finally:
        engine.release(DETECTED_TABLE)
    # The stated languages kept, 'und' and NULL filled when identified with confidence 0.5.
    assert {r["post_id"]: r["lang"] for r in got} == {
        "en": "en", "ru": "ru", "de": "de", "link": None, "fr": "fr", "none": None, "done": "es",
    }  # fmt: skip


# -- matched references: overlap, matching and event terms -----------------------------------

DAY = 86_400
# Two groups on platform "t" (T0 a Monday): the target (accounts ta, tb) posts on days 0-2 in
# English and French, the reference (ra, rb) on days 0 and 5, in English and an unstated
# language. They share day 0, the English language and the markers #brexit (any case),
# bbc.co.uk and example.org.
GROUPED = [
    # post, account, day, stated language, text, hashtags, urls
    ("t1", "ta", 0, "en", "Brexit vote tonight", ["Brexit"], ["bbc.co.uk/news/1"]),
    ("t2", "ta", 0, "en", "the EU ref is close", ["Debate"], None),
    ("t3", "tb", 1, "en", "queues at the polls", None, ["https://www.Example.org/a"]),
    ("t4", "tb", 2, "fr", "le vote brexit", ["brexit"], None),
    ("r1", "ra", 0, "en", "brexit means brexit", ["BREXIT"], ["bbc.co.uk/sport"]),
    ("r2", "ra", 5, "en", "garden party", ["garden"], None),
    ("r3", "rb", 5, None, "Gartenfest heute", None, None),
    ("r4", "rb", 5, "en", "recipe of the day", None, ["example.org/b"]),
]


def test_overlap_matching_and_event_terms_are_the_same_on_every_engine(store, on):
    insert(store, [post(p, a, day * DAY, text=text, hashtags=tags, urls=urls) | {"lang": lang}
                   for p, a, day, lang, text, tags, urls in GROUPED])  # fmt: skip
    engine = on(store)
    posts = engine.table("posts")
    target = posts.filter(posts.account_id.isin(["ta", "tb"]))
    reference = posts.filter(posts.account_id.isin(["ra", "rb"]))
    overlap = describe_overlap(target, reference, engine=engine)
    # Days: target 0 (2 posts), 1, 2; reference 0, 5 (3 posts). Languages: en 3/4 each, fr
    # and und 1/4: distance 1/4. Marker uses: the target's #brexit (2), #debate, bbc.co.uk,
    # example.org; the reference's #brexit, #garden, bbc.co.uk, example.org.
    assert overlap == {
        "period": "day", "target_periods": 3, "reference_periods": 2, "shared_periods": 1,
        "target_posts_in_shared_periods": 0.5, "reference_posts_in_shared_periods": 0.25,
        "target_languages": {"en": 0.75, "fr": 0.25},
        "reference_languages": {"en": 0.75, "und": 0.25},
        "language_distance": 0.25, "target_markers": 4, "reference_markers": 4,
        "target_marker_uses_shared": 0.8, "reference_marker_uses_shared": 0.75, "warnings": [],
    }  # fmt: skip
    if engine.name == "duckdb":  # without an engine: the tables' own backend
        assert describe_overlap(target, reference) == overlap

    def chosen(*args: Any, **kwargs: Any) -> tuple[list[str], list[str]]:
        t, r = match_posts(target, reference, *args, engine=engine, **kwargs)
        both = t.select("post_id", side=ibis.literal("t")).union(
            r.select("post_id", side=ibis.literal("r"))
        )
        got = engine.to_arrow(both).to_pylist()
        return tuple(sorted(x["post_id"] for x in got if x["side"] == s) for s in "tr")

    # The shared day (0), then the languages making 2% of both sides there (en).
    assert chosen(("time", "language")) == (["t1", "t2"], ["r1"])
    # Texts matching the pattern, case-insensitive; else the posts with a shared marker.
    assert chosen(("topic",), topic="brexit|eu ?ref") == (["t1", "t2", "t4"], ["r1"])
    assert chosen(("topic",)) == (["t1", "t3", "t4"], ["r1", "r4"])
    # 'brexit' (4 uses, 3 on day 0) marks a day; 'the' (3 uses on 3 days) does not. In weeks
    # (days 0-5 are one), every term used 3 times peaks there.
    words = posts.select("created_at", token=posts.text.lower().split(" ").unnest())
    assert event_terms(words, min_count=3, engine=engine) == {"brexit"}
    assert event_terms(words, period="week", min_count=3, engine=engine) == {"brexit", "the"}


def _stored(store: Store, signature_id: str, resonance_id: str) -> dict[str, list[dict[str, Any]]]:
    """What a signature and a resonance run stored, without their ids."""
    queries = {
        "signature_terms": ("SELECT * EXCLUDE (signature_id, run_id) FROM signature_terms "
                            "WHERE signature_id = ? ORDER BY term", signature_id),
        "signature_training": ("SELECT * EXCLUDE (signature_id, run_id) FROM "
                               "signature_training WHERE signature_id = ? ORDER BY account_id",
                               signature_id),
        "resonance_scores": ("SELECT * EXCLUDE (run_id, signature_id) FROM resonance_scores "
                             "WHERE run_id = ? ORDER BY account_id, period NULLS FIRST",
                             resonance_id),
        "resonance_posts": ("SELECT * EXCLUDE (run_id, signature_id) FROM resonance_posts "
                            "WHERE run_id = ? ORDER BY post_id", resonance_id),
        "resonance_calibration": ("SELECT * EXCLUDE (run_id, signature_id) FROM "
                                  "resonance_calibration WHERE run_id = ? "
                                  "ORDER BY source, bin_low", resonance_id),
    }  # fmt: skip
    out = {table: rows(store, sql, [key]) for table, (sql, key) in queries.items()}
    models = rows(store, "SELECT unit, model FROM signature_models WHERE signature_id = ? "
                  "ORDER BY unit", [signature_id])  # fmt: skip
    out["signature_models"] = [{"unit": m["unit"], **json.loads(m["model"])} for m in models]
    return out


def _same(a: Any, b: Any) -> None:
    """`a` and `b` are the same nested values (floats to 1e-9 relative; NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9), (a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b


@pytest.mark.spark
def test_signature_and_resonance_store_the_same_rows_from_spark(store_path, tmp_path, request):
    """``signature learn`` and ``resonance`` with ``--engine spark --data DIR``, then on
    DuckDB: both store the same rows (Spark's classifier is fitted on the same documents)."""
    # The red and blue accounts, and two posts without a language: Spark runs first, so it
    # identifies their languages (stored in the store) and DuckDB finds nothing left to do.
    with Store.open(store_path) as store:
        _fill(store, tmp_path)
        _ingest(store, tmp_path / "nolang.jsonl", [
            _tweet("nl-1", None, "The government announced new sanctions against the company"),
            _tweet("nl-2", None, "Правительство объявило новые санкции против этой компании"),
        ])  # fmt: skip
    folder = tmp_path / "parquet"
    exported = run_cli("export", "--format", "parquet", "--out", str(folder), "--store",
                       str(store_path))  # fmt: skip
    assert exported.exit_code == 0, exported.output
    request.getfixturevalue("spark_session")  # the CLI's engine joins the test session
    spark = ["--engine", "spark", "--data", str(folder)]
    store_args = ["--store", str(store_path), "-q"]
    # Matched on time and language: both sides post on one day, in English; all is kept.
    learn = ["signature", "learn", *store_args, "--target", "label:team=red", "--reference",
             "label:team=blue", "--z-min", "2", "--posts", "--match", "time,language"]  # fmt: skip
    score = ["resonance", *store_args, "--period", "week", "--posts", "--members",
             "label:team=red", "--baseline", "label:team=blue", "--explain", "@redfan"]  # fmt: skip
    learnt = {"spark": cli_json(*learn, "--name", "red-spark", *spark)}
    with Store.open(store_path, read_only=True) as store:
        detected = rows(store, "SELECT post_id, lang FROM detected_languages ORDER BY 1")
    assert [(r["post_id"], r["lang"]) for r in detected] == [("nl-1", "en"), ("nl-2", "ru")]
    scored = {"spark": cli_json(*score, "--signature", "red-spark", *spark)}
    learnt["duckdb"] = cli_json(*learn, "--name", "red")
    scored["duckdb"] = cli_json(*score, "--signature", "red")
    with Store.open(store_path, read_only=True) as store:
        stored = {
            engine: _stored(store, learnt[engine]["signature_id"], scored[engine]["run_id"])
            for engine in ("duckdb", "spark")
        }
        recorded = rows(store, "SELECT command, engine, input_fingerprint, parameters "
                        "FROM runs WHERE command IN ('signature', 'resonance') "
                        "ORDER BY started_at")  # fmt: skip
    a, b = stored["duckdb"], stored["spark"]
    # What DuckDB stored, as test_language_resonance states it: the red words over-used by
    # the target, a post classifier too; 16 accounts scored (the 15 there and the author of
    # the posts without a language), each in its one week too, 12 with out-of-fold
    # probabilities; every post scored.
    assert {r["term"] for r in a["signature_terms"] if r["weight"] > 0} == {
        "sanctions", "pipeline", "sovereignty"
    }  # fmt: skip
    assert [m["unit"] for m in a["signature_models"]] == ["account", "post"]
    accounts = [r for r in a["resonance_scores"] if r["period"] is None]
    assert len(accounts) == 16 and len(a["resonance_scores"]) == 32
    assert sum(r["source"] == "out-of-fold" for r in accounts) == 12
    assert len(a["resonance_posts"]) == 12 * 8 + 2 * 8 + 1 + 2
    for table in a:
        if table == "signature_models":
            _same(a[table], b[table])
        else:
            same_rows(a[table], b[table])
    assert learnt["spark"]["counts"] == learnt["duckdb"]["counts"]
    ignored = ("run_id", "signature", "parameters")
    _same({k: v for k, v in scored["spark"].items() if k not in ignored},
          {k: v for k, v in scored["duckdb"].items() if k not in ignored})  # fmt: skip
    assert scored["spark"]["explain"]["account_id"] == "redfan"
    assert scored["spark"]["explain"]["resonant"] is True
    assert [(r["command"], r["engine"]) for r in recorded] == [
        ("signature", "spark"), ("resonance", "spark"),
        ("signature", "duckdb"), ("resonance", "duckdb"),
    ]  # fmt: skip
    assert len({r["input_fingerprint"] for r in recorded}) == 1
    described = json.loads(recorded[0]["parameters"])["engine"]
    assert described["name"] == "spark" and described["master"] == "local[2]"
    assert json.loads(recorded[-1]["parameters"])["engine"]["name"] == "duckdb"
