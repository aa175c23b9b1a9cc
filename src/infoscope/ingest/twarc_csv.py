"""CSV of API v2 tweets written by twarc-csv (``twarc2 csv tweets.jsonl tweets.csv``).

twarc-csv (github.com/DocNow/twarc-csv) flattens each tweet with ``twarc.expansions.flatten``
and writes it with pandas under dotted column names (its ``DEFAULT_TWEET_COLUMNS``): ``id``,
``conversation_id``, ``referenced_tweets.replied_to.id``, ``referenced_tweets.retweeted.id``,
``referenced_tweets.quoted.id``, ``author_id``, ``in_reply_to_user_id``,
``retweeted_user_id``, ``quoted_user_id``, ``created_at``, ``text``, ``lang``,
``public_metrics.*_count``, ``entities.hashtags``/``mentions``/``urls`` (JSON lists in the
cells), ``attachments.media_keys``, ``author.id``, ``author.username``, ``author.name``,
``author.description``, ``author.location``, ``author.created_at``,
``author.public_metrics.*_count``, ``author.verified``, ``author.url``, ``geo.*``,
``__twarc.*`` and more. Recent releases add ``in_reply_to_username``, ``retweeted_username``
and ``quoted_username``, and write entity cells as plain strings (``["#tag"]``,
``["@user"]``, ``["https://..."]``); older ones write the API's entity objects
(``[{"start": 0, "end": 4, "tag": "tag"}]``). Both are read; columns a release lacks are NULL.

Detection: the header has ``id``, ``text``, ``author_id``, ``created_at``,
``referenced_tweets.retweeted.id`` and ``referenced_tweets.replied_to.id``.

Mapping
-------
- Kind: a ``referenced_tweets.retweeted.id`` makes a retweet (``ref_account_id``
  ``retweeted_user_id``), else ``referenced_tweets.quoted.id`` a quote (``quoted_user_id``),
  else ``referenced_tweets.replied_to.id`` a reply (``in_reply_to_user_id``); handles from the
  ``*_username`` columns when present. Same order as the JSON formats.
- twarc-csv already replaces a retweet's truncated ``RT @user: ...`` text, entities and
  metrics by the retweeted tweet's (its ``merge_retweets``), so ``text`` is used as is, except
  that the ``\\n`` twarc-csv writes for a line break is turned back into one (a literal
  backslash-n in a tweet is therefore read as a line break too).
- ``created_at`` (``2022-01-01T10:00:00.000Z``) is UTC; rows whose date does not parse are
  quarantined by the pipeline.
- Hashtags and mentions lower-cased without ``#``/``@``; URLs are the expanded URLs (media
  links, written as ``pic.twitter.com/...`` or carrying a ``media_key``, are left out, as in
  the JSON formats); an empty entity cell means "extract from the text" at store time.
  ``media_ids`` from ``attachments.media_keys``; ``metrics`` from ``public_metrics.*``.
  ``raw`` keeps the other columns (``conversation_id``, ``geo.*``, ``context_annotations``,
  twarc's ``__twarc.*`` stamp, ...) as JSON.
- Accounts: the author of every row (``author.*``; ``url`` is the expanded profile link from
  ``author.entities.url.urls`` when given), plus an id-and-handle account for each replied-to,
  retweeted and quoted user the row names.
"""

from __future__ import annotations

from infoscope.ingest.formats import ReadContext, TabularFormat, register
from infoscope.ingest.sql import (
    bigint,
    column_getter,
    id_text,
    ident,
    json_of,
    lit,
    provenance,
    timestamp,
)

__all__ = ["TwarcCsv"]

DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S.%gZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")
TWEET_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "impression_count",
    "bookmark_count",
)
# (referenced_tweets type, kind, referenced user id column, referenced username column)
REFERENCES = (
    ("retweeted", "retweet", "retweeted_user_id", "retweeted_username"),
    ("quoted", "quote", "quoted_user_id", "quoted_username"),
    ("replied_to", "reply", "in_reply_to_user_id", "in_reply_to_username"),
)


