"""The report and the dashboard in a real browser (headless Chromium driven by Playwright).

The charts must draw without a console error, a click on an account of the WebGL network map
must fill the panel below it (and, in the dashboard, link to the account's page), the filter
form must filter, and the coordination evidence must open. Screenshots of every page go to the
test's temporary directory and, when ``INFOSCOPE_SCREENSHOTS`` names a directory, there too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed: `make test` installs it with apt when run as root",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: `pip install -e '.[dev]'` installs it",
)
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")

Page = Any  # playwright.sync_api.Page, imported lazily above
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# A marker of the network map that no other marker crowds, as viewport pixels, so a mouse click
# lands on it alone. Positions come from Plotly's own axis conversions (`l2p`), offset by the
# plot area's margins and the chart's box on the page.
ISOLATED_NODE_JS = """() => {
  const gd = document.getElementById("chart-network");
  gd.scrollIntoView({block: "center"});
  const fl = gd._fullLayout, s = fl._size, box = gd.getBoundingClientRect();
  const points = [];
  gd._fullData.forEach((t) => {
    if (t.mode !== "markers" || !t.customdata) { return; }
    for (let i = 0; i < t.x.length; i++) {
      points.push({
        x: box.left + s.l + fl.xaxis.l2p(t.x[i]),
        y: box.top + s.t + fl.yaxis.l2p(t.y[i]),
        account: String(t.customdata[i][1]),
        platform: String(t.customdata[i][0]),
        handle: String(t.customdata[i][2]),
      });
    }
  });
  const inside = (p) => p.x > box.left + s.l + 15 && p.x < box.left + s.l + s.w - 15 &&
    p.y > box.top + s.t + 15 && p.y < box.top + s.t + s.h - 15 &&
    p.y > 15 && p.y < window.innerHeight - 15;
  let best = null;
  for (const p of points) {
    if (!inside(p)) { continue; }
    let gap = Infinity;
    for (const q of points) {
      if (q !== p) { gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y)); }
    }
    if (best === null || gap > best.gap) { best = Object.assign({gap: gap}, p); }
  }
  return {node: best, accounts: points.map((p) => p.account)};
}"""


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def dashboard(demo_run: Any) -> Iterator[str]:
    """The dashboard over the demo's store, served on a free loopback port; yields its URL."""
    from infoscope.report.dashboard import create_app

    app = create_app(demo_run.store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/api/filters", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert thread.is_alive(), "the dashboard server stopped while starting"
        assert time.monotonic() < deadline, "the dashboard did not answer within 20 s"
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class Watched:
    """A page with every console error and uncaught exception recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            source = message.location.get("url") or self.page.url
            self.errors.append(f"console error from {source}: {message.text}")

    def assert_clean(self) -> None:
        assert self.errors == []


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> list[Path]:
    """Directories screenshots are written to."""
    dirs = [tmp_path / "screenshots"]
    extra = os.environ.get("INFOSCOPE_SCREENSHOTS")
    if extra:
        dirs.append(Path(extra))
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


# -- helpers -------------------------------------------------------------------------------


def screenshot(target: Any, dirs: list[Path], name: str, *, full_page: bool = False) -> None:
    """Screenshot a page or a locator into every directory; each file must be a real PNG."""
    data = target.screenshot(full_page=True) if full_page else target.screenshot()
    for d in dirs:
        path = d / f"{name}.png"
        path.write_bytes(data)
        written = path.read_bytes()
        assert written.startswith(PNG_MAGIC), path
        assert len(written) > 1000, path


def wait_for_charts(page: Page) -> None:
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length > 0 && "
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".every((gd) => gd._fullLayout !== undefined)"
    )


def click_map_node(page: Page) -> dict[str, Any]:
    """Hover, then click, the most isolated account on the network map; returns that node and
    every account id on the map. Asserts the hover label names the node."""
    page.wait_for_selector("#chart-network .main-svg")
    page.wait_for_selector('body[data-fitted="1"]', state="attached")  # refitted on load
    page.wait_for_timeout(300)  # let the WebGL canvas settle after the refit
    found = page.evaluate(ISOLATED_NODE_JS)
    node = found["node"]
    assert node is not None, "no marker of the network map is inside the plot area"
    assert node["gap"] > 8, f"every marker is crowded (largest gap {node['gap']:.1f} px)"
    page.mouse.move(node["x"] - 20, node["y"] - 20)
    page.mouse.move(node["x"], node["y"], steps=4)
    label = page.locator("#chart-network .hoverlayer .hovertext")
    sync_api.expect(label.first).to_contain_text(node["account"], timeout=5000)
    page.mouse.click(node["x"], node["y"])
    page.wait_for_selector(f'#selected[data-account="{node["account"]}"]', timeout=5000)
    return {"node": node, "accounts": set(found["accounts"])}


def posts_card(page: Page) -> int:
    value = page.locator(".card", has=page.locator(".label", has_text=re.compile(r"^posts$")))
    return int(value.locator(".value").inner_text().replace(",", ""))


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# -- the report ----------------------------------------------------------------------------


def test_report_in_browser(demo_run: Any, watched: Watched, shots: list[Path]) -> None:
    page = watched.page
    page.goto(Path(demo_run.report).resolve().as_uri(), wait_until="load")
    wait_for_charts(page)
    assert page.locator(".js-plotly-plot").count() >= 5
    assert page.locator("#chart-network .main-svg").count() > 0
    assert page.locator("#selected").get_attribute("data-account") is None

    clicked = click_map_node(page)
    node = clicked["node"]
    selected = page.locator("#selected")
    assert selected.get_attribute("data-account") in clicked["accounts"]
    text = selected.inner_text()
    assert f"{node['platform']}/{node['account']}" in text
    if node["handle"]:
        assert f"@{node['handle']}" in text
    assert "account page" not in text  # the report has no account pages
    screenshot(page.locator("#network"), shots, "report-map")

    # A coordination cluster: open one that starts closed (or the first, open by default),
    # then the evidence of its strongest edge.
    clusters = page.locator("details.cluster")
    assert clusters.count() > 0
    cluster = clusters.nth(1) if clusters.count() > 1 else clusters.first
    if cluster.get_attribute("open") is None:
        assert not cluster.locator("h4").is_visible()
        cluster.locator("summary").first.click()
    expect = sync_api.expect
    expect(cluster).to_have_attribute("open", "")
    evidence = cluster.locator("td details").first
    table = evidence.locator("table.evidence")
    expect(table).to_be_hidden()
    evidence.locator("summary").click()
    expect(table).to_be_visible()
    assert table.locator("tr").count() >= 2  # a header and at least one shared object
    screenshot(cluster, shots, "report-coordination-cluster")
    screenshot(page, shots, "report", full_page=True)
    watched.assert_clean()


# -- the dashboard -------------------------------------------------------------------------


def test_dashboard_in_browser(dashboard: str, watched: Watched, shots: list[Path]) -> None:
    page = watched.page
    expect = sync_api.expect

    page.goto(dashboard + "/", wait_until="load")
    wait_for_charts(page)
    total = posts_card(page)
    assert total > 0
    screenshot(page, shots, "dashboard-overview", full_page=True)

    # The filter form: one community.
    select = page.locator("form#filters select[name=community]")
    options = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    assert options, "the community filter offers no community"
    community = options[0]
    select.select_option(community)
    with page.expect_navigation(wait_until="load"):
        page.locator("form#filters button[type=submit]").click()
    assert f"community={community}" in page.url
    expect(select).to_have_value(community)
    filtered = posts_card(page)
    api = get_json(f"{dashboard}/api/overview?community={community}")
    assert filtered == api["posts"]
    assert 0 < filtered < total
    wait_for_charts(page)
    screenshot(page, shots, "dashboard-overview-community", full_page=True)

    # The network map: a click shows the account and links to its page.
    page.goto(dashboard + "/network", wait_until="load")
    wait_for_charts(page)
    clicked = click_map_node(page)
    node = clicked["node"]
    selected = page.locator("#selected")
    assert f"{node['platform']}/{node['account']}" in selected.inner_text()
    screenshot(page.locator("#network"), shots, "dashboard-map")
    link = selected.get_by_role("link", name="account page")
    expect(link).to_have_attribute("href", f"/accounts/{node['platform']}/{node['account']}")
    with page.expect_navigation(wait_until="load"):
        link.click()
    assert page.url == f"{dashboard}/accounts/{node['platform']}/{node['account']}"
    heading = page.locator("#account h2")
    expect(heading).to_contain_text(node["account"])
    if node["handle"]:
        expect(heading).to_contain_text(f"@{node['handle']}")
    expect(page.locator("#account-posts table.data tr").nth(1)).to_be_visible()
    screenshot(page, shots, "dashboard-account", full_page=True)

    # Coordination and the account list.
    page.goto(dashboard + "/coordination", wait_until="load")
    wait_for_charts(page)
    expect(page.locator("details.cluster").first).to_have_attribute("open", "")
    screenshot(page, shots, "dashboard-coordination", full_page=True)
    page.goto(dashboard + "/accounts", wait_until="load")
    rows = page.locator("#accounts table.data tr")
    expect(rows.nth(1)).to_be_visible()
    first = rows.nth(1).locator("a").first
    assert (first.get_attribute("href") or "").startswith("/accounts/")
    screenshot(page, shots, "dashboard-accounts", full_page=True)
    watched.assert_clean()
