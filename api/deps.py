"""Dependencies of the routes, as ``Annotated`` aliases (``SearchDep``, ``StoreDep`` …).

The application keeps one :class:`ApiState` on ``app.state``: the settings, one
:class:`search.service.SearchService` (the model and index are loaded once per process)
and a small pool of store connections, each lent to one request at a time (a ``Store``
must not be used by two threads at once, and FastAPI may run a request's dependency and
its handler on different worker threads).
Every request that searches first asks the service to reload if the nightly job swapped
in a new index, so the server serves it without a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from regionsok.errors import IndexError_, ModelError, RegionsokError
from regionsok.settings import Settings
from regionsok.store import Store, open_store

if TYPE_CHECKING:
    from search.service import SearchRequest, SearchResponse, SearchService

log = logging.getLogger(__name__)


class IndexUnavailable(RegionsokError):
    """The search service cannot be started yet (no index or model): the API answers 503."""


class Searcher:
    """The process's search service, started lazily and reloaded when the index changes.

    Searches run concurrently (uvicorn's thread pool): the service's generation and catalog
    are immutable arrays, FAISS and numpy release the GIL, and the service locks only the
    query embedding (a fast tokenizer fails with "Already borrowed" when two threads share
    it). The lock here guards only starting the service.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._service: SearchService | None = None
        self._lock = threading.RLock()

    def _ensure(self) -> SearchService:
        if self._service is None:
            from search.service import SearchService

            try:
                self._service = SearchService(self._settings)
            except (IndexError_, ModelError) as err:
                raise IndexUnavailable(str(err)) from err
        return self._service

    def warm(self) -> None:
        """Load the model, the index and the query analysis now (at startup), not on the first request."""
        with self._lock:
            try:
                self._ensure().warm()
            except IndexUnavailable as err:
                log.warning("search index not available yet", extra={"reason": str(err)})

    def search(self, request: SearchRequest) -> SearchResponse:
        service = self._service
        if service is None:
            with self._lock:
                service = self._ensure()
        service.reload_if_changed()
        return service.search(request)

    def metrics(self) -> str:
        """The search stages' timings in Prometheus' text format (empty before the first search)."""
        from search.timings import SearchTimings

        service = self._service  # no lock: timings lock themselves, and metrics never load the model
        return (service.timings if service is not None else SearchTimings()).prometheus()

    def health(self) -> dict[str, object]:
        with self._lock:
            try:
                service = self._ensure()
            except IndexUnavailable as err:
                return {"ready": False, "reason": str(err)}
            service.reload_if_changed()
            return dict(service.health())


class ApiState:
    """What the application holds for its lifetime."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.searcher = Searcher(settings)
        self._idle: queue.SimpleQueue[Store] = queue.SimpleQueue()
        self._all: list[Store] = []
        self._all_lock = threading.Lock()

    def idle_store(self) -> Store | None:
        """An idle store connection, or None when all are lent out (never blocks)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def new_store(self) -> Store:
        """A new store connection, closed with the others by :meth:`close` (opening one blocks)."""
        store = open_store(self.settings.db_path)
        with self._all_lock:
            self._all.append(store)
        return store

    def return_store(self, store: Store) -> None:
        self._idle.put(store)

    def close(self) -> None:
        with self._all_lock:
            for store in self._all:
                try:
                    store.close()
                except Exception:  # closing at shutdown must not fail the shutdown
                    log.debug("closing a store connection failed", exc_info=True)
            self._all.clear()


# The dependencies below are ``async`` although nothing in them waits: FastAPI runs a plain
# ``def`` dependency on its thread pool, and each hop there and back cost a search about half a
# millisecond on two cores (a fifth of the HTTP overhead). Only opening a new store connection
# can block, so that one step goes to the thread pool.


async def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_store(state: StateDep) -> AsyncIterator[Store]:
    store = state.idle_store()
    if store is None:
        store = await run_in_threadpool(state.new_store)
    try:
        yield store
    finally:
        state.return_store(store)


async def get_searcher(state: StateDep) -> Searcher:
    return state.searcher


StoreDep = Annotated[Store, Depends(get_store)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]


def _declared_query_names(route: object) -> frozenset[str]:
    from fastapi.routing import APIRoute

    if not isinstance(route, APIRoute):
        return frozenset()
    cached: frozenset[str] | None = getattr(route, "_regionsok_query_names", None)
    if cached is None:
        names: set[str] = set()
        pending = [route.dependant]
        while pending:  # the route's own parameters and those of every dependency
            dependant = pending.pop()
            names.update(p.alias for p in dependant.query_params)
            pending.extend(dependant.dependencies)
        cached = frozenset(names)
        route._regionsok_query_names = cached  # type: ignore[attr-defined]
    return cached


def reject_unknown_query_params(request: Request) -> None:
    """A mistyped filter (``countie=05``) is a 422 naming it, not a silently unfiltered search."""
    from fastapi.exceptions import RequestValidationError

    allowed = _declared_query_names(request.scope.get("route"))
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        listed = ", ".join(sorted(allowed)) or "none"
        raise RequestValidationError([
            {"loc": ("query", name), "type": "extra_forbidden",
             "msg": f"unknown query parameter (allowed: {listed})"}
            for name in unknown
        ])


RejectUnknownQuery = Depends(reject_unknown_query_params)
