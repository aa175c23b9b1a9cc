"""Twitter API v1.1 user objects flattened to CSV, one account per row.

This is how account lists are usually shared (for example NBC News' release of 454 IRA account
profiles): the columns are v1.1 user field names, ``id, screen_name, name, description,
location, time_zone, lang, created_at ("Wed Jan 07 04:38:02 +0000 2009"), followers_count,
friends_count, statuses_count, favourites_count, listed_count, verified`` (any subset beyond
``id`` and ``screen_name``, in any order). Each row gives one `Account`; the free-text
``location`` and ``time_zone`` are stored as the account claims them (where an account *is* is
a later, evidence-based step). Columns not mapped stay in ``raw``. A ``created_at`` that does
not parse leaves the field NULL with the text kept in ``raw``.

Recognised by ``id``, ``screen_name`` and ``followers_count`` with no tweet text column.
"""

from __future__ import annotations

from infoscope.ingest.formats import ReadContext, Sniff, TabularFormat, register
from infoscope.ingest.sql import bigint, id_text, ident, json_of, lit, provenance, timestamp

__all__ = ["TwitterUsersCsv"]

_FIELDS = {
    "screen_name": "handle",
    "name": "display_name",
    "description": "description",
    "location": "location",
    "time_zone": "time_zone",
    "lang": "profile_lang",
    "url": "url",
}
_COUNTS = {
    "followers_count": "followers",
    "friends_count": "following",
    "statuses_count": "posts_count",
    "favourites_count": "favourites",
    "listed_count": "listed",
}


class TwitterUsersCsv(TabularFormat):
    name = "twitter-users-csv"
    description = "Twitter v1.1 user objects flattened to CSV (account lists, e.g. NBC's IRA users)"
    markers = frozenset({"id", "screen_name", "followers_count"})
    required = frozenset({"id", "screen_name"})

    def detect(self, sniff: Sniff) -> int:
        if {"text", "full_text", "tweet_text", "content"} & set(sniff.columns):
            return 0
        return super().detect(sniff)

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        have = set(columns)
        exprs = [
            f"{lit(ctx.platform or 'twitter')} AS platform",
            f"{id_text('id')} AS account_id",
        ]
        exprs += [f"{ident(src)} AS {dst}" for src, dst in _FIELDS.items() if src in have]
        exprs += [f"{bigint(ident(src))} AS {dst}" for src, dst in _COUNTS.items() if src in have]
        if "verified" in have:
            exprs.append("try_cast(verified AS BOOLEAN) AS verified")
        mapped = {"id", "created_at", "verified", *_FIELDS, *_COUNTS}
        raw = json_of(columns, exclude=mapped)
        if "created_at" in have:
            created = timestamp("created_at", *(ctx.date_formats or ("%a %b %d %H:%M:%S %z %Y",)))
            exprs.append(f"{created} AS created_at")
            # A date that does not parse is kept as text in raw.
            keep_date = json_of(columns, exclude=mapped - {"created_at"})
            raw = (
                f"CASE WHEN {created} IS NULL AND created_at IS NOT NULL "
                f"THEN {keep_date} ELSE {raw} END"
            )
        exprs.append(f"{raw} AS raw")
        exprs.append(provenance(self.name, ctx.run_id))
        return {"accounts": f"SELECT {', '.join(exprs)} FROM raw"}


register(TwitterUsersCsv())
