"""VK (VKontakte) wall posts and comments from the VK API.

What is read, all recognised by their markers:

- **API responses** as the API returns them, ``{"response": {"count", "items": [...],
  "profiles": [...], "groups": [...]}}`` (``profiles`` and ``groups`` with ``extended=1``):
  ``wall.get``, ``wall.getById``, ``wall.search``, ``newsfeed.search`` and ``wall.getComments``
  (items with their ``thread`` of replies when ``thread_items_count`` was asked). One response
  a line (JSON Lines), a JSON array of responses, or one pretty-printed. Detected by
  ``response.items`` whose first item has ``id``, ``date`` and ``from_id`` or ``owner_id``.
- **Items one a line** (what collection scripts usually write): posts or comments, detected by
  ``id``, ``date``, ``text``, ``from_id`` and ``owner_id``. Profiles and groups are then not
  known: accounts are stored by id only.

Field reference: VK API documentation (dev.vk.com: "Post", "Comment", "User", "Community"
objects; wall.get, wall.getComments).

Mapping
-------
- ``post_id`` is ``<owner_id>_<id>``, VK's own notation (``wall-1_340364`` on the site): ids
  are only unique within a wall. A community's ``owner_id`` is negative. A comment is keyed the
  same way: VK numbers a wall's comments in the same sequence as its posts (``wall.getComment``
  takes only ``owner_id`` and ``comment_id``); a comment without ``owner_id`` (API versions
  before 5.x) is quarantined as ``missing post id``.
- ``account_id`` is ``from_id`` as VK writes it (``12345`` a user, ``-1`` a community), else
  the wall's ``owner_id``; ``account_handle`` the author's ``screen_name`` from the
  response's ``profiles``/``groups`` (NULL when the response has none).
- ``created_at``: ``date``, seconds since the epoch (UTC); text dates, as some exporters write
  them, are read with ``--date-format`` when given, else as ISO 8601.
- A repost has ``copy_history`` (the chain of reposted posts, the directly reposted one first):
  kind ``retweet`` when the reposter added no text (its text, links and media are then the
  original's, as for retweets of tweets), ``quote`` when it added some (its own text, links and
  media); ``ref_post_id`` ``<owner_id>_<id>`` of the reposted post, ``ref_account_id`` its
  ``from_id`` (else ``owner_id``) and ``ref_account_handle`` that account's ``screen_name``
  when the response has it. A post answering another one (``reply_owner_id`` and
  ``reply_post_id``) is a ``reply`` to ``<reply_owner_id>_<reply_post_id>``. A comment is a
  ``reply``: to the comment it answers (``reply_to_comment``, ``ref_account_id``
  ``reply_to_user``), else to the post (``<owner_id>_<post_id>``).
- ``urls``: the ``url`` of ``link`` attachments followed by the URLs of the text; without link
  attachments the store extracts them from the text. ``media_ids``: attachments in VK's own
  notation ``<type><owner_id>_<id>`` (``photo-1_456239017``, ``video...``, ``audio...``,
  ``doc...``), the same for every repost of the same file. Other attachments (polls, market
  items...) stay in ``raw``.
- ``mentions``: VK writes mentions as markup, ``[id123|Name]``, ``[club45|Name]``: each is the
  mentioned account's ``screen_name`` when the response has its profile, else ``id123`` /
  ``club45`` (VK's default screen names), plus plain ``@name`` mentions. Without markup the
  store extracts ``@name`` mentions from the text. Hashtags are extracted from the text.
- ``metrics``: ``like_count``, ``repost_count``, ``comment_count`` and ``view_count`` (the
  ``count`` of ``likes``, ``reposts``, ``comments``, ``views``); for a comment ``like_count``
  and ``reply_count`` (``thread.count``).
- ``raw``: the item as read (for a comment, without its ``thread``, whose replies are posts of
  their own).

Accounts: every profile and group of a response: users (``profiles``) with ``account_id``
their ``id``, ``handle`` ``screen_name``, ``display_name`` first and last name; communities
(``groups``) with ``account_id`` ``-<id>`` (the sign of ``owner_id``), ``handle``
``screen_name``, ``display_name`` ``name``, ``followers`` ``members_count``. Whether an
account is a user or a community is in its ``raw`` JSON as ``"account_kind": "user"`` or
``"community"`` (with the profile's other fields: ``type`` page/group/event, ``is_closed``,
``deactivated``...). An author without a profile in the response is stored by id with only
its kind. Provenance as for Twitter v2 pages: each item is a record (``line`` the response's
line); an account has the record of the first item naming it.

Not posts, quarantined with the reason: an API ``error`` response (``not a post: API error
<code> ...``), deleted comments and posts (``not a post: deleted ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    dumps,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest._social_json import keys_at, merge_urls, post_time
from infoscope.ingest.dates import unparseable_date_reason
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

__all__ = ["VK", "account_from_group", "account_from_profile", "vk_mentions"]

PLATFORM = "vk"
_MEDIA_TYPES = ("photo", "video", "audio", "doc")
_ITEM_KEYS = frozenset({"id", "date"})
_LINE_KEYS = frozenset({"id", "date", "text", "from_id", "owner_id"})
# [id123|Name], [club45|Name], [public45|Name], [event7|Name]: VK's mention markup.
_MARKUP = re.compile(r"\[(id|club|public|event)(\d+)\|([^\]]*)\]")
_PLAIN_MENTION = re.compile(
    r"(?:^|[^\w@/.\[|])[@＠]([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?)"
)
_METRICS = (
    ("likes", "like_count"),
    ("reposts", "repost_count"),
    ("comments", "comment_count"),
    ("views", "view_count"),
)
_USER_MAPPED = frozenset(
    {"id", "first_name", "last_name", "screen_name", "followers_count", "verified"}
)
_GROUP_MAPPED = frozenset({"id", "name", "screen_name", "members_count", "verified"})


def _verified(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return bool(value) if value in (0, 1) else None


def account_from_profile(user: dict[str, Any], platform: str, prov: Provenance) -> Account | None:
    """A VK user object (``profiles``) as an `Account`."""
    account_id = id_text(user.get("id"))
    if account_id is None:
        return None
    name = " ".join(
        part
        for part in (text_or_none(user.get("first_name")), text_or_none(user.get("last_name")))
        if part
    )
    rest = {k: v for k, v in user.items() if k not in _USER_MAPPED}
    return Account(
        platform,
        account_id,
        handle=text_or_none(user.get("screen_name")),
        display_name=name or None,
        followers=int_or_none(user.get("followers_count")),
        verified=_verified(user.get("verified")),
        raw=dumps({"account_kind": "user", **rest}),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


def account_from_group(group: dict[str, Any], platform: str, prov: Provenance) -> Account | None:
    """A VK community object (``groups``) as an `Account` keyed ``-<id>``."""
    group_id = int_or_none(group.get("id"))
    if group_id is None:
        return None
    rest = {k: v for k, v in group.items() if k not in _GROUP_MAPPED}
    return Account(
        platform,
        str(-abs(group_id)),
        handle=text_or_none(group.get("screen_name")),
        display_name=text_or_none(group.get("name")),
        followers=int_or_none(group.get("members_count")),
        verified=_verified(group.get("verified")),
        raw=dumps({"account_kind": "community", **rest}),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


class _Directory:
    """The profiles and groups of one response, by account id (``-<id>`` for groups)."""

    def __init__(self, page: dict[str, Any] | None = None):
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        if page is None:
            return
        for user in as_list(page.get("profiles")):
            if isinstance(user, dict) and (uid := id_text(user.get("id"))) is not None:
                self.users[uid] = user
        for group in as_list(page.get("groups")):
            if isinstance(group, dict) and (gid := int_or_none(group.get("id"))) is not None:
                self.groups[str(-abs(gid))] = group

    def profile(self, account_id: str) -> dict[str, Any] | None:
        return self.groups.get(account_id) or self.users.get(account_id)

    def handle(self, account_id: str | None) -> str | None:
        found = self.profile(account_id) if account_id else None
        return text_or_none(found.get("screen_name")) if found else None

    def account(self, account_id: str, platform: str, prov: Provenance) -> Account | None:
        """The account with its profile when the response has it, else by id with its kind."""
        if account_id in self.groups:
            return account_from_group(self.groups[account_id], platform, prov)
        if account_id in self.users:
            return account_from_profile(self.users[account_id], platform, prov)
        if not re.fullmatch(r"-?[1-9][0-9]*", account_id):
            return None
        kind = "community" if account_id.startswith("-") else "user"
        return Account(
            platform,
            account_id,
            raw=dumps({"account_kind": kind}),
            provenance=Provenance(prov.source, prov.record, prov.line),
        )

    def all_ids(self) -> list[str]:
        return [*self.users, *self.groups]


def vk_mentions(text: str | None, directory: _Directory | None = None) -> list[str] | None:
    """Mentions of a VK text (see the module docstring); None when it has no markup."""
    if not text or "[" not in text:
        return None
    found: list[str] = []
    for kind, number, _name in _MARKUP.findall(text):
        account_id = number if kind == "id" else f"-{number}"
        handle = directory.handle(account_id) if directory else None
        found.append((handle or f"{kind}{number}").lower())
    if not found:
        return None
    found += [m.lower() for m in _PLAIN_MENTION.findall(_MARKUP.sub(" ", text))]
    return found


def _attachments(item: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Link URLs and media ids (``photo-1_456``) of an item's attachments."""
    urls: list[str] = []
    media: list[str] = []
    for attachment in as_list(item.get("attachments")):
        attachment = as_dict(attachment)
        kind = attachment.get("type")
        body = as_dict(attachment.get(kind)) if isinstance(kind, str) else {}
        if kind == "link" and (url := text_or_none(body.get("url"))):
            urls.append(url)
        elif kind in _MEDIA_TYPES:
            owner, media_id = id_text(body.get("owner_id")), id_text(body.get("id"))
            if owner is not None and media_id is not None:
                media.append(f"{kind}{owner}_{media_id}")
    return urls, media


