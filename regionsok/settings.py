"""Settings, read from the environment with the prefix ``REGIONSOK_``.

Every setting is documented where it is defined (a test fails on an undocumented one).
``get_settings()`` is cached; tests and the CLI's ``--data-dir`` call
:func:`override_settings` instead of building a global at import time. A child process gets
its parent's settings whole through :func:`child_environment`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_model_dir() -> Path:
    """The per-user model folder: ``$XDG_CACHE_HOME/regionsok/model`` (``~/.cache/…``).

    One built model serves every data directory of that user; set ``REGIONSOK_MODEL_DIR``
    to share one between users (a system service, for example).
    """
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "regionsok" / "model"


class Settings(BaseSettings):
    """Regionsök's configuration. All paths the product writes live under ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="REGIONSOK_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="The one directory holding everything the product writes about its data: "
        "the SQLite store, the index files and the run reports.",
    )
    store_url: str | None = Field(
        default=None,
        description="A PostgreSQL URL (postgresql://user:password@host/database) to keep the store "
        "(pages, documents, versions, extractions, chunks, runs) in that shared database instead of "
        "the SQLite file in the data directory; unset, the SQLite file as always. The index files "
        "and run reports stay in the data directory either way.",
    )
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Where `regionsok model build` writes the bundled embedding model and where "
        "every command reads it: one 700 MB folder for all data directories (default "
        "~/.cache/regionsok/model, or $XDG_CACHE_HOME/regionsok/model).",
    )
    index_lock_wait_seconds: float = Field(
        default=1800.0, ge=0,
        description="How long the nightly job's index stage waits for a manual `regionsok index` "
        "holding the index lock to finish before it fails that stage (a manual run itself "
        "fails at once, exit code 3).",
    )
    embedding_model: str | None = Field(
        default=None,
        description="A sentence-transformers model name or path to use instead of the bundled "
        "multilingual-e5-small built by `regionsok model build` (e.g. a larger e5 for users "
        "who can reach a model hub).",
    )
    embedding_backend: str = Field(
        default="auto",
        description="How the embedding model runs: 'auto' (the fastest on this machine, timed by "
        "`regionsok model build` or on first load and recorded beside the model), 'torch' (fp32), "
        "'onnx-int8' (quantized, ONNX Runtime) or 'openvino-int8' (int8 weights, OpenVINO); "
        "which int8 runtime wins depends on the CPU (bench/embed_throughput.py).",
    )
    embedding_batch_size: int = Field(
        default=8,
        description="Chunks embedded per batch by torch (fastest at 8 on 2 CPU cores: 11.2 chunks/s "
        "against 9.3 at 32); the int8 backends use at most 4.",
    )
    query_threads: int = Field(
        default=1, ge=1,
        description="Threads one search uses for its vector search (FAISS) and, on the torch backend, "
        "its query embedding, in the server and the search commands. One is fastest on a busy "
        "machine (bench/search_latency.py); run more `serve --workers` for parallel searches.",
    )
    compute_threads: int = Field(
        default=0, ge=0,
        description="Threads for embedding and index building (`index`, `nightly`) and for the int8 "
        "runtimes everywhere; 0 means every core.",
    )
    exact_index_max: int = Field(
        default=50_000,
        description="Up to this many chunks the vector index is exact (flat inner product); "
        "above it, an approximate HNSW index is built.",
    )
    user_agent: str = Field(
        default="RegionsokBot/0.1 (+https://github.com/regionsok/regionsok; research crawler)",
        description="The User-Agent the crawler identifies itself with, with a contact URL.",
    )
    max_page_bytes: int = Field(
        default=10 * 1024 * 1024,
        description="Pages and files larger than this are rejected with a reason instead of "
        "being parsed (the crawler also stops downloading past it).",
    )
    crawl_queue: str | None = Field(
        default=None, pattern=r"^(redis|rediss|unix)://",
        description="A Redis URL (redis://host:6379/0, unix:///run/redis.sock) holding a shared "
        "crawl frontier: the scheduler and duplicate filter of every `regionsok crawl --worker` "
        "on any machine, so they crawl the sources once between them. Unset: each crawl keeps "
        "its frontier in its own process.",
    )
    embed_queue: str | None = Field(
        default=None, pattern=r"^(redis|rediss|unix)://",
        description="A Redis URL (redis://host:6379/1) through which `regionsok index` and the nightly "
        "index stage hand the embedding to `regionsok embed-worker` processes on any machines (Celery; "
        "the workers write the vectors to the store, so share it with REGIONSOK_STORE_URL across "
        "machines). Unset: the index run embeds in its own process.",
    )
    embed_wait_seconds: float = Field(
        default=600.0, gt=0,
        description="With REGIONSOK_EMBED_QUEUE set: how long an index run waits without any embed "
        "worker finishing a batch (none running, or all stuck) before it fails; it says which "
        "workers it sees while it waits. `regionsok index --embed-timeout` overrides it.",
    )
    embed_retry_seconds: float = Field(
        default=60.0, gt=0,
        description="With REGIONSOK_EMBED_QUEUE set: how long a batch taken by an embed worker that "
        "stopped renewing it (killed, machine lost) stays with it before Redis hands it to another "
        "worker. A live worker renews its batch every third of this, however long the batch takes.",
    )
    log_format: str = Field(default="text", description="'text' for people, 'json' for log collectors.")

    @property
    def db_path(self) -> Path:
        """The SQLite store; with ``store_url`` set, ``Store.open(db_path)`` opens that instead."""
        return self.data_dir / "regionsok.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Vector index generations and the pointer to the current one."""
        return self.data_dir / "index"

    @property
    def runs_dir(self) -> Path:
        """JSON run reports of crawl and nightly runs."""
        return self.data_dir / "runs"


#: The environment variable that hands a child process (the crawl process, `serve --workers`
#: workers) its parent's settings whole, as JSON: every setting reaches the child, including
#: ones added later, instead of a hand-picked few re-exported one by one.
SETTINGS_ENV = "REGIONSOK_SETTINGS_JSON"

#: Values set by :func:`override_settings` (the CLI's --data-dir, --log-format): this process
#: only, never written to ``os.environ``.
_overrides: dict[str, object] = {}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings: a parent's (``SETTINGS_ENV``), else the environment; then overrides."""
    inherited = os.environ.get(SETTINGS_ENV)
    if inherited:
        base = Settings.model_validate_json(inherited)
        return Settings.model_validate({**base.model_dump(), **_overrides}) if _overrides else base
    return Settings(**_overrides)  # type: ignore[arg-type]


def override_settings(**values: object) -> Settings:
    """Set values (e.g. ``data_dir``) for this process; returns the new settings.

    Child processes get settings explicitly (:func:`child_environment`), not through this.
    """
    _overrides.update({key: value for key, value in values.items() if value is not None})
    get_settings.cache_clear()
    return get_settings()


def reset_settings() -> None:
    """Forget overrides and re-read the environment (tests, between cases)."""
    _overrides.clear()
    get_settings.cache_clear()


def child_environment(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) plus ``settings`` whole, for a child process to read."""
    return {**(os.environ if base is None else base), SETTINGS_ENV: settings.model_dump_json()}


def redacted(url: str) -> str:
    """A store or queue URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
