"""Any delimited or JSON Lines export, mapped by the user: ``generic-csv`` and ``generic-jsonl``.

For exports no dedicated format knows (a scraper's CSV, a vendor's JSON Lines, a spreadsheet),
the user names which column (CSV) or dotted path (JSON Lines, e.g. ``user.screen_name``) holds
each post field with ``--map FIELD=COLUMN,...``::

    infoscope ingest export.csv --format generic-csv --delimiter ';' \\
        --map id=tweet_id,text=body,author=user,created_at=time --date-format '%d.%m.%Y %H:%M'
    infoscope ingest dump.jsonl --format generic-jsonl \\
        --map id=id_str,text=full_text,author=user.screen_name,created_at=created_at

These formats are never detected: pass ``--format``. Fields (`FIELDS`): ``text`` and
``created_at`` are required; the others are optional:

- ``id``: the post id; without it a post's id is ``gen-`` plus the MD5 of the row (CSV) or line
  (JSON Lines), so an identical record is a duplicate.
- ``author`` (handle, a leading ``@`` dropped) and ``author_id``. Without ``author_id`` the
  account id is ``@`` plus the lower-case handle, as in the other formats that only know
  handles. One `Account` is stored per author.
- ``created_at``: parsed with ``--date-format`` (strptime layouts, tried in order) when given;
  in CSV a column of numeric dates (``24-02-2015``) has its day/month order detected from its
  values (`infoscope.ingest.dates`); else read as ISO 8601
  (``2017-01-02T16:48:00Z``, ``2017-01-02 16:48``), epoch seconds (9 to 11 digits) or
  milliseconds (12 to 14 digits), or Twitter's ``Mon Jan 02 16:48:00 +0000 2017``. A time
  without an offset is UTC. A value that does not parse quarantines the record.
- ``kind`` (original, retweet, reply or quote; any other value is ignored), else derived: a
  retweet when ``retweet_of_id``/``retweet_of_author`` is set or the text starts ``RT @user``,
  a quote when ``quote_of_id`` is set, a reply when ``reply_to_id``/``reply_to_author`` is.
  The referenced post and author handle follow the kind.
- ``lang``, ``platform`` (default: ``--platform``, else ``unknown``).
- ``hashtags`` and ``urls``: a list (JSON array, ``[a, b]`` or ``a, b`` in a cell; JSON
  entity objects with ``text``/``tag`` or ``expanded_url``/``url``); when not mapped, or blank
  in a record, they are extracted from the text at store time (an empty JSON array or ``[]``
  means none). Mentions are always extracted from the text.

Two more kinds of item carry any other column:

- ``label:NAME=COLUMN`` stores the column's value as the author's analyst label ``NAME``
  (table ``account_labels``; e.g. ``label:troll=is_troll`` for a dataset's troll flag). A blank
  value adds no label; an account whose rows give several values gets each one. Labels are
  inputs, never inferred: they need ``author`` or ``author_id``.
- ``raw:COLUMN`` keeps a column (or dotted path) in ``raw``. Without any, unmapped CSV columns
  stay in ``raw`` and for JSON Lines ``raw`` is the whole line; given some, ``raw`` is a JSON
  object of just those columns (paths), mapped or not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from infoscope.errors import InfoscopeError
from infoscope.ingest.dates import as_layouts, parse_with_layouts, unparseable_date_reason
from infoscope.ingest.formats import (
    JSON_KINDS,
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    TabularFormat,
    register,
)
from infoscope.ingest.reading import Oversized, iter_lines, to_utf8
from infoscope.ingest.sources import Source
from infoscope.ingest.sql import (
    id_text,
    ident,
    json_of,
    lit,
    provenance,
    retweet_prefix_handle,
    split_list,
    timestamp,
    url_list,
)
from infoscope.records import POST_KINDS, Account, Post, Provenance

__all__ = [
    "GenericCsv",
    "GenericJsonl",
    "checked_mapping",
    "created_at_sql",
    "hashtag_list",
    "label_columns",
    "parse_time",
    "post_from_record",
    "raw_columns",
    "url_items",
    "value_at",
]

FIELDS = (
    "id",
    "text",
    "author",
    "author_id",
    "created_at",
    "lang",
    "kind",
    "reply_to_id",
    "reply_to_author",
    "retweet_of_id",
    "retweet_of_author",
    "quote_of_id",
    "hashtags",
    "urls",
    "platform",
)
REQUIRED_FIELDS = ("text", "created_at")
DEFAULT_PLATFORM = "unknown"
TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"
_RT_PREFIX = re.compile(r"^\s*RT @([A-Za-z0-9_]{1,32})")
_URL = re.compile(r"""[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\[\]'"]+""")
_URL_SEPARATOR = re.compile(r""",\s*['"]?([a-zA-Z][a-zA-Z0-9+.-]*://)""")
_LIST_SPLIT = re.compile(r"[,;\s]+")
_EPOCH_S = re.compile(r"-?[0-9]{9,11}(\.[0-9]+)?")
_EPOCH_MS = re.compile(r"[0-9]{12,14}")


LABEL_PREFIX = "label:"
RAW_PREFIX = "raw:"


def label_columns(mapping: Mapping[str, str]) -> dict[str, str]:
    """Label name -> column of the ``label:NAME=COLUMN`` items."""
    return {
        k.removeprefix(LABEL_PREFIX).strip(): v
        for k, v in mapping.items()
        if k.startswith(LABEL_PREFIX) and v
    }


def raw_columns(mapping: Mapping[str, str]) -> tuple[str, ...]:
    """The columns of the ``raw:COLUMN`` items, in the order given."""
    return tuple(v for k, v in mapping.items() if k.startswith(RAW_PREFIX) and v)


def _check_extra_items(mapping: Mapping[str, str], format_name: str) -> None:
    for key, column in mapping.items():
        if key.startswith(LABEL_PREFIX):
            if not key.removeprefix(LABEL_PREFIX).strip() or not column:
                raise InfoscopeError(
                    f"--map {key}={column} needs a label name and a column, e.g. "
                    "--map label:troll=is_troll"
                )
            if not (mapping.get("author") or mapping.get("author_id")):
                raise InfoscopeError(
                    f"--map {key}={column} labels the author, but no author is mapped for "
                    f"format {format_name!r}: add --map author=COLUMN or author_id=COLUMN"
                )
        elif key.startswith(RAW_PREFIX) and not column:
            raise InfoscopeError("--map raw: needs a column, e.g. --map raw:retweet_count")


def checked_mapping(mapping: Mapping[str, str], format_name: str) -> dict[str, str]:
    """The post fields of the mapping, or an error naming ``--map`` when a field is unknown or
    a required one is missing (``label:``/``raw:`` items are checked and left out)."""
    _check_extra_items(mapping, format_name)
    mapping = {k: v for k, v in mapping.items() if not k.startswith((LABEL_PREFIX, RAW_PREFIX))}
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise InfoscopeError(
            f"--map names unknown field(s) {', '.join(unknown)} for format {format_name!r}; "
            f"the fields are: {', '.join(FIELDS)}"
        )
    missing = [f for f in REQUIRED_FIELDS if not mapping.get(f)]
    if missing:
        example = ",".join(f"{f}=COLUMN" for f in missing)
        raise InfoscopeError(
            f"format {format_name!r} needs --map for {' and '.join(missing)}: say which "
            f"column holds each, e.g. --map {example} (fields: {', '.join(FIELDS)})"
        )
    return {k: v for k, v in mapping.items() if v}


# -- generic-csv ---------------------------------------------------------------------------------


class GenericCsv(TabularFormat):
    name = "generic-csv"
    description = "Any delimited text, columns named with --map (never detected)"
    detectable = False
    markers = frozenset()
    required = frozenset()

    def detect(self, sniff: Sniff) -> int:
        return 0

    def required_columns(self, ctx: ReadContext) -> frozenset[str]:
        fields = checked_mapping(ctx.mapping, self.name).values()
        extra = [*label_columns(ctx.mapping).values(), *raw_columns(ctx.mapping)]
        return frozenset([*fields, *extra])

    def date_column_of(self, ctx: ReadContext) -> str | None:
        return ctx.mapping.get("created_at") or None

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        m = checked_mapping(ctx.mapping, self.name)

        def col(field: str) -> str:
            return ident(m[field]) if field in m else "NULL::VARCHAR"

        def handle(field: str) -> str:
            return f"nullif(ltrim(trim({col(field)}), '@'), '')"

        def ref_id(field: str) -> str:
            return f"nullif({id_text(col(field))}, '')"

        prov = provenance(self.name, ctx.run_id)
        default_platform = lit(ctx.platform or DEFAULT_PLATFORM)
        platform = f"coalesce(nullif(trim({col('platform')}), ''), {default_platform})"
        if "id" in m:
            post_id = f"nullif({id_text(col('id'))}, '')"
        else:
            hashed = ", ".join(f"coalesce({ident(c)}, '')" for c in columns)
            post_id = f"'gen-' || md5(concat_ws(chr(31), {hashed}))"
        if "author_id" in m:
            account_id = f"nullif(trim({col('author_id')}), '')"
        else:
            account_id = f"'@' || lower({handle('author')})"
        text = col("text")
        rt_handle = retweet_prefix_handle(text)
        given_kind = f"lower(trim({col('kind')}))"
        kinds = ", ".join(lit(k) for k in POST_KINDS)
        kind = (
            f"CASE WHEN {given_kind} IN ({kinds}) THEN {given_kind} "
            f"WHEN {ref_id('retweet_of_id')} IS NOT NULL OR {handle('retweet_of_author')} "
            f"IS NOT NULL OR {rt_handle} IS NOT NULL THEN 'retweet' "
            f"WHEN {ref_id('quote_of_id')} IS NOT NULL THEN 'quote' "
            f"WHEN {ref_id('reply_to_id')} IS NOT NULL OR {handle('reply_to_author')} "
            "IS NOT NULL THEN 'reply' ELSE 'original' END"
        )
        ref_post = (
            f"CASE ({kind}) WHEN 'retweet' THEN {ref_id('retweet_of_id')} "
            f"WHEN 'quote' THEN {ref_id('quote_of_id')} "
            f"WHEN 'reply' THEN {ref_id('reply_to_id')} END"
        )
        ref_handle = (
            f"CASE ({kind}) WHEN 'retweet' THEN coalesce(lower({handle('retweet_of_author')}), "
            f"{rt_handle}) WHEN 'reply' THEN lower({handle('reply_to_author')}) END"
        )
        # A blank list cell is no information: entities are then extracted from the text.
        blank_tags = f"trim(coalesce({col('hashtags')}, '')) = ''"
        hashtags = (
            f"CASE WHEN {blank_tags} THEN NULL ELSE {split_list(col('hashtags'), strip='#')} END"
        )
        urls = url_list(col("urls"))
        kept = raw_columns(ctx.mapping)
        raw = json_of(kept) if kept else json_of(columns, exclude=set(m.values()))
        posts = f"""
            SELECT {platform} AS platform,
                   {post_id} AS post_id,
                   {account_id} AS account_id,
                   {handle("author")} AS account_handle,
                   {created_at_sql(col("created_at"), ctx.date_formats)} AS created_at,
                   {text} AS text,
                   nullif(trim({col("lang")}), '') AS lang,
                   {kind} AS kind,
                   {ref_post} AS ref_post_id,
                   {ref_handle} AS ref_account_handle,
                   {hashtags}::VARCHAR[] AS hashtags,
                   {urls}::VARCHAR[] AS urls,
                   {raw} AS raw,
                   {prov},
                   {col("created_at")} AS _created_raw,
                   {col("id")} AS _id_raw
            FROM raw
        """
        sql = {"posts": posts}
        if "author" in m or "author_id" in m:
            sql["accounts"] = f"""
                SELECT {platform} AS platform, {account_id} AS account_id,
                       {handle("author")} AS handle, {prov}
                FROM raw WHERE ({account_id}) IS NOT NULL
            """
        labels = label_columns(ctx.mapping)
        if labels:
            sql["labels"] = " UNION ALL ".join(
                f"SELECT {platform} AS platform, {account_id} AS account_id, "
                f"{lit(name)} AS label_key, trim({ident(column)}) AS label_value, {prov} "
                f"FROM raw WHERE ({account_id}) IS NOT NULL"
                for name, column in labels.items()
            )
        return sql


def created_at_sql(expr: str, date_format: str | Sequence[str] | None) -> str:
    """SQL parsing `expr` with the layouts of `date_format` (tried in order), else as ISO 8601,
    epoch or Twitter's layout."""
    layouts = as_layouts(date_format)
    if layouts:
        return timestamp(expr, *layouts)
    value = f"trim({expr})"
    return (
        f"CASE WHEN regexp_full_match({value}, {lit(_EPOCH_S.pattern)}) "
        f"THEN to_timestamp(try_cast({value} AS DOUBLE)) "
        f"WHEN regexp_full_match({value}, {lit(_EPOCH_MS.pattern)}) "
        f"THEN to_timestamp(try_cast({value} AS DOUBLE) / 1000) "
        f"ELSE coalesce(try_cast({value} AS TIMESTAMPTZ), "
        f"try_strptime({value}, {lit(TWITTER_DATE)})::TIMESTAMPTZ) END"
    )


# -- generic-jsonl ---------------------------------------------------------------------------


def value_at(record: Any, path: str) -> Any:
    """The value at a dotted `path` (``user.screen_name``, ``entities.urls.0.url``), or None."""
    current = record
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def _scalar_text(value: Any) -> str | None:
    """A string, an integer or an integral float as text (ids are often numbers), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def parse_time(value: Any, date_format: str | Sequence[str] | None) -> datetime | None:
    """A UTC datetime from a JSON value (see the module docstring), None if it does not parse."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed: datetime | None = None
    layouts = as_layouts(date_format)
    if layouts:
        parsed = parse_with_layouts(text, layouts)
        if parsed is None:
            return None
    elif _EPOCH_S.fullmatch(text):
        return datetime.fromtimestamp(float(text), UTC)
    elif _EPOCH_MS.fullmatch(text):
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    elif text.isdigit():
        return None  # "20210301" and the like: ambiguous, as in generic-csv
    else:
        for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, TWITTER_DATE)):
            try:
                parsed = parse(text)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _list_of(value: Any, keys: tuple[str, ...]) -> list[str]:
    """Strings from a JSON array (of strings or of entity objects with one of `keys`)."""
    out = []
    for item in value:
        if isinstance(item, dict):
            item = next((item[k] for k in keys if isinstance(item.get(k), str)), None)
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
    return out


