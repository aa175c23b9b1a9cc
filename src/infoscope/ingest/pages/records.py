"""A segmented page as canonical records: its items as `Article`, its posts as `Post` (with
their `Account`), and the links between them as `ArticleLink`.

- **Ids.** The main item keeps the id its format gives (``text-article``: the file name;
  ``html-article``: the canonical URL, else a content hash); a second main item of the same
  page gets ``#2``, ``#3``... A repost's id is its URL in normal form, else the hash of outlet,
  title and text (`infoscope.ingest._articles.article_id`): the same article reposted on two
  pages is stored once, and each page's ``reposted_by`` link is kept. A secondary item's id is
  ``item:`` and a hash of its URL, title and text: the same teaser shown on many pages is one
  row with one ``secondary_of`` link per page, and never takes the id of the story it points
  to (that story, ingested from its own page, stays a main item).
- **Outlet.** A repost's own (``Title – Outlet``); for the page's own items ``--outlet``, else
  the outlet the page states (a saved page's metadata, a copyright line, an opinion
  disclaimer), else the host of its URL; unknown stays NULL.
- **Posts.** One `Post` per post line: platform ``--platform`` (default ``twitter``), id the
  status id a link gives, else ``page:`` and a hash of account and text (the same post on two
  pages is one post); the account's id is ``@`` and the lower-case handle, as for other
  sources without numeric ids; retweets and quotes name the referenced account the same way. A
  bare ``RT @user: ...`` line is the page account's retweet (the account a "Name (@handle) /
  Twitter" header or the page's other post lines name); on a page with no account it is
  quarantined (``retweet without its account``).
  ``created_at`` is the date line above the post (midnight UTC; ``raw.date_from`` says so); a
  post with no date line above it is quarantined (``post without a date``), as posts without a
  date are everywhere.
- **Provenance.** Items and posts are numbered in page order (`source_record`); ``source_line``
  is the line of the item's first block in a text page; ``raw`` keeps the item's kind and
  position, the list it was found in, its lines, and the page's URL and title.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from infoscope.ingest._articles import article_id, dumps, hostname, language_of
from infoscope.ingest.formats import Quarantined
from infoscope.ingest.pages.segment import PageItem, Segmentation
from infoscope.records import Account, Article, ArticleLink, Post, Provenance

__all__ = ["PageContext", "page_records", "secondary_id"]

DEFAULT_PLATFORM = "twitter"
_RAW_LIMIT = 4096


@dataclass(frozen=True)
class PageContext:
    """What the format knows about the page: its file (`source`), the id, title, URL,
    outlet, date, author and language its metadata give (HTML), the `--outlet` and
    `--platform` options, and how to build an item's text (`text_of`: the exact page text
    for text pages)."""

    source: str
    main_id: str
    url: str | None = None
    title: str | None = None
    outlet: str | None = None
    outlet_option: str | None = None
    author: str | None = None
    published: datetime | None = None
    declared_lang: str | None = None
    platform: str | None = None
    text_of: Callable[[Segmentation, PageItem], tuple[str, dict[str, Any]]] | None = None
    extra_raw: dict[str, Any] | None = None


def secondary_id(url: str | None, title: str | None, text: str | None) -> str:
    """The id of a secondary item (see the module docstring)."""
    key = "\x1f".join(" ".join((v or "").split()) for v in (url, title, text))
    return "item:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _post_id(platform: str, account: str, text: str) -> str:
    key = "\x1f".join((platform, account, " ".join(text.split())))
    return "page:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def page_records(
    seg: Segmentation, page: PageContext
) -> Iterator[Article | ArticleLink | Post | Account | Quarantined]:
    """The records of a segmented page (see the module docstring)."""
    page_outlet = page.outlet_option or page.outlet or seg.outlet or hostname(page.url)
    ordered: list[tuple[int, Any]] = [(item.first, item) for item in seg.items]
    ordered += [(post.block, post) for post in seg.posts]
    ordered.sort(key=lambda pair: pair[0])
    main_ids: dict[int, str] = {}
    mains = 0
    records: list[tuple[int, Any]] = []
    for record, (_, thing) in enumerate(ordered, start=1):
        records.append((record, thing))
        if isinstance(thing, PageItem) and thing.kind == "main":
            mains += 1
            main_ids[thing.index] = page.main_id if mains == 1 else f"{page.main_id}#{mains}"
    first_main = next(iter(main_ids.values()), None)
    platform = page.platform or DEFAULT_PLATFORM
    accounts: set[str] = set()
    for record, thing in records:
        line = _line(seg, thing.first if isinstance(thing, PageItem) else thing.block)
        prov = Provenance(page.source, record, line=line if line else None)
        if isinstance(thing, PageItem):
            yield from _item_records(seg, thing, page, prov, main_ids, first_main, page_outlet)
            if thing.kind == "repost" and thing.account:
                accounts.add(thing.account)
            continue
        post = thing.post
        handle = post.handle or seg.account
        if handle is None:
            yield Quarantined(
                "retweet without its account: a line 'RT @user: ...' on a page that does not "
                "say whose page it is",
                seg.blocks[thing.block].text[:_RAW_LIMIT],
                record,
                line or None,
            )
            continue
        account = "@" + handle.lower()
        if thing.date is None:
            yield Quarantined(
                "post without a date: the page has no date line above it",
                seg.blocks[thing.block].text[:_RAW_LIMIT],
                record,
                line or None,
            )
            continue
        if account not in accounts:
            accounts.add(account)
            yield Account(platform, account, handle=handle, provenance=prov)
        ref = "@" + post.ref_handle if post.ref_handle else None
        yield Post(
            platform=platform,
            post_id=post.post_id or _post_id(platform, account, post.text),
            account_id=account,
            account_handle=handle,
            created_at=thing.date,
            text=post.text,
            kind=post.kind,
            ref_post_id=post.ref_post_id,
            ref_account_id=ref,
            ref_account_handle=post.ref_handle,
            raw=dumps(
                {"date_from": thing.date_from, "page_url": page.url, "page_title": page.title}
            ),
            provenance=prov,
        )


def _line(seg: Segmentation, block: int) -> int | None:
    """The line where block `block` starts; None for -1, the bound of an item with no block
    (a main text that extraction found on a page where segmentation read no block)."""
    return seg.blocks[block].line if block >= 0 else None


def _item_records(
    seg: Segmentation,
    item: PageItem,
    page: PageContext,
    prov: Provenance,
    main_ids: dict[int, str],
    first_main: str | None,
    page_outlet: str | None,
) -> Iterator[Article | ArticleLink]:
    if page.text_of is not None:
        found, offsets = page.text_of(seg, item)
    else:
        found, offsets = seg.item_text(item), {}
    text = found or None
    title = item.title
    url = urljoin(page.url or "", item.url) if item.url else None
    if url is not None and not url.startswith(("http://", "https://")):
        url = None
    author, published = item.author, item.published
    if item.kind == "main":
        outlet = page_outlet
        if item.index == min(main_ids):
            title = page.title or title
            author = page.author or author
            published = page.published or published
            url = page.url
        aid = main_ids[item.index]
    elif item.kind == "repost":
        outlet = item.outlet
        aid = article_id(url, outlet, title, text)
    else:
        outlet = page_outlet
        aid = secondary_id(url, title, text)
    lines = [_line(seg, item.first), _line(seg, item.last)]
    raw = {
        "item": prov.record,
        "item_kind": item.kind,
        "section": item.section,
        "lines": lines if lines[0] else None,
        "page_url": page.url,
        "page_title": page.title if item.kind != "main" else None,
        **offsets,
        **(page.extra_raw or {} if item.kind == "main" else {}),
    }
    yield Article(
        article_id=aid,
        url=url,
        outlet=outlet,
        title=title,
        text=text,
        author=author,
        published=published,
        lang=language_of(page.declared_lang, title, text),
        raw=dumps(raw),
        item_kind=item.kind,
        provenance=prov,
    )
    if item.kind == "secondary" and first_main is not None:
        yield ArticleLink(aid, "secondary_of", first_main, page_url=page.url, provenance=prov)
    if item.kind == "repost" and item.account:
        yield ArticleLink(
            aid,
            "reposted_by",
            "@" + item.account.lower(),
            target_platform=page.platform or DEFAULT_PLATFORM,
            page_url=page.url,
            provenance=prov,
        )
