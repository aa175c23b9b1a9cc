"""Per-account behaviour features from posts, computed in the engine with Ibis.

Besides the numeric features of `FEATURES`, each account gets ``main_language``, the language
of most of its posts (its language group in the reports).

Every feature is a number per account, documented in `FEATURES`; an account with too little
activity for a feature gets NULL (unknown), never zero. The expressions take Ibis tables
(``store.ibis.table("posts")``, ``store.ibis.table("accounts")``), so any Ibis engine runs
them; `behaviour_features` runs them on the store and returns an Arrow table.

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
from infoscope.store import Store

__all__ = ["behaviour_expression", "behaviour_features", "near_duplicate_shares"]

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


def behaviour_features(store: Store, *, platform: str | None = None) -> pa.Table:
    """Every feature of `FEATURES` for every posting account of the store, as Arrow."""
    expr = behaviour_expression(
        store.ibis.table("posts"), store.ibis.table("accounts"), platform=platform
    )
    table: Any = expr.order_by(["platform", "account_id"]).to_pyarrow()
    return table


def near_duplicate_shares(
    store: Store, platform: str | None = None, say: Callable[[str], None] | None = None
) -> dict[tuple[str, str], float]:
    """Per account: the share of its own posts (not retweets) nearly repeating a text it
    posted before (same near-duplicate group, a later post)."""
    from infoscope.common.minhash import near_duplicate_groups

    if say is not None:
        say("finding near-duplicate texts (MinHash/LSH)")
    platforms = (
        [platform]
        if platform is not None
        else [r[0] for r in store.con.execute("SELECT DISTINCT platform FROM posts").fetchall()]
    )
    out: dict[tuple[str, str], float] = {}
    for name in platforms:
        posts = store.ibis.table("posts")
        own = posts.filter((posts.platform == name) & (posts.kind != "retweet"))
        groups = near_duplicate_groups(store, own.select("post_id", "text"))
        con = store.ibis.con
        con.register("_near_groups", groups)
        try:
            rows = con.execute(
                """
                WITH own AS (
                  SELECT account_id, count(*) AS n FROM posts
                  WHERE platform = ? AND kind <> 'retweet' AND account_id IS NOT NULL
                  GROUP BY ALL
                ),
                grouped AS (
                  SELECT p.account_id, g.group_id, count(*) AS n
                  FROM _near_groups g JOIN posts p ON p.platform = ? AND p.post_id = g.post_id
                  WHERE p.account_id IS NOT NULL GROUP BY ALL
                )
                SELECT o.account_id, coalesce(sum(g.n - 1), 0) / o.n
                FROM own o LEFT JOIN grouped g USING (account_id)
                GROUP BY o.account_id, o.n
                """,
                [name, name],
            ).fetchall()
        finally:
            con.unregister("_near_groups")
        out.update({(name, a): float(v) for a, v in rows})
    return out