def hashtag_list(value: Any) -> list[str] | None:
    """Hashtags, lower-case without '#', from an array or a list cell; None when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        items = _list_of(value, ("text", "tag"))
    elif isinstance(value, str) and value.strip():
        items = _LIST_SPLIT.split(re.sub(r"[\[\]'\"]", "", value))
    else:
        return None
    return [h for h in (i.strip().lstrip("#").lower() for i in items) if h]


def url_items(value: Any) -> list[str] | None:
    """URLs from an array (strings or entity objects) or a list cell; None when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return _list_of(value, ("expanded_url", "unwound_url", "url"))
    if isinstance(value, str) and value.strip():
        return _URL.findall(_URL_SEPARATOR.sub(r" \1", value))
    return None


def _handle(value: Any) -> str | None:
    text = _scalar_text(value)
    return (text.lstrip("@") or None) if text else None


def post_from_record(
    record: dict[str, Any],
    line: bytes,
    m: Mapping[str, str],
    ctx: ReadContext,
    prov: Provenance,
) -> Post | Quarantined:
    """The `Post` of one JSON object, or why it cannot be stored."""

    def get(field: str) -> Any:
        return value_at(record, m[field]) if field in m else None

    raw = line.decode("utf-8")
    id_as_written = None
    if "id" in m:
        id_value = get("id")
        post_id = _scalar_text(id_value)
        if post_id is None:
            return Quarantined("missing post id", raw, prov.record, prov.line)
        # A JSON number keeps its float notation (5.70306e+17) for the store's id checks.
        id_as_written = repr(id_value) if isinstance(id_value, float) else post_id
    else:
        post_id = "gen-" + hashlib.md5(line).hexdigest()
    kept = raw_columns(ctx.mapping)
    if kept:
        raw = orjson.dumps({path: value_at(record, path) for path in kept}).decode("utf-8")
    created_raw = get("created_at")
    created = parse_time(created_raw, ctx.date_formats)
    if created is None:
        shown = "(empty)" if created_raw is None else str(created_raw)
        return Quarantined(unparseable_date_reason(shown), raw, prov.record, prov.line)
    text_value = get("text")
    text = text_value if isinstance(text_value, str) else _scalar_text(text_value)
    handle = _handle(get("author"))
    account_id = _scalar_text(get("author_id"))
    if account_id is None and handle is not None:
        account_id = "@" + handle.lower()
    given = _scalar_text(get("kind"))
    rt_match = _RT_PREFIX.match(text) if text else None
    rt_handle = rt_match.group(1).lower() if rt_match else None
    refs = {f: _scalar_text(get(f)) for f in ("retweet_of_id", "quote_of_id", "reply_to_id")}
    ref_authors = {f: _handle(get(f)) for f in ("retweet_of_author", "reply_to_author")}
    if given and given.lower() in POST_KINDS:
        kind = given.lower()
    elif refs["retweet_of_id"] or ref_authors["retweet_of_author"] or rt_handle:
        kind = "retweet"
    elif refs["quote_of_id"]:
        kind = "quote"
    elif refs["reply_to_id"] or ref_authors["reply_to_author"]:
        kind = "reply"
    else:
        kind = "original"
    ref_post = {"retweet": "retweet_of_id", "quote": "quote_of_id", "reply": "reply_to_id"}
    ref_handle = None
    if kind == "retweet":
        ref_handle = ref_authors["retweet_of_author"] or rt_handle
    elif kind == "reply":
        ref_handle = ref_authors["reply_to_author"]
    return Post(
        platform=_scalar_text(get("platform")) or ctx.platform or DEFAULT_PLATFORM,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=text,
        lang=_scalar_text(get("lang")),
        kind=kind,
        ref_post_id=refs[ref_post[kind]] if kind in ref_post else None,
        ref_account_handle=ref_handle.lower() if ref_handle else None,
        hashtags=hashtag_list(get("hashtags")),
        urls=url_items(get("urls")),
        raw=raw,
        provenance=prov,
        id_as_written=id_as_written,
    )


