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

Both run on an `infoscope.engine.Engine` (``engine=``; default the store's DuckDB): posts and
analyst labels are the engine's tables; a community comes from a communities run, stored in
the DuckDB store, and reaches another engine as a table of its accounts (`group_table`, which
the caller releases). `language_posts` is the engine's posts with the languages identified
for posts without one (``detected_languages``, kept in the store), what the language analyses
read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis

from infoscope.engine import Engine, as_engine
from infoscope.errors import BadParameterError
from infoscope.language.detect import DETECTED_TABLE as DETECTED_TABLE  # for the callers
from infoscope.language.detect import detect_languages, posts_with_language
from infoscope.store import Store

__all__ = ["GroupSpec", "group_accounts", "group_posts", "group_table", "language_posts"]

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


def _on_store(engine: Engine, store: Store) -> bool:
    """Whether `engine` runs on `store` itself (its tables are the store's)."""
    return engine.name == "duckdb" and engine.store is store


def group_table(spec: GroupSpec, platform: str) -> str:
    """The name under which `group_accounts` keeps the accounts of a stored group (a
    community) in an engine other than the store's."""
    key = hashlib.sha256(f"{spec}\0{platform}".encode()).hexdigest()[:12]
    return f"_infoscope_group_{key}"


def group_accounts(
    store: Store, spec: GroupSpec, platform: str, *, engine: Engine | None = None
) -> ibis.Table:
    """``account_id`` of the accounts in the group (on `platform`), a table of `engine`
    (default: the store's DuckDB)."""
    engine = engine or as_engine(store)
    posts = engine.table("posts")
    posts = posts.filter(posts.platform == platform)
    if spec.kind == "label":
        key, _, values = spec.value.partition("=")
        labels = engine.table("account_labels")
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
        local = as_engine(store)
        nodes = local.table("network_nodes")
        chosen = nodes.filter(
            (nodes.run_id == run_id) & (nodes.platform == platform) & nodes.community.isin(wanted)
        )
        members = chosen.select(account_id=chosen.account_id.cast("string")).distinct()
        if _on_store(engine, store):
            return members
        # A stored result: its accounts go to the engine.
        return engine.from_arrow(group_table(spec, platform), local.to_arrow(members))
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
    engine: Engine | None = None,
) -> ibis.Table:
    """The posts of the group on `platform`; ``rest`` is every post not in `other`.

    `posts` is the posts table to select from (default: the engine's); `engine` the engine
    whose tables they are (default: the store's DuckDB).
    """
    engine = engine or as_engine(store)
    posts = engine.table("posts") if posts is None else posts
    posts = posts.filter((posts.platform == platform) & posts.account_id.notnull())
    if spec.kind == "rest":
        if other is None or other.kind == "rest":
            raise BadParameterError("'rest' is the reference of another group, not a group")
        if other.is_window:
            start, end = _window(other.value)
            return posts.filter((posts.created_at < start) | (posts.created_at >= end))
        if other.kind == "all":
            raise BadParameterError("the rest of 'all' is empty: choose another reference")
        return posts.anti_join(group_accounts(store, other, platform, engine=engine), "account_id")
    if spec.is_window:
        start, end = _window(spec.value)
        return posts.filter((posts.created_at >= start) & (posts.created_at < end))
    if spec.kind == "all":
        return posts
    return posts.semi_join(group_accounts(store, spec, platform, engine=engine), "account_id")


def language_posts(
    store: Store,
    engine: Engine | None = None,
    *,
    detect: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ibis.Table:
    """The posts of `engine` (default: the store's DuckDB) with ``lang`` filled from the
    languages identified for posts without one (`infoscope.language.detect`); with `detect`,
    the posts not identified yet are identified first, where the engine runs (their languages
    are stored in the store's ``detected_languages``, whichever engine holds the posts). On
    another engine than the store's, the identified languages are held as `DETECTED_TABLE`
    (release it)."""
    engine = engine or as_engine(store)
    if detect:
        detect_languages(store, engine=engine, progress=progress)
    return posts_with_language(store, engine=engine)
