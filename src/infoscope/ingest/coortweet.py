"""Shares in CooRTweet's input layout: ``object_id, account_id, content_id, timestamp_share``.

CooRTweet (Righetti & Balluff, the R package for coordinated-behaviour detection) takes one row
per share: ``account_id`` shared ``object_id`` (for co-retweet data, the retweeted tweet) in its
own post ``content_id`` at ``timestamp_share`` (Unix epoch seconds, UTC). The package ships
real co-retweet data of pro-government Russian Twitter (Kulichkina, Righetti & Waldherr 2024),
anonymised with SHA-256, in this layout.

Each row is one share and becomes a `Post` of kind ``retweet`` with ``ref_post_id`` =
``object_id``. One post can share several objects (the real data has 39 such posts), so the
``post_id`` names the share, ``<content_id>:<object_id>``, and ``content_id`` is kept in
``raw``; only an identical row is a duplicate. The author of the shared object is not in the
data, so
``ref_account_*`` stay NULL. There is no text. ``--platform`` names the platform (default
``twitter``). Other object types (URLs, hashtags) in the same layout are mapped the same way;
use the generic formats when the object is not a post.
"""

from __future__ import annotations

from infoscope.ingest.formats import ReadContext, TabularFormat, register
from infoscope.ingest.sql import id_text, json_of, lit, provenance, timestamp

__all__ = ["CoortweetShares"]


class CoortweetShares(TabularFormat):
    name = "coortweet"
    description = (
        "Shares in CooRTweet's layout (object_id, account_id, content_id, timestamp_share)"
    )
    markers = frozenset({"object_id", "account_id", "content_id", "timestamp_share"})
    required = markers

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        platform = lit(ctx.platform or "twitter")
        # Epoch seconds; a number past the range of a timestamp (a damaged value) is no date,
        # so its row is quarantined.
        created = (
            timestamp("timestamp_share", *ctx.date_formats)
            if ctx.date_formats
            else "try(to_timestamp(try_cast(timestamp_share AS DOUBLE)))"
        )
        mapped = ("object_id", "account_id", "timestamp_share")
        posts = f"""
            SELECT {platform} AS platform,
                   {id_text("content_id")} || ':' || {id_text("object_id")} AS post_id,
                   {id_text("account_id")} AS account_id, 'retweet' AS kind,
                   {id_text("object_id")} AS ref_post_id, {created} AS created_at,
                   []::VARCHAR[] AS hashtags, []::VARCHAR[] AS mentions, []::VARCHAR[] AS urls,
                   {json_of(columns, exclude=mapped)} AS raw,
                   {provenance(self.name, ctx.run_id)}, timestamp_share AS _created_raw
            FROM raw
        """
        accounts = f"""
            SELECT DISTINCT {platform} AS platform, {id_text("account_id")} AS account_id,
                   min(_source) OVER () AS source, {lit(self.name)} AS format,
                   {lit(ctx.run_id)} AS ingest_run
            FROM raw
        """
        return {"posts": posts, "accounts": accounts}


register(CoortweetShares())
