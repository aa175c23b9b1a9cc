"""Matched references: a signature is only as good as what it is compared with.

A reference that differs from the target in period, language or topic teaches the signature
that difference instead of the group's language: a control of one debate night against a
target of three years learns "not a debate-night tweet". This module measures how far the
target's and the reference's posts differ on those three axes (`describe_overlap`), warns
when they barely overlap, restricts both to what they share (`match_posts`), and finds the
terms that only mark an event or a period (`event_terms`), which a signature can leave out.

- **time**: periods (days or weeks) in which both groups post; matching keeps the posts of
  those periods on both sides.
- **language**: the languages each group writes in (the posts' stated or identified language);
  matching keeps the languages that make at least 2% of both groups' posts.
- **topic**: the hashtags and link domains each group uses (its markers); matching keeps, on
  both sides, the posts that carry a marker both groups use, or, with a `topic` pattern, the
  posts whose text matches it (e.g. ``brexit|eu ?ref``).

All of it is Ibis, run by an `infoscope.engine.Engine` (``engine=``; without one, by the
tables' own backend, the store's DuckDB for its tables): only counts reach Python. A `topic`
pattern is a regular expression of the engine (RE2 on DuckDB, Java's on Spark; alike for
alternatives, classes and repetitions).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from infoscope.common.urls import domain_of
from infoscope.engine import Engine
from infoscope.errors import BadParameterError

__all__ = ["MATCHES", "describe_overlap", "event_terms", "match_posts", "overlap_warnings"]

MATCHES = ("time", "language", "topic")
PERIODS = {"day": "D", "week": "W"}
MIN_LANGUAGE_SHARE = 0.02
# Below these, the groups barely overlap and the signature learns the difference.
MIN_PERIOD_COVERAGE = 0.1
MIN_SHARED_TOPIC = 0.1
MAX_LANGUAGE_DISTANCE = 0.5


def _period(posts: ibis.Table, period: str) -> Any:
    if period not in PERIODS:
        raise BadParameterError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    return posts.created_at.truncate(PERIODS[period]).cast("date")


def _markers(posts: ibis.Table) -> ibis.Table:
    """``post_id, marker``: each post's hashtags (``#tag``) and link domains."""
    tags = posts.select("post_id", value=posts.hashtags.unnest())
    tags = tags.select("post_id", marker=ibis.literal("#") + tags.value.lower())
    links = posts.select("post_id", value=posts.urls.unnest())
    links = links.select("post_id", marker=domain_of(links.value))
    both = tags.union(links, distinct=False)
    return both.filter(both.marker.notnull() & (both.marker != "") & (both.marker != "#"))


def _collect(expr: Any, engine: Engine | None) -> pa.Table:
    """The rows of `expr` from `engine`, or from the expression's own backend."""
    return expr.to_pyarrow() if engine is None else engine.to_arrow(expr)


def _counts(
    parts: dict[str, tuple[ibis.Table, Any]], engine: Engine | None
) -> dict[str, Counter[Any]]:
    """For each named part ``(table, key)``: its rows counted by the value of `key` (as a
    string), every part in one query."""
    counted = [
        table.mutate(k=key)
        .group_by("k")
        .aggregate(n=_.count())
        .select(part=ibis.literal(name), k=_.k.cast("string"), n="n")
        for name, (table, key) in parts.items()
    ]
    out: dict[str, Counter[Any]] = {name: Counter() for name in parts}
    for row in _collect(ibis.union(*counted, distinct=False), engine).to_pylist():
        out[row["part"]][row["k"]] += row["n"]
    return out


def _share(counts: Counter[Any], keys: Any) -> float:
    """The share of the counted rows whose value is one of `keys` (0 without rows): exact
    integer sums, so the same whatever order an engine returns the counts in."""
    total = counts.total()
    return sum(counts[k] for k in keys) / total if total else 0.0


def _shares(counts: Counter[Any]) -> dict[Any, float]:
    total = counts.total() or 1
    return {k: n / total for k, n in counts.items()}


