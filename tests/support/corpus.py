"""Helpers for tests and benchmarks of the API: an indexed corpus and a live server.

``build_corpus(settings, inputs)`` pushes files and JSONL through the real stages (ingest,
NLP extraction, indexing) into ``settings.data_dir``. ``LiveServer`` runs the app with
uvicorn in a background thread on a socket bound to port 0 before it starts (so no other
process can take the port in between), for browser tests and load tests that need a real
socket. Nothing here is used when serving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from api.server import bind_socket
from regionsok.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: The demo corpus: the seed pages (HTML), the Kronoberg agreement (PDF) and press releases
#: of eight more counties (JSONL) — enough for "which regions" to have right and wrong answers.
DEMO_INPUTS: tuple[Path, ...] = (FIXTURES / "html", FIXTURES / "pdf", FIXTURES / "api" / "releases.jsonl")

_built: dict[tuple[str, ...], Settings] = {}


def build_corpus(settings: Settings, inputs: Sequence[Path]) -> None:
    """Ingest ``inputs`` (files, folders, ``.jsonl`` files), extract entities and index them.

    Raises AssertionError naming the inputs that failed to ingest (a broken fixture).
    """
    from ingest.nlp import update_extractions
    from ingest.pipeline import ingest_jsonl, ingest_paths
    from regionsok.store import open_store
    from search.indexer import update_index

    failed = []
    with open_store(settings.db_path) as store:
        for path in inputs:
            report = ingest_jsonl(store, path) if path.suffix == ".jsonl" else ingest_paths(store, [path])
            failed += report.failed
        if failed:
            raise AssertionError(f"corpus inputs failed to ingest: {failed}")
        update_extractions(store)
        update_index(store, settings)


def session_corpus(
    make_dir: Callable[[], Path], model_dir: Path, inputs: Sequence[Path] = DEMO_INPUTS
) -> Settings:
    """Settings over an indexed corpus of ``inputs``, built once per process (test session).

    Several test folders' fixtures share one build: the first call builds it in a fresh
    directory from ``make_dir()``, later calls with the same inputs get the same settings.
    """
    key = tuple(str(p) for p in inputs)
    if key not in _built:
        settings = Settings(data_dir=make_dir() / "data", embedding_model=str(model_dir))
        build_corpus(settings, inputs)
        _built[key] = settings
    return _built[key]


class LiveServer:
    """``with LiveServer(settings) as base_url:`` — the app on a real loopback socket."""

    def __init__(self, settings: Settings, *, start_timeout: float = 120.0) -> None:
        self.settings = settings
        self.start_timeout = start_timeout
        self._socket = bind_socket("127.0.0.1", 0)
        self.port = int(self._socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: object | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> str:
        import uvicorn

        from api.app import create_app

        config = uvicorn.Config(
            create_app(self.settings), host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name="regionsok-live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the live server on {self.base_url} did not start")
            time.sleep(0.05)
        return self.base_url

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        import uvicorn

        if isinstance(self._server, uvicorn.Server):
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=60)
        self._socket.close()
