"""PETRARCH dictionaries: CAMEO verb patterns, actors and agents, read at run time.

The files are those of PETRARCH2 (openeventdata/petrarch2, MIT licence): the CAMEO verb
dictionary (``CAMEO.2.0.txt``), the Phoenix country and international actor dictionaries
(``Phoenix.Countries.actors.txt``, ``Phoenix.International.actors.txt``) and the agent
dictionary (``Phoenix.agents.txt``); the unit tests' ``PETR.Validate.*.txt`` files have the
same syntax. None is shipped with infoscope: `load_dictionaries` reads them from a folder
the user names (``infoscope articles events --dictionaries DIR``).

What is read, in PETRARCH's syntax (the parts the dependency coder uses):

- verbs: ``--- NAME [code] ---`` opens a block with its default code (``[---]``: none);
  each following verb line (``FREEZE {FREEZES FROZE FROZEN}``; ``+STIR_UP``: a verb with a
  particle) adds the verb and its forms (the listed irregular ones and the regular -s, -ed,
  -ing forms, generated); each ``- PRE * POST [code]`` line is a pattern: the words before
  ``*`` must come before the verb and those after it after the verb, in order (``_`` joins
  words; ``&SET`` is any member of a synonym set; the markers ``$ + % ^`` and brackets are
  ignored). A code ``a:b`` reads as ``a`` (``b`` when ``a`` is empty).
- actors: a name (``NEW_ZEALAND``; words joined by ``_`` or spaces), its ``+`` synonyms, and
  its codes, each optionally restricted in time (``[HOB <950601]``,
  ``[HOBGOV 19950601 - 19990815]``, ``[HOBREB >990816]``); a name ending in ``_`` matches its
  words exactly, otherwise its last word is a stem ("ARGENTIN" matches "Argentina"), as in
  TABARI and PETRARCH, when it has four letters or more ("THE_KU" does not take "the
  Kuwaiti").
- agents: ``NAME {PLURALS} [~CODE]`` (the code is appended to the actor's: ``ARN`` +
  ``~GOV`` = ``ARNGOV``) or ``[CODE~]`` (put before it); ``!PERSON! = MAN, WOMAN`` defines a
  substitution used in names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from infoscope.errors import BadParameterError

__all__ = [
    "ActorDictionary",
    "Dictionaries",
    "Pattern",
    "VerbDictionary",
    "VerbEntry",
    "load_dictionaries",
    "read_actor_dictionary",
    "read_verb_dictionary",
    "verb_forms",
]

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CODE = re.compile(r"\[([^\]]*)\]")
_BLOCK = re.compile(r"^---\s*(\S+)\s*\[([^\]]*)\]\s*---")
_MARKERS = str.maketrans({c: " " for c in "$+%^()|"})


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0].rstrip()


def _first_code(raw: str) -> str | None:
    """``a:b`` as ``a``; None for ``---`` and empty codes."""
    raw = raw.split(":", 1)[0].strip()
    if not raw or raw.startswith("---"):
        return None
    return raw


def _reverse_code(raw: str) -> str | None:
    """``b`` of ``a:b`` (the code of the reverse event, target to source), else None."""
    if ":" not in raw:
        return None
    return _first_code(raw.split(":", 1)[1])


def verb_forms(lemma: str) -> set[str]:
    """Regular forms of an English verb in capitals: base, -s, -ed, -ing (with the final
    consonant doubled too, and the final e dropped before -ing)."""
    v = lemma.upper()
    forms = {v}
    if v.endswith(("S", "SH", "CH", "X", "Z", "O")):
        forms.add(v + "ES")
    elif v.endswith("Y") and len(v) > 1 and v[-2] not in "AEIOU":
        forms.add(v[:-1] + "IES")
    else:
        forms.add(v + "S")
    if v.endswith("E"):
        forms |= {v + "D", v[:-1] + "ING"}
    elif v.endswith("Y") and len(v) > 1 and v[-2] not in "AEIOU":
        forms |= {v[:-1] + "IED", v + "ING"}
    else:
        forms |= {v + "ED", v + "ING"}
        if len(v) > 2 and v[-1] not in "AEIOUWXY" and v[-2] in "AEIOU" and v[-3] not in "AEIOU":
            forms |= {v + v[-1] + "ED", v + v[-1] + "ING"}
    return forms


@dataclass(frozen=True)
class Pattern:
    """A verb pattern: alternatives of word sequences before and after the verb, its code."""

    before: tuple[tuple[tuple[str, ...], ...], ...]
    after: tuple[tuple[tuple[str, ...], ...], ...]
    code: str | None
    reverse: str | None = None

    @property
    def size(self) -> int:
        return len(self.before) + len(self.after)


@dataclass
class VerbEntry:
    """A verb block: its name, default code (and the code of the reverse event, target to
    source: ``[032:033]``, a visit is hosted) and patterns."""

    name: str
    code: str | None
    patterns: list[Pattern] = field(default_factory=list)
    reverse: str | None = None


@dataclass
class VerbDictionary:
    """Verb forms (capitals) -> [(words before, words after the verb form, entry)]."""

    forms: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], VerbEntry]]]
    entries: list[VerbEntry]

    def __len__(self) -> int:
        return len(self.entries)


@dataclass
class ActorDictionary:
    """Names (tuples of words in capitals; the last one a stem unless ``exact``) -> codes.

    `codes` maps a name to ``[(code, first day, last day)]`` (days as ``YYYYMMDD`` integers,
    None when open); `agents` maps a name to ``(code, prefix)`` (``prefix``: the code goes
    before the actor's)."""

    codes: dict[tuple[str, ...], list[tuple[str | None, int | None, int | None]]] = field(
        default_factory=dict
    )
    agents: dict[tuple[str, ...], tuple[str, bool]] = field(default_factory=dict)
    exact: set[tuple[str, ...]] = field(default_factory=set)
    by_first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def add(self, name: tuple[str, ...], exact: bool) -> None:
        if exact:
            self.exact.add(name)
        first = name[0]
        key = first if (exact or len(name) > 1) else first[:3]
        self.by_first.setdefault(key, []).append(name)

    def candidates(self, word: str) -> list[tuple[str, ...]]:
        return self.by_first.get(word, []) + self.by_first.get(word[:3], [])

    def word_matches(self, name: tuple[str, ...], index: int, word: str) -> bool:
        """Whether `word` is word `index` of `name`: the same, or for a last word that is a
        stem, a word it begins (an agent's: its plural)."""
        expected = name[index]
        if word == expected:
            return True
        if index != len(name) - 1 or name in self.exact:
            return False
        if name in self.agents:
            return word in (expected + "S", expected + "ES") or (
                expected.endswith("Y") and word == expected[:-1] + "IES"
            )
        return len(expected) >= 4 and word.startswith(expected)

    def code_of(self, name: tuple[str, ...], day: int | None) -> str | None:
        """An actor's code on `day` (``YYYYMMDD``): the first dated code in force on `day`,
        else its undated code, else the one open at the end (``>date``), else the first."""
        options = self.codes.get(name, [])
        if not options:
            return None
        if day is not None:
            for code, lo, hi in options:
                if (lo is not None or hi is not None) and (lo or 0) <= day <= (hi or 99999999):
                    return code
        for code, lo, hi in options:
            if lo is None and hi is None:
                return code
        for code, _, hi in options:
            if hi is None:
                return code
        return options[0][0]

    def __len__(self) -> int:
        return len(self.codes) + len(self.agents)


@dataclass
class Dictionaries:
    """What the coder reads: verbs, actors and agents (agents sit in `actors.agents`)."""

    verbs: VerbDictionary
    actors: ActorDictionary
    sources: tuple[str, ...] = ()


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[_\s]+", text.upper().strip()) if w)


def _read(path: str | Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise BadParameterError(f"cannot read dictionary {path}: {error.strerror}") from None
    return _COMMENT.sub("", text).splitlines()


def _pattern_words(
    text: str, synsets: dict[str, list[str]]
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """A side of a pattern as a sequence of elements, each a tuple of alternatives (word
    sequences): ``_``-joined words are consecutive, ``&SET`` any member of the set."""
    out: list[tuple[tuple[str, ...], ...]] = []
    for chunk in text.translate(_MARKERS).replace("{", " ").replace("}", " ").split():
        if chunk.startswith("&"):
            name = chunk.rstrip("_").split("_")[0]
            members = [_words(m) for m in synsets.get(name, [])]
            if members:
                out.append(tuple(m for m in members if m))
            continue
        for word in _words(chunk):
            if word.startswith("&"):
                members = [_words(m) for m in synsets.get(word, [])]
                if members:
                    out.append(tuple(m for m in members if m))
            elif word not in {"*", "-"}:
                out.append(((word,),))
    return tuple(out)


def read_verb_dictionary(path: str | Path) -> VerbDictionary:
    """A PETRARCH verb dictionary (see the module doc)."""
    lines = _read(path)
    synsets: dict[str, list[str]] = {}
    current: str | None = None
    entries: list[VerbEntry] = []
    forms: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], VerbEntry]]] = {}
    entry: VerbEntry | None = None
    for raw in lines:
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if line.startswith("####"):
            entry = None
            current = None
            continue
        if line.startswith("~"):  # transformations: not used by this coder
            continue
        block = _BLOCK.match(line)
        if block:
            entry = VerbEntry(
                block.group(1).rstrip("_"),
                _first_code(block.group(2)),
                reverse=_reverse_code(block.group(2)),
            )
            entries.append(entry)
            current = None
            continue
        if line.startswith("&"):
            current = line.split()[0]
            synsets[current] = []
            entry = None
            continue
        if current is not None and line.lstrip().startswith("+"):
            synsets[current].append(line.strip()[1:])
            continue
        if entry is None:
            continue
        if line.lstrip().startswith("-"):
            body = line.lstrip()[1:]
            code = _CODE.search(body)
            if code is None or "*" not in body:
                continue
            before, _, after = body[: code.start()].partition("*")
            entry.patterns.append(
                Pattern(
                    _pattern_words(before, synsets),
                    _pattern_words(after, synsets),
                    _first_code(code.group(1)),
                    _reverse_code(code.group(1)),
                )
            )
            continue
        # A verb line: VERB {FORMS}, +VERB_PARTICLE {...}, PRE_+VERB_POST [code]
        code = _CODE.search(line)
        own = (
            VerbEntry(
                entry.name,
                _first_code(code.group(1)),
                entry.patterns,
                _reverse_code(code.group(1)),
            )
            if code
            else entry
        )
        body = _CODE.sub("", line)
        irregular = re.findall(r"\{([^}]*)\}", body)
        head = re.sub(r"\{[^}]*\}", "", body).split()
        if not head:
            continue
        _add_verb(forms, head[0], irregular[0].split() if irregular else [], own)
    return VerbDictionary(forms, entries)


