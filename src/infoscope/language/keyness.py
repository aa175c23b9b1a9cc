"""Keyness: which terms a target group uses distinctively more (or less) than a reference.

`compute_keyness(target, reference)` takes the term counts of two groups and returns, per
term:

- ``g2``: the log-likelihood statistic of Dunning (1993) as corpus linguists use it (Rayson &
  Garside 2000): ``2 * sum(O * ln(O / E))`` over the two groups, signed positive when the
  target uses the term more (relative to its size), with its ``p_value`` (chi-squared, one
  degree of freedom);
- ``log_ratio``: the effect size of Hardie (2014), ``log2`` of the ratio of relative
  frequencies, a zero count replaced by 0.5;
- ``log_odds`` and ``z``: the log-odds ratio with an informative Dirichlet prior of Monroe,
  Colaresi & Quinn (2008, "Fightin' words", eq. 22): ``delta = log((y_t + a) / (n_t + a0 - y_t
  - a)) - log((y_r + a) / (n_r + a0 - y_r - a))`` with ``a = a0 * (y_t + y_r) / (n_t + n_r)``,
  and ``z = delta / sqrt(1 / (y_t + a) + 1 / (y_r + a))``; the prior shrinks rare terms toward
  no difference, so ``z`` ranks frequent and rare terms fairly.

All three change sign, and only sign, when target and reference swap. Filters keep terms
used at least ``min_count`` times in the two groups together and, on the side that over-uses
them, by at least ``min_accounts`` accounts, none of which accounts for more than
``max_account_share`` of the uses: a term one account repeats is that account's, not a
group's (dispersion). The filters are symmetric too, so swapping the groups keeps the same
terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from infoscope.errors import BadParameterError

__all__ = ["TermCounts", "compute_keyness", "log_odds_z"]


@dataclass(frozen=True)
class TermCounts:
    """A group's term counts: per term its uses (`counts`), the accounts using it
    (`accounts`) and the largest share of its uses by one account (`top_share`); with the
    group's total tokens and accounts."""

    terms: list[str]
    counts: np.ndarray
    accounts: np.ndarray
    top_share: np.ndarray
    total_tokens: int
    total_accounts: int

    @classmethod
    def from_table(cls, table: pa.Table, *, total_tokens: int, total_accounts: int) -> TermCounts:
        """From ``term, uses, accounts, top_share`` columns."""
        return cls(
            terms=table["term"].to_pylist(),
            counts=table["uses"].to_numpy().astype(float),
            accounts=table["accounts"].to_numpy().astype(float),
            top_share=table["top_share"].to_numpy().astype(float),
            total_tokens=int(total_tokens),
            total_accounts=int(total_accounts),
        )


def _aligned(target: TermCounts, reference: TermCounts) -> tuple:  # type: ignore[type-arg]
    terms = sorted(set(target.terms) | set(reference.terms))
    index = {t: i for i, t in enumerate(terms)}

    def spread(group: TermCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        at = np.fromiter((index[t] for t in group.terms), dtype=np.int64, count=len(group.terms))
        out = np.zeros((3, len(terms)))
        out[0, at] = group.counts
        out[1, at] = group.accounts
        out[2, at] = group.top_share
        return out[0], out[1], out[2]

    return (terms, *spread(target), *spread(reference))


def log_odds_z(
    a: np.ndarray, b: np.ndarray, n_t: float, n_r: float, *, prior_strength: float = 1000.0
) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds ratios with an informative Dirichlet prior and their z-scores (Monroe et al.
    2008, eq. 22) of terms used `a` times in a target of `n_t` tokens and `b` times in a
    reference of `n_r` tokens; `prior_strength` is the prior's total pseudo-count."""
    a0 = prior_strength
    alpha = a0 * (a + b) / (n_t + n_r)
    delta = np.log((a + alpha) / (n_t + a0 - a - alpha)) - np.log(
        (b + alpha) / (n_r + a0 - b - alpha)
    )
    return delta, delta / np.sqrt(1 / (a + alpha) + 1 / (b + alpha))


def compute_keyness(
    target: TermCounts,
    reference: TermCounts,
    *,
    min_count: int = 5,
    min_accounts: int = 3,
    max_account_share: float = 0.5,
    prior_strength: float = 1000.0,
) -> pa.Table:
    """Keyness of every term of `target` against `reference`, sorted by ``z`` (descending).

    Columns: ``term``, ``target_count``, ``reference_count``, ``target_accounts``,
    ``reference_accounts``, ``top_share`` (on the over-using side), ``g2``, ``p_value``,
    ``log_ratio``, ``log_odds``, ``z``. `prior_strength` is the prior's total pseudo-count
    (``a0``).
    """
    if min_count < 1 or min_accounts < 1:
        raise BadParameterError("min_count and min_accounts must be at least 1")
    if not 0 < max_account_share <= 1:
        raise BadParameterError(f"max_account_share must be in (0, 1], got {max_account_share}")
    if prior_strength <= 0:
        raise BadParameterError(f"prior_strength must be positive, got {prior_strength}")
    n_t, n_r = float(target.total_tokens), float(reference.total_tokens)
    if n_t <= 0 or n_r <= 0:
        raise BadParameterError(
            "keyness needs tokens in both groups; the "
            + ("target" if n_t <= 0 else "reference")
            + " group has none"
        )
    terms, a, acc_t, top_t, b, acc_r, top_r = _aligned(target, reference)
    # Log-ratio (Hardie 2014) decides which side over-uses a term.
    log_ratio = np.log2((np.where(a > 0, a, 0.5) / n_t) / (np.where(b > 0, b, 0.5) / n_r))
    # At a tie (equal relative frequencies) neither side over-uses: both must pass, so the
    # filter stays symmetric.
    tie = log_ratio == 0
    over_t = log_ratio > 0
    side_accounts = np.where(tie, np.minimum(acc_t, acc_r), np.where(over_t, acc_t, acc_r))
    side_share = np.where(tie, np.maximum(top_t, top_r), np.where(over_t, top_t, top_r))
    keep = (
        (a + b >= min_count) & (side_accounts >= min_accounts) & (side_share <= max_account_share)
    )
    idx = np.flatnonzero(keep)
    a, b, log_ratio = a[idx], b[idx], log_ratio[idx]
    # G2, signed by the direction of the difference.
    e_t = n_t * (a + b) / (n_t + n_r)
    e_r = n_r * (a + b) / (n_t + n_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * (np.where(a > 0, a * np.log(a / e_t), 0) + np.where(b > 0, b * np.log(b / e_r), 0))
    g2 = np.sign(log_ratio) * np.maximum(g2, 0)
    from scipy.stats import chi2

    p_value = chi2.sf(np.abs(g2), 1)
    delta, z = log_odds_z(a, b, n_t, n_r, prior_strength=prior_strength)
    order = np.asarray(
        sorted(range(len(idx)), key=lambda k: (-z[k], terms[idx[k]])), dtype=np.int64
    )
    pick = idx[order]
    return pa.table(
        {
            "term": [terms[i] for i in pick],
            "target_count": a[order].astype(np.int64),
            "reference_count": b[order].astype(np.int64),
            "target_accounts": acc_t[pick].astype(np.int64),
            "reference_accounts": acc_r[pick].astype(np.int64),
            "top_share": side_share[pick],
            "g2": g2[order],
            "p_value": p_value[order],
            "log_ratio": log_ratio[order],
            "log_odds": delta[order],
            "z": z[order],
        }
    )
