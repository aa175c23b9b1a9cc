"""Mastodon API statuses (``GET /api/v1/timelines/...``, ``/api/v1/accounts/:id/statuses``).

What a script collecting from a Mastodon instance writes (Mastodon.py's ``timeline_*`` or
``account_statuses`` results, ``curl`` pages, ``toot``): `Status` entities
(docs.joinmastodon.org/entities/Status) as a JSON array (one API page, or pages merged), one a
line (JSON Lines) or pretty-printed one after the other. Detected by ``id``, ``uri``,
``created_at``, ``account`` and ``content`` in the first status. Servers that implement the
Mastodon API (Pleroma, Akkoma, GoToSocial) write the same entities; pass ``--platform`` to name
them.

Identifiers
-----------
Mastodon ids are local to the instance that served them: the same status or account has other
ids on another instance. So:

- ``post_id`` is the status's ``uri``, its ActivityPub id (``https://mastodon.social/users/
  alice/statuses/1093...``), the same whichever instance served it (``url`` when ``uri`` is
  missing), so statuses collected from several instances merge.
- ``account_id`` is the account's address ``username@domain``, lower-cased (Mastodon matches
  usernames and domains case-insensitively). ``acct`` gives it for remote accounts
  (``bob@example.social``); a local account's ``acct`` is the bare username, qualified with the
  host of its profile ``url`` (else of its ``uri``). ``account_handle`` is the address as
  written, so mentions (stored the same way) resolve to the account. The instance-local ``id``
  stays in ``raw``. An account with neither a qualified ``acct`` nor a URL has no
  ``account_id``. Limit: an instance whose account domain differs from its web host
  (``alice@example.com`` served at ``social.example.com``) gives its own local accounts the
  web host, so they key differently when collected there and elsewhere.

Mapping
-------
- ``created_at`` (``2024-05-01T10:00:00.000Z``; ``--date-format`` layouts are honoured);
  ``text`` is ``content`` as plain text (HTML tags dropped, ``<br>`` a line break, paragraphs
  separated by a blank line, the hidden parts of shortened links kept so links read whole);
  ``lang`` ``language``.
- ``hashtags`` are ``tags[].name`` lower-cased; ``mentions`` the mentioned accounts'
  addresses (as ``account_id``); ``urls`` the links of ``content`` that are not mentions or
  hashtags; ``media_ids`` ``media_attachments[].id``.
- Kind: a boost (``reblog`` set) is ``retweet``, referring to the boosted status's ``uri`` and
  its author; its text, tags, mentions, links and media are the boosted status's (the boost's
  own ``content`` is empty). A quote (Mastodon 4.4+: ``quote`` with ``state`` and
  ``quoted_status``; forks that put a status in ``quote`` are read too) is ``quote`` referring
  to the quoted status, when the server included it. Else ``in_reply_to_id`` makes a
  ``reply``; the parent's author is ``in_reply_to_account_id`` found among the mentions (or the
  author's own thread). A quote that replies is a quote.
- A reply's parent (``ref_post_id``): ``in_reply_to_id`` is the id of the parent *on the server
  that served the data* (ids are local; the parent's global id is its ``uri``), so it is
  mapped to a ``uri`` by what the same source holds, in this order:

  1. the parent is in the same source (any status, boosted status or quoted status read from
     it, before or after the reply, with that local ``id``): its ``uri`` (and its author,
     when the mentions did not give it). Timelines come newest first, so a reply whose parent
     has not been read yet waits for it, up to 10,000 waiting replies at a time (past that
     the oldest goes on unresolved, or resolved by rule 2);
  2. the parent's author is local to that server (the mention's ``acct`` has no domain), and
     the server writes Mastodon's URIs, ``https://<host>/users/<username>/statuses/<id>``
     (seen on a status of the same source whose ``uri`` is that with its own ``id``): the
     parent's ``uri`` is that with ``in_reply_to_id``, the key the parent is stored under
     when it is ingested later, from any server;
  3. else unknown (a remote parent not in the input: its local id says nothing of its
     ``uri``); ``in_reply_to_id`` stays in ``raw``.

  One source is assumed to come from one server (each API request goes to one); ids are
  64-bit snowflakes, so two servers' statuses merged in one file share an id only by chance.
- ``metrics``: every integer ``*_count`` of the status (``replies_count``, ``reblogs_count``,
  ``favourites_count``, ``quotes_count``).
- Accounts: the author, and the authors of boosted and quoted statuses, with ``display_name``,
  ``note`` as text, ``created_at``, ``followers_count``, ``following_count``,
  ``statuses_count``, ``url``; ``raw`` is the account entity (``bot``, ``group``, ``locked``,
  ``fields``, the local ``id``...).
- ``raw`` of a post is the whole status as read (``visibility``, ``spoiler_text``,
  ``sensitive``, ``card``, ``poll``, the boosted status...).

A status without ``uri`` or ``url`` is quarantined as ``missing post id``, one whose date does
not parse with the value and the fix, an API error object (``{"error": ...}``) or anything
that is not a status as ``not a status: ...``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import orjson

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    dumps,
    first_record_keys,
    head_keys,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest.dates import parse_date, unparseable_date_reason
from infoscope.ingest.formats import (
    JSON_KINDS,
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.sources import Source
from infoscope.records import Account, Post, Provenance

__all__ = [
    "Mastodon",
    "ReplyParents",
    "account_address",
    "html_to_text",
    "map_status",
    "parse_mastodon_date",
]

PLATFORM = "mastodon"
_MARKERS = frozenset({"id", "uri", "created_at", "account", "content"})
_BLOCKS = frozenset({"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"})
_SPACES = re.compile(r"[ \t]+")


class _Content(HTMLParser):
    """Plain text and link targets of a status's HTML ``content``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            found = dict(attrs)
            classes = (found.get("class") or "").split()
            rel = (found.get("rel") or "").split()
            href = found.get("href")
            # Mentions (class "mention") and hashtags (also rel="tag") are not links.
            if href and "mention" not in classes and "hashtag" not in classes and "tag" not in rel:
                self.links.append(href)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: Any) -> tuple[str | None, list[str]]:
    """(plain text, link URLs) of Mastodon HTML; (None, []) for empty or non-text content."""
    if not isinstance(html, str) or not html.strip():
        return None, []
    parser = _Content()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return cleaned or None, parser.links


