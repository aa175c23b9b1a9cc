"""Per-account behaviour features from posts, computed in the engine with Ibis.

Besides the numeric features of `FEATURES`, each account gets ``main_language``, the language
of most of its posts (its language group in the reports).

Every feature is a number per account, documented in `FEATURES`; an account with too little
activity for a feature gets NULL (unknown), never zero. The expressions take Ibis tables
(``engine.table("posts")``, ``engine.table("accounts")``), so any engine runs them (DuckDB,
or Spark over a Parquet export: `infoscope.engine`); `behaviour_features` runs them on an
engine and returns an Arrow table. The persona checks of `infoscope.authenticity.assess` read
expressions over the same tables: the halves of an account's posts (`language_switches`,
`topic_switches`) and the weekly account creations (`weekly_creations`, `created_in_weeks`).

Sources of the thresholds: DFRLab treats more than 72 posts a day as suspicious; an organic
account posts in bursts (coefficient of variation of the gaps between posts well above 1)
whereas a scheduler posts at near-constant intervals (CV near 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from infoscope.common.urls import domain_of, shortener_domains
from infoscope.engine import Engine, as_engine
from infoscope.store import Store

__all__ = [
    "behaviour_expression",
    "behaviour_features",
    "created_in_weeks",
    "language_switches",
    "near_duplicate_shares",
    "topic_switches",
    "weekly_creations",
]

# Feature name -> what it measures. Shares are of the account's posts in the store.
FEATURES: dict[str, str] = {
    "posts": "posts in the store",
    "active_days": "days (UTC) with at least one post",
    "posts_per_active_day": "mean posts per active day",
    "max_posts_per_day": "most posts in one UTC day",
    "days_over_72": "days with more than 72 posts (DFRLab's threshold)",
    "interval_median_s": "median seconds between consecutive posts (needs 2+ posts)",
    "interval_cv": "coefficient of variation of the gaps between posts (needs 10+ gaps)",
    "interval_entropy": "entropy (bits) of the gaps binned by powers of two (needs 10+ gaps)",
    "hour_entropy": "entropy (bits, max 4.58) of posting hour of day, UTC (needs 10+ posts)",
    "share_original": "share of original posts",
    "share_retweet": "share of retweets",
    "share_reply": "share of replies",
    "share_quote": "share of quotes",
    "duplicate_share": "share of own posts (not retweets) whose text the account posted before",
    "url_share": "share of posts with a link",
    "top_domain_share": "share of the account's links pointing to its most linked domain "
    "(shortened links left out)",
    "distinct_domains": "number of distinct linked domains (shortened links left out)",
    "hashtags_per_post": "mean hashtags per post",
    "hashtag_flood_share": "share of posts with 3 or more hashtags",
    "reaction_median_s": "median seconds from a post to this account's retweet, reply or "
    "quote of it (when the post is in the store)",
    "fast_reaction_share": "share of those reactions within 60 seconds",
    "age_at_first_post_days": "days from account creation to its first post in the store",
    "languages": "languages making 10%+ of the account's posts",
    "language_entropy": "entropy (bits) of the account's post languages",
}

FAST_REACTION_S = 60.0
MIN_GAPS = 10
MIN_HOUR_POSTS = 10


def _entropy(counts: ibis.Table, key: list[str], value: str) -> ibis.Table:
    """Shannon entropy (bits) of `value` counts within each `key` group."""
    totals = counts.group_by(key).aggregate(_total=counts[value].sum())
    joined = counts.join(totals, key)
    p = joined[value].cast("float64") / joined._total
    return joined.group_by(key).aggregate(entropy=(-(p * p.log2())).sum())


def behaviour_expression(
    posts: ibis.Table, accounts: ibis.Table, *, platform: str | None = None
) -> ibis.Table:
    """One row per posting account: ``platform, account_id`` and every feature of
    `FEATURES`, as one Ibis expression."""
    if platform is not None:
        posts = posts.filter(posts.platform == platform)
    posts = posts.filter(posts.account_id.notnull() & posts.created_at.notnull())
    key = ["platform", "account_id"]
    p = posts.mutate(
        day=posts.created_at.truncate("D"),
        t_ms=posts.created_at.delta(
            ibis.timestamp("1970-01-01 00:00:00+00:00"), unit="millisecond"
        ).cast("float64"),
        n_tags=posts.hashtags.length().fill_null(0),
        n_urls=posts.urls.length().fill_null(0),
    )
    base = p.group_by(key).aggregate(
        posts=_.count(),
        active_days=_.day.nunique(),
        share_original=(_.kind == "original").mean(),
        share_retweet=(_.kind == "retweet").mean(),
        share_reply=(_.kind == "reply").mean(),
        share_quote=(_.kind == "quote").mean(),
        url_share=(_.n_urls > 0).mean(),
        hashtags_per_post=_.n_tags.mean(),
        hashtag_flood_share=(_.n_tags >= 3).mean(),
        first_at=_.created_at.min(),
    )
    per_day = p.group_by([*key, "day"]).aggregate(n=_.count())
    days = per_day.group_by(key).aggregate(
        max_posts_per_day=_.n.max(), days_over_72=(_.n > 72).sum()
    )
    # Gaps between consecutive posts of an account.
    window = ibis.window(group_by=key, order_by=[p.t_ms, p.post_id])
    gaps = p.mutate(gap=(p.t_ms - p.t_ms.lag().over(window)) / 1000.0).filter(_.gap.notnull())
    gap_stats = gaps.group_by(key).aggregate(
        gaps=_.count(),
        interval_median_s=_.gap.median(),
        gap_mean=_.gap.mean(),
        gap_std=_.gap.std(how="pop"),
    )
    gap_bins = gaps.mutate(bin=(_.gap + 1).log2().floor().cast("int64"))
    gap_entropy = _entropy(gap_bins.group_by([*key, "bin"]).aggregate(n=_.count()), key, "n")
    hours = p.mutate(hour=p.created_at.hour()).group_by([*key, "hour"]).aggregate(n=_.count())
    hour_entropy = _entropy(hours, key, "n")
    # Copy-paste: own posts repeating a text the account already posted (normalised: case,
    # links and whitespace ignored).
    own = p.filter((p.kind != "retweet") & p.text.notnull())
    own = own.mutate(
        norm=own.text.lower().re_replace(r"https?://\S+", "").re_replace(r"\s+", " ").strip()
    ).filter(_.norm != "")
    texts = own.group_by([*key, "norm"]).aggregate(n=_.count())
    dup = texts.group_by(key).aggregate(own_posts=_.n.sum(), repeats=(_.n - 1).sum())
    # Links: concentration on the most linked domain, shorteners (t.co, bit.ly, ...) left
    # out: they hide the destination, and a corpus of only t.co links would flag everyone.
    links = (
        p.select(*key, url=p.urls.unnest())
        .mutate(domain=domain_of(_.url))
        .filter(~_.domain.isin(list(shortener_domains())))
    )
    domains = links.group_by([*key, "domain"]).aggregate(n=_.count())
    domain_stats = domains.group_by(key).aggregate(
        link_total=_.n.sum(), link_top=_.n.max(), distinct_domains=_.count()
    )
    # Reactions to posts in the store.
    reacting = p.filter(p.ref_post_id.notnull() & p.kind.isin(["retweet", "reply", "quote"]))
    source = p.select(src_platform=p.platform, src_post=p.post_id, src_ms=p.t_ms)
    reactions = reacting.join(
        source,
        [reacting.platform == source.src_platform, reacting.ref_post_id == source.src_post],
    ).mutate(delay=(_.t_ms - _.src_ms) / 1000.0)
    reaction_stats = reactions.group_by(key).aggregate(
        reactions=_.count(),
        reaction_median_s=_.delay.median(),
        fast_reaction_share=(_.delay <= FAST_REACTION_S).mean(),
    )
    langs = (
        p.filter(p.lang.notnull() & (p.lang != "und"))
        .group_by([*key, "lang"])
        .aggregate(n=_.count())
    )
    lang_totals = langs.group_by(key).aggregate(lang_posts=_.n.sum())
    lang_shares = langs.join(lang_totals, key)
    lang_counts = lang_shares.group_by(key).aggregate(
        languages=(lang_shares.n >= 0.1 * lang_shares.lang_posts).sum()
    )
    lang_entropy = _entropy(langs, key, "n").rename(language_entropy="entropy")
    # The most used language; ties go to the first language code (explicit, so every engine
    # and every run agree).
    ranked = langs.mutate(
        rank=ibis.row_number().over(
            ibis.window(group_by=key, order_by=[ibis.desc(langs.n), langs.lang])
        )
    )
    main_lang = ranked.filter(ranked["rank"] == 0).select(*key, main_language="lang")

    out = base
    for extra in (
        days,
        gap_stats,
        gap_entropy.rename(interval_entropy="entropy"),
        hour_entropy.rename(hour_entropy="entropy"),
        dup,
        domain_stats,
        reaction_stats,
        lang_counts,
        lang_entropy,
        main_lang,
    ):
        out = out.left_join(extra, key).drop(*[f"{k}_right" for k in key])
    acc = accounts.select(a_platform=accounts.platform, a_id=accounts.account_id,
                          a_created=accounts.created_at)  # fmt: skip
    out = out.left_join(acc, [out.platform == acc.a_platform, out.account_id == acc.a_id])
    enough_gaps = out.gaps >= MIN_GAPS
    return out.select(
        "platform",
        "account_id",
        posts=_.posts,
        active_days=_.active_days,
        posts_per_active_day=_.posts.cast("float64") / _.active_days,
        max_posts_per_day=_.max_posts_per_day,
        days_over_72=_.days_over_72,
        interval_median_s=_.interval_median_s,
        interval_cv=ibis.ifelse(
            enough_gaps & (_.gap_mean > 0), _.gap_std / _.gap_mean, ibis.null("float64")
        ),
        interval_entropy=ibis.ifelse(enough_gaps, _.interval_entropy, ibis.null("float64")),
        hour_entropy=ibis.ifelse(_.posts >= MIN_HOUR_POSTS, _.hour_entropy, ibis.null("float64")),
        share_original=_.share_original,
        share_retweet=_.share_retweet,
        share_reply=_.share_reply,
        share_quote=_.share_quote,
        duplicate_share=ibis.ifelse(
            _.own_posts > 0, _.repeats.cast("float64") / _.own_posts, ibis.null("float64")
        ),
        url_share=_.url_share,
        top_domain_share=ibis.ifelse(
            _.link_total > 0, _.link_top.cast("float64") / _.link_total, ibis.null("float64")
        ),
        distinct_domains=_.distinct_domains.fill_null(0),
        hashtags_per_post=_.hashtags_per_post,
        hashtag_flood_share=_.hashtag_flood_share,
        reaction_median_s=_.reaction_median_s,
        fast_reaction_share=_.fast_reaction_share,
        age_at_first_post_days=_.first_at.delta(_.a_created, unit="second").cast("float64")
        / 86400.0,
        languages=_.languages,
        language_entropy=_.language_entropy,
        main_language=_.main_language,
    )


def behaviour_features(source: Store | Engine, *, platform: str | None = None) -> pa.Table:
    """Every feature of `FEATURES` for every posting account, as Arrow ordered by platform
    and account; computed by `source` (an engine, or a store's DuckDB engine)."""
    engine = as_engine(source)
    expr = behaviour_expression(engine.table("posts"), engine.table("accounts"), platform=platform)
    return engine.to_arrow(expr.order_by(["platform", "account_id"]))


# Where an engine keeps the near-duplicate groups of one platform while they are joined.
_NEAR_GROUPS = "_accounts_near_groups"


def near_duplicate_shares(
    source: Store | Engine, platform: str | None = None, say: Callable[[str], None] | None = None
) -> dict[tuple[str, str], float]:
    """Per account: the share of its own posts (not retweets) nearly repeating a text it
    posted before (same near-duplicate group, a later post).

    The groups (`infoscope.common.minhash.near_duplicate_groups`, per platform) are found
    with the engine of `source`; they come back to the driver and go into the engine again
    to be counted per account there, so only one share per account with own posts is read.
    """
    from infoscope.common.minhash import near_duplicate_groups

    engine = as_engine(source)
    if say is not None:
        say("finding near-duplicate texts (MinHash/LSH)")
    posts = engine.table("posts")
    platforms = (
        [platform]
        if platform is not None
        else engine.to_arrow(posts.select("platform").distinct())["platform"].to_pylist()
    )
    out: dict[tuple[str, str], float] = {}
    for name in platforms:
        own = posts.filter((posts.platform == name) & (posts.kind != "retweet"))
        groups = near_duplicate_groups(engine, own.select("post_id", "text"))
        counted = own.filter(own.account_id.notnull()).group_by("account_id").aggregate(n=_.count())
        if groups.num_rows:
            kept = engine.from_arrow(_NEAR_GROUPS, groups.select(["post_id", "group_id"]))
            authored = posts.filter((posts.platform == name) & posts.account_id.notnull())
            grouped = (
                kept.join(authored.select("account_id", "post_id"), "post_id")
                .group_by(["account_id", "group_id"])
                .aggregate(n=_.count())
            )
            repeats = grouped.group_by("account_id").aggregate(repeats=(_.n - 1).sum())
            counted = counted.left_join(repeats, "account_id").select(
                "account_id", "n", repeats=_.repeats.fill_null(0)
            )
        else:
            counted = counted.mutate(repeats=ibis.literal(0, "int64"))
        shares = counted.select("account_id", share=_.repeats.cast("float64") / _.n)
        try:
            rows = engine.to_arrow(shares).to_pylist()
        finally:
            engine.release(_NEAR_GROUPS)
        out.update({(name, r["account_id"]): float(r["share"]) for r in rows})
    return out


def _halves(posts: ibis.Table, platform: str | None) -> ibis.Table:
    """The posts of accounts with ``half`` 0 for the first half of each account's posts (by
    time, then post_id; the first half takes the odd one) and 1 for the second."""
    if platform is not None:
        posts = posts.filter(posts.platform == platform)
    posts = posts.filter(posts.account_id.notnull())
    order = ibis.window(
        group_by=["platform", "account_id"], order_by=[posts.created_at, posts.post_id]
    )
    return posts.mutate(half=ibis.ntile(2).over(order))


def language_switches(
    posts: ibis.Table,
    *,
    platform: str | None = None,
    min_share: float = 0.7,
    min_posts: int = 10,
) -> ibis.Table:
    """Accounts whose dominant language differs between the first and the second half of
    their posts with a language (``und`` left out): ``platform, account_id, first_lang,
    first_share, second_lang, second_share``, where each half has at least `min_posts` such
    posts and its language at least `min_share` of them. A half's dominant language is its
    most frequent, ties to the first code (explicit, so every engine agrees)."""
    known = posts.filter(posts.lang.notnull() & (posts.lang != "und"))
    halves = _halves(known, platform).select("platform", "account_id", "half", lang=_.lang.lower())
    key = ["platform", "account_id", "half"]
    counted = halves.group_by([*key, "lang"]).aggregate(n=_.count())
    counted = counted.mutate(total=counted.n.sum().over(ibis.window(group_by=key)))
    ranked = counted.mutate(
        rank=ibis.row_number().over(
            ibis.window(group_by=key, order_by=[ibis.desc(counted.n), counted.lang])
        )
    )
    top = ranked.filter(ranked["rank"] == 0).select(
        *key, "lang", "total", share=_.n.cast("float64") / _.total
    )
    first = top.filter(top.half == 0).select(
        "platform", "account_id", first_lang="lang", first_share="share", first_total="total"
    )
    second = top.filter(top.half == 1).select(
        s_platform="platform", s_account="account_id", second_lang="lang",
        second_share="share", second_total="total",
    )  # fmt: skip
    both = first.join(
        second, [first.platform == second.s_platform, first.account_id == second.s_account]
    )
    return both.filter(
        (both.first_lang != both.second_lang)
        & (both.first_share >= min_share)
        & (both.second_share >= min_share)
        & (both.first_total >= min_posts)
        & (both.second_total >= min_posts)
    ).select("platform", "account_id", "first_lang", "first_share", "second_lang", "second_share")


def topic_switches(
    posts: ibis.Table,
    *,
    platform: str | None = None,
    min_uses: int = 20,
    max_similarity: float = 0.1,
) -> ibis.Table:
    """Accounts whose hashtags in the first and the second half of their posts are nearly
    disjoint: ``platform, account_id, similarity`` (the cosine similarity of the two halves'
    hashtag counts, lower-cased), ``first_uses, second_uses``, where each half uses hashtags
    at least `min_uses` times and the similarity is below `max_similarity`."""
    key = ["platform", "account_id"]
    halves = _halves(posts, platform)
    # Spark unnests only as a top-level item of a projection: lower-cased in the next one.
    tags = halves.select(*key, "half", tag=halves.hashtags.unnest()).mutate(tag=_.tag.lower())
    counted = tags.group_by([*key, "half", "tag"]).aggregate(n=_.count())
    norms = counted.group_by([*key, "half"]).aggregate(
        norm=(_.n * _.n).sum().cast("float64").sqrt(), uses=_.n.sum()
    )
    a = counted.filter(counted.half == 0)
    b = counted.filter(counted.half == 1).select(
        b_platform="platform", b_account="account_id", b_tag="tag", b_n="n"
    )
    dots = (
        a.join(b, [a.platform == b.b_platform, a.account_id == b.b_account, a.tag == b.b_tag])
        .group_by(key)
        .aggregate(dot=(_.n * _.b_n).sum())
    )
    x = norms.filter(norms.half == 0).select(*key, x_norm="norm", first_uses="uses")
    y = norms.filter(norms.half == 1).select(
        y_platform="platform", y_account="account_id", y_norm="norm", second_uses="uses"
    )
    pair = x.join(y, [x.platform == y.y_platform, x.account_id == y.y_account])
    pair = pair.left_join(dots, key).drop(*[f"{k}_right" for k in key])
    scored = pair.mutate(similarity=_.dot.fill_null(0).cast("float64") / (_.x_norm * _.y_norm))
    return scored.filter(
        (scored.first_uses >= min_uses)
        & (scored.second_uses >= min_uses)
        & (scored.similarity < max_similarity)
    ).select(*key, "similarity", "first_uses", "second_uses")


def _created_week(accounts: ibis.Table) -> Any:
    """The Monday (UTC) of the week each account was created, as a date."""
    return accounts.created_at.truncate("W").date()


def weekly_creations(accounts: ibis.Table, *, platform: str | None = None) -> ibis.Table:
    """Accounts created per week (Monday to Sunday, UTC): ``week`` (its Monday), ``n``."""
    if platform is not None:
        accounts = accounts.filter(accounts.platform == platform)
    created = accounts.filter(accounts.created_at.notnull())
    return created.group_by(week=_created_week(created)).aggregate(n=_.count())


def created_in_weeks(
    accounts: ibis.Table, weeks: list[Any], *, platform: str | None = None
) -> ibis.Table:
    """``platform, account_id, week`` of the accounts created in `weeks` (Mondays)."""
    if platform is not None:
        accounts = accounts.filter(accounts.platform == platform)
    dated = accounts.select("platform", "account_id", week=_created_week(accounts))
    return dated.filter(dated.week.isin(weeks))
