"""Who is quoted or cited in articles: speaker, role, quote or reported content, outlet.

`extract_quotes` parses each article once (spaCy's dependency parse in English, natasha's in
Russian, as `infoscope.articles.actors` chooses) and reports one row per attribution. An
attribution is a reporting verb (`REPORTING_VERBS`: say, tell, claim, warn, state, add,
insist, ...; not negated, not itself inside a direct quote) with a speaker, or an
"according to" phrase. English patterns:

- ``quote_before``: ``"...," X said`` / ``"...," said X`` / ``"...," X told reporters``, a
  direct quote that ends just before the speaker and verb (only spaces, commas or dashes
  between); a continuation after the verb (``"A," he said, "B."``) is joined to it;
- ``quote_after``: ``X said: "..."`` / ``X said, "..."`` / ``X said that "..."``, a quote
  opening shortly after the verb (a colon, comma or "that" before it, no sentence end) and of
  at least three words (shorter ones are scare quotes);
- ``indirect``: ``X said (that) ...`` / ``X warned ...``, the verb's clausal complement;
- ``trailing``: ``..., X said.``, the verb attached to the clause it reports (parataxis);
- ``according_to``: ``according to Y`` (Y may be "a report by Reuters": the named actor in
  the phrase is the source); the rest of the sentence is the content;
- ``citation``: ``X told Al Jazeera.``, a verb with an outlet but no content.

The speaker is the verb's subject (``nsubj``), or, for a participle or a second verb
(``..., insisting that``, ``X said ... and added that``), its head's subject; ``X was quoted as
saying`` takes the passive subject. Its appositive (``X, a professor at Z, said``) or the
words before a named person in the subject (``Kremlin spokesman Dmitry Peskov``) are the
``role``; the first organisation, state or place named in the role is the ``affiliation``.
The outlet is an organisation named as the object of "tell" (``told Al Jazeera``) or in a
prepositional phrase of the verb (``said in an interview with CNN``, ``wrote on Twitter``).

Speakers resolve to actors as mentions do (alias table, name variants in the article): the
person named in the subject, else the actor covering its head word, else the first actor
named in it ("a UN estimate": United Nations). ``he`` / ``she`` resolve, optionally
(`pronouns`), to the most recent of the speakers named so far and of the first person named
in each of the same and two previous sentences, skipping one known to be of the other gender
(from "Mr" / "Ms", a role such as "spokeswoman", or an earlier "she") (``resolution =
"pronoun"``); "the minister" resolves to the last person named with that word in their title
or appositive (``resolution = "role"``), else stays an unnamed source, as "officials" does.
``speaker`` is then the name, ``speaker_written`` the words as written. A pronoun that resolves
to no one, "I", "we", "they", and a speaker phrase with no noun ("some said") give no speaker:
``speaker`` is null and ``speaker_reason`` says why.

Quotation marks pair within a paragraph; a quote left open at the end of a paragraph continues
when the next opens with a quotation mark (a quote over several paragraphs). ``"A," X said.
"B."`` joins B to A when B ends a sentence in the same paragraph. The affiliation is never
taken from a title: in quotation marks or italics, or after "author of", "book", "titled".

Russian (natasha syntax): the same reporting-verb rule with Russian verbs (заявить, сказать,
сообщить, отметить, ...), quotes in «» or „“ with ``«...», — заявил X``, and ``по словам X``,
``по данным X``, ``по мнению X`` as ``according_to``.

`source_counts` counts how often each source is quoted, in how many articles and publishing
outlets.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from infoscope.articles.actors import AliasTable, ArticleActors, Mention, analyse_articles
from infoscope.errors import BadParameterError

__all__ = ["extract_quotes", "source_counts"]

REPORTING_VERBS = frozenset(
    {
        "say",
        "tell",
        "claim",
        "warn",
        "state",
        "add",
        "insist",
        "note",
        "argue",
        "announce",
        "explain",
        "assert",
        "declare",
        "allege",
        "write",
        "tweet",
        "deny",
        "confirm",
        "stress",
        "emphasize",
        "emphasise",
        "admit",
        "acknowledge",
        "reply",
        "respond",
        "comment",
        "observe",
        "predict",
        "reveal",
        "suggest",
        "report",
        "maintain",
        "contend",
        "conclude",
        "complain",
        "recall",
        "remark",
        "testify",
        "concede",
        "ask",
        "urge",
        "caution",
    }
)
RUSSIAN_REPORTING_VERBS = frozenset(
    {
        "заявить",
        "заявлять",
        "сказать",
        "говорить",
        "сообщить",
        "сообщать",
        "отметить",
        "отмечать",
        "подчеркнуть",
        "подчёркивать",
        "подчеркивать",
        "добавить",
        "пояснить",
        "рассказать",
        "утверждать",
        "заметить",
        "предупредить",
        "написать",
        "объявить",
        "признать",
        "указать",
        "напомнить",
        "считать",
        "уточнить",
    }
)
# Past forms that do not just add -ed / -d, and verbs that double their last consonant.
_IRREGULAR = {
    "say": ("said", "said"),
    "tell": ("told", "told"),
    "write": ("wrote", "written"),
}
_DOUBLING = frozenset({"admit", "commit"})


def _verb_forms(lemma: str) -> list[str]:
    """The inflected forms of an English verb: base, -s, past, past participle, -ing."""
    if lemma in _IRREGULAR:
        past, participle = _IRREGULAR[lemma]
    elif lemma in _DOUBLING:
        past = participle = lemma + lemma[-1] + "ed"
    elif lemma.endswith("e"):
        past = participle = lemma + "d"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        past = participle = lemma[:-1] + "ied"
    else:
        past = participle = lemma + "ed"
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma in _DOUBLING:
        ing = lemma + lemma[-1] + "ing"
    elif lemma.endswith("e") and not lemma.endswith("ee"):
        ing = lemma[:-1] + "ing"
    else:
        ing = lemma + "ing"
    return [lemma, third, past, participle, ing]


_LEMMA_OF = {
    form: lemma for lemma in REPORTING_VERBS | {"quote", "cite"} for form in _verb_forms(lemma)
}


def _lemma(token: Any) -> str | None:
    """The reporting verb a spaCy token is a form of (or quote / cite), else None."""
    return _LEMMA_OF.get(token.lower_)


_RUSSIAN_ACCORDING = frozenset({"слово", "данные", "мнение", "информация"})
QUOTE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("lang", pa.string()),
        ("sentence", pa.int32()),
        ("sentence_start", pa.int32()),
        ("sentence_end", pa.int32()),
        ("cue", pa.string()),
        ("verb", pa.string()),
        ("speaker", pa.string()),
        ("speaker_start", pa.int32()),
        ("speaker_end", pa.int32()),
        ("actor", pa.string()),
        ("actor_kind", pa.string()),
        ("resolution", pa.string()),
        ("role", pa.string()),
        ("affiliation", pa.string()),
        ("affiliation_actor", pa.string()),
        ("outlet", pa.string()),
        ("quote", pa.string()),
        ("quote_start", pa.int32()),
        ("quote_end", pa.int32()),
        ("content", pa.string()),
        ("speaker_written", pa.string()),
        ("speaker_reason", pa.string()),
    ]
)
# Not across a line: a quote closing a paragraph is not attributed by the next one.
_BEFORE_GAP = re.compile(r"[ \t,;:—–-]*")
_AFTER_GAP = re.compile(r"[^.!?\n\"“”«»„]{0,80}?(?:[,:]|\bthat|\bчто)\s*[—–-]?\s*|\s*")
_CONTINUATION_GAP = re.compile(r"\s*,\s*")
_SUBJECTS = ("nsubj", "nsubjpass")
_PHRASE_DROP = frozenset({"appos", "relcl", "acl", "punct", "advcl", "parataxis"})
_ORGANISATIONS = ("organisation",)
_AFFILIATIONS = ("organisation", "state", "place", "group")
_OUTLET_PREPS = frozenset({"to", "with", "on", "in"})
_NOT_OUTLETS = frozenset(
    {"PERSON", "GPE", "LOC", "NORP", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY"}
)
_GENDER_OF_PRONOUN = {"he": "m", "she": "f", "он": "m", "она": "f"}
_GENDER_OF_TITLE = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "dame": "f"}
_TITLE_GENDER = re.compile(r"\b(Mr|Mrs|Ms|Miss|Sir|Dame)\.?\s+$")
_FEMALE_ROLES = re.compile(
    r"\b(?:\w+woman|actress|mother|wife|daughter|sister|queen|princess|duchess)\b", re.I
)
_MALE_ROLES = re.compile(r"\b(?:\w+man|actor|father|husband|son|brother|king|prince|duke)\b", re.I)
# "the minister", "the foreign minister", "the spokesman": a definite role, resolved to the
# last person named with that role.
_ROLE_PHRASE = re.compile(r"the (?:[a-z-]+ ){0,2}([a-z-]+)")
# Words after which a name belongs to a title, not an affiliation ("author of The Kremlin's...").
_TITLE_CUES = re.compile(
    r"\b(?:author|book|novel|film|documentary|memoir|titled|entitled|called|wrote|writes)\b",
    re.IGNORECASE,
)
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "prof"})
# Fewer words than this after the verb are a scare quote ("called it "a hoax""), not a quote.
_MIN_QUOTE_WORDS = 3
# Speakers that name no one, left out of source counts unless resolved to an actor.
_ANONYMOUS = frozenset(
    {"i", "we", "you", "he", "she", "they", "it", "one", "this", "that"}
    | {"я", "мы", "ты", "вы", "он", "она", "они", "оно"}
)


_OPENERS = {'"': '"', "“": "”", "«": "»", "„": "“”"}
# A paragraph break and the opening mark of a continued quote, removed from the quote's words.
_CONTINUED = re.compile(r'\s*\n\s*["“«„]')


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) offsets of the direct quotes of `text`, close exclusive.

    Marks pair within a paragraph (one line). A quote still open at the end of a paragraph
    continues when the next paragraph opens with a quotation mark (the English convention for
    a quote running over several paragraphs: no closing mark at the end of each paragraph but
    the last); otherwise it is dropped, as is an empty pair."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    closers = ""
    lines = text.split("\n")
    offset = 0
    for line in lines:
        i = 0
        if start is not None:
            body = line.lstrip()
            if not body:  # a blank line between paragraphs
                offset += len(line) + 1
                continue
            if body[0] in _OPENERS:
                i = len(line) - len(body) + 1  # the continuation's opening mark
            else:
                start = None
        while i < len(line):
            char = line[i]
            if start is None:
                if char in _OPENERS:
                    start, closers = offset + i, _OPENERS[char]
            elif char in closers:
                if offset + i > start + 1:
                    spans.append((start, offset + i + 1))
                start = None
            i += 1
        offset += len(line) + 1
    return spans


class _Quotes:
    """Direct quotes of a text: (open, close) offsets of the marks, close exclusive."""

    def __init__(self, text: str) -> None:
        self.spans = _quote_spans(text)
        self.text = text

    def inside(self, offset: int) -> bool:
        return any(s < offset < e - 1 for s, e in self.spans)

    def before(self, anchor: int) -> tuple[int, int] | None:
        """The quote that ends at `anchor`, with only spaces, commas or dashes between."""
        for s, e in reversed(self.spans):
            if e <= anchor:
                return (s, e) if _BEFORE_GAP.fullmatch(self.text[e:anchor]) else None
        return None

    def after(self, anchor: int, gap: re.Pattern[str]) -> tuple[int, int] | None:
        for s, e in self.spans:
            if s >= anchor:
                return (s, e) if gap.fullmatch(self.text[anchor:s]) else None
        return None

    def inner(self, span: tuple[int, int]) -> tuple[int, int, str]:
        """The quoted words: inside the marks, without surrounding spaces or a final comma;
        the paragraphs of a continued quote joined by a space."""
        s, e = span[0] + 1, span[1] - 1
        raw = self.text[s:e]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip(" \t,;"))
        words = _CONTINUED.sub(" ", raw[lead : len(raw) - trail])
        return s + lead, e - trail, words


def _gender_of_role(role: str) -> str | None:
    female, male = _FEMALE_ROLES.search(role), _MALE_ROLES.search(role)
    return "f" if female and not male else "m" if male and not female else None


def _mention_at(mentions: list[Mention], start: int, end: int) -> list[Mention]:
    return [m for m in mentions if m.start < end and m.end > start]


def _clause(text: str) -> str:
    """Reported content: without surrounding spaces and commas; a quotation mark stays unless
    the whole clause is quoted."""
    text = text.strip(" \t\n,;:—–-")
    if len(text) > 1 and text[0] in '"“«„' and text[-1] in '"”»“' and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    return text


def _strip(text: str) -> str:
    return text.strip(' \t\n,;:—–-"“”«»')


class _Builder:
    """Rows of one article, in text order (a pronoun or role looks back at earlier rows)."""

    def __init__(
        self, article: ArticleActors, table: AliasTable, pronouns: bool, quotes: _Quotes
    ) -> None:
        self.article = article
        self.table = table
        self.pronouns = pronouns
        self.quotes = quotes
        self.rows: list[dict[str, Any]] = []
        self.seen: set[tuple[int, int]] = set()
        # Speakers named so far: (offset, name, actor, role words), and what gender a title,
        # role or resolved pronoun gave each (keyed by actor, else name).
        self.named: list[tuple[int, str, str | None, str]] = []
        self.gender: dict[str, str] = {}
        text = article.text
        for m in article.mentions:
            if m.kind == "person" and (found := _TITLE_GENDER.search(text[: m.start])):
                self.gender.setdefault(m.actor, _GENDER_OF_TITLE[found.group(1).lower()])

    def resolve_speaker(
        self, start: int, end: int, head: tuple[int, int], text: str
    ) -> tuple[str | None, str | None, str | None, Mention | None]:
        """(actor, kind, resolution, the person mention) for a speaker phrase."""
        inside = _mention_at(self.article.mentions, start, end)
        persons = [m for m in inside if m.kind == "person"]
        if persons:
            m = persons[0]
            return m.actor, m.kind, m.resolution, m
        covering = [m for m in inside if m.start <= head[0] and m.end >= head[1]]
        if covering:
            m = covering[0]
            return m.actor, m.kind, m.resolution, None
        if inside:
            m = inside[0]
            return m.actor, m.kind, m.resolution, None
        hit = self.table.lookup(text)
        if hit is not None:
            return hit[0], hit[1], "alias", None
        return None, None, None, None

    def _context(self, m: Mention) -> str:
        """The words around a person mention in its sentence: its title and appositive."""
        sentences = self.article.sentences
        low, high = sentences[self.article.sentence_of(m.start)] if sentences else (0, m.end)
        text = self.article.text
        return f"{text[max(low, m.start - 60) : m.start]} {text[m.end : min(high, m.end + 80)]}"

    def antecedent(
        self, at: int, *, gender: str | None = None, role: str | None = None
    ) -> tuple[str, str | None] | None:
        """(name, actor) of the speaker "he" / "she" / "the minister" at `at` refers to.

        Candidates, most recent first: the speakers named so far, and each sentence's first
        person named (outside a quote) in the same or the two previous sentences. A pronoun
        takes the first candidate not known to be of the other gender; a role ("the
        minister") the first whose title, appositive or role holds the role's head word."""
        article = self.article
        candidates: list[tuple[int, str, str | None, str]] = [c for c in self.named if c[0] < at]
        sentence = article.sentence_of(at)
        low = article.sentences[max(sentence - 2, 0)][0] if article.sentences else 0
        firsts: set[int] = set()
        for m in article.mentions:
            if m.kind != "person" or m.start >= at:
                continue
            index = article.sentence_of(m.start)
            if role is not None or (m.start >= low and index not in firsts):
                if self.quotes.inside(m.start):
                    continue
                firsts.add(index)
                candidates.append((m.start, m.text, m.actor, self._context(m)))
        candidates.sort(key=lambda c: -c[0])
        for _, name, actor, words in candidates:
            if role is not None:
                if re.search(rf"\b{re.escape(role)}\b", words, re.IGNORECASE):
                    return name, actor
                continue
            known = self.gender.get(actor or name)
            if gender is None or known is None or known == gender:
                return name, actor
        return None

    def affiliation(self, start: int, end: int) -> tuple[str | None, str | None]:
        """The first organisation, state or place named in a role or appositive, except in a
        title: in quotation marks or italics, or after "author of", "book", "titled"..."""
        text = self.article.text
        for m in _mention_at(self.article.mentions, start, end):
            if m.kind not in _AFFILIATIONS:
                continue
            before = text[start : m.start]
            if self.quotes.inside(m.start) or any(
                before.count(mark) % 2 for mark in ('"', "*", "_")
            ):
                continue
            if "“" in before and "”" not in before.rsplit("“", 1)[1]:
                continue
            cue = _TITLE_CUES.search(before)
            if cue is not None and not re.search(r"\b(?:at|for|with)\b", before[cue.end() :]):
                continue
            return m.text, m.actor
        return None, None

    def add(
        self,
        *,
        at: int,
        cue: str,
        verb: str,
        speaker: tuple[int, int],
        head: tuple[int, int],
        role: tuple[int, int] | None,
        outlet: str | None,
        quote: tuple[int, int, str] | None,
        content: str | None,
        fragment: bool = False,
    ) -> None:
        text = self.article.text
        key = (at, speaker[0])
        if key in self.seen:
            return
        self.seen.add(key)
        s_start, s_end = speaker
        written = text[s_start:s_end]
        speaker_text: str | None = written
        reason = None
        actor, kind, resolution, person = self.resolve_speaker(s_start, s_end, head, written)
        lowered = " ".join(written.lower().split())
        role_text = None
        affiliation, affiliation_actor = None, None
        if person is not None and (person.start > s_start or person.end < s_end):
            # Words around the named person in the subject: its title and affiliation.
            before, after = _strip(text[s_start : person.start]), _strip(text[person.end : s_end])
            if before.lower().rstrip(".") in _TITLES:
                before = ""  # "Mr", "Dr": a form of address, not a role
            role_text = " ".join(p for p in (before, after) if p) or None
            if role_text:
                affiliation, affiliation_actor = self.affiliation(s_start, person.start)
                if affiliation is None:
                    affiliation, affiliation_actor = self.affiliation(person.end, s_end)
            speaker_text = person.text
            s_start, s_end = person.start, person.end
            written = text[s_start:s_end]
        if role is not None:
            appositive = _strip(text[role[0] : role[1]])
            role_text = f"{role_text}; {appositive}" if role_text else appositive
            if affiliation is None:
                affiliation, affiliation_actor = self.affiliation(*role)
        if actor is None and lowered in _GENDER_OF_PRONOUN:
            found = None
            if self.pronouns:
                found = self.antecedent(s_start, gender=_GENDER_OF_PRONOUN[lowered])
            if found is None:
                speaker_text = None
                reason = (
                    "pronoun: no speaker named before it"
                    if self.pronouns
                    else "pronoun: not resolved (pronouns=False)"
                )
            else:
                speaker_text, actor = found
                kind, resolution = "person", "pronoun"
                self.gender.setdefault(actor or speaker_text, _GENDER_OF_PRONOUN[lowered])
        elif actor is None and lowered in _ANONYMOUS:
            speaker_text, reason = None, f"pronoun: {written!r} names no one"
        elif actor is None and fragment:
            speaker_text, reason = None, f"fragment: {written!r} is not a noun phrase"
        elif actor is None and (match := _ROLE_PHRASE.fullmatch(lowered)):
            found = self.antecedent(s_start, role=match.group(1))
            if found is not None:
                speaker_text, actor = found
                kind, resolution = "person", "role"
        if speaker_text is not None and kind == "person" and resolution not in ("pronoun", "role"):
            words = " ".join(p for p in (role_text, text[max(0, s_start - 6) : s_start]) if p)
            self.named.append((s_start, speaker_text, actor, words))
            if found_gender := _gender_of_role(role_text or ""):
                self.gender.setdefault(actor or speaker_text, found_gender)
        index = self.article.sentence_of(at)
        sentences = self.article.sentences
        sentence = sentences[index] if sentences else (at, at)
        self.rows.append(
            {
                "article_id": self.article.article_id,
                "lang": self.article.lang,
                "sentence": index,
                "sentence_start": sentence[0],
                "sentence_end": sentence[1],
                "cue": cue,
                "verb": verb,
                "speaker": speaker_text,
                "speaker_start": s_start,
                "speaker_end": s_end,
                "actor": actor,
                "actor_kind": kind,
                "resolution": resolution,
                "role": role_text or None,
                "affiliation": affiliation,
                "affiliation_actor": affiliation_actor,
                "outlet": outlet,
                "quote": quote[2] if quote else None,
                "quote_start": quote[0] if quote else None,
                "quote_end": quote[1] if quote else None,
                "content": content or None,
                "speaker_written": written,
                "speaker_reason": reason,
            }
        )


def _direct_quote(
    quotes: _Quotes, phrase_start: int, anchor: int
) -> tuple[str, tuple[int, int, str]] | None:
    """A quote attached to the attribution: ending just before `phrase_start` (speaker and
    verb), or opening just after `anchor` (the end of the verb or speaker)."""
    before = quotes.before(phrase_start) if phrase_start >= 0 else None
    if before is not None:
        s, e, inner = quotes.inner(before)
        more = quotes.after(anchor, _CONTINUATION_GAP)
        if more is not None:
            _, e, rest = quotes.inner(more)
            inner = f"{inner} {rest}"
        return "quote_before", (s, e, inner)
    after = quotes.after(anchor, _AFTER_GAP)
    if after is not None:
        inner_span = quotes.inner(after)
        if len(inner_span[2].split()) >= _MIN_QUOTE_WORDS:
            return "quote_after", inner_span
    return None


def _next_sentence_quote(quotes: _Quotes, quote: tuple[int, int, str]) -> tuple[int, int, str]:
    """``"A," X said. "B."``: a quote opening after the attribution's sentence ends, in the
    same paragraph, and itself ending a sentence (not ``"B," she added``), continues quote A."""
    text = quotes.text
    close = next((e for s, e in quotes.spans if s < quote[0] < e), None)
    if close is None:
        return quote
    more = next(((s, e) for s, e in quotes.spans if s >= close), None)
    if more is None or quote[1] >= more[0] or text[more[1] - 2] not in ".!?":
        return quote  # no next quote, already joined ("A," he said, "B."), or handed on
    between = text[close : more[0]]
    if "\n" in between or not between.rstrip().endswith((".", "!", "?")):
        return quote
    _, end, rest = quotes.inner(more)
    return quote[0], end, f"{quote[2]} {rest}"


# ---------------------------------------------------------------------------------------------
# English


def _span(tokens: list[Any]) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1])