def parse_mastodon_date(value: Any) -> datetime | None:
    """``2024-05-01T10:00:00.000Z`` as aware UTC (a time without an offset is UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _host(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    host = urlsplit(url.strip()).hostname
    return host or None


def account_address(account: Any) -> str | None:
    """``username@domain`` as written (see the module docstring), None if no domain is known."""
    account = as_dict(account)
    acct = text_or_none(account.get("acct")) or text_or_none(account.get("username"))
    if acct is None:
        return None
    acct = acct.lstrip("@")
    if "@" in acct:
        return acct
    domain = _host(account.get("url")) or _host(account.get("uri"))
    return f"{acct}@{domain}" if domain else None


def _key(address: str | None) -> str | None:
    return None if address is None else address.lower()


def _account(account: dict[str, Any], platform: str, prov: Provenance) -> Account | None:
    address = account_address(account)
    if address is None:
        return None
    note, _ = html_to_text(account.get("note"))
    return Account(
        platform=platform,
        account_id=address.lower(),
        handle=address,
        display_name=text_or_none(account.get("display_name")),
        description=note,
        created_at=parse_mastodon_date(account.get("created_at")),
        followers=int_or_none(account.get("followers_count")),
        following=int_or_none(account.get("following_count")),
        posts_count=int_or_none(account.get("statuses_count")),
        url=text_or_none(account.get("url")),
        raw=dumps(account),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


def _quoted(status: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(is a quote, the quoted status when included) of a status's ``quote``."""
    quote = status.get("quote")
    if not isinstance(quote, dict):
        return False, {}
    if "uri" in quote and "account" in quote:  # forks: the quoted status itself
        return True, quote
    return True, as_dict(quote.get("quoted_status"))


def _reply_target(status: dict[str, Any]) -> str | None:
    """The address of the replied-to account: the author (a thread) or one of the mentions."""
    target = status.get("in_reply_to_account_id")
    if target is None:
        return None
    if as_dict(status.get("account")).get("id") == target:
        return account_address(status.get("account"))
    for mention in as_list(status.get("mentions")):
        if as_dict(mention).get("id") == target:
            return account_address(mention)
    return None


