"""Work spread over processes with joblib (loky): the results never depend on `n_jobs`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["delayed", "parallel"]


def parallel(n_jobs: int | None) -> Any:
    """A joblib ``Parallel`` of `n_jobs` processes (-1: one per core; None or 1: this one)."""
    from joblib import Parallel

    return Parallel(n_jobs=n_jobs, backend="loky")


def delayed(function: Callable[..., Any]) -> Any:
    """`function` wrapped for `parallel` (joblib's ``delayed``)."""
    from joblib import delayed as joblib_delayed

    return joblib_delayed(function)