class GenericJsonl(RecordFormat):
    name = "generic-jsonl"
    containers = JSON_KINDS
    description = "Any JSON Lines, fields named with --map dotted paths (never detected)"
    detectable = False

    def detect(self, sniff: Sniff) -> int:
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        m = checked_mapping(ctx.mapping, self.name)
        labels = tuple(label_columns(ctx.mapping).items())
        record = 0
        for line_no, line in iter_lines(source.stream, max_record_bytes=ctx.max_record_bytes):
            if isinstance(line, Oversized):
                record += 1
                yield Quarantined(line.reason, line.preview, record, line_no)
                continue
            data = to_utf8(line, ctx.encoding, source.name, line_no).strip()
            if line_no == 1:
                data = data.removeprefix(b"\xef\xbb\xbf")
            if not data:
                continue
            record += 1
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                yield Quarantined(f"invalid JSON: {exc}", data, record, line_no)
                continue
            if not isinstance(value, dict):
                yield Quarantined("not a JSON object", data, record, line_no)
                continue
            prov = Provenance(source=source.name, record=record, line=line_no)
            post = post_from_record(value, data, m, ctx, prov)
            yield post
            if isinstance(post, Post) and post.account_id is not None:
                given = {name: _scalar_text(value_at(value, path)) for name, path in labels}
                yield Account(
                    platform=post.platform,
                    account_id=post.account_id,
                    handle=post.account_handle,
                    labels={name: label for name, label in given.items() if label},
                    provenance=Provenance(source=source.name, record=record, line=line_no),
                )


register(GenericCsv())
register(GenericJsonl())
