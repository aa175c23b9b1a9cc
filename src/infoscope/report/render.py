"""The HTML report: one self-contained file built from the store's latest runs.

`build_report` gathers every view (`infoscope.report.views`) and draws its charts
(`infoscope.report.charts`); `render_report` turns that into HTML with the section macros
shared with the dashboard and plotly.js embedded from the installed package, so the file opens
offline with no server. A section whose analysis has not run says so and names the command.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from infoscope._version import __version__
from infoscope.report import charts, views
from infoscope.store import Store

TEMPLATES = Path(__file__).with_name("templates")
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": True}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["short_time"] = _short_time
    env.filters["tojson_pretty"] = lambda v: json.dumps(
        v, indent=2, ensure_ascii=False, default=str
    )
    env.globals["how_to_run"] = views.HOW_TO_RUN
    return env


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return f"{int(value):,}"


def _pct(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _short_time(value: Any) -> str:
    if not value:
        return "–"
    return str(value).replace("T", " ")[:19]


def figure_html(fig: Any, div_id: str) -> str:
    """A chart as a div and the script that draws it (plotly.js is loaded once per page)."""
    import plotly.io as pio

    return str(
        pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=div_id,
            config=PLOT_CONFIG,
            validate=False,
        )
    )


@cache
def plotly_js() -> str:
    """plotly.js as shipped inside the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@dataclass
class ReportData:
    """Everything a report shows: each view's data and its charts as HTML."""

    store: str
    generated_at: str
    version: str
    info: dict[str, Any]
    sections: dict[str, Any]
    charts: dict[str, str] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def build_report(
    store: Store,
    filters: views.Filters | None = None,
    *,
    max_nodes: int = 50_000,
    max_edges: int = 20_000,
    clusters: int = 25,
    seed: int = 0,
) -> ReportData:
    """Read every view from `store` and draw its charts."""
    filters = filters or views.Filters()
    seconds: dict[str, float] = {}

    def timed(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        value = fn(*args, **kwargs)
        seconds[name] = round(time.perf_counter() - started, 3)
        return value

    s: dict[str, Any] = {}
    s["overview"] = timed("overview", views.overview, store, filters)
    s["network"] = timed(
        "network", views.network_map, store, filters, max_nodes=max_nodes, max_edges=max_edges,
        seed=seed,
    )  # fmt: skip
    s["communities"] = timed("communities", views.communities, store, filters)
    s["signatures"] = timed("signatures", views.signatures, store)
    s["resonance"] = timed("resonance", views.resonance, store, filters)
    s["places"] = timed("places", views.places, store, filters)
    s["monitor"] = timed("monitor", views.monitor, store, filters)
    s["coordination"] = timed("coordination", views.coordination, store, filters, clusters=clusters)
    s["authenticity"] = timed("authenticity", views.authenticity, store, filters)
    s["articles"] = timed("articles", views.articles, store)
    analyses = ("network", "resonance", "places", "monitor", "coordination", "authenticity")
    shown = {s[k]["run_id"] for k in analyses if s[k]}
    if s["articles"]:
        shown |= {r for r in s["articles"]["runs"].values() if r}
    shown |= {sig["run_id"] for sig in s["signatures"] if sig["run_id"]}
    all_runs = views.runs(store)
    shown_runs = [r for r in all_runs if r["run_id"] in shown or r["command"] == "ingest"]
    started = time.perf_counter()
    drawn = draw_charts(s)
    seconds["charts"] = round(time.perf_counter() - started, 3)
    return ReportData(
        store=str(store.path),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
        info=views.store_info(store),
        sections=s,
        charts=drawn,
        runs=shown_runs,
        seconds=seconds,
    )


def draw_charts(s: dict[str, Any]) -> dict[str, str]:
    """Each section's charts as HTML snippets, keyed by chart id."""
    out: dict[str, str] = {}

    def add(key: str, fig: Any) -> None:
        out[key] = figure_html(fig, f"chart-{key}")

    o = s.get("overview")
    if o and o["posts"]:
        add("volume", charts.volume(o))
        add("languages", charts.counts_bar(o["by_language"], "Posts by language", name="posts"))
        add("platforms", charts.counts_bar(o["by_platform"], "Posts by platform", name="posts"))
        add("kinds", charts.counts_bar(o["by_kind"], "Posts by kind", name="posts"))
    if s.get("network") and s["network"]["nodes"]:
        add("network", charts.network(s["network"]))
    if s.get("communities") and s["communities"]["profiles"]:
        add("community-sizes", charts.community_sizes(s["communities"]))
    for i, sig in enumerate(s.get("signatures") or []):
        if sig["terms"]:
            add(f"keyness-{i}", charts.keyness(sig))
    if s.get("resonance") and s["resonance"]["periods"]:
        add("resonance-periods", charts.resonance_periods(s["resonance"]))
    if s.get("places") and s["places"]["countries"]:
        add("places", charts.places(s["places"]))
    if s.get("monitor") and s["monitor"]["cells"]:
        add("monitor-heatmap", charts.monitor_heatmap(s["monitor"]))
        add("monitor-lines", charts.monitor_lines(s["monitor"]))
    if s.get("coordination"):
        add("coordination-traces", charts.coordination_traces(s["coordination"]))
        for c in s["coordination"]["clusters"]:
            add(f"cluster-{c['cluster']}", charts.cluster_activity(c))
    art = s.get("articles")
    if art and art["narratives"] and art["narratives"]["profiles"]:
        add("narratives", charts.narratives_over_time(art["narratives"]))
    if art and art["actors"] and art["actors"]["pairs"]:
        add("actor-network", charts.actor_network(art["actors"]["pairs"], art["actors"]["top"]))
    if art and art["techniques"] and art["techniques"]["counts"]:
        add("techniques", charts.technique_counts(art["techniques"]))
    a = s.get("authenticity")
    if a and a["flags"]:
        add("authenticity-flags", charts.authenticity_flags(a))
    if a and a["profile_histogram"]:
        add("profile-histogram", charts.profile_histogram(a))
    return out


def render_report(data: ReportData) -> str:
    """The report as one HTML document with plotly.js inline."""
    template = environment().get_template("report.html.j2")
    return template.render(
        r=data, s=data.sections, charts=data.charts, plotly_js=plotly_js(), account_href=None
    )


def write_report(
    store: Store,
    out: str | Path,
    filters: views.Filters | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Build, render and write the report to `out`; returns its path, size and timings."""
    started = time.perf_counter()
    data = build_report(store, filters, **options)
    html = render_report(data)
    path = Path(out)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return {
        "path": str(path),
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 3),
        "timings": data.seconds,
        "sections": {
            k: ("shown" if v else "not run") for k, v in data.sections.items() if k != "overview"
        },
    }
