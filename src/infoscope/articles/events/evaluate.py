"""Scoring the event coder on PETRARCH2's unit-test records, with their own dictionaries.

`read_unit_tests` reads ``PETR.UnitTest.records.xml`` (each ``<Sentence>`` with its date,
text and expected ``<EventCoding sourcecode targetcode eventcode>``; ``noevents`` records
expect none; records that test input errors, discards or datelines are left out), and
`score_unit_tests` codes each text (spaCy's parse of the text, not the record's constituency
parse) with the test dictionaries the records assume (``PETR.Validate.verbs.txt``,
``.actors.txt``, ``.agents.txt``) and reports:

- ``quad``: the share of expected events found with the same source and target codes and the
  same quad class (each produced event matches at most one expected event; the test
  dictionary's codes outside CAMEO's twenty roots, such as ``901``, must be equal);
- ``root``: the same with the same CAMEO root code (the first two digits; codes that are not
  CAMEO, such as ``174K``, must then be equal);
- ``unexpected``: produced events that match no expected event, and their share of what was
  produced.

`baseline_events` is the trivial coder scored next to it: the first actor named in the
sentence acts on the second, with the most common code of the expected events (read from
the records themselves, which favours the baseline).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infoscope.articles.events.dictionaries import (
    Dictionaries,
    read_actor_dictionary,
    read_verb_dictionary,
)
from infoscope.articles.events.extract import (
    _actor_matches,
    code_sentence,
    quad_class,
    root_code,
)
from infoscope.errors import BadParameterError

__all__ = [
    "UnitTest",
    "baseline_events",
    "load_test_dictionaries",
    "read_unit_tests",
    "score_events",
    "score_unit_tests",
]

_SKIPPED_ERRORS = frozenset({"bad_input_parse", "dateline", "sentencediscard", "storydiscard"})


@dataclass
class UnitTest:
    """One record: id, category, date (``YYYYMMDD``), text and expected (source, target,
    code) triples."""

    id: str
    category: str
    date: int | None
    text: str
    expected: list[tuple[str, str, str]] = field(default_factory=list)


def read_unit_tests(path: str | Path) -> list[UnitTest]:
    """The records of a PETRARCH unit-test file that expect events or expect none (see the
    module doc)."""
    raw = Path(path).read_text(encoding="utf-8", errors="replace")
    # The file quotes some codes with single quotes inside double-quoted XML; keep it parseable.
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as error:
        raise BadParameterError(f"{path} is not a PETRARCH unit-test file: {error}") from None
    out: list[UnitTest] = []
    for node in root.iter("Sentence"):
        codings = node.findall("EventCoding")
        if any(c.get("error") in _SKIPPED_ERRORS for c in codings):
            continue
        text = " ".join((node.findtext("Text") or "").split())
        date = node.get("date")
        test = UnitTest(
            node.get("id", ""), node.get("category", ""),
            int(date) if date and date.isdigit() else None, text,
        )  # fmt: skip
        for c in codings:
            if c.get("noevents"):
                continue
            source, target, code = c.get("sourcecode"), c.get("targetcode"), c.get("eventcode")
            if source and target and code:
                test.expected.append((source.strip('"'), target.strip('"'), code))
        out.append(test)
    return out


def load_test_dictionaries(folder: str | Path) -> Dictionaries:
    """The unit tests' own dictionaries (``PETR.Validate.*.txt``) in `folder`."""
    root = Path(folder)
    files = {k: root / f"PETR.Validate.{k}.txt" for k in ("verbs", "actors", "agents")}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise BadParameterError(f"missing test dictionaries: {', '.join(missing)}")
    return Dictionaries(
        read_verb_dictionary(files["verbs"]),
        read_actor_dictionary([files["actors"]], [files["agents"]]),
        tuple(p.name for p in files.values()),
    )


def _same_code(found: str | None, expected: str, level: str) -> bool:
    if level == "quad" and quad_class(expected) is not None:
        return quad_class(found) == quad_class(expected)
    a, b = root_code(found), root_code(expected)
    return a == b if b is not None else found == expected


def score_events(
    produced: list[list[tuple[str, str, str | None]]],
    expected: list[list[tuple[str, str, str]]],
) -> dict[str, Any]:
    """Scores of produced against expected events, per record (see the module doc)."""
    total = sum(len(e) for e in expected)
    made = sum(len(p) for p in produced)
    out: dict[str, Any] = {"records": len(expected), "expected": total, "produced": made}
    for level in ("quad", "root"):
        found = 0
        unmatched = 0
        for mine, theirs in zip(produced, expected, strict=True):
            left = list(theirs)
            for source, target, code in mine:
                hit = next(
                    (
                        e
                        for e in left
                        if e[0] == source and e[1] == target and _same_code(code, e[2], level)
                    ),
                    None,
                )
                if hit is None:
                    unmatched += 1
                else:
                    left.remove(hit)
                    found += 1
        out[level] = found / total if total else 0.0
        out[f"{level}_found"] = found
        if level == "quad":
            out["unexpected"] = unmatched
            out["unexpected_share"] = unmatched / made if made else 0.0
    return out


def baseline_events(
    tests: list[UnitTest], dictionaries: Dictionaries
) -> list[list[tuple[str, str, str | None]]]:
    """The trivial coder: first actor named -> second actor named, the most common expected
    code."""
    common = Counter(e[2] for t in tests for e in t.expected).most_common(1)
    code = common[0][0] if common else None
    out: list[list[tuple[str, str, str | None]]] = []
    for t in tests:
        words = [w.upper() for w in re.findall(r"[\w.'-]+", t.text)]
        actors = [m[2] for m in _actor_matches(words, dictionaries.actors, t.date) if not m[3]]
        distinct = list(dict.fromkeys(actors))
        out.append([(distinct[0], distinct[1], code)] if len(distinct) >= 2 else [])
    return out


def score_unit_tests(
    folder: str | Path,
    *,
    nlp: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Code the unit-test records in `folder` with their own dictionaries and score the coder
    and the baseline (see the module doc): ``{"coder": scores, "baseline": scores,
    "per_category": {category: coder scores}, "misses": [...]}``."""
    from infoscope.articles.actors import english_nlp

    root = Path(folder)
    tests = read_unit_tests(root / "PETR.UnitTest.records.xml")
    dictionaries = load_test_dictionaries(root)
    nlp = nlp or english_nlp(True)
    produced: list[list[tuple[str, str, str | None]]] = []
    for doc, t in zip(nlp.pipe(t.text for t in tests), tests, strict=True):
        events: list[tuple[str, str, str | None]] = []
        for sent in doc.sents:
            for e in code_sentence(sent, dictionaries=dictionaries, day=t.date, fallback=False):
                if e.source.code and e.target.code:
                    events.append((e.source.code, e.target.code, e.code))
        produced.append(list(dict.fromkeys(events)))
    if progress:
        progress(f"coded {len(tests)} records")
    expected = [t.expected for t in tests]
    categories: dict[str, list[int]] = {}
    for i, t in enumerate(tests):
        categories.setdefault(t.category, []).append(i)
    per_category = {
        c: score_events([produced[i] for i in idx], [expected[i] for i in idx])
        for c, idx in sorted(categories.items())
    }
    misses = [
        {"id": t.id, "text": t.text, "expected": t.expected, "produced": p}
        for t, p in zip(tests, produced, strict=True)
        if sorted(map(str, p)) != sorted(map(str, t.expected))
    ]
    return {
        "coder": score_events(produced, expected),
        "baseline": score_events(baseline_events(tests, dictionaries), expected),
        "per_category": per_category,
        "misses": misses,
    }
