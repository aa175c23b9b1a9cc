"""FiveThirtyEight's IRA tweets, in their own 21-column schema (``IRAhandle_tweets_N.csv``).

FiveThirtyEight published the tweets of accounts Twitter attributed to Russia's Internet
Research Agency (Linvill & Warren, Clemson University) as thirteen CSV files at
https://github.com/fivethirtyeight/russian-troll-tweets, with the columns
``external_author_id, author, content, region, language, publish_date, harvested_date,
following, followers, updates, post_type, account_type, retweet, account_category,
new_june_2018, alt_external_id, tweet_id, article_url, tco1_step1, tco2_step1, tco3_step1``.
Redistributions re-exported with pandas add leading index columns (an unnamed one and
``Unnamed: 0``); they are row numbers of the re-export, not data, and are left out. In a file
without ``tweet_id`` (early copies) a post's id is ``ira538-`` plus the MD5 of its row.

Mapping:

- ``post_id`` is ``tweet_id`` (exact in the data: its snowflake time matches ``publish_date``
  to the minute on every row of the sample, which also shows ``publish_date``, ``1/2/2017
  16:48``, is UTC).
- ``account_id`` is ``external_author_id`` when it is an exact id. In FiveThirtyEight's files
  the 18-digit ids of newer accounts were rounded by a spreadsheet (``731000000000000000``
  stands for ``HamburgBote``, ``TribunaOnline24`` and ``WhiteHouseCards``), and
  ``alt_external_id``, a later repair, sometimes gives one account another's id; a rounded or
  non-numeric id (``'-1'``) is therefore not used, and such an account is identified by its
  handle instead: ``@`` plus the lower-case ``author`` (an ``@`` never occurs in a numeric id).
  Both source ids stay in ``raw``. ``author`` is upper-cased by FiveThirtyEight, so handles
  are stored lower-case.
- ``post_type`` RETWEET and QUOTE_TWEET give kinds retweet and quote. IRA retweets carry the
  original text but not its author, so ``ref_account_*`` stay NULL, except when the text
  itself begins ``RT @user``, which names the author (also a manual retweet with an empty
  ``post_type``, which becomes a retweet).
- ``urls`` are the links in the text (``t.co``) followed by their resolved targets
  ``tco1_step1..tco3_step1``; hashtags and mentions are extracted from the text at store time.
- ``following``, ``followers`` and ``updates`` are the account's counts when the tweet was
  harvested: post metrics ``account_following``, ``account_followers``, ``account_posts``;
  the account gets the latest counts.
- ``account_category`` (RightTroll, LeftTroll, NewsFeed, ...) and ``account_type`` are
  analyst labels (Linvill & Warren's coding). Everything else stays in ``raw``.
"""

from __future__ import annotations

import re

from infoscope.ingest.formats import ReadContext, TabularFormat, register
from infoscope.ingest.sql import (
    bigint,
    column_getter,
    id_text,
    ident,
    json_of,
    lit,
    metrics_map,
    provenance,
    retweet_prefix_handle,
    rounded_id,
    timestamp,
)

__all__ = ["Ira538", "account_id_sql"]

DATE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
RESOLVED_LINKS = ("tco1_step1", "tco2_step1", "tco3_step1")
LABELS = ("account_category", "account_type")
# Columns mapped to post fields; the rest of a row is kept in ``raw``.
MAPPED = (
    "author",
    "content",
    "language",
    "publish_date",
    "post_type",
    "tweet_id",
    "following",
    "followers",
    "updates",
)


def _is_index(column: str) -> bool:
    """An index column added by a pandas re-export: ``Unnamed: 0``, or an empty header (which
    the pipeline names ``_c<position>``)."""
    return column.startswith("Unnamed: ") or re.fullmatch(r"_c[0-9]+", column) is not None


def account_id_sql() -> str:
    """The account id: an exact ``external_author_id``, else ``@`` + the lower-case handle."""
    ext = id_text("external_author_id")
    return (
        f"CASE WHEN regexp_full_match({ext}, '[0-9]+') AND NOT {rounded_id(ext)} THEN {ext} "
        "ELSE '@' || lower(trim(author)) END"
    )


