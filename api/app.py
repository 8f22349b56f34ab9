"""``create_app(settings)``: the FastAPI application, its routers and its error mapping.

Error policy: a client sees a message it can act on and never a stack trace.
``QueryError`` (bad query or unknown filter value), request validation errors and an unknown
query parameter on an API route are 422;
a missing index is 503; anything else is logged with its traceback on the server and
answered 500 with a fixed message.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import ApiState, IndexUnavailable, RejectUnknownQuery
from api.headers import SecurityHeaders
from api.routes import documents, export, facets, feed, health, metrics, people, regions, search, web
from api.schemas.common import ErrorBody, FieldError
from regionsok.errors import QueryError, RegionsokError
from regionsok.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """\
Search Swedish regions' agreements (*överenskommelser*) and press releases.

* `/search` — hybrid (semantic + keyword) search with filters and facet counts.
* `/regions` — which counties (*län*) address a topic, with documents as evidence.
* `/people` — what a person said or signed (tolerant of case, å/ä/ö and small misspellings).
* `/export/search.csv`, `/export/search.jsonl` — a search's results for researchers.

All endpoints are read-only. Errors are `{"detail": "...", "errors": [...]}`.
"""


def _error(status: int, detail: str, errors: list[FieldError] | None = None) -> JSONResponse:
    body = ErrorBody(detail=detail, errors=errors or [])
    return JSONResponse(status_code=status, content=body.model_dump())


def _field_name(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body")]
    return ".".join(parts) or "request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_field_name(e.get("loc", ())), message=str(e.get("msg", "invalid value")))
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
    return _error(422, detail, errors)


async def _query_error(request: Request, exc: Exception) -> JSONResponse:
    return _error(422, str(exc))


async def _index_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("search unavailable", extra={"path": request.url.path, "reason": str(exc)})
    return _error(503, "The search index is not available yet; run `regionsok index` (or the nightly job).")


async def _regionsok_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("request failed", extra={"path": request.url.path}, exc_info=exc)
    return _error(500, f"Internal error ({type(exc).__name__}); see the server log.")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        status_code=exc.status_code,
        content=ErrorBody(detail=str(exc.detail)).model_dump(),
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", extra={"path": request.url.path}, exc_info=exc)
    return _error(500, "Internal error; see the server log.")


#: Swagger UI's and ReDoc's files as the PyPI package fastapi-offline ships them (MIT; the
#: assets' own licences are Apache-2.0 and MIT), served by this server so /docs and /redoc
#: work with no network (FastAPI's default pages load them from a CDN).
DOCS_ASSETS = "/docs-assets"


#: The one address inside the ReDoc bundle that is not its own: the "API docs by Redocly" logo.
_REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _add_offline_docs(app: FastAPI) -> None:
    assets = Path(fastapi_offline.__file__).resolve().parent / "static"
    openapi_url = app.openapi_url or "/openapi.json"
    redoc_js = (assets / "redoc.standalone.js").read_bytes().replace(
        _REDOC_LOGO.encode(), f"{DOCS_ASSETS}/favicon.png".encode())

    @app.get(f"{DOCS_ASSETS}/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:  # before the mount: the copy with the logo served from here
        return Response(redoc_js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title="Regionsök API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url, title="Regionsök API", redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False,
        )


def create_app(settings: Settings | None = None, *, warm: bool = True, serving: bool = False) -> FastAPI:
    """The application over ``settings.data_dir`` (the process settings when None).

    ``warm`` loads the model, the index and the query analysis at startup so the first search
    is not slow. ``serving`` says the process exists to serve this app (``regionsok serve``):
    once warm, what startup built is frozen out of the garbage collector (``gc.freeze``), so a
    full collection no longer walks the catalog's objects in the middle of a search (tens
    of milliseconds at 130k chunks). Frozen objects are still freed by reference counting when a new
    index generation replaces them.
    """
    settings = settings or get_settings()
    state = ApiState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            state.searcher.warm()
            if serving:
                gc.collect()
                gc.freeze()
        yield
        state.close()

    app = FastAPI(
        title="Regionsök",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from local assets: the default loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.api = state
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(IndexUnavailable, _index_unavailable)
    app.add_exception_handler(RegionsokError, _regionsok_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    for module in (search, regions, people, documents, facets, health, metrics, export):
        app.include_router(module.router, dependencies=[RejectUnknownQuery])
    app.include_router(export.aliases, dependencies=[RejectUnknownQuery])
    _add_offline_docs(app)
    # Last: the web page reads its own parameters and answers unknown paths with its 404 page
    # (its catch-all route goes after the feed's).
    app.include_router(feed.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Outermost, so error answers (404, 422, 500) carry the headers too.
    app.add_middleware(SecurityHeaders)
    return app