class Mastodon(RecordFormat):
    name = "mastodon"
    containers = JSON_KINDS
    description = (
        "Mastodon API statuses (timelines, account statuses), JSON array or JSON Lines; "
        "markers: id, uri, created_at, account, content"
    )

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        if keys is None and sniff.kind == "json-array":
            keys = head_keys(sniff.head, "item")  # a first status longer than the head
        return 20 if keys and keys >= _MARKERS else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or PLATFORM
        parents = ReplyParents()
        record = 0
        for item in iter_json_records(source, ctx):
            record += 1
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            prov = Provenance(source.name, record, item.line)
            status = item.value
            mapped = list(
                map_status(status, item.raw, prov, platform=platform, date_formats=ctx.date_formats)
            )
            yield from parents.add(as_dict(status), mapped)
        yield from parents.finish()


_MAX_WAITING = 10_000


class ReplyParents:
    """The local ids of one source's statuses mapped to their URIs, and the replies waiting
    for their parent (see "A reply's parent" in the module docstring)."""

    def __init__(self, max_waiting: int = _MAX_WAITING):
        self.max_waiting = max_waiting
        self.uris: dict[str, tuple[str, str | None]] = {}  # local id -> (uri, author address)
        self.hosts: set[str] = set()  # hosts seen writing Mastodon's status URIs
        self.waiting: dict[int, tuple[str, list[ParsedItem]]] = {}  # order -> (parent, items)
        self.by_parent: dict[str, list[int]] = {}
        self.order = 0

    def add(self, status: dict[str, Any], mapped: list[ParsedItem]) -> Iterator[ParsedItem]:
        """Learn a status's ids, and give its mapped records (now, or once its parent is
        known), then the waiting replies whose parent it is."""
        for known in (status, as_dict(status.get("reblog")), _quoted(status)[1]):
            self.learn(known)
        post = mapped[0] if mapped and isinstance(mapped[0], Post) else None
        parent = id_text(status.get("in_reply_to_id"))
        unresolved = (
            post is not None
            and post.kind == "reply"
            and parent is not None
            and not self.resolve(post, parent, final=False)
        )
        if not unresolved or parent is None:
            yield from mapped
        else:
            self.order += 1
            self.waiting[self.order] = (parent, mapped)
            self.by_parent.setdefault(parent, []).append(self.order)
            if len(self.waiting) > self.max_waiting:
                yield from self.release(next(iter(self.waiting)))
        for known in (status, as_dict(status.get("reblog")), _quoted(status)[1]):
            local = id_text(known.get("id"))
            for order in self.by_parent.pop(local, []) if local else []:
                yield from self.release(order, forget=False)

    def learn(self, status: dict[str, Any]) -> None:
        local = id_text(status.get("id"))
        uri = text_or_none(status.get("uri")) or text_or_none(status.get("url"))
        if local is None or uri is None:
            return
        account = as_dict(status.get("account"))
        self.uris.setdefault(local, (uri, _key(account_address(account))))
        username = text_or_none(account.get("username"))
        host = _host(account.get("url"))
        acct = text_or_none(account.get("acct")) or ""
        if host and username and "@" not in acct and uri == _status_uri(host, username, local):
            self.hosts.add(host)

    def resolve(self, post: Post, parent: str, *, final: bool) -> bool:
        """Set the reply's parent URI if it can be known now (rule 2 only when `final`: rule
        1 is preferred while the parent may still come)."""
        found = self.uris.get(parent)
        if found is not None:
            post.ref_post_id = found[0]
            if post.ref_account_id is None and found[1] is not None:
                post.ref_account_id = post.ref_account_handle = found[1]
            return True
        if final:
            post.ref_post_id = self.constructed(post, parent)
        return post.ref_post_id is not None

    def constructed(self, post: Post, parent: str) -> str | None:
        status = _raw_status(post)
        target = id_text(status.get("in_reply_to_account_id"))
        if target is None:
            return None
        candidates = [
            as_dict(status.get("account")),
            *map(as_dict, as_list(status.get("mentions"))),
        ]
        for account in candidates:
            if id_text(account.get("id")) != target:
                continue
            acct = text_or_none(account.get("acct")) or ""
            username = text_or_none(account.get("username")) or acct
            host = _host(account.get("url"))
            if "@" not in acct and username and host in self.hosts:
                return _status_uri(host, username, parent)
        return None

    def release(self, order: int, *, forget: bool = True) -> Iterator[ParsedItem]:
        parent, mapped = self.waiting.pop(order)
        if forget:
            self.by_parent[parent].remove(order)
            if not self.by_parent[parent]:
                del self.by_parent[parent]
        post = mapped[0]
        assert isinstance(post, Post)
        self.resolve(post, parent, final=True)
        yield from mapped

    def finish(self) -> Iterator[ParsedItem]:
        for order in list(self.waiting):
            yield from self.release(order)


