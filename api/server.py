"""``serve(settings, host, port, workers)``: run the API and web page with uvicorn (`regionsok serve`).

The listening socket is bound here, before uvicorn starts, so ``port=0`` (the system picks a
free port) works with any number of workers, the log line and the optional port file name the
port actually bound, and connections made before the app has loaded wait in the backlog
instead of being refused.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.headers import MAX_REQUEST_HEAD_BYTES
from regionsok.jsonfile import write_text_atomic
from regionsok.log import configure_logging
from regionsok.settings import Settings, child_environment, get_settings
from search.runtime import apply_process_settings

log = logging.getLogger(__name__)
#: Connections queued while the workers load the model (uvicorn's own default backlog).
BACKLOG = 2048


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0 = any free port), inheritable by workers."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, port_file: Path | None = None
) -> None:
    """Serve until interrupted.

    Each worker process loads the model and index once and reloads the index in place when
    the nightly job swaps it (no restart needed). One process answers one search at a time
    (they share one model and index), so on a machine with several cores ``workers`` > 1
    answers several at once, each worker holding its own copy of the model and index in
    memory. Worker processes get ``settings`` whole (``regionsok.settings.child_environment``).
    ``port_file`` receives the bound port (one line) once the socket listens: scripts and
    tests that ask for port 0 read it there.

    Raises OSError when the address cannot be bound (in use, not a local address).
    """
    sock = bind_socket(host, port)
    bound = int(sock.getsockname()[1])
    url_host = f"[{host}]" if ":" in host else host
    # h11 refuses a request head that is still incomplete past 16 KB (its default) with a bare 400 and closes the
    # connection while the client is still sending, which the client sees as a reset. A
    # larger buffer (h11_max_incomplete_event_size) lets the head reach the application,
    # which answers 414 (api.headers).

    def config(app: FastAPI | str, *, factory: bool = False) -> uvicorn.Config:
        return uvicorn.Config(app, host=host, port=bound, log_level="info", access_log=False, workers=workers,
                              factory=factory, h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)

    log.info("serving", extra={"url": f"http://{url_host}:{bound}/", "port": bound,
                               "data_dir": str(settings.data_dir), "workers": workers})
    if port_file is not None:
        write_text_atomic(port_file, f"{bound}\n")
    try:
        if workers <= 1:
            apply_process_settings(settings, "query")
            uvicorn.Server(config(create_app(settings, serving=True))).run(sockets=[sock])
            return
        # uvicorn starts the workers itself, with this process's environment: the one way to
        # hand them these settings (whole, every setting) is that environment.
        os.environ.update(child_environment(settings, base={}))
        Multiprocess(config("api.server:worker_app", factory=True), sockets=[sock]).run()
    finally:
        sock.close()


def worker_app() -> FastAPI:
    """The application in a uvicorn worker process (``serve`` with several workers)."""
    settings = get_settings()
    configure_logging(log_format=settings.log_format)
    apply_process_settings(settings, "query")
    return create_app(settings, serving=True)
