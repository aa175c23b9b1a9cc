"""The analysis registry: every analysis infoscope has, registered once.

An analysis (communities, coordination, resonance...) is one unit: its package holds its pure
computations, its ``run_x``/``load_x`` functions, its table definitions, its report and
dashboard sections (a view, charts and a template partial), its exports, its evaluator and its
demo step. `ANALYSES` lists them, in the order the demo runs them and the report shows them;
everything that lists analyses reads this registry: the store (tables), ``infoscope export``
(its choices), the report and dashboard (sections and pages), ``infoscope demo``,
``infoscope evaluate`` and ``infoscope runs``. Adding an analysis means adding its package and
one `Analysis` entry here.

Entries name their functions as ``"module:attribute"`` strings, imported only when used, so
reading the registry imports no analysis (``infoscope --help`` stays instant).

Contracts (checked for every entry by ``tests/test_registry.py``):

- ``run(store, *, seed=0, progress=None, **parameters) -> AnalysisResult`` runs the analysis
  inside `Store.run` and stores its rows under the run id; ``load(store, run_id=None)`` reads a
  completed run back (the latest by default) as the same result;
- ``tables`` is a mapping of table name to ``CREATE TABLE IF NOT EXISTS`` DDL; tables with a
  ``run_id`` column hold one run's rows each;
- a section's ``view(store, filters, **options)`` returns JSON-ready data, or None when the
  analysis has not run; ``charts(data)`` returns ``{chart key: plotly figure}``; its template
  partial renders ``data`` (see ``report/templates/macros.html.j2``);
- an export either writes the run's rows of a table or calls a writer
  ``(store, run_id, out) -> rows`` for file formats such as GEXF;
- ``evaluate(store, truth)`` scores the latest run against a scenario's ground truth (None when
  it has not run); ``demo(store, context)`` runs the analysis in the demo and returns its result
  (None when the demo's data does not apply).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from infoscope.errors import BadParameterError

__all__ = [
    "ANALYSES",
    "Analysis",
    "AnalysisResult",
    "DemoContext",
    "DemoStep",
    "Export",
    "Option",
    "Section",
    "analysis_tables",
    "get_analysis",
    "register",
    "registered",
    "registered_analyses",
    "registered_exports",
    "resolve",
    "unregister",
]


def resolve(reference: str) -> Any:
    """The object a ``"module:attribute"`` reference names (imported on first use)."""
    module, _, attribute = reference.partition(":")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@dataclass
class AnalysisResult:
    """A stored run of an analysis as its ``run`` returns it and its ``load`` reads it back:
    the run id and its summary (the run's recorded counts). Analyses subclass it to add what
    they show (profiles, clusters, top rows)."""

    run_id: str
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        extra = {
            k: v for k, v in vars(self).items() if k not in ("run_id", "summary") and k[0] != "_"
        }
        return {"run_id": self.run_id, **self.summary, **extra}


@dataclass
class DemoContext:
    """What a demo step gets: the scenario's folder and seed, a progress callback, and the
    results of the steps before it (by analysis name)."""

    scenario: Path
    seed: int
    say: Callable[[str], None] = field(default=lambda message: None)
    results: dict[str, AnalysisResult] = field(default_factory=dict)


@dataclass
class DemoStep:
    """A demo step's outcome: the analysis' result, what ``summary.json`` keeps of it and the
    paragraph ``summary.md`` shows."""

    result: AnalysisResult
    data: dict[str, Any]
    text: str


@dataclass(frozen=True)
class Export:
    """One ``infoscope export`` choice: the run's rows of `table`, or a `writer`
    (``"module:function"`` taking ``(store, run_id, out)`` and returning the rows written) for
    formats that are not a table, such as a graph."""

    name: str
    table: str | None = None
    writer: str | None = None
    suffixes: tuple[str, ...] = (".parquet", ".csv")
    help: str = ""


@dataclass(frozen=True)
class Option:
    """A whole-number option of a section's view (``max_nodes``, ``top``...): its default and
    the bounds a value must keep. The dashboard reads it from the query string, the report
    takes it as a keyword of ``build_report``."""

    name: str
    default: int
    low: int
    high: int
    help: str = ""

    def check(self, value: int) -> int:
        """`value`, or a BadParameterError naming the option and its bounds."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadParameterError(f"{self.name}={value!r} is not a whole number")
        if not self.low <= value <= self.high:
            raise BadParameterError(f"{self.name}={value} is out of range {self.low}..{self.high}")
        return value

    def parse(self, raw: str | None) -> int:
        """The value of a query-string parameter: the default when absent or empty."""
        if raw is None or raw == "":
            return self.default
        try:
            value = int(raw)
        except ValueError:
            raise BadParameterError(f"{self.name}={raw!r} is not a whole number") from None
        return self.check(value)


@dataclass(frozen=True)
class Section:
    """A part of the report and of a dashboard page: a `view` (``"module:function"``), its
    `charts` and a template partial (a file in the analysis package's ``templates``).

    `key` is the section's HTML id and its key in a page's JSON; `title` names it in the
    report's navigation bar; sections with the same `page` (path) share a dashboard page
    titled `page_title`. `options` are the keyword options its view takes."""

    key: str
    title: str
    view: str
    template: str
    page: str
    page_title: str
    charts: str | None = None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """One registered analysis; see the module docstring for the contracts."""

    name: str
    title: str
    package: str
    description: str
    tables: str
    run: str
    load: str
    hint: str
    sections: tuple[Section, ...] = ()
    exports: tuple[Export, ...] = ()
    evaluator: str | None = None
    demo: str | None = None
    reads: tuple[str, ...] = ()

    def function(self, role: str) -> Any:
        """The callable behind ``run``, ``load``, ``evaluator`` or ``demo``."""
        reference = getattr(self, role)
        if reference is None:
            raise BadParameterError(f"analysis {self.name!r} has no {role}")
        return resolve(reference)

    def table_ddl(self) -> dict[str, str]:
        return dict(resolve(self.tables))

    def run_tables(self) -> tuple[str, ...]:
        """The tables holding one run's rows (those with a ``run_id`` column)."""
        return tuple(name for name, ddl in self.table_ddl().items() if "run_id VARCHAR" in ddl)

    @property
    def templates(self) -> str:
        """The folder of the package's template partials."""
        module = importlib.import_module(self.package)
        return str(Path(str(module.__file__)).parent / "templates")


def _top(default: int, high: int = 1000) -> Option:
    return Option("top", default, 1, high, "rows listed")


def _articles_section(key: str, title: str) -> Section:
    return Section(
        key=key,
        title=title,
        view=f"infoscope.articles.view:{key}_view",
        template=f"{key}.html.j2",
        page="/articles",
        page_title="Articles",
        charts=f"infoscope.articles.view:{key}_charts",
        options=(_top(20),),
    )


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        name="communities",
        title="Communities",
        package="infoscope.network",
        description="Leiden communities of the interaction network, their stability and "
        "leading accounts",
        tables="infoscope.network.tables:TABLES",
        run="infoscope.network.run:run_communities",
        load="infoscope.network.run:load_communities",
        hint="infoscope communities",
        sections=(
            Section(
                key="network",
                title="Network map",
                view="infoscope.network.view:network_view",
                template="network.html.j2",
                page="/network",
                page_title="Network map",
                charts="infoscope.network.view:network_charts",
                options=(
                    Option(
                        "max_nodes", 50_000, 1, 500_000, "accounts drawn, most influential first"
                    ),
                    Option("max_edges", 20_000, 0, 1_000_000, "edges drawn, strongest first"),
                    Option("seed", 0, 0, 2**31 - 1, "seed of the map layout"),
                ),
            ),
            Section(
                key="communities",
                title="Communities",
                view="infoscope.network.view:communities_view",
                template="communities.html.j2",
                page="/communities",
                page_title="Communities",
                charts="infoscope.network.view:communities_charts",
            ),
        ),
        exports=(
            Export("nodes", table="network_nodes", help="accounts with community and ranks"),
            Export("communities", table="communities", help="one profile per community"),
            Export(
                "graph",
                writer="infoscope.network.graphio:write_graph",
                suffixes=(".gexf", ".graphml", ".parquet"),
                help="the network with communities (GEXF, GraphML or Parquet)",
            ),
        ),
        evaluator="infoscope.network.evaluate:evaluate_communities",
        demo="infoscope.network.run:demo_communities",
    ),
    Analysis(
        name="signature",
        title="Signatures",
        package="infoscope.language",
        description="the terms that set a group's language apart (keyness with effect sizes)",
        tables="infoscope.language.tables:SIGNATURE_TABLES",
        run="infoscope.language.signature:run_signature",
        load="infoscope.language.signature:load_signature",
        hint="infoscope signature learn --target ... --name NAME",
        sections=(
            Section(
                key="signatures",
                title="Signatures",
                view="infoscope.language.view:signatures_view",
                template="signatures.html.j2",
                page="/language",
                page_title="Signatures & resonance",
                charts="infoscope.language.view:signatures_charts",
                options=(_top(25, 500),),
            ),
        ),
        exports=(
            Export("signature-terms", table="signature_terms", help="keyness of the terms"),
            Export("signature-training", table="signature_training", help="training accounts"),
        ),
        demo="infoscope.language.signature:demo_signature",
    ),
    Analysis(
        name="resonance",
        title="Resonance",
        package="infoscope.language",
        description="how much each account talks like a signature's group, calibrated",
        tables="infoscope.language.tables:RESONANCE_TABLES",
        run="infoscope.language.resonance:run_resonance",
        load="infoscope.language.resonance:load_resonance",
        hint="infoscope resonance --signature NAME --period week",
        sections=(
            Section(
                key="resonance",
                title="Resonance",
                view="infoscope.language.view:resonance_view",
                template="resonance.html.j2",
                page="/language",
                page_title="Signatures & resonance",
                charts="infoscope.language.view:resonance_charts",
            ),
        ),
        exports=(
            Export("resonance", table="resonance_scores", help="scores, status, contributions"),
            Export("resonance-posts", table="resonance_posts", help="per-post scores"),
            Export("resonance-calibration", table="resonance_calibration", help="calibration"),
        ),
        evaluator="infoscope.language.evaluate:evaluate_resonance",
        demo="infoscope.language.resonance:demo_resonance",
        reads=("signature",),
    ),
    Analysis(
        name="locate",
        title="Places",
        package="infoscope.geo",
        description="each account's place with its source and confidence",
        tables="infoscope.geo.tables:TABLES",
        run="infoscope.geo.accounts:run_locate",
        load="infoscope.geo.accounts:load_locate",
        hint="infoscope locate",
        sections=(
            Section(
                key="places",
                title="Places",
                view="infoscope.geo.view:places_view",
                template="places.html.j2",
                page="/places",
                page_title="Places & monitoring",
                charts="infoscope.geo.view:places_charts",
            ),
        ),
        exports=(Export("account-locations", table="account_locations", help="places"),),
        evaluator="infoscope.geo.evaluate:evaluate_locate",
        demo="infoscope.geo.accounts:demo_locate",
    ),
    Analysis(
        name="monitor",
        title="Monitoring",
        package="infoscope.language",
        description="prevalence of resonance per place and period, with intervals and alerts",
        tables="infoscope.language.tables:MONITOR_TABLES",
        run="infoscope.language.monitor:run_monitor",
        load="infoscope.language.monitor:load_monitor",
        hint="infoscope monitor",
        sections=(
            Section(
                key="monitor",
                title="Monitoring",
                view="infoscope.language.view:monitor_view",
                template="monitor.html.j2",
                page="/places",
                page_title="Places & monitoring",
                charts="infoscope.language.view:monitor_charts",
            ),
        ),
        exports=(Export("monitor-cells", table="monitor_cells", help="prevalence cells"),),
        demo="infoscope.language.monitor:demo_monitor",
        reads=("resonance", "locate"),
    ),
    Analysis(
        name="coordination",
        title="Coordination",
        package="infoscope.coordination",
        description="coordinated behaviour: co-action traces scored against null models, "
        "with evidence",
        tables="infoscope.coordination.tables:TABLES",
        run="infoscope.coordination.run:run_coordination",
        load="infoscope.coordination.run:load_coordination",
        hint="infoscope coordination",
        sections=(
            Section(
                key="coordination",
                title="Coordination",
                view="infoscope.coordination.view:coordination_view",
                template="coordination.html.j2",
                page="/coordination",
                page_title="Coordination",
                charts="infoscope.coordination.view:coordination_charts",
                options=(
                    Option("clusters", 25, 1, 10_000, "clusters shown, largest first"),
                    Option("edges", 15, 0, 1_000, "strongest edges shown per cluster"),
                    Option("evidence", 5, 0, 1_000, "shared objects shown per edge"),
                ),
            ),
        ),
        exports=(
            Export("coordination-edges", table="coordination_edges", help="significant pairs"),
            Export("coordination-evidence", table="coordination_evidence", help="per-edge posts"),
            Export("coordination-accounts", table="coordination_accounts", help="accounts"),
            Export("coordination-clusters", table="coordination_clusters", help="profiles"),
            Export(
                "coordination-graph",
                writer="infoscope.coordination.graphio:write_coordination_graph",
                suffixes=(".gexf", ".graphml", ".parquet"),
                help="the network with evidence on every edge",
            ),
        ),
        evaluator="infoscope.coordination.evaluate:evaluate_coordination",
        demo="infoscope.coordination.run:demo_coordination",
    ),
    Analysis(
        name="accounts",
        title="Authenticity",
        package="infoscope.authenticity",
        description="account authenticity signals: automation, amplification, persona",
        tables="infoscope.authenticity.tables:TABLES",
        run="infoscope.authenticity.assess:run_accounts",
        load="infoscope.authenticity.assess:load_accounts",
        hint="infoscope accounts",
        sections=(
            Section(
                key="authenticity",
                title="Authenticity",
                view="infoscope.authenticity.view:authenticity_view",
                template="authenticity.html.j2",
                page="/authenticity",
                page_title="Authenticity",
                charts="infoscope.authenticity.view:authenticity_charts",
                options=(_top(30),),
            ),
        ),
        exports=(
            Export("account-signals", table="account_signals", help="flags with evidence"),
            Export("account-features", table="account_features", help="feature values"),
        ),
        evaluator="infoscope.authenticity.evaluate:evaluate_accounts",
        demo="infoscope.authenticity.assess:demo_accounts",
        reads=("locate",),
    ),
    Analysis(
        name="articles-syndication",
        title="Syndicated articles",
        package="infoscope.articles",
        description="syndicated copies of articles (near-duplicate texts)",
        tables="infoscope.articles.tables:SYNDICATION_TABLES",
        run="infoscope.articles.run:run_syndication",
        load="infoscope.articles.run:load_syndication",
        hint="infoscope articles ingest FILE...",
        sections=(_articles_section("articles", "Articles"),),
        exports=(Export("article-syndication", table="article_syndication", help="copies"),),
        demo="infoscope.articles.run:demo_syndication",
    ),
    Analysis(
        name="articles-actors",
        title="Actors",
        package="infoscope.articles",
        description="actors named in articles and their co-occurrence relations",
        tables="infoscope.articles.tables:ACTOR_TABLES",
        run="infoscope.articles.run:run_actors",
        load="infoscope.articles.run:load_actors",
        hint="infoscope articles actors",
        sections=(_articles_section("actors", "Actors"),),
        exports=(
            Export("article-mentions", table="article_mentions", help="actor mentions"),
            Export("actor-relations", table="actor_relations", help="pairs with evidence"),
        ),
        demo="infoscope.articles.run:demo_actors",
        reads=("articles-syndication",),
    ),
    Analysis(
        name="articles-quotes",
        title="Quotes and sources",
        package="infoscope.articles",
        description="who is quoted or cited, with role, affiliation and medium",
        tables="infoscope.articles.tables:QUOTE_TABLES",
        run="infoscope.articles.run:run_quotes",
        load="infoscope.articles.run:load_quotes",
        hint="infoscope articles quotes",
        sections=(_articles_section("quotes", "Quotes"),),
        exports=(Export("article-quotes", table="article_quotes", help="attributions"),),
        demo="infoscope.articles.run:demo_quotes",
        reads=("articles-syndication",),
    ),
    Analysis(
        name="articles-events",
        title="Events",
        package="infoscope.articles.events",
        description="directed, typed events between actors (source, action, target, CAMEO "
        "code, quad class) with the sentence behind each",
        tables="infoscope.articles.events.tables:EVENT_TABLES",
        run="infoscope.articles.events.run:run_events",
        load="infoscope.articles.events.run:load_events",
        hint="infoscope articles events",
        sections=(
            Section(
                key="events",
                title="Events",
                view="infoscope.articles.events.view:events_view",
                template="events.html.j2",
                page="/articles",
                page_title="Articles",
                charts="infoscope.articles.events.view:events_charts",
                options=(_top(20),),
            ),
        ),
        exports=(
            Export("article-events", table="article_events", help="who does what to whom"),
            Export("article-event-status", table="article_event_status", help="coded or not, why"),
        ),
        demo="infoscope.articles.events.run:demo_events",
        reads=("articles-syndication",),
    ),
    Analysis(
        name="articles-influence",
        title="Influence graph",
        package="infoscope.articles.influence",
        description="a typed directed graph over actors, outlets, quoted sources and "
        "accounts (events, quotes, reposts, channels) with communities, central nodes and "
        "the evidence behind each edge",
        tables="infoscope.articles.influence.tables:INFLUENCE_TABLES",
        run="infoscope.articles.influence.run:run_influence",
        load="infoscope.articles.influence.run:load_influence",
        hint="infoscope articles influence",
        sections=(
            Section(
                key="influence",
                title="Influence",
                view="infoscope.articles.influence.view:influence_view",
                template="influence.html.j2",
                page="/articles",
                page_title="Articles",
                charts="infoscope.articles.influence.view:influence_charts",
                options=(
                    _top(20),
                    Option("influence_nodes", 300, 1, 5_000, "nodes drawn, most central first"),
                ),
            ),
        ),
        exports=(
            Export("influence-nodes", table="influence_nodes", help="nodes, community, rank"),
            Export("influence-edges", table="influence_edges", help="typed edges over time"),
            Export("influence-evidence", table="influence_evidence", help="evidence per edge"),
            Export(
                "influence-graph",
                writer="infoscope.articles.influence.graphio:write_influence_graph",
                suffixes=(".gexf", ".graphml"),
                help="the influence graph with evidence on every edge (GEXF or GraphML)",
            ),
        ),
        demo="infoscope.articles.influence.run:demo_influence",
        reads=("articles-events", "articles-quotes"),
    ),
    Analysis(
        name="articles-narratives",
        title="Narratives",
        package="infoscope.articles",
        description="recurring claims across articles, multilingual, per period and outlet",
        tables="infoscope.articles.tables:NARRATIVE_TABLES",
        run="infoscope.articles.run:run_narratives",
        load="infoscope.articles.run:load_narratives",
        hint="infoscope articles narratives",
        sections=(_articles_section("narratives", "Narratives"),),
        exports=(
            Export("narratives", table="narratives", help="one profile per narrative"),
            Export("narrative-units", table="narrative_units", help="sentences per narrative"),
        ),
        demo="infoscope.articles.run:demo_narratives",
        reads=("articles-syndication",),
    ),
    Analysis(
        name="articles-techniques",
        title="Propaganda techniques",
        package="infoscope.articles",
        description="propaganda technique spans (SemEval-2020 Task 11) with a confidence",
        tables="infoscope.articles.tables:TECHNIQUE_TABLES",
        run="infoscope.articles.run:run_techniques",
        load="infoscope.articles.run:load_techniques",
        hint="infoscope articles techniques",
        sections=(_articles_section("techniques", "Techniques"),),
        exports=(Export("article-techniques", table="article_techniques", help="spans"),),
        demo="infoscope.articles.run:demo_techniques",
        reads=("articles-syndication",),
    ),
)

