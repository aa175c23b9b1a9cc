"""The HTML report (one self-contained file built from the store's latest runs) and the
section machinery the dashboard shares with it.

The report shows the corpus overview, the account links when the store has any (the same
actor's accounts on several platforms, with their evidence: `infoscope.report.views.
account_links`), then every section of every registered analysis in registry order
(`infoscope.registry`), then the provenance of the runs shown. A section is
read by its view (`read_section`: the view named by ``Section.view``, called with the
filters and the options the section declares), drawn by its charts function
(`draw_section`: each Plotly figure becomes a ``<div id="chart-<key>">``) and rendered by
its template partial, found in the analysis package's ``templates`` folder under the
analysis name (``"coordination/coordination.html.j2"``). A partial renders its section's
``data`` and, when the view returned None (the analysis has not run), says so and names the
command that fills it. `render_section` does all three for one section.

`build_report` gathers every section, `render_report` turns them into HTML with plotly.js
embedded from the installed package, so the file opens offline with no server;
`write_report` does both and writes the file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from infoscope._version import __version__
from infoscope.errors import BadParameterError
from infoscope.registry import Analysis, Section, get_analysis, registered_analyses, resolve
from infoscope.report import charts, views
from infoscope.report.filters import NO_FILTERS, Filters
from infoscope.store import Store

__all__ = [
    "HINTS",
    "ReportData",
    "SectionView",
    "build_report",
    "charts_html",
    "draw_section",
    "environment",
    "figure_html",
    "hint",
    "plotly_js",
    "read_section",
    "registered_sections",
    "render_report",
    "render_section",
    "run_ids",
    "section_options",
    "write_report",
]

TEMPLATES = Path(__file__).with_name("templates")
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": True}
# What to run when a part that no analysis fills is empty.
HINTS = {
    "ingest": "infoscope ingest FILE...",
    "articles ingest": "infoscope articles ingest FILE...",
}


def hint(name: str) -> str:
    """The command that fills what `name` names: an analysis (its registered hint), or
    ``ingest`` / ``articles ingest``."""
    return HINTS[name] if name in HINTS else get_analysis(name).hint


# -- templates -------------------------------------------------------------------------------


def environment() -> jinja2.Environment:
    """The Jinja environment of the report and the dashboard: the report's templates (pages
    and shared macros) and, under each registered analysis' name, its package's partials."""
    folders = tuple((a.name, a.templates) for a in registered_analyses().values())
    return _environment(folders)


@cache
def _environment(folders: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    partials = jinja2.PrefixLoader({name: jinja2.FileSystemLoader(path) for name, path in folders})
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES), partials]),
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
    env.globals["hint"] = hint
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


def charts_html(figures: Mapping[str, Any]) -> dict[str, str]:
    """Figures as HTML snippets, each in a ``<div id="chart-<key>">``."""
    return {key: figure_html(fig, f"chart-{key}") for key, fig in figures.items()}


@cache
def plotly_js() -> str:
    """plotly.js as shipped inside the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


# -- sections --------------------------------------------------------------------------------


def registered_sections() -> list[tuple[Analysis, Section]]:
    """Every section of every registered analysis, in registry order."""
    return [(a, s) for a in registered_analyses().values() for s in a.sections]


@dataclass
class SectionView:
    """One section as a page shows it: its analysis and registry entry, what its view read
    (None when the analysis has not run) and its charts as HTML, by chart key."""

    analysis: Analysis
    section: Section
    data: Any
    charts: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def template(self) -> str:
        """The partial's name in the environment: ``<analysis name>/<file>``."""
        return f"{self.analysis.name}/{self.section.template}"


def section_options(section: Section, options: Mapping[str, Any]) -> dict[str, int]:
    """The options of `options` that `section` declares, checked against their bounds."""
    return {o.name: o.check(options[o.name]) for o in section.options if o.name in options}


def read_section(
    store: Store,
    analysis: Analysis,
    section: Section,
    filters: Filters | None = None,
    **options: Any,
) -> SectionView:
    """Call the section's view with `filters` and the `options` it declares (others are
    ignored, so one set of options serves every section)."""
    view = resolve(section.view)
    data = view(store, filters or NO_FILTERS, **section_options(section, options))
    return SectionView(analysis, section, data)


