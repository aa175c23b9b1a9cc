"""Monitoring: how prevalent resonance is per place and period, with its uncertainty.

`run_monitor` reads a resonance run scored per period (``infoscope resonance --period``)
and the latest `infoscope locate` run, and counts, per place (country, or country/region) and
period, the accounts scored in that period and those resonant. Beside each prevalence:

- its 95% Wilson confidence interval (``scipy.stats.binomtest``);
- the period's share of scored accounts whose place is unknown (no evidence, or a place below
  ``min_confidence``): they are counted under ``unknown``, never spread over the places;
- alerts: ``growth`` when the period's prevalence is significantly above that of the previous
  ``baseline`` periods pooled (one-sided Fisher exact test, p < ``alpha``), and ``crossing``
  when a place's interval lies wholly above ``threshold`` for the first time after periods
  at or below it.

Places with fewer than ``min_accounts`` scored accounts in a period get no alert: too few to
say. The relational part (joining scores to places and counting) is one Ibis expression.
`load_monitor` reads a stored run back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from infoscope.errors import InfoscopeError
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = ["MonitorRun", "count_cells", "demo_monitor", "load_monitor", "run_monitor"]

COMMAND = "monitor"
LEVELS = ("country", "region")


@dataclass
class MonitorRun(AnalysisResult):
    """A stored monitor run: its summary, cells (place x period) and alerts."""

    cells: list[dict[str, Any]] = field(default_factory=list)

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return [c for c in self.cells if c["alert"]]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **self.summary, "alerts": self.alerts, "cells": self.cells}


def count_cells(
    scores: ibis.Table,
    locations: ibis.Table | None,
    *,
    level: str = "country",
    min_confidence: float = 0.5,
) -> ibis.Table:
    """``place, period, accounts, resonant`` from per-period scores and account places."""
    scored = scores.filter(scores.period.notnull() & scores.probability.notnull())
    if locations is None:
        placed = scored.mutate(place=ibis.literal("unknown"))
    else:
        known = (locations.country != "unknown") & (locations.confidence >= min_confidence)
        name = (
            locations.country
            if level == "country"
            else locations.country + "/" + locations.region.fill_null("?")
        )
        where = locations.select(
            l_platform="platform", l_account="account_id", l_place=known.ifelse(name, "unknown")
        )
        placed = scored.left_join(
            where,
            [scored.platform == where.l_platform, scored.account_id == where.l_account],
        ).mutate(place=_.l_place.fill_null("unknown"))
    return placed.group_by(["place", "period"]).aggregate(
        accounts=_.count(), resonant=_.resonant.cast("int64").sum()
    )


def run_monitor(
    store: Store,
    *,
    resonance_run: str | None = None,
    level: str = "country",
    min_confidence: float = 0.5,
    min_accounts: int = 10,
    threshold: float = 0.1,
    baseline: int = 4,
    alpha: float = 0.01,
    seed: int = 0,
) -> MonitorRun:
    """Prevalence of resonance per place and period, with intervals and alerts; stored.

    The counting and tests are deterministic: `seed` is recorded for provenance only."""
    from scipy.stats import binomtest, fisher_exact

    if level not in LEVELS:
        raise InfoscopeError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if resonance_run is None:
        scored = store.latest_run("resonance", where=lambda r: bool(r.parameters.get("period")))
        resonance_run = None if scored is None else scored.run_id
    run = resonance_run
    if run is None:
        raise InfoscopeError(
            "no resonance run scored per period: run `infoscope resonance --signature NAME "
            "--period week` (or month) first"
        )
    locate_run = store.latest_run_id("locate")
    params = {
        "resonance_run": run,
        "locate_run": locate_run,
        "level": level,
        "min_confidence": min_confidence,
        "min_accounts": min_accounts,
        "threshold": threshold,
        "baseline": baseline,
        "alpha": alpha,
    }
    scores = store.ibis.table("resonance_scores")
    scores = scores.filter(scores.run_id == run)
    locations = None
    if locate_run is not None:
        locations = store.ibis.table("account_locations")
        locations = locations.filter(locations.run_id == locate_run)
    rows = (
        count_cells(scores, locations, level=level, min_confidence=min_confidence)
        .order_by(["place", "period"])
        .to_pyarrow()
        .to_pylist()
    )
    if not rows:
        raise InfoscopeError(
            f"resonance run {run} has no per-period scores of scored accounts; run "
            "`infoscope resonance --period week` first"
        )
    per_period: dict[Any, list[int]] = {}
    for r in rows:
        tot = per_period.setdefault(r["period"], [0, 0])
        tot[0] += r["accounts"]
        tot[1] += r["accounts"] if r["place"] == "unknown" else 0
    history: dict[str, list[dict[str, Any]]] = {}
    cells = []
    for r in rows:
        n, k = int(r["accounts"]), int(r["resonant"])
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        total, unknown = per_period[r["period"]]
        cell = {
            "place": r["place"],
            "period": r["period"],
            "accounts": n,
            "resonant": k,
            "prevalence": k / n,
            "ci_low": float(ci.low),
            "ci_high": float(ci.high),
            "unknown_share": unknown / total,
            "growth_p": None,
            "alert": None,
        }
        past = history.setdefault(r["place"], [])
        if r["place"] != "unknown" and n >= min_accounts:
            before = [c for c in past[-baseline:] if c["accounts"] > 0]
            base_n = sum(c["accounts"] for c in before)
            base_k = sum(c["resonant"] for c in before)
            if base_n >= min_accounts:
                _, p = fisher_exact([[k, n - k], [base_k, base_n - base_k]], alternative="greater")
                cell["growth_p"] = float(p)
                if p < alpha:
                    cell["alert"] = "growth"
            crossed_before = any(c["ci_low"] > threshold for c in past)
            if cell["ci_low"] > threshold and past and not crossed_before:
                cell["alert"] = "crossing" if cell["alert"] is None else "growth+crossing"
        past.append(cell)
        cells.append(cell)
    places = sorted({c["place"] for c in cells})
    summary = {
        "parameters": params,
        "places": len([p for p in places if p != "unknown"]),
        "periods": len(per_period),
        "cells": len(cells),
        "alerts": sum(1 for c in cells if c["alert"]),
        "unknown_share": sum(u for _, u in per_period.values())
        / max(1, sum(t for t, _ in per_period.values())),
        "located": locate_run is not None,
    }
    with store.run(COMMAND, params, seed=seed) as stored:
        table = pa.Table.from_pylist(cells)
        table = table.add_column(0, "run_id", pa.array([stored.run_id] * len(cells)))
        store.insert("monitor_cells", table)
        stored.counts = summary
    return MonitorRun(stored.run_id, summary, cells)


def load_monitor(store: Store, run_id: str | None = None) -> MonitorRun:
    """A stored monitor run (the latest completed one by default) with its cells."""
    run = store.completed_run(COMMAND, run_id)
    cur = store.con.execute(
        "SELECT * EXCLUDE (run_id) FROM monitor_cells WHERE run_id = ? ORDER BY place, period",
        [run.run_id],
    )
    names = [d[0] for d in cur.description]
    cells = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return MonitorRun(run.run_id, run.counts, cells)


def demo_monitor(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: resonance monitored per country and week."""
    context.say("monitoring resonance by country and week")
    result = run_monitor(store, min_accounts=10, seed=context.seed)
    m = result.summary
    text = (
        f"Resonance monitored over {m['places']} countries and {m['periods']} weeks "
        f"({m['unknown_share']:.0%} of scored account-weeks without a known place): "
        f"{len(result.alerts)} alert(s)."
    )
    return DemoStep(result, {**m, "alerts": result.alerts}, text)