def _kept(token: Any) -> list[Any]:
    """The token and its descendants, without appositives, relative clauses, punctuation."""
    keep = [token]
    for child in token.children:
        if child.dep_ in _PHRASE_DROP and not (child.dep_ == "punct" and child.text in "-–"):
            continue
        keep.extend(_kept(child))
    return keep


def _phrase(token: Any) -> list[Any]:
    """A noun phrase without its appositives, relative clauses and punctuation."""
    keep = sorted(_kept(token), key=lambda t: t.i)
    # The contiguous run around the head word.
    i = keep.index(token)
    lo, hi = i, i
    while lo > 0 and keep[lo - 1].i == keep[lo].i - 1:
        lo -= 1
    while hi < len(keep) - 1 and keep[hi + 1].i == keep[hi].i + 1:
        hi += 1
    run = keep[lo : hi + 1]
    while run and run[0].dep_ in ("cc", "punct") and run[0] is not token:
        run = run[1:]
    while run and run[-1].dep_ in ("cc", "punct", "case") and run[-1] is not token:
        run = run[:-1]
    return run


def _subject(verb: Any) -> tuple[Any, bool]:
    """The verb's subject, and whether it is the verb's own (not inherited from its head)."""
    for child in verb.children:
        if child.dep_ in _SUBJECTS:
            return child, True
    current = verb
    for _ in range(3):
        head = current.head
        if head is current:
            return None, False
        if current.dep_ == "conj" or (current.dep_ == "advcl" and current.tag_ == "VBG"):
            pass
        elif (
            current.dep_ == "pcomp"
            and head.lower_ == "as"
            and _lemma(head.head)
            in (
                "quote",
                "cite",
            )
        ):
            head = head.head
        else:
            return None, False
        for child in head.children:
            if child.dep_ in _SUBJECTS:
                return child, False
        current = head
    return None, False


