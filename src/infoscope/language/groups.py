"""Groups of accounts or posts, named by a short spec, for keyness and calibration.

A spec is ``KIND:VALUE``:

- ``label:KEY=VALUE`` (or ``KEY=V1|V2``): accounts the analyst labelled so, e.g.
  ``label:account_category=RightTroll``;
- ``community:C`` or ``community:RUN:C``: the accounts of community C in the latest (or the
  given) communities run; ``C1|C2`` for several;
- ``accounts:FILE``: the accounts listed in FILE, one id or ``@handle`` per line;
- ``format:NAME``: accounts with posts read in that input format (``crowdflower-tweets``);
- ``source:TEXT``: accounts with posts from an input file whose path contains TEXT;
- ``window:START..END``: the posts from START (inclusive) to END (exclusive), of any account,
  dates as ``YYYY-MM-DD``;
- ``all``: every post; ``rest``: every post not in the other group (only as a reference).

`group_posts` turns a spec into the Ibis table of the group's posts on one platform;
`group_accounts` into its accounts (not for windows, which group posts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["GroupSpec", "group_accounts", "group_posts"]

KINDS = ("label", "community", "accounts", "format", "source", "window", "all", "rest")


@dataclass(frozen=True)
class GroupSpec:
    """A parsed group spec (see the module docs)."""

    kind: str
    value: str = ""

    @classmethod
    def parse(cls, spec: str) -> GroupSpec:
        kind, _, value = spec.strip().partition(":")
        kind = kind.lower()
        if kind not in KINDS:
            raise BadParameterError(
                f"group {spec!r}: start with one of {', '.join(k + ':' for k in KINDS[:-2])} "
                "or say all/rest (e.g. label:account_category=RightTroll)"
            )
        if kind in ("all", "rest"):
            return cls(kind)
        if not value:
            raise BadParameterError(f"group {spec!r}: give a value after '{kind}:'")
        if kind == "label" and "=" not in value:
            raise BadParameterError(f"group {spec!r}: write label:KEY=VALUE")
        if kind == "window":
            _window(value)
        if kind == "accounts" and not Path(value).is_file():
            raise BadParameterError(f"group {spec!r}: no file {value}")
        return cls(kind, value)

    def __str__(self) -> str:
        return self.kind if not self.value else f"{self.kind}:{self.value}"

    @property
    def is_window(self) -> bool:
        return self.kind == "window"


def _window(value: str) -> tuple[datetime, datetime]:
    start, sep, end = value.partition("..")
    try:
        if not sep:
            raise ValueError
        bounds = tuple(datetime.fromisoformat(v.strip()).replace(tzinfo=UTC) for v in (start, end))
    except ValueError:
        raise BadParameterError(
            f"window {value!r}: write window:START..END with ISO dates, e.g. "
            "window:2016-01-01..2016-07-01"
        ) from None
    if bounds[0] >= bounds[1]:
        raise BadParameterError(f"window {value!r}: START must be before END")
    return bounds  # type: ignore[return-value]


def group_accounts(store: Store, spec: GroupSpec, platform: str) -> ibis.Table:
    """``account_id`` of the accounts in the group (on `platform`)."""
    posts = store.ibis.table("posts")
    posts = posts.filter(posts.platform == platform)
    if spec.kind == "label":
        key, _, values = spec.value.partition("=")
        labels = store.ibis.table("account_labels")
        chosen = labels.filter(
            (labels.platform == platform)
            & (labels.label_key == key)
            & labels.label_value.isin(values.split("|"))
        )
        return chosen.select(account_id=chosen.account_id.cast("string")).distinct()
    if spec.kind == "community":
        parts = spec.value.split(":")
        run_id = parts[0] if len(parts) == 2 else store.latest_run_id("communities")
        if run_id is None:
            raise BadParameterError(
                f"group {spec}: no communities run in the store; run `infoscope communities`"
            )
        try:
            wanted = [int(c) for c in parts[-1].split("|")]
        except ValueError:
            raise BadParameterError(
                f"group {spec}: communities are numbers, e.g. community:0"
            ) from None
        nodes = store.ibis.table("network_nodes")
        chosen = nodes.filter(
            (nodes.run_id == run_id) & (nodes.platform == platform) & nodes.community.isin(wanted)
        )
        return chosen.select(account_id=chosen.account_id.cast("string")).distinct()
    if spec.kind == "accounts":
        names = [
            line.strip()
            for line in Path(spec.value).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        ids = [n for n in names if not n.startswith("@")]
        handles = [n[1:].lower() for n in names if n.startswith("@")]
        by_handle = posts.filter(posts.account_handle.lower().isin(handles or [""]))
        return (
            posts.filter(posts.account_id.isin(ids or [""]))
            .select(account_id=posts.account_id.cast("string"))
            .union(by_handle.select(account_id=by_handle.account_id.cast("string")))
            .distinct()
        )
    if spec.kind == "format":
        chosen = posts.filter(posts.format == spec.value)
    elif spec.kind == "source":
        chosen = posts.filter(posts.source.contains(spec.value))
    elif spec.kind == "all":
        chosen = posts
    else:
        raise BadParameterError(f"group {spec} groups posts, not accounts")
    return chosen.select(account_id=chosen.account_id.cast("string")).distinct()


def group_posts(
    store: Store,
    spec: GroupSpec,
    platform: str,
    *,
    other: GroupSpec | None = None,
    posts: ibis.Table | None = None,
) -> ibis.Table:
    """The posts of the group on `platform`; ``rest`` is every post not in `other`.

    `posts` is the posts table to select from (default: the store's).
    """
    posts = store.ibis.table("posts") if posts is None else posts
    posts = posts.filter((posts.platform == platform) & posts.account_id.notnull())
    if spec.kind == "rest":
        if other is None or other.kind == "rest":
            raise BadParameterError("'rest' is the reference of another group, not a group")
        if other.is_window:
            start, end = _window(other.value)
            return posts.filter((posts.created_at < start) | (posts.created_at >= end))
        if other.kind == "all":
            raise BadParameterError("the rest of 'all' is empty: choose another reference")
        return posts.anti_join(group_accounts(store, other, platform), "account_id")
    if spec.is_window:
        start, end = _window(spec.value)
        return posts.filter((posts.created_at >= start) & (posts.created_at < end))
    if spec.kind == "all":
        return posts
    return posts.semi_join(group_accounts(store, spec, platform), "account_id")
