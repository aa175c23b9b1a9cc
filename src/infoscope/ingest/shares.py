"""Shares of any object: one row per object a post shares, of any type and any platform.

Coordination studies that span platforms and modalities describe each post by the objects it
shares: URLs, domains, hashtags, images (perceptual hashes), media ids, shared posts. CooRTweet
(Righetti & Balluff) takes such data one object type at a time (``object_id, account_id,
content_id, timestamp_share``, read by the `coortweet` format as retweets); its German 2021
election data (Righetti et al. 2022: Facebook pages and Twitter accounts) holds several types
side by side. This format reads both layouts:

- **long**: ``account_id``, ``object_type``, ``object_id`` (or ``object_value``), ``content_id``
  (or ``post_id``) and a time column (``timestamp_share``, ``timestamp``, ``created_at`` or
  ``time``), one row per share. ``object_type`` is one of `infoscope.records.OBJECT_TYPES`;
  common synonyms are read as them (``link`` as ``url``; ``phash``, ``image_hash`` as
  ``image``; ``media_id`` as ``media``; ``repost``, ``forward``, ``reblog``, ``boost`` as
  ``retweet``); another word is kept lower-cased (no trace reads it) and a blank one is
  ``other``.
- **wide**, the German election layout: ``account_id``, ``post_id`` (or ``content_id``), a
  time column and one or more typed object columns ``url_id``, ``domain_id``, ``hashtag_id``,
  ``phash_id`` or ``image_id`` (an image), ``media_id``; each non-blank cell of a row is one
  share of its column's type, so the rows of a post (one per combination of its objects, up
  to 20 in that data) give its objects once each.

Optional columns: ``platform`` (lower-cased; ``--platform`` fills blank cells and names the
platform of a file without the column, ``unknown`` otherwise), ``account_handle`` (or
``handle``, ``screen_name``), ``text``. Times are Unix epoch seconds (milliseconds from
1e11 on) or ISO 8601 text (UTC unless an offset is given), or ``--date-format``. Blank cells
and ``NA`` (R's missing value, as ``write.csv`` writes it) are missing values.

Every share is stored in the ``shares`` table (platform, post, account, time, object type and
value, with the row's provenance); a share already stored is a duplicate. Values are
normalised as posts' are: URLs as `infoscope.text.normalize_url` does, hashtags case-folded
without ``#``, domains lower-cased without scheme or ``www.``, image hashes lower-cased, ids
written as floats (``17.0``) as integers. Each post is also stored once, as the first of its
rows says, with its objects as post fields (URLs, hashtags sorted, media ids; image hashes
are shares only; its first shared post as ``ref_post_id``, with kind ``retweet``, ``quote`` or
``reply``), so that every analysis sees it; posts whose rows span two ingest batches keep the
first batch's fields, and the coordination traces read the shares themselves. Unmapped columns
are kept in ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass

from infoscope.common.urls import DOMAIN_PATTERN
from infoscope.errors import MissingColumnError
from infoscope.ingest.formats import ReadContext, Sniff, TabularFormat, register
from infoscope.ingest.sql import id_text, ident, json_of, lit, provenance, timestamp

__all__ = ["OBJECT_TYPE_SYNONYMS", "WIDE_COLUMNS", "ObjectShares", "layout_of"]

POST_COLUMNS = ("content_id", "post_id")
TIME_COLUMNS = ("timestamp_share", "timestamp", "created_at", "time")
VALUE_COLUMNS = ("object_id", "object_value")
HANDLE_COLUMNS = ("account_handle", "handle", "screen_name")
# The German election layout's typed object columns, and the type each holds.
WIDE_COLUMNS: dict[str, str] = {
    "url_id": "url",
    "domain_id": "domain",
    "hashtag_id": "hashtag",
    "phash_id": "image",
    "image_id": "image",
    "media_id": "media",
}
# Words for an object type, read as the type (`infoscope.records.OBJECT_TYPES`).
OBJECT_TYPE_SYNONYMS: dict[str, str] = {
    "link": "url",
    "links": "url",
    "urls": "url",
    "expanded_url": "url",
    "domains": "domain",
    "url_domain": "domain",
    "hashtags": "hashtag",
    "tag": "hashtag",
    "phash": "image",
    "image_hash": "image",
    "imagehash": "image",
    "perceptual_hash": "image",
    "phash_id": "image",
    "image_id": "image",
    "media_id": "media",
    "media_ids": "media",
    "repost": "retweet",
    "reshare": "retweet",
    "share": "retweet",
    "forward": "retweet",
    "reblog": "retweet",
    "boost": "retweet",
    "rt": "retweet",
    "mentions": "mention",
}
_MISSING = "('', 'NA')"
_NUMBER = r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?"
# Types whose value is the platform's own id, a post (kept as the post's ``ref_post_id``).
_REFERENCES = ("retweet", "quote", "reply")


@dataclass(frozen=True)
class _Layout:
    """The columns of one source that the format reads."""

    post: str
    time: str
    object_type: str | None = None
    object_value: str | None = None
    wide: tuple[str, ...] = ()

    @property
    def mapped(self) -> tuple[str, ...]:
        long = (self.object_type, self.object_value) if self.object_type else ()
        return ("account_id", self.post, self.time, *[c for c in long if c], *self.wide)


def _first(columns: set[str], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in columns), None)


def layout_of(columns: set[str]) -> _Layout | None:
    """The long or wide layout the columns hold, or None."""
    post, time = _first(columns, POST_COLUMNS), _first(columns, TIME_COLUMNS)
    if "account_id" not in columns or post is None or time is None:
        return None
    value = _first(columns, VALUE_COLUMNS)
    if "object_type" in columns and value is not None:
        return _Layout(post, time, "object_type", value)
    wide = tuple(c for c in WIDE_COLUMNS if c in columns)
    if wide:
        return _Layout(post, time, wide=wide)
    return None


def _present(expr: str) -> str:
    return f"(nullif(trim({expr}), '') IS NOT NULL AND trim({expr}) NOT IN {_MISSING})"


def _type_sql(expr: str) -> str:
    """An object type cell as its type (synonyms read, blank as ``other``)."""
    word = f"lower(trim({expr}))"
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in OBJECT_TYPE_SYNONYMS.items())
    return (
        f"CASE WHEN {expr} IS NULL OR {word} IN {_MISSING.lower()} THEN 'other' "
        f"ELSE CASE {word} {cases} ELSE {word} END END"
    )


def _value_sql(value: str, kind: str) -> str:
    """An object value normalised for its type (see the module docstring)."""
    v = f"trim({value})"
    return (
        f"CASE WHEN NOT {_present(value)} THEN NULL "
        f"WHEN regexp_full_match({v}, {lit(_NUMBER)}) THEN {id_text(value)} "
        f"WHEN {kind} = 'url' THEN is_normalize_urls([{v}])[1] "
        f"WHEN {kind} = 'hashtag' THEN lower(ltrim({v}, '#＃')) "
        f"WHEN {kind} = 'domain' THEN regexp_extract(lower({v}), {lit(DOMAIN_PATTERN)}, 1) "
        f"WHEN {kind} = 'image' THEN lower({v}) "
        f"ELSE {v} END"
    )


def _time_sql(column: str, formats: tuple[str, ...]) -> str:
    t = f"trim({ident(column)})"
    seconds = f"try_cast({t} AS DOUBLE)"
    text = timestamp(ident(column), *formats) if formats else f"try_cast({t} AS TIMESTAMPTZ)"
    return (
        f"CASE WHEN regexp_full_match({t}, {lit(_NUMBER)}) THEN "
        f"CASE WHEN abs({seconds}) >= 1e11 THEN try(to_timestamp({seconds} / 1000)) "
        f"ELSE try(to_timestamp({seconds})) END ELSE {text} END"
    )


class ObjectShares(TabularFormat):
    name = "shares"
    description = (
        "Shares of any object, one row each (account_id, object_type, object_id, content_id, "
        "time; or the typed columns url_id, hashtag_id, domain_id, phash_id)"
    )
    # Shown by `infoscope formats` (the long layout's names); `detect` reads either layout and
    # the alternatives of each column (see the module docstring).
    markers = frozenset({"account_id", "object_type", "object_id", "content_id", "timestamp_share"})
    required = frozenset({"account_id"})

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind != "csv":
            return 0
        columns = set(sniff.columns)
        layout = layout_of(columns)
        if layout is None:
            return 0
        # Above `coortweet` (14) when a long layout also has CooRTweet's four columns.
        return 12 + len(set(layout.mapped) & columns)

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        present = set(columns)
        layout = layout_of(present)
        if layout is None:
            raise MissingColumnError(
                f"format {self.name!r} needs account_id, content_id or post_id, a time column "
                f"({', '.join(TIME_COLUMNS)}) and either object_type with object_id or typed "
                f"columns ({', '.join(WIDE_COLUMNS)}); the header has: {', '.join(columns[:10])}"
            )
        default = lit((ctx.platform or "unknown").lower())
        platform = (
            f"coalesce(nullif(lower(trim({ident('platform')})), ''), {default})"
            if "platform" in present
            else default
        )
        handle_col = _first(present, HANDLE_COLUMNS)
        handle = f"nullif(trim({ident(handle_col)}), '')" if handle_col else "NULL::VARCHAR"
        text = ident("text") if "text" in present else "NULL::VARCHAR"
        mapped = (*layout.mapped, "platform", *([handle_col] if handle_col else []), "text")
        if layout.object_type is not None:
            assert layout.object_value is not None
            kind = _type_sql(ident(layout.object_type))
            unpivot = f"SELECT *, {kind} AS _type, {ident(layout.object_value)} AS _cell FROM raw"
        else:
            parts = [
                f"SELECT *, {lit(WIDE_COLUMNS[c])} AS _type, {ident(c)} AS _cell FROM raw "
                f"WHERE {_present(ident(c))}"
                for c in layout.wide
            ]
            none = " AND ".join(f"NOT {_present(ident(c))}" for c in layout.wide)
            parts.append(f"SELECT *, NULL::VARCHAR AS _type, NULL::VARCHAR AS _cell FROM raw "
                         f"WHERE {none}")  # fmt: skip
            unpivot = " UNION ALL ".join(parts)
        post_of = "PARTITION BY _platform, _post_id"

        def listed(types: tuple[str, ...], *, sort: bool = False) -> str:
            wanted = ", ".join(lit(t) for t in types)
            items = f"list(_value ORDER BY _record) FILTER (WHERE _type IN ({wanted})) OVER w"
            items = f"list_sort(list_distinct({items}))" if sort else f"list_distinct({items})"
            empty = "[]::VARCHAR[]" if text == "NULL::VARCHAR" else "NULL::VARCHAR[]"
            return f"coalesce({items}, {empty})"

        refs = ", ".join(
            f"arg_min(_value, _record) FILTER (WHERE _type = {lit(t)}) OVER w" for t in _REFERENCES
        )
        kinds = " ".join(
            f"WHEN bool_or(_type = {lit(t)}) OVER w THEN {lit(t)}" for t in _REFERENCES
        )
        posts = f"""
            WITH share_rows AS (
              SELECT *, {_value_sql("_cell", "_type")} AS _value,
                     {platform} AS _platform, {id_text(ident(layout.post))} AS _post_id
              FROM ({unpivot})
            )
            SELECT _platform AS platform, _post_id AS post_id,
                   {id_text(ident("account_id"))} AS account_id, {handle} AS account_handle,
                   {_time_sql(layout.time, ctx.date_formats)} AS created_at, {text} AS text,
                   CASE {kinds} ELSE 'original' END AS kind,
                   coalesce({refs}) AS ref_post_id,
                   {listed(("hashtag",), sort=True)} AS hashtags,
                   {listed(("mention",))} AS mentions,
                   {listed(("url",))} AS urls,
                   {listed(("media",))} AS media_ids,
                   {json_of(columns, exclude=mapped)} AS raw,
                   {provenance(self.name, ctx.run_id)}, {ident(layout.time)} AS _created_raw,
                   CASE WHEN _value IS NULL THEN NULL ELSE _type END AS _object_type,
                   _value AS _object_id
            FROM share_rows
            WINDOW w AS ({post_of})
        """
        accounts = f"""
            SELECT {platform} AS platform, {id_text(ident("account_id"))} AS account_id,
                   {handle} AS handle, {provenance(self.name, ctx.run_id)}
            FROM raw
        """
        return {"posts": posts, "accounts": accounts}


register(ObjectShares())