def _outlet(verb: Any, doc: Any) -> str | None:
    """An organisation the verb reports through: "told Al Jazeera", "in an interview with
    CNN", "on Twitter"."""
    ents = {}
    for ent in doc.ents:
        for t in ent:
            ents[t.i] = ent

    def named(token: Any) -> str | None:
        ent = ents.get(token.i)
        if ent is not None:
            return None if ent.label_ in _NOT_OUTLETS else str(ent.text)
        if token.tag_ in ("NNP", "NNPS"):
            words = [t for t in token.subtree if t.tag_ in ("NNP", "NNPS") or t.i == token.i]
            return " ".join(t.text for t in words)
        return None

    for child in verb.children:
        if _lemma(verb) == "tell" and child.dep_ in ("dobj", "dative", "iobj"):
            found = named(child)
            if found:
                return found
        if child.dep_ == "prep" and child.lower_ in _OUTLET_PREPS:
            for pobj in child.children:
                if pobj.dep_ != "pobj":
                    continue
                found = named(pobj)
                if found:
                    return found
                for inner in pobj.children:
                    if inner.dep_ == "prep" and inner.lower_ in _OUTLET_PREPS | {"to", "by"}:
                        for deep in inner.children:
                            if deep.dep_ == "pobj" and (found := named(deep)):
                                return found
    return None


