"""Tokens of single posts, and language identification of posts without a language.

Each post of `POSTS` is ingested (twitter-v2 flattened tweets without ``entities``, so the
importer extracts hashtags, mentions and URLs from the text) and tokenised alone; its expected
tokens are stated beside it. Stop-word membership was checked against the stop-words
package's lists: 'die' and 'und' are German stop-words but not English ones; 'the' and 'and'
are English but not German; 'now' is English; 'не' Russian; 'і' Ukrainian.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infoscope.ingest import ingest
from infoscope.language.detect import detect_languages, posts_with_language
from infoscope.language.tokens import TokenOptions, post_tokens
from infoscope.store import Store

from .conftest import rows

# post id -> (lang, text, expected tokens as a multiset)
POSTS: dict[str, tuple[str | None, str, list[str]]] = {
    # 'rt' is an artefact; 'a', 'x' have one letter; 'now' is an English stop-word; the
    # hashtag, mention and URL become one token each and are not read again from the text;
    # the emoji and the flag pair are one token each; U+FFFD is dropped.
    "latin": (
        "en",
        "RT Check #Sanctions @Bob https://news.example.com/a/b now a x 🔥 🇺🇸 bad\ufffd",
        ["check", "#sanctions", "@bob", "domain:news.example.com", "🔥", "🇺🇸", "bad"],
    ),
    # Russian: 'не' is a Russian stop-word; case folded.
    "russian": ("ru", "Санкции не работают, Россия", ["санкции", "работают", "россия"]),
    # Ukrainian letters і/ї/є/ґ stay inside words, the apostrophe (' and ’) too; 'і' alone is
    # a stop-word (and one letter), 'є' alone has one letter.
    "ukrainian": (
        "uk",
        "Україна їде і є ґанок м'ята пам’ять",
        ["україна", "їде", "ґанок", "м'ята", "пам’ять"],
    ),
    # German post: 'die' and 'und' are German stop-words; 'the' is not, so it stays.
    "german": ("de", "Die Katze und the Hund", ["katze", "the", "hund"]),
    # English post: 'die' is no English stop-word, so it stays; 'and', 'the' go.
    "english": ("en", "Die hard and the cat", ["die", "hard", "cat"]),
    # Unknown language ('und'): the union of the lists drops 'die', 'the' and 'und'.
    "unknown": ("und", "die the und Katze", ["katze"]),
    # The same word twice counts twice.
    "repeat": ("en", "pipeline pipeline gas", ["pipeline", "pipeline", "gas"]),
}


def _tweet(pid: str, lang: str | None, text: str, uid: str = "9") -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": pid,
        "author_id": uid,
        "created_at": "2024-05-01T00:00:00.000Z",
        "text": text,
        "author": {"id": uid, "username": f"user{uid}"},
    }
    if lang is not None:
        tweet["lang"] = lang
    return tweet


def _ingest(store: Store, path: Path, tweets: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tweets), encoding="utf-8"
    )
    ingest(store, [path])


def _tokens_by_post(store: Store, options: TokenOptions | None = None) -> dict[str, Counter]:
    table = post_tokens(store.ibis.table("posts"), options).to_pyarrow()
    out: dict[str, Counter] = {}
    for r in table.select(["post_id", "token"]).to_pylist():
        out.setdefault(r["post_id"], Counter())[r["token"]] += 1
    return out


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Counter]:
    tmp = tmp_path_factory.mktemp("tokens")
    with Store.open(tmp / "s.duckdb") as store:
        _ingest(store, tmp / "posts.jsonl", [_tweet(p, lg, t) for p, (lg, t, _) in POSTS.items()])
        return _tokens_by_post(store)


@pytest.mark.parametrize("post_id", list(POSTS))
def test_tokens_of_one_post(tokens: dict[str, Counter], post_id: str) -> None:
    assert tokens.get(post_id, Counter()) == Counter(POSTS[post_id][2])


def test_bigrams_stay_within_a_post(store: Store, tmp_path: Path) -> None:
    # Two posts of one account: "alpha the beta gamma" keeps alpha, beta, gamma (the is an
    # English stop-word), so its bigrams are 'alpha beta' and 'beta gamma'; "delta epsilon"
    # gives 'delta epsilon'. No 'gamma delta' across the posts.
    _ingest(
        store,
        tmp_path / "b.jsonl",
        [_tweet("p1", "en", "alpha the beta gamma"), _tweet("p2", "en", "delta epsilon")],
    )
    got = _tokens_by_post(store, TokenOptions(ngrams=2))
    assert got["p1"] == Counter(["alpha", "beta", "gamma", "alpha beta", "beta gamma"])
    assert got["p2"] == Counter(["delta", "epsilon", "delta epsilon"])


def test_pairs_of_kept_words_when_stop_words_stay(store: Store, tmp_path: Path) -> None:
    # With stop-words kept (the classifier's tokens) only artefacts and one-letter words go:
    # "RT alpha x the beta beta" keeps alpha, the, beta, beta, paired with the next kept word;
    # a post of one word has no pair, one of a link alone no word at all.
    _ingest(
        store,
        tmp_path / "k.jsonl",
        [
            _tweet("p1", "en", "RT alpha x the beta beta"),
            _tweet("p2", "en", "solo"),
            _tweet("p3", "en", "https://example.com/a"),
        ],
    )
    got = _tokens_by_post(store, TokenOptions(ngrams=2, stop_words=True))
    assert got["p1"] == Counter(
        ["alpha", "the", "beta", "beta", "alpha the", "the beta", "beta beta"]
    )
    assert got["p2"] == Counter(["solo"])
    assert got["p3"] == Counter(["domain:example.com"])


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="token kinds"):
        TokenOptions(kinds=("word", "sound"))
    with pytest.raises(ValueError, match="ngrams"):
        TokenOptions(ngrams=3)


def test_detect_languages_once_and_fill_lang(store: Store, tmp_path: Path) -> None:
    # Two posts without a language (one English, one Russian sentence) and one whose source
    # said French: only the first two are identified, once.
    _ingest(
        store,
        tmp_path / "d.jsonl",
        [
            _tweet("en1", None, "The government announced new sanctions against the company"),
            _tweet("ru1", None, "Правительство объявило новые санкции против этой компании"),
            _tweet("fr1", "fr", "Le gouvernement a annoncé de nouvelles sanctions"),
        ],
    )
    assert detect_languages(store) == 2
    found = rows(store, "SELECT post_id, lang, confidence FROM detected_languages ORDER BY 1")
    assert [(r["post_id"], r["lang"]) for r in found] == [("en1", "en"), ("ru1", "ru")]
    assert all(r["confidence"] >= 0.5 for r in found)
    # A second call has nothing left to identify.
    assert detect_languages(store) == 0
    assert rows(store, "SELECT count(*) AS n FROM detected_languages")[0]["n"] == 2
    filled = posts_with_language(store).select("post_id", "lang").to_pyarrow().to_pylist()
    assert {r["post_id"]: r["lang"] for r in filled} == {"en1": "en", "ru1": "ru", "fr1": "fr"}


def _table_tokens(options: TokenOptions) -> dict[str, Counter]:
    import ibis

    posts = ibis.memtable(
        {
            "platform": ["x", "x", "x"],
            "post_id": ["words", "entities", "none"],
            "account_id": ["a", "a", "b"],
            "text": ["Alpha the beta", None, None],
            "lang": ["en", "en", None],
            "hashtags": [None, ["Tag"], None],
            "mentions": [None, ["Bob"], []],
            "urls": [None, ["https://example.org/x"], None],
        },
        schema={
            "platform": "string", "post_id": "string", "account_id": "string",
            "text": "string", "lang": "string", "hashtags": "array<string>",
            "mentions": "array<string>", "urls": "array<string>",
        },
    )  # fmt: skip
    table = post_tokens(posts, options, keep=("platform", "post_id", "account_id")).to_pyarrow()
    out: dict[str, Counter] = {}
    for r in table.select(["post_id", "token"]).to_pylist():
        out.setdefault(r["post_id"], Counter())[r["token"]] += 1
    return out


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # Keyness tokens: the English stop-word 'the' goes.
        (TokenOptions(), {"words": ["alpha", "beta"],
                          "entities": ["#tag", "@bob", "domain:example.org"]}),
        # Classifier tokens: stop-words stay, and pairs of kept words.
        (TokenOptions(ngrams=2, stop_words=True),
         {"words": ["alpha", "the", "beta", "alpha the", "the beta"],
          "entities": ["#tag", "@bob", "domain:example.org"]}),
        # Pairs without stop-words: 'alpha' and 'beta' are adjacent once 'the' is gone.
        (TokenOptions(ngrams=2), {"words": ["alpha", "beta", "alpha beta"],
                                  "entities": ["#tag", "@bob", "domain:example.org"]}),
        # One kind alone.
        (TokenOptions(kinds=("mention",)), {"entities": ["@bob"]}),
        (TokenOptions(kinds=("word",)), {"words": ["alpha", "beta"]}),
    ],
)  # fmt: skip
def test_missing_text_or_entity_lists_lose_nothing_else(
    options: TokenOptions, expected: dict[str, list[str]]
) -> None:
    # A post without entity lists (NULL, not empty) still gives its words; one without text
    # its entities; one with neither gives no token (and no NULL or empty token).
    assert _table_tokens(options) == {p: Counter(t) for p, t in expected.items()}
