"""The local dashboard: the report's sections as pages with filters, account pages, and a
JSON endpoint behind every page.

The pages are the Overview, then one page per distinct ``Section.page`` of the registered
analyses (`infoscope.registry`), in registry order, showing its sections in order, then
Accounts (with a page per account, and the account links when the store has any) and
Provenance. Every page ``/PATH`` has its data at
``/api/PATH`` (``/api/overview`` for ``/``): a page of one section serves that section's data,
a page of several serves ``{section key: data}``; these are the dicts the report renders and,
where a CLI command prints the same thing, the data it prints with ``--json``. Pages and
endpoints take the filters ``since``, ``until``, ``community``, ``lang`` and ``region``, and
every option their sections declare (``max_nodes``, ``top``...), checked against its bounds,
as query parameters.

The dashboard only reads: each request opens the store read-only and closes it, so analyses
can write to the store between requests. It binds to 127.0.0.1 unless told otherwise and
then answers only requests addressed to this machine (``Host`` 127.0.0.1, localhost or
[::1]: a page on another site that rebinds its own name to 127.0.0.1 is refused); bound
elsewhere it requires a token (``?token=...`` once, then a cookie, or an
``Authorization: Bearer`` header) on every request. Only GET and HEAD are served, query
strings are at most `MAX_QUERY` characters, a request may carry no body over `MAX_BODY`
bytes, every filter value is bound as a parameter, and a request whose queries run longer
than its time limit (`REQUEST_SECONDS` unless told otherwise) is stopped and answered 503.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from infoscope._version import __version__
from infoscope.errors import BadParameterError, InfoscopeError, NotFoundError, StoreLockedError
from infoscope.registry import Analysis, Option, Section
from infoscope.report import views
from infoscope.report.charts import overview_charts
from infoscope.report.filters import Filters
from infoscope.report.render import (
    SectionView,
    charts_html,
    draw_section,
    environment,
    plotly_js,
    read_section,
    registered_sections,
)
from infoscope.store import Store

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_BODY",
    "MAX_QUERY",
    "REQUEST_SECONDS",
    "TOKEN_COOKIE",
    "Page",
    "api_path",
    "create_app",
    "navigation",
    "section_pages",
    "serve",
]

TOKEN_COOKIE = "infoscope_token"
# Host headers of a dashboard bound to the loopback (ports aside).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Longest query string served: the filters and options are short.
MAX_QUERY = 4096
# Largest request body accepted: GET and HEAD need none.
MAX_BODY = 1024
# Seconds a request's store queries may run before they are stopped.
REQUEST_SECONDS = 30.0
# The accounts page's paging.
LIMIT = Option("limit", 100, 1, 1000, "accounts per page")
OFFSET = Option("offset", 0, 0, 10**9, "accounts skipped")


@dataclass(frozen=True)
class Page:
    """A dashboard page of analysis sections: its path, its title and its sections (analysis
    and registry entry), in order."""

    path: str
    title: str
    sections: tuple[tuple[Analysis, Section], ...] = field(default=())

    @property
    def api(self) -> str:
        return api_path(self.path)


def api_path(path: str) -> str:
    """The JSON endpoint of the page at `path`: ``/api<path>`` (``/api/overview`` for ``/``)."""
    return "/api" + (path if path != "/" else "/overview")


def section_pages() -> list[Page]:
    """One page per distinct ``Section.page`` of the registered analyses, in registry order;
    sections sharing a page are shown together, in order."""
    found: dict[str, Page] = {}
    for analysis, section in registered_sections():
        page = found.get(section.page) or Page(section.page, section.page_title)
        found[section.page] = Page(page.path, page.title, (*page.sections, (analysis, section)))
    return list(found.values())


def navigation() -> list[tuple[str, str]]:
    """The navigation bar: (path, title) of the Overview, each section page, Accounts and
    Provenance."""
    return [
        ("/", "Overview"),
        *((p.path, p.title) for p in section_pages()),
        ("/accounts", "Accounts"),
        ("/runs", "Provenance"),
    ]


def _clean(value: Any) -> Any:
    """JSON-safe data: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(_clean(content), ensure_ascii=False, default=str).encode("utf-8")


def _section_json(parts: list[SectionView]) -> Any:
    """A section page's data: its one section's, or ``{section key: data}``."""
    if len(parts) == 1:
        return parts[0].data
    return {p.key: p.data for p in parts}


@dataclass
class _Route:
    """A page: `read` gets its result from the store and the request, `as_json` turns it into
    the endpoint's data and `as_html` into the page template's variables."""

    path: str
    title: str
    read: Callable[[Store, Request], Any]
    as_json: Callable[[Any], Any] = lambda result: result
    as_html: Callable[[Any], dict[str, Any]] = lambda result: {"data": result, "charts": {}}