def _content(verb: Any) -> str | None:
    for child in verb.children:
        if child.dep_ == "ccomp":
            tokens = [t for t in child.subtree]
            while tokens and (
                tokens[0].dep_ == "mark" or (tokens[0].is_punct and not tokens[0].is_quote)
            ):
                tokens = tokens[1:]
            while tokens and tokens[-1].is_punct and not tokens[-1].is_quote:
                tokens = tokens[:-1]
            if tokens:
                return _clause(verb.doc.text[tokens[0].idx : _span(tokens)[1]])
    return None


def _english(doc: Any, table: AliasTable, article: ArticleActors, pronouns: bool) -> list[Any]:
    text = doc.text
    quotes = _Quotes(text)
    build = _Builder(article, table, pronouns, quotes)
    for token in doc:
        if (
            token.lower_ == "according"
            and token.i + 1 < len(doc)
            and doc[token.i + 1].lower_ == "to"
        ):
            _according(token, doc, quotes, build)
            continue
        lemma = _lemma(token)
        if lemma is None or lemma in ("quote", "cite") or not token.tag_.startswith("VB"):
            continue
        if quotes.inside(token.idx) or any(c.dep_ == "neg" for c in token.children):
            continue
        subject, own = _subject(token)
        if subject is None or quotes.inside(subject.idx):
            continue
        if subject.lower_ in ("it", "there", "that", "this", "which", "who"):
            continue
        phrase = _phrase(subject)
        speaker = _span(phrase)
        appositive = None
        for child in subject.children:
            if child.dep_ == "appos":
                appositive = _span(sorted(child.subtree, key=lambda t: t.i))
                break
        verb_end = token.idx + len(token)
        # An inherited subject ("..., insisting that") is not next to the verb: only a quote
        # after the verb is its own.
        phrase_start = min(speaker[0], token.idx) if own else -1
        anchor = max(verb_end, speaker[1]) if subject.i > token.i else verb_end
        if lemma == "tell":
            # "told Al Jazeera: ..." / "told reporters that ...": past the addressee.
            for child in token.children:
                if child.dep_ in ("dobj", "dative", "iobj") and child.i > token.i:
                    anchor = max(anchor, _span(sorted(child.subtree, key=lambda t: t.i))[1])
        direct = _direct_quote(quotes, phrase_start, anchor)
        if direct is not None and direct[0] == "quote_before" and direct[1][1] < token.idx:
            direct = direct[0], _next_sentence_quote(quotes, direct[1])
        outlet = _outlet(token, doc)
        content = _content(token)
        cue = None
        quote = None
        if direct is not None:
            cue, quote = direct
            content = quote[2]
        elif content is not None:
            cue = "indirect"
        elif token.dep_ == "parataxis" and token.head.i < token.i:
            cue = "trailing"
            left = token.left_edge.i
            sentence_start = token.sent.start
            if left > sentence_start:
                content = _strip(
                    text[doc[sentence_start].idx : doc[left - 1].idx + len(doc[left - 1])]
                )
        elif outlet is not None:
            cue = "citation"
        if cue is None:
            continue
        build.add(
            at=token.idx,
            cue=cue,
            verb=lemma,
            speaker=speaker,
            head=(subject.idx, subject.idx + len(subject)),
            role=appositive,
            outlet=outlet,
            quote=quote,
            content=content,
            fragment=not any(t.tag_.startswith(("NN", "PRP", "CD")) for t in phrase),
        )
    return build.rows


