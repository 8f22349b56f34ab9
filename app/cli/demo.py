"""`regionsok demo` — serve the demo site, crawl it, ingest, extract, index, then serve search.

What `make demo` runs: a newcomer gets a searchable store from a realistic (local) region
site in about a minute, with no internet access.
"""

from __future__ import annotations

import socket
from typing import Annotated

import typer
from rich.console import Console

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import err_console, exit_on, print_stage

EPILOG = """
Examples:

  regionsok --data-dir data demo                # what `make demo` runs; Ctrl-C stops it

  regionsok demo --no-serve                     # build the demo data and exit

The demo site (crawler/demosite) is served on 127.0.0.1 (port 8631, or a free one) while it is crawled and while search is served, so result links open.

Search at the printed URL (web page at /, API docs at /docs).

Exit 0 when done (or stopped with Ctrl-C), 1 when the demo run failed, 3 when another run holds the lock.
"""


DEMO_SITE_PORT = 8631


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])


def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the search API afterwards.")] = True,
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="Port for the search API (a free one if taken).")] = 8000,
    data_dir: DataDirOption = None,
) -> None:
    """Crawl the bundled demo site, ingest, extract and index it, then serve search."""
    from app.cli.nightly import print_nightly_summary
    from app.jobs import nightly
    from crawler.demosite import DemoSite
    from crawler.demosite.sources import write_demo_sources
    from regionsok.errors import LockedError, RegionsokError
    from regionsok.locks import LOCKED_EXIT_CODE
    from regionsok.settings import get_settings
    from regionsok.store import open_store
    from search.runtime import apply_process_settings

    use_data_dir(data_dir)
    settings = get_settings()
    apply_process_settings(settings, "build")  # the server switches to "query" (api.server)
    console = Console()
    try:
        # A fixed port when free, so a second `make demo` re-crawls the same URLs (all 304).
        site_server = DemoSite(DEMO_SITE_PORT)
    except OSError:
        site_server = DemoSite(0)
    with site_server as site:
        err_console.print(f"demo site: {site.url}")
        sources = write_demo_sources(settings.data_dir / "demo-sources.toml", site.url)
        with exit_on({LockedError: LOCKED_EXIT_CODE, RegionsokError: 1}):
            report = nightly(settings, sources, on_stage=print_stage)
        print_nightly_summary(report, console)
        with open_store() as store:
            figures = store.stats()
        kinds = ", ".join(f"{k} {v}" for k, v in figures["by_kind"].items())
        console.print(f"store: {figures['documents']} documents ({kinds}), {figures['chunks']} chunks indexed, "
                      f"data in {settings.data_dir}")
        if not report.ok:
            raise typer.Exit(1)
        if not serve:
            return
        from api.server import serve as run_server

        port = _free_port(port)
        # The demo site keeps serving, so the links in search results open.
        console.print(f"[bold green]Search at http://127.0.0.1:{port}/[/]  (API docs: /docs; the crawled "
                      f"site: {site.url}/; Ctrl-C stops both)")
        try:
            run_server(settings, host="127.0.0.1", port=port)
        except KeyboardInterrupt:
            pass


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(demo)
