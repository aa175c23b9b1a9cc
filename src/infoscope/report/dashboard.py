"""The local dashboard: the report's views as pages with filters, account pages, and a JSON
endpoint behind every page.

Every page ``/PATH`` has its data at ``/api/PATH`` (the same dicts the report renders and,
where a CLI command prints the same thing, the same data it prints with ``--json``). Pages
and endpoints take the filters ``since``, ``until``, ``community``, ``lang`` and ``region`` as
query parameters.

The dashboard only reads: each request opens the store read-only and closes it, so analyses
can write to the store between requests. It binds to 127.0.0.1 unless told otherwise; bound
elsewhere it requires a token (``?token=...`` once, then a cookie, or an
``Authorization: Bearer`` header) on every request.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from infoscope._version import __version__
from infoscope.errors import BadParameterError, InfoscopeError, NotFoundError, StoreLockedError
from infoscope.report import views
from infoscope.report.render import draw_charts, environment, plotly_js
from infoscope.store import Store

# Pages in the navigation bar: path, title.
PAGES = [
    ("/", "Overview"),
    ("/network", "Network map"),
    ("/communities", "Communities"),
    ("/language", "Signatures & resonance"),
    ("/places", "Places & monitoring"),
    ("/coordination", "Coordination"),
    ("/authenticity", "Authenticity"),
    ("/articles", "Articles"),
    ("/accounts", "Accounts"),
    ("/runs", "Provenance"),
]
TOKEN_COOKIE = "infoscope_token"


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


def create_app(store_path: str | Path, *, token: str | None = None) -> FastAPI:
    """The dashboard over the store at `store_path`; with `token`, every request must carry
    it."""
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

    @contextmanager
    def opened() -> Iterator[Store]:
        with Store.open(path, read_only=True) as store:
            yield store

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
        response: Response = await call_next(request)
        return response

    def filters_of(request: Request) -> views.Filters:
        q = request.query_params
        return views.Filters.parse(
            since=q.get("since"), until=q.get("until"), community=q.get("community"),
            lang=q.get("lang"), region=q.get("region"),
        )  # fmt: skip

    def number(request: Request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)  # type: ignore[arg-type]
        except ValueError:
            raise BadParameterError(f"{name}={raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise BadParameterError(f"{name}={value} is out of range {low}..{high}")
        return value

    # Each page: a function from (store, request) to its data.
    def page_overview(store: Store, request: Request) -> dict[str, Any]:
        return views.overview(store, filters_of(request))

    def page_network(store: Store, request: Request) -> dict[str, Any] | None:
        return views.network_map(
            store, filters_of(request), max_nodes=number(request, "max_nodes", 50_000, 1, 500_000),
            max_edges=number(request, "max_edges", 20_000, 0, 1_000_000),
        )  # fmt: skip

    def page_communities(store: Store, request: Request) -> dict[str, Any] | None:
        return views.communities(store, filters_of(request))

    def page_language(store: Store, request: Request) -> dict[str, Any]:
        return {
            "signatures": views.signatures(store, top=number(request, "top", 25, 1, 500)),
            "resonance": views.resonance(store, filters_of(request)),
        }

    def page_places(store: Store, request: Request) -> dict[str, Any]:
        f = filters_of(request)
        return {"places": views.places(store, f), "monitor": views.monitor(store, f)}

    def page_coordination(store: Store, request: Request) -> dict[str, Any] | None:
        return views.coordination(
            store, filters_of(request), clusters=number(request, "clusters", 25, 1, 10_000),
            edges=number(request, "edges", 15, 0, 1_000),
            evidence=number(request, "evidence", 5, 0, 1_000),
        )  # fmt: skip

    def page_authenticity(store: Store, request: Request) -> dict[str, Any] | None:
        return views.authenticity(
            store, filters_of(request), top=number(request, "top", 30, 1, 1000)
        )

    def page_articles(store: Store, request: Request) -> dict[str, Any] | None:
        return views.articles(store, top=number(request, "top", 20, 1, 1000))

    def page_accounts(store: Store, request: Request) -> dict[str, Any]:
        q = request.query_params
        return views.accounts(
            store, filters_of(request), search=q.get("q") or None,
            sort=q.get("sort") or "posts", limit=number(request, "limit", 100, 1, 1000),
            offset=number(request, "offset", 0, 0, 10**9),
        )  # fmt: skip

    def page_runs(store: Store, request: Request) -> dict[str, Any]:
        return {
            "store": views.store_info(store),
            "latest": views.latest_runs(store),
            "runs": views.runs(store),
        }

    pages: dict[str, Callable[[Store, Request], Any]] = {
        "/": page_overview,
        "/network": page_network,
        "/communities": page_communities,
        "/language": page_language,
        "/places": page_places,
        "/coordination": page_coordination,
        "/authenticity": page_authenticity,
        "/articles": page_articles,
        "/accounts": page_accounts,
        "/runs": page_runs,
    }

    def fetch(request: Request, fn: Callable[[Store], Any]) -> tuple[Any, _JSON | None]:
        try:
            with opened() as store:
                return fn(store), None
        except StoreLockedError as exc:
            return None, _JSON({"error": str(exc)}, status_code=503)
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
        html = template.render(
            title=title, data=data, pages=PAGES, path=request.url.path,
            query=request.url.query, params=request.query_params, choices=choices,
            account_href="/accounts/", version=__version__, store=str(path), **extra,
        )  # fmt: skip
        return HTMLResponse(html)

    def error_page(request: Request, title: str, failure: _JSON) -> HTMLResponse:
        message = json.loads(bytes(failure.body))["error"]
        template = environment().get_template("dashboard_error.html.j2")
        html = template.render(
            title=title, message=message, pages=PAGES, path=request.url.path,
            version=__version__, store=str(path),
        )  # fmt: skip
        return HTMLResponse(html, status_code=failure.status_code)

    def add_page(route: str, title: str, fn: Callable[[Store, Request], Any]) -> None:
        api = "/api" + (route if route != "/" else "/overview")

        def as_json(request: Request) -> Response:
            data, failure = fetch(request, lambda store: fn(store, request))
            return failure or _JSON(data)

        def as_page(request: Request) -> Response:
            data, failure = fetch(request, lambda store: fn(store, request))
            if failure is not None:
                return error_page(request, title, failure)
            drawn = draw_charts(_sections(route, data))
            return render(request, "dashboard.html.j2", title, data, page=route, api=api,
                          charts=drawn)  # fmt: skip

        app.add_api_route(api, as_json, methods=["GET"], name=f"api{route}")
        app.add_api_route(route, as_page, methods=["GET"], name=f"page{route}")

    titles = dict(PAGES)
    for route, fn in pages.items():
        add_page(route, titles[route], fn)

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


def _sections(route: str, data: Any) -> dict[str, Any]:
    """A page's data under the section names `draw_charts` knows."""
    if data is None:
        return {}
    if route == "/":
        return {"overview": data}
    if route == "/network":
        return {"network": data}
    if route == "/communities":
        return {"communities": data}
    if route == "/language":
        return {"signatures": data["signatures"], "resonance": data["resonance"]}
    if route == "/places":
        return {"places": data["places"], "monitor": data["monitor"]}
    if route == "/coordination":
        return {"coordination": data}
    if route == "/authenticity":
        return {"authenticity": data}
    if route == "/articles":
        return {"articles": data}
    return {}


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
    app = create_app(store_path, token=token)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    echo(f"infoscope dashboard on {url} (read-only; Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["create_app", "serve"]