_REGISTERED: dict[str, Analysis] = {a.name: a for a in ANALYSES}


def registered_analyses() -> dict[str, Analysis]:
    """Every registered analysis by name, in registry order."""
    return dict(_REGISTERED)


def get_analysis(name: str) -> Analysis:
    """The analysis registered as `name`, or a BadParameterError listing the names."""
    try:
        return _REGISTERED[name]
    except KeyError:
        raise BadParameterError(
            f"no analysis named {name!r}; choose one of {', '.join(_REGISTERED)}"
        ) from None


def register(analysis: Analysis) -> Analysis:
    """Add `analysis` to the registry (a plugin, or a test's example analysis)."""
    if analysis.name in _REGISTERED or analysis.name == "ingest":
        raise BadParameterError(f"analysis {analysis.name!r} is already registered")
    _REGISTERED[analysis.name] = analysis
    analysis_tables.cache_clear()
    return analysis


def unregister(name: str) -> None:
    """Remove the analysis registered as `name`."""
    _REGISTERED.pop(name, None)
    analysis_tables.cache_clear()


@contextmanager
def registered(analysis: Analysis) -> Iterator[Analysis]:
    """`analysis` registered for the duration of the block."""
    register(analysis)
    try:
        yield analysis
    finally:
        unregister(analysis.name)


@cache
def analysis_tables() -> dict[str, str]:
    """The DDL of every registered analysis' tables, by table name."""
    out: dict[str, str] = {}
    for analysis in _REGISTERED.values():
        for table, ddl in analysis.table_ddl().items():
            if table in out and out[table] != ddl:
                raise BadParameterError(f"table {table!r} is declared twice, differently")
            out[table] = ddl
    return out


def registered_exports() -> dict[str, tuple[Analysis, Export]]:
    """Every analysis export by its ``infoscope export`` name."""
    return {e.name: (a, e) for a in _REGISTERED.values() for e in a.exports}
