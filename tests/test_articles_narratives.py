"""Narratives: recurring claims across articles, in two languages, found by clustering."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from infoscope.articles.narratives import find_narratives, split_units
from infoscope.errors import BadParameterError

CLAIMS = {
    "biolabs": [
        "Secret American biological laboratories in Ukraine are developing dangerous weapons.",
        "The Pentagon is running covert bioweapons labs across Ukraine, officials claim.",
        "US-funded labs in Ukraine were secretly working on biological weapons.",
        "Секретные американские биолаборатории на Украине разрабатывают биологическое оружие.",
    ],
    "sanctions": [
        "Western sanctions are hurting Europe far more than they are hurting Russia.",
        "European households pay the price for sanctions that barely touch the Russian economy.",
        "The sanctions have backfired on Europe while Russia's economy keeps growing.",
        "Санкции Запада бьют по Европе сильнее, чем по российской экономике.",
    ],
    "elections": [
        "Thousands of ballots were found dumped in a river days before the election count.",
        "Officials discovered boxes of discarded ballots in a river ahead of the vote count.",
        "Piles of ballots were dumped into the river just before counting began, witnesses say.",
    ],
}
FILLER = [
    "The weather in the capital was mild for the season with light winds from the west.",
    "A new bakery opened downtown and residents queued for fresh bread in the morning.",
    "The football club announced the signing of a young midfielder from a rival team.",
    "Scientists described a newly discovered species of frog in the tropical forest.",
    "The city council approved the budget for repairing several old bridges this year.",
    "Local musicians performed at the annual summer festival in the central park.",
    "The museum reopened its renovated hall of ancient pottery to the public on Sunday.",
    "Traffic was heavy on the ring road after a truck broke down near the tunnel.",
]


def articles() -> tuple[list[dict], dict[tuple[str, str], str]]:
    rng = random.Random(4)
    out, truth = [], {}
    for i in range(12):
        chosen = [rng.choice(list(CLAIMS)) for _ in range(2)]
        lines = rng.sample(FILLER, 2)
        for claim in chosen:
            lines.append(rng.choice(CLAIMS[claim]))
        rng.shuffle(lines)
        text = "\n".join(lines)
        for claim in chosen:
            for sentence in CLAIMS[claim]:
                if sentence in text:
                    truth[(f"a{i}", sentence)] = claim
        out.append(
            {
                "article_id": f"a{i}",
                "text": text,
                "outlet": "outlet-a" if i % 2 else "outlet-b",
                "published": datetime(2024, 1 + i % 3, 5, tzinfo=UTC),
            }
        )
    return out, truth


def test_split_units_gives_exact_spans():
    text = "First claim here. Second one follows!\nA third line\n\nNew paragraph."
    spans = split_units(text)
    assert [text[s:e] for s, e in spans] == [
        "First claim here.", "Second one follows!", "A third line", "New paragraph.",
    ]  # fmt: skip
    paragraphs = [text[s:e] for s, e in split_units(text, "paragraph")]
    assert paragraphs == ["First claim here. Second one follows!\nA third line", "New paragraph."]


def test_planted_claims_are_found_across_languages():
    docs, truth = articles()
    run = find_narratives(docs, min_size=3, seed=1)
    units = run.units.to_pylist()
    text_of = {d["article_id"]: d["text"] for d in docs}
    found: dict[int, set[str]] = {}
    for u in units:
        claim = truth.get((u["article_id"], text_of[u["article_id"]][u["start"] : u["end"]]))
        if claim is not None:
            assert u["narrative"] >= 0, "a planted claim was left out of every narrative"
            found.setdefault(u["narrative"], set()).add(claim)
        elif u["narrative"] >= 0:
            # Filler recurs too (the same sentences in several articles); it must not mix
            # with a planted claim.
            found.setdefault(u["narrative"], set()).add("filler")
    # Each narrative is one claim (pure), and every claim has its narrative: the Russian
    # sentences join their English counterparts.
    assert all(len(v) == 1 for v in found.values()), found
    claims = {next(iter(v)) for v in found.values()} - {"filler"}
    assert claims == set(CLAIMS)
    profiles = {n["narrative"]: n for n in run.narratives}
    biolabs = next(n for n, v in found.items() if v == {"biolabs"})
    terms = " ".join(profiles[biolabs]["key_terms"])
    assert "labs" in terms or "ukraine" in terms or "biological" in terms
    assert sum(profiles[biolabs]["per_period"].values()) == profiles[biolabs]["units"]
    assert set(profiles[biolabs]["outlets"]) <= {"outlet-a", "outlet-b"}
    assert profiles[biolabs]["articles"] >= 2


def test_same_input_same_narratives_and_bad_parameters():
    docs, _ = articles()
    a = find_narratives(docs, min_size=3, seed=2).units.column("narrative").to_pylist()
    b = find_narratives(docs, min_size=3, seed=2).units.column("narrative").to_pylist()
    assert a == b
    with pytest.raises(BadParameterError, match="unit="):
        find_narratives(docs, unit="chapter")
    assert find_narratives([]).narratives == []