def describe_overlap(
    target: ibis.Table,
    reference: ibis.Table,
    *,
    period: str = "day",
    top: int = 5,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """How far two groups' posts differ in time, language and topic.

    Returns the periods each side posts in and those they share, the share of each side's
    posts in shared periods, each side's `top` languages and the total variation distance
    between their language distributions, and the share of each side's marker (hashtag and
    domain) uses whose marker the other side uses too; `warnings` says in words which
    differences would teach the signature something other than the group's language.
    `engine` counts (default: the tables' own backend), in one query.
    """
    counts = _counts(
        {
            "t_days": (target, _period(target, period)),
            "r_days": (reference, _period(reference, period)),
            "t_lang": (target, target.lang.fill_null("und")),
            "r_lang": (reference, reference.lang.fill_null("und")),
            "t_mark": (_markers(target), _.marker),
            "r_mark": (_markers(reference), _.marker),
        },
        engine,
    )
    t_days, r_days = counts["t_days"], counts["r_days"]
    shared = set(t_days) & set(r_days)
    t_lang, r_lang = _shares(counts["t_lang"]), _shares(counts["r_lang"])
    languages = sorted({*t_lang, *r_lang}, key=str)
    distance = 0.5 * sum(abs(t_lang.get(k, 0.0) - r_lang.get(k, 0.0)) for k in languages)
    t_mark, r_mark = counts["t_mark"], counts["r_mark"]

    def first(shares: dict[Any, float]) -> dict[str, float]:
        ranked = sorted(shares.items(), key=lambda kv: (-kv[1], str(kv[0])))[:top]
        return {str(k): round(v, 4) for k, v in ranked}

    out: dict[str, Any] = {
        "period": period,
        "target_periods": len(t_days),
        "reference_periods": len(r_days),
        "shared_periods": len(shared),
        "target_posts_in_shared_periods": round(_share(t_days, shared), 4),
        "reference_posts_in_shared_periods": round(_share(r_days, shared), 4),
        "target_languages": first(t_lang),
        "reference_languages": first(r_lang),
        "language_distance": round(distance, 4),
        "target_markers": len(t_mark),
        "reference_markers": len(r_mark),
        "target_marker_uses_shared": round(_share(t_mark, set(t_mark) & set(r_mark)), 4),
        "reference_marker_uses_shared": round(_share(r_mark, set(t_mark) & set(r_mark)), 4),
    }
    out["warnings"] = overlap_warnings(out)
    return out


def overlap_warnings(overlap: dict[str, Any]) -> list[str]:
    """The differences between target and reference that a signature would learn instead of
    the group's language, in words, with what to do."""
    warnings = []
    unit = overlap["period"]
    if (
        overlap["shared_periods"] < MIN_PERIOD_COVERAGE * overlap["target_periods"]
        or overlap["target_posts_in_shared_periods"] < MIN_PERIOD_COVERAGE
    ):
        warnings.append(
            f"the reference covers {overlap['shared_periods']:,} {unit}(s) of the target's "
            f"{overlap['target_periods']:,} ({overlap['target_posts_in_shared_periods']:.0%} of "
            "the target's posts): the signature will learn the period, not the group; "
            "match on time (--match time) or choose a reference from the same period"
        )
    if overlap["language_distance"] > MAX_LANGUAGE_DISTANCE:
        t = ", ".join(f"{k} {v:.0%}" for k, v in list(overlap["target_languages"].items())[:3])
        r = ", ".join(f"{k} {v:.0%}" for k, v in list(overlap["reference_languages"].items())[:3])
        warnings.append(
            f"the target writes {t} and the reference {r}: the signature will learn the "
            "language, not the group; match on language (--match language)"
        )
    if overlap["target_markers"] and overlap["target_marker_uses_shared"] < MIN_SHARED_TOPIC:
        warnings.append(
            f"the reference uses the hashtags and domains behind only "
            f"{overlap['target_marker_uses_shared']:.0%} of the target's: the signature may "
            "learn the topic, not the group; match on topic (--match topic, or --topic PATTERN)"
        )
    return warnings


def match_posts(
    target: ibis.Table,
    reference: ibis.Table,
    match: tuple[str, ...] | list[str],
    *,
    period: str = "day",
    topic: str | None = None,
    engine: Engine | None = None,
) -> tuple[ibis.Table, ibis.Table]:
    """Both groups' posts restricted to what they share, on each axis of `match` (see the
    module docstring); `topic` is a regular expression (case-insensitive) that on-topic posts
    match, used instead of shared markers. `engine` counts the languages (default: the
    tables' own backend); the restricted posts are expressions of the same tables."""
    unknown = sorted(set(match) - set(MATCHES))
    if unknown:
        raise BadParameterError(f"--match {','.join(unknown)}: choose from {', '.join(MATCHES)}")
    if "time" in match:
        t_days = target.select(day=_period(target, period)).distinct()
        r_days = reference.select(day=_period(reference, period)).distinct()
        both = t_days.intersect(r_days)
        target = target.filter(_period(target, period).isin(both.day))
        reference = reference.filter(_period(reference, period).isin(both.day))
    if "language" in match:
        counts = _counts(
            {
                "t_lang": (target, target.lang.fill_null("und")),
                "r_lang": (reference, reference.lang.fill_null("und")),
            },
            engine,
        )
        t_lang, r_lang = _shares(counts["t_lang"]), _shares(counts["r_lang"])
        kept = sorted(
            k for k in set(t_lang) & set(r_lang) if min(t_lang[k], r_lang[k]) >= MIN_LANGUAGE_SHARE
        )
        if not kept:
            raise BadParameterError(
                "--match language: the target and the reference share no language (each must "
                f"make {MIN_LANGUAGE_SHARE:.0%} of both groups' posts)"
            )
        target = target.filter(target.lang.fill_null("und").isin(kept))
        reference = reference.filter(reference.lang.fill_null("und").isin(kept))
    if "topic" in match:
        if topic:
            pattern = f"(?i){topic}"
            target = target.filter(target.text.fill_null("").re_search(pattern))
            reference = reference.filter(reference.text.fill_null("").re_search(pattern))
        else:
            t_mark = _markers(target).select("marker").distinct()
            r_mark = _markers(reference).select("marker").distinct()
            shared = t_mark.intersect(r_mark)
            t_posts = _markers(target).filter(_.marker.isin(shared.marker)).select("post_id")
            r_posts = _markers(reference).filter(_.marker.isin(shared.marker)).select("post_id")
            target = target.filter(target.post_id.isin(t_posts.post_id))
            reference = reference.filter(reference.post_id.isin(r_posts.post_id))
    return target, reference


def event_terms(
    tokens: ibis.Table,
    *,
    period: str = "day",
    share: float = 0.5,
    min_count: int = 5,
    engine: Engine | None = None,
) -> set[str]:
    """Terms (used at least `min_count` times) of which at least `share` of the uses fall in
    one `period`: they mark an event or a moment, not a group's way of speaking. `tokens`
    needs ``token`` and ``created_at``; `engine` counts them (default: the table's own
    backend)."""
    per = tokens.mutate(when=_period(tokens, period)).group_by(["token", "when"])
    per = per.aggregate(n=_.count())
    totals = per.group_by("token").aggregate(total=per.n.sum(), peak=per.n.max())
    found = totals.filter((totals.total >= min_count) & (totals.peak >= share * totals.total))
    return set(_collect(found.select("token"), engine)["token"].to_pylist())