def _according(token: Any, doc: Any, quotes: _Quotes, build: _Builder) -> None:
    to = doc[token.i + 1]
    pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
    if pobj is None:
        pobj = next((c for c in token.children if c.dep_ == "pobj"), None)
    if pobj is None:
        return
    source = sorted(pobj.subtree, key=lambda t: t.i)
    while source and source[-1].is_punct:
        source = source[:-1]
    if not source:
        return
    speaker = _span(source)
    sent = token.sent
    appositive = None
    for child in pobj.children:
        if child.dep_ == "appos":
            appositive = _span(sorted(child.subtree, key=lambda t: t.i))
            source = [t for t in source if t.i < child.left_edge.i]
            speaker = _span(source)
    text = doc.text
    before = _strip(text[sent.start_char : token.idx]).rstrip(".")
    after = _strip(text[speaker[1] if appositive is None else appositive[1] : sent.end_char])
    content = " ".join(p for p in (before, _strip(after.rstrip("."))) if p)
    build.add(
        at=token.idx,
        cue="according_to",
        verb="according to",
        speaker=speaker,
        head=(pobj.idx, pobj.idx + len(pobj)),
        role=appositive,
        outlet=None,
        quote=None,
        content=content or None,
    )


# ---------------------------------------------------------------------------------------------
# Russian


