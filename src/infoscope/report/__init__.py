"""Reports people read: the store's latest runs as one self-contained HTML file
(`write_report`) and as a local read-only dashboard (`infoscope.report.dashboard`).

Data flows views -> charts -> HTML: `views` reads plain JSON-ready data from the store (the
dashboard serves the same dicts as JSON), `charts` draws Plotly figures from it, `render`
puts them into pages with templates shared by the report and the dashboard.
"""

from infoscope.report import views
from infoscope.report.render import build_report, render_report, write_report
from infoscope.report.views import Filters

__all__ = ["Filters", "build_report", "render_report", "views", "write_report"]
