"""Distributed embedding: batches of chunk texts embedded by `regionsok embed-worker` processes.

With ``REGIONSOK_EMBED_QUEUE=redis://…`` the index run (``search.indexer.update_index``) is
the *coordinator*: it splits the texts needing a vector into batches, sends each as a Celery
task through Redis, and waits for all of them. Any number of *workers* on any machines
(``run_worker``; Celery with Redis as broker and result backend) load the model once, take
one batch at a time, embed it and write the vectors into the store's embedding cache
(``store.cache_vectors``: keyed by model name and SHA-256 of the text). The coordinator
then adds every chunk's vector from that cache to the index, once per vec_id, through the
same path that reuses the vectors of a killed run, and builds and publishes the generation
itself as always.

Why a task carries texts, not vec_ids: a new chunk has no row in the store until its
generation is published (``replace_document_chunks`` runs after the swap, for crash
safety), so a worker could not look its text up; and a vector keyed by its text's hash is
written idempotently (an upsert), whoever writes it and however often.

Delivery (``acks_late``, ``task_reject_on_worker_lost``, prefetch 1): a worker acknowledges
a batch only after its vectors are committed, and holds one batch at a time. A worker that
is killed (or whose machine is lost) never acknowledges: Redis hands the batch to another
worker once ``embed_retry_seconds`` pass without the worker renewing it (each worker
renews its batches every third of that while it is alive, so a slow batch is never taken
from a live worker). A batch that was written before its worker died is embedded again
and upserted: the index still gets each vector once, since the coordinator adds vectors
by vec_id from the cache, not per task.

Workers only take batches of their own model: each model has its own queue
(:func:`queue_name`), and a task names the model and the store it is for, so a worker with
another model never sees the batch and one writing to another store refuses it (a
coordinator waiting for workers it cannot have says so instead of waiting silently, and
fails after ``embed_wait_seconds`` without a finished batch).

Use one Redis database per deployment: the queues are named by model only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from regionsok.errors import ConfigError, IndexError_
from regionsok.faults import fault_point
from regionsok.records import sha256_hex
from regionsok.settings import Settings, redacted
from regionsok.store import Store

logger = logging.getLogger(__name__)

EMBED_TASK = "regionsok.embed_batch"
DESCRIBE_TASK = "regionsok.embed_describe"
#: Batches queued or in work at once: enough for every worker of a large deployment to have
#: one and the next one waiting, while Redis holds only a few megabytes of text at a time
#: (a first full index of a million chunks would otherwise put gigabytes there).
IN_FLIGHT_BATCHES = 64
#: How often the coordinator asks Redis which batches are done.
POLL_SECONDS = 0.25
#: The coordinator says which workers it can see after this long without a finished batch,
#: and again every ``ANNOUNCE_SECONDS`` while nothing moves.
ANNOUNCE_SECONDS = 30.0
#: Store meta key naming one store, so a worker writing to another store refuses batches.
STORE_ID_META = "embed.store_id"

Progress = Callable[[str, int, int], None]


def queue_name(model: str) -> str:
    """The Redis queue of one model's batches: workers of another model never take them."""
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:16]
    return f"regionsok.embed.{digest}"


def broker_url(queue_url: str) -> str:
    """The URL Celery and kombu take: ``unix:///path`` (as the crawl frontier takes) is their
    ``redis+socket:///path``."""
    if queue_url.startswith("unix://"):
        return "redis+socket://" + queue_url[len("unix://"):]
    return queue_url


_apps: dict[tuple[str, float], Any] = {}
_apps_lock = threading.Lock()


def embed_app(settings: Settings) -> Any:
    """The Celery application on ``settings.embed_queue`` (one per URL and retry time)."""
    if not settings.embed_queue:
        raise ConfigError("distributed embedding needs REGIONSOK_EMBED_QUEUE=redis://host:6379/0")
    key = (settings.embed_queue, settings.embed_retry_seconds)
    with _apps_lock:
        if key not in _apps:
            _apps[key] = _make_app(broker_url(settings.embed_queue), settings.embed_retry_seconds)
        return _apps[key]