def _russian(doc: Any, table: AliasTable, article: ArticleActors, pronouns: bool) -> list[Any]:
    quotes = _Quotes(doc.text)
    build = _Builder(article, table, pronouns, quotes)
    for sent in doc.sents:
        tokens = sent.tokens
        by_id = {t.id: t for t in tokens}
        children: dict[str, list[Any]] = defaultdict(list)
        for t in tokens:
            if t.head_id in by_id and t.head_id != t.id:
                children[t.head_id].append(t)

        def subtree(t: Any, children: dict[str, list[Any]] = children) -> list[Any]:
            out = [t]
            for c in children[t.id]:
                out.extend(subtree(c, children))
            return sorted(out, key=lambda x: x.start)

        for token in tokens:
            lemma = (token.lemma or token.text).lower()
            if lemma in _RUSSIAN_ACCORDING and any(
                (c.lemma or c.text).lower() == "по" for c in children[token.id]
            ):
                source = [c for c in children[token.id] if c.rel in ("nmod", "obl", "appos")]
                if not source:
                    continue
                span_tokens = subtree(source[0])
                speaker = (span_tokens[0].start, span_tokens[-1].stop)
                first = min(t.start for t in subtree(token))
                rest = _strip(doc.text[sent.start : first] + " " + doc.text[speaker[1] : sent.stop])
                build.add(
                    at=token.start,
                    cue="according_to",
                    verb=f"по {token.text.lower()}",
                    speaker=speaker,
                    head=(source[0].start, source[0].stop),
                    role=None,
                    outlet=None,
                    quote=None,
                    content=rest.rstrip(".") or None,
                )
                continue
            if token.pos not in ("VERB",) or lemma not in RUSSIAN_REPORTING_VERBS:
                continue
            if quotes.inside(token.start):
                continue
            if any((c.lemma or "").lower() == "не" for c in children[token.id]):
                continue
            subject = next((c for c in children[token.id] if c.rel == "nsubj"), None)
            if subject is None and token.rel == "conj" and token.head_id in by_id:
                subject = next((c for c in children[token.head_id] if c.rel == "nsubj"), None)
            if subject is None or quotes.inside(subject.start):
                continue
            phrase = subtree(subject)
            speaker = (phrase[0].start, phrase[-1].stop)
            phrase_start = min(speaker[0], token.start)
            anchor = max(token.stop, speaker[1]) if subject.start > token.start else token.stop
            outlet = None
            for child in children[token.id]:
                if child.rel in ("iobj", "obl"):
                    for m in _mention_at(article.mentions, *_tspan(subtree(child))):
                        if m.kind in _ORGANISATIONS and m.entity_type == "ORG":
                            outlet = m.text
                            break
                    if child.rel == "iobj" and child.start > token.start:
                        anchor = max(anchor, _tspan(subtree(child))[1])
                if outlet:
                    break
            direct = _direct_quote(quotes, phrase_start, anchor)
            content = None
            ccomp = next((c for c in children[token.id] if c.rel == "ccomp"), None)
            if ccomp is not None:
                part = [t for t in subtree(ccomp) if t.pos != "PUNCT" or t is not ccomp]
                while part and (part[0].rel == "mark" or part[0].pos == "PUNCT"):
                    part = part[1:]
                if part:
                    content = _clause(doc.text[part[0].start : part[-1].stop])
            cue = None
            quote = None
            if direct is not None:
                cue, quote = direct
                content = quote[2]
            elif content is not None:
                cue = "indirect"
            elif outlet is not None:
                cue = "citation"
            if cue is None:
                continue
            build.add(
                at=token.start,
                cue=cue,
                verb=lemma,
                speaker=speaker,
                head=(subject.start, subject.stop),
                role=None,
                outlet=outlet,
                quote=quote,
                content=content,
            )
    return build.rows


