"""``serve(settings, host, port, workers)``: run the API and web page with uvicorn (`regionsok serve`)."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.headers import MAX_REQUEST_HEAD_BYTES
from regionsok.log import configure_logging
from regionsok.settings import Settings, get_settings, override_settings

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted.

    Each worker process loads the model and index once and reloads the index in place when
    the nightly job swaps it (no restart needed). One process answers one search at a time
    (they share one model and index), so on a machine with several cores ``workers`` > 1
    answers several at once, each worker holding its own copy of the model and index in
    memory. Worker processes read their settings from the ``REGIONSOK_*`` environment, which
    this function sets from ``settings``.
    """
    # h11 refuses a request head that is still incomplete past 16 KB (its default) with a bare 400 and closes the
    # connection while the client is still sending, which the client sees as a reset. A
    # larger buffer (h11_max_incomplete_event_size) lets the head reach the application,
    # which answers 414 (api.headers).
    log.info("serving", extra={"url": f"http://{host}:{port}/", "data_dir": str(settings.data_dir),
                               "workers": workers})
    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False, workers=1,
                    h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)
        return
    override_settings(data_dir=settings.data_dir, log_format=settings.log_format)
    uvicorn.run("api.server:worker_app", factory=True, host=host, port=port, log_level="info",
                access_log=False, workers=workers,
                h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)


def worker_app() -> FastAPI:
    """The application in a uvicorn worker process (``serve`` with several workers)."""
    settings = get_settings()
    configure_logging(log_format=settings.log_format)
    return create_app(settings)
