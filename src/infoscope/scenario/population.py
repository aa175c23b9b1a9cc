"""The accounts of a scenario: organic communities and the members of operations.

Organic accounts belong to topic communities of one language each. Activity (posts per
account) and followers are lognormal, the heavy tails measured on Twitter (Kwak et al. 2010,
"What is Twitter, a social network or a news media?", WWW), and correlated (active accounts
tend to be followed more). Each account lives in a time zone of its language's region and
writes a profile location as people do: a city with its state or country, a country alone,
junk ("Earth", "🌍") or nothing.

An operation targets one community. Its members are news-fronts (outlets with their own
domains that seed the narrative), amplifiers (retweet the news-fronts within seconds or
minutes), automated accounts (post at regular intervals) and trolls (personas that claim a
place whose time zone their posting hours contradict). Members are created in a burst of a
few days, a known trace of bulk account creation. Some organic accounts of the target
community are *sympathisers*: they adopt the narrative's words but post on their own rhythm
and never coordinate.

All draws come from the `numpy.random.Generator` passed in; account ids are shuffled so that
neither ids nor handles reveal a role.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from infoscope.scenario.config import PERSONAS, ScenarioConfig
from infoscope.scenario.places import (
    CITIES,
    COUNTRIES,
    JUNK_LOCATIONS,
    OPERATION_TIMEZONES,
    OPERATION_TLDS,
    TIMEZONES,
    City,
)
from infoscope.scenario.text import narrative_keywords
from infoscope.scenario.timeline import OFFICE_DAY, offset_at
from infoscope.scenario.words import (
    BIO,
    FIRST_NAMES,
    LOADED,
    OUTLET_WORDS,
    SURNAMES,
    TOPIC_HASHTAGS,
    TOPICS,
    TRANSLIT,
)

__all__ = ["Operation", "Population", "build_population"]

ORGANIC, OPERATION = 0, 1
NEWS_FRONT, AMPLIFIER, AUTOMATED, TROLL = 0, 1, 2, 3
# Topics operations target, in turn.
OPERATION_TOPICS = ("politics", "health", "economy", "climate")
# Main topic of a community: politics and daily life are the most common.
TOPIC_PRIOR = np.array([0.22, 0.12, 0.1, 0.14, 0.1, 0.1, 0.07, 0.15])
CITY_TZ = {c.location: c.timezone for c in CITIES} | {
    c.location: c.timezone for cs in COUNTRIES.values() for c in cs
}
OUTLET_BIO = {
    "en": "Independent news and analysis. What they don't want you to know.",
    "ru": "Независимые новости и аналитика. То, о чём молчат.",
    "de": "Unabhängige Nachrichten und Analysen. Was andere verschweigen.",
}


@dataclass
class Operation:
    """One planted operation and its ground truth."""

    index: int
    name: str
    lang: str
    topic: str
    community: int
    home_tz: str
    members: dict[str, np.ndarray]
    keywords: tuple[str, ...]
    hashtags: tuple[str, ...]
    domains: tuple[str, ...]
    dist: int = -1  # narrative distribution in the lexicon, set by the generator

    def describe(self) -> dict[str, object]:
        return {
            "id": self.name,
            "language": self.lang,
            "topic": self.topic,
            "target_community": self.community,
            "home_timezone": self.home_tz,
            "members": {p: int(m.size) for p, m in self.members.items()},
            "keywords": list(self.keywords),
            "hashtags": list(self.hashtags),
            "domains": list(self.domains),
        }


@dataclass
class Population:
    """Accounts as columns (index = account number), communities and operations."""

    ids: np.ndarray
    handle: list[str]
    name: list[str]
    description: list[str]
    location: list[str]
    lang: np.ndarray  # index into languages
    languages: tuple[str, ...]
    tz: np.ndarray  # index into tz_names
    tz_names: list[str]
    community: np.ndarray
    activity: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    listed: np.ndarray
    favourites: np.ndarray
    statuses: np.ndarray
    created_s: np.ndarray
    verified: np.ndarray
    role: np.ndarray
    op: np.ndarray
    persona: np.ndarray
    sympathiser: np.ndarray  # operation whose narrative the account adopts, or -1
    rt_propensity: np.ndarray
    community_lang: np.ndarray
    community_topics: np.ndarray  # (communities, 3) topic indices
    community_topic_p: np.ndarray  # (communities, 3) probabilities
    operations: list[Operation] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.ids.size)

    def claimed_timezone(self, i: int) -> str:
        return CITY_TZ.get(self.location[i], "")


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    """`text` lower-cased in Latin letters (Cyrillic and umlauts transliterated)."""
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum() or ch in TRANSLIT)


def _shares_to_counts(total: int, shares: np.ndarray, minimum: int) -> np.ndarray:
    """Integers proportional to `shares` summing to `total`, each at least `minimum`."""
    counts = np.full(shares.size, minimum, dtype=np.int64)
    rest = total - counts.sum()
    raw = shares / shares.sum() * rest
    counts += np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def build_population(config: ScenarioConfig, rng: np.random.Generator) -> Population:
    """All accounts of the scenario (see the module docstring)."""
    languages = config.languages
    n = config.accounts_total
    n_org = config.organic_accounts
    n_comm = config.communities_total

    # Communities: a language each (at least one per language), lognormal sizes, topics.
    comm_per_lang = _shares_to_counts(n_comm, np.array(config.language_shares), 1)
    community_lang = np.repeat(np.arange(len(languages)), comm_per_lang)
    community_size = rng.lognormal(0.0, 0.8, n_comm)
    community_topics = np.empty((n_comm, 3), dtype=np.int64)
    for c in range(n_comm):
        community_topics[c] = rng.choice(len(TOPICS), size=3, replace=False, p=TOPIC_PRIOR)
    community_topic_p = np.tile(np.array([0.6, 0.25, 0.15]), (n_comm, 1))

    # Organic accounts: language by share, community within the language by size.
    shares = np.array(config.language_shares) / sum(config.language_shares)
    lang = np.empty(n, dtype=np.int64)
    lang[:n_org] = rng.choice(len(languages), size=n_org, p=shares)
    community = np.empty(n, dtype=np.int64)
    for li in range(len(languages)):
        mine = np.flatnonzero(lang[:n_org] == li)
        comms = np.flatnonzero(community_lang == li)
        p = community_size[comms] / community_size[comms].sum()
        community[mine] = comms[rng.choice(comms.size, size=mine.size, p=p)]

    tz_names = sorted({tz for lang_code in languages for tz, _ in TIMEZONES[lang_code]})
    op_tzs = [
        (config.operation_timezones or OPERATION_TIMEZONES)[
            k % len(config.operation_timezones or OPERATION_TIMEZONES)
        ]
        for k in range(config.operations)
    ]
    tz_names = sorted(set(tz_names) | set(op_tzs))
    tz_index = {tz: i for i, tz in enumerate(tz_names)}
    tz = np.empty(n, dtype=np.int64)
    for li, code in enumerate(languages):
        mine = np.flatnonzero(lang[:n_org] == li)
        names = [t for t, _ in TIMEZONES[code]]
        p = np.array([s for _, s in TIMEZONES[code]])
        tz[mine] = np.array([tz_index[t] for t in names])[
            rng.choice(len(names), size=mine.size, p=p / p.sum())
        ]

    # Heavy-tailed, correlated activity and audience.
    z_act = rng.standard_normal(n)
    activity = np.exp(1.3 * z_act)
    z_fol = 0.5 * z_act + np.sqrt(0.75) * rng.standard_normal(n)
    followers = np.floor(np.exp(4.5 + 1.7 * z_fol)).astype(np.int64)
    following = np.floor(np.exp(5.3 + 0.9 * rng.standard_normal(n))).astype(np.int64)
    favourites = np.floor(np.exp(6.0 + 1.5 * rng.standard_normal(n))).astype(np.int64)
    statuses = np.floor(np.exp(6.5 + 1.3 * z_act + 0.5 * rng.standard_normal(n)))
    statuses = statuses.astype(np.int64)
    rt_propensity = 0.85 * rng.beta(2.0, 3.0, n)
    start_s = int(config.start_datetime.timestamp())
    created_s = start_s - rng.integers(30 * 86400, 14 * 365 * 86400, n)

    role = np.zeros(n, dtype=np.int64)
    op_of = np.full(n, -1, dtype=np.int64)
    persona = np.full(n, -1, dtype=np.int64)
    sympathiser = np.full(n, -1, dtype=np.int64)
    location = [""] * n
    handle = [""] * n
    name = [""] * n
    description = [""] * n

    operations = _plan_operations(
        config, rng, community_lang, community_size, community_topics, op_tzs
    )
    # Operation members take the last account numbers (ids are shuffled at the end).
    next_account = n_org
    office_hours = np.flatnonzero(OFFICE_DAY >= 0.3)
    for op in operations:
        sizes = _shares_to_counts(config.operation_size, np.array(config.persona_shares), 1)
        start = next_account
        for p_index, (pname, size) in enumerate(zip(PERSONAS, sizes, strict=True)):
            members = np.arange(next_account, next_account + size)
            next_account += size
            op.members[pname] = members
            persona[members] = p_index
        members = np.arange(start, next_account)
        role[members] = OPERATION
        op_of[members] = op.index
        lang[members] = languages.index(op.lang)
        community[members] = op.community
        tz[members] = tz_index[op.home_tz]
        # Bulk creation: all members within a week, months before the start.
        base = start_s - int(rng.integers(60, 700)) * 86400
        created_s[members] = base + rng.integers(0, 6 * 86400, members.size)
        activity[members] = rng.lognormal(0.0, 0.5, members.size)
        fronts, amps = op.members["news-front"], op.members["amplifier"]
        bots, trolls = op.members["automated"], op.members["troll"]
        followers[fronts] = np.floor(np.exp(8.0 + 0.8 * rng.standard_normal(fronts.size)))
        followers[amps] = np.floor(np.exp(4.0 + 1.0 * rng.standard_normal(amps.size)))
        followers[bots] = np.floor(np.exp(3.0 + 1.0 * rng.standard_normal(bots.size)))
        followers[trolls] = np.floor(np.exp(6.0 + 1.0 * rng.standard_normal(trolls.size)))
        following[amps] = np.floor(np.exp(7.0 + 0.5 * rng.standard_normal(amps.size)))
        _name_operation(op, rng, handle, name, description, location, office_hours)

        # Sympathisers: organic accounts of the target community, more active ones likelier.
        pool = np.flatnonzero((community[:n_org] == op.community) & (sympathiser[:n_org] < 0))
        k = min(pool.size, round(config.sympathiser_share * pool.size))
        if k:
            w = np.sqrt(activity[pool])
            sympathiser[rng.choice(pool, size=k, replace=False, p=w / w.sum())] = op.index

    _name_organic(
        config,
        rng,
        lang[:n_org],
        tz[:n_org],
        tz_names,
        handle,
        name,
        description,
        location,
        community_topics,
        community[:n_org],
    )
    _make_unique(handle, rng)

    verified = followers >= np.quantile(followers, 0.997)
    ids = (10**9 + np.arange(n, dtype=np.int64) * 1000 + rng.integers(0, 1000, n))[
        rng.permutation(n)
    ]
    return Population(
        ids=ids, handle=handle, name=name, description=description, location=location,
        lang=lang, languages=languages, tz=tz, tz_names=tz_names, community=community,
        activity=activity, followers=followers, following=following,
        listed=followers // 100, favourites=favourites, statuses=statuses,
        created_s=created_s, verified=verified, role=role, op=op_of, persona=persona,
        sympathiser=sympathiser, rt_propensity=rt_propensity, community_lang=community_lang,
        community_topics=community_topics, community_topic_p=community_topic_p,
        operations=operations,
    )  # fmt: skip


def _plan_operations(
    config: ScenarioConfig,
    rng: np.random.Generator,
    community_lang: np.ndarray,
    community_size: np.ndarray,
    community_topics: np.ndarray,
    op_tzs: list[str],
) -> list[Operation]:
    languages = config.languages
    taken: set[int] = set()
    operations = []
    for k in range(config.operations):
        code = (config.operation_languages or languages)[
            k % len(config.operation_languages or languages)
        ]
        comms = np.flatnonzero(community_lang == languages.index(code))
        free = [c for c in comms[np.argsort(-community_size[comms], kind="stable")]
                if int(c) not in taken]  # fmt: skip
        target = int(free[0]) if free else int(comms[np.argmax(community_size[comms])])
        taken.add(target)
        topic = OPERATION_TOPICS[k % len(OPERATION_TOPICS)]
        t_index = TOPICS.index(topic)
        others = [t for t in community_topics[target] if t != t_index][:2]
        community_topics[target] = [t_index, *others]
        keywords = narrative_keywords(code, topic, rng)
        operations.append(
            Operation(
                index=k,
                name=f"op{k + 1}",
                lang=code,
                topic=topic,
                community=target,
                home_tz=op_tzs[k],
                members={},
                keywords=keywords,
                hashtags=_campaign_hashtags(keywords, code, rng),
                domains=(),
            )
        )
    return operations


def _campaign_hashtags(
    keywords: tuple[str, ...], lang: str, rng: np.random.Generator
) -> tuple[str, ...]:
    """Three campaign hashtags: a loaded keyword and another keyword (``RiggedBallots``)."""
    tags: list[str] = []
    words = [w.replace("-", "") for w in keywords]
    loaded = [i for i, w in enumerate(keywords) if w in LOADED[lang]] or list(range(len(words)))
    while len(tags) < 3:
        a = loaded[int(rng.integers(len(loaded)))]
        b = int(rng.integers(len(words)))
        if a == b:
            continue
        tag = words[a].capitalize() + words[b].capitalize()
        if rng.random() < 0.3:
            tag += str(int(rng.integers(20, 25)))
        if tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tuple(tags)


def _night_share(city: City, home_tz: str, when: object, office_hours: np.ndarray) -> float:
    """Share of the home office hours that fall between 0 and 7 am where `city` is."""
    from datetime import datetime

    assert isinstance(when, datetime)
    shift = (offset_at(city.timezone, when) - offset_at(home_tz, when)) / 3600
    local = (office_hours + 0.5 + shift) % 24
    return float(np.mean(local < 7))


def _name_operation(
    op: Operation,
    rng: np.random.Generator,
    handle: list[str],
    name: list[str],
    description: list[str],
    location: list[str],
    office_hours: np.ndarray,
) -> None:
    from datetime import UTC, datetime

    code = op.lang
    domains = []
    for i in op.members["news-front"]:
        a, b = rng.choice(len(OUTLET_WORDS), size=2, replace=False)
        outlet = f"{OUTLET_WORDS[a].capitalize()} {OUTLET_WORDS[b].capitalize()}"
        handle[i] = outlet.replace(" ", "") + ("" if rng.random() < 0.5 else "News")
        name[i] = outlet
        tld = OPERATION_TLDS[int(rng.integers(len(OPERATION_TLDS)))]
        domain = f"{OUTLET_WORDS[a]}{'-' if rng.random() < 0.4 else ''}{OUTLET_WORDS[b]}.{tld}"
        domains.append(domain)
        description[i] = f"{OUTLET_BIO[code]} https://{domain}"
        location[i] = ""
    op.domains = tuple(domains)

    # Trolls claim places where their office hours are the middle of the night.
    when = datetime(2024, 1, 15, tzinfo=UTC)
    own = {tz for tz, _ in TIMEZONES[code]}
    scored = [(c, _night_share(c, op.home_tz, when, office_hours)) for c in CITIES]
    local = [c for c, s in scored if s >= 0.5 and c.timezone in own]
    anywhere = [c for c, s in scored if s >= 0.5]
    claims = local or anywhere or [max(scored, key=lambda cs: cs[1])[0]]

    people = np.concatenate([op.members["amplifier"], op.members["troll"]])
    for i in people:
        first, last = _person(code, rng)
        name[i] = f"{first} {last}" if rng.random() < 0.6 else first
        handle[i] = f"{_ascii(first)}_{_ascii(last)[: int(rng.integers(3, 8))]}"
        if rng.random() < 0.6:
            handle[i] += str(int(rng.integers(1, 99)))
    for i in op.members["troll"]:
        location[i] = claims[int(rng.integers(len(claims)))].location
        tag = op.hashtags[int(rng.integers(len(op.hashtags)))]
        bio = BIO[code][int(rng.integers(len(BIO[code])))]
        description[i] = f"{bio} #{tag}"
    own_cities = [c for c in CITIES if c.timezone in own]
    for i in op.members["amplifier"]:
        r = rng.random()
        if r < 0.5 and own_cities:
            location[i] = own_cities[int(rng.integers(len(own_cities)))].location
        elif r < 0.7:
            location[i] = JUNK_LOCATIONS[int(rng.integers(len(JUNK_LOCATIONS)))]
        description[i] = "" if rng.random() < 0.5 else BIO[code][int(rng.integers(len(BIO[code])))]
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    for i in op.members["automated"]:
        if rng.random() < 0.5:
            handle[i] = "".join(alphabet[rng.integers(0, 36, int(rng.integers(9, 14)))])
        else:
            first, _ = _person(code, rng)
            handle[i] = _ascii(first) + str(int(rng.integers(10**7, 10**8)))
        name[i] = handle[i]
        location[i] = "" if rng.random() < 0.7 else JUNK_LOCATIONS[0]


def _person(code: str, rng: np.random.Generator) -> tuple[str, str]:
    firsts, lasts = FIRST_NAMES[code], SURNAMES[code]
    first = firsts[int(rng.integers(len(firsts)))]
    last = lasts[int(rng.integers(len(lasts)))]
    return first.capitalize(), last.capitalize()


def _name_organic(
    config: ScenarioConfig,
    rng: np.random.Generator,
    lang: np.ndarray,
    tz: np.ndarray,
    tz_names: list[str],
    handle: list[str],
    name: list[str],
    description: list[str],
    location: list[str],
    community_topics: np.ndarray,
    community: np.ndarray,
) -> None:
    n = lang.size
    by_tz: dict[str, list[str]] = {}
    for c in CITIES:
        by_tz.setdefault(c.timezone, []).append(c.location)
    kind = rng.random(n)  # city / country / junk / empty
    pick = rng.integers(0, 1 << 30, (n, 6))
    digits = rng.integers(1, 10_000, n)
    for i in range(n):
        code = config.languages[lang[i]]
        firsts, lasts = FIRST_NAMES[code], SURNAMES[code]
        first = firsts[pick[i, 0] % len(firsts)].capitalize()
        last = lasts[pick[i, 1] % len(lasts)].capitalize()
        style = pick[i, 2] % 5
        if style == 0:
            name[i] = first
            handle[i] = f"{_ascii(first)}{digits[i]}"
        elif style == 1:
            name[i] = f"{first} {last}"
            handle[i] = f"{_ascii(first)}{_ascii(last)}"
        elif style == 2:
            name[i] = f"{first} {last[0]}."
            handle[i] = f"{_ascii(first)}_{_ascii(last)}{digits[i] % 100}"
        elif style == 3:
            name[i] = f"{first} 🌻" if code == "en" else f"{first} ✨"
            handle[i] = f"the{_ascii(first)}{_ascii(last)[:4]}"
        else:
            name[i] = f"{first} {last}"
            handle[i] = f"{_ascii(last)}_{_ascii(first)[:1]}{digits[i] % 1000}"
        k = kind[i]
        cities = by_tz.get(tz_names[tz[i]], [])
        if k < 0.5 and cities:
            location[i] = cities[pick[i, 3] % len(cities)]
        elif k < 0.6:
            countries = [c.location for c in COUNTRIES[code] if c.timezone == tz_names[tz[i]]]
            location[i] = countries[pick[i, 3] % len(countries)] if countries else ""
        elif k < 0.75:
            location[i] = JUNK_LOCATIONS[pick[i, 3] % len(JUNK_LOCATIONS)]
        bios = BIO[code]
        parts = pick[i, 4] % 4
        if parts:
            description[i] = " ".join(bios[(pick[i, 5] + j * 7) % len(bios)] for j in range(parts))
            if pick[i, 5] % 5 == 0:
                topic = TOPICS[community_topics[community[i], 0]]
                tags = TOPIC_HASHTAGS[topic][code]
                description[i] += f" #{tags[pick[i, 4] % len(tags)]}"


def _make_unique(handle: list[str], rng: np.random.Generator) -> None:
    """Append digits to repeated handles (first come keeps its handle), 15 characters at most."""
    seen: set[str] = set()
    for i, h in enumerate(handle):
        h = h[:15] or "user"
        while h.lower() in seen:
            h = f"{h[:11]}{int(rng.integers(0, 10_000))}"
        seen.add(h.lower())
        handle[i] = h
