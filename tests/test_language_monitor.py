"""Monitoring: prevalence per place and period, intervals, unknown share and alerts.

The store is filled by hand: a resonance run scored per week and a locate run, so every
count below follows from the rows written here.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from infoscope.errors import InfoscopeError
from infoscope.language.monitor import run_monitor

from .conftest import run_cli


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval by its formula: an independent check of the stored one."""
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


WEEKS = [dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)]


def _fill(store, resonant_by_week):
    """Accounts a0..a39: a0-a19 located in US, a20-a29 in RU at low confidence (so unknown),
    a30-a39 with no place. Each account is scored every week; `resonant_by_week[w]` is the
    number of US accounts (a0, a1, ...) resonant in week w. One RU account is resonant each
    week. Accounts with a NULL probability (too few tokens) must not count."""
    with store.run("resonance", {"period": "week"}) as scored:
        run = scored.run_id
    rows = []
    for w, week in enumerate(WEEKS):
        for i in range(40):
            resonant = (i < 20 and i < resonant_by_week[w]) or i == 20
            rows.append((run, "sig", "twitter", f"a{i}", week, 100, 1.0, 0.5, resonant, "[]"))
        # Unscored: never counted.
        rows.append((run, "sig", "twitter", "tiny", week, 3, 0.0, None, False, "[]"))
    store.con.executemany(
        "INSERT INTO resonance_scores (run_id, signature_id, platform, account_id, period, tokens, "
        "score, probability, resonant, top_terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    with store.run("locate", {}) as located:
        locate = located.run_id
    places = [(f"a{i}", "US", 0.9) for i in range(20)] + [
        (f"a{i}", "RU", 0.3) for i in range(20, 30)
    ]
    places += [(f"a{i}", "unknown", 0.0) for i in range(30, 40)]
    store.con.executemany(
        "INSERT INTO account_locations (run_id, platform, account_id, country, source, "
        "confidence) VALUES (?, 'twitter', ?, ?, 'profile', ?)",
        [(locate, a, c, conf) for a, c, conf in places],
    )
    return run


def test_counts_intervals_and_unknown_share(store):
    _fill(store, [2, 2, 2])
    result = run_monitor(store, min_accounts=10, threshold=0.5)
    cells = {(c["place"], c["period"]): c for c in result.cells}
    # US: 20 accounts a week, 2 resonant. Unknown: RU below min_confidence (10, one resonant)
    # plus 10 without a place.
    us = cells[("US", WEEKS[0])]
    assert (us["accounts"], us["resonant"], us["prevalence"]) == (20, 2, 0.1)
    assert (us["ci_low"], us["ci_high"]) == pytest.approx(wilson(2, 20))
    unknown = cells[("unknown", WEEKS[0])]
    assert (unknown["accounts"], unknown["resonant"]) == (20, 1)
    assert us["unknown_share"] == 0.5 and result.summary["unknown_share"] == 0.5
    assert result.summary["places"] == 1 and result.summary["periods"] == 3
    # Flat prevalence: no alert.
    assert result.alerts == []
    stored = store.con.execute(
        "SELECT count(*) FROM monitor_cells WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert stored == (6,)


def test_a_jump_is_flagged_as_growth_and_a_first_crossing(store):
    # US: 1 of 20, 1 of 20, then 16 of 20. Fisher exact p for 16/20 against 2/40 is ~1e-9.
    _fill(store, [1, 1, 16])
    result = run_monitor(store, min_accounts=10, threshold=0.5, alpha=0.01)
    (alert,) = result.alerts
    assert alert["place"] == "US" and alert["period"] == WEEKS[2]
    # Wilson interval of 16/20 is about [0.58, 0.92]: wholly above 0.5 for the first time.
    assert alert["alert"] == "growth+crossing" and alert["growth_p"] < 1e-6


def test_no_alert_for_places_under_min_accounts(store):
    _fill(store, [1, 1, 16])
    assert run_monitor(store, min_accounts=25).alerts == []


def test_without_a_resonance_run_per_period_it_says_what_to_run(store, store_path):
    with pytest.raises(InfoscopeError, match="--period week"):
        run_monitor(store)
    store.close()
    result = run_cli("monitor", "--store", str(store_path))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "infoscope resonance --signature NAME --period week" in result.output


def test_cli_prints_places_and_alerts(store, store_path):
    _fill(store, [1, 1, 16])
    store.close()
    result = run_cli("monitor", "--store", str(store_path), "--threshold", "0.5")
    assert result.exit_code == 0, result.output
    assert "1 places over 3 periods; 50% of scored account-periods have no known place" in (
        result.stdout
    )
    assert "2024-01-15 US: growth+crossing (prevalence 80.0%" in result.stdout


def test_wilson_matches_scipy():
    from scipy.stats import binomtest

    for k, n in [(0, 10), (3, 10), (10, 10), (45, 120)]:
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert wilson(k, n) == pytest.approx((ci.low, ci.high))
