"""Directed, typed events: PETRARCH dictionary syntax, the dependency coder (source, target,
quad class, negation, modality), the stored run and its command, and the PETRARCH2
unit-test score on real data."""

from __future__ import annotations

import pytest

from infoscope.articles.events.dictionaries import (
    ActorDictionary,
    Dictionaries,
    load_dictionaries,
    read_actor_dictionary,
    read_verb_dictionary,
    verb_forms,
)
from infoscope.articles.events.evaluate import score_events
from infoscope.articles.events.extract import code_sentence, quad_class, root_code
from infoscope.errors import BadParameterError
from infoscope.store import Store

from .conftest import cli_json, rows, run_cli, shared

# A tiny verb dictionary in PETRARCH syntax: a default code, a pattern that refines it, a
# reverse code (a visit is hosted), irregular forms, and a block without a default code.
VERBS = """\
&TIES
+DIPLOMATIC TIES
+RELATIONS

--- RESTORE  [064]  ---
RESTORE
- * &TIES  [064]
- * ORDER  [050]   # a pattern that changes the code

--- VISIT  [042:043]  ---
VISIT

--- CONDEMN  [111]  ---
CONDEMN

--- SEND  [---]  ---
SEND {SENDS SENDING SENT}
- * TROOPS  [190]

--- MEET  [040]  ---
MEET {MEETS MEETING MET}
"""
# Actors: synonyms after the code, codes on their own lines, dated codes; agents.
ACTORS = """\
ARNOR_  [ARN]
+ARNORIAN
GONDOR [GON]
+MINAS_TIRITH
ROHAN
\t[ROH]
SAM_GAMGEE [HOB]
\t[HOBGOV 20120101-20121231]
"""
AGENTS = """\
!PERSON! = MAN, WOMAN
MINISTER [~GOV]
SOLDIER [~MIL]
"""


@pytest.fixture(scope="module")
def dictionaries(tmp_path_factory: pytest.TempPathFactory) -> Dictionaries:
    folder = tmp_path_factory.mktemp("dictionaries")
    (folder / "CAMEO.test.txt").write_text(VERBS, encoding="utf-8")
    (folder / "test.actors.txt").write_text(ACTORS, encoding="utf-8")
    (folder / "test.agents.txt").write_text(AGENTS, encoding="utf-8")
    return load_dictionaries(folder)


@pytest.fixture(scope="module")
def nlp():
    from infoscope.articles.actors import english_nlp

    return english_nlp(True)


def events(nlp, dictionaries, text: str, **options) -> list[tuple]:
    doc = nlp(text)
    return [
        (e.source.code, e.target.code, e.code, e.quad, e.negated, e.modality)
        for sent in doc.sents
        for e in code_sentence(sent, dictionaries=dictionaries, **options)
    ]


@pytest.mark.parametrize(
    ("code", "root", "quad"),
    [
        ("042", "04", "verbal cooperation"),
        ("057", "05", "verbal cooperation"),
        ("0841", "08", "material cooperation"),
        ("111", "11", "verbal conflict"),
        ("1823", "18", "material conflict"),
        ("20", "20", "material conflict"),
        ("901", None, None),  # not a CAMEO root
        (None, None, None),
    ],
)
def test_quad_class_comes_from_the_cameo_root(code, root, quad):
    assert root_code(code) == root and quad_class(code) == quad


def test_verb_forms_are_generated():
    assert {"RESTORE", "RESTORES", "RESTORED", "RESTORING"} <= verb_forms("restore")
    assert {"VETOES", "VETOED"} <= verb_forms("veto")
    assert {"STOPPED", "STOPPING"} <= verb_forms("stop")


def test_verb_dictionary_reads_blocks_patterns_reverse_codes_and_forms(tmp_path):
    path = tmp_path / "verbs.txt"
    path.write_text(VERBS, encoding="utf-8")
    verbs = read_verb_dictionary(path)
    restore = verbs.forms["RESTORED"][0][2]
    assert restore.code == "064" and [p.code for p in restore.patterns] == ["064", "050"]
    # the synonym set expands into alternatives
    assert restore.patterns[0].after[0] == (("DIPLOMATIC", "TIES"), ("RELATIONS",))
    visit = verbs.forms["VISITED"][0][2]
    assert (visit.code, visit.reverse) == ("042", "043")
    assert verbs.forms["SENT"][0][2].code is None  # [---]: no default code


