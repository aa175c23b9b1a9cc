"""Russian events from natasha's Universal Dependencies parse.

`code_russian_sentence` codes one natasha sentence (``DocSent`` of a Doc parsed by
`infoscope.articles.actors.russian_doc` with ``syntax=True``): for each verb of `RUSSIAN_VERBS`
(by lemma; a few entries are a verb with its object, "ввести санкции"), its source (``nsubj``;
for a verb in an ``xcomp`` or ``conj`` without a subject, the subject of the verb it depends
on; for a pronoun subject of a reported clause, "Путин заявил, что он ...", the reporting
verb's subject; for "который", the noun the clause modifies; for a passive, ``nsubj:pass``'s
verb's agent, an ``obl`` in the instrumental without a preposition: "атакована Россией"), its
target (in order: ``iobj``; ``obj``; a prepositional ``nmod`` of the object, "санкции против
Грузии", "переговоры с Россией"; a prepositional ``obl`` of the verb, "встретилась с Киевом",
"вторглась в Грузию", or a dative one; the object's genitive ``nmod``; the subject of a
reported clause, "заявил, что Россия ..."; a passive's subject). "в"/"во"/"на" with the
locative are places ("в Женеве"), not targets. Each side is a noun phrase (its head's subtree
without conjuncts, clauses and punctuation; "Франция и Германия" are two sources) that holds
an actor mention of the actors analysis (natasha's entities and the alias table): the mention
at its head, else at an apposition's head ("министр ... Сергей Лавров"), else its first.
With PETRARCH dictionaries, the mention's canonical (English) name looked up in the actor
dictionary gives the CAMEO actor code ("Russia" is ``RUS``); agents, which are English
words, are not matched.

`RUSSIAN_VERBS` is a hand-written list of common political verbs with their quad class; a
CAMEO code is given only where the verb translates one English verb whose code in
PETRARCH2's ``CAMEO.2.0.txt`` is unambiguous (осудить as CONDEMN, ``111``), and the quad class
then comes from the code (``quad_source`` ``cameo``); the others have only a quad class
(``quad_source`` ``fallback``, as the English fallback list). Negation: "не" on the verb or on
a verb governing it, or a governing "отказаться"; modality: the governing verb or adjective
("может", "должна", "готов", "пообещал") and the particle "бы".

Limits: no patterns and no reverse codes (посетить is 042, never the host's 043); a verb
outside the list gives no event; actors are only those the mentions name (no dictionary
matching of Russian words, no agents); nominal events ("визит Путина в Китай") are not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infoscope.articles.events.dictionaries import Dictionaries
from infoscope.articles.events.extract import QUADS, Event, Party, quad_class

__all__ = ["RUSSIAN_VERBS", "code_russian_sentence"]

_VC, _MC, _VX, _MX = QUADS  # verbal / material cooperation, verbal / material conflict

# lemma (or "verb object-lemma") -> (quad class, CAMEO code or None); the English verb whose
# CAMEO.2.0 block gave the code is in the comment.
RUSSIAN_VERBS: dict[str, tuple[str, str | None]] = {
    # verbal cooperation
    "заявить": (_VC, "010"),  # say / state
    "сказать": (_VC, "010"),  # say
    "сообщить": (_VC, "010"),  # announce
    "объявить": (_VC, None),  # announce, but also "declare war": no code
    "встретиться": (_VC, "040"),  # meet
    "встречаться": (_VC, "040"),  # meet
    "обсудить": (_VC, "040"),  # discuss
    "обсуждать": (_VC, "040"),  # discuss
    "пригласить": (_VC, "040"),  # invite
    "позвонить": (_VC, "041"),  # call (telephone)
    "посетить": (_VC, "042"),  # visit
    "призвать": (_VC, "020"),  # appeal / urge
    "попросить": (_VC, "020"),  # ask
    "предложить": (_VC, None),  # propose (020) or offer (030)
    "пообещать": (_VC, "030"),  # promise
    "обещать": (_VC, "030"),  # promise
    "поддержать": (_VC, "050"),  # support
    "поддерживать": (_VC, "050"),  # support
    "согласиться": (_VC, "050"),  # agree
    "договориться": (_VC, "050"),  # agree
    "сотрудничать": (_VC, "050"),  # cooperate
    "похвалить": (_VC, "051"),  # praise
    "приветствовать": (_VC, "051"),  # welcome
    "поблагодарить": (_VC, "051"),  # thank
    "поздравить": (_VC, "051"),  # congratulate
    "извиниться": (_VC, "055"),  # apologize
    "признать": (_VC, None),  # recognise, or admit
    "заверить": (_VC, None),  # reassure
    "вести переговоры": (_VC, None),  # negotiate
    "провести переговоры": (_VC, None),  # hold talks
    # material cooperation
    "подписать": (_MC, None),  # sign (no code in CAMEO.2.0)
    "помочь": (_MC, "070"),  # help
    "помогать": (_MC, "070"),  # help
    "оказать помощь": (_MC, "070"),  # provide aid
    "предоставить": (_MC, "060"),  # provide / grant
    "поставлять": (_MC, "060"),  # supply
    "финансировать": (_MC, "061"),  # finance
    "профинансировать": (_MC, "061"),  # finance
    "вооружить": (_MC, "062"),  # arm
    "экстрадировать": (_MC, "063"),  # extradite
    "спасти": (_MC, "073"),  # rescue
    "передать": (_MC, None),  # hand over (also "pass on a message")
    "отправить": (_MC, None),  # send
    "выделить": (_MC, None),  # allocate (also "single out")
    "продать": (_MC, None),  # sell
    "освободить": (_MC, None),  # release (084) or free (080)
    "эвакуировать": (_MC, None),  # evacuate
    "защитить": (_MC, None),  # defend
    # verbal conflict
    "осудить": (_VX, "111"),  # condemn
    "осуждать": (_VX, "111"),  # condemn
    "раскритиковать": (_VX, "111"),  # criticize
    "критиковать": (_VX, "111"),  # criticize
    "обвинить": (_VX, "112"),  # accuse
    "обвинять": (_VX, "112"),  # accuse
    "пригрозить": (_VX, "130"),  # threaten
    "угрожать": (_VX, "130"),  # threaten
    "предупредить": (_VX, "130"),  # warn
    "потребовать": (_VX, "100"),  # demand
    "требовать": (_VX, "100"),  # demand
    "расследовать": (_VX, "090"),  # investigate
    "отвергнуть": (_VX, None),  # reject (no code in CAMEO.2.0)
    "отклонить": (_VX, None),  # reject
    "отказать": (_VX, None),  # refuse someone something
    "упрекнуть": (_VX, None),  # reproach
    "пожаловаться": (_VX, None),  # complain
    "протестовать": (_VX, None),  # protest
    "оскорбить": (_VX, None),  # insult
    # material conflict
    "атаковать": (_MX, "190"),  # attack
    "напасть": (_MX, "190"),  # attack
    "нанести удар": (_MX, "190"),  # strike
    "обстрелять": (_MX, "190"),  # shell
    "обстреливать": (_MX, "190"),  # shell
    "бомбить": (_MX, "190"),  # bomb
    "разбомбить": (_MX, "190"),  # bomb
    "воевать": (_MX, "190"),  # fight
    "убить": (_MX, "190"),  # kill
    "вторгнуться": (_MX, "192"),  # invade
    "оккупировать": (_MX, "192"),  # occupy
    "аннексировать": (_MX, "171"),  # annex
    "арестовать": (_MX, "173"),  # arrest
    "выслать": (_MX, "174"),  # expel
    "депортировать": (_MX, "174"),  # deport
    "похитить": (_MX, "181"),  # abduct
    "запретить": (_MX, "172"),  # ban
    "наложить вето": (_MX, "172"),  # veto
    "ввести санкция": (_MX, "163"),  # impose sanctions
    "разорвать отношение": (_MX, "161"),  # break diplomatic relations
    "задержать": (_MX, None),  # detain (also "delay")
    "захватить": (_MX, None),  # seize / capture
    "уничтожить": (_MX, None),  # destroy
    "блокировать": (_MX, None),  # block / blockade
    "сбить": (_MX, None),  # shoot down
    "взорвать": (_MX, None),  # blow up
    "казнить": (_MX, None),  # execute
}
# Governing verbs and adjectives ("отказалась вести", "может атаковать", "готов помочь"):
# those that negate the verb, and those kept as its modality.
_NEGATING = frozenset({"отказаться", "отказываться"})
_MODAL = frozenset(
    {"мочь", "смочь", "должный", "готовый", "хотеть", "намереваться", "намеренный", "планировать",
     "собираться", "пообещать", "обещать", "пригрозить", "угрожать", "согласиться",
     "отказаться", "отказываться", "стремиться", "пытаться", "попытаться", "решить",
     "предложить", "призвать"}
)  # fmt: skip
_PHRASE_DROP = frozenset(
    {"conj", "cc", "punct", "acl", "acl:relcl", "parataxis", "ccomp", "advcl", "case"}
)
_PLACE_PREPS = frozenset({"в", "во", "на"})  # with the locative: where, not to whom


def _lemma(token: Any) -> str:
    return str(token.lemma or token.text).lower()


class _Tree:
    """A natasha sentence's tokens with their children."""

    def __init__(self, sent: Any) -> None:
        self.tokens = list(sent.tokens)
        self.by_id = {t.id: t for t in self.tokens}
        self.kids: dict[str, list[Any]] = {t.id: [] for t in self.tokens}
        for t in self.tokens:
            if t.head_id in self.kids and t.head_id != t.id:
                self.kids[t.head_id].append(t)

    def children(self, token: Any, *rels: str) -> list[Any]:
        return [c for c in self.kids[token.id] if not rels or c.rel in rels]

    def head(self, token: Any) -> Any | None:
        return self.by_id.get(token.head_id)

    def preposition(self, token: Any) -> str | None:
        case = [c for c in self.children(token, "case")]
        return " ".join(_lemma(c) for c in case) if case else None

    def subtree(self, token: Any, *, top: bool = True) -> list[Any]:
        out = [token]
        for child in self.kids[token.id]:
            if top and child.rel in _PHRASE_DROP:
                continue
            out.extend(self.subtree(child, top=False))
        return out