def _make_app(url: str, retry_seconds: float) -> Any:
    from celery import Celery

    app = Celery("regionsok", broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged once the vectors are committed, not when taken
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds one batch per thread; the rest stay for others
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=24 * 3600,  # results the coordinator did not collect (it died) go away
        task_default_queue="regionsok.embed",
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": retry_seconds,
            # Look for batches of dead workers often enough that they are retried about
            # ``retry_seconds`` after the death, not kombu's default 100 s sweep later.
            "unacked_restore_interval": max(1, int(retry_seconds / 4)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,  # the product's log format (regionsok.log), not Celery's
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_enable_remote_control=True,  # the coordinator asks which workers consume which queue
    )
    app.task(name=EMBED_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(_embed_batch)
    app.task(name=DESCRIBE_TASK, bind=True)(_describe)
    return app


# -- the coordinator ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Batch:
    texts: list[str]
    items: int  # index items (chunks) it covers: identical texts are embedded once


def store_id(store: Store) -> str:
    """A random name of this store, created once: workers compare it with their own store's."""
    value = store.get_meta(STORE_ID_META)
    if value is None:
        store.set_meta(STORE_ID_META, uuid.uuid4().hex)
        value = store.get_meta(STORE_ID_META)  # another process may have set it first
    return str(value)


def embed_on_workers(store: Store, settings: Settings, model: str, items: Sequence[tuple[int, str]],
                     progress: Progress | None = None) -> int:
    """Have the embed workers write a vector for every text of ``items`` into the store's cache.

    Returns how many of ``items`` the workers embedded for this run (texts already in the
    cache are not sent, identical texts are sent once). Raises IndexError_ when a worker fails a batch, or when no batch
    finishes for ``settings.embed_wait_seconds`` (no worker running for ``model``, or all stuck).
    """
    by_hash: dict[str, str] = {}
    counts: dict[str, int] = {}
    for _, text in items:
        digest = sha256_hex(text)
        by_hash.setdefault(digest, text)
        counts[digest] = counts.get(digest, 0) + 1
    cached = store.cached_vectors(model, list(by_hash))
    todo = [h for h in by_hash if h not in cached]
    total = len(items)
    done = total - sum(counts[h] for h in todo)
    if not todo:
        return 0
    size = max(1, settings.embedding_batch_size * 8)
    batches = [_Batch([by_hash[h] for h in todo[i:i + size]], sum(counts[h] for h in todo[i:i + size]))
               for i in range(0, len(todo), size)]
    app = embed_app(settings)
    _check_broker(app, settings)
    target = {"model": model, "store_id": store_id(store)}
    logger.info("embedding on workers", extra={"chunks": len(todo), "batches": len(batches),
                                               "queue": queue_name(model), "model": model})
    if progress:
        progress("embed", done, total)

    def on_result(batch: _Batch, result: dict[str, Any]) -> None:
        nonlocal done
        done += batch.items
        if progress:
            progress("embed", done, total)

    _run_tasks(app, settings, model, EMBED_TASK, [((target, b.texts), b) for b in batches], on_result)
    return sum(b.items for b in batches)


def worker_dim(settings: Settings, model: str) -> int:
    """The vector length of ``model``, as a worker that loaded it reports (the coordinator
    never loads the model itself)."""
    app = embed_app(settings)
    _check_broker(app, settings)
    answers: list[int] = []
    _run_tasks(app, settings, model, DESCRIBE_TASK, [((model,), None)],
               lambda _, result: answers.append(int(result["dim"])))
    return answers[0]


def _check_broker(app: Any, settings: Settings) -> None:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2, interval_start=0.2, interval_step=0.5, timeout=5)
    except Exception as err:  # kombu raises its own and the socket library's errors alike
        raise IndexError_(f"cannot reach the embed queue REGIONSOK_EMBED_QUEUE={redacted(str(settings.embed_queue))}: {err}") from err


def _run_tasks(app: Any, settings: Settings, model: str, task: str,
               jobs: list[tuple[tuple[Any, ...], Any]], on_result: Callable[[Any, Any], None]) -> None:
    """Send ``jobs`` (args, tag) to ``model``'s queue, at most IN_FLIGHT_BATCHES at a time, and
    call ``on_result(tag, result)`` as each finishes. Leaves nothing queued when it raises."""
    queue = queue_name(model)
    waiting = list(reversed(jobs))
    pending: dict[str, tuple[Any, Any]] = {}  # task id → (AsyncResult, tag)
    last_move = time.monotonic()
    next_announce = 0.0  # seconds without a finished batch at which to say who is working
    try:
        while waiting or pending:
            while waiting and len(pending) < IN_FLIGHT_BATCHES:
                args, tag = waiting.pop()
                # argsrepr: what Celery logs of the task (not a whole batch of text)
                result = app.send_task(task, args=args, queue=queue, argsrepr=_summary(args))
                pending[result.id] = (result, tag)
            finished = [(task_id, result, tag) for task_id, (result, tag) in pending.items() if result.ready()]
            for task_id, result, tag in finished:
                del pending[task_id]
                if result.failed():
                    raise IndexError_(f"an embed worker failed a batch: {result.result}")
                value = result.result
                result.forget()
                on_result(tag, value)
            now = time.monotonic()
            if finished:
                last_move, next_announce = now, ANNOUNCE_SECONDS
            stalled = now - last_move
            if stalled >= settings.embed_wait_seconds:
                raise IndexError_(
                    f"no embed worker finished a batch in {settings.embed_wait_seconds:g} s "
                    f"({_describe_workers(app, model)[1]}): start `regionsok embed-worker` with "
                    f"REGIONSOK_EMBED_QUEUE={redacted(str(settings.embed_queue))} and the same model and store, or wait "
                    "longer (REGIONSOK_EMBED_WAIT_SECONDS, `regionsok index --embed-timeout`)")
            if stalled >= next_announce:
                working, text = _describe_workers(app, model)
                logger.log(logging.INFO if working and not next_announce else logging.WARNING,
                           "%s: %s", "embedding on workers" if working else "waiting for embed workers", text,
                           extra={"queue": queue, "waited_seconds": round(stalled, 1),
                                  "gives_up_after_seconds": settings.embed_wait_seconds})
                next_announce = (stalled // ANNOUNCE_SECONDS + 1) * ANNOUNCE_SECONDS
            if not finished:
                time.sleep(POLL_SECONDS)  # polling Redis for results, not synchronising with a worker
    except BaseException:
        _abandon(app, queue, [result for result, _ in pending.values()])
        raise


def _summary(args: tuple[Any, ...]) -> str:
    return ", ".join(f"[{len(a)} texts]" if isinstance(a, list) else repr(a) for a in args)


def _describe_workers(app: Any, model: str) -> tuple[int, str]:
    """How many embed workers take ``model``'s batches, and a sentence saying so (and who else runs)."""
    queue = queue_name(model)
    try:
        answers = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as err:  # a broken connection here must not hide the real state: say it
        return 0, f"cannot ask the workers: {err}"
    ours = [name for name, queues in answers.items() if any(q.get("name") == queue for q in queues)]
    others = len(answers) - len(ours)
    if ours:
        return len(ours), f"{len(ours)} embed worker(s) take batches for model {model}"
    tail = f"; {others} worker(s) of another model do not take them" if others else ""
    return 0, f"no embed worker is running for model {model}{tail}"


def _abandon(app: Any, queue: str, results: list[Any]) -> None:
    """Drop this run's batches from the queue (a later run sends them again)."""
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        for result in results:
            result.forget()
    except Exception:  # cleaning up after an error must not replace that error
        logger.warning("could not empty the embed queue %s", queue, exc_info=True)


class QueueEmbedder:
    """The coordinator's stand-in for the model: its name, and its ``dim`` asked of a worker.

    ``encode_documents`` is reached only when a vector the workers reported done is not in the
    store's cache, which means the workers write to another store.
    """

    def __init__(self, settings: Settings) -> None:
        from search.embedding import resolve_model_source

        self._settings = settings
        self.name = resolve_model_source(settings)[0]
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = worker_dim(self._settings, self.name)
        return self._dim

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        raise IndexError_(
            f"{len(texts)} vectors the embed workers reported done are not in the store's embedding cache: "
            "do the workers use the same store (REGIONSOK_STORE_URL, or the same data directory)?")


# -- the worker -----------------------------------------------------------------------------


class _WorkerState:
    """What this worker process loaded once: the embedder, its settings, the batches in work."""

    def __init__(self, settings: Settings, embedder: Any) -> None:
        self.settings = settings
        self.embedder = embedder
        # A random part too: hosts in network namespaces may share a name, pids are reused.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        #: Delivery tag → when its batch finished (None: still embedding). A finished batch is
        #: acknowledged by Celery's main thread a moment later (seconds, on a starved machine):
        #: it is renewed until ``embed_retry_seconds`` after it finished, so it is not handed
        #: out again in between (renewing an acknowledged batch does nothing).
        self.in_flight: dict[str, float | None] = {}
        self.lock = threading.Lock()
        self.store_id: str | None = None


_state: _WorkerState | None = None


def _worker() -> _WorkerState:
    if _state is None:
        raise ConfigError("this process is not an embed worker (run `regionsok embed-worker`)")
    return _state


def _embed_batch(task: Any, target: dict[str, str], texts: list[str]) -> dict[str, Any]:
    """One batch: embed ``texts`` with this worker's model and upsert the vectors into the store."""
    state = _worker()
    if target["model"] != state.embedder.name:  # a misrouted batch: never store another model's vectors
        raise IndexError_(f"embed worker {state.worker_id} runs model {state.embedder.name}, "
                          f"the batch is for {target['model']}")
    tag = (task.request.properties or {}).get("delivery_tag")
    logger.debug("taking a batch", extra={"task": task.request.id, "delivery_tag": tag})
    with state.lock:
        if tag:
            state.in_flight[tag] = None
    try:
        with Store.open(state.settings.db_path) as store:
            if state.store_id is None:
                state.store_id = store_id(store)
            if target["store_id"] != state.store_id:
                raise IndexError_(f"embed worker {state.worker_id} writes to another store ({store.location}) "
                                  "than the index run: give both the same REGIONSOK_STORE_URL")
            vectors = np.ascontiguousarray(state.embedder.encode_documents(texts), dtype=np.float32)
            store.cache_vectors(state.embedder.name,
                                [(sha256_hex(text), vector.tobytes()) for text, vector in zip(texts, vectors, strict=True)])
        fault_point("embed.batch")
    finally:
        with state.lock:
            if tag:
                state.in_flight[tag] = time.monotonic()
    logger.info("embedded a batch", extra={"task": task.request.id, "chunks": len(texts)})
    return {"worker": state.worker_id, "chunks": len(texts)}


def _describe(task: Any, model: str) -> dict[str, Any]:
    state = _worker()
    if model != state.embedder.name:
        raise IndexError_(f"embed worker {state.worker_id} runs model {state.embedder.name}, not {model}")
    return {"worker": state.worker_id, "model": state.embedder.name, "dim": int(state.embedder.dim)}


def _renew_leases(state: _WorkerState, url: str, stop: threading.Event) -> None:
    """Tell Redis every third of ``embed_retry_seconds`` that this worker's batches are alive.

    kombu's Redis transport hands an unacknowledged batch to another worker once its delivery
    time in the ``unacked_index`` sorted set is older than the visibility timeout; moving that
    time forward (ZADD XX: only batches still there) keeps a live worker's slow batch its own.
    """
    import redis
    from kombu.transport.redis import Channel

    client = redis.Redis.from_url(url.replace("redis+socket://", "unix://"))
    retry = state.settings.embed_retry_seconds
    interval = max(0.5, retry / 3)
    renewed = time.monotonic()
    while not stop.wait(interval):
        with state.lock:
            now = time.monotonic()
            for tag, finished in list(state.in_flight.items()):
                if finished is not None and now - finished > retry:
                    del state.in_flight[tag]
            tags = list(state.in_flight)
        if not tags:
            renewed = time.monotonic()
            continue
        try:
            client.zadd(Channel.unacked_index_key, {tag: time.time() for tag in tags}, xx=True)
        except redis.RedisError as err:  # Redis away for a moment: the next beat tries again
            logger.warning("cannot renew the embed batches in Redis: %s", err)
            continue
        late = time.monotonic() - renewed
        renewed = time.monotonic()
        if late > retry:  # the process was starved of CPU: another worker may have taken the batch
            logger.warning("renewed the embed batches %.1f s after the last time (retry after %g s): "
                           "another worker may embed them too", late, retry)


def run_worker(settings: Settings, concurrency: int = 1) -> None:
    """Load the model once, then take and embed batches until SIGTERM or SIGINT (see module doc).

    SIGTERM is Celery's warm shutdown: the batches in work are finished and acknowledged, and
    the worker exits; a second SIGTERM (or SIGKILL) leaves them to be retried by another worker.
    """
    global _state
    from celery import signals

    from search.embedding import load_embedder

    app = embed_app(settings)
    embedder = load_embedder(settings)
    _state = _WorkerState(settings, embedder)
    queue = queue_name(embedder.name)

    def ready(**_: Any) -> None:
        logger.info("embed worker ready", extra={"model": embedder.name, "backend": embedder.backend,
                                                 "queue": queue, "concurrency": concurrency})

    signals.worker_ready.connect(ready, weak=False)
    # Celery logs every task's arguments (whole batches of text) when it takes and ends it:
    # this module logs one line per batch instead; failures still reach the log as errors.
    for chatty in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew_leases, args=(_state, broker_url(str(settings.embed_queue)), stop),
                               name="embed-lease", daemon=True)
    renewer.start()
    worker = app.Worker(
        hostname=f"embed@{_state.worker_id}", queues=[queue], concurrency=concurrency, pool_cls="threads",
        loglevel="INFO", quiet=True, without_gossip=True, without_mingle=True, without_heartbeat=True,
        optimization="fair",
    )
    try:
        worker.start()
    finally:
        stop.set()
        _state = None
    if worker.exitcode:
        raise ConfigError(f"the embed worker stopped with exit code {worker.exitcode}")


__all__ = ["QueueEmbedder", "embed_app", "embed_on_workers", "queue_name", "run_worker", "worker_dim"]
