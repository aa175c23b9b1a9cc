"""The ``mastodon`` scenario writer: Mastodon API statuses, one a line.

``statuses.jsonl`` is what a script collecting a server's federated timeline writes (the
streaming API's ``update`` payloads, or ``GET /api/v1/timelines/public`` pages flattened), one
`Status` entity (docs.joinmastodon.org/entities/Status) a line, as Mastodon 4.4 serialises it.
The importer ``mastodon`` (`infoscope.ingest.mastodon`) reads it back. How the scenario maps:

- Accounts live on a few servers of their language (``mastodon.social``, ``chaos.social``...);
  the statuses were collected from ``mastodon.social``, so its accounts have a bare ``acct``
  and the others ``user@server``, and every account has a local ``id`` there. The account key
  the importer stores is ``username@server`` in lower case.
- A status's ``uri`` (the post id the importer stores) is
  ``https://<server>/users/<username>/statuses/<id>`` on the author's server (a boost's ends in
  ``/activity``); ids are the scenario's time-sortable ids, like Mastodon's snowflakes.
- ``content`` is HTML as Mastodon renders it: mentions as ``h-card`` links, hashtags as
  ``mention hashtag`` links to the server's tag page, links whole (``invisible`` and
  ``ellipsis`` spans for the shortened display); ``tags`` and ``mentions`` list them.
- Retweets are boosts (``reblog`` holds the boosted status, the boost's own ``content`` is
  empty), quotes are Mastodon 4.4 quotes (``quote.state`` ``accepted`` with the
  ``quoted_status``), replies have ``in_reply_to_id`` and ``in_reply_to_account_id`` (the
  local ids of the parent and its author, who is among the mentions). As on Mastodon, the
  parent's ``uri`` is not in the reply: the importer maps the local id to the parent's
  ``uri`` from the statuses of the same file.
- Profiles: ``display_name``, ``note`` (HTML), ``created_at`` at midnight (Mastodon 3.4+
  rounds it to the day), follower, following and status counts. Mastodon has no location
  field: the claimed place is a profile metadata field named ``Location`` (kept in ``raw``
  by the importer, which stores no location), and a news-front's site a ``Website`` field.
- Counts: ``replies_count``, ``reblogs_count``, ``favourites_count``, ``quotes_count`` (no
  impressions or bookmarks on Mastodon).
"""

from __future__ import annotations

import html
from typing import Any, ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from infoscope.scenario.batch import QUOTE, REPLY, RETWEET, Batch, Parts
from infoscope.scenario.config import ScenarioConfig
from infoscope.scenario.population import Population
from infoscope.scenario.writers import CorpusWriter, iso_times, register_writer

__all__ = ["MastodonWriter"]

# The server the timeline was collected from, and each language's servers.
HOME = "mastodon.social"
SERVERS = {
    "en": ("mastodon.social", "mastodon.online", "mas.to", "mstdn.social"),
    "de": ("mastodon.social", "chaos.social", "social.tchncs.de", "norden.social"),
    "ru": ("mastodon.social", "mastodon.online", "lor.sh"),
}
OTHER_SERVERS = ("mastodon.social", "mastodon.online")
# Local account ids on the home server: Mastodon-like 18-digit numbers.
ACCOUNT_ID_BASE = 109_312_000_000_000_000


def _display(url: str) -> tuple[str, str, str]:
    """Mastodon's link display: (hidden scheme/www, shown part up to 30 characters, hidden rest)."""
    prefix = ""
    for scheme in ("https://www.", "http://www.", "https://", "http://"):
        if url.startswith(scheme):
            prefix = scheme
            break
    rest = url[len(prefix) :]
    return prefix, rest[:30], rest[30:]


