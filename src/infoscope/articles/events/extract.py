"""Directed, typed events from dependency parses: who does what to whom.

`code_sentence` codes one spaCy sentence: for each verb, its source (the subject; the agent
of a passive; for a verb in an ``xcomp`` or ``conj`` without a subject of its own, the
subject of the verb it depends on; for a relative clause, the noun it modifies), its target
(in order: an indirect object, the direct object's own words, one of the direct object's
prepositional phrases other than "of", a prepositional object of the verb, then what the
direct object's "of" phrase names; without an object, the subject of the clause the verb
reports, "A allowed that B ..."; the passive subject of a passive verb) and its code. Each side
is a noun phrase (its head's subtree without relative clauses, appositions and
conjuncts; "Arnor and Gondor" are two sources) that names an actor. A plain coordinated
phrase (no preposition, verb or clause) is also read flat, split at its commas and
conjunctions, and that reading is kept when it names more actors: the parse often attaches
the members of "Mordor, the Shire, Fornost and Bree" or "the lions and the evil Gondor" as
appositions or modifiers; coordinated adjectives ("the awful and evil minister") do not
split it, and after the member that follows "and" or "or" the rest is an apposition ("A and
B, the newspaper C"). Two subjects of one verb ("Old foes Gondor and Osgiliath") are read
as one phrase.

- with PETRARCH dictionaries (`infoscope.articles.events.dictionaries`), an actor or agent
  of the dictionaries found in the phrase gives its CAMEO actor code (``RUS``; an agent
  adds to it: "the Russian foreign minister" is ``RUSGOV``; an agent alone is ``---GOV``);
- in articles, an actor mention of the actors analysis (`infoscope.articles.actors`: the
  alias table, spaCy's or natasha's entities) inside the phrase gives the actor's name.

The verb's CAMEO code comes from the verb dictionary: its block's default code, or the code of
its most specific pattern whose words surround the verb (PETRARCH's ``- PRE * POST [code]``).
The quad class comes from the code's root (its first two digits, `QUADS`: 01-05 verbal
cooperation, 06-08 material cooperation, 09-13 verbal conflict, 14-20 material conflict; the
grouping Phoenix and GDELT use, with Phoenix's "neutral" 01-02 counted here as verbal
cooperation). Without a code (no dictionary, a verb the dictionary lists without a code, a
code that is not CAMEO), the quad class comes from `FALLBACK_QUADS`, a short list of common
political verbs written for infoscope (``quad_source`` says which); a verb in neither gives
no event.

Negation and modality: a ``neg`` dependent of the verb or of a verb governing it ("did not
meet"), or a governing verb of refusal ("refused to meet", "failed to", "declined to") marks
the event ``negated``; modal auxiliaries ("may", "would", "could") and governing verbs
("refused to", "agreed to", "plans to", "threatened to") are its ``modality``. A negated
event keeps the quad class of its verb: read it with its flag.

Russian articles are coded from natasha's Universal Dependencies parse by
`infoscope.articles.events.russian` (subject, object, indirect object and prepositional
targets; a hand-written list of about 90 political verbs with their quad class, and a CAMEO
code only where one is unambiguous); the other Cyrillic-script articles are reported with
``status = "not coded"`` and the reason, never silently.

How this differs from PETRARCH2: PETRARCH2 reads a constituency (Penn Treebank) parse and
matches its patterns against the verb phrase's constituents, with compound actors, its
source/target markers in the patterns (``$``, ``+``) and transformations ("A said B
attacked" as a statement about an attack); here spaCy's dependency parse gives subject and
objects directly, patterns are matched as ordered words around the verb (markers ignored),
and transformations are not applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from infoscope.articles.events.dictionaries import (
    ActorDictionary,
    Dictionaries,
    VerbDictionary,
    VerbEntry,
    verb_forms,
)

__all__ = [
    "EVENT_SCHEMA",
    "FALLBACK_QUADS",
    "QUADS",
    "Event",
    "Party",
    "code_sentence",
    "extract_events",
    "quad_class",
    "root_code",
]

QUADS = (
    "verbal cooperation",
    "material cooperation",
    "verbal conflict",
    "material conflict",
)

# Common political verbs and their quad class, for verbs the verb dictionary does not code.
FALLBACK_QUADS: dict[str, str] = {
    **dict.fromkeys(
        (
            "meet", "visit", "host", "welcome", "praise", "thank", "support", "endorse",
            "back", "invite", "urge", "call", "ask", "appeal", "agree", "promise", "pledge",
            "offer", "propose", "negotiate", "discuss", "consult", "recognize", "recognise",
            "congratulate", "apologize", "apologise", "forgive", "mediate", "tell", "say",
            "thank", "reassure", "cooperate",
        ),
        QUADS[0],
    ),
    **dict.fromkeys(
        (
            "give", "hand", "send", "provide", "supply", "deliver", "donate", "grant", "aid",
            "help", "assist", "fund", "finance", "lend", "release", "return", "free",
            "sign", "sell", "ship", "train", "arm", "rescue", "evacuate", "transfer",
        ),
        QUADS[1],
    ),
    **dict.fromkeys(
        (
            "accuse", "blame", "condemn", "criticize", "criticise", "denounce", "threaten",
            "warn", "reject", "refuse", "deny", "veto", "demand", "protest", "summon",
            "expel", "insult", "mock", "attack", "investigate", "sue", "charge", "oppose",
            "dismiss", "slam", "decry", "disparage",
        ),
        QUADS[2],
    ),
    **dict.fromkeys(
        (
            "kill", "bomb", "shell", "strike", "invade", "occupy", "seize", "arrest",
            "detain", "shoot", "fight", "raid", "besiege", "blockade", "sanction",
            "embargo", "jail", "imprison", "execute", "assassinate", "abduct", "kidnap",
            "hack", "destroy", "annex", "target", "wound", "torture", "deport",
        ),
        QUADS[3],
    ),
}  # fmt: skip
_FALLBACK_FORMS = {form: lemma for lemma in FALLBACK_QUADS for form in verb_forms(lemma)}
_FALLBACK_FORMS.update({"GAVE": "give", "GIVEN": "give", "SENT": "send", "SOLD": "sell",
                        "TOLD": "tell", "SAID": "say", "MET": "meet", "FOUGHT": "fight",
                        "SHOT": "shoot", "FREED": "free", "STRUCK": "strike"})  # fmt: skip
# Verbs that negate the verb they govern ("refused to meet"), and governing verbs kept as
# modality.
_NEGATING = frozenset({"refuse", "decline", "fail", "reject"})
_MODAL_GOVERNORS = frozenset(
    {"refuse", "decline", "fail", "agree", "plan", "intend", "threaten", "promise", "vow",
     "pledge", "want", "seek", "try", "hope", "offer", "expect", "prepare", "aim", "be"}
)  # fmt: skip
_GOVERNOR_FORMS = {f: lemma for lemma in _MODAL_GOVERNORS for f in verb_forms(lemma)}
_GOVERNOR_FORMS.update({"IS": "be", "ARE": "be", "WAS": "be", "WERE": "be", "AM": "be",
                        "SOUGHT": "seek", "FAILED": "fail", "TRIED": "try"})  # fmt: skip
_PHRASE_DROP = frozenset({"relcl", "acl", "appos", "conj", "cc", "punct", "advcl", "prep"})
_TARGET_PREPS = ("by", "to", "with", "against", "toward", "towards", "into", "on", "at", "from",
                 "for", "over", "upon", "in")  # fmt: skip
_RELATIVE = frozenset({"that", "which", "who", "whom"})
# Words that separate the members of a coordinated noun phrase ("A, B and C", "neither A nor
# B"); a phrase with a preposition, a verb or a modal is too complex to split flat (tags, as
# the coder's pipeline may have no coarse parts of speech).
_COORDINATORS = frozenset({",", ";", "and", "or", "nor", "neither", "either", "both", "&"})
_NOT_FLAT = ("IN", "TO", "VB", "MD", "WDT", "WP")

EVENT_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("lang", pa.string()),
        ("sentence", pa.int64()),
        ("sentence_start", pa.int64()),
        ("sentence_end", pa.int64()),
        ("source", pa.string()),
        ("source_code", pa.string()),
        ("source_start", pa.int64()),
        ("source_end", pa.int64()),
        ("verb", pa.string()),
        ("verb_start", pa.int64()),
        ("verb_end", pa.int64()),
        ("verb_entry", pa.string()),
        ("target", pa.string()),
        ("target_code", pa.string()),
        ("target_start", pa.int64()),
        ("target_end", pa.int64()),
        ("cameo_code", pa.string()),
        ("quad_class", pa.string()),
        ("quad_source", pa.string()),
        ("negated", pa.bool_()),
        ("modality", pa.string()),
    ]
)


def root_code(code: str | None) -> str | None:
    """The CAMEO root (first two digits) of a code, or None when it is not a CAMEO code."""
    if code and len(code) >= 2 and code[:2].isdigit() and 1 <= int(code[:2]) <= 20:
        return code[:2]
    return None


def quad_class(code: str | None) -> str | None:
    """The quad class of a CAMEO code (see the module doc), or None without a root."""
    root = root_code(code)
    if root is None:
        return None
    n = int(root)
    return QUADS[0] if n <= 5 else QUADS[1] if n <= 8 else QUADS[2] if n <= 13 else QUADS[3]


@dataclass
class Party:
    """One side of an event: the phrase (character offsets in the text), its CAMEO actor
    code (with dictionaries) and its actor (from the article's mentions)."""

    text: str
    start: int
    end: int
    code: str | None = None
    actor: str | None = None

    @property
    def name(self) -> str:
        return self.actor or self.code or self.text


@dataclass
class Event:
    """A coded event of one sentence (offsets into the text)."""

    source: Party
    target: Party
    verb: str
    verb_start: int
    verb_end: int
    verb_entry: str | None
    code: str | None
    quad: str | None
    quad_source: str | None
    negated: bool
    modality: str | None
    reverse: bool = False


# -- actors -----------------------------------------------------------------------------------


def _actor_matches(
    words: list[str], actors: ActorDictionary, day: int | None
) -> list[tuple[int, int, str, bool, bool]]:
    """(first token, end token, code, is agent, agent code goes first) of the dictionary
    names in a sentence's words (capitals), longest first, left to right."""
    out: list[tuple[int, int, str, bool, bool]] = []
    i = 0
    while i < len(words):
        best: tuple[int, tuple[str, ...]] | None = None
        for name in actors.candidates(words[i]):
            n = len(name)
            if i + n > len(words) or (best is not None and n <= best[0]):
                continue
            if all(actors.word_matches(name, k, words[i + k]) for k in range(n)):
                best = (n, name)
        if best is None:
            i += 1
            continue
        n, name = best
        if name in actors.agents:
            code, prefix = actors.agents[name]
            out.append((i, i + n, code, True, prefix))
        else:
            actor = actors.code_of(name, day)
            if actor is not None:
                out.append((i, i + n, actor, False, False))
        i += n
    return out


def _phrase(head: Any, *, keep_of: bool = True) -> list[Any]:
    """The tokens of a noun phrase: its head's subtree without relative clauses,
    appositions, conjuncts and prepositional phrases (but "of" phrases with `keep_of`)."""
    tokens = [head]
    for child in head.children:
        if child.dep_ in _PHRASE_DROP and not (
            keep_of and child.dep_ == "prep" and child.lower_ == "of"
        ):
            continue
        tokens.extend(child.subtree)
    return sorted(tokens, key=lambda t: t.i)


class _Sentence:
    """A parsed sentence with its dictionary matches and the article's mentions."""

    def __init__(
        self,
        sent: Any,
        dictionaries: Dictionaries | None,
        mentions: Iterable[Any],
        day: int | None,
    ) -> None:
        self.sent = sent
        self.offset = sent.start
        words = [t.text.upper() for t in sent]
        self.matches = (
            _actor_matches(words, dictionaries.actors, day) if dictionaries is not None else []
        )
        lo, hi = sent.start_char, sent.end_char
        self.mentions = [m for m in mentions if m.start >= lo and m.end <= hi]

    def party(self, tokens: list[Any]) -> list[Party]:
        """The actors a phrase names: one, or one per code of a shared name ("FRO/BIL")."""
        if not tokens:
            return []
        indices = {t.i - self.offset for t in tokens}
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
        actor_code = agent = None
        prefix = False
        for first, stop, code, is_agent, goes_first in self.matches:
            if not all(k in indices for k in range(first, stop)):
                continue
            if is_agent and agent is None:
                agent, prefix = code, goes_first
            elif not is_agent and actor_code is None:
                actor_code = code
        codes: list[str | None] = [None]
        if agent is not None:
            bases = (actor_code or "---").split("/")
            codes = [
                base if base.endswith(agent) else agent + base if prefix else base + agent
                for base in bases
            ]
        elif actor_code is not None:
            codes = list(actor_code.split("/"))
        actor = None
        inside = [m for m in self.mentions if m.start >= start and m.end <= end]
        if inside:  # the mention holding the phrase's last word (its head), else the first
            last = tokens[-1].idx
            actor = next((m.actor for m in inside if m.start <= last < m.end), inside[0].actor)
        if codes == [None] and actor is None:
            return []
        text = tokens[0].doc.text[start:end]
        return [Party(text, start, end, code, actor) for code in codes]

    def agent_only(self, parties: list[Party]) -> bool:
        return bool(parties) and all(p.code and p.code.startswith("---") for p in parties)

    def parties(
        self, head: Any, *, keep_of: bool = True, siblings: Iterable[Any] = ()
    ) -> list[Party]:
        """The actors of a noun phrase and of its conjuncts ("Arnor and Gondor"): those of
        the parse, or those of the phrase split flat at its commas and conjunctions when that
        names more (`_coordinated`); `siblings` are heads the parse gave the same role
        ("Old foes Gondor and Osgiliath": two subjects)."""
        parsed = self.parsed_parties(head, keep_of=keep_of)
        for sibling in siblings:
            parsed.extend(self.parsed_parties(sibling, keep_of=keep_of))
        flat = self._coordinated([head, *siblings])
        if len({(p.code, p.name) for p in flat}) > len({(p.code, p.name) for p in parsed}):
            return flat
        return parsed

    def _coordinated(self, heads: list[Any]) -> list[Party]:
        """The actors of a coordinated noun phrase read as a flat list: the tokens its heads
        span, split at commas and coordinating conjunctions ("Mordor, the Shire, Fornost and
        Bree"; "the lions and the evil Gondor"), one party per part that names one. Used when
        the parse attaches the members as appositions or modifiers; a phrase with a
        preposition or a clause is left to the parse."""
        indices = {t.i for h in heads for t in h.subtree}
        doc = heads[0].doc
        tokens = [doc[i] for i in range(min(indices), max(indices) + 1)]
        if any(t.tag_.startswith(_NOT_FLAT) for t in tokens) or not any(
            t.lower_ in _COORDINATORS for t in tokens
        ):
            return []
        out: list[Party] = []
        part: list[Any] = []
        closing = False  # the part after "and", "or", "nor" is the list's last
        for token in [*tokens, None]:
            if token is not None and token.lower_ not in _COORDINATORS:
                part.append(token)
                continue
            if token is not None and part and part[-1].tag_.startswith("JJ"):
                continue  # "the awful and evil minister": coordinated modifiers
            found = self.party(part)
            if not self.agent_only(found):
                out.extend(found)
            if part and closing:
                break  # "A and B, the newspaper C": what follows is an apposition
            if token is not None and token.lower_ in ("and", "or", "nor", "&"):
                closing = True
            part = []
        return out

    def parsed_parties(self, head: Any, *, keep_of: bool = True) -> list[Party]:
        """The actors of a noun phrase and of its conjuncts as the parse gives them."""
        heads = [head]
        for h in heads:  # grows while conjuncts of conjuncts are found
            heads.extend(c for c in h.children if c.dep_ == "conj" and c not in heads)
        out: list[Party] = []
        for h in heads:
            found = self.party(_phrase(h, keep_of=False))
            if not found or self.agent_only(found):
                # "the ambassadors of Arnor and Gondor", "lawmakers in Fornost": the agent of
                # each state or place named after it
                places = [
                    p
                    for prep in h.children
                    if prep.dep_ == "prep" and prep.lower_ in ("in", "from", "of", "at")
                    for pobj in prep.children
                    if pobj.dep_ == "pobj"
                    for p in self.parties(pobj)
                ]
                agent = found[0].code[3:] if found and found[0].code else ""
                if places and agent:
                    found = [
                        Party(p.text, min(found[0].start, p.start), max(found[0].end, p.end),
                              (p.code or "---") + agent if not (p.code or "").endswith(agent)
                              else p.code, p.actor)
                        for p in places
                    ]  # fmt: skip
                elif not found:
                    found = self.party(_phrase(h, keep_of=keep_of))
            out.extend(found)
        return out


# -- verbs ------------------------------------------------------------------------------------


def _matches_side(
    elements: tuple[tuple[tuple[str, ...], ...], ...], words: list[str], *, forward: bool
) -> bool:
    """Whether `elements` occur in `words` in order (searching away from the verb)."""
    sequence = list(elements) if forward else list(reversed(elements))
    pool = words if forward else list(reversed(words))
    at = 0
    for alternatives in sequence:
        found = False
        for k in range(at, len(pool)):
            for option in alternatives:
                option_words = option if forward else tuple(reversed(option))
                span = pool[k : k + len(option_words)]
                if len(span) == len(option_words) and all(
                    w == o or (len(o) > 3 and w.startswith(o) and len(w) - len(o) <= 2)
                    for w, o in zip(span, option_words, strict=True)
                ):
                    at = k + len(option_words)
                    found = True
                    break
            if found:
                break
        if not found:
            return False
    return True


def _verb_code(verb: Any, verbs: VerbDictionary) -> tuple[VerbEntry | None, str | None, str | None]:
    """The verb's dictionary entry, code and reverse code (those of its most specific
    matching pattern, else the entry's defaults)."""
    form = verb.text.upper()
    sent = verb.sent
    words = [t.text.upper() for t in sent]
    i = verb.i - sent.start
    particles = [c.text.upper() for c in verb.children if c.dep_ == "prt"]
    chosen: VerbEntry | None = None
    for before, after, entry in verbs.forms.get(form, []):
        if before and tuple(words[max(i - len(before), 0) : i]) != before:
            continue
        if after and not (
            tuple(words[i + 1 : i + 1 + len(after)]) == after or list(after) == particles
        ):
            continue
        if chosen is None or (before or after):
            chosen = entry
            if before or after:
                break
    if chosen is None:
        return None, None, None
    left, right = words[max(i - 8, 0) : i], words[i + 1 :]
    best = None
    for pattern in chosen.patterns:
        if (best is None or pattern.size > best.size) and (
            _matches_side(pattern.before, left, forward=False)
            and _matches_side(pattern.after, right, forward=True)
        ):
            best = pattern
    if best is not None and (best.code or best.reverse):
        return chosen, best.code, best.reverse
    return chosen, chosen.code, chosen.reverse


def _governors(verb: Any) -> list[Any]:
    """The verbs `verb` depends on through ``xcomp`` (and "is about to")."""
    out = []
    token = verb
    while token.dep_ == "xcomp" and token.head is not token:
        token = token.head
        if token.dep_ == "acomp" and token.head is not token:  # "is about to restore"
            token = token.head
        out.append(token)
    return out


def _subject(verb: Any) -> tuple[Any | None, bool]:
    """(the source's head token, whether the verb is passive)."""
    token = verb
    for _ in range(6):
        start = token
        for child in start.children:
            if child.dep_ == "nsubj":
                if child.lower_ in _RELATIVE and token.dep_ == "relcl":
                    return token.head, False
                if child.tag_ == "PRP" and token.dep_ == "ccomp" and token.head is not token:
                    token = token.head  # "Ethiopia indicated it would act": Ethiopia
                    break
                return child, False
            if child.dep_ == "nsubjpass" and token is not verb:
                return child, False  # "Gollum was seen to break": Gollum breaks
            if child.dep_ == "nsubjpass":
                agent = next((c for c in token.children if c.dep_ == "agent"), None)
                pobj = (
                    next((c for c in agent.children if c.dep_ == "pobj"), None) if agent else None
                )
                return pobj, True
        if token is not start:
            continue
        if token.dep_ == "acomp" or (token.dep_ in ("xcomp", "conj") and token.head is not token):
            token = token.head
            continue
        if token.dep_ == "relcl":
            return token.head, False
        break
    return None, False


def _targets(verb: Any, sentence: _Sentence, passive: bool) -> list[Party]:
    if passive:
        subject = next((c for c in verb.children if c.dep_ == "nsubjpass"), None)
        return sentence.parties(subject) if subject is not None else []
    children = list(verb.children)
    for child in children:
        if child.dep_ == "dative":
            head = next((c for c in child.children if c.dep_ == "pobj"), child)
            found = sentence.parties(head)
            if found:
                return found
    obj = next((c for c in children if c.dep_ in ("dobj", "obj")), None)
    if obj is not None:
        found = sentence.parties(obj, keep_of=False)
        if found:
            return found

    def preps(token: Any, *, of: bool, depth: int = 0) -> list[Party]:
        # the token's prepositions, and those of a participle after it ("memos sent by X")
        near = [
            *token.children,
            *(g for c in token.children if c.dep_ == "acl" for g in c.children),
        ]
        ranked = sorted(
            (c for c in near if c.dep_ in ("prep", "agent") and (of or c.lower_ != "of")),
            key=lambda c: _TARGET_PREPS.index(c.lower_) if c.lower_ in _TARGET_PREPS else 99,
        )
        for prep in ranked:
            pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
            if pobj is not None:
                found = sentence.parties(pobj) or (
                    preps(pobj, of=True, depth=depth + 1) if depth < 2 else []
                )
                if found:
                    return found
        return []

    found = preps(obj, of=False) if obj is not None else []
    found = found or preps(verb, of=True)
    if not found and obj is not None:
        found = preps(obj, of=True) or sentence.parties(obj)
    if not found and obj is None:
        # "Gollum allowed that Mordor isn't ...": the subject of the clause it reports
        # (not a trailing "..., an official said", whose clause comes before it)
        for clause in (c for c in children if c.dep_ == "ccomp" and c.i > verb.i):
            subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subject is not None:
                found = sentence.parties(subject)
                break
    return found


def code_sentence(
    sent: Any,
    *,
    dictionaries: Dictionaries | None = None,
    mentions: Iterable[Any] = (),
    day: int | None = None,
    fallback: bool = True,
) -> list[Event]:
    """The events of one spaCy sentence (a ``Span`` with a dependency parse; see the module
    doc). `mentions`: the article's actor mentions (``start``, ``end``, ``actor``); `day`:
    the date (``YYYYMMDD``) that picks dated actor codes; `fallback`: give verbs without a
    CAMEO code their quad class from `FALLBACK_QUADS` (off, only coded verbs give events)."""
    sentence = _Sentence(sent, dictionaries, mentions, day)
    events: list[Event] = []
    for verb in sent:
        if not verb.tag_.startswith("VB"):
            continue
        entry, code, reverse = (
            _verb_code(verb, dictionaries.verbs) if dictionaries is not None else (None, None, None)
        )
        quad = quad_class(code)
        quad_source: str | None = "cameo"
        if quad is None and code is None and reverse is not None:
            quad = quad_class(reverse)
        if quad is None:
            lemma = _FALLBACK_FORMS.get(verb.text.upper())
            if fallback and lemma is not None:
                quad, quad_source = FALLBACK_QUADS[lemma], "fallback"
            elif code is None and reverse is None:
                continue
            else:  # a code outside CAMEO's roots (a test dictionary's): no quad class
                quad_source = None
        head, passive = _subject(verb)
        if head is None:
            continue
        # "Old foes Gondor and Osgiliath renewed ties": the parse gives the verb two subjects
        siblings = [
            c for c in head.head.children if c.dep_ == head.dep_ == "nsubj" and c.i != head.i
        ]  # fmt: skip
        sources = sentence.parties(head, siblings=siblings)
        targets = _targets(verb, sentence, passive)
        pairs = [(s, t) for s in sources for t in targets]
        if not targets and len(sources) > 1:
            # "Gondor and Osgiliath renewed ties": each acts on the other
            pairs = [(s, t) for s in sources for t in sources if s is not t]
        governors = _governors(verb)
        chain = [verb, *governors]
        negated = any(c.dep_ == "neg" for v in chain for c in v.children)
        modality: list[str] = []
        for v in chain:
            modality.extend(c.lower_ for c in v.children if c.tag_ == "MD")
        for g in governors:
            lemma = _GOVERNOR_FORMS.get(g.text.upper())
            if lemma in _NEGATING:
                negated = True
            if lemma is not None and lemma != "be":
                modality.append(f"{g.lower_} to")
        for source, target in pairs:
            if True:
                if source.start == target.start or (
                    source.name == target.name and source.code == target.code
                ):
                    continue  # no self-pairs
                name = entry.name if entry is not None else None
                mode = "; ".join(dict.fromkeys(modality)) or None
                at = (verb.text, verb.idx, verb.idx + len(verb), name)
                if code is not None or reverse is None:
                    events.append(
                        Event(source, target, *at, code, quad, quad_source, negated, mode)
                    )
                rquad = quad_class(reverse)
                if reverse is not None and rquad is not None:
                    events.append(
                        Event(target, source, *at, reverse, rquad, "cameo", negated, mode,
                              reverse=True)
                    )  # fmt: skip
    return events


def _day(published: Any) -> int | None:
    if published is None:
        return None
    text = str(published)[:10].replace("-", "")
    return int(text) if len(text) == 8 and text.isdigit() else None


def extract_events(
    articles: Any,
    *,
    dictionaries: Dictionaries | None = None,
    aliases: Any = None,
    lang: str | None = None,
    fallback: bool = True,
    batch_size: int = 32,
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Events of `articles` (as `infoscope.articles.actors.extract_actors` reads them; a
    dict may carry ``published`` to date the actor codes), in `EVENT_SCHEMA`, and one status
    row per article (article_id, lang, sentences, events, status, reason). Russian articles
    are coded from natasha's parse (`infoscope.articles.events.russian`); the other
    Cyrillic-script ones are ``not coded``, with the reason."""
    from infoscope.articles.actors import ArticleActors, analyse_articles, iter_articles

    rows: list[dict[str, Any]] = []
    status: list[dict[str, Any]] = []
    items = list(articles.to_pylist() if isinstance(articles, pa.Table) else articles)
    days = {str(a["article_id"]): _day(a.get("published")) for a in items if isinstance(a, dict)}

    def add(article: ArticleActors, found: list[Event], sentence: tuple[int, int]) -> None:
        for e in found:
            index = article.sentence_of(e.verb_start)
            s_start, s_end = article.sentences[index] if article.sentences else sentence
            rows.append(
                {
                    "article_id": article.article_id,
                    "lang": article.lang,
                    "sentence": index,
                    "sentence_start": s_start,
                    "sentence_end": s_end,
                    "source": e.source.name,
                    "source_code": e.source.code,
                    "source_start": e.source.start,
                    "source_end": e.source.end,
                    "verb": e.verb,
                    "verb_start": e.verb_start,
                    "verb_end": e.verb_end,
                    "verb_entry": e.verb_entry,
                    "target": e.target.name,
                    "target_code": e.target.code,
                    "target_start": e.target.start,
                    "target_end": e.target.end,
                    "cameo_code": e.code,
                    "quad_class": e.quad,
                    "quad_source": e.quad_source,
                    "negated": e.negated,
                    "modality": e.modality,
                }
            )

    def coded(article: ArticleActors, found: int) -> None:
        status.append(
            {"article_id": article.article_id, "lang": article.lang,
             "sentences": len(article.sentences), "events": found, "status": "coded",
             "reason": None}
        )  # fmt: skip

    def english(doc: Any, table: Any, article: ArticleActors) -> None:
        found = 0
        day = days.get(article.article_id)
        for sent in doc.sents:
            events = code_sentence(
                sent, dictionaries=dictionaries, mentions=article.mentions, day=day,
                fallback=fallback,
            )  # fmt: skip
            add(article, events, (sent.start_char, sent.end_char))
            found += len(events)
        coded(article, found)

    def russian(doc: Any, table: Any, article: ArticleActors) -> None:
        from infoscope.articles.events.russian import code_russian_sentence

        if article.lang.split("-")[0] != "ru":
            status.append(
                {"article_id": article.article_id, "lang": article.lang,
                 "sentences": len(article.sentences), "events": 0, "status": "not coded",
                 "reason": f"no verb list for {article.lang!r}: of the Cyrillic-script "
                           "languages, only Russian is coded"}
            )  # fmt: skip
            return
        found = 0
        day = days.get(article.article_id)
        for sent in doc.sents:
            events = code_russian_sentence(
                sent, text=doc.text, mentions=article.mentions, dictionaries=dictionaries,
                day=day, fallback=fallback,
            )  # fmt: skip
            add(article, events, (sent.start, sent.stop))
            found += len(events)
        coded(article, found)

    for _ in analyse_articles(
        list(iter_articles(items)), aliases=aliases, lang=lang, batch_size=batch_size,
        parse=True, english=english, russian=russian,
    ):  # fmt: skip
        pass
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), status
