"""Coordination traces: what accounts do together, as actions on shared objects.

A *trace* turns the store's posts, and the shares of its object type (the ``shares`` table:
`infoscope.ingest.shares`), into *actions*: rows ``account_id, object_id, post_id, t_ms``
(milliseconds since the epoch, UTC) saying that an account acted on an object with a post at
a time. Each trace names the type of object it reads (`Trace.object_type`), and a run names
the platforms it read, so that every output says "co-link (url) across facebook and
twitter". Two accounts that act on the same object within a time window co-act; how often they
do, against how often chance would make them, is what `infoscope.coordination.pairs` measures.
Every trace is a function registered by name with `register_trace`, written with Ibis so that
any engine runs it (`infoscope.engine`: DuckDB, or Spark over a Parquet export; a trace
function receives the engine, and a `Store` passed instead is its DuckDB engine):

- ``co-retweet``: retweeting the same original post (Keller et al. 2020; QUT
  coordination-network-toolkit; CooRTweet), and shares of type ``retweet``.
- ``co-reply``: replying to the same post (and shares of type ``reply``).
- ``co-link``: sharing the same normalised URL (``link_level="url"``: posts' URLs and shares
  of type ``url``) or the same domain (``"domain"``: the domains of those, and shares of type
  ``domain``) in a post of one's own (retweets repeat the original's links, and are the
  co-retweet trace's business unless ``link_retweets``).
- ``co-hashtag``: the same hashtag sequence of at least ``min_hashtags`` hashtags
  (``hashtag_mode="sequence"``: a post's hashtags in their order, those of its hashtag shares
  sorted, since a share layout holds no order), each hashtag that at most
  ``rare_hashtag_accounts`` accounts use (``"rare"``), or each hashtag (``"each"``, CooRTweet's
  hashtag objects), in posts of one's own.
- ``co-image``: sharing the same image: the same perceptual hash (shares of type ``image``)
  or the same media id (posts' ``media_ids`` and shares of type ``media``), in posts of one's
  own (CooRnet's coordinated image sharing; CooRTweet's image objects).
- ``near-duplicate``: posting a text in the same near-duplicate group (MinHash/LSH over
  character shingles of normalised text, robust to small edits, mentions and links:
  `infoscope.common.minhash`). Every post with text is an action, a post in no group
  alone on an object of its own, so that the null model weighs copies against all posting.
- ``synchronised``: posting anything in the same time bin of ``bin_seconds`` (the activity
  time series of two accounts coincide); bins where more than ``max_bin_accounts`` accounts
  post are everyone's busy moments and are left out.
- ``fast-retweet``: retweeting an account's posts within ``fast_seconds`` of their
  publication, repeatedly. It is directed (retweeter -> author) and has its own null model
  (see `infoscope.coordination.pairs.fast_retweet_pairs`); its actions carry the original's
  author and time.

Retweets by an account of its own posts, and an account acting twice on one object, are
kept as actions: the pairing never pairs an account with itself and counts each shared
object once per pair.

Platforms: `TraceOptions.platform` names one platform, several (``"facebook,twitter"``) or
``"all"``. Across platforms, accounts and posts are keyed ``platform:id`` (`account_key`) so
that ids never collide, and so are the objects that are a platform's own (shared posts, reply
targets, media ids); URLs, domains, hashtags, image hashes, texts and time bins are the same
objects on every platform. A run of one platform keys them by their ids, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import ibis
from ibis import _

from infoscope.common.urls import domain_of
from infoscope.engine import Engine, as_engine
from infoscope.errors import BadParameterError

__all__ = [
    "Trace",
    "TraceOptions",
    "account_key",
    "co_hashtag",
    "co_image",
    "co_link",
    "co_reply",
    "co_retweet",
    "epoch_ms",
    "fast_retweet",
    "get_trace",
    "near_duplicate",
    "parse_traces",
    "platforms_text",
    "register_trace",
    "registered_traces",
    "selected_posts",
    "selected_shares",
    "synchronised",
    "trace_label",
]

# Default windows (seconds) of the traces that use one. Retweet amplification happens within
# seconds to a minute (the usual co-retweet window); links, hashtags, replies and copied texts
# of a campaign are spread over minutes to an hour.
DEFAULT_WINDOWS: dict[str, float] = {
    "co-retweet": 60.0,
    "co-reply": 600.0,
    "co-link": 3600.0,
    "co-hashtag": 3600.0,
    "co-image": 3600.0,
    "near-duplicate": 3600.0,
}
HASHTAG_MODES = ("sequence", "rare", "each")
# Object types that are a platform's own ids: keyed by platform across platforms.
PLATFORM_OBJECTS = ("retweet", "reply", "quote", "media", "mention")
# The engine's table of the near-duplicate trace's groups (released after its actions).
NEAR_DUPLICATE_GROUPS = "_coordination_groups"


@dataclass(frozen=True)
class TraceOptions:
    """Which posts the traces read, and each trace's own parameters.

    `platform` (default: the store's platform with most posts; several comma-separated, or
    ``"all"``, to compare accounts across platforms), `since` (inclusive) and `until`
    (exclusive) select the posts and shares. `windows` maps each windowed trace to its window in
    seconds (None: anywhere in the selection; ``"auto"``: estimated from the data, see
    `estimate_window`). The other fields are the parameters of the traces named in the
    module docstring.
    """

    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    windows: dict[str, float | str | None] = field(default_factory=dict)
    link_level: str = "url"
    link_retweets: bool = False
    hashtag_mode: str = "sequence"
    min_hashtags: int = 2
    rare_hashtag_accounts: int = 50
    bin_seconds: float = 10.0
    max_bin_accounts: int = 20
    fast_seconds: float = 60.0
    near_duplicate_threshold: float = 0.6
    window_quantile: float = 0.1

    def __post_init__(self) -> None:
        if self.link_level not in ("url", "domain"):
            raise BadParameterError(f"link level {self.link_level!r}: choose url or domain")
        if self.hashtag_mode not in HASHTAG_MODES:
            raise BadParameterError(
                f"hashtag mode {self.hashtag_mode!r}: choose {', '.join(HASHTAG_MODES)}"
            )
        if self.platform is not None:
            names = [p.strip() for p in self.platform.split(",")]
            if not all(names) or ("all" in names and len(names) > 1):
                raise BadParameterError(
                    f"platform {self.platform!r}: give one platform, several separated by "
                    "commas (facebook,twitter), or all"
                )
        for name in ("min_hashtags", "rare_hashtag_accounts", "max_bin_accounts"):
            if getattr(self, name) < 1:
                raise BadParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("bin_seconds", "fast_seconds"):
            if getattr(self, name) <= 0:
                raise BadParameterError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.near_duplicate_threshold <= 1:
            raise BadParameterError("near_duplicate_threshold must be in (0, 1]")
        if not 0 < self.window_quantile < 1:
            raise BadParameterError("window_quantile must be between 0 and 1")
        for trace, window in self.windows.items():
            if trace not in DEFAULT_WINDOWS:
                raise BadParameterError(
                    f"trace {trace!r} takes no window; windowed traces: "
                    f"{', '.join(DEFAULT_WINDOWS)}"
                )
            if window not in (None, "auto") and (not isinstance(window, int | float) or window < 0):
                raise BadParameterError(
                    f"window of {trace} must be seconds (0 or more), 'auto' or none; got {window!r}"
                )
        if self.since and self.until and self.since >= self.until:
            raise BadParameterError(f"since {self.since} is not before until {self.until}")

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platforms named (resolved by `Store.resolve_platforms` before a run)."""
        return tuple(p.strip() for p in (self.platform or "").split(",") if p.strip())

    @property
    def cross_platform(self) -> bool:
        """Whether accounts of several platforms are compared (keys ``platform:id``)."""
        return len(self.platforms) > 1

    def window(self, trace: str) -> float | str | None:
        """The window asked for `trace` (its default when not given)."""
        return self.windows.get(trace, DEFAULT_WINDOWS.get(trace))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