def _metrics(item: dict[str, Any]) -> dict[str, int] | None:
    metrics = {
        name: count
        for key, name in _METRICS
        if (count := int_or_none(as_dict(item.get(key)).get("count"))) is not None
    }
    return metrics or None


def _wall_id(owner: Any, item_id: Any) -> str | None:
    owner_text, id_part = id_text(owner), id_text(item_id)
    return None if owner_text is None or id_part is None else f"{owner_text}_{id_part}"


def _is_comment(item: dict[str, Any]) -> bool:
    return "post_id" in item or "parents_stack" in item or "reply_to_comment" in item


class VK(RecordFormat):
    name = "vk"
    containers = JSON_KINDS
    description = "VK API wall.get / wall.getComments responses, or their items one a line"

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in JSON_KINDS:
            return 0
        keys = keys_at(sniff)
        if "response" in keys:
            if "items" not in keys_at(sniff, "response"):
                return 0
            first = keys_at(sniff, "response.items.item")
            return 25 if first >= _ITEM_KEYS and first & {"from_id", "owner_id"} else 0
        return 20 if keys >= _LINE_KEYS else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        parser = _Parser(source.name, ctx.platform or PLATFORM, ctx.date_formats)
        for item in iter_json_records(source, ctx):
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, parser.next_record(), item.line)
                continue
            value = item.value
            if isinstance(value, dict) and "response" in value:
                yield from parser.page(value, item.raw, item.line)
            elif isinstance(value, dict) and "error" in value:
                yield Quarantined(_api_error(value), item.raw, parser.next_record(), item.line)
            else:
                yield from parser.item(value, item.line, _Directory(), set(), item.raw)