def _status_uri(host: str, username: str, local_id: str) -> str:
    """Mastodon's URI of a status of a local account (ActivityPub id)."""
    return f"https://{host}/users/{username}/statuses/{local_id}"


def _raw_status(post: Post) -> dict[str, Any]:
    """The status a post was mapped from (its ``raw``)."""
    return as_dict(orjson.loads(post.raw)) if post.raw else {}


def map_status(
    status: Any,
    raw: str,
    prov: Provenance,
    *,
    platform: str = PLATFORM,
    date_formats: tuple[str, ...] = (),
) -> Iterator[ParsedItem]:
    """One Mastodon status as a `Post` and the `Account`s of its author and referents."""
    if not isinstance(status, dict):
        yield Quarantined("not a status: not a JSON object", raw, prov.record, prov.line)
        return
    if "error" in status and "id" not in status:
        yield Quarantined("not a status: error message", raw, prov.record, prov.line)
        return
    if not isinstance(status.get("account"), dict) or "content" not in status:
        yield Quarantined("not a status: no account or content", raw, prov.record, prov.line)
        return
    post_id = text_or_none(status.get("uri")) or text_or_none(status.get("url"))
    if post_id is None:
        yield Quarantined("missing post id: no uri or url", raw, prov.record, prov.line)
        return
    created = parse_date(status.get("created_at"), date_formats, parse_mastodon_date)
    if created is None:
        shown = status.get("created_at")
        reason = unparseable_date_reason(None if shown is None else str(shown))
        yield Quarantined(reason, raw, prov.record, prov.line)
        return

    author = status["account"]
    boosted = as_dict(status.get("reblog"))
    is_quote, quoted = _quoted(status)
    kind = "original"
    ref: dict[str, Any] = {}
    ref_address = None
    if boosted:
        kind, ref = "retweet", boosted
    elif is_quote:
        kind, ref = "quote", quoted
    elif status.get("in_reply_to_id") is not None:
        kind = "reply"
        ref_address = _reply_target(status)
    if ref:
        ref_address = account_address(ref.get("account"))
    content = boosted or status
    text, links = html_to_text(content.get("content"))
    hashtags = [
        t["name"].lower()
        for t in as_list(content.get("tags"))
        if isinstance(t, dict) and text_or_none(t.get("name"))
    ]
    mentions = [
        address.lower()
        for m in as_list(content.get("mentions"))
        if (address := account_address(m)) is not None
    ]
    media = [
        str(m["id"])
        for m in as_list(content.get("media_attachments"))
        if isinstance(m, dict) and m.get("id") is not None
    ]
    metrics = {
        key: value
        for key, raw_value in status.items()
        if key.endswith("_count") and (value := int_or_none(raw_value)) is not None
    }
    address = account_address(author)
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=_key(address),
        account_handle=address,
        created_at=created,
        text=text,
        lang=text_or_none(content.get("language")) or text_or_none(status.get("language")),
        kind=kind,
        ref_post_id=(text_or_none(ref.get("uri")) or text_or_none(ref.get("url"))) if ref else None,
        ref_account_id=_key(ref_address),
        ref_account_handle=ref_address,
        hashtags=hashtags,
        mentions=mentions,
        urls=links,
        media_ids=media or None,
        metrics=metrics or None,
        raw=raw,
        provenance=prov,
    )
    seen: set[str] = set()
    for account in (author, as_dict(boosted.get("account")), as_dict(quoted.get("account"))):
        mapped = _account(account, platform, prov) if account else None
        if mapped is not None and mapped.account_id not in seen:
            seen.add(mapped.account_id)
            yield mapped


register(Mastodon())