class _Parties:
    """The actor mentions of a sentence, read as event sides."""

    def __init__(
        self, tree: _Tree, mentions: Iterable[Any], dictionaries: Dictionaries | None,
        day: int | None, text: str,
    ) -> None:  # fmt: skip
        self.tree = tree
        lo, hi = tree.tokens[0].start, tree.tokens[-1].stop
        self.mentions = [m for m in mentions if m.start >= lo and m.end <= hi]
        self.dictionaries = dictionaries
        self.day = day
        self.text = text

    def _code(self, actor: str) -> str | None:
        if self.dictionaries is None:
            return None
        from infoscope.articles.events.extract import _actor_matches

        words = actor.upper().replace("-", " ").split()
        found = _actor_matches(words, self.dictionaries.actors, self.day)
        whole = [m for m in found if not m[3] and m[0] == 0 and m[1] == len(words)]
        return whole[0][2].split("/")[0] if whole else None

    def _at(self, token: Any, inside: list[Any]) -> Any | None:
        return next((m for m in inside if m.start <= token.start < m.end), None)

    def party(self, head: Any) -> list[Party]:
        tokens = sorted(self.tree.subtree(head), key=lambda t: t.start)
        start, end = tokens[0].start, tokens[-1].stop
        inside = [m for m in self.mentions if m.start >= start and m.end <= end]
        if not inside:
            return []
        mention = self._at(head, inside)
        for appos in self.tree.children(head, "appos"):
            mention = mention or self._at(appos, inside)
        mention = mention or inside[0]
        text = self.text[start:end]
        return [Party(text, start, end, self._code(mention.actor), mention.actor)]

    def parties(self, head: Any) -> list[Party]:
        """The actors of a phrase and of its conjuncts ("Франция и Германия")."""
        out = self.party(head)
        for conj in self.tree.children(head, "conj"):
            out.extend(self.party(conj))
        return out