def create_app(
    store_path: str | Path,
    *,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
    request_seconds: float = REQUEST_SECONDS,
) -> FastAPI:
    """The dashboard over the store at `store_path`; with `token`, every request must carry
    it; only requests whose ``Host`` is one of `allowed_hosts` are answered (None: any, for
    a dashboard bound beyond the loopback, where the token guards it); a request's queries
    are stopped after `request_seconds`. Its pages are those the registry's sections name
    when the app is created."""
    path = Path(store_path)
    with Store.open(path, read_only=True):
        pass  # fail now, with the store's own message, if it cannot be read
    app = FastAPI(
        title="infoscope dashboard",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    pages = section_pages()
    nav = navigation()

    @contextmanager
    def opened() -> Iterator[Store]:
        with Store.open(path, read_only=True) as store:
            timer = threading.Timer(request_seconds, store.interrupt)
            timer.daemon = True
            timer.start()
            try:
                yield store
            finally:
                timer.cancel()

    if token:

        @app.middleware("http")
        async def check_token(request: Request, call_next: Callable[..., Any]) -> Response:
            given = (
                request.query_params.get("token")
                or request.cookies.get(TOKEN_COOKIE)
                or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            )
            if not given or not secrets.compare_digest(given, token):
                return _JSON(
                    {"error": "this dashboard needs its token: open the URL printed by "
                              "`infoscope serve` (it ends in ?token=...)"},
                    status_code=401,
                )  # fmt: skip
            response: Response = await call_next(request)
            if request.query_params.get("token"):
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response

    @app.middleware("http")
    async def read_only(request: Request, call_next: Callable[..., Any]) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _JSON({"error": "the dashboard is read-only"}, status_code=405)
        if len(request.url.query) > MAX_QUERY:
            return _JSON({"error": f"query string over {MAX_QUERY} characters"}, status_code=414)
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return _JSON({"error": f"request body over {MAX_BODY} bytes"}, status_code=413)
        response: Response = await call_next(request)
        return response

    if allowed_hosts is not None:
        hosts = frozenset(allowed_hosts)

        # Registered last, so it runs first: a request for another host gets nothing else.
        @app.middleware("http")
        async def check_host(request: Request, call_next: Callable[..., Any]) -> Response:
            try:
                name = urlsplit("//" + request.headers.get("host", "")).hostname
            except ValueError:  # a malformed Host header, such as an unclosed "["
                name = None
            if name not in hosts:
                return _JSON(
                    {"error": "this dashboard answers only requests for this machine "
                              "(Host 127.0.0.1 or localhost)"},
                    status_code=421,
                )  # fmt: skip
            response: Response = await call_next(request)
            return response

    def filters_of(request: Request) -> Filters:
        q = request.query_params
        return Filters.parse(
            since=q.get("since"), until=q.get("until"), community=q.get("community"),
            lang=q.get("lang"), region=q.get("region"),
        )  # fmt: skip

    def read_page(page: Page) -> Callable[[Store, Request], list[SectionView]]:
        def read(store: Store, request: Request) -> list[SectionView]:
            q, f = request.query_params, filters_of(request)
            return [
                read_section(store, a, s, f, **{o.name: o.parse(q.get(o.name)) for o in s.options})
                for a, s in page.sections
            ]

        return read

    def section_html(parts: list[SectionView]) -> dict[str, Any]:
        drawn: dict[str, str] = {}
        for part in parts:
            part.charts = draw_section(part)
            drawn.update(part.charts)
        return {"data": _section_json(parts), "parts": parts, "charts": drawn}

    def read_overview(store: Store, request: Request) -> dict[str, Any]:
        return views.overview(store, filters_of(request))

    def read_accounts(store: Store, request: Request) -> dict[str, Any]:
        q = request.query_params
        found = views.accounts(
            store, filters_of(request), search=q.get("q") or None,
            sort=q.get("sort") or "posts", limit=LIMIT.parse(q.get("limit")),
            offset=OFFSET.parse(q.get("offset")),
        )  # fmt: skip
        # The account links, when the store has any (the report shows them after the overview).
        links = views.account_links(store, filters_of(request))
        return found if links is None else {**found, "account_links": links}

    def read_runs(store: Store, request: Request) -> dict[str, Any]:
        return {
            "store": views.store_info(store),
            "latest": views.latest_runs(store),
            "runs": views.runs(store),
        }

    routes = [
        _Route("/", "Overview", read_overview,
               as_html=lambda d: {"data": d, "charts": charts_html(overview_charts(d))}),
        *(_Route(p.path, p.title, read_page(p), _section_json, section_html) for p in pages),
        _Route("/accounts", "Accounts", read_accounts),
        _Route("/runs", "Provenance", read_runs),
    ]  # fmt: skip

    def fetch(request: Request, fn: Callable[[Store], Any]) -> tuple[Any, _JSON | None]:
        try:
            with opened() as store:
                return fn(store), None
        except StoreLockedError as exc:
            return None, _JSON({"error": str(exc)}, status_code=503)
        except duckdb.InterruptException:
            return None, _JSON(
                {"error": f"this request took over {request_seconds:g} s and was stopped: "
                          "narrow it (since/until, community, a smaller top or max_nodes)"},
                status_code=503,
            )  # fmt: skip
        except BadParameterError as exc:
            return None, _JSON({"error": str(exc)}, status_code=400)
        except NotFoundError as exc:
            return None, _JSON({"error": str(exc)}, status_code=404)
        except InfoscopeError as exc:
            return None, _JSON({"error": str(exc)}, status_code=500)

    def render(request: Request, name: str, title: str, data: Any, **extra: Any) -> HTMLResponse:
        template = environment().get_template(name)
        with opened() as store:
            choices = views.filter_choices(store)
        extra.setdefault("parts", [])
        html = template.render(
            title=title, data=data, pages=nav, path=request.url.path,
            query=request.url.query, params=request.query_params, choices=choices,
            account_href="/accounts/", version=__version__, store=str(path), **extra,
        )  # fmt: skip
        return HTMLResponse(html)

    def error_page(request: Request, title: str, failure: _JSON) -> HTMLResponse:
        message = json.loads(bytes(failure.body))["error"]
        template = environment().get_template("dashboard_error.html.j2")
        html = template.render(
            title=title, message=message, pages=nav, path=request.url.path,
            version=__version__, store=str(path),
        )  # fmt: skip
        return HTMLResponse(html, status_code=failure.status_code)

    def add_page(route: _Route) -> None:
        api = api_path(route.path)

        def as_json(request: Request) -> Response:
            result, failure = fetch(request, lambda store: route.read(store, request))
            return failure or _JSON(route.as_json(result))

        def as_page(request: Request) -> Response:
            result, failure = fetch(request, lambda store: route.read(store, request))
            if failure is not None:
                return error_page(request, route.title, failure)
            return render(request, "dashboard.html.j2", route.title, page=route.path, api=api,
                          **route.as_html(result))  # fmt: skip

        app.add_api_route(api, as_json, methods=["GET"], name=f"api{route.path}")
        app.add_api_route(route.path, as_page, methods=["GET"], name=f"page{route.path}")

    for route in routes:
        add_page(route)

    @app.get("/api/accounts/{platform}/{account_id}")
    def account_json(request: Request, platform: str, account_id: str) -> Response:
        data, failure = fetch(request, lambda store: views.account(store, platform, account_id))
        return failure or _JSON(data)

    @app.get("/accounts/{platform}/{account_id}")
    def account_page(request: Request, platform: str, account_id: str) -> Response:
        data, failure = fetch(request, lambda store: views.account(store, platform, account_id))
        if failure is not None:
            return error_page(request, "Account", failure)
        return render(
            request, "dashboard.html.j2", f"Account {data['profile'].get('handle') or account_id}",
            data, page="account", api=f"/api/accounts/{platform}/{account_id}", charts={},
        )  # fmt: skip

    @app.get("/api/filters")
    def filter_json(request: Request) -> Response:
        data, failure = fetch(request, views.filter_choices)
        return failure or _JSON(data)

    @app.get("/static/plotly.min.js")
    def plotly() -> Response:
        return Response(
            plotly_js(), media_type="application/javascript",
            headers={"Cache-Control": "max-age=86400"},
        )  # fmt: skip

    return app


def serve(
    store_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    allow_remote: bool = False,
    token: str | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the dashboard until interrupted. A host other than the loopback needs
    `allow_remote`, and then a token (given, or generated and printed)."""
    import uvicorn

    local = host in ("127.0.0.1", "localhost", "::1")
    if not local and not allow_remote:
        raise BadParameterError(
            f"--host {host} would expose the dashboard beyond this machine: add --allow-remote "
            "(a token is then required), or keep the default 127.0.0.1"
        )
    if not local and not token:
        token = secrets.token_urlsafe(24)
    app = create_app(store_path, token=token, allowed_hosts=LOOPBACK_HOSTS if local else None)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    echo(f"infoscope dashboard on {url} (read-only; Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