def _add_verb(
    forms: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], VerbEntry]]],
    spec: str,
    irregular: list[str],
    entry: VerbEntry,
) -> None:
    words = [w for w in spec.strip("_").split("_") if w]
    if not words:
        return
    at = next((i for i, w in enumerate(words) if w.startswith("+")), 0)
    verb = words[at].lstrip("+")
    before = tuple(w.upper() for w in words[:at])
    after = tuple(w.upper() for w in words[at + 1 :])
    found = verb_forms(verb)
    for form in irregular:
        parts = [w for w in form.strip("_").split("_") if w]
        marked = next((w for w in parts if w.startswith("+")), parts[0] if parts else "")
        if marked:
            found.add(marked.lstrip("+").upper())
    for form in found:
        forms.setdefault(form, []).append((before, after, entry))


def _day(text: str) -> int | None:
    digits = text.strip()
    if not digits.isdigit():
        return None
    if len(digits) == 6:
        year = int(digits[:2])
        return (2000 + year if year < 50 else 1900 + year) * 10000 + int(digits[2:])
    if len(digits) == 8:
        return int(digits)
    return None


def _dated(raw: str) -> tuple[str | None, int | None, int | None]:
    """``CODE``, ``CODE <date``, ``CODE >date``, ``CODE date-date`` as (code, lo, hi)."""
    parts = raw.strip().split(None, 1)
    if not parts:
        return None, None, None
    code = _first_code(parts[0]) if not parts[0].startswith("+++") else None
    rest = parts[1].replace(" ", "") if len(parts) > 1 else ""
    if not rest:
        return code, None, None
    if rest.startswith("<"):
        return code, None, _day(rest[1:])
    if rest.startswith(">"):
        return code, _day(rest[1:]), None
    if "-" in rest:
        lo, hi = rest.split("-", 1)
        return code, _day(lo), _day(hi)
    return code, None, None