TraceFunction = Callable[[Engine, ibis.Table, TraceOptions], ibis.Table]
ObjectType = str | Callable[[TraceOptions], str]


@dataclass(frozen=True)
class Trace:
    """A registered trace: its name, its action function, how its pairs are read and the
    type of object its actions are on (a name, or a function of the options)."""

    name: str
    actions: TraceFunction
    windowed: bool
    directed: bool
    description: str
    objects: ObjectType = "object"

    def object_type(self, options: TraceOptions) -> str:
        """What the trace's objects are with these options (``url``, ``domain``...)."""
        return self.objects if isinstance(self.objects, str) else self.objects(options)


_TRACES: dict[str, Trace] = {}


def register_trace(
    name: str, *, windowed: bool, directed: bool = False, objects: ObjectType = "object"
) -> Callable[[TraceFunction], TraceFunction]:
    """Register `fn(engine, posts, options) -> actions` as trace `name`, on `objects`.

    The registered function also takes a `Store` for its engine (its DuckDB engine)."""

    def decorate(fn: TraceFunction) -> TraceFunction:
        if name in _TRACES:
            raise ValueError(f"trace {name!r} registered twice")
        doc = (fn.__doc__ or "").strip().split("\n")[0]

        @functools.wraps(fn)
        def on_engine(source: Any, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
            return fn(as_engine(source), posts, options)

        _TRACES[name] = Trace(name, on_engine, windowed, directed, doc, objects)
        return fn

    return decorate


def platforms_text(platforms: Sequence[str]) -> str:
    """``on twitter``, ``across facebook and twitter``, ``across a, b and c``."""
    names = sorted(set(platforms))
    if not names:
        return "on no platform"
    if len(names) == 1:
        return f"on {names[0]}"
    return "across " + ", ".join(names[:-1]) + " and " + names[-1]


def trace_label(name: str, object_type: str, platforms: Sequence[str]) -> str:
    """A trace named with its object type and platforms: ``co-link (url) across facebook and
    twitter``; the type is left out when the trace's name says it (``co-retweet on twitter``)."""
    shown = name if name.endswith(object_type) else f"{name} ({object_type})"
    return f"{shown} {platforms_text(platforms)}"


def account_key(platform: str, account_id: str, *, cross_platform: bool) -> str:
    """An account's node key in a run: ``platform:account_id`` across platforms."""
    return f"{platform}:{account_id}" if cross_platform else account_id


def registered_traces() -> dict[str, Trace]:
    return dict(_TRACES)


def get_trace(name: str) -> Trace:
    if name not in _TRACES:
        raise BadParameterError(f"unknown trace {name!r}; choose from {', '.join(_TRACES)}")
    return _TRACES[name]


def parse_traces(text: str) -> tuple[str, ...]:
    """``"co-retweet,co-link"`` (or ``all``) -> trace names, checked."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return tuple(_TRACES)
    for name in names:
        get_trace(name)
    if not names:
        raise BadParameterError(f"no traces given; choose from {', '.join(_TRACES)}")
    return tuple(dict.fromkeys(names))


def selected_posts(source: Any, options: TraceOptions, platform: str) -> ibis.Table:
    """The posts of `platform` (one, or several comma-separated) in the options' time range,
    with an account and a time; across platforms, with account, post and referenced ids keyed
    ``platform:id``. `source` is an engine (or a `Store`: its DuckDB engine)."""
    posts = as_engine(source).table("posts")
    platforms = [p for p in platform.split(",") if p]
    keep = posts.platform == platform if len(platforms) == 1 else posts.platform.isin(platforms)
    keep &= posts.account_id.notnull() & posts.created_at.notnull()
    if options.since is not None:
        keep &= posts.created_at >= options.since
    if options.until is not None:
        keep &= posts.created_at < options.until
    chosen = posts.filter(keep)
    return _keyed(chosen) if len(platforms) > 1 else chosen


def _keyed(posts: ibis.Table) -> ibis.Table:
    """Posts with their account, post and referenced ids keyed ``platform:id``."""
    prefix = posts.platform + ":"
    return posts.mutate(
        account_id=prefix + posts.account_id,
        post_id=prefix + posts.post_id,
        ref_post_id=prefix + posts.ref_post_id,
        ref_account_id=prefix + posts.ref_account_id,
    )


def _has_shares(engine: Engine, options: TraceOptions, types: Sequence[str]) -> bool:
    """Whether the engine's data holds shares of `types` on the options' platforms."""
    if not engine.has_table("shares"):
        return False
    shares = engine.table("shares")
    some = shares.filter(
        shares.object_type.isin(list(types)) & shares.platform.isin(list(options.platforms))
    ).limit(1)
    return bool(engine.scalar(some.count()))


def selected_shares(source: Any, options: TraceOptions, types: Sequence[str]) -> ibis.Table | None:
    """The shares of `types` on the options' platforms and in their time range (columns
    ``platform, account_id, post_id, created_at, object_type, object_id``), keyed as
    `selected_posts` keys posts; None when the data holds none. `source` is an engine (or a
    `Store`: its DuckDB engine)."""
    engine = as_engine(source)
    if not _has_shares(engine, options, types):
        return None
    shares = engine.table("shares")
    keep = (
        shares.platform.isin(list(options.platforms))
        & shares.object_type.isin(list(types))
        & shares.account_id.notnull()
        & shares.created_at.notnull()
    )
    if options.since is not None:
        keep &= shares.created_at >= options.since
    if options.until is not None:
        keep &= shares.created_at < options.until
    chosen = shares.filter(keep).select(
        "platform", "account_id", "post_id", "created_at", "object_type", "object_id"
    )
    if not options.cross_platform:
        return chosen
    prefix = chosen.platform + ":"
    own = chosen.object_type.isin(list(PLATFORM_OBJECTS))
    return chosen.mutate(
        account_id=prefix + chosen.account_id,
        post_id=prefix + chosen.post_id,
        object_id=ibis.ifelse(own, prefix + chosen.object_id, chosen.object_id),
    )


def _with_shares(
    engine: Engine,
    options: TraceOptions,
    actions: ibis.Table,
    types: Sequence[str],
    value: Callable[[ibis.Table], Any] | None = None,
) -> ibis.Table:
    """`actions` with the actions of the shares of `types` (object: `value` of the shares,
    their object id by default), one per account, object and post (its earliest time).
    Without such shares, `actions` unchanged."""
    shares = selected_shares(engine, options, types)
    if shares is None:
        return actions
    extra = _actions(shares, shares.object_id if value is None else value(shares))
    extra = extra.filter(extra.object_id.notnull() & (extra.object_id != ""))
    both = actions.select("account_id", "object_id", "post_id", "t_ms").union(extra)
    return both.group_by(["account_id", "object_id", "post_id"]).aggregate(t_ms=_.t_ms.min())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(ts: Any) -> Any:
    """A timestamp column as integer milliseconds since the epoch."""
    return ts.delta(ibis.literal(_EPOCH), unit="millisecond").cast("int64")


def _actions(posts: ibis.Table, object_id: Any) -> ibis.Table:
    return posts.select(
        account_id=posts.account_id,
        object_id=object_id.cast("string"),
        post_id=posts.post_id,
        t_ms=epoch_ms(posts.created_at),
    )


def _own_posts(posts: ibis.Table) -> ibis.Table:
    return posts.filter(posts.kind.isnull() | (posts.kind != "retweet"))


def _hashtag_objects(options: TraceOptions) -> str:
    return {"sequence": "hashtag sequence", "rare": "rare hashtag", "each": "hashtag"}[
        options.hashtag_mode
    ]


@register_trace("co-retweet", windowed=True, objects="retweet")
def co_retweet(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Retweeting the same original post."""
    rts = posts.filter((posts.kind == "retweet") & posts.ref_post_id.notnull())
    return _with_shares(engine, options, _actions(rts, rts.ref_post_id), ("retweet",))


