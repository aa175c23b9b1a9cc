"""The scenario generator: organic posting and planted operations, slice by slice.

`generate_scenario` builds the population (`infoscope.scenario.population`), plans how many
posts each process writes in each time slice (`infoscope.scenario.timeline`), then walks the
slices in order. In each slice it draws, with numpy and for all posts of the slice at once:

- organic posts: the author (time zone by the local rhythm, then account by activity), the
  kind (originals, retweets by each account's propensity, replies, quotes), the retweeted,
  replied-to or quoted post (from the pool of recent posts, mostly of the author's own
  community, with probability growing with its author's followers, preferential attachment
  as in Barabási & Albert 1999, and decaying with age) and the text;
- for each operation: news-front posts (narrative text, the operation's links and hashtags)
  each retweeted by a subset of the amplifiers within seconds to minutes (the co-retweets that
  coordination detection looks for, Pacheco et al. 2021), bursts of near-duplicate texts by
  amplifiers and trolls, automated accounts' posts at regular intervals, and trolls' posts
  and replies in the operation's office hours.

Posts whose time falls after the slice (an amplifier's retweet a minute after a post at the end
of the slice) wait in a pending list for the next slice; each slice's posts are sorted by time
and handed to the format writer and the ground-truth writer, then forgotten except for the
bounded pool of recent posts. Memory is therefore bounded by the slice length
(`ScenarioConfig.chunk_posts`) and the number of accounts, whatever the number of posts.

Determinism: the population comes from ``default_rng([seed, 0])`` and slice ``i`` from
``default_rng([seed, 1, i])``; nothing depends on the clock, hash seeds or set order, so the
same configuration gives the same bytes.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from infoscope.scenario.batch import (
    AMPLIFICATION,
    AUTOMATED,
    EMPTY,
    HASHTAG,
    LINK,
    NEAR_DUPLICATE,
    ORIGINAL,
    QUOTE,
    REPLY,
    RETWEET,
    SEED,
    TROLL,
    Batch,
    Grouped,
    Parts,
    Pool,
    objects,
)
from infoscope.scenario.config import ScenarioConfig
from infoscope.scenario.places import ORGANIC_SITES
from infoscope.scenario.population import (
    AMPLIFIER,
    NEWS_FRONT,
    ORGANIC,
    Operation,
    _ascii,
    build_population,
)
from infoscope.scenario.population import (
    AUTOMATED as P_AUTOMATED,
)
from infoscope.scenario.population import (
    TROLL as P_TROLL,
)
from infoscope.scenario.text import (
    Lexicon,
    narrative_weights,
    organic_weights,
    topic_lists,
)
from infoscope.scenario.timeline import Timeline, allocate, office_week, organic_week
from infoscope.scenario.words import TOPIC_HASHTAGS, TOPICS

__all__ = ["Generator", "OperationPlan", "short_codes"]

TWITTER_EPOCH_MS = 1288834974657
# Organic behaviour.
P_REPLY, P_QUOTE = 0.12, 0.04
P_OWN_COMMUNITY = 0.85
P_SYMPATHISER_SEED = 0.4
P_HASHTAG, P_MENTION, P_URL = 0.18, 0.08, 0.12
RECENCY_S = 8 * 3600
RECENCY_WINDOW = 4
POPULARITY_EXPONENT = 0.6
SUFFIXES = ("", "", "", "!", "?", "...", " 😂", " 🔥", " 👍", " 🙏", " 😡", " 🤔", " ❤️")
# Shares of an operation's posts by activity.
SHARE_SEEDED, SHARE_NEAR_DUPLICATE, SHARE_AUTOMATED = 0.5, 0.15, 0.15
AMPLIFIER_PARTICIPATION = 0.6
NEAR_DUPLICATE_PARTICIPATION = 0.4
MAX_AMPLIFIER_DELAY_S = 3600.0
NEAR_DUPLICATE_WINDOW_S = 900
AUTOMATED_RETWEET = 0.6
TROLL_KINDS = (0.5, 0.3, 0.2)  # original, reply, retweet of a news-front post
_ALPHABET = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8
)


def short_codes(n: int, rng: np.random.Generator, length: int = 10) -> list[str]:
    """`n` random base-62 codes (t.co style)."""
    if n == 0:
        return []
    chars = _ALPHABET[rng.integers(0, 62, (n, length))]
    return [c.decode("ascii") for c in chars.view(f"S{length}").ravel().tolist()]


@dataclass
class OperationPlan:
    """How many posts an operation writes, by activity, and when."""

    op: Operation
    seeds: np.ndarray  # per slice
    cascade_sizes: np.ndarray  # per news-front post, in order
    bursts: np.ndarray  # per slice
    burst_sizes: np.ndarray
    troll_posts: np.ndarray  # per slice
    bot_phase_ms: np.ndarray
    bot_delta_ms: np.ndarray
    bot_count: np.ndarray
    seed_cursor: int = 0
    burst_cursor: int = 0
    recent: collections.deque[tuple[int, int, int, Parts, int]] = field(
        default_factory=lambda: collections.deque(maxlen=20)
    )

    @property
    def total(self) -> int:
        return int(
            self.seeds.sum()
            + self.cascade_sizes.sum()
            + self.burst_sizes.sum()
            + self.troll_posts.sum()
            + self.bot_count.sum()
        )


class Generator:
    """Generates the posts of a scenario slice by slice (see the module docstring)."""

    def __init__(self, config: ScenarioConfig):
        self.config = config
        rng = np.random.default_rng([config.seed, 0])
        self.pop = pop = build_population(config, rng)
        self.timeline = tl = Timeline(
            config.start_datetime, config.days, config.posts, config.chunk_posts
        )
        self.slice_ms = tl.slice_s * 1000
        self.n_comm = int(pop.community_lang.size)

        # Word distributions: organic per (language, topic), narrative per operation.
        self.lex = lex = Lexicon()
        n_lang = len(config.languages)
        self.organic_dist = np.zeros((n_lang, len(TOPICS)), dtype=np.int64)
        organic: dict[tuple[int, int], dict[int, float]] = {}
        for li, code in enumerate(config.languages):
            for ti, topic in enumerate(TOPICS):
                organic[li, ti] = organic_weights(lex, code, topic)
                self.organic_dist[li, ti] = lex.add(f"{code}/{topic}", organic[li, ti])
        for op in pop.operations:
            base = organic[config.languages.index(op.lang), TOPICS.index(op.topic)]
            op.dist = lex.add(
                f"{op.name}/narrative",
                narrative_weights(lex, base, op.keywords, config.narrative_shift),
            )
        lex.freeze()
        self.op_dist = np.array([op.dist for op in pop.operations] + [-1], dtype=np.int64)
        self.hashtags = {
            (li, ti): TOPIC_HASHTAGS[topic][code]
            for li, code in enumerate(config.languages)
            for ti, topic in enumerate(TOPICS)
        }
        self.slug_words = {
            (li, ti): tuple(
                s for s in (_ascii(w) for w in topic_lists(code)[topic]) if s.isascii() and s
            )
            for li, code in enumerate(config.languages)
            for ti, topic in enumerate(TOPICS)
        }

        self.op_slug_words = [
            [s for s in (_ascii(k) for k in op.keywords) if s.isascii() and s] or ["news"]
            for op in pop.operations
        ]

        # Who posts organically: time zone by rhythm x activity, then account by activity.
        organic_ids = np.flatnonzero(pop.role == ORGANIC)
        self.n_tz = len(pop.tz_names)
        tz_activity = np.bincount(
            pop.tz[organic_ids], weights=pop.activity[organic_ids], minlength=self.n_tz
        )
        week = organic_week()
        self.tz_rhythm = np.stack(
            [tl.rhythm(tz, week) * tz_activity[z] for z, tz in enumerate(pop.tz_names)], axis=1
        )
        authors = Grouped(pop.tz[organic_ids], pop.activity[organic_ids], self.n_tz)
        authors.order = organic_ids[authors.order]
        self.authors_by_tz = authors
        mention_weight = (pop.followers + 1.0) ** 0.8
        self.mention_by_community = Grouped(pop.community, mention_weight, self.n_comm)
        self.popularity = (pop.followers + 1.0) ** POPULARITY_EXPONENT

        # Operations: exact post counts per activity, spread over office-hour slices.
        self.plans = [self._plan(op, rng) for op in pop.operations]
        planted = sum(p.total for p in self.plans)
        if planted > config.posts // 2:
            from infoscope.errors import BadParameterError

            raise BadParameterError(
                f"scenario: the operations would write {planted:,} of {config.posts:,} posts; "
                "lower operation_share or raise posts"
            )
        self.planted_total = planted
        self.organic_posts = allocate(config.posts - planted, self.tz_rhythm.sum(axis=1), rng)

        self.pool = Pool(max(2_000, 2 * config.chunk_posts))
        self.pending: list[Batch] = []
        self.generated = 0
        self.emitted = 0
        self.post_counts = np.zeros(pop.n, dtype=np.int64)
        self.seen = np.zeros(pop.n, dtype=bool)
        self.jitter = config.automated_cv * np.sqrt(6.0)

    # -- planning ---------------------------------------------------------------------------

    def _plan(self, op: Operation, rng: np.random.Generator) -> OperationPlan:
        config, tl = self.config, self.timeline
        n_ops = config.operations
        budget = round(config.posts * config.operation_share / n_ops)
        office = tl.rhythm(op.home_tz, office_week())
        amps = op.members["amplifier"].size
        posters = amps + op.members["troll"].size

        seeded = budget * SHARE_SEEDED
        n_seeds = max(1, round(seeded / (1 + AMPLIFIER_PARTICIPATION * amps)))
        cascade = np.clip(rng.binomial(amps, AMPLIFIER_PARTICIPATION, n_seeds), 1, amps)
        per_burst = max(2.0, NEAR_DUPLICATE_PARTICIPATION * posters)
        n_bursts = max(1, round(budget * SHARE_NEAR_DUPLICATE / per_burst))
        bursts = np.clip(
            rng.binomial(posters, NEAR_DUPLICATE_PARTICIPATION, n_bursts), 2, max(2, posters)
        )
        bots = op.members["automated"].size
        per_bot = budget * SHARE_AUTOMATED / bots
        counts = np.maximum(2, np.round(per_bot * rng.lognormal(0.0, 0.3, bots))).astype(np.int64)
        delta = (tl.seconds * 1000 // counts).astype(np.int64)
        phase = (rng.random(bots) * delta * (1 - self.config.automated_cv * 3)).astype(np.int64)
        trolls = max(1, round(budget * (1 - SHARE_SEEDED - SHARE_NEAR_DUPLICATE - SHARE_AUTOMATED)))
        return OperationPlan(
            op=op,
            seeds=allocate(n_seeds, office, rng),
            cascade_sizes=cascade.astype(np.int64),
            bursts=allocate(n_bursts, office, rng),
            burst_sizes=bursts.astype(np.int64),
            troll_posts=allocate(trolls, office, rng),
            bot_phase_ms=phase,
            bot_delta_ms=delta,
            bot_count=counts,
        )

    # -- the walk over slices ---------------------------------------------------------------

    def slices(self) -> Iterator[Batch]:
        """Yield each slice's emitted posts, in time order (see the module docstring)."""
        tl = self.timeline
        for s in range(tl.n):
            rng = np.random.default_rng([self.config.seed, 1, s])
            start_ms = int(tl.starts_s[s]) * 1000
            end_ms = start_ms + self.slice_ms
            self._prepare_pool(start_ms)
            batches = [*self.pending, self._organic(s, start_ms, rng)]
            for plan in self.plans:
                batches.extend(self._operation(plan, s, start_ms, end_ms, rng))
            merged = Batch.concat(batches)
            order = np.lexsort((merged.uid, merged.t_ms))
            merged = merged.take(order)
            last = s == tl.n - 1
            cut = len(merged) if last else int(np.searchsorted(merged.t_ms, end_ms, "left"))
            self.pending = [merged.take(np.arange(cut, len(merged)))] if cut < len(merged) else []
            emitted = merged.take(np.arange(cut)) if cut < len(merged) else merged
            if len(emitted):
                self._emit(emitted, rng)
                yield emitted

    def _new_batch(self, t_ms: np.ndarray, **columns: object) -> Batch:
        """A batch of generated posts with fresh snowflake ids (time + generation counter)."""
        n = t_ms.size
        counter = (self.generated + np.arange(n, dtype=np.int64)) & 0x3FFFFF
        uid = ((t_ms - TWITTER_EPOCH_MS) << 22) | counter
        self.generated += n
        columns.setdefault("conv_uid", uid)
        return Batch(t_ms=t_ms, uid=uid, **columns)

    def _prepare_pool(self, now_ms: int) -> None:
        """Group the recent pool by community (and by operation for news-front posts).

        Only posts of the last ``RECENCY_WINDOW`` recency times count (older ones have a
        weight below 2 % of a fresh post's), so the work per slice does not grow with the pool.
        """
        pool = self.pool
        self.pool_groups = self.pool_all = None
        slots = pool.recent(now_ms - int(RECENCY_WINDOW * RECENCY_S * 1000))
        if slots.size == 0:
            return
        age_s = (now_ms - pool.t_ms[slots]) / 1000.0
        w = self.popularity[pool.author[slots]] * np.exp(-age_s / RECENCY_S) + 1e-12
        seed_ops = pool.seed_op[slots]
        seeds = np.flatnonzero(seed_ops >= 0)
        keys = np.concatenate([pool.community[slots], self.n_comm + seed_ops[seeds]])
        groups = Grouped(keys, np.concatenate([w, w[seeds]]), self.n_comm + len(self.plans))
        groups.order = np.concatenate([slots, slots[seeds]])[groups.order]
        self.pool_groups = groups
        everything = Grouped(np.zeros(slots.size, dtype=np.int64), w, 1)
        everything.order = slots[everything.order]
        self.pool_all = everything

    def _from_pool(self, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Pool slots for the given groups, any recent post when a group is empty, else -1."""
        if self.pool_groups is None or self.pool_all is None:
            return np.full(keys.size, -1, dtype=np.int64)
        got = self.pool_groups.sample(keys, rng)
        miss = np.flatnonzero(got < 0)
        if miss.size:
            got[miss] = self.pool_all.sample(np.zeros(miss.size, dtype=np.int64), rng)
        return got

    # -- texts ------------------------------------------------------------------------------

    def _bodies(
        self, dists: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
    ) -> list[str]:
        """Texts from the given distributions and lengths, some with an emoji or a "!"."""
        words = self.lex.sample(dists, lengths, rng)
        texts = self.lex.join(words, lengths)
        suffix = rng.integers(0, len(SUFFIXES), len(texts)).tolist()
        return [t + SUFFIXES[k] for t, k in zip(texts, suffix, strict=True)]

    def _organic_url(self, li: int, ti: int, day: str, draws: list[int], video: str) -> str:
        """A link to a site of the language: an article, a numbered page, a video or a post."""
        sites = ORGANIC_SITES[self.config.languages[li]]
        host, pattern = sites[draws[0] % len(sites)]
        words = self.slug_words[li, ti] or ("news",)
        if pattern == "slug":
            slug = "-".join(words[d % len(words)] for d in draws[1:])
            return f"{host}/{day.replace('-', '/')}/{slug}"
        if pattern == "num":
            return f"{host}/{day.replace('-', '')}/{10**8 + draws[1] % (9 * 10**8)}.html"
        if pattern == "video":
            return f"{host}/watch?v={video}"
        return f"{host}/{words[draws[1] % len(words)]}/{1 + draws[2] % 99999}"

    def _operation_url(self, op: Operation, domain: str, day: str, draws: list[int]) -> str:
        """An article on an operation's site, its slug made of narrative keywords."""
        words = self.op_slug_words[op.index]
        slug = "-".join(words[d % len(words)] for d in draws[:3])
        return f"https://{domain}/{day[:7].replace('-', '/')}/{slug}-{1000 + draws[3] % 98999}/"

    def _day(self, start_ms: int) -> str:
        return str(np.datetime64(start_ms, "ms").astype("datetime64[D]"))

    # -- organic posts ----------------------------------------------------------------------

    def _organic(self, s: int, start_ms: int, rng: np.random.Generator) -> Batch:
        pop = self.pop
        n = int(self.organic_posts[s])
        t_ms = start_ms + np.sort(rng.integers(0, self.slice_ms, n))
        if n == 0:
            return self._new_batch(t_ms, parts=[])
        p_tz = self.tz_rhythm[s] / self.tz_rhythm[s].sum()
        tz = rng.choice(self.n_tz, size=n, p=p_tz)
        author = self.authors_by_tz.sample(tz, rng)
        community = pop.community[author]
        r = rng.random(n)
        p_rt = pop.rt_propensity[author]
        kind = np.full(n, ORIGINAL, dtype=np.int64)
        kind[r < p_rt + P_REPLY + P_QUOTE] = QUOTE
        kind[r < p_rt + P_REPLY] = REPLY
        kind[r < p_rt] = RETWEET

        # What retweets, replies and quotes point to.
        ref = np.full(n, -1, dtype=np.int64)
        need = np.flatnonzero(kind != ORIGINAL)
        keys = community[need].copy()
        elsewhere = rng.random(need.size) >= P_OWN_COMMUNITY
        keys[elsewhere] = rng.integers(0, self.n_comm, int(elsewhere.sum()))
        sym = pop.sympathiser[author[need]]
        prefer = (sym >= 0) & (kind[need] == RETWEET) & (rng.random(need.size) < P_SYMPATHISER_SEED)
        keys[prefer] = self.n_comm + sym[prefer]
        ref[need] = self._from_pool(keys, rng)
        kind[ref < 0] = ORIGINAL

        # Texts: the community's topics, or the narrative for a sympathiser's adopted posts.
        li = pop.lang[author]
        pick = rng.choice(3, size=n, p=pop.community_topic_p[0])
        ti = pop.community_topics[community, pick]
        dist = self.organic_dist[li, ti]
        sym_all = pop.sympathiser[author]
        narrative = (sym_all >= 0) & (rng.random(n) < self.config.sympathiser_adoption)
        narrative &= kind != RETWEET
        dist = np.where(narrative, self.op_dist[sym_all], dist)
        lengths = np.minimum(3 + rng.poisson(9, n), 40)
        writes = np.flatnonzero(kind != RETWEET)
        bodies = self._bodies(dist[writes], lengths[writes], rng)

        day = self._day(start_ms)
        has_tag = rng.random(n) < P_HASHTAG
        has_mention = (rng.random(n) < P_MENTION) & (kind == ORIGINAL)
        has_url = (rng.random(n) < P_URL) & ((kind == ORIGINAL) | (kind == QUOTE))
        mentioned = np.full(n, -1, dtype=np.int64)
        mi = np.flatnonzero(has_mention)
        mentioned[mi] = self.mention_by_community.sample(community[mi], rng)
        mentioned[mentioned == author] = -1
        n_urls = int(has_url.sum())
        url_draws = rng.integers(0, 1 << 40, (n_urls, 4)).tolist()
        codes = short_codes(n_urls, rng)
        video_ids = short_codes(n_urls, rng, 11)
        tag_pick = rng.integers(0, 1 << 30, n).tolist()
        link_pick = rng.random(n) < 0.5

        # Parts: plain texts in one go, then those with hashtags, links or mentions.
        pool = self.pool
        parts = np.full(n, None, dtype=object)
        text_of = np.full(n, None, dtype=object)
        text_of[writes] = objects(bodies)
        special = (has_tag | has_url | (kind == REPLY) | (mentioned >= 0)) & (kind != RETWEET)
        plain = np.flatnonzero(~special & (kind != RETWEET))
        parts[plain] = objects([(b, EMPTY, EMPTY, EMPTY) for b in text_of[plain].tolist()])
        kinds = kind.tolist()
        refs = ref.tolist()
        used = 0
        for i in np.flatnonzero(special).tolist():
            tags: tuple[str, ...] = EMPTY
            mentions: tuple[int, ...] = EMPTY
            urls: tuple[tuple[str, str], ...] = EMPTY
            pick_i = tag_pick[i]
            if narrative[i]:
                op = pop.operations[sym_all[i]]
                if has_tag[i]:
                    tags = (op.hashtags[pick_i % len(op.hashtags)],)
                if has_url[i] and link_pick[i]:
                    domain = op.domains[pick_i % len(op.domains)]
                    urls = ((codes[used], self._operation_url(op, domain, day, url_draws[used])),)
            else:
                if has_tag[i]:
                    options = self.hashtags[li[i], ti[i]]
                    tags = (options[pick_i % len(options)],)
                    if pick_i % 3 == 0:
                        second = options[(pick_i // 7) % len(options)]
                        tags = tags if second == tags[0] else (*tags, second)
                if has_url[i]:
                    url = self._organic_url(li[i], ti[i], day, url_draws[used], video_ids[used])
                    urls = ((codes[used], url),)
            if has_url[i]:
                used += 1
            if kinds[i] == REPLY:
                mentions = (int(pool.author[refs[i]]),)
            elif mentioned[i] >= 0:
                mentions = (int(mentioned[i]),)
            parts[i] = (text_of[i], tags, mentions, urls)
        retweets = np.flatnonzero(kind == RETWEET)
        parts[retweets] = pool.parts[ref[retweets]]
        ref_parts = np.full(n, None, dtype=object)
        answers = np.flatnonzero((kind == REPLY) | (kind == QUOTE))
        ref_parts[answers] = pool.parts[ref[answers]]

        has_ref = ref >= 0
        safe = np.where(has_ref, ref, 0)
        batch = self._new_batch(
            t_ms,
            author=author,
            kind=kind,
            parts=parts,
            ref_parts=ref_parts,
            narrative=narrative,
        )
        batch.ref_uid = np.where(has_ref, pool.uid[safe], -1)
        batch.ref_seq = np.where(has_ref, pool.seq[safe], -1)
        batch.ref_author = np.where(has_ref, pool.author[safe], -1)
        batch.ref_t_ms = np.where(has_ref, pool.t_ms[safe], -1)
        batch.conv_uid = np.where(kind == REPLY, pool.conv_uid[safe], batch.uid)
        batch.conv_author = np.where(kind == REPLY, pool.conv_author[safe], author)
        return batch

    @staticmethod
    def _fill_codes(parts: list[Parts], rng: np.random.Generator) -> None:
        """Give every new link (short code "") its own t.co code."""
        todo = [i for i, p in enumerate(parts) if p[3] and p[3][0][0] == ""]
        codes = short_codes(len(todo), rng)
        for i, code in zip(todo, codes, strict=True):
            body, tags, mentions, urls = parts[i]
            parts[i] = (body, tags, mentions, ((code, urls[0][1]), *urls[1:]))

    # -- operations -------------------------------------------------------------------------

    def _operation(
        self, plan: OperationPlan, s: int, start_ms: int, end_ms: int, rng: np.random.Generator
    ) -> list[Batch]:
        out = []
        if plan.seeds[s]:
            out.extend(self._seeds(plan, int(plan.seeds[s]), start_ms, rng))
        if plan.bursts[s]:
            out.append(self._bursts(plan, int(plan.bursts[s]), start_ms, rng))
        bots = self._automated(plan, start_ms, end_ms, rng)
        if bots is not None:
            out.append(bots)
        if plan.troll_posts[s]:
            out.append(self._trolls(plan, int(plan.troll_posts[s]), start_ms, rng))
        return out

    def _narrative_parts(
        self,
        plan: OperationPlan,
        n: int,
        lengths: np.ndarray,
        p_tag: float,
        p_link: float,
        domains: list[str],
        day: str,
        rng: np.random.Generator,
    ) -> tuple[list[Parts], np.ndarray]:
        """Narrative texts with campaign hashtags and operation links, and their trace bits."""
        op = plan.op
        bodies = self._bodies(np.full(n, op.dist), lengths, rng)
        tagged = rng.random(n) < p_tag
        linked = rng.random(n) < p_link
        two = rng.random(n) < 0.3
        picks = rng.integers(0, 1 << 30, n).tolist()
        draws = rng.integers(0, 1 << 40, (n, 4)).tolist()
        parts: list[Parts] = []
        trace = np.zeros(n, dtype=np.int64)
        for i in range(n):
            tags: tuple[str, ...] = EMPTY
            urls: tuple[tuple[str, str], ...] = EMPTY
            if tagged[i]:
                first = op.hashtags[picks[i] % len(op.hashtags)]
                second = op.hashtags[(picks[i] // 5) % len(op.hashtags)]
                tags = (first, second) if two[i] and second != first else (first,)
                trace[i] |= HASHTAG
            if linked[i]:
                urls = (("", self._operation_url(op, domains[i], day, draws[i])),)
                trace[i] |= LINK
            parts.append((bodies[i], tags, EMPTY, urls))
        self._fill_codes(parts, rng)
        return parts, trace

    def _seeds(
        self, plan: OperationPlan, n: int, start_ms: int, rng: np.random.Generator
    ) -> list[Batch]:
        """News-front posts and their amplifiers' retweets seconds to minutes later."""
        op, pop = plan.op, self.pop
        fronts = op.members["news-front"]
        t_ms = start_ms + np.sort(rng.integers(0, self.slice_ms, n))
        w = pop.activity[fronts]
        which = rng.choice(fronts.size, size=n, p=w / w.sum())
        author = fronts[which]
        lengths = np.minimum(9 + rng.poisson(10, n), 45)
        domains = [op.domains[k % len(op.domains)] for k in which.tolist()]
        parts, trace = self._narrative_parts(
            plan, n, lengths, 0.8, 0.9, domains, self._day(start_ms), rng
        )
        seeds = self._new_batch(
            t_ms, author=author, kind=ORIGINAL, parts=parts, planted=True, op=op.index,
            persona=NEWS_FRONT, trace=trace | SEED, narrative=True,
        )  # fmt: skip
        for i in range(n):
            plan.recent.append(
                (int(seeds.uid[i]), int(t_ms[i]), int(author[i]), parts[i], int(trace[i]))
            )

        # Each post is retweeted by a random subset of the amplifiers.
        amps = op.members["amplifier"]
        sizes = plan.cascade_sizes[plan.seed_cursor : plan.seed_cursor + n]
        plan.seed_cursor += n
        ranks = np.argsort(rng.random((n, amps.size)), axis=1)
        take = np.arange(amps.size)[None, :] < sizes[:, None]
        src = np.repeat(np.arange(n), sizes)
        who = amps[ranks[take]]
        median = self.config.amplifier_delay
        delay_s = np.clip(rng.lognormal(np.log(median), 0.9, src.size), 1.0, MAX_AMPLIFIER_DELAY_S)
        rt_ms = t_ms[src] + (delay_s * 1000).astype(np.int64)
        rts = self._new_batch(
            rt_ms, author=who, kind=RETWEET, parts=objects(parts)[src],
            planted=True, op=op.index, persona=AMPLIFIER,
            trace=(trace[src] & (HASHTAG | LINK)) | AMPLIFICATION, narrative=True,
            ref_uid=seeds.uid[src], ref_author=author[src], ref_t_ms=t_ms[src],
            conv_uid=seeds.uid[src], conv_author=author[src],
        )  # fmt: skip
        return [seeds, rts]

    def _bursts(
        self, plan: OperationPlan, n: int, start_ms: int, rng: np.random.Generator
    ) -> Batch:
        """Near-duplicate texts: one template, small edits, posted within minutes."""
        op = plan.op
        posters = np.concatenate([op.members["amplifier"], op.members["troll"]])
        sizes = plan.burst_sizes[plan.burst_cursor : plan.burst_cursor + n]
        plan.burst_cursor += n
        day = self._day(start_ms)
        times, authors, parts_all, traces = [], [], [], []
        lex = self.lex
        for b in range(n):
            m = int(sizes[b])
            t0 = start_ms + int(rng.integers(0, self.slice_ms))
            who = rng.choice(posters, size=m, replace=False)
            delays = np.sort(rng.integers(0, NEAR_DUPLICATE_WINDOW_S * 1000, m))
            length = int(12 + rng.poisson(6))
            template = lex.sample(np.array([op.dist]), np.array([length]), rng)
            tag = op.hashtags[int(rng.integers(len(op.hashtags)))]
            url = ""
            trace = NEAR_DUPLICATE | HASHTAG
            if rng.random() < 0.6:
                domain = op.domains[int(rng.integers(len(op.domains)))]
                url = self._operation_url(op, domain, day, rng.integers(0, 1 << 40, 4).tolist())
                trace |= LINK
            edits = lex.sample(np.array([op.dist]), np.array([3 * m]), rng).reshape(m, 3)
            n_edits = rng.integers(1, 4, m)
            positions = rng.integers(0, length, (m, 3))
            drop = rng.random(m) < 0.3
            codes = short_codes(m, rng)
            suffix = rng.integers(0, len(SUFFIXES), m)
            for c in range(m):
                words = template.copy()
                words[positions[c, : n_edits[c]]] = edits[c, : n_edits[c]]
                if drop[c]:
                    words = np.delete(words, positions[c, 2])
                body = lex.join(words, np.array([words.size]))[0] + SUFFIXES[suffix[c]]
                urls = ((codes[c], url),) if url else EMPTY
                parts_all.append((body, (tag,), EMPTY, urls))
                traces.append(trace)
            times.append(t0 + delays)
            authors.append(who)
        return self._new_batch(
            np.concatenate(times), author=np.concatenate(authors), kind=ORIGINAL,
            parts=parts_all, planted=True, op=op.index,
            persona=self.pop.persona[np.concatenate(authors)],
            trace=np.array(traces, dtype=np.int64), narrative=True,
        )  # fmt: skip

    def _latest_seed(
        self, plan: OperationPlan, t: int, pick: float
    ) -> tuple[int, int, int, Parts, int] | None:
        """A random one of the operation's recent news-front posts older than `t`."""
        older = [s for s in plan.recent if s[1] < t]
        return older[int(pick * len(older))] if older else None

    def _automated(
        self, plan: OperationPlan, start_ms: int, end_ms: int, rng: np.random.Generator
    ) -> Batch | None:
        """Posts of automated accounts due in this slice: a fixed interval plus a small jitter."""
        op = plan.op
        origin = int(self.timeline.start_s) * 1000
        phase, delta, count = plan.bot_phase_ms, plan.bot_delta_ms, plan.bot_count
        k0 = np.clip(-((phase - (start_ms - origin)) // delta), 0, count)
        k1 = np.clip(-((phase - (end_ms - origin)) // delta), 0, count)
        due = k1 - k0
        total = int(due.sum())
        if total == 0:
            return None
        bot = np.repeat(np.arange(due.size), due)
        k = k0[bot] + (np.arange(total) - np.repeat(np.cumsum(due) - due, due))
        jitter = (rng.random(total) * self.jitter * delta[bot]).astype(np.int64)
        t_ms = origin + phase[bot] + k * delta[bot] + jitter
        order = np.argsort(t_ms, kind="stable")
        t_ms, bot = t_ms[order], bot[order]
        author = op.members["automated"][bot]
        retweet = rng.random(total) < AUTOMATED_RETWEET
        picks = rng.random(total)
        kind = np.full(total, ORIGINAL, dtype=np.int64)
        trace = np.full(total, AUTOMATED, dtype=np.int64)
        ref_uid = np.full(total, -1, dtype=np.int64)
        ref_author = np.full(total, -1, dtype=np.int64)
        ref_t = np.full(total, -1, dtype=np.int64)
        codes = short_codes(total, rng)
        parts: list[Parts] = []
        for i in range(total):
            seed = self._latest_seed(plan, int(t_ms[i]), float(picks[i]))
            if seed is None:  # nothing published yet: a narrative post of its own
                own, own_trace = self._narrative_parts(
                    plan, 1, np.array([14]), 0.7, 0.8, [op.domains[0]], self._day(start_ms), rng
                )
                parts.append(own[0])
                trace[i] |= own_trace[0]
                continue
            uid, st, sa, sparts, strace = seed
            if retweet[i]:
                kind[i], ref_uid[i], ref_author[i], ref_t[i] = RETWEET, uid, sa, st
                parts.append(sparts)
                trace[i] |= strace & (HASHTAG | LINK)
            else:  # a feed bot: the headline, the same link, a campaign hashtag
                body, _, _, urls = sparts
                headline = " ".join(body.split()[:8])
                link = ((codes[i], urls[0][1]),) if urls else EMPTY
                parts.append((headline, (op.hashtags[0],), EMPTY, link))
                trace[i] |= HASHTAG | (LINK if urls else 0)
        return self._new_batch(
            t_ms, author=author, kind=kind, parts=parts, planted=True, op=op.index,
            persona=P_AUTOMATED, trace=trace, narrative=True, ref_uid=ref_uid,
            ref_author=ref_author, ref_t_ms=ref_t,
            conv_uid=np.where(ref_uid >= 0, ref_uid, -1),
            conv_author=np.where(ref_uid >= 0, ref_author, -1),
        )  # fmt: skip

    def _trolls(
        self, plan: OperationPlan, n: int, start_ms: int, rng: np.random.Generator
    ) -> Batch:
        """Troll personas: narrative posts, replies to the target community, retweets."""
        op, pop, pool = plan.op, self.pop, self.pool
        trolls = op.members["troll"]
        t_ms = start_ms + np.sort(rng.integers(0, self.slice_ms, n))
        w = pop.activity[trolls]
        author = trolls[rng.choice(trolls.size, size=n, p=w / w.sum())]
        kind = rng.choice([ORIGINAL, REPLY, RETWEET], size=n, p=TROLL_KINDS)
        ref = np.full(n, -1, dtype=np.int64)
        replies = np.flatnonzero(kind == REPLY)
        ref[replies] = self._from_pool(np.full(replies.size, op.community), rng)
        kind[(kind == REPLY) & (ref < 0)] = ORIGINAL
        lengths = np.minimum(5 + rng.poisson(10, n), 40)
        parts, trace = self._narrative_parts(
            plan, n, lengths, 0.5, 0.15,
            [op.domains[k % len(op.domains)] for k in range(n)], self._day(start_ms), rng,
        )  # fmt: skip
        trace |= TROLL
        picks = rng.random(n)
        ref_parts: list[Parts | None] = [None] * n
        ref_uid = np.full(n, -1, dtype=np.int64)
        ref_seq = np.full(n, -1, dtype=np.int64)
        ref_author = np.full(n, -1, dtype=np.int64)
        ref_t = np.full(n, -1, dtype=np.int64)
        conv = np.full(n, -1, dtype=np.int64)
        conv_author = np.full(n, -1, dtype=np.int64)
        for i in range(n):
            if kind[i] == REPLY:
                slot = int(ref[i])
                body, tags, _, urls = parts[i]
                parts[i] = (body, tags, (int(pool.author[slot]),), urls)
                ref_parts[i] = pool.parts[slot]
                ref_uid[i], ref_seq[i] = pool.uid[slot], pool.seq[slot]
                ref_author[i], ref_t[i] = pool.author[slot], pool.t_ms[slot]
                conv[i], conv_author[i] = pool.conv_uid[slot], pool.conv_author[slot]
            elif kind[i] == RETWEET:
                seed = self._latest_seed(plan, int(t_ms[i]), float(picks[i]))
                if seed is None:
                    kind[i] = ORIGINAL
                    continue
                uid, st, sa, sparts, strace = seed
                parts[i] = sparts
                ref_uid[i], ref_author[i], ref_t[i], conv[i] = uid, sa, st, uid
                conv_author[i] = sa
                trace[i] = TROLL | (strace & (HASHTAG | LINK))
        batch = self._new_batch(
            t_ms, author=author, kind=kind, parts=parts, ref_parts=ref_parts, planted=True,
            op=op.index, persona=P_TROLL, trace=trace, narrative=True, ref_uid=ref_uid,
            ref_seq=ref_seq, ref_author=ref_author, ref_t_ms=ref_t,
        )  # fmt: skip
        batch.conv_uid = np.where(conv >= 0, conv, batch.uid)
        batch.conv_author = conv_author
        return batch

    # -- emission ---------------------------------------------------------------------------

    def _emit(self, batch: Batch, rng: np.random.Generator) -> None:
        """Number the posts, give them engagement counts, add them to the pool and counts."""
        n = len(batch)
        pop = self.pop
        batch.seq = self.emitted + np.arange(n, dtype=np.int64)
        self.emitted += n
        batch.conv_uid = np.where(batch.conv_uid < 0, batch.uid, batch.conv_uid)
        batch.conv_author = np.where(batch.conv_author < 0, batch.author, batch.conv_author)
        # Each account's first post of the scenario (formats that announce accounts use it).
        _, where = np.unique(batch.author, return_index=True)
        where = where[~self.seen[batch.author[where]]]
        batch.first = np.zeros(n, dtype=bool)
        batch.first[where] = True
        self.seen[batch.author[where]] = True
        reach = np.sqrt(pop.followers[batch.author] + 1.0) * 0.05 * rng.lognormal(0.0, 1.0, n)
        reach[batch.kind == RETWEET] = 0.0
        batch.likes = rng.poisson(reach)
        batch.retweets = rng.poisson(reach * 0.25)
        batch.replies = rng.poisson(reach * 0.08)
        batch.quotes = rng.poisson(reach * 0.02)
        self.post_counts += np.bincount(batch.author, minlength=pop.n)
        seed_op = np.where((batch.trace & SEED) > 0, batch.op, -1)
        self.pool.add(batch, pop.community[batch.author], seed_op)