def read_actor_dictionary(
    paths: Iterable[str | Path], agents: Iterable[str | Path] = ()
) -> ActorDictionary:
    """Actor dictionaries and agent dictionaries (see the module doc) in one lookup."""
    out = ActorDictionary()
    for path in paths:
        # A group: a name line, its "+" synonyms and every code until the next name line
        # (codes sit on the name line or on indented lines; synonyms may follow the codes).
        groups: list[tuple[list[tuple[tuple[str, ...], bool]], list[str]]] = []
        for raw in _read(path):
            line = _strip_comment(raw)
            if not line.strip():
                continue
            codes = _CODE.findall(line)
            text = _CODE.sub("", line).strip()
            if text.startswith("+"):
                if groups and text[1:].strip():
                    groups[-1][0].append((_words(text[1:]), text.endswith("_")))
            elif text and not raw[:1].isspace():
                groups.append(([(_words(text), text.endswith("_"))], []))
            if codes and groups:
                groups[-1][1].extend(codes)
        for names, codes in groups:
            dated = [_dated(c) for c in codes]
            for name, exact in names:
                if not name or not dated:
                    continue
                if name not in out.codes:
                    out.add(name, exact)
                    out.codes[name] = []
                out.codes[name].extend(dated)
    for path in agents:
        substitutions: dict[str, list[str]] = {}
        for raw in _read(path):
            line = _strip_comment(raw)
            if not line.strip():
                continue
            if line.startswith("!") and "=" in line:
                key, _, listed = line.partition("=")
                substitutions[key.strip()] = [v.strip() for v in listed.split(",") if v.strip()]
                continue
            code = _CODE.search(line)
            if code is None:
                continue
            raw_code = code.group(1).replace(" ", "")
            prefix = raw_code.endswith("~")
            value = raw_code.strip("~")
            if not value:
                continue
            body = line[: code.start()]
            plurals = re.findall(r"\{([^}]*)\}", body)
            agent_name = re.sub(r"\{[^}]*\}", "", body).strip()
            variants = [agent_name]
            for key, values in substitutions.items():
                if key in agent_name:
                    variants = [v.replace(key, "_" + s) for v in variants for s in values]
            extra = plurals[0].split() if plurals else []
            for variant in [*variants, *extra]:
                words = _words(variant.replace("!", ""))
                if words and words not in out.agents:
                    out.agents[words] = (value, prefix)
                    out.add(words, False)
    return out