def draw_section(part: SectionView) -> dict[str, str]:
    """The section's charts as HTML snippets, by chart key (none when its analysis has not
    run or it draws none)."""
    if part.data is None or part.section.charts is None:
        return {}
    return charts_html(resolve(part.section.charts)(part.data))


def render_section(
    store: Store,
    analysis: Analysis | str,
    section: Section | str,
    filters: Filters | None = None,
    *,
    account_href: str | None = None,
    **options: Any,
) -> str:
    """One section as HTML (``<section id="<key>">...</section>``): read, drawn and rendered
    with its partial, whether or not its analysis has run. `analysis` and `section` are
    registry entries or their names; `account_href` (a URL prefix) makes account names
    links, as in the dashboard."""
    if isinstance(analysis, str):
        analysis = get_analysis(analysis)
    if isinstance(section, str):
        found = {s.key: s for s in analysis.sections}
        if section not in found:
            raise BadParameterError(
                f"analysis {analysis.name!r} has no section {section!r}; "
                f"its sections: {', '.join(found) or 'none'}"
            )
        section = found[section]
    part = read_section(store, analysis, section, filters, **options)
    part.charts = draw_section(part)
    template = environment().get_template("section.html.j2")
    return template.render(s=part, account_href=account_href)


def run_ids(data: Any) -> set[str]:
    """The runs a view's data shows: its ``run_id`` (a list: each item's)."""
    if isinstance(data, list):
        return {i for item in data for i in run_ids(item)}
    if isinstance(data, dict) and isinstance(data.get("run_id"), str):
        return {data["run_id"]}
    return set()


# -- the report ------------------------------------------------------------------------------


@dataclass
class ReportData:
    """Everything a report shows: the overview's and each section's data (`sections`, by
    key), the sections in order with their charts (`parts`), every chart as HTML, the runs
    shown and the time each part took."""

    store: str
    generated_at: str
    version: str
    info: dict[str, Any]
    sections: dict[str, Any]
    charts: dict[str, str] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    parts: list[SectionView] = field(default_factory=list)


def _check_options(options: Mapping[str, Any]) -> None:
    known = {o.name for _, s in registered_sections() for o in s.options}
    unknown = sorted(set(options) - known)
    if unknown:
        raise BadParameterError(
            f"no section takes the option {unknown[0]!r}; options: {', '.join(sorted(known))}"
        )


def build_report(store: Store, filters: Filters | None = None, **options: Any) -> ReportData:
    """Read the overview and every registered section from `store` and draw their charts.

    `options` go to the sections that declare them (``max_nodes=1000`` to the network map,
    ``clusters=10`` to coordination...), checked against their bounds; an option no section
    declares is an error.
    """
    _check_options(options)
    filters = filters or NO_FILTERS
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    overview = views.overview(store, filters)
    seconds["overview"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    links = views.account_links(store, filters)
    seconds["account_links"] = round(time.perf_counter() - started, 3)
    parts = []
    for analysis, section in registered_sections():
        started = time.perf_counter()
        parts.append(read_section(store, analysis, section, filters, **options))
        seconds[section.key] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    drawn = charts_html(charts.overview_charts(overview))
    for part in parts:
        part.charts = draw_section(part)
        drawn.update(part.charts)
    seconds["charts"] = round(time.perf_counter() - started, 3)
    shown = {i for part in parts for i in run_ids(part.data)}
    shown |= set(links["runs"]) if links else set()
    all_runs = views.runs(store)
    return ReportData(
        store=str(store.path),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
        info=views.store_info(store),
        sections={
            "overview": overview,
            **({"account_links": links} if links else {}),
            **{p.key: p.data for p in parts},
        },
        charts=drawn,
        runs=[r for r in all_runs if r["run_id"] in shown or r["command"] == "ingest"],
        seconds=seconds,
        parts=parts,
    )


def render_report(data: ReportData) -> str:
    """The report as one HTML document with plotly.js inline."""
    template = environment().get_template("report.html.j2")
    return template.render(
        r=data, overview=data.sections["overview"], parts=data.parts, charts=data.charts,
        links=data.sections.get("account_links"), plotly_js=plotly_js(), account_href=None,
    )  # fmt: skip


def write_report(
    store: Store,
    out: str | Path,
    filters: Filters | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Build, render and write the report to `out`; returns its path, size, timings and
    whether each section is shown or its analysis not run."""
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
        "sections": {p.key: ("shown" if p.data else "not run") for p in data.parts},
    }