def test_actor_dictionary_reads_synonyms_dated_codes_and_agents(tmp_path):
    actors_path, agents_path = tmp_path / "a.txt", tmp_path / "g.txt"
    actors_path.write_text(ACTORS, encoding="utf-8")
    agents_path.write_text(AGENTS, encoding="utf-8")
    actors = read_actor_dictionary([actors_path], [agents_path])
    assert isinstance(actors, ActorDictionary)
    assert actors.code_of(("ARNORIAN",), None) == "ARN"  # synonym after the code
    assert actors.code_of(("MINAS", "TIRITH"), None) == "GON"
    assert actors.code_of(("ROHAN",), None) == "ROH"  # code on its own line
    assert actors.code_of(("SAM", "GAMGEE"), 20120601) == "HOBGOV"  # in force that day
    assert actors.code_of(("SAM", "GAMGEE"), 20150601) == "HOB"  # else the undated one
    assert actors.agents[("MINISTER",)] == ("GOV", False)
    # A name without a final "_" is a stem ("Gondorian"); "ARNOR_" is exact.
    assert actors.word_matches(("GONDOR",), 0, "GONDORIAN")
    assert not actors.word_matches(("ARNOR",), 0, "ARNORS")
    # An agent matches its plural, not any word it begins ("ministerial").
    assert actors.word_matches(("MINISTER",), 0, "MINISTERS")
    assert not actors.word_matches(("MINISTER",), 0, "MINISTERIAL")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # default code through a pattern; the target is a prepositional object of the object
        ("Arnor restored diplomatic ties with Gondor.", [("ARN", "GON", "064")]),
        # a pattern that changes the code
        ("Arnor restored order in Gondor.", [("ARN", "GON", "050")]),
        # an agent joins its state's code
        ("The Arnorian minister condemned Gondor.", [("ARNGOV", "GON", "111")]),
        # the code of the reverse event: the visited hosts
        ("Arnor visited Gondor.", [("ARN", "GON", "042"), ("GON", "ARN", "043")]),
        # compound source: one event each
        ("Arnor and Rohan condemned Gondor.", [("ARN", "GON", "111"), ("ROH", "GON", "111")]),
        # a list the parse attaches as appositions and modifiers is split at its commas and
        # conjunctions; members that name no actor are left out
        (
            "Arnor, Rohan and the evil awful Gondor condemned Sam Gamgee.",
            [("ARN", "HOB", "111"), ("ROH", "HOB", "111"), ("GON", "HOB", "111")],
        ),
        ("The lions and the evil awful Gondor condemned Rohan.", [("GON", "ROH", "111")]),
        # a noun before the list, parsed as a second subject
        (
            "Old allies Arnor and Rohan condemned Gondor.",
            [("ARN", "GON", "111"), ("ROH", "GON", "111")],
        ),
        # coordinated adjectives do not split the phrase
        ("Arnor's awful and evil minister condemned Gondor.", [("ARNGOV", "GON", "111")]),
        # a passive: the agent is the source
        ("Gondor was condemned by Rohan.", [("ROH", "GON", "111")]),
        # a block without a default code: only its pattern codes
        ("Arnor sent troops to Gondor.", [("ARN", "GON", "190")]),
        ("Arnor sent letters to Gondor.", []),
        # no target actor, no event; no self-pairs
        ("Arnor condemned the weather.", []),
        ("Arnor condemned Arnor.", []),
    ],
)
def test_sentences_are_coded_source_verb_target(nlp, dictionaries, text, expected):
    found = [e[:3] for e in events(nlp, dictionaries, text, fallback=False)]
    assert sorted(found) == sorted(expected)


def test_negation_and_modality_are_kept(nlp, dictionaries):
    (did_not,) = events(nlp, dictionaries, "Arnor did not condemn Gondor.")
    assert did_not[:4] == ("ARN", "GON", "111", "verbal conflict") and did_not[4] is True
    (refused,) = events(nlp, dictionaries, "Arnor refused to meet Gondor.")
    assert refused[:3] == ("ARN", "GON", "040") and refused[4] is True
    assert refused[5] == "refused to"
    (may,) = events(nlp, dictionaries, "Arnor may condemn Gondor.")
    assert may[4] is False and may[5] == "may"
    (plain,) = events(nlp, dictionaries, "Arnor condemned Gondor.")
    assert plain[4] is False and plain[5] is None


def test_without_dictionaries_mentions_and_the_fallback_list_give_events(nlp):
    from infoscope.articles.actors import Mention

    text = "Russia handed the archive to Israel. Russia liked Israel."
    mentions = [
        Mention(0, 6, "Russia", "GPE", "Russia", "state", "ner", "Russia"),
        Mention(29, 35, "Israel", "GPE", "Israel", "state", "ner", "Israel"),
        Mention(37, 43, "Russia", "GPE", "Russia", "state", "ner", "Russia"),
        Mention(50, 56, "Israel", "GPE", "Israel", "state", "ner", "Israel"),
    ]
    found = [
        (e.source.name, e.verb, e.target.name, e.code, e.quad, e.quad_source)
        for sent in nlp(text).sents
        for e in code_sentence(sent, mentions=mentions)
    ]
    # "liked" is in no list: no event; "handed" is material cooperation by the fallback list
    assert found == [("Russia", "handed", "Israel", None, "material cooperation", "fallback")]