@register_trace("co-reply", windowed=True, objects="reply")
def co_reply(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Replying to the same post."""
    replies = posts.filter((posts.kind == "reply") & posts.ref_post_id.notnull())
    return _with_shares(engine, options, _actions(replies, replies.ref_post_id), ("reply",))


@register_trace("co-link", windowed=True, objects=lambda options: options.link_level)
def co_link(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Sharing the same URL (or domain)."""
    chosen = posts if options.link_retweets else _own_posts(posts)
    chosen = chosen.filter(chosen.urls.notnull() & (chosen.urls.length() > 0))
    links = chosen.mutate(url=chosen.urls.unnest())
    links = links.filter(links.url.notnull() & (links.url != ""))
    if options.link_level == "domain":
        links = links.mutate(url=domain_of(links.url)).filter(_.url != "")
        actions = _actions(links, links.url).distinct()
        return _with_shares(engine, options, actions, ("url", "domain"), _share_domain)
    return _with_shares(engine, options, _actions(links, links.url).distinct(), ("url",))


def _share_domain(shares: ibis.Table) -> Any:
    """The domain of a domain share, or of a URL share that is a URL (has a host with a dot:
    an anonymised URL id, as in CooRTweet's German data, has no domain)."""
    url = shares.object_id
    is_domain = (shares.object_type == "domain") | url.contains(".")
    return ibis.ifelse(is_domain, domain_of(url), ibis.null().cast("string"))


@register_trace("co-hashtag", windowed=True, objects=_hashtag_objects)
def co_hashtag(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Posting the same hashtag sequence (or the same rare hashtag, or any same hashtag)."""
    own = _own_posts(posts)
    own = own.filter(own.hashtags.notnull() & (own.hashtags.length() > 0))
    shares = selected_shares(engine, options, ("hashtag",))
    if options.hashtag_mode == "sequence":
        seq = own.filter(own.hashtags.length() >= options.min_hashtags)
        actions = _actions(seq, seq.hashtags.join(" "))
        if shares is None:
            return actions
        # A post's hashtag shares, sorted: a share layout does not keep their order.
        per_post = shares.group_by(["account_id", "post_id"]).aggregate(
            tags=shares.object_id.collect(), created_at=shares.created_at.min()
        )
        tags = per_post.tags.unique().sort()
        per_post = per_post.mutate(seq=tags.join(" "), n=tags.length())
        per_post = per_post.filter(per_post.n >= options.min_hashtags)
        both = actions.union(_actions(per_post, per_post.seq))
        return both.group_by(["account_id", "object_id", "post_id"]).aggregate(t_ms=_.t_ms.min())
    tags = own.mutate(tag=own.hashtags.unnest())
    tags = tags.filter(tags.tag.notnull() & (tags.tag != ""))
    if shares is not None:
        columns = ("account_id", "post_id", "created_at")
        tags = tags.select(*columns, "tag").union(shares.select(*columns, tag=shares.object_id))
    if options.hashtag_mode == "each":
        return _actions(tags, tags.tag).distinct()
    users = tags.group_by("tag").aggregate(users=tags.account_id.nunique())
    rare = users.filter(users.users <= options.rare_hashtag_accounts).select("tag")
    kept = tags.semi_join(rare, "tag")
    return _actions(kept, kept.tag).distinct()


@register_trace("near-duplicate", windowed=True, objects="text")
def near_duplicate(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Posting near-duplicate texts (MinHash/LSH groups of normalised text)."""
    from infoscope.common.minhash import near_duplicate_groups

    own = _own_posts(posts).filter(_.text.notnull())
    groups = near_duplicate_groups(
        engine, own.select("post_id", "text"), threshold=options.near_duplicate_threshold
    )
    # Released by the caller once the actions are materialised (`NEAR_DUPLICATE_GROUPS`).
    table = engine.from_arrow(NEAR_DUPLICATE_GROUPS, groups.select(["post_id", "group_id"]))
    # Every text is an action: a post in no group is alone on its own object, so that the
    # null model knows how much each account posts, not only how often it is copied.
    joined = own.left_join(table, own.post_id == table.post_id)
    obj = ibis.coalesce("nd:" + joined.group_id, "post:" + joined.post_id)
    return _actions(joined, obj)


@register_trace("synchronised", windowed=False, objects="time bin")
def synchronised(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Posting in the same time bins (bins of many accounts left out)."""
    bin_ms = max(1, round(options.bin_seconds * 1000))
    acts = posts.select(
        account_id=posts.account_id, post_id=posts.post_id, t_ms=epoch_ms(posts.created_at)
    )
    acts = acts.mutate(bin=(acts.t_ms // bin_ms).cast("int64"))
    busy = acts.group_by("bin").aggregate(n=acts.account_id.nunique())
    quiet = busy.filter(busy.n <= options.max_bin_accounts).select("bin")
    kept = acts.semi_join(quiet, "bin")
    # One action per account and bin: its first post there (ties: the smallest post id, so
    # that every engine picks the same post).
    first = kept.group_by(["account_id", "bin"]).aggregate(
        best=ibis.struct({"t_ms": kept.t_ms, "post_id": kept.post_id}).min()
    )
    return first.select(
        account_id=first.account_id,
        object_id="t" + first.bin.cast("string"),
        post_id=first.best["post_id"],
        t_ms=first.best["t_ms"],
    )


@register_trace("fast-retweet", windowed=False, directed=True, objects="retweet")
def fast_retweet(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Retweeting an account's posts within seconds of publication, repeatedly."""
    rts = posts.filter((posts.kind == "retweet") & posts.ref_post_id.notnull())
    originals = engine.table("posts")
    originals = originals.filter(originals.account_id.notnull() & originals.created_at.notnull())
    if options.cross_platform:
        originals = _keyed(originals)
    originals = originals.select(
        o_platform=originals.platform,
        o_post_id=originals.post_id,
        author_id=originals.account_id,
        o_at=originals.created_at,
    )
    joined = rts.join(
        originals,
        (rts.platform == originals.o_platform) & (rts.ref_post_id == originals.o_post_id),
    )
    joined = joined.filter(joined.author_id != joined.account_id)
    return joined.select(
        account_id=joined.account_id,
        object_id=joined.ref_post_id,
        post_id=joined.post_id,
        t_ms=epoch_ms(joined.created_at),
        author_id=joined.author_id,
        source_t_ms=epoch_ms(joined.o_at),
    )


@register_trace("co-image", windowed=True, objects="image")
def co_image(engine: Engine, posts: ibis.Table, options: TraceOptions) -> ibis.Table:
    """Sharing the same image (perceptual hash) or media id."""
    own = _own_posts(posts)
    own = own.filter(own.media_ids.notnull() & (own.media_ids.length() > 0))
    media = own.mutate(media=own.media_ids.unnest())
    media = media.filter(media.media.notnull() & (media.media != ""))
    # Media ids are a platform's own: keyed by platform across platforms.
    value = media.platform + ":" + media.media if options.cross_platform else media.media
    return _with_shares(engine, options, _actions(media, value).distinct(), ("image", "media"))
