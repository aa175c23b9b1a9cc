"""Canonical records: every source format is normalised once into these.

A `Post` is one message on a platform (tweet, retweet, Telegram message, ...), an `Account`
is whoever posts, an `Article` is a news or blog piece (or an item of a page: see
`ITEM_KINDS`), an `ArticleLink` ties an item to its page's main item or to the account that
reposted it. Every record carries its provenance:
the source it was read from, where in that source, the format name and the ingest run.

Fields a format cannot map are kept in `raw` (a JSON object), never dropped.

The same columns are declared once as Arrow schemas (`POST_SCHEMA`, ...), which the ingest
pipeline uses to batch records and the store uses to create its tables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa

__all__ = ["Account", "Article", "ArticleLink", "Post", "Provenance", "record_to_row"]

PostKind = Literal["original", "retweet", "reply", "quote"]
POST_KINDS: tuple[str, ...] = ("original", "retweet", "reply", "quote")
# What an item of a page is (`infoscope.ingest.pages`): ``main``, the page's own story (every
# story of a listing page too); ``repost``, an article reposted on an aggregator page by an
# account; ``secondary``, a teaser, a sidebar post or a related story shown around the main
# item. The article analyses read ``main`` and ``repost`` items unless asked for all.
ITEM_KINDS: tuple[str, ...] = ("main", "repost", "secondary")
# How an item is tied to something else (`ArticleLink.relation`).
LINK_RELATIONS: tuple[str, ...] = ("secondary_of", "reposted_by")


@dataclass(slots=True)
class Provenance:
    """Where a record came from.

    `source` is the file path (with `!member` for a file inside an archive), `line` the line
    where the record starts when the format is line-based, `record` its 1-based ordinal in the
    source, `format` the registered format name and `run_id` the ingest run that stored it.
    """

    source: str
    record: int
    line: int | None = None
    format: str = ""
    run_id: str = ""


@dataclass(slots=True)
class Post:
    """One message on a platform.

    `created_at` is timezone-aware UTC. `kind` is one of original, retweet, reply, quote; the
    `ref_*` fields name the post and account it refers to, `None` when the source does not say
    (IRA retweets, for instance, never name the original author). Hashtags and mentions are
    stored case-folded without their sigil; URLs are normalised (see `infoscope.text`).

    `id_as_written` is set by formats that cannot vouch for their ids (user-mapped exports):
    the id as the source wrote it. The store then checks it and refuses to merge on an id
    written in float notation or shared by different texts (`infoscope.ingest.staging`); it is
    not stored.
    """

    platform: str
    post_id: str
    account_id: str | None
    account_handle: str | None
    created_at: datetime | None
    text: str | None
    lang: str | None = None
    kind: str = "original"
    ref_post_id: str | None = None
    ref_account_id: str | None = None
    ref_account_handle: str | None = None
    hashtags: list[str] | None = None
    mentions: list[str] | None = None
    urls: list[str] | None = None
    media_ids: list[str] | None = None
    metrics: dict[str, int] | None = None
    raw: str | None = None
    provenance: Provenance | None = None
    id_as_written: str | None = None


@dataclass(slots=True)
class Account:
    """An account as a source describes it.

    `labels` holds analyst-supplied labels (for example the IRA `account_category`); they are
    inputs, never inferred by infoscope.
    """

    platform: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    description: str | None = None
    location: str | None = None
    profile_lang: str | None = None
    time_zone: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    favourites: int | None = None
    listed: int | None = None
    verified: bool | None = None
    url: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    raw: str | None = None
    provenance: Provenance | None = None


@dataclass(slots=True)
class Article:
    """A news or blog article, or one item of a page; `item_kind` is one of `ITEM_KINDS`."""

    article_id: str
    url: str | None
    outlet: str | None
    title: str | None
    text: str | None
    author: str | None = None
    published: datetime | None = None
    lang: str | None = None
    raw: str | None = None
    item_kind: str = "main"
    provenance: Provenance | None = None


@dataclass(slots=True)
class ArticleLink:
    """A stated tie from an item of a page (`article_id`) to another record.

    ``secondary_of``: a secondary item (teaser, sidebar post, related story) to the main item
    of the page that shows it (`target_id` an article id). ``reposted_by``: an article reposted
    on an aggregator page to the account that reposted it (`target_id` an account id on
    `target_platform`). `page_url` is the page's URL when known; the provenance names the page
    file, so every link says where it was read.
    """

    article_id: str
    relation: str
    target_id: str
    target_platform: str | None = None
    page_url: str | None = None
    provenance: Provenance | None = None


_TS = pa.timestamp("us", tz="UTC")
_STR = pa.string()
_STRS = pa.list_(pa.string())

PROVENANCE_FIELDS: list[pa.Field] = [
    pa.field("source", _STR),
    pa.field("source_line", pa.int64()),
    pa.field("source_record", pa.int64()),
    pa.field("format", _STR),
    pa.field("ingest_run", _STR),
]

POST_SCHEMA = pa.schema(
    [
        pa.field("platform", _STR, nullable=False),
        pa.field("post_id", _STR, nullable=False),
        pa.field("account_id", _STR),
        pa.field("account_handle", _STR),
        pa.field("created_at", _TS),
        pa.field("text", _STR),
        pa.field("lang", _STR),
        pa.field("kind", _STR),
        pa.field("ref_post_id", _STR),
        pa.field("ref_account_id", _STR),
        pa.field("ref_account_handle", _STR),
        pa.field("hashtags", _STRS),
        pa.field("mentions", _STRS),
        pa.field("urls", _STRS),
        pa.field("media_ids", _STRS),
        pa.field("metrics", pa.map_(_STR, pa.int64())),
        pa.field("raw", _STR),
        *PROVENANCE_FIELDS,
    ]
)

ACCOUNT_SCHEMA = pa.schema(
    [
        pa.field("platform", _STR, nullable=False),
        pa.field("account_id", _STR, nullable=False),
        pa.field("handle", _STR),
        pa.field("display_name", _STR),
        pa.field("description", _STR),
        pa.field("location", _STR),
        pa.field("profile_lang", _STR),
        pa.field("time_zone", _STR),
        pa.field("created_at", _TS),
        pa.field("followers", pa.int64()),
        pa.field("following", pa.int64()),
        pa.field("posts_count", pa.int64()),
        pa.field("favourites", pa.int64()),
        pa.field("listed", pa.int64()),
        pa.field("verified", pa.bool_()),
        pa.field("url", _STR),
        pa.field("raw", _STR),
        *PROVENANCE_FIELDS,
    ]
)

LABEL_SCHEMA = pa.schema(
    [
        pa.field("platform", _STR, nullable=False),
        pa.field("account_id", _STR, nullable=False),
        pa.field("label_key", _STR, nullable=False),
        pa.field("label_value", _STR, nullable=False),
        *PROVENANCE_FIELDS,
    ]
)

ARTICLE_SCHEMA = pa.schema(
    [
        pa.field("article_id", _STR, nullable=False),
        pa.field("url", _STR),
        pa.field("outlet", _STR),
        pa.field("title", _STR),
        pa.field("text", _STR),
        pa.field("author", _STR),
        pa.field("published", _TS),
        pa.field("lang", _STR),
        pa.field("raw", _STR),
        pa.field("item_kind", _STR),
        *PROVENANCE_FIELDS,
    ]
)

ARTICLE_LINK_SCHEMA = pa.schema(
    [
        pa.field("article_id", _STR, nullable=False),
        pa.field("relation", _STR, nullable=False),
        pa.field("target_id", _STR, nullable=False),
        pa.field("target_platform", _STR),
        pa.field("page_url", _STR),
        *PROVENANCE_FIELDS,
    ]
)


# One share of an object by a post (`infoscope.ingest.shares`): the post `post_id` of account
# `account_id` on `platform` shared object `object_id` of type `object_type` (one of
# `OBJECT_TYPES`, or the source's own word) at `created_at`. A post shares any number of
# objects; the coordination traces read the shares of their object type beside the posts.
SHARE_SCHEMA = pa.schema(
    [
        pa.field("platform", _STR, nullable=False),
        pa.field("post_id", _STR, nullable=False),
        pa.field("account_id", _STR),
        pa.field("created_at", _TS),
        pa.field("object_type", _STR, nullable=False),
        pa.field("object_id", _STR, nullable=False),
        *PROVENANCE_FIELDS,
    ]
)
# The object types the traces read: ``url`` (normalised as posts' URLs are), ``domain``,
# ``hashtag`` (case-folded, without ``#``), ``image`` (a perceptual hash: the same picture on
# any platform), ``media`` (a platform's media id), ``retweet`` (the post shared: a retweet,
# repost, forward or boost), ``reply``, ``quote`` and ``mention``.
OBJECT_TYPES: tuple[str, ...] = (
    "url", "domain", "hashtag", "image", "media", "retweet", "reply", "quote", "mention",
)  # fmt: skip

# The same actor's accounts on two platforms (`infoscope.account_links`): stated by the
# analyst (``method`` ``analyst``, from a file) or found by an exact match (``profile-url``,
# ``same-url``, ``same-handle``) whose `evidence` says what matched. Never inferred otherwise.
ACCOUNT_LINK_SCHEMA = pa.schema(
    [
        pa.field("platform_a", _STR, nullable=False),
        pa.field("account_a", _STR, nullable=False),
        pa.field("platform_b", _STR, nullable=False),
        pa.field("account_b", _STR, nullable=False),
        pa.field("method", _STR, nullable=False),
        pa.field("evidence", _STR),
        pa.field("note", _STR),
        pa.field("source", _STR),
        pa.field("source_record", pa.int64()),
        pa.field("run_id", _STR),
    ]
)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def record_to_row(record: Post | Account | Article | ArticleLink) -> dict[str, Any]:
    """Flatten a record (provenance included) into a row for its Arrow schema."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(
            f.name
            for f in dataclasses.fields(record)
            if f.name not in ("provenance", "labels", "id_as_written")
        )
    row = {name: getattr(record, name) for name in names}
    prov = record.provenance
    if prov is not None:
        row["source"] = prov.source
        row["source_line"] = prov.line
        row["source_record"] = prov.record
        row["format"] = prov.format
        row["ingest_run"] = prov.run_id
    return row
