"""Twitter's information-operations archive (``<operation>_tweets_csv_hashed.csv``).

From 2018 to 2021 Twitter (Transparency Center, "Information operations") released the tweets of
state-backed networks it removed, one CSV of tweets per operation, with the columns ``tweetid,
userid, user_display_name, user_screen_name, user_reported_location, user_profile_description,
user_profile_url, follower_count, following_count, account_creation_date, account_language,
tweet_language, tweet_text, tweet_time, tweet_client_name, in_reply_to_userid,
in_reply_to_tweetid, quoted_tweet_tweetid, is_retweet, retweet_userid, retweet_tweetid,
latitude, longitude, quote_count, reply_count, like_count, retweet_count, hashtags, urls,
user_mentions, poll_choices``. Accounts with fewer than 5,000 followers are anonymised: their
``userid``, display and screen names are replaced by a hash; those strings are kept as they
are (they are the stable key). The archive is now distributed to researchers on request
(Twitter Moderation Research Consortium).

Mapping:

- ``post_id`` = ``tweetid``, ``account_id`` = ``userid``, ``account_handle`` =
  ``user_screen_name`` (as written: a hashed name is case-sensitive). ``tweet_time``
  (``2017-01-01 12:34``) is UTC, as Twitter documents.
- Kind: ``is_retweet`` true gives a retweet of ``retweet_tweetid`` by ``retweet_userid``
  (and the handle its text starts with, ``RT @handle:``); else ``quoted_tweet_tweetid`` a
  quote (the quoted author is not in the archive); else ``in_reply_to_tweetid`` /
  ``in_reply_to_userid`` a reply. A tweet that both quotes and replies is a quote; its reply
  ids stay in ``raw``. Ids written as floats (``4444.0``) are repaired.
- ``hashtags`` (``[tag1, tag2]`` or ``['tag1', 'tag2']``) are Twitter's own entities and
  ``urls`` its expanded link targets: both are used as given (an empty cell is no hashtag or
  link). ``user_mentions`` are user ids, not handles, so they are not ``mentions`` (which hold
  handles): mentions are extracted from the text at store time and the ids stay in ``raw``.
- Metrics: ``like_count``, ``retweet_count``, ``quote_count``, ``reply_count`` and the
  account's ``follower_count``/``following_count`` when the tweet was archived
  (``account_followers``, ``account_following``).
- Accounts: the profile fields with the counts of the latest tweet; ``account_creation_date``
  is the account's creation day (UTC). The archive has no analyst labels: add your own.
- ``latitude``/``longitude`` (``absent`` or numbers), ``tweet_client_name``,
  ``poll_choices`` and everything else unmapped stay in ``raw``.
"""

from __future__ import annotations

from infoscope.ingest.formats import ReadContext, TabularFormat, register
from infoscope.ingest.sql import (
    bigint,
    column_getter,
    id_text,
    json_of,
    lit,
    metrics_map,
    provenance,
    retweet_prefix_handle,
    split_list,
    timestamp,
    url_list,
)

__all__ = ["IoArchive"]

TWEET_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
ACCOUNT_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
METRICS = (
    ("like_count", "like_count"),
    ("retweet_count", "retweet_count"),
    ("quote_count", "quote_count"),
    ("reply_count", "reply_count"),
    ("account_followers", "follower_count"),
    ("account_following", "following_count"),
)
# Columns mapped one to one to post fields; the rest of a row is kept in ``raw``.
MAPPED = (
    "tweetid",
    "userid",
    "user_screen_name",
    "tweet_text",
    "tweet_time",
    "tweet_language",
    "hashtags",
    "urls",
    "is_retweet",
    "like_count",
    "retweet_count",
    "quote_count",
    "reply_count",
    "follower_count",
    "following_count",
)
# Profile columns, kept with the account rather than with every tweet.
PROFILE = (
    "user_display_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "account_creation_date",
    "account_language",
)


