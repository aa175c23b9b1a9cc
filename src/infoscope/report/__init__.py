"""Reports people read: the store's latest runs as one self-contained HTML file
(`write_report`) and as a local read-only dashboard (`infoscope.report.dashboard`).

Both show the corpus overview, then the sections of the registered analyses
(`infoscope.registry`), then provenance. Data flows views -> charts -> HTML: a section's view
(in its analysis package, ``infoscope.<package>.view``) reads plain JSON-ready data from the
store (the dashboard serves the same dicts as JSON), its charts function draws Plotly figures
from it, and its template partial (in the package's ``templates``) renders it with the macros
shared here. This package holds what is not one analysis': `Filters` and the helpers views
share (`filters`), the corpus overview, accounts and provenance (`views`), the shared charts
(`charts`), the network map's layout (`layout`), and the pages (`render`, `dashboard`).
"""

from infoscope.report import views
from infoscope.report.filters import Filters
from infoscope.report.render import build_report, render_report, render_section, write_report

__all__ = ["Filters", "build_report", "render_report", "render_section", "views", "write_report"]
