"""Actors in articles: alias table, NER in English and Russian, name variants, co-occurrence."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pyarrow as pa
import pytest

from infoscope.articles.actors import (
    DEFAULT_ALIASES,
    MENTION_SCHEMA,
    AliasTable,
    default_aliases,
    extract_actors,
    load_aliases,
)
from infoscope.articles.relations import actor_network, actor_relations, relations_over_time
from infoscope.errors import BadParameterError

ARTICLES = [
    (
        "russia",
        "Moscow denied the report. The Kremlin said Vladimir Putin would attend the summit. "
        "Putin's government issued a statement, and the Russian government repeated it. "
        "Putin later spoke to reporters.",
    ),
    (
        "china",
        "Beijing rejected the claims. The CPC said the Chinese Communist Party would not yield.",
    ),
    ("mideast", "The PLO and Hamas met in Gaza. Washington and the U.S. Congress were silent."),
    (
        "names",
        "John Smith arrived in Paris on Monday. Later, Smith met the mayor. "
        "Moscow State University sent a delegation. Let us see what happens.",
    ),
    (
        "ambiguous",
        "John Smith and Mary Smith arrived in Paris on Monday. Later, Smith met the mayor.",
    ),
    ("headline", "Russia warns NATO\nThe Russian government said on Monday that it would respond."),
    (
        "russian",
        "Путин заявил, что Кремль не допустит расширения НАТО. "
        "Представители правительства России прибыли в Москву. "
        "По словам Пескова, Россия готова к переговорам.",
    ),
]
TEXTS = dict(ARTICLES)


@pytest.fixture(scope="module")
def mentions() -> pa.Table:
    return extract_actors(ARTICLES)


def rows(table: pa.Table, article_id: str) -> list[dict]:
    return [r for r in table.to_pylist() if r["article_id"] == article_id]


def resolved(table: pa.Table, article_id: str) -> dict[str, tuple[str, str, str]]:
    """mention text -> (actor, kind, resolution), for one article."""
    return {
        r["mention"]: (r["actor"], r["actor_kind"], r["resolution"])
        for r in rows(table, article_id)
    }


def test_schema_offsets_and_sentences(mentions: pa.Table) -> None:
    assert mentions.schema == MENTION_SCHEMA
    assert mentions.num_rows > 20
    for r in mentions.to_pylist():
        text = TEXTS[r["article_id"]]
        assert text[r["start"] : r["end"]] == r["mention"]
        assert text[r["sentence_start"] : r["sentence_end"]] == r["sentence_text"]
        assert r["sentence_start"] <= r["start"] < r["end"] <= r["sentence_end"]
        assert r["actor_kind"] in ("person", "organisation", "state", "place", "group")
        assert r["resolution"] in ("alias", "name", "ner")


def test_russia_aliases_and_putin_stays_a_person(mentions: pa.Table) -> None:
    found = resolved(mentions, "russia")
    for alias in ("Moscow", "The Kremlin", "Putin's government", "Russian government"):
        assert found[alias] == ("Russia", "state", "alias"), alias
    assert found["Vladimir Putin"] == ("Vladimir Putin", "person", "alias")
    assert found["Putin"] == ("Vladimir Putin", "person", "alias")
    # The longest match wins: "Putin's government" is one mention (the state), not Putin.
    assert [r["mention"] for r in rows(mentions, "russia")].count("Putin") == 1
    assert [r["sentence"] for r in rows(mentions, "russia")] == [0, 1, 1, 2, 2, 3]


def test_china_and_middle_east_aliases(mentions: pa.Table) -> None:
    china = resolved(mentions, "china")
    # The recogniser's span includes "the"; the table resolves it without.
    for alias in ("Beijing", "CPC", "the Chinese Communist Party"):
        assert china[alias] == ("China", "state", "alias"), alias
    mideast = resolved(mentions, "mideast")
    assert mideast["PLO"] == ("Palestine Liberation Organization", "organisation", "alias")
    assert mideast["Hamas"] == ("Hamas", "organisation", "alias")
    assert mideast["Washington"] == ("United States", "state", "alias")
    # A longer recognised name that contains an alias is its own actor.
    congress = [v for k, v in mideast.items() if k.endswith("U.S. Congress")]
    assert congress == [("U.S. Congress", "organisation", "ner")]


def test_longer_names_and_pronouns_are_not_aliases(mentions: pa.Table) -> None:
    names = resolved(mentions, "names")
    assert names["Moscow State University"] == (
        "Moscow State University",
        "organisation",
        "ner",
    )
    assert "us" not in names  # the pronoun, not the United States
    assert all(r["actor"] != "United States" for r in rows(mentions, "names"))


def test_person_name_variants_link_within_an_article(mentions: pa.Table) -> None:
    smith = [r for r in rows(mentions, "names") if r["mention"] == "Smith"]
    assert [(r["actor"], r["resolution"]) for r in smith] == [("John Smith", "name")]
    assert resolved(mentions, "names")["Paris"] == ("Paris", "place", "ner")
    # Two Smiths: "Smith" alone is ambiguous and stays as written.
    ambiguous = [r for r in rows(mentions, "ambiguous") if r["mention"] == "Smith"]
    assert [(r["actor"], r["resolution"]) for r in ambiguous] == [("Smith", "ner")]


def test_headline_line_is_its_own_sentence(mentions: pa.Table) -> None:
    found = rows(mentions, "headline")
    assert [(r["mention"], r["sentence"], r["sentence_text"]) for r in found[:2]] == [
        ("Russia", 0, "Russia warns NATO"),
        ("NATO", 0, "Russia warns NATO"),
    ]
    assert found[2]["actor"] == "Russia" and found[2]["sentence"] == 1


def test_russian_text_through_natasha(mentions: pa.Table) -> None:
    found = rows(mentions, "russian")
    assert {r["lang"] for r in found} == {"ru"}
    got = [(r["mention"], r["actor"], r["actor_kind"], r["sentence"]) for r in found]
    assert got == [
        ("Путин", "Vladimir Putin", "person", 0),
        ("Кремль", "Russia", "state", 0),
        ("НАТО", "NATO", "organisation", 0),
        # Inflected forms, matched through lemmas and natasha's normal forms.
        ("правительства России", "Russia", "state", 1),
        ("Москву", "Russia", "state", 1),
        ("Пескова", "Dmitry Peskov", "person", 2),
        ("Россия", "Russia", "state", 2),
    ]


def test_input_forms_and_forced_language() -> None:
    text = "Hamas and the PLO met."
    as_pairs = extract_actors([("a", text)])
    as_dicts = extract_actors([{"article_id": "a", "text": text, "lang": "en"}])
    as_table = extract_actors(pa.table({"article_id": ["a"], "text": [text]}))
    assert as_pairs.equals(as_dicts) and as_pairs.equals(as_table)
    assert as_pairs.column("actor").to_pylist() == ["Hamas", "Palestine Liberation Organization"]
    forced = extract_actors([(7, text)], lang="en-GB")
    assert forced.column("article_id").to_pylist() == ["7", "7"]
    assert set(forced.column("lang").to_pylist()) == {"en-GB"}
    assert extract_actors([("empty", ""), ("blank", "   \n ")]).num_rows == 0
    with pytest.raises(BadParameterError):
        extract_actors([("only-id",)])
    with pytest.raises(BadParameterError):
        extract_actors([{"text": "no id"}])


def test_user_table_extends_and_overrides_the_default(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "alias,canonical,kind\n"
        "# local news: Washington is the city\n"
        "Washington,Washington D.C.,place\n"
        "Gazprom,Gazprom,organisation\n"
        "Hamas,,\n",
        encoding="utf-8",
    )
    table = load_aliases(path)
    assert table.lookup("washington") == ("Washington D.C.", "place")
    assert table.lookup("GAZPROM") == ("Gazprom", "organisation")
    assert table.lookup("Hamas") is None  # removed by the empty canonical
    assert table.lookup("the Kremlin") == ("Russia", "state")  # default rows kept
    alone = load_aliases(path, default=False)
    assert len(alone) == 2 and alone.lookup("Moscow") is None
    found = extract_actors([("a", "Washington praised Gazprom.")], aliases=path)
    assert dict(zip(found["mention"].to_pylist(), found["actor"].to_pylist(), strict=True)) == {
        "Washington": "Washington D.C.",
        "Gazprom": "Gazprom",
    }
    assert found.column("resolution").to_pylist() == ["alias", "alias"]


def test_alias_table_matching_rules() -> None:
    table = AliasTable(
        [
            ("US", "United States", "state"),
            ("Putin's government", "Russia", "state"),
            ("Putin", "Vladimir Putin", "person"),
            ("European Union", "European Union", "organisation"),
        ]
    )
    text = "Let us see: Putin’s government, the US and the european   union. Putin."
    found = [(text[s:e], c) for s, e, c, _ in table.scan(text)]
    assert found == [
        ("Putin’s government", "Russia"),  # curly apostrophe; longest first
        ("US", "United States"),  # acronyms only as written: "us" is not matched
        ("european   union", "European Union"),  # case and spacing ignored
        ("Putin", "Vladimir Putin"),
    ]
    assert table.lookup("the us") == ("United States", "state")  # whole names ignore case
    assert table.lookup("Putin's") == ("Vladimir Putin", "person")
    assert "PUTIN" in table and "Xi" not in table
    with pytest.raises(BadParameterError, match="kind"):
        AliasTable([("X", "Y", "country")])


def test_default_table_keeps_persons_apart_from_states() -> None:
    table = default_aliases()
    assert DEFAULT_ALIASES.name == "aliases.csv" and len(table) > 150
    by_canonical: dict[str, set[str]] = {}
    for _, canonical, kind in table.rows():
        by_canonical.setdefault(canonical, set()).add(kind)
    assert all(len(kinds) == 1 for kinds in by_canonical.values()), by_canonical
    for alias in ("Putin", "Vladimir Putin", "Путин", "Xi Jinping", "Zelensky"):
        assert table.lookup(alias)[1] == "person", alias  # type: ignore[index]
    for alias in ("Moscow", "Kremlin", "Москва", "Кремль", "Россия", "Putin's government"):
        assert table.lookup(alias) == ("Russia", "state"), alias
    assert table.to_arrow().column_names == ["alias", "canonical", "kind"]


def test_bad_alias_files(tmp_path: Path) -> None:
    with pytest.raises(BadParameterError, match="not a file"):
        load_aliases(tmp_path / "missing.csv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("alias\tcanonical\tkind\nNATO\tNATO\n", encoding="utf-8")
    with pytest.raises(BadParameterError, match="no kind"):
        load_aliases(bad)
    good = tmp_path / "good.tsv"
    good.write_text("NATO\tNorth Atlantic Alliance\torganisation\n", encoding="utf-8")
    assert load_aliases(good).lookup("nato") == ("North Atlantic Alliance", "organisation")


# --- relations: a hand-made mentions table ------------------------------------------------

# Units (article, sentence) and their actors:
#   a1/0: A B   a1/1: A B C   a1/2: A   a2/0: B C   a2/1: D
_UNITS = [
    ("a1", 0, ["A", "B"]),
    ("a1", 1, ["A", "B", "C", "A"]),
    ("a1", 2, ["A"]),
    ("a2", 0, ["B", "C"]),
    ("a2", 1, ["D"]),
]


@pytest.fixture
def toy() -> pa.Table:
    columns: dict[str, list] = {name: [] for name in MENTION_SCHEMA.names}
    for article_id, sentence, actors in _UNITS:
        for actor in actors:
            row = {
                "article_id": article_id,
                "lang": "en",
                "sentence": sentence,
                "sentence_start": 0,
                "sentence_end": 1,
                "sentence_text": f"{article_id} sentence {sentence}",
                "mention": actor,
                "start": 0,
                "end": 1,
                "entity_type": "PERSON" if actor != "D" else "GPE",
                "actor": actor,
                "actor_kind": "person" if actor != "D" else "state",
                "resolution": "ner",
            }
            for name in MENTION_SCHEMA.names:
                columns[name].append(row.get(name))
    return pa.table(columns, schema=MENTION_SCHEMA)


def test_sentence_pairs_pmi_and_npmi(toy: pa.Table) -> None:
    found = actor_relations(toy, level="sentence", min_count=2).to_pylist()
    # N = 5 sentences; c(A) = 3, c(B) = 3, c(C) = 2; c(A,B) = 2, c(B,C) = 2, c(A,C) = 1.
    assert [(r["actor_a"], r["actor_b"], r["count"]) for r in found] == [
        ("B", "C", 2),  # same count: the higher NPMI first
        ("A", "B", 2),
    ]
    bc, ab = found
    assert (bc["count_a"], bc["count_b"], bc["units"], bc["articles"]) == (3, 2, 5, 2)
    assert bc["pmi"] == pytest.approx(math.log(5 / 3))
    assert bc["npmi"] == pytest.approx(math.log(5 / 3) / math.log(5 / 2))
    assert ab["pmi"] == pytest.approx(math.log(10 / 9))
    assert ab["npmi"] == pytest.approx(math.log(10 / 9) / math.log(5 / 2))
    assert ab["evidence"] == [
        {"article_id": "a1", "sentence": 0, "text": "a1 sentence 0"},
        {"article_id": "a1", "sentence": 1, "text": "a1 sentence 1"},
    ]
    assert [e["article_id"] for e in bc["evidence"]] == ["a1", "a2"]
    assert bc["level"] == "sentence" and bc["kind_a"] == "person"
    one = actor_relations(toy, min_count=1, evidence=1)
    ac = next(r for r in one.to_pylist() if (r["actor_a"], r["actor_b"]) == ("A", "C"))
    assert ac["pmi"] == pytest.approx(math.log(5 / 6)) and ac["npmi"] < 0
    assert all(len(r["evidence"]) == 1 for r in one.to_pylist())
    wider = actor_relations(toy, min_count=2, n_units=10).to_pylist()
    assert wider[1]["pmi"] == pytest.approx(math.log(20 / 9))


def test_article_pairs_and_their_evidence(toy: pa.Table) -> None:
    found = {
        (r["actor_a"], r["actor_b"]): r
        for r in actor_relations(toy, level="article", min_count=1).to_pylist()
    }
    assert sorted(found) == [("A", "B"), ("A", "C"), ("B", "C"), ("B", "D"), ("C", "D")]
    bc = found[("B", "C")]
    # Both in both articles: PMI 0, NPMI 1 by convention (c(B,C) = N).
    assert (bc["count"], bc["units"], bc["pmi"], bc["npmi"]) == (2, 2, 0.0, 1.0)
    assert [(e["article_id"], e["sentence"]) for e in bc["evidence"]] == [("a1", 1), ("a2", 0)]
    # B and D never share a sentence: the first sentence of each.
    assert [(e["article_id"], e["sentence"]) for e in found[("B", "D")]["evidence"]] == [
        ("a2", 0),
        ("a2", 1),
    ]
    assert found[("A", "B")]["npmi"] == pytest.approx(0.0)


def test_relations_bad_parameters(toy: pa.Table) -> None:
    with pytest.raises(BadParameterError, match="level"):
        actor_relations(toy, level="paragraph")
    with pytest.raises(BadParameterError, match="min_count"):
        actor_relations(toy, min_count=0)
    with pytest.raises(BadParameterError, match="n_units"):
        actor_relations(toy, n_units=3)
    with pytest.raises(BadParameterError, match="lack"):
        actor_relations(toy.drop_columns(["actor"]))
    assert actor_relations(toy.slice(0, 0)).num_rows == 0


def test_actor_network(toy: pa.Table) -> None:
    relations = actor_relations(toy, min_count=1)
    graph = actor_network(relations, seed=3)
    # A-C has a negative NPMI and is left out.
    assert graph.vs["name"] == ["A", "B", "C"]
    assert sorted(tuple(sorted(graph.vs[e.tuple]["name"])) for e in graph.es) == [
        ("A", "B"),
        ("B", "C"),
    ]
    assert graph.vs["degree"] == [1, 2, 1]
    npmi = {(r["actor_a"], r["actor_b"]): r["npmi"] for r in relations.to_pylist()}
    assert graph.vs["strength"][1] == pytest.approx(npmi[("A", "B")] + npmi[("B", "C")])
    assert graph.vs["kind"] == ["person", "person", "person"]
    assert graph.vs["units"] == [3, 3, 2]
    assert len(graph.vs["community"]) == 3 and "modularity" in graph.attributes()
    again = actor_network(relations, seed=3)
    assert again.vs["community"] == graph.vs["community"]
    by_count = actor_network(relations, weight="count")
    assert by_count.ecount() == 3 and sorted(by_count.es["weight"]) == [1.0, 2.0, 2.0]
    with pytest.raises(BadParameterError, match="weight"):
        actor_network(relations, weight="lift")


def test_relations_over_time(toy: pa.Table) -> None:
    dates = {"a1": "2024-01-15", "a2": dt.datetime(2024, 2, 3, 12, 0)}
    monthly = relations_over_time(toy, dates).to_pylist()
    assert [(r["period"], r["actor_a"], r["actor_b"], r["count"]) for r in monthly] == [
        (dt.date(2024, 1, 1), "A", "B", 2),
        (dt.date(2024, 1, 1), "A", "C", 1),
        (dt.date(2024, 1, 1), "B", "C", 1),
        (dt.date(2024, 2, 1), "B", "C", 1),
    ]
    weekly = relations_over_time(
        toy,
        pa.table({"article_id": ["a1", "a2"], "date": [dt.date(2024, 1, 15), None]}),
        period="week",
        level="article",
    ).to_pylist()
    # 15 January 2024 is a Monday; a2 has no date and is left out.
    assert {(r["period"], r["actor_a"], r["actor_b"], r["articles"]) for r in weekly} == {
        (dt.date(2024, 1, 15), "A", "B", 1),
        (dt.date(2024, 1, 15), "A", "C", 1),
        (dt.date(2024, 1, 15), "B", "C", 1),
    }
    with pytest.raises(BadParameterError, match="period"):
        relations_over_time(toy, dates, period="decade")
    with pytest.raises(BadParameterError, match="ISO"):
        relations_over_time(toy, {"a1": "last week"})


def test_relations_from_extracted_mentions(mentions: pa.Table) -> None:
    found = actor_relations(mentions, level="sentence", min_count=1).to_pylist()
    pairs = {(r["actor_a"], r["actor_b"]): r for r in found}
    putin_russia = pairs[("Russia", "Vladimir Putin")]
    assert putin_russia["count"] == 2 and putin_russia["articles"] == 2
    assert putin_russia["evidence"] == [
        {
            "article_id": "russia",
            "sentence": 1,
            "text": "The Kremlin said Vladimir Putin would attend the summit.",
        },
        {
            "article_id": "russian",
            "sentence": 0,
            "text": "Путин заявил, что Кремль не допустит расширения НАТО.",
        },
    ]
    # Repeated mentions in one sentence count once.
    assert pairs[("NATO", "Russia")]["count"] == 2  # the headline and the Russian sentence


# -- Issue 20: actors resolved once ------------------------------------------------------------
# Each article holds one of the faults the issue names: a nationality adjective taken for an
# actor, a title and nationality around a person's name, a surname recognised as a group, a
# think tank split three ways, a platform typed as a person, and Russia-Russian self-pairs.
RESOLVED = [
    (
        "putin",
        "Russian President Vladimir Putin met Israeli Prime Minister Benjamin Netanyahu. "
        "Putin said Russians and Israelis were friends. Russia and Israel signed a deal.",
    ),
    (
        "smirnov",
        "Dmitri Smirnov, a researcher at the RAND Corporation, spoke on Monday. "
        "Smirnov said a RAND report agreed. The Rand Corporation published it on Twitter.",
    ),
]


@pytest.fixture(scope="module")
def resolved_mentions() -> pa.Table:
    return extract_actors(RESOLVED, lang="en")


def test_nationality_and_title_are_attributes_of_the_person(resolved_mentions: pa.Table) -> None:
    found = rows(resolved_mentions, "putin")
    putin = next(r for r in found if r["mention"] == "Vladimir Putin")
    assert (putin["actor"], putin["affiliation"], putin["role"]) == (
        "Vladimir Putin",
        "Russia",
        "head of state",
    )
    bibi = next(r for r in found if r["mention"] == "Benjamin Netanyahu")
    assert (bibi["affiliation"], bibi["role"]) == ("Israel", "head of government")
    # The adjectives in the titles are no mentions of their own.
    assert "Israeli" not in [r["mention"] for r in found]
    assert "Russian" not in [r["mention"] for r in found]
    # "Putin" later takes the full name and its attributes.
    later = next(r for r in found if r["mention"] == "Putin")
    assert (later["actor"], later["affiliation"]) == ("Vladimir Putin", "Russia")


def test_demonyms_are_their_state_and_make_no_self_pairs(resolved_mentions: pa.Table) -> None:
    found = resolved(resolved_mentions, "putin")
    assert found["Russians"] == ("Russia", "state", "nationality")
    assert found["Israelis"] == ("Israel", "state", "nationality")
    actors = {r["actor"] for r in rows(resolved_mentions, "putin")}
    assert actors == {"Vladimir Putin", "Benjamin Netanyahu", "Russia", "Israel"}
    pairs = actor_relations(resolved_mentions, level="sentence").to_pylist()
    assert all(p["actor_a"] != p["actor_b"] for p in pairs)
    assert {(p["actor_a"], p["actor_b"]) for p in pairs} >= {("Israel", "Russia")}


def test_short_name_one_kind_and_one_rand(resolved_mentions: pa.Table) -> None:
    found = rows(resolved_mentions, "smirnov")
    smirnov = {(r["actor"], r["actor_kind"]) for r in found if "Smirnov" in r["mention"]}
    assert smirnov == {("Dmitri Smirnov", "person")}
    first = next(r for r in found if r["mention"] == "Dmitri Smirnov")
    assert (first["affiliation"], first["role"]) == ("RAND Corporation", "expert")
    rand = {r["actor"] for r in found if "rand" in r["mention"].lower()}
    assert rand == {"RAND Corporation"}
    assert ("Twitter", "organisation") in {(r["actor"], r["actor_kind"]) for r in found}


def test_one_kind_per_actor_across_articles() -> None:
    from infoscope.articles.actors import _vote_kinds

    table = AliasTable([("Twitter", "Twitter", "organisation")])
    votes = [
        ("Smirnov", "person", "ner"),
        ("Smirnov", "group", "ner"),  # a tie: person wins
        ("Ivanov", "organisation", "ner"),
        ("Ivanov", "person", "ner"),
        ("Ivanov", "person", "name"),  # the majority
        ("Twitter", "person", "ner"),  # the table's canonical name decides
    ]
    assert _vote_kinds(votes, table) == {
        "Smirnov": "person",
        "Ivanov": "person",
        "Twitter": "organisation",
    }


def test_user_table_wins_over_the_nationality_table(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("alias,canonical,kind\nRussians,Russian people,group\n", encoding="utf-8")
    found = resolved(extract_actors([("a", "Russians voted on Sunday.")], aliases=path), "a")
    assert found["Russians"] == ("Russian people", "group", "alias")


def test_affiliation_role_and_speaker_reason_are_stored_also_in_an_older_store(
    tmp_path: Path,
) -> None:
    """Mentions keep their affiliation and role, quotes why a speaker was left NULL; a store
    from before schema 13 gains the columns when opened for writing."""
    from infoscope.articles.run import run_actors, run_quotes
    from infoscope.ingest import ingest
    from infoscope.store import Store

    page = tmp_path / "summit.txt"
    page.write_text(
        "Leaders meet in Moscow\n\n"
        "Russian President Vladimir Putin met Israeli Prime Minister Benjamin Netanyahu in "
        "Moscow on Monday to discuss the archive, the talks and the region for several hours.\n\n"
        '"We were not invited," they said. Putin said the talks went well.\n',
        encoding="utf-8",
    )
    path = tmp_path / "old.duckdb"
    with Store.open(path) as store:
        ingest(store, [page], format="text-article")
        # As schema 12 left them: without the new columns.
        for table, columns in (
            ("article_mentions", ("affiliation", "role")),
            ("article_quotes", ("speaker_written", "speaker_reason")),
        ):
            for column in columns:
                store.con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        store.con.execute("UPDATE meta SET value = '12' WHERE key = 'schema_version'")
    with Store.open(path) as store:
        run_actors(store)
        run_quotes(store)
        mentions = store.con.execute(
            "SELECT actor, affiliation, role FROM article_mentions WHERE mention = 'Vladimir Putin'"
        ).fetchall()
        reasons = store.con.execute(
            "SELECT speaker, speaker_reason FROM article_quotes WHERE quote LIKE 'We were%'"
        ).fetchall()
    assert mentions == [("Vladimir Putin", "Russia", "head of state")]
    assert len(reasons) == 1 and reasons[0][0] is None and reasons[0][1]


# -- Issue 20: pronouns resolved to the one person they can name --------------------------------
PRONOUNS = [
    # One person named: "He", "him" and "his" are Peskov, with his affiliation and role.
    (
        "one",
        "Kremlin spokesman Dmitry Peskov spoke on Monday. He said the talks would go on. "
        "Reporters asked him about his plans.",
    ),
    # Two persons of unknown gender: "He" could be either, so it is no mention.
    ("two", "John Smith met Paul Jones in Paris. He said the talks went well."),
    # "Mr" and "Ms" tell the two apart: "She" is Zakharova, "he" Lavrov.
    (
        "titles",
        "Mr Sergei Lavrov met Ms Maria Zakharova in Moscow. She said the talks went well. "
        "Later he agreed.",
    ),
    # A role word gives the gender ("chairwoman"): "he" is Hale, and, once resolved, tells
    # the next "She" that Hale is not her.
    ("roles", "Board chairwoman Anna Berg met Tom Hale. Then he replied. She spoke later."),
    # A pronoun beside its person's name: Peskov and Russia share the sentence once.
    ("same", "Dmitry Peskov said he spoke for Russia."),
    # "it" and "they" name no one; a pronoun in a quotation is left alone.
    (
        "untouched",
        'Angela Merkel visited NATO. It said they welcomed the visit. "He is wrong," they said.',
    ),
    # Three sentences back is too far; a resolved pronoun carries the person on.
    ("far", "John Smith arrived. Rain fell. Snow fell. Wind blew. He left."),
    ("chain", "John Smith arrived. He spoke. He ate. He left."),
]


@pytest.fixture(scope="module")
def pronoun_mentions() -> pa.Table:
    return extract_actors(PRONOUNS, lang="en")


def pronouns_of(table: pa.Table, article_id: str) -> list[tuple[str, str]]:
    return [
        (r["mention"], r["actor"]) for r in rows(table, article_id) if r["resolution"] == "pronoun"
    ]


def test_pronouns_resolve_to_the_one_person_named(pronoun_mentions: pa.Table) -> None:
    text = dict(PRONOUNS)
    assert pronouns_of(pronoun_mentions, "one") == [
        ("He", "Dmitry Peskov"),
        ("him", "Dmitry Peskov"),
        ("his", "Dmitry Peskov"),
    ]
    he = next(r for r in rows(pronoun_mentions, "one") if r["mention"] == "He")
    assert text["one"][he["start"] : he["end"]] == "He"
    assert (he["actor_kind"], he["entity_type"], he["sentence"]) == ("person", "PERSON", 1)
    assert (he["affiliation"], he["role"]) == ("Russia", "spokesperson")
    assert pronouns_of(pronoun_mentions, "chain") == [("He", "John Smith")] * 3


def test_ambiguous_or_distant_pronouns_are_no_mention(pronoun_mentions: pa.Table) -> None:
    assert pronouns_of(pronoun_mentions, "two") == []
    assert pronouns_of(pronoun_mentions, "far") == []


def test_pronouns_respect_gender_cues(pronoun_mentions: pa.Table) -> None:
    assert pronouns_of(pronoun_mentions, "titles") == [
        ("She", "Maria Zakharova"),
        ("he", "Sergei Lavrov"),
    ]
    assert pronouns_of(pronoun_mentions, "roles") == [("he", "Tom Hale"), ("She", "Anna Berg")]


def test_it_they_and_quoted_pronouns_are_untouched(pronoun_mentions: pa.Table) -> None:
    assert pronouns_of(pronoun_mentions, "untouched") == []
    assert {r["mention"] for r in rows(pronoun_mentions, "untouched")} == {"Angela Merkel", "NATO"}


def test_pronouns_can_be_turned_off_and_make_no_self_pairs(pronoun_mentions: pa.Table) -> None:
    assert pronouns_of(pronoun_mentions, "same") == [("he", "Dmitry Peskov")]
    off = extract_actors(PRONOUNS, lang="en", pronouns=False)
    assert "pronoun" not in off.column("resolution").to_pylist()
    named = [r for r in pronoun_mentions.to_pylist() if r["resolution"] != "pronoun"]
    assert named == off.to_pylist()
    # "he" beside "Dmitry Peskov" makes no Peskov-Peskov pair and counts Peskov-Russia once;
    # "Later he agreed." adds Lavrov to a sentence where no one else is named.
    for level in ("sentence", "article"):
        with_pronouns = actor_relations(pronoun_mentions, level=level, min_count=1).to_pylist()
        assert all(p["actor_a"] != p["actor_b"] for p in with_pronouns)
        without = {
            (p["actor_a"], p["actor_b"]): p["count"]
            for p in actor_relations(off, level=level, min_count=1).to_pylist()
        }
        assert {(p["actor_a"], p["actor_b"]): p["count"] for p in with_pronouns} == without