def _api_error(value: dict[str, Any]) -> str:
    error = as_dict(value.get("error"))
    code, message = error.get("error_code", ""), error.get("error_msg", "")
    return f"not a post: API error {code} {message}".rstrip()


class _Parser:
    def __init__(self, source: str, platform: str, layouts: tuple[str, ...]):
        self.source = source
        self.platform = platform
        self.layouts = layouts
        self.record = 0

    def next_record(self) -> int:
        self.record += 1
        return self.record

    def page(self, value: dict[str, Any], raw: str, line: int | None) -> Iterator[ParsedItem]:
        response = value.get("response")
        if isinstance(response, list):  # wall.getById and older versions: a list of items
            response = {"items": response}
        if not isinstance(response, dict):
            what = "an empty response" if not response else "a response without items"
            yield Quarantined(f"not a post: {what}", raw, self.next_record(), line)
            return
        directory = _Directory(response)
        yielded: set[str] = set()
        prov = None
        for item in as_list(response.get("items")):
            yield from self.item(item, line, directory, yielded)
            prov = Provenance(self.source, self.record, line)
        # Profiles and groups no item named (say, the author of a reposted post's original).
        if prov is not None:
            for account_id in directory.all_ids():
                if account_id not in yielded:
                    account = directory.account(account_id, self.platform, prov)
                    if account is not None:
                        yielded.add(account_id)
                        yield account

    def item(
        self,
        item: Any,
        line: int | None,
        directory: _Directory,
        yielded: set[str],
        raw: str | None = None,
    ) -> Iterator[ParsedItem]:
        record = self.next_record()
        if not isinstance(item, dict):
            yield Quarantined("not a post: not a JSON object", raw or dumps(item), record, line)
            return
        comment = _is_comment(item)
        thread = item.get("thread") if comment else None
        if raw is None or thread is not None:
            raw = dumps({k: v for k, v in item.items() if k != "thread"})
        if item.get("deleted") is True or item.get("is_deleted") is True:
            what = "deleted comment" if comment else "deleted post"
            yield Quarantined(f"not a post: {what}", raw, record, line)
        else:
            yield from self._post(item, comment, raw, record, line, directory, yielded)
        for reply in as_list(as_dict(thread).get("items")):
            yield from self.item(reply, line, directory, yielded)

    def _post(
        self,
        item: dict[str, Any],
        comment: bool,
        raw: str,
        record: int,
        line: int | None,
        directory: _Directory,
        yielded: set[str],
    ) -> Iterator[ParsedItem]:
        owner = item.get("owner_id")
        post_id = _wall_id(owner, item.get("id"))
        if post_id is None:
            yield Quarantined("missing post id", raw, record, line)
            return
        created = post_time(item.get("date"), self.layouts)
        if created is None:
            shown = item.get("date")
            yield Quarantined(
                unparseable_date_reason(None if shown is None else str(shown)), raw, record, line
            )
            return
        prov = Provenance(self.source, record, line)
        author = id_text(item.get("from_id")) or id_text(owner)
        text = item.get("text") if isinstance(item.get("text"), str) else None
        kind = "original"
        ref_post = ref_account = None
        content = item
        history = [h for h in as_list(item.get("copy_history")) if isinstance(h, dict)]
        if comment:
            kind = "reply"
            if item.get("reply_to_comment") is not None:
                ref_post = _wall_id(owner, item.get("reply_to_comment"))
                ref_account = id_text(item.get("reply_to_user"))
            else:
                ref_post = _wall_id(owner, item.get("post_id"))
        elif history:
            original = history[0]
            kind = "quote" if text and text.strip() else "retweet"
            ref_post = _wall_id(original.get("owner_id"), original.get("id"))
            ref_account = id_text(original.get("from_id")) or id_text(original.get("owner_id"))
            if kind == "retweet":
                content = original
                text = original.get("text") if isinstance(original.get("text"), str) else None
        elif item.get("reply_post_id") is not None:
            kind = "reply"
            ref_post = _wall_id(item.get("reply_owner_id", owner), item.get("reply_post_id"))
        links, media = _attachments(content)
        metrics = _metrics(item)
        if comment:
            metrics = {k: v for k, v in (metrics or {}).items() if k == "like_count"}
            if (replies := int_or_none(as_dict(item.get("thread")).get("count"))) is not None:
                metrics["reply_count"] = replies
        yield Post(
            platform=self.platform,
            post_id=post_id,
            account_id=author,
            account_handle=directory.handle(author),
            created_at=created,
            text=text,
            kind=kind,
            ref_post_id=ref_post,
            ref_account_id=ref_account,
            ref_account_handle=directory.handle(ref_account),
            mentions=vk_mentions(text, directory),
            urls=merge_urls(links, text),
            media_ids=media or None,
            metrics=metrics or None,
            raw=raw,
            provenance=prov,
        )
        for account_id in (author, ref_account):
            if account_id is not None and account_id not in yielded:
                account = directory.account(account_id, self.platform, prov)
                if account is not None:
                    yielded.add(account_id)
                    yield account


register(VK())
