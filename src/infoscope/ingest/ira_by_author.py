"""IRA tweets redistributed one CSV per author, with ``authors.csv`` (bet4a's layout).

The per-author files have the columns ``author_id, content, region, language, publish_date,
harvested_date, following, followers, updates, post_type, retweet``; ``authors.csv`` gives
each account's ``account_type`` and ``account_category`` (RightTroll, LeftTroll, NewsFeed, ...),
which become analyst labels. Read the ``.tar.xz`` directly: ``infoscope ingest
ira-tweets-by-author.tar.xz``.

The source has no tweet ids, so a post's id is ``ira-`` plus the MD5 of all its fields: an
identical row is a duplicate. ``post_type`` R/Q give retweets and quotes; IRA retweets carry the
original text but not its author, so ``ref_account_*`` stay unknown (NULL), never guessed.
``publish_date`` (``2017-09-07 19:52:00``) is UTC. ``following``, ``followers`` and
``updates`` are the account's counts when the tweet was harvested; they are kept as post
metrics and the latest are the account's counts.

Accounts: the redistribution identifies authors by handle only (``authors.csv``'s
``external_author_id`` was rounded by a spreadsheet for many accounts), so the account id is
``@`` plus the lower-case handle, the convention every infoscope format uses when a source has
no usable numeric id; the same account from the 538 files or a control corpus then merges.
"""

from __future__ import annotations

from infoscope.ingest.formats import ReadContext, TabularFormat, register
from infoscope.ingest.sql import (
    bigint,
    column_getter,
    ident,
    json_of,
    lit,
    metrics_map,
    provenance,
    timestamp,
)

__all__ = ["IraAuthors", "IraByAuthor"]

# Authors are named by handle only: '@' + lower-case handle is the account id.
HANDLE_ID = "'@' || lower(trim(author_id))"

TWEET_COLUMNS = (
    "author_id",
    "content",
    "region",
    "language",
    "publish_date",
    "harvested_date",
    "following",
    "followers",
    "updates",
    "post_type",
    "retweet",
)


# Columns held by post fields; the others stay in raw (following/followers/updates are kept
# there as text too: the metrics are their parsed values).
_MAPPED = ("author_id", "content", "language", "publish_date", "post_type")


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


class IraByAuthor(TabularFormat):
    name = "ira-by-author"
    description = "IRA tweets, one CSV per author (FiveThirtyEight data redistributed by author)"
    markers = frozenset({"author_id", "content", "publish_date", "post_type", "retweet"})
    required = frozenset({"author_id", "content", "publish_date"})
    date_column = "publish_date"

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        # Only the required columns are sure to be there (a file named with --format may
        # lack the others): those read as NULL when absent.
        col = column_getter(columns)
        platform = lit(ctx.platform or "twitter")
        hashed = ", ".join(f"coalesce({ident(c)}, '')" for c in columns)
        created = timestamp("publish_date", *(ctx.date_formats or DATE_FORMATS))
        prov = provenance(self.name, ctx.run_id)
        kind = (
            f"CASE upper(trim({col('post_type')})) WHEN 'R' THEN 'retweet' WHEN 'Q' THEN 'quote' "
            "ELSE 'original' END"
        )
        following, followers, updates = (
            bigint(col(c)) for c in ("following", "followers", "updates")
        )
        metrics = metrics_map(
            [
                ("account_following", following),
                ("account_followers", followers),
                ("account_posts", updates),
            ]
        )
        posts = f"""
            SELECT {platform} AS platform,
                   'ira-' || md5(concat_ws(chr(31), {hashed})) AS post_id,
                   {HANDLE_ID} AS account_id,
                   trim(author_id) AS account_handle,
                   {created} AS created_at,
                   content AS text,
                   {col("language")} AS lang,
                   {kind} AS kind,
                   {metrics} AS metrics,
                   {json_of(columns, exclude=_MAPPED)} AS raw,
                   {prov},
                   publish_date AS _created_raw
            FROM raw
        """
        accounts = f"""
            SELECT {platform} AS platform, {HANDLE_ID} AS account_id,
                   min(trim(author_id)) AS handle,
                   arg_max({followers}, {created}) AS followers,
                   arg_max({following}, {created}) AS following,
                   arg_max({updates}, {created}) AS posts_count,
                   min(_source) AS source, NULL::BIGINT AS source_line,
                   NULL::BIGINT AS source_record,
                   {lit(self.name)} AS format, {lit(ctx.run_id)} AS ingest_run
            FROM raw WHERE author_id IS NOT NULL GROUP BY ALL
        """
        return {"posts": posts, "accounts": accounts}


class IraAuthors(TabularFormat):
    name = "ira-authors"
    description = "authors.csv of the by-author IRA redistribution: account types and categories"
    markers = frozenset({"author_id", "author", "external_author_id", "account_category"})
    required = frozenset({"author_id", "account_category"})

    def detect(self, sniff):  # type: ignore[no-untyped-def]
        # The per-tweet 538 schema shares these columns; authors.csv has no tweet content.
        return 0 if "content" in sniff.columns else super().detect(sniff)

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        platform = lit(ctx.platform or "twitter")
        prov = provenance(self.name, ctx.run_id)
        handle = "coalesce(author, author_id)" if "author" in columns else "author_id"
        accounts = f"""
            SELECT {platform} AS platform, {HANDLE_ID} AS account_id,
                   trim({handle}) AS handle,
                   {json_of(columns, exclude=("author_id", "author"))} AS raw, {prov}
            FROM raw
        """
        label_cols = [c for c in ("account_category", "account_type") if c in columns]
        labels = " UNION ALL ".join(
            f"SELECT {platform} AS platform, {HANDLE_ID} AS account_id, "
            f"{lit(c)} AS label_key, trim({ident(c)}) AS label_value, {prov} FROM raw "
            "WHERE author_id IS NOT NULL"  # a row without an author labels no one
            for c in label_cols
        )
        return {"accounts": accounts, "labels": labels}


register(IraByAuthor())
register(IraAuthors())
