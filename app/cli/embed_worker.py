"""`regionsok embed-worker` — embed the index runs' batches taken from REGIONSOK_EMBED_QUEUE."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import exit_on

EPILOG = """
A first full index is mostly embedding: spread it over processes and machines.
Start workers wherever there are cores, with the same queue, model and store:

  export REGIONSOK_EMBED_QUEUE=redis://redis-host:6379/1
  export REGIONSOK_STORE_URL=postgresql://user:secret@db-host/regionsok

  regionsok embed-worker                  # one batch at a time
  regionsok embed-worker --concurrency 2  # two at a time, one model loaded

Then run `regionsok index` (or `regionsok nightly`) anywhere with the same
REGIONSOK_EMBED_QUEUE: it sends the texts in batches, waits for the workers
(a progress bar; it says which workers it sees), publishes the new index
itself, and fails after REGIONSOK_EMBED_WAIT_SECONDS (default 600) without a
finished batch (`regionsok index --embed-timeout`).

A worker loads the model once (REGIONSOK_MODEL_DIR or
REGIONSOK_EMBEDDING_MODEL: the index run's, or it never gets a batch), writes
a batch's vectors to the store, and only then acknowledges it. A killed
worker's batch goes to another worker after REGIONSOK_EMBED_RETRY_SECONDS
(default 60); a batch embedded twice is stored once. With the SQLite store
(no REGIONSOK_STORE_URL), run the workers on the data directory's machine.

SIGTERM or Ctrl-C: finish the batch in work, then exit 0. SIGQUIT, a second
Ctrl-C or SIGKILL: stop at once; the batch is retried by another worker.
Exit 2 without REGIONSOK_EMBED_QUEUE, 1 if the model or store cannot be used.
"""


def embed_worker(
    data_dir: DataDirOption = None,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, max=64,
        help="Batches embedded at once, on one loaded model (threads). 1 is fastest per core; more "
        "helps a machine with many cores.",
    )] = 1,
) -> None:
    """Take batches of texts from REGIONSOK_EMBED_QUEUE, embed them and write the vectors to the store."""
    from regionsok.errors import ConfigError, RegionsokError
    from regionsok.settings import get_settings
    from search.distributed import run_worker
    from search.runtime import apply_process_settings

    use_data_dir(data_dir)
    settings = get_settings()
    with exit_on({ConfigError: 2, RegionsokError: 1}):
        if not settings.embed_queue:
            raise ConfigError("embed-worker needs a queue: set REGIONSOK_EMBED_QUEUE=redis://host:6379/1")
        apply_process_settings(settings, "build")
        run_worker(settings, concurrency=concurrency)


def register(app: typer.Typer) -> None:
    """Add `regionsok embed-worker`."""
    app.command(name="embed-worker", epilog=EPILOG)(embed_worker)
