"""``serve(settings, host, port)``: run the API and web page with uvicorn (`regionsok serve`)."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from regionsok.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted. One worker process: the model and index are loaded once and
    reloaded in place when the nightly job swaps the index (no restart needed)."""
    app = create_app(settings)
    log.info("serving", extra={"url": f"http://{host}:{port}/", "data_dir": str(settings.data_dir)})
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, workers=1)