class IoArchive(TabularFormat):
    name = "io-archive"
    description = "Twitter information-operations archive (state-backed networks, 2018-2021)"
    markers = frozenset({"tweetid", "userid", "tweet_text", "tweet_time", "is_retweet"})
    required = frozenset({"tweetid", "userid", "tweet_text", "tweet_time"})
    date_column = "tweet_time"

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        col = column_getter(columns)

        def ref(name: str) -> str:
            return f"nullif({id_text(col(name))}, '')"

        platform = lit(ctx.platform or "twitter")
        prov = provenance(self.name, ctx.run_id)
        created = timestamp("tweet_time", *(ctx.date_formats or TWEET_TIME_FORMATS))
        is_retweet = f"lower(trim({col('is_retweet')})) IN ('true', '1', 'yes')"
        kind = (
            f"CASE WHEN {is_retweet} THEN 'retweet' "
            f"WHEN {ref('quoted_tweet_tweetid')} IS NOT NULL THEN 'quote' "
            f"WHEN {ref('in_reply_to_tweetid')} IS NOT NULL "
            f"OR {ref('in_reply_to_userid')} IS NOT NULL THEN 'reply' "
            "ELSE 'original' END"
        )
        ref_post = (
            f"CASE WHEN {is_retweet} THEN {ref('retweet_tweetid')} "
            f"ELSE coalesce({ref('quoted_tweet_tweetid')}, {ref('in_reply_to_tweetid')}) END"
        )
        ref_account = (
            f"CASE WHEN {is_retweet} THEN {ref('retweet_userid')} "
            f"WHEN {ref('quoted_tweet_tweetid')} IS NOT NULL THEN NULL "
            f"ELSE {ref('in_reply_to_userid')} END"
        )
        hashtags = split_list(col("hashtags"), strip="#") if "hashtags" in columns else "NULL"
        urls = f"coalesce({url_list(col('urls'))}, [])" if "urls" in columns else "NULL"
        metrics = metrics_map((k, bigint(col(c))) for k, c in METRICS)
        raw_json = json_of(
            columns, exclude=MAPPED + PROFILE + ("follower_count", "following_count")
        )
        posts = f"""
            SELECT {platform} AS platform,
                   nullif({id_text("tweetid")}, '') AS post_id,
                   nullif(trim(userid), '') AS account_id,
                   nullif(trim({col("user_screen_name")}), '') AS account_handle,
                   {created} AS created_at,
                   tweet_text AS text,
                   nullif(trim({col("tweet_language")}), '') AS lang,
                   {kind} AS kind,
                   {ref_post} AS ref_post_id,
                   {ref_account} AS ref_account_id,
                   CASE WHEN {is_retweet} THEN {retweet_prefix_handle("tweet_text")} END
                     AS ref_account_handle,
                   {hashtags}::VARCHAR[] AS hashtags,
                   {urls}::VARCHAR[] AS urls,
                   {metrics} AS metrics,
                   {raw_json} AS raw,
                   {prov},
                   tweet_time AS _created_raw,
                   tweetid AS _id_raw
            FROM raw
        """
        order = f"coalesce({created}, TIMESTAMPTZ '1970-01-01 00:00:00+00')"

        def latest(expr: str) -> str:
            """The value of the account's latest tweet that has one."""
            return f"arg_max({expr}, {order}) FILTER (WHERE ({expr}) IS NOT NULL)"

        def text(name: str) -> str:
            return f"nullif(trim({col(name)}), '')"

        account_created = timestamp(col("account_creation_date"), *ACCOUNT_DATE_FORMATS)
        accounts = f"""
            SELECT {platform} AS platform, trim(userid) AS account_id,
                   {latest(text("user_screen_name"))} AS handle,
                   {latest(text("user_display_name"))} AS display_name,
                   {latest(text("user_profile_description"))} AS description,
                   {latest(text("user_reported_location"))} AS location,
                   {latest(text("account_language"))} AS profile_lang,
                   min({account_created}) AS created_at,
                   {latest(bigint(col("follower_count")))} AS followers,
                   {latest(bigint(col("following_count")))} AS following,
                   {latest(text("user_profile_url"))} AS url,
                   min(_source) AS source, NULL::BIGINT AS source_line,
                   min(_record) AS source_record,
                   {lit(self.name)} AS format, {lit(ctx.run_id)} AS ingest_run
            FROM raw WHERE userid IS NOT NULL AND trim(userid) <> '' GROUP BY ALL
        """
        return {"posts": posts, "accounts": accounts}


register(IoArchive())