def _entry(verb: Any, tree: _Tree) -> str | None:
    lemma = _lemma(verb)
    for obj in tree.children(verb, "obj"):
        key = f"{lemma} {_lemma(obj)}"
        if key in RUSSIAN_VERBS:
            return key
    return lemma if lemma in RUSSIAN_VERBS else None


def _subject(verb: Any, tree: _Tree) -> tuple[Any | None, bool]:
    """(the source's head token, whether the verb is passive)."""
    token = verb
    for _ in range(6):
        for child in tree.children(token, "nsubj"):
            if _lemma(child) == "который" and token.rel == "acl:relcl":
                return tree.head(token), False
            head = tree.head(token)
            if child.pos == "PRON" and token.rel == "ccomp" and head is not None:
                break  # "Путин заявил, что он поддержит": Путин
            return child, False
        else:
            passive = tree.children(token, "nsubj:pass")
            if passive and token is not verb:
                return passive[0], False  # "Грузия была вынуждена уступить": Грузия
            if passive:
                agents = [
                    c for c in tree.children(token, "obl")
                    if c.feats.get("Case") == "Ins" and tree.preposition(c) is None
                ]  # fmt: skip
                return (agents[0] if agents else None), True
            head = tree.head(token)
            if token.rel in ("xcomp", "conj") and head is not None:
                token = head
                continue
            return None, False
        token = tree.head(token)
    return None, False