def _entity_list(cell: str, key: str, element: str) -> str:
    """SQL: the JSON list in `cell` as text, each item a string or an object's `key`.

    `element` is an SQL expression over ``x`` (the item's text) applied to every item; items
    for which it is NULL or empty are dropped. A cell that is not a JSON list gives NULL.
    """
    items = (
        f"list_transform(json_extract({cell}, '$[*]'), lambda e: CASE "
        f"WHEN json_type(e) = 'VARCHAR' THEN e->>'$' "
        f"WHEN e->>'media_key' IS NULL THEN coalesce(e->>'{key}', e->>'url') END)"
    )
    mapped = f"list_transform({items}, lambda x: {element})"
    return (
        f"CASE WHEN json_valid({cell}) AND json_type({cell}::JSON) = 'ARRAY' THEN "
        f"list_filter({mapped}, lambda x: x IS NOT NULL AND x <> '') END"
    )


class TwarcCsv(TabularFormat):
    name = "twarc-csv"
    description = "CSV of API v2 tweets written by twarc-csv (twarc2 csv), dotted column names"
    markers = frozenset(
        {
            "id",
            "text",
            "author_id",
            "created_at",
            "referenced_tweets.retweeted.id",
            "referenced_tweets.replied_to.id",
        }
    )
    required = frozenset({"id", "created_at", "text"})
    date_column = "created_at"

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        have = set(columns)

        col = column_getter(have)

        def idcol(name: str) -> str:
            return f"nullif({id_text(col(name))}, '')"

        def unescape(name: str) -> str:
            return f"replace({col(name)}, '\\n', chr(10))"

        platform = lit(ctx.platform or "twitter")
        prov = provenance(self.name, ctx.run_id)
        created = timestamp(col("created_at"), *(ctx.date_formats or DATE_FORMATS))

        refs = [(idcol(f"referenced_tweets.{t}.id"), k, u, n) for t, k, u, n in REFERENCES]

        def first_reference(values: list[str], default: str = "NULL") -> str:
            """SQL: the value for the first reference the row has (retweet, quote, reply)."""
            whens = " ".join(
                f"WHEN {ref} IS NOT NULL THEN {value}"
                for (ref, _, _, _), value in zip(refs, values, strict=True)
            )
            return f"CASE {whens} ELSE {default} END"

        kind = first_reference([lit(k) for _, k, _, _ in refs], "'original'")
        ref_post = first_reference([ref for ref, _, _, _ in refs])
        ref_account = first_reference([idcol(u) for _, _, u, _ in refs])
        ref_handle = first_reference([f"ltrim({col(n)}, '@')" for _, _, _, n in refs])

        metric_cols = [m for m in TWEET_METRICS if f"public_metrics.{m}" in have]
        if metric_cols:
            entries = ", ".join(
                f"({lit(m)}, {bigint(ident('public_metrics.' + m))})" for m in metric_cols
            )
            filtered = f"list_filter([{entries}], lambda e: e[2] IS NOT NULL)"
            metrics = f"CASE WHEN len({filtered}) > 0 THEN map_from_entries({filtered}) END"
        else:
            metrics = "NULL::MAP(VARCHAR, BIGINT)"

        def entities(name: str, key: str, element: str) -> str:
            # An absent column is no list: DuckDB's list lambdas refuse the JSON that
            # json_extract makes of a NULL constant.
            return _entity_list(ident(name), key, element) if name in have else "NULL::VARCHAR[]"

        hashtags = entities("entities.hashtags", "tag", "lower(ltrim(x, '#＃'))")
        mentions = entities("entities.mentions", "username", "lower(ltrim(x, '@＠'))")
        urls = entities("entities.urls", "expanded_url", "CASE WHEN contains(x, '://') THEN x END")
        media = entities("attachments.media_keys", "media_key", "x")
        mapped = {
            "id",
            "author_id",
            "created_at",
            "text",
            "lang",
            "entities.hashtags",
            "entities.mentions",
            "entities.urls",
            "attachments.media_keys",
            *(f"public_metrics.{m}" for m in metric_cols),
            *(f"referenced_tweets.{t}.id" for t, _, _, _ in REFERENCES),
            *(c for _, _, u, n in REFERENCES for c in (u, n)),
        }
        tweet_cols = [c for c in columns if not c.startswith(("author.", "in_reply_to_user."))]
        posts = f"""
            SELECT {platform} AS platform,
                   {idcol("id")} AS post_id,
                   coalesce({idcol("author_id")}, {idcol("author.id")}) AS account_id,
                   {col("author.username")} AS account_handle,
                   {created} AS created_at,
                   {unescape("text")} AS text,
                   nullif(trim({col("lang")}), '') AS lang,
                   {kind} AS kind,
                   {ref_post} AS ref_post_id,
                   {ref_account} AS ref_account_id,
                   {ref_handle} AS ref_account_handle,
                   {hashtags} AS hashtags,
                   {mentions} AS mentions,
                   {urls} AS urls,
                   {media} AS media_ids,
                   {metrics} AS metrics,
                   {json_of(tweet_cols, exclude=mapped)} AS raw,
                   {prov},
                   {col("created_at")} AS _created_raw,
                   {col("id")} AS _id_raw
            FROM raw
        """

        def acol(name: str) -> str:
            return col(f"author.{name}")

        profile_url = (
            f"CASE WHEN json_valid({acol('entities.url.urls')}) "
            f"THEN json_extract_string({acol('entities.url.urls')}, '$[#-1].expanded_url') END"
        )
        verified = (
            f"CASE lower(trim({acol('verified')})) WHEN 'true' THEN true "
            "WHEN 'false' THEN false END"
        )
        author_cols = [c for c in columns if c.startswith("author.")]
        authors = f"""
            SELECT {platform} AS platform,
                   coalesce({idcol("author.id")}, {idcol("author_id")}) AS account_id,
                   {acol("username")} AS handle,
                   {acol("name")} AS display_name,
                   nullif({unescape("author.description")}, '') AS description,
                   nullif({unescape("author.location")}, '') AS location,
                   {timestamp(acol("created_at"), *DATE_FORMATS)} AS created_at,
                   {bigint(acol("public_metrics.followers_count"))} AS followers,
                   {bigint(acol("public_metrics.following_count"))} AS following,
                   {bigint(acol("public_metrics.tweet_count"))} AS posts_count,
                   {bigint(acol("public_metrics.like_count"))} AS favourites,
                   {bigint(acol("public_metrics.listed_count"))} AS listed,
                   {verified} AS verified,
                   coalesce({profile_url}, nullif({acol("url")}, '')) AS url,
                   {json_of(author_cols)} AS raw,
                   {prov}
            FROM raw
        """
        selects = [f"SELECT * FROM ({authors}) WHERE account_id IS NOT NULL"]
        selects += [
            f"SELECT {platform} AS platform, {idcol(u)} AS account_id, "
            f"ltrim({col(n)}, '@') AS handle, {prov} FROM raw WHERE {idcol(u)} IS NOT NULL"
            for _, _, u, n in REFERENCES
            if u in have
        ]
        if "in_reply_to_user.id" in have:
            # Older releases flatten the replied-to user's profile as in_reply_to_user.*.
            selects.append(
                f"SELECT {platform} AS platform, {idcol('in_reply_to_user.id')} AS account_id, "
                f"{col('in_reply_to_user.username')} AS handle, "
                f"{col('in_reply_to_user.name')} AS display_name, {prov} FROM raw "
                f"WHERE {idcol('in_reply_to_user.id')} IS NOT NULL"
            )
        return {"posts": posts, "accounts": " UNION ALL BY NAME ".join(selects)}


register(TwarcCsv())
