"""A small analysis written for the tests, as a new analysis would be written: hashtag counts.

Everything it needs lives in this package (tables, run and load, view and charts, a template
partial, a demo step) and one `Analysis` entry registers it (`ANALYSIS`); nothing elsewhere in
the toolkit changes. `tests/test_registry.py` registers it and checks that the store, export,
``infoscope runs``, the report, the dashboard and the demo all pick it up.
"""

from __future__ import annotations

from infoscope.registry import Analysis, Export, Option, Section

__all__ = ["ANALYSIS"]

ANALYSIS = Analysis(
    name="example-hashtags",
    title="Hashtag counts",
    package="tests.example_analysis",
    description="posts per hashtag (an example analysis)",
    tables="tests.example_analysis.tables:TABLES",
    run="tests.example_analysis.run:run_hashtags",
    load="tests.example_analysis.run:load_hashtags",
    hint="python -c 'run_hashtags(store)'",
    sections=(
        Section(
            key="example-hashtags",
            title="Hashtags",
            view="tests.example_analysis.view:hashtags_view",
            charts="tests.example_analysis.view:hashtags_charts",
            template="hashtags.html.j2",
            page="/example-hashtags",
            page_title="Hashtags",
            options=(Option("top", 10, 1, 100, "hashtags shown"),),
        ),
    ),
    exports=(Export("example-hashtags", table="example_hashtags", help="posts per hashtag"),),
    demo="tests.example_analysis.run:demo_hashtags",
)