class Ira538(TabularFormat):
    name = "ira-538"
    description = "IRA tweets in FiveThirtyEight's 21-column schema (IRAhandle_tweets_N.csv)"
    markers = frozenset(
        {"external_author_id", "author", "content", "publish_date", "post_type", "account_category"}
    )
    required = frozenset({"external_author_id", "author", "content", "publish_date"})
    date_column = "publish_date"

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        col = column_getter(columns)

        data_columns = tuple(c for c in columns if not _is_index(c))
        platform = lit(ctx.platform or "twitter")
        prov = provenance(self.name, ctx.run_id)
        created = timestamp("publish_date", *(ctx.date_formats or DATE_FORMATS))
        account_id = account_id_sql()
        if "tweet_id" in columns:
            post_id = id_text("tweet_id")
        else:
            hashed = ", ".join(f"coalesce({ident(c)}, '')" for c in data_columns)
            post_id = f"'ira538-' || md5(concat_ws(chr(31), {hashed}))"
        rt_handle = retweet_prefix_handle("content")
        post_type = f"upper(trim({col('post_type')}))"
        kind = (
            f"CASE WHEN {post_type} = 'RETWEET' THEN 'retweet' "
            f"WHEN {post_type} = 'QUOTE_TWEET' THEN 'quote' "
            f"WHEN {rt_handle} IS NOT NULL THEN 'retweet' ELSE 'original' END"
        )
        resolved = ", ".join(f"trim({col(c)})" for c in RESOLVED_LINKS)
        urls = (
            f"list_concat(coalesce(is_urls(content), []), "
            f"list_filter([{resolved}], lambda u: u IS NOT NULL AND u <> ''))"
        )
        metrics = metrics_map(
            [
                ("account_following", bigint(col("following"))),
                ("account_followers", bigint(col("followers"))),
                ("account_posts", bigint(col("updates"))),
            ]
        )
        raw_json = json_of(data_columns, exclude=MAPPED)
        posts = f"""
            SELECT {platform} AS platform,
                   {post_id} AS post_id,
                   {account_id} AS account_id,
                   lower(trim(author)) AS account_handle,
                   {created} AS created_at,
                   content AS text,
                   {col("language")} AS lang,
                   {kind} AS kind,
                   CASE WHEN ({kind}) = 'retweet' THEN {rt_handle} END AS ref_account_handle,
                   {urls} AS urls,
                   {metrics} AS metrics,
                   {raw_json} AS raw,
                   {prov},
                   publish_date AS _created_raw,
                   {col("tweet_id")} AS _id_raw
            FROM raw
        """
        # The source's ids of the account (several when a repair disagrees) and its flag.
        kept = [c for c in ("external_author_id", "alt_external_id") if c in columns]
        account_raw = "json_object(" + ", ".join(
            f"{lit(c)}, list(DISTINCT {ident(c)}) FILTER (WHERE {ident(c)} IS NOT NULL)"
            for c in kept
        )
        if "new_june_2018" in columns:
            account_raw += ", 'new_june_2018', max(new_june_2018)"
        account_raw += ")::VARCHAR"
        accounts = f"""
            SELECT {platform} AS platform, {account_id} AS account_id,
                   min(lower(trim(author))) AS handle,
                   arg_max({bigint(col("followers"))}, {created}) AS followers,
                   arg_max({bigint(col("following"))}, {created}) AS following,
                   arg_max({bigint(col("updates"))}, {created}) AS posts_count,
                   {account_raw} AS raw,
                   min(_source) AS source, NULL::BIGINT AS source_line,
                   min(_record) AS source_record,
                   {lit(self.name)} AS format, {lit(ctx.run_id)} AS ingest_run
            FROM raw WHERE ({account_id}) IS NOT NULL GROUP BY ALL
        """
        sql = {"posts": posts, "accounts": accounts}
        label_cols = [c for c in LABELS if c in columns]
        if label_cols:
            sql["labels"] = " UNION ALL ".join(
                f"SELECT {platform} AS platform, {account_id} AS account_id, "
                f"{lit(c)} AS label_key, trim({ident(c)}) AS label_value, {prov} FROM raw "
                f"WHERE ({account_id}) IS NOT NULL"  # a row without an author labels no one
                for c in label_cols
            )
        return sql


register(Ira538())
