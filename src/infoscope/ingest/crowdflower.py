"""CrowdFlower ("Data for Everyone") annotated tweet exports.

CrowdFlower, later Figure Eight, published crowd-annotated tweet sets as CSV: the first 2015 US
Republican debate ("GOP debate", also on Kaggle as ``Sentiment.csv``), US airline sentiment
(``Tweets.csv``) and others. Each row is one tweet with the job's annotation columns
(``sentiment``, ``candidate``, ... with ``*_confidence`` and ``*_gold``) and the tweet's
``name`` (the author's screen name), ``text``, ``tweet_created``, ``tweet_id``,
``retweet_count``, ``tweet_coord``, ``tweet_location`` and ``user_timezone``.

Mapping and decisions:

- Identifiers. The files were saved through a spreadsheet, so ``tweet_id`` kept 15
  significant digits (``629697200650592000``), or fewer when re-saved again
  (``5.70306E+17``): ids are not exact, and tweets round to the same one. A rounded id (15+
  digits ending ``000``, flagged ``_id_suspect``) or one in float notation is not trusted
  (`infoscope.ingest.staging`): it gets the first 8 hex digits of the MD5 of author and text
  appended, ``629697200650592000-1a2b3c4d``, and is counted in the summary. An exact id (the
  airline file) is kept as it is. The same tweet annotated twice (33 rows of the GOP
  file) is the same post: the second row is counted as a duplicate and its annotations are not
  kept.
- Time. ``tweet_created`` (``8/7/15 9:54``) has no zone. It is US Pacific time: the creation
  time encoded in each tweet id (Twitter's snowflake, ``(id >> 22) + 1288834974657`` ms since
  the epoch, UTC) is 7 hours (PDT) after it on every row of the GOP file. ``created_at`` is that
  snowflake time, precise to the second, when the id is written as digits (not re-saved in
  float notation) and is a snowflake within a day of ``tweet_created``; otherwise
  ``tweet_created`` read as America/Los_Angeles time (or with its own offset, as in
  ``2015-02-24 11:35:52 -0800``). ``tweet_created`` is read with
  ``--date-format`` when given; else a column of numeric dates has its day/month order detected
  from its values (``24-02-2015 11:35`` is day-first; month-first is assumed when no value
  tells). A row whose ``tweet_created`` does not parse is quarantined with the value.
- Accounts. The export has no user ids: an account's id is ``@`` plus its lower-case screen
  name (handles are case-insensitive; the ``@`` keeps these ids apart from numeric ones), its
  handle the screen name as written. ``user_timezone`` and ``tweet_location`` are the profile's
  free-text time zone and location.
- Retweets. A text starting ``RT @user`` is a retweet (kind ``retweet``,
  ``ref_account_handle`` the lower-case user; the referenced tweet's id is unknown); the text is
  kept as written.
- ``retweet_count`` is the metric ``retweet_count``. The annotations are judgements about the
  tweet, not about its account, so they stay in ``raw`` with every other column.
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
    rounded_id,
)

__all__ = ["CrowdFlowerTweets", "created_at_sql"]

LOCAL_ZONE = "America/Los_Angeles"
LOCAL_FORMATS = ("%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%m/%d/%y %H:%M %z")
TWITTER_EPOCH_MS = 1288834974657
# Any time zone is within 14 hours of UTC; a snowflake further from the local time is not the
# same tweet's time (a rounded pre-2010 id, or a wrong column).
MAX_SNOWFLAKE_GAP_S = 86400


def _formats(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(lit(f) for f in formats) + "]"


def created_at_sql(
    created: str,
    tweet_id: str,
    local_formats: tuple[str, ...] = LOCAL_FORMATS,
    *,
    raw_id: str = "tweet_id",
) -> str:
    """``created_at`` from the snowflake of `tweet_id` (the repaired id; `raw_id` is the id as
    written), else `created` as Pacific time (read with `local_formats` unless it carries its
    own offset)."""
    text = f"trim({created})"
    local = (
        f"CASE WHEN regexp_matches({text}, ' [+-][0-9]{{2}}:?[0-9]{{2}}$') "
        f"THEN try_strptime({text}, {_formats(OFFSET_FORMATS)}) "
        f"ELSE timezone({lit(LOCAL_ZONE)}, try_strptime({text}, {_formats(local_formats)})) END"
    )
    # An id re-saved in float notation (5.70306E+17) keeps too few digits for its snowflake
    # to be the tweet's time: only an id written as digits is used.
    number = (
        f"CASE WHEN NOT regexp_matches(trim({raw_id}), '[.eE]') "
        f"THEN try_cast({tweet_id} AS HUGEINT) END"
    )
    snowflake = (
        f"CASE WHEN {number} > 1000000000000000 "
        f"THEN to_timestamp((({number} >> 22) + {TWITTER_EPOCH_MS})::DOUBLE / 1000) END"
    )
    return (
        f"CASE WHEN abs(epoch({snowflake}) - epoch({local})) < {MAX_SNOWFLAKE_GAP_S} "
        f"THEN {snowflake} ELSE {local} END"
    )


class CrowdFlowerTweets(TabularFormat):
    name = "crowdflower-tweets"
    description = "CrowdFlower 'Data for Everyone' annotated tweets (GOP debate, airlines, ...)"
    markers = frozenset(
        {"name", "text", "tweet_created", "tweet_id", "tweet_location", "user_timezone"}
    )
    required = frozenset({"name", "text", "tweet_created", "tweet_id"})
    date_column = "tweet_created"

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        col = column_getter(columns)

        platform = lit(ctx.platform or "twitter")
        prov = provenance(self.name, ctx.run_id)
        tweet_id = id_text("tweet_id")
        account_id = "'@' || lower(trim(name))"
        rt_handle = retweet_prefix_handle("text")
        metrics = metrics_map([("retweet_count", bigint(col("retweet_count")))])
        posts = f"""
            SELECT {platform} AS platform,
                   {tweet_id} AS post_id,
                   {account_id} AS account_id,
                   trim(name) AS account_handle,
                   {created_at_sql("tweet_created", tweet_id, ctx.date_formats or LOCAL_FORMATS)}
                       AS created_at,
                   text,
                   NULL::VARCHAR AS lang,
                   CASE WHEN {rt_handle} IS NOT NULL THEN 'retweet' ELSE 'original' END AS kind,
                   {rt_handle} AS ref_account_handle,
                   {metrics} AS metrics,
                   {json_of(columns, exclude=("name", "text"))} AS raw,
                   {prov},
                   tweet_created AS _created_raw,
                   tweet_id AS _id_raw,
                   {rounded_id(tweet_id, zeros=3)} AS _id_suspect
            FROM raw
        """
        accounts = f"""
            SELECT {platform} AS platform, {account_id} AS account_id,
                   trim(name) AS handle,
                   nullif(trim({col("tweet_location")}), '') AS location,
                   nullif(trim({col("user_timezone")}), '') AS time_zone,
                   {prov}
            FROM raw WHERE name IS NOT NULL AND trim(name) <> ''
        """
        return {"posts": posts, "accounts": accounts}


register(CrowdFlowerTweets())
