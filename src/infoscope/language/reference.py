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

All of it is Ibis, run by the engine.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

from infoscope.common.urls import domain_of
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


def _shares(posts: ibis.Table, key: Any) -> dict[Any, float]:
    counted = posts.mutate(k=key).group_by("k").aggregate(n=_.count()).to_pyarrow().to_pylist()
    total = sum(r["n"] for r in counted) or 1
    return {r["k"]: r["n"] / total for r in counted}


def describe_overlap(
    target: ibis.Table, reference: ibis.Table, *, period: str = "day", top: int = 5
) -> dict[str, Any]:
    """How far two groups' posts differ in time, language and topic.

    Returns the periods each side posts in and those they share, the share of each side's
    posts in shared periods, each side's `top` languages and the total variation distance
    between their language distributions, and the share of each side's marker (hashtag and
    domain) uses whose marker the other side uses too; `warnings` says in words which
    differences would teach the signature something other than the group's language.
    """
    t_days = _shares(target, _period(target, period))
    r_days = _shares(reference, _period(reference, period))
    shared = set(t_days) & set(r_days)
    t_lang = _shares(target, target.lang.fill_null("und"))
    r_lang = _shares(reference, reference.lang.fill_null("und"))
    distance = 0.5 * sum(abs(t_lang.get(k, 0.0) - r_lang.get(k, 0.0)) for k in {*t_lang, *r_lang})
    t_mark = _shares(_markers(target), _.marker)
    r_mark = _shares(_markers(reference), _.marker)

    def first(shares: dict[Any, float]) -> dict[str, float]:
        ranked = sorted(shares.items(), key=lambda kv: (-kv[1], str(kv[0])))[:top]
        return {str(k): round(v, 4) for k, v in ranked}

    out: dict[str, Any] = {
        "period": period,
        "target_periods": len(t_days),
        "reference_periods": len(r_days),
        "shared_periods": len(shared),
        "target_posts_in_shared_periods": round(sum(t_days[d] for d in shared), 4),
        "reference_posts_in_shared_periods": round(sum(r_days[d] for d in shared), 4),
        "target_languages": first(t_lang),
        "reference_languages": first(r_lang),
        "language_distance": round(distance, 4),
        "target_markers": len(t_mark),
        "reference_markers": len(r_mark),
        "target_marker_uses_shared": round(sum(v for k, v in t_mark.items() if k in r_mark), 4),
        "reference_marker_uses_shared": round(sum(v for k, v in r_mark.items() if k in t_mark), 4),
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
) -> tuple[ibis.Table, ibis.Table]:
    """Both groups' posts restricted to what they share, on each axis of `match` (see the
    module docstring); `topic` is a regular expression (case-insensitive) that on-topic posts
    match, used instead of shared markers."""
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
        t_lang = _shares(target, target.lang.fill_null("und"))
        r_lang = _shares(reference, reference.lang.fill_null("und"))
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
    tokens: ibis.Table, *, period: str = "day", share: float = 0.5, min_count: int = 5
) -> set[str]:
    """Terms (used at least `min_count` times) of which at least `share` of the uses fall in
    one `period`: they mark an event or a moment, not a group's way of speaking. `tokens`
    needs ``token`` and ``created_at``."""
    per = tokens.mutate(when=_period(tokens, period)).group_by(["token", "when"])
    per = per.aggregate(n=_.count())
    totals = per.group_by("token").aggregate(total=per.n.sum(), peak=per.n.max())
    found = totals.filter((totals.total >= min_count) & (totals.peak >= share * totals.total))
    return set(found.token.to_pyarrow().to_pylist())
