"""Interaction edges between accounts, written once with Ibis (DuckDB by default, Spark too).

An edge ``source -> target`` of type ``retweet``, ``quote``, ``reply`` or ``mention`` says the
source account posted something that retweets, quotes, replies to or mentions the target,
weighted by how many posts did so, with the time span of those posts.

Accounts are keyed by ``account_id`` as stored. A target named only by handle (a mention, or a
reply in a source that gives no id) is resolved to the id of the stored account that posts
under that handle (the one with most posts, when a handle was reused), and otherwise keeps the
key ``'@' + lower(handle)``: the key the importers give accounts known only by handle, so the
same account is one node wherever it appears. Targets that never post in the selection are
"outside" the corpus: kept and flagged by default, or dropped with ``outside=False``.

Each interaction is counted once: the ``@x`` that a retweet's ``RT @x:`` or a reply's leading
``@x`` shows is the retweet or reply edge itself, not also a mention (unless only mentions are
selected, when it is the mention), whether the post names the referenced account by handle or,
as Bluesky's AT URIs do, only by id (the mention then resolves to that id). Retweets whose
source never names the original author (the IRA archives) give no retweet edge rather than a
guessed one; their ``RT @x`` text is a mention of ``x``, as the importer extracted it.

A network of several platforms (`keyed_by_platform`) is built from the same queries on tables
whose every account reference (ids, handles, mentions) is written ``platform:reference``: ids
and handles of two platforms never meet, so each interaction stays on its platform and an
account's node key is ``platform:account_id`` (`node_key`, `split_node_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from infoscope.errors import BadParameterError

__all__ = [
    "EdgeSelection",
    "combine_edges",
    "handle_index",
    "interaction_edges",
    "keyed_by_platform",
    "network_nodes",
    "node_key",
    "outside_keys_by_platform",
    "parse_types",
    "select_posts",
    "split_node_key",
]

EDGE_TYPES = ("retweet", "quote", "reply", "mention")


@dataclass(frozen=True)
class EdgeSelection:
    """Which posts and interactions make a network.

    `types` are the interaction types combined into one weight; `platform` is the platform
    whose accounts are the nodes (handles mean nothing across platforms); `since` (inclusive)
    and `until` (exclusive) bound the posts' creation time; `langs` keeps posts in these
    languages; `min_posts` keeps source accounts with at least that many posts in the
    selection; `min_weight` drops combined edges lighter than it; `self_loops` keeps an
    account's interactions with itself; `outside` keeps targets that never post in the
    selection.
    """

    types: tuple[str, ...] = EDGE_TYPES
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    langs: tuple[str, ...] | None = None
    min_posts: int = 1
    min_weight: float = 1.0
    self_loops: bool = False
    outside: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.types) - set(EDGE_TYPES))
        if unknown or not self.types:
            raise BadParameterError(
                f"edge types {', '.join(unknown) or '(none)'}: choose from {', '.join(EDGE_TYPES)}"
            )
        if self.min_posts < 1:
            raise BadParameterError(f"min_posts must be at least 1, got {self.min_posts}")
        if self.min_weight <= 0:
            raise BadParameterError(f"min_weight must be positive, got {self.min_weight}")
        if self.since and self.until and self.since >= self.until:
            raise BadParameterError(f"since {self.since} is not before until {self.until}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "types": list(self.types),
            "platform": self.platform,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "langs": None if self.langs is None else list(self.langs),
            "min_posts": self.min_posts,
            "min_weight": self.min_weight,
            "self_loops": self.self_loops,
            "outside": self.outside,
        }


def select_posts(posts: ibis.Table, selection: EdgeSelection) -> ibis.Table:
    """The posts a selection keeps (platform, time range and languages)."""
    keep = posts.account_id.notnull()
    if selection.platform is not None:
        keep &= posts.platform == selection.platform
    if selection.since is not None:
        keep &= posts.created_at >= selection.since
    if selection.until is not None:
        keep &= posts.created_at < selection.until
    if selection.langs is not None:
        keep &= posts.lang.isin(list(selection.langs))
    return posts.filter(keep)


def handle_index(posts: ibis.Table, accounts: ibis.Table, platform: str | None) -> ibis.Table:
    """``handle`` (lower-case) -> the ``account_id`` posting most under it (ties: smallest id)."""
    if platform is not None:
        posts = posts.filter(posts.platform == platform)
        accounts = accounts.filter(accounts.platform == platform)
    seen = posts.filter(posts.account_handle.notnull() & posts.account_id.notnull()).select(
        handle=posts.account_handle.lower(), account_id=posts.account_id
    )
    profiles = accounts.filter(accounts.handle.notnull()).select(
        handle=accounts.handle.lower(), account_id=accounts.account_id.cast("string")
    )
    counted = (
        seen.union(profiles, distinct=False)
        .group_by(["handle", "account_id"])
        .aggregate(n=_.count())
    )
    ranked = counted.mutate(
        rank=ibis.row_number().over(group_by="handle", order_by=[ibis.desc("n"), "account_id"])
    )
    return ranked.filter(ranked["rank"] == 0).select("handle", "account_id")


def interaction_edges(
    posts: ibis.Table,
    accounts: ibis.Table,
    selection: EdgeSelection | None = None,
) -> ibis.Table:
    """Directed edges ``source, target, type, weight, first_at, last_at, target_handle``.

    One row per (source, target, type), before `combine_edges` merges the types. Self-loops
    and outside targets follow the selection; `min_weight` applies after combining.
    """
    sel = selection or EdgeSelection()
    chosen = select_posts(posts, sel)
    if sel.min_posts > 1:
        active = (
            chosen.group_by("account_id")
            .aggregate(n=_.count())
            .filter(_.n >= sel.min_posts)
            .select(active_id="account_id")
        )
        chosen = chosen.semi_join(active, chosen.account_id == active.active_id)
    handles = handle_index(posts, accounts, sel.platform)
    parts = []
    ref_types = [t for t in sel.types if t != "mention"]
    if ref_types:
        refs = chosen.filter(
            chosen.kind.isin(ref_types)
            & (chosen.ref_account_id.notnull() | chosen.ref_account_handle.notnull())
        )
        parts.append(
            refs.select(
                source=refs.account_id,
                target_id=refs.ref_account_id,
                target_handle=refs.ref_account_handle.lower(),
                type=refs.kind,
                created_at=refs.created_at,
                same_as=ibis.null("string"),
            )
        )
    if "mention" in sel.types:
        # One row per mention, the unnest alone in its projection (Spark allows a generator
        # only there), lower-cased in the next.
        named = chosen.select(
            source=chosen.account_id,
            mentioned=chosen.mentions.unnest(),
            kind=chosen.kind,
            ref_handle=chosen.ref_account_handle.lower(),
            ref_id=chosen.ref_account_id.cast("string"),
            created_at=chosen.created_at,
        )
        named = named.select(
            "source",
            target_handle=named.mentioned.lower(),
            kind="kind",
            ref_handle="ref_handle",
            ref_id="ref_id",
            created_at="created_at",
        )
        # A retweet's "RT @x" or a reply's leading "@x" names the account the retweet or
        # reply edge already counts: one interaction, one edge, when that type is selected.
        # The mention is that account when it has the post's referenced handle, or (sources
        # that give the referenced account's id but no handle, such as Bluesky's AT URIs)
        # when it resolves to the referenced id: `same_as`, checked after resolution.
        if ref_types:
            named = named.filter(
                ~named.kind.isin(ref_types)
                | (named.target_handle != named.ref_handle.fill_null(""))
            )
        same_as = (
            named.kind.isin(ref_types).ifelse(named.ref_id, ibis.null("string"))
            if ref_types
            else ibis.null("string")
        )
        parts.append(
            named.select(
                "source",
                target_id=ibis.null("string"),
                target_handle="target_handle",
                type=ibis.literal("mention"),
                created_at="created_at",
                same_as=same_as,
            )
        )
    both = parts[0] if len(parts) == 1 else parts[0].union(parts[1], distinct=False)
    resolved = both.left_join(handles, both.target_handle == handles.handle)
    resolved = resolved.select(
        "source",
        "type",
        "created_at",
        "same_as",
        target_handle=resolved.target_handle,
        target=ibis.coalesce(
            resolved.target_id, resolved.account_id, ibis.literal("@") + resolved.target_handle
        ),
    )
    resolved = resolved.filter(
        resolved.same_as.isnull() | (resolved.target != resolved.same_as)
    ).drop("same_as")
    if not sel.self_loops:
        resolved = resolved.filter(resolved.source != resolved.target)
    if not sel.outside:
        posting = chosen.select(posting_id="account_id").distinct()
        resolved = resolved.semi_join(posting, resolved.target == posting.posting_id)
    return resolved.group_by(["source", "target", "type"]).aggregate(
        weight=_.count(),
        first_at=_.created_at.min(),
        last_at=_.created_at.max(),
        target_handle=_.target_handle.max(),
    )


def combine_edges(edges: ibis.Table, *, min_weight: float = 1.0) -> ibis.Table:
    """One row per (source, target): total ``weight``, the count per type, and the time span."""
    per_type = {
        t: (edges.type == t).ifelse(edges.weight, 0).sum().cast("int64") for t in EDGE_TYPES
    }
    combined = edges.group_by(["source", "target"]).aggregate(
        weight=edges.weight.sum().cast("float64"),
        **per_type,
        first_at=edges.first_at.min(),
        last_at=edges.last_at.max(),
    )
    if min_weight > 1:
        combined = combined.filter(combined.weight >= min_weight)
    return combined


def network_nodes(
    posts: ibis.Table,
    accounts: ibis.Table,
    edges: ibis.Table,
    selection: EdgeSelection | None = None,
) -> ibis.Table:
    """Every account an edge touches: ``account_id, handle, posts, in_corpus``.

    ``posts`` counts the account's posts in the selection; ``in_corpus`` is whether it has any
    (an account only ever mentioned has none). The handle is the profile's, else the latest
    one it posted under, else the handle it was named by.
    """
    sel = selection or EdgeSelection()
    chosen = select_posts(posts, sel)
    ends = (
        edges.select(account_id="source", named=ibis.null("string"))
        .union(edges.select(account_id="target", named="target_handle"), distinct=False)
        .group_by("account_id")
        .aggregate(named=_.named.max())
    )
    # The handle of the account's latest post; among posts of the same instant, the last
    # handle in sort order (explicit, so every engine and every run agree).
    handles = chosen.filter(chosen.account_handle.notnull())
    handles = handles.mutate(
        rank=ibis.row_number().over(
            ibis.window(
                group_by="account_id",
                order_by=[ibis.desc(handles.created_at), ibis.desc(handles.account_handle)],
            )
        )
    )
    latest = handles.filter(handles["rank"] == 0).select(
        latest_id="account_id", latest="account_handle"
    )
    counts = chosen.group_by("account_id").aggregate(n=_.count())
    counts = counts.left_join(latest, counts.account_id == latest.latest_id).select(
        count_id="account_id", n="n", latest="latest"
    )
    profiles = accounts
    if sel.platform is not None:
        profiles = profiles.filter(profiles.platform == sel.platform)
    profiles = profiles.select(profile_id="account_id", profile_handle="handle")
    joined = ends.left_join(counts, ends.account_id == counts.count_id).left_join(
        profiles, ends.account_id == profiles.profile_id
    )
    return joined.select(
        "account_id",
        handle=ibis.coalesce(joined.profile_handle, joined.latest, joined.named),
        posts=joined.n.fill_null(0),
        in_corpus=joined.n.notnull(),
    ).order_by("account_id")


def parse_types(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"mention,reply"`` or an iterable of names -> a tuple of edge types (validated)."""
    if value is None:
        return EDGE_TYPES
    names: Sequence[str] = value.split(",") if isinstance(value, str) else list(value)
    types = tuple(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    EdgeSelection(types=types)  # validates
    return types


def node_key(platform: str, account_id: str, *, cross_platform: bool) -> str:
    """An account's node key: ``platform:account_id`` in a network of several platforms, the
    id itself in a network of one."""
    return f"{platform}:{account_id}" if cross_platform else account_id


def split_node_key(key: str) -> tuple[str, str]:
    """``platform:account_id`` -> (platform, account_id); the id may hold colons (DIDs). An
    account known only by handle is ``platform:@handle``."""
    platform, _, account_id = key.partition(":")
    return platform, account_id


def outside_keys_by_platform(keys: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Node keys of a network of several platforms with the accounts known only by handle
    written ``platform:@handle`` (the queries name them ``@`` + their keyed handle,
    ``@platform:handle``), so that every key starts with its platform."""
    import pyarrow.compute as pc

    return pc.replace_substring_regex(keys, pattern=r"^@([^:]*):", replacement=r"\1:@")


def keyed_by_platform(
    posts: ibis.Table,
    accounts: ibis.Table,
    labels: ibis.Table | None,
    platforms: Sequence[str],
) -> tuple[ibis.Table, ibis.Table, ibis.Table | None]:
    """The posts, accounts and labels of `platforms`, every account reference (``account_id``,
    handles, ``ref_account_*``, ``mentions``) written ``platform:reference``, so that the
    queries of this module, run on them with no platform in the selection, build one network
    of several platforms whose nodes are `node_key` keys (`labels` None stays None: data
    without ``account_labels``)."""

    def keyed(table: ibis.Table, column: str) -> ibis.Value:
        value = table[column].cast("string")
        return value.isnull().ifelse(ibis.null("string"), table.platform + ":" + value)

    wanted = list(platforms)
    posts = posts.filter(posts.platform.isin(wanted))
    posts = posts.mutate(
        account_id=keyed(posts, "account_id"),
        account_handle=keyed(posts, "account_handle"),
        ref_account_id=keyed(posts, "ref_account_id"),
        ref_account_handle=keyed(posts, "ref_account_handle"),
        mentions=posts.mentions.map(lambda m: posts.platform + ":" + m),
    )
    accounts = accounts.filter(accounts.platform.isin(wanted))
    accounts = accounts.mutate(
        account_id=keyed(accounts, "account_id"), handle=keyed(accounts, "handle")
    )
    if labels is not None:
        labels = labels.filter(labels.platform.isin(wanted))
        labels = labels.mutate(account_id=keyed(labels, "account_id"))
    return posts, accounts, labels