def _targets(verb: Any, tree: _Tree, sides: _Parties, passive: bool, entry: str) -> list[Party]:
    if passive:
        subject = tree.children(verb, "nsubj:pass")
        return sides.parties(subject[0]) if subject else []
    for iobj in tree.children(verb, "iobj"):
        if found := sides.parties(iobj):
            return found
    objs = tree.children(verb, "obj")
    for obj in objs:
        if " " not in entry and (found := sides.parties(obj)):
            return found

    def prepositional(token: Any, rel: str, *, dative: bool = False) -> list[Party]:
        for child in tree.children(token, rel):
            prep = tree.preposition(child)
            case = child.feats.get("Case")
            if prep is None and not (dative and case == "Dat"):
                continue
            if prep in _PLACE_PREPS and case == "Loc":
                continue
            if found := sides.parties(child):
                return found
        return []

    for obj in objs:
        if found := prepositional(obj, "nmod"):
            return found
    if found := prepositional(verb, "obl", dative=True):
        return found
    for obj in objs:
        for nmod in tree.children(obj, "nmod"):
            genitive = nmod.feats.get("Case") == "Gen" and tree.preposition(nmod) is None
            if genitive and (found := sides.parties(nmod)):
                return found
    if not objs:
        # "Путин заявил, что Россия ...": the subject of the clause it reports
        for clause in tree.children(verb, "ccomp"):
            if clause.start > verb.start:
                for subject in tree.children(clause, "nsubj", "nsubj:pass"):
                    return sides.parties(subject)
    return []


def _governors(verb: Any, tree: _Tree) -> list[Any]:
    out = []
    token = verb
    while token.rel == "xcomp" and (head := tree.head(token)) is not None:
        out.append(head)
        token = head
    return out


def code_russian_sentence(
    sent: Any,
    *,
    text: str,
    mentions: Iterable[Any] = (),
    dictionaries: Dictionaries | None = None,
    day: int | None = None,
    fallback: bool = True,
) -> list[Event]:
    """The events of one natasha sentence (see the module doc); `text` is the Doc's text
    (offsets are into it), `mentions` the article's actor mentions (``start``, ``end``,
    ``actor``); `fallback`: also code the verbs the list gives no CAMEO code (off: only
    those with one)."""
    tree = _Tree(sent)
    if not tree.tokens:
        return []
    sides = _Parties(tree, mentions, dictionaries, day, text)
    if not sides.mentions:
        return []
    events: list[Event] = []
    for verb in tree.tokens:
        if verb.pos != "VERB":
            continue
        entry = _entry(verb, tree)
        if entry is None:
            continue
        quad, code = RUSSIAN_VERBS[entry]
        quad_source = "cameo" if code is not None else "fallback"
        if code is not None:
            quad = quad_class(code) or quad
        elif not fallback:
            continue
        head, passive = _subject(verb, tree)
        if head is None:
            continue
        sources = sides.parties(head)
        targets = _targets(verb, tree, sides, passive, entry)
        pairs = [(s, t) for s in sources for t in targets]
        if not targets and len(sources) > 1:  # "США и Китай встретились": each with the other
            pairs = [(s, t) for s in sources for t in sources if s is not t]
        chain = [verb, *_governors(verb, tree)]
        negated = any(_lemma(c) == "не" for v in chain for c in tree.children(v))
        modality: list[str] = []
        for v in chain:
            modality.extend(c.text.lower() for c in tree.children(v) if _lemma(c) == "бы")
        for g in chain[1:]:
            lemma = _lemma(g)
            if lemma in _NEGATING:
                negated = True
            if lemma in _MODAL:
                modality.append(g.text.lower())
        mode = "; ".join(dict.fromkeys(modality)) or None
        for source, target in pairs:
            if source.start == target.start or (
                source.name == target.name and source.code == target.code
            ):
                continue  # no self-pairs
            events.append(
                Event(source, target, verb.text, verb.start, verb.stop, entry, code, quad,
                      quad_source, negated, mode)
            )  # fmt: skip
    return events
