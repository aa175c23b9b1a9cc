"""Neutral reporting stays quiet: the shipped model's false flags on the wire-style reports
and official statements of ``fixtures/techniques_neutral/`` (written for these tests: plain
facts, attributed quotes, numbers, proper names, section headers, a stray one-word line;
no propaganda technique), against the PTC's gold density of about 16 spans per 1,000
words."""

from __future__ import annotations

from infoscope.articles import techniques as T

from .conftest import FIXTURES

NEUTRAL = sorted((FIXTURES / "techniques_neutral").glob("*.txt"))
PTC_GOLD_PER_1000_WORDS = 15.9  # 4,550 merged gold spans in 286,363 words
# The bound: at most a quarter of the density of a propaganda corpus's gold annotations.
MAX_NEUTRAL_PER_1000_WORDS = PTC_GOLD_PER_1000_WORDS / 4


def _texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in NEUTRAL]


def test_neutral_reports_get_few_flags():
    texts = _texts()
    assert len(texts) >= 12
    words = sum(T.count_words(t) for t in texts)
    found = T.detect_techniques(texts)
    flags = sum(len(r["spans"]) for r in found)
    assert 1000 * flags / words <= MAX_NEUTRAL_PER_1000_WORDS, [
        (s["technique"], s["text"], s["fragment_confidence"]) for r in found for s in r["spans"]
    ]
    # a smaller flag budget flags no more
    budget = T.detect_techniques(texts, flags_per_1000_words=2)
    assert sum(len(r["spans"]) for r in budget) <= flags


def test_names_headers_and_one_word_lines_need_strong_evidence():
    model = T.load_technique_model()
    assert model.strong_confidence_ >= model.min_confidence_
    texts = {p.name: p.read_text(encoding="utf-8") for p in NEUTRAL}
    (talks,) = T.detect_techniques(texts["09_ceasefire_talks.txt"])
    flagged = {s["text"] for s in talks["spans"]}
    assert "Islamic Jihad" not in flagged and "Americans" not in flagged
    for r in T.detect_techniques(list(texts.values())):
        for span in r["spans"]:
            if span["kind"] != "plain":
                assert span["fragment_confidence"] >= model.strong_confidence_