def load_dictionaries(folder: str | Path) -> Dictionaries:
    """The verb, actor and agent dictionaries in `folder`: the verbs from ``CAMEO*.txt`` (or
    ``*verbs*.txt``), the actors from every ``*actors*.txt``, the agents from every
    ``*agents*.txt`` (the unit tests' ``PETR.Validate.*`` files are left out when others are
    there); a BadParameterError naming what is missing."""
    root = Path(folder)
    if not root.is_dir():
        raise BadParameterError(
            f"{folder} is not a folder: give the folder holding PETRARCH's CAMEO.2.0.txt, "
            "Phoenix.*.actors.txt and Phoenix.agents.txt"
        )
    files = sorted(root.glob("*.txt"))
    verbs = sorted(root.glob("CAMEO*.txt")) or [p for p in files if "verbs" in p.name.lower()]
    actors = [p for p in files if "actors" in p.name.lower()]
    agents = [p for p in files if "agents" in p.name.lower()]
    if any(not p.name.startswith("PETR.Validate.") for p in actors):
        # the operational dictionaries, not the unit tests' fictional ones beside them
        actors = [p for p in actors if not p.name.startswith("PETR.Validate.")]
        agents = [p for p in agents if not p.name.startswith("PETR.Validate.")]
    missing = [
        what
        for what, found in (("verb dictionary (CAMEO*.txt)", verbs), ("actor dictionary", actors))
        if not found
    ]
    if missing:
        raise BadParameterError(
            f"{folder} has no {' and no '.join(missing)}: give the folder holding PETRARCH2's "
            "CAMEO.2.0.txt and Phoenix.*.actors.txt"
        )
    if len(verbs) > 1:
        raise BadParameterError(
            f"{folder} has {len(verbs)} verb dictionaries ({', '.join(p.name for p in verbs)}):"
            " keep one"
        )
    return Dictionaries(
        read_verb_dictionary(verbs[0]),
        read_actor_dictionary(actors, agents),
        tuple(p.name for p in [*verbs, *actors, *agents]),
    )