def _tspan(tokens: list[Any]) -> tuple[int, int]:
    return tokens[0].start, tokens[-1].stop


# ---------------------------------------------------------------------------------------------


def extract_quotes(
    articles: Any,
    *,
    aliases: AliasTable | str | Path | None = None,
    lang: str | None = None,
    pronouns: bool = True,
    batch_size: int = 32,
) -> pa.Table:
    """One row per attribution in `articles` (see the module doc), in `QUOTE_SCHEMA`.

    `articles`, `aliases` and `lang` as for `infoscope.articles.actors.extract_actors`.
    `pronouns`: resolve "he" / "she" speakers to the last person named before them.
    """
    rows: list[dict[str, Any]] = []

    def english(doc: Any, table: AliasTable, article: ArticleActors) -> None:
        rows.extend(_english(doc, table, article, pronouns))

    def russian(doc: Any, table: AliasTable, article: ArticleActors) -> None:
        rows.extend(_russian(doc, table, article, pronouns))

    for _ in analyse_articles(
        articles,
        aliases=aliases,
        lang=lang,
        batch_size=batch_size,
        parse=True,
        english=english,
        russian=russian,
    ):
        pass
    return pa.Table.from_pylist(rows, schema=QUOTE_SCHEMA)


SOURCE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("kind", pa.string()),
        ("quotes", pa.int64()),
        ("articles", pa.int64()),
        ("outlets", pa.int64()),
        (
            "by_outlet",
            pa.list_(
                pa.struct(
                    [("outlet", pa.string()), ("quotes", pa.int64()), ("articles", pa.int64())]
                )
            ),
        ),
    ]
)


