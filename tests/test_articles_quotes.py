"""Quote and source attribution in articles: patterns, speakers, roles, outlets, counts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from infoscope.articles.actors import extract_actors
from infoscope.articles.quotes import QUOTE_SCHEMA, extract_quotes, source_counts
from infoscope.errors import BadParameterError

ARTICLES = {
    "before": '"We will not retreat," Vladimir Putin said on Tuesday.',
    "inverted": (
        '"Sanctions do not work," said Jane Doe, an economist at the Brookings Institution.'
    ),
    "after": 'Maria Zakharova said: "This is a provocation by Washington."',
    "indirect": "The Kremlin said that NATO was expanding toward Russia.",
    "told": (
        "John Smith, a professor at Harvard University, told Al Jazeera that sanctions had failed."
    ),
    "according": "According to Hamas, the crossing was closed. The weather was fine on Monday.",
    "according_late": "The plague killed 200 people, according to a UN estimate.",
    "verbs": "The minister claimed the vote was rigged and added that observers were absent.",
    "title": "Kremlin spokesman Dmitry Peskov warned that Russia would respond.",
    "pronoun": 'Sergei Lavrov met reporters in Moscow. "The West is lying," he said.',
    "continued": '"We are ready," Putin said, "but the West is not."',
    "interview": "Peskov said in an interview with CNN that talks were stalled.",
    "participle": (
        '"The next outbreak could be stronger," WHO Director-General Tedros Adhanom Ghebreyesus '
        'told reporters in Geneva, insisting that "the issue is serious."'
    ),
    "nested": '"I told him that we would win," Putin said.',
    "scare": 'Mr. Cruz said that "fake news" was everywhere.',
    "none": "The weather was fine on Monday. Prices rose by two percent in March.",
    "negated": "Putin did not say whether he would run.",
    "refused": "He refused to say whether the talks would continue.",
    "russian": (
        "Путин заявил, что Кремль не допустит расширения НАТО. "
        "По словам Пескова, Россия готова к переговорам."
    ),
    "russian_quote": "«Мы готовы к диалогу», — сказал Сергей Лавров.",
}


@pytest.fixture(scope="module")
def quotes() -> pa.Table:
    return extract_quotes(list(ARTICLES.items()))


def of(table: pa.Table, article_id: str) -> list[dict]:
    return [r for r in table.to_pylist() if r["article_id"] == article_id]


def one(table: pa.Table, article_id: str) -> dict:
    found = of(table, article_id)
    assert len(found) == 1, found
    return found[0]


def test_schema_and_offsets(quotes: pa.Table) -> None:
    assert quotes.schema == QUOTE_SCHEMA
    for r in quotes.to_pylist():
        text = ARTICLES[r["article_id"]]
        assert text[r["speaker_start"] : r["speaker_end"]] == r["speaker_written"]
        if r["resolution"] not in ("pronoun", "role"):
            assert r["speaker"] == r["speaker_written"]
        assert r["sentence_start"] <= r["speaker_start"] and r["speaker_end"] <= r["sentence_end"]
        if r["quote"] is not None and r["article_id"] != "continued":
            assert text[r["quote_start"] : r["quote_end"]] == r["quote"]


def test_quote_before_said(quotes: pa.Table) -> None:
    r = one(quotes, "before")
    assert (r["cue"], r["verb"], r["speaker"], r["actor"], r["actor_kind"]) == (
        "quote_before",
        "say",
        "Vladimir Putin",
        "Vladimir Putin",
        "person",
    )
    assert r["quote"] == "We will not retreat" and r["resolution"] == "alias"


def test_inverted_said_with_appositive_affiliation(quotes: pa.Table) -> None:
    r = one(quotes, "inverted")
    assert (r["cue"], r["speaker"], r["quote"]) == (
        "quote_before",
        "Jane Doe",
        "Sanctions do not work",
    )
    assert r["role"] == "an economist at the Brookings Institution"
    assert r["affiliation"] == "the Brookings Institution"
    assert r["affiliation_actor"] == "Brookings Institution"


def test_quote_after_colon(quotes: pa.Table) -> None:
    r = one(quotes, "after")
    assert (r["cue"], r["actor"], r["quote"]) == (
        "quote_after",
        "Maria Zakharova",
        "This is a provocation by Washington.",
    )


def test_indirect_speech_resolves_the_speaker_through_the_alias_table(quotes: pa.Table) -> None:
    r = one(quotes, "indirect")
    assert (r["cue"], r["speaker"], r["actor"], r["actor_kind"]) == (
        "indirect",
        "The Kremlin",
        "Russia",
        "state",
    )
    assert r["content"] == "NATO was expanding toward Russia" and r["quote"] is None


def test_told_an_outlet(quotes: pa.Table) -> None:
    r = one(quotes, "told")
    assert (r["verb"], r["speaker"], r["outlet"], r["content"]) == (
        "tell",
        "John Smith",
        "Al Jazeera",
        "sanctions had failed",
    )
    assert r["role"] == "a professor at Harvard University"
    assert r["affiliation_actor"] == "Harvard University"


def test_according_to(quotes: pa.Table) -> None:
    r = one(quotes, "according")  # the second sentence yields nothing
    assert (r["cue"], r["verb"], r["speaker"], r["actor"], r["content"]) == (
        "according_to",
        "according to",
        "Hamas",
        "Hamas",
        "the crossing was closed",
    )
    late = one(quotes, "according_late")
    assert (late["speaker"], late["actor"], late["content"]) == (
        "a UN estimate",
        "United Nations",
        "The plague killed 200 people",
    )


def test_claimed_and_added(quotes: pa.Table) -> None:
    found = of(quotes, "verbs")
    assert [(r["verb"], r["speaker"], r["content"]) for r in found] == [
        ("claim", "The minister", "the vote was rigged"),
        ("add", "The minister", "observers were absent"),
    ]
    assert all(r["actor"] is None for r in found)  # an unnamed speaker


def test_title_before_the_name_is_the_role(quotes: pa.Table) -> None:
    r = one(quotes, "title")
    assert (r["verb"], r["speaker"], r["actor"], r["role"]) == (
        "warn",
        "Dmitry Peskov",
        "Dmitry Peskov",
        "Kremlin spokesman",
    )
    assert (r["affiliation"], r["affiliation_actor"]) == ("Kremlin", "Russia")


def test_pronoun_speaker_resolves_to_the_last_named_person(quotes: pa.Table) -> None:
    r = one(quotes, "pronoun")
    assert (r["speaker"], r["speaker_written"], r["actor"], r["resolution"], r["sentence"]) == (
        "Sergei Lavrov",
        "he",
        "Sergei Lavrov",
        "pronoun",
        1,
    )
    assert r["quote"] == "The West is lying"
    plain = extract_quotes([("p", ARTICLES["pronoun"])], pronouns=False).to_pylist()
    assert [(q["speaker"], q["actor"], q["speaker_reason"]) for q in plain] == [
        (None, None, "pronoun: not resolved (pronouns=False)")
    ]


def test_quote_continued_after_the_verb(quotes: pa.Table) -> None:
    r = one(quotes, "continued")
    assert (r["actor"], r["quote"]) == ("Vladimir Putin", "We are ready but the West is not.")
    assert (r["quote_start"], r["quote_end"]) == (1, len(ARTICLES["continued"]) - 1)


def test_outlet_in_an_interview(quotes: pa.Table) -> None:
    r = one(quotes, "interview")
    assert (r["actor"], r["outlet"], r["content"]) == ("Dmitry Peskov", "CNN", "talks were stalled")


def test_participle_takes_its_head_subject(quotes: pa.Table) -> None:
    told, insisted = of(quotes, "participle")
    assert (told["verb"], told["cue"], told["quote"]) == (
        "tell",
        "quote_before",
        "The next outbreak could be stronger",
    )
    assert told["role"] == "WHO Director-General"
    assert told["affiliation_actor"] == "World Health Organization"
    assert told["outlet"] is None  # reporters in Geneva: no outlet
    assert (insisted["verb"], insisted["cue"], insisted["quote"]) == (
        "insist",
        "quote_after",
        "the issue is serious.",
    )
    assert insisted["actor"] == told["actor"] == "Tedros Adhanom Ghebreyesus"


def test_scare_quotes_and_forms_of_address(quotes: pa.Table) -> None:
    r = one(quotes, "scare")
    # Two quoted words are a scare quote: indirect speech, no direct quote; "Mr" is no role.
    assert (r["cue"], r["speaker"], r["quote"], r["role"]) == ("indirect", "Cruz", None, None)
    assert r["content"] == '"fake news" was everywhere'


def test_sentences_without_attribution_yield_nothing(quotes: pa.Table) -> None:
    for article_id in ("none", "negated", "refused"):
        assert of(quotes, article_id) == [], article_id
    # A reporting verb inside a direct quote is not a second attribution.
    assert [r["speaker"] for r in of(quotes, "nested")] == ["Putin"]


def test_russian_attributions(quotes: pa.Table) -> None:
    said, according = of(quotes, "russian")
    assert (said["cue"], said["verb"], said["actor"], said["content"]) == (
        "indirect",
        "заявить",
        "Vladimir Putin",
        "Кремль не допустит расширения НАТО",
    )
    assert (according["cue"], according["speaker"], according["actor"]) == (
        "according_to",
        "Пескова",
        "Dmitry Peskov",
    )
    assert according["content"] == "Россия готова к переговорам"
    quoted = one(quotes, "russian_quote")
    assert (quoted["cue"], quoted["actor"], quoted["quote"]) == (
        "quote_before",
        "Sergei Lavrov",
        "Мы готовы к диалогу",
    )


def test_sentence_indexes_match_the_mentions(quotes: pa.Table) -> None:
    mentions = extract_actors(list(ARTICLES.items()))
    sentences = {
        (r["article_id"], r["sentence"]): (r["sentence_start"], r["sentence_end"])
        for r in mentions.to_pylist()
    }
    checked = 0
    for r in quotes.to_pylist():
        key = (r["article_id"], r["sentence"])
        if key in sentences:
            assert sentences[key] == (r["sentence_start"], r["sentence_end"])
            checked += 1
    assert checked >= 15


def test_source_counts() -> None:
    table = pa.table(
        {
            "article_id": ["a1", "a1", "a2", "a3", "a3", "a3"],
            "speaker": ["Putin", "Vladimir Putin", "Putin", "officials", "he", "The Kremlin"],
            "actor": ["Vladimir Putin", "Vladimir Putin", "Vladimir Putin", None, None, "Russia"],
            "actor_kind": ["person", "person", "person", None, None, "state"],
        }
    )
    outlets = {"a1": "rt.com", "a2": "tass.ru", "a3": "rt.com"}
    found = source_counts(table, outlets).to_pylist()
    assert [(r["source"], r["kind"], r["quotes"], r["articles"], r["outlets"]) for r in found] == [
        ("Vladimir Putin", "person", 3, 2, 2),
        ("Russia", "state", 1, 1, 1),
        ("officials", None, 1, 1, 1),  # unnamed, kept as written; "he" left out
    ]
    assert found[0]["by_outlet"] == [
        {"outlet": "rt.com", "quotes": 2, "articles": 1},
        {"outlet": "tass.ru", "quotes": 1, "articles": 1},
    ]
    no_outlets = source_counts(table).to_pylist()
    assert no_outlets[0]["outlets"] == 0
    assert no_outlets[0]["by_outlet"] == [{"outlet": None, "quotes": 3, "articles": 2}]
    as_table = source_counts(
        table, pa.table({"article_id": list(outlets), "outlet": list(outlets.values())})
    )
    assert as_table.to_pylist() == found
    with pytest.raises(BadParameterError):
        source_counts(table.drop_columns(["speaker"]))


# Annotated fixtures (tests/fixtures/articles/quotes/expected.json): each direct quote's first
# word, speaker and affiliation as a reader attributes them.
FIXTURES = Path(__file__).parent / "fixtures" / "articles" / "quotes"
GOLD = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["quotes"]
TEXTS = {name: (FIXTURES / name).read_text(encoding="utf-8") for name in GOLD}


@pytest.fixture(scope="module")
def annotated() -> list[dict]:
    return extract_quotes(list(TEXTS.items()), lang="en").to_pylist()


def covering(rows: list[dict], name: str, words: str) -> dict:
    start = TEXTS[name].index(words)
    found = [
        r
        for r in rows
        if r["article_id"] == name
        and r["quote_start"] is not None
        and r["quote_start"] <= start < r["quote_end"]
    ]
    assert len(found) == 1, (words, found)
    return found[0]


def test_annotated_fixtures_speaker_and_affiliation(annotated: list[dict]) -> None:
    for name, quotes in GOLD.items():
        for g in quotes:
            r = covering(annotated, name, g["words"])
            source = r["actor"] or r["speaker"]
            assert source == g["speaker"] or (
                source and g["speaker"] and g["speaker"].endswith(" " + source)
            ), (g, r)
            affiliation = r["affiliation"]
            if affiliation and affiliation.lower().startswith("the "):
                affiliation = affiliation[4:]
            assert affiliation == g["affiliation"], (g, r)
    # Every direct quote extracted is one the annotation has.
    assert sum(r["quote_start"] is not None for r in annotated) == 17


def test_quote_continued_over_paragraphs(annotated: list[dict]) -> None:
    # The first paragraph has no closing mark and the second opens with one: one quote.
    r = covering(annotated, "minister.txt", "The West has chosen")
    assert r["quote"].startswith("The West has chosen confrontation.")
    assert r["quote"].endswith(
        "offered to us. We remain open to talks, but only on an equal footing"
    )
    assert "\n" not in r["quote"] and '"' not in r["quote"]
    assert (r["cue"], r["actor"]) == ("quote_before", "Sergei Lavrov")
    # "He said:" then three paragraphs, only the last closed.
    city = covering(annotated, "paragraphs.txt", "The city has no heating")
    assert city["cue"] == "quote_after"
    assert city["quote"].endswith("Our people are tired, but they are not leaving.")
    assert city["quote_end"] == TEXTS["paragraphs.txt"].index('leaving."') + len("leaving.")
    # The closed quote is not attributed again by the next paragraph's "Klitschko said".
    said = [r for r in annotated if r["article_id"] == "paragraphs.txt" and r["cue"] == "indirect"]
    assert [r["content"] for r in said] == ["the city would ask the government for more funds"]


def test_quote_continued_in_the_next_sentence(annotated: list[dict]) -> None:
    r = covering(annotated, "minister.txt", "This is the line")
    assert r["quote"] == "This is the line Moscow has taken for a decade Nothing in it is new."
    # "B," she added: a quote handing on to its own attribution is not a continuation.
    added = covering(annotated, "minister.txt", "What is new")
    assert (added["verb"], added["quote"]) == ("add", "What is new is the tone")


def test_pronouns_resolve_to_the_last_named_speaker_of_their_gender(annotated: list[dict]) -> None:
    she = covering(annotated, "added.txt", "Nobody expected")
    assert (she["speaker_written"], she["speaker"], she["actor"], she["resolution"]) == (
        "she",
        "Lopez",
        "Maria Lopez",
        "pronoun",
    )
    # "he": Ms. Lopez is a woman and Joe Biden never spoke: the economist quoted before her.
    he = covering(annotated, "added.txt", "I think the debate")
    assert (he["speaker_written"], he["actor"], he["resolution"]) == (
        "he",
        "Peter Brandt",
        "pronoun",
    )


def test_the_minister_resolves_to_the_person_introduced_with_that_role(
    annotated: list[dict],
) -> None:
    r = covering(annotated, "minister.txt", "We will answer")
    assert (r["speaker_written"], r["actor"], r["resolution"]) == (
        "the minister",
        "Sergei Lavrov",
        "role",
    )
    # With no one introduced as a minister, the role stays the (unnamed) source: see
    # test_claimed_and_added.


def test_no_pronoun_or_fragment_sources(annotated: list[dict]) -> None:
    told = covering(annotated, "added.txt", "It is under review")
    assert (told["speaker"], told["actor"], told["speaker_written"]) == (None, None, "I")
    assert told["speaker_reason"] == "pronoun: 'I' names no one"
    first = covering(annotated, "paragraphs.txt", "We have been asking")
    assert (first["speaker"], first["speaker_reason"]) == (
        None,
        "pronoun: no speaker named before it",
    )
    assert not {r["speaker"] for r in annotated} & {"I", "he", "she", "He", "She", "we"}
    fragment = extract_quotes(
        [("f", '"The plan will fail," some said.'), ("g", '"It is over," many said.')]
    ).to_pylist()
    for r in fragment:
        assert r["speaker"] is None and r["speaker_reason"].startswith("fragment"), r


def test_affiliation_never_from_a_title(annotated: list[dict]) -> None:
    quoted = covering(annotated, "titles.txt", "Moscow does not need")
    assert quoted["role"].startswith("author of")
    assert quoted["affiliation"] is None  # "The Kremlin's Secret War" is a book
    italic = covering(annotated, "titles.txt", "Nobody in the room")
    assert (italic["affiliation"], italic["outlet"]) == (None, "BBC")  # *Russia Against the West*
    possessive = covering(annotated, "titles.txt", "Expansion was a choice")
    assert (possessive["role"], possessive["affiliation"]) == ("Harvard's", "Harvard")
    appositive = covering(annotated, "titles.txt", "The alliance is stronger")
    assert appositive["affiliation"] == "NATO"