@register_writer
class MastodonWriter(CorpusWriter):
    name = "mastodon"
    filename = "statuses.jsonl"
    platform = "mastodon"
    kinds: ClassVar[tuple[str, ...]] = ("original", "retweet", "reply", "quote")

    def __init__(self, pop: Population, config: ScenarioConfig):
        super().__init__(pop, config)
        n = pop.n
        spread = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)
        spread_list = spread.tolist()
        self.server: list[str] = []
        for a in range(n):
            servers = SERVERS.get(self.lang_code[a], OTHER_SERVERS)
            self.server.append(servers[spread_list[a] % len(servers)])
        self.username = pop.handle
        self.address = [f"{u}@{s}" for u, s in zip(pop.handle, self.server, strict=True)]
        self.acct = [
            u if s == HOME else f"{u}@{s}" for u, s in zip(pop.handle, self.server, strict=True)
        ]
        self.local_id = [str(ACCOUNT_ID_BASE + 7919 * a) for a in range(n)]
        self.profile_url = [
            f"https://{s}/@{u}" for u, s in zip(pop.handle, self.server, strict=True)
        ]
        days = iso_times(pop.created_s * 1000, unit="D")
        self.created = [d + "T00:00:00.000Z" for d in days]
        self.status_prefix = [
            f"https://{s}/users/{u}/statuses/" for u, s in zip(pop.handle, self.server, strict=True)
        ]
        self._accounts: dict[int, dict[str, Any]] = {}
        self._statuses: dict[int, dict[str, Any]] = {}
        end_ms = int(config.start_datetime.timestamp()) * 1000 + config.days * 86_400_000
        self.last_day = iso_times(np.array([end_ms - 1]), unit="D")[0]

    def account_ids(self) -> list[str]:
        return [a.lower() for a in self.address]

    def post_id_array(self, batch: Batch) -> pa.Array:
        prefixes = pa.array(self.status_prefix, pa.string()).take(pa.array(batch.author))
        ids = pa.array(batch.uid, pa.int64()).cast(pa.string())
        suffix = pa.array(np.where(batch.kind == RETWEET, "/activity", ""), pa.string())
        return pc.binary_join_element_wise(prefixes, ids, suffix, "")

    # -- entities ---------------------------------------------------------------------------

    def _account(self, a: int) -> dict[str, Any]:
        """The Account entity of account `a`, as the home server serialises it (cached)."""
        account = self._accounts.get(a)
        if account is None:
            pop = self.pop
            fields = []
            if pop.location[a]:
                fields.append(
                    {"name": "Location", "value": html.escape(pop.location[a]), "verified_at": None}
                )
            if pop.persona[a] == 0:  # news-fronts link their site
                site = pop.description[a].rsplit(" ", 1)[-1]
                fields.append({"name": "Website", "value": _link_html(site), "verified_at": None})
            user, server = self.username[a], self.server[a]
            account = {
                "id": self.local_id[a],
                "username": user,
                "acct": self.acct[a],
                "display_name": pop.name[a],
                "locked": False,
                "bot": False,
                "discoverable": True,
                "group": False,
                "created_at": self.created[a],
                "note": f"<p>{html.escape(pop.description[a], quote=False)}</p>"
                if pop.description[a]
                else "",
                "url": self.profile_url[a],
                "uri": f"https://{server}/users/{user}",
                "avatar": f"https://{server}/system/accounts/avatars/{a}/original.png",
                "avatar_static": f"https://{server}/system/accounts/avatars/{a}/original.png",
                "header": f"https://{server}/headers/original/missing.png",
                "header_static": f"https://{server}/headers/original/missing.png",
                "followers_count": int(pop.followers[a]),
                "following_count": int(pop.following[a]),
                "statuses_count": int(pop.statuses[a]),
                "last_status_at": self.last_day,
                "emojis": [],
                "fields": fields,
            }
            if len(self._accounts) > 100_000:
                self._accounts.clear()
            self._accounts[a] = account
        return account

    def _mention(self, a: int) -> dict[str, str]:
        return {
            "id": self.local_id[a],
            "username": self.username[a],
            "url": self.profile_url[a],
            "acct": self.acct[a],
        }

    def _content(self, parts: Parts, author: int) -> tuple[str, list[Any], list[Any]]:
        """(``content`` HTML, ``mentions``, ``tags``) of a post's parts, as `author`'s server
        renders them: mentions first, then the text, hashtags and links."""
        body, tags, mentions, urls = parts
        server = self.server[author]
        pieces = []
        for m in mentions:
            pieces.append(
                f'<span class="h-card" translate="no"><a href="{self.profile_url[m]}" '
                f'class="u-url mention">@<span>{self.username[m]}</span></a></span>'
            )
        pieces.append(html.escape(body, quote=False))
        for tag in tags:
            pieces.append(
                f'<a href="https://{server}/tags/{tag.lower()}" class="mention hashtag" rel="tag">'
                f"#<span>{html.escape(tag, quote=False)}</span></a>"
            )
        pieces.extend(_link_html(url) for _, url in urls)
        mention_list = [self._mention(m) for m in dict.fromkeys(mentions)]
        tag_list = [{"name": t, "url": f"https://{server}/tags/{t.lower()}"} for t in tags]
        return "<p>" + " ".join(pieces) + "</p>", mention_list, tag_list

    def _status(
        self,
        uid: int,
        author: int,
        created: str,
        parts: Parts,
        counts: tuple[int, int, int, int] = (0, 0, 0, 0),
    ) -> dict[str, Any]:
        """A Status entity for an original post (the object a boost or a quote embeds)."""
        content, mentions, tags = self._content(parts, author)
        replies, reblogs, favourites, quotes = counts
        return {
            "id": str(uid),
            "created_at": created,
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": self.lang_code[author],
            "uri": self.status_prefix[author] + str(uid),
            "url": f"{self.profile_url[author]}/{uid}",
            "replies_count": replies,
            "reblogs_count": reblogs,
            "favourites_count": favourites,
            "quotes_count": quotes,
            "edited_at": None,
            "content": content,
            "reblog": None,
            "account": self._account(author),
            "media_attachments": [],
            "mentions": mentions,
            "tags": tags,
            "emojis": [],
            "card": None,
            "poll": None,
            "quote": None,
        }

    def _referenced(self, uid: int, author: int, created: str, parts: Parts) -> dict[str, Any]:
        """The boosted or quoted status (cached: a post is boosted many times)."""
        status = self._statuses.get(uid)
        if status is None:
            if len(self._statuses) > 20_000:
                self._statuses.clear()
            status = self._statuses[uid] = self._status(uid, author, created, parts)
        return status

    def serialise(self, batch: Batch) -> bytes:
        created = [t + "Z" for t in iso_times(batch.t_ms)]
        ref_created = [t + "Z" for t in iso_times(np.maximum(batch.ref_t_ms, 0))]
        uids, authors, kinds = batch.uid.tolist(), batch.author.tolist(), batch.kind.tolist()
        ref_uid, ref_author = batch.ref_uid.tolist(), batch.ref_author.tolist()
        likes, rts = batch.likes.tolist(), batch.retweets.tolist()
        replies, quotes = batch.replies.tolist(), batch.quotes.tolist()
        ref_parts = batch.ref_parts.tolist()
        lines = []
        for i, parts in enumerate(batch.parts.tolist()):
            a, k, uid = authors[i], kinds[i], uids[i]
            if k == RETWEET:
                boosted = self._referenced(ref_uid[i], ref_author[i], ref_created[i], parts)
                status: dict[str, Any] = {
                    "id": str(uid),
                    "created_at": created[i],
                    "in_reply_to_id": None,
                    "in_reply_to_account_id": None,
                    "sensitive": False,
                    "spoiler_text": "",
                    "visibility": "public",
                    "language": None,
                    "uri": f"{self.status_prefix[a]}{uid}/activity",
                    "url": f"{self.status_prefix[a]}{uid}/activity",
                    "replies_count": 0,
                    "reblogs_count": 0,
                    "favourites_count": 0,
                    "quotes_count": 0,
                    "edited_at": None,
                    "content": "",
                    "reblog": boosted,
                    "account": self._account(a),
                    "media_attachments": [],
                    "mentions": [],
                    "tags": [],
                    "emojis": [],
                    "card": None,
                    "poll": None,
                    "quote": None,
                }
            else:
                status = self._status(
                    uid, a, created[i], parts, (replies[i], rts[i], likes[i], quotes[i])
                )
                if k == REPLY:
                    status["in_reply_to_id"] = str(ref_uid[i])
                    status["in_reply_to_account_id"] = self.local_id[ref_author[i]]
                elif k == QUOTE:
                    quoted = self._referenced(
                        ref_uid[i], ref_author[i], ref_created[i], ref_parts[i]
                    )
                    status["quote"] = {"state": "accepted", "quoted_status": quoted}
            lines.append(orjson.dumps(status))
        lines.append(b"")
        return b"\n".join(lines)


def _link_html(url: str) -> str:
    """A link as Mastodon renders it: the scheme hidden, 30 characters shown, the rest hidden."""
    hidden, shown, rest = _display(url)
    href = html.escape(url)
    return (
        f'<a href="{href}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
        f'<span class="invisible">{html.escape(hidden)}</span>'
        f'<span class="{"ellipsis" if rest else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(rest)}</span></a>'
    )