def test_scores_count_matches_once_and_unexpected_events():
    expected = [[("ARN", "GON", "064"), ("GON", "ARN", "064")], [], [("ARN", "GON", "901")]]
    produced = [
        [("ARN", "GON", "061"), ("ARN", "GON", "061")],  # right quad, wrong code; then extra
        [("ARN", "ROH", "111")],  # unexpected
        [("ARN", "GON", "901")],  # a code outside CAMEO must be equal
    ]
    scores = score_events(produced, expected)
    assert scores["quad_found"] == 2 and scores["root_found"] == 2
    assert scores["unexpected"] == 2 and scores["produced"] == 4
    assert scores["quad"] == pytest.approx(2 / 3)


def test_a_folder_without_dictionaries_is_refused(tmp_path):
    with pytest.raises(BadParameterError, match="no verb dictionary"):
        load_dictionaries(tmp_path)
    with pytest.raises(BadParameterError, match="not a folder"):
        load_dictionaries(tmp_path / "missing")


ARTICLE = (
    "Arnor condemns Gondor\n\n"
    "Arnor condemned Gondor on Monday. The Arnorian minister did not meet Rohan.\n"
)
RUSSIAN = (
    "Россия и Грузия\n\nПутин заявил, что Россия осуждает Грузию. Москва встретилась с Киевом.\n"
)


def test_events_are_stored_printed_exported_and_shown(tmp_path, dictionaries):
    folder = tmp_path / "dicts"
    folder.mkdir()
    for name, text in (("CAMEO.t.txt", VERBS), ("t.actors.txt", ACTORS), ("t.agents.txt", AGENTS)):
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "en.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "ru.txt").write_text(RUSSIAN, encoding="utf-8")
    store_path = tmp_path / "s.duckdb"
    files = [str(tmp_path / "en.txt"), str(tmp_path / "ru.txt")]
    cli_json("articles", "ingest", *files, "--store", str(store_path), "--outlet", "Wire",
             "--format", "text-article")  # fmt: skip
    data = cli_json("articles", "events", "--store", str(store_path), "--dictionaries",
                    str(folder), "--json")  # fmt: skip
    # English: 2 events; Russian: заявил, осуждает, встретилась (actors from the mentions)
    assert data["events"] == 5 and data["coded_articles"] == 2
    assert data["not_coded_articles"] == 0
    found = {
        (e["source_code"], e["verb"], e["target_code"], e["negated"]) for e in data["top_events"]
    }
    assert {("ARN", "condemned", "GON", False), ("ARNGOV", "meet", "ROH", True)} <= found
    assert (None, "осуждает", None, False) in found
    condemned = next(e for e in data["top_events"] if e["verb"] == "condemned")
    assert condemned["sentence_text"] == "Arnor condemned Gondor on Monday."
    assert condemned["outlet"] == "Wire" and condemned["quad_class"] == "verbal conflict"
    with Store.open(store_path, read_only=True) as store:
        status = rows(store, "SELECT lang, status, reason FROM article_event_status "
                      "WHERE run_id = ? ORDER BY lang", [data["run_id"]])  # fmt: skip
    assert [s["status"] for s in status] == ["coded", "coded"]
    printed = run_cli("articles", "events", "--store", str(store_path), "--dictionaries",
                      str(folder))  # fmt: skip
    assert printed.exit_code == 0 and "Arnor condemned Gondor on Monday." in printed.output
    out = tmp_path / "events.csv"
    exported = run_cli("export", "article-events", "--store", str(store_path), "--out", str(out))
    assert exported.exit_code == 0 and out.read_text(encoding="utf-8").count("\n") == 6
    report = tmp_path / "r.html"
    assert run_cli("report", "--store", str(store_path), "--out", str(report)).exit_code == 0
    html = report.read_text(encoding="utf-8")
    assert 'id="events"' in html and "who does what to whom" in html


def test_a_bad_dictionary_folder_is_one_line_and_a_non_zero_exit(tmp_path):
    (tmp_path / "en.txt").write_text(ARTICLE, encoding="utf-8")
    store_path = tmp_path / "s.duckdb"
    cli_json("articles", "ingest", str(tmp_path / "en.txt"), "--store", str(store_path),
             "--format", "text-article")  # fmt: skip
    result = run_cli("articles", "events", "--store", str(store_path), "--dictionaries",
                     str(tmp_path))  # fmt: skip
    assert result.exit_code != 0 and "no verb dictionary" in result.output
    assert "Traceback" not in result.output


