"""The locate analysis scored against the places a scenario's accounts claim
(`infoscope evaluate`)."""

from __future__ import annotations

from typing import Any

from infoscope.evaluate import Truth, ratio
from infoscope.store import Store

__all__ = ["evaluate_locate"]


def evaluate_locate(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest locate run against the places the scenario's accounts claim.

    A claimed location is only what the profile says (the scenario also knows where accounts
    really are, their ``true_timezone``, which no profile states). Over the scenario's
    accounts in the run: ``claimed_resolved`` is the share of accounts claiming a real place
    (one with a ``claimed_timezone``) that got a country; ``country_agreement`` the share of
    those whose country is the one of the claimed place's time zone (pytz); ``junk_resolved``
    the share of accounts claiming no place ("Earth", "🌍") that got a country anyway (0 is
    right); ``night_flagged_trolls`` and ``night_flagged_organic`` the share of troll and of
    organic accounts with a posting-hours check whose posting hours contradict their place.
    """
    from infoscope.geo.zones import zone_country

    run_id = store.latest_run_id("locate")
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.claimed_location, t.claimed_timezone, t.persona, t.role, l.country,
               json_extract_string(l.checks, '$.posting_hours.consistent') AS hours_ok
        FROM read_csv(?, all_varchar = true) t
        JOIN account_locations l
          ON l.run_id = ? AND l.platform = ? AND l.account_id = t.account_id
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id, truth.platform],
    ).fetchall()
    countries = zone_country()
    places = [r for r in rows if r[0] and r[1]]
    junk = [r for r in rows if r[0] and not r[1]]
    resolved = [r for r in places if r[4] != "unknown"]
    comparable = [r for r in resolved if r[1] in countries]
    agree = [r for r in comparable if countries[r[1]] == r[4]]

    def flagged(group: list[tuple[Any, ...]]) -> float:
        checked = [r for r in group if r[5] is not None]
        return ratio(sum(r[5] == "false" for r in checked), len(checked))

    return {
        "accounts_scored": float(len(rows)),
        "claimed_places": float(len(places)),
        "claimed_resolved": ratio(len(resolved), len(places)),
        "country_agreement": ratio(len(agree), len(comparable)),
        "junk_resolved": ratio(sum(r[4] != "unknown" for r in junk), len(junk)),
        "night_flagged_trolls": flagged([r for r in rows if r[2] == "troll"]),
        "night_flagged_organic": flagged([r for r in rows if r[3] == "organic"]),
    }