def source_counts(
    quotes: pa.Table, outlets: Mapping[str, str] | pa.Table | None = None
) -> pa.Table:
    """How often each source is quoted or cited: the number of attributions, of articles and
    of publishing outlets, and the same per outlet.

    The source is the resolved actor, or, without one, the speaker text as written (so
    "officials" counts as a source of its own); pronouns that resolved to no actor are left
    out. `outlets` maps article_id to the outlet that
    published it (or is a table of ``article_id`` and ``outlet``); articles missing from it
    count under outlet None. Sorted by quotes, then articles (decreasing), then source.
    """
    for column in ("article_id", "speaker", "actor", "actor_kind"):
        if column not in quotes.column_names:
            raise BadParameterError(f"quotes lack column {column!r}; use extract_quotes' output")
    if isinstance(outlets, pa.Table):
        if "article_id" not in outlets.column_names or "outlet" not in outlets.column_names:
            raise BadParameterError("outlets: a table needs 'article_id' and 'outlet' columns")
        outlet_of: Mapping[str, str] = dict(
            zip(
                (str(a) for a in outlets.column("article_id").to_pylist()),
                outlets.column("outlet").to_pylist(),
                strict=True,
            )
        )
    else:
        outlet_of = {str(k): v for k, v in (outlets or {}).items()}
    counts: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    articles: dict[str, set[str]] = defaultdict(set)
    per_outlet: dict[str, Counter[str | None]] = defaultdict(Counter)
    per_outlet_articles: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    cols = [quotes.column(c).to_pylist() for c in ("article_id", "speaker", "actor", "actor_kind")]
    for article_id, speaker, actor, kind in zip(*cols, strict=True):
        source = actor or " ".join((speaker or "").split())
        if not source or (actor is None and source.lower() in _ANONYMOUS):
            continue
        counts[source] += 1
        if kind:
            kinds[source][kind] += 1
        articles[source].add(article_id)
        outlet = outlet_of.get(article_id)
        per_outlet[source][outlet] += 1
        per_outlet_articles[(source, outlet)].add(article_id)
    rows: list[dict[str, Any]] = []
    for source, n in counts.items():
        named = [o for o in per_outlet[source] if o is not None]
        outlet_rows: list[dict[str, Any]] = [
            {
                "outlet": o,
                "quotes": c,
                "articles": len(per_outlet_articles[(source, o)]),
            }
            for o, c in per_outlet[source].items()
        ]
        by_outlet = sorted(
            outlet_rows, key=lambda r: (-r["quotes"], r["outlet"] is None, r["outlet"] or "")
        )
        kind = (
            min(kinds[source].items(), key=lambda kv: (-kv[1], kv[0]))[0] if kinds[source] else None
        )
        rows.append(
            {
                "source": source,
                "kind": kind,
                "quotes": n,
                "articles": len(articles[source]),
                "outlets": len(named),
                "by_outlet": by_outlet,
            }
        )
    rows.sort(key=lambda r: (-r["quotes"], -r["articles"], r["source"]))
    return pa.Table.from_pylist(rows, schema=SOURCE_SCHEMA)