def russian_events(text: str, **options) -> list[tuple]:
    from infoscope.articles.events.extract import extract_events

    table, status = extract_events([("a", text, "ru")], **options)
    assert status[0]["status"] == "coded"
    return [
        (r["source"], r["verb_entry"], r["target"], r["quad_class"], r["negated"], r["modality"])
        for r in table.to_pylist()
    ]


VC, MC, VX, MX = (
    "verbal cooperation",
    "material cooperation",
    "verbal conflict",
    "material conflict",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Россия осудила Францию.", [("Russia", "осудить", "France", VX, False, None)]),
        # negation; a prepositional target; Moscow and Kyiv resolve to their states
        ("Москва не встретилась с Киевом.",
         [("Russia", "встретиться", "Ukraine", VC, True, None)]),
        # the reporting verb targets the reported clause's subject, which acts in turn
        ("Путин заявил, что Россия поддержит Сирию.",
         [("Vladimir Putin", "заявить", "Russia", VC, False, None),
          ("Russia", "поддержать", "Syria", VC, False, None)]),
        # a verb with its object; the object's prepositional phrase is the target
        ("Россия ввела санкции против Ирана.",
         [("Russia", "ввести санкция", "Iran", MX, False, None)]),
        # a governing verb of refusal negates; modal verbs and adjectives are kept
        ("Украина отказалась вести переговоры с Россией.",
         [("Ukraine", "вести переговоры", "Russia", VC, True, "отказалась")]),
        ("Россия может атаковать Украину.",
         [("Russia", "атаковать", "Ukraine", MX, False, "может")]),
        ("Китай готов помочь Ирану.", [("China", "помочь", "Iran", MC, False, "готов")]),
        # the passive's instrumental agent acts on its subject
        ("Франция была атакована Германией.",
         [("Germany", "атаковать", "France", MX, False, None)]),
        # two subjects, no target: each acts on the other; a place is no target
        ("США и Китай встретились в Женеве.",
         [("United States", "встретиться", "China", VC, False, None),
          ("China", "встретиться", "United States", VC, False, None)]),
        # a verb outside the list, and a verb without a target actor: no event
        ("Россия любит Францию.", []),
        ("Россия осудила решение.", []),
    ],
)  # fmt: skip
def test_russian_sentences_are_coded_from_natasha_syntax(text, expected):
    assert sorted(russian_events(text)) == sorted(expected)


def test_russian_codes_are_cameo_only_where_the_list_gives_one():
    from infoscope.articles.events.extract import extract_events

    table, _ = extract_events(
        [("a", "Россия осудила Францию. Германия должна передать Украине танки.", "ru")]
    )
    coded = {r["verb_entry"]: (r["cameo_code"], r["quad_source"]) for r in table.to_pylist()}
    assert coded == {"осудить": ("111", "cameo"), "передать": (None, "fallback")}
    # without the fallback, only verbs with a CAMEO code give events
    table, _ = extract_events(
        [("a", "Россия осудила Францию. Германия должна передать Украине танки.", "ru")],
        fallback=False,
    )
    assert table.column("verb_entry").to_pylist() == ["осудить"]


def test_russian_actors_take_dictionary_codes_from_their_canonical_names(tmp_path):
    (tmp_path / "CAMEO.t.txt").write_text(VERBS, encoding="utf-8")
    (tmp_path / "t.actors.txt").write_text("RUSSIA [RUS]\nFRANCE [FRA]\n", encoding="utf-8")
    loaded = load_dictionaries(tmp_path)
    from infoscope.articles.events.extract import extract_events

    table, _ = extract_events([("a", "Россия осудила Францию.", "ru")], dictionaries=loaded)
    (row,) = table.to_pylist()
    assert (row["source_code"], row["target_code"], row["cameo_code"]) == ("RUS", "FRA", "111")


@pytest.mark.realdata
def test_petrarch2_unit_tests_are_coded_above_the_floor():
    from infoscope.articles.events.evaluate import score_unit_tests

    folder = shared("events/PETR.UnitTest.records.xml").parent
    scores = score_unit_tests(folder)
    coder, baseline = scores["coder"], scores["baseline"]
    assert coder["expected"] > 300
    # Measured 0.741 (quad and root) and 16 % unexpected (benchmarks/real_events.py).
    assert coder["quad"] > 0.73 and coder["root"] > 0.73
    assert coder["unexpected_share"] < 0.3
    assert coder["quad"] > baseline["quad"] + 0.3
