"""The shared crawl frontier: Scrapy's scheduler and duplicate filter in Redis (``scrapy-redis``).

With ``REGIONSOK_CRAWL_QUEUE=redis://…`` every crawl process (``regionsok crawl --worker``, on
any machine) takes its requests from, and puts the links it finds into, one queue per source
in Redis, behind one duplicate filter per source: a URL is fetched once across all workers.

A *run* of the frontier, per source, goes like this:

- **join**: the first worker to open the source starts a run (clears what an earlier run
  left), becomes its *seeder* and hands its start requests (start URLs, sitemaps, the
  stored listings and stale documents) to the queue; later workers join the run. A worker
  that arrives after a run ended starts the next one; one that finds a run every worker
  left unfinished (all killed) joins it and finishes it.
- **work**: a worker pops a request and, in the same atomic step, files it under its own
  *in-flight* hash. It is acknowledged (removed from there) only once Scrapy is completely
  done with it: downloaded, its callback's links pushed and its items stored. A worker keeps
  a heartbeat key alive; when the heartbeat of a worker lapses (killed, machine lost), the
  next idle worker puts that worker's in-flight requests back into the queue (and takes
  over handing out the start requests if the seeder died before it was done). A killed
  worker loses nothing; at worst a page it had fetched but not finished is fetched again.
  A worker holds at most ``concurrent_requests_per_domain`` of a source's requests at a
  time, so the rest stay queued for the others.
- **end**: an idle worker ends the run when the queue is empty, the seeder has handed over
  every start request, and no live worker holds a request in flight (one Lua script, so
  no two workers can disagree). Every worker then closes its spider; a worker that is
  still busy when another goes idle keeps the others waiting, since its links may add work.

What the spiders count to bound a crawl (``max_pages``, the trap guard's URL variants) and
their sitemap bookkeeping are shared too (:class:`RedisLedger`).

Politeness holds across workers: :class:`SharedSiteSlots` lets at most
``concurrent_requests_per_domain`` requests be on the wire per host *in total*, sent at
least the host's current AutoThrottle delay apart *in total* (leases in Redis that lapse by
themselves when their holder dies). Each worker reads robots.txt itself and obeys it.

Keys live under ``regionsok:crawl:`` (pick another Redis database in the URL to run two
deployments on one server); the scripts touch keys they compute, so the frontier needs one
Redis server (or a primary with replicas), not a Redis Cluster.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis import Redis, RedisError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.spiders.generic import SEEDED
from regionsok.faults import fault_point

logger = logging.getLogger(__name__)

PREFIX = "regionsok:crawl"
#: A worker's heartbeat lapses this long after its last beat (it beats every third of it).
HEARTBEAT_SECONDS = 5.0
#: How often an idle worker asks Redis again whether work came in or the run ended.
IDLE_POLL_SECONDS = 0.2
#: How often a request waiting for a site slot asks again (jittered, so waiters interleave).
SLOT_POLL_SECONDS = 0.01


def new_worker_id() -> str:
    """This process's name in the frontier: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def check_frontier(url: str) -> None:
    """Raise CrawlError unless the Redis at ``url`` answers (before any crawl process starts)."""
    import redis

    from crawler.errors import CrawlError

    try:
        Redis.from_url(url, socket_connect_timeout=10).ping()
    except (redis.RedisError, OSError) as err:
        raise CrawlError(f"the shared crawl frontier {_without_password(url)} cannot be reached: {err}") from err


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def source_key(source: str, part: str) -> str:
    return f"{PREFIX}:{source}:{part}"


def heartbeat_prefix() -> str:
    return f"{PREFIX}:alive:"


def scrapy_frontier_settings(url: str, worker_id: str) -> dict[str, Any]:
    """The Scrapy settings that put a crawl's scheduler and dupefilter in Redis at ``url``."""
    return {
        "REDIS_URL": url,
        "SCHEDULER": "crawler.frontier.FrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": source_key("%(spider)s", "queue"),
        "SCHEDULER_DUPEFILTER_KEY": source_key("%(spider)s", "dupefilter"),
        # The run's keys outlive any one worker; the run's end (see the module doc) clears them.
        "SCHEDULER_PERSIST": True,
        "REGIONSOK_WORKER_ID": worker_id,
        "DOWNLOADER_MIDDLEWARES": {"crawler.frontier.SharedSiteSlots": 990},  # nearest the wire
    }


# Scripts: each step that several workers race on is one atomic script.

_JOIN = """
local state, workers = KEYS[1], KEYS[2]
local me, alive, inflight, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('SET', alive .. me, '1', 'PX', ttl)
local phase = redis.call('HGET', state, 'phase')
if (not phase) or phase == 'done' then
  for _, w in ipairs(redis.call('SMEMBERS', workers)) do redis.call('DEL', inflight .. w) end
  for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
  local run = redis.call('HINCRBY', state, 'run', 1)
  redis.call('HSET', state, 'phase', 'seeding', 'seeder', me)
  redis.call('SADD', workers, me)
  return {'seed', tostring(run)}
end
redis.call('SADD', workers, me)
return {'join', redis.call('HGET', state, 'run')}
"""

_SEEDED = """
if redis.call('HGET', KEYS[1], 'run') == ARGV[1] and redis.call('HGET', KEYS[1], 'seeder') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'phase', 'open')
  return 1
end
return 0
"""

_PUSH = """
if ARGV[1] == '1' or redis.call('SADD', KEYS[2], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  return 1
end
return 0
"""

_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0)
if #top == 0 then return false end
redis.call('SADD', KEYS[4], ARGV[1])  -- a worker holding work is one the end rule waits for
redis.call('ZREM', KEYS[1], top[1])
local token = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], token, top[1])
return {tostring(token), top[1]}
"""

_IDLE = """
local state, queue, workers = KEYS[1], KEYS[2], KEYS[3]
local me, run, alive, inflight, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HGET', state, 'run') ~= run then return 'over' end
local phase = redis.call('HGET', state, 'phase')
if phase == 'done' then return 'over' end
redis.call('SET', alive .. me, '1', 'PX', ttl)
redis.call('SADD', workers, me)
local busy = false
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  local held = inflight .. w
  if redis.call('EXISTS', alive .. w) == 0 then
    for _, data in ipairs(redis.call('HVALS', held)) do redis.call('ZADD', queue, 0, data) end
    redis.call('DEL', held)
    redis.call('SREM', workers, w)
  elseif redis.call('HLEN', held) > 0 then
    busy = true
  end
end
if redis.call('ZCARD', queue) > 0 then return 'work' end
if phase == 'seeding' then
  local seeder = redis.call('HGET', state, 'seeder')
  if seeder == me then return 'wait' end
  if redis.call('EXISTS', alive .. seeder) == 1 then return 'wait' end
  redis.call('HSET', state, 'seeder', me)
  return 'reseed'
end
if busy then return 'wait' end
redis.call('HSET', state, 'phase', 'done')
return 'over'
"""

_REQUEUE = """
for i = 1, #ARGV do
  local data = redis.call('HGET', KEYS[2], ARGV[i])
  if data then redis.call('ZADD', KEYS[1], 0, data); redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 1
"""

_LEASE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local leases, pace = KEYS[1], KEYS[2]
local limit, hold, token, alive, gap = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
for _, lease in ipairs(redis.call('ZRANGE', leases, 0, -1)) do
  local holder = string.match(lease, '^(.*)|')
  if holder and redis.call('EXISTS', alive .. holder) == 0 then redis.call('ZREM', leases, lease) end
end
if redis.call('ZCARD', leases) >= limit then return -1 end
local next_send = tonumber(redis.call('GET', pace) or '0')
if next_send > now then return math.max(1, math.ceil((next_send - now) * 1000)) end
redis.call('ZADD', leases, now + hold, token)
redis.call('PEXPIRE', leases, math.ceil(hold * 1000))
if gap > 0 then redis.call('SET', pace, tostring(now + gap), 'PX', math.ceil(gap * 1000) + 1000) end
return 0
"""


def _reactor() -> Any:
    # Imported when used: importing it at module level would install Twisted's default
    # reactor before Scrapy installs the one it asks for.
    from twisted.internet import reactor

    return reactor


def _engine_in_progress(crawler: Crawler) -> set[Request]:
    """The requests Scrapy's engine still works on (downloading, or scraping their answer).

    Scrapy has no public "done with this request" hook; the engine drops a request from this
    set only after its response was scraped, its links scheduled and its items processed,
    which is exactly when the frontier may forget it. Private API: scrapy is pinned
    (pyproject.toml), and a Scrapy without it fails here loudly, not by forgetting requests.
    """
    slot = crawler.engine._slot  # type: ignore[union-attr]
    return slot.inprogress if slot is not None else set()


def _wake_engine(crawler: Crawler) -> None:
    """Ask an idle engine to look at its scheduler again now (not at its 5 s heartbeat)."""
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with acknowledged pops, a seeder per run and an end rule."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker = crawler.settings.get("REGIONSOK_WORKER_ID") or new_worker_id()
        instance._held = {}
        instance._beat = None
        instance._wake = None
        instance.run = ""
        instance.role = ""
        instance.max_held = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        instance.lost = None
        return instance  # type: ignore[no-any-return]

    worker: str
    max_held: int
    lost: str | None  # why the frontier can no longer be reached, once it cannot
    run: str
    role: str
    _held: dict[str, Request]
    _beat: task.LoopingCall | None
    _wake: Any  # a Twisted IDelayedCall, or None

    # -- keys and scripts

    def _key(self, part: str) -> str:
        return source_key(self.spider.name, part)

    def _inflight(self, worker: str | None = None) -> str:
        return self._key("inflight:") + (worker or self.worker)

    def _script(self, source: str, keys: list[str], args: list[Any]) -> Any:
        server: Redis = self.server
        return server.eval(source, len(keys), *keys, *args)

    @property
    def _ttl_ms(self) -> int:
        return int(HEARTBEAT_SECONDS * 1000)

    # -- Scrapy's scheduler interface

    def open(self, spider: Any) -> None:
        super().open(spider)
        extra = [self._key(part) for part in ("queue", "dupefilter", "tokens", *RedisLedger.PARTS)]
        role, run = self._script(
            _JOIN, [self._key("state"), self._key("workers"), *extra],
            [self.worker, heartbeat_prefix(), self._key("inflight:"), self._ttl_ms],
        )
        self.role, self.run = role.decode(), run.decode()
        # A joining worker's spider hands out no start requests: the seeder did.
        spider.seeds = self.role == "seed"
        spider.use_ledger(RedisLedger(self.server, spider.name))
        self.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        self.crawler.signals.connect(self._on_seeded, signal=SEEDED)
        self.crawler.signals.connect(self._on_response, signal=signals.response_received)
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(HEARTBEAT_SECONDS / 3, now=False)
        logger.info("frontier joined", extra={"source": spider.name, "role": self.role, "run": self.run,
                                              "worker": self.worker})

    def close(self, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        if self._wake is not None and self._wake.active():
            self._wake.cancel()
        if self.lost:
            return  # what we held stays filed under us in Redis, for whoever resumes the run
        # Stopped before the run ended (a shutdown): hand back what we still hold at once,
        # without waiting for our heartbeat to lapse.
        with self._guard():
            self._acknowledge()
            if self._held:
                self._script(_REQUEUE, [self._key("queue"), self._inflight()], list(self._held))
                self._held.clear()
            self.server.srem(self._key("workers"), self.worker)
        super().close(reason)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a Redis failure (after redis-py's own retries) into closing this source's crawl.

        Without the frontier a worker can neither get work nor tell when the run ends; it
        stops, reporting the source failed. Its in-flight requests stay filed under it in
        Redis, so a worker that resumes the run once Redis is back puts them back in the queue.
        """
        try:
            yield
        except RedisError as err:
            if self.lost is None:
                self.lost = f"the shared crawl frontier was lost: {err}"
                logger.error("frontier lost", extra={"source": self.spider.name, "error": str(err)})
                self.spider.frontier_error = self.lost
                if self._beat is not None and self._beat.running:
                    self._beat.stop()
                engine = self.crawler.engine
                assert engine is not None
                deferred_from_coro(engine.close_spider_async(reason="frontier_lost"))

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        pushed = False
        with self._guard():
            pushed = self._script(
                _PUSH, [self._key("queue"), self._key("dupefilter")],
                ["1" if request.dont_filter else "0", fingerprint, -request.priority, data],
            )
        if not pushed:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.lost:
            return None
        popped = None
        with self._guard():
            self._acknowledge()
            # A worker holds at most as many of a source's requests as the site may have on
            # the wire: it could not send more at once, and the rest stay queued for others.
            if len(self._held) >= self.max_held:
                return None
            popped = self._script(
                _POP, [self._key("queue"), self._inflight(), self._key("tokens"), self._key("workers")], [self.worker]
            )
        if not popped:
            return None
        token, data = popped[0].decode(), popped[1]
        request = self.queue._decode_request(data)
        self._held[token] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request  # type: ignore[no-any-return]

    def has_pending_requests(self) -> bool:
        if self.lost:
            return False
        with self._guard():
            return len(self) > 0
        return False

    # -- the run

    def _acknowledge(self) -> None:
        """Forget, in Redis, the requests the engine is done with."""
        if not self._held:
            return
        busy = _engine_in_progress(self.crawler)
        done = [token for token, request in self._held.items() if request not in busy]
        if done:
            self.server.hdel(self._inflight(), *done)
            for token in done:
                del self._held[token]

    def _heartbeat(self) -> None:
        # Also back in the run's workers if a slow beat had us taken for dead meanwhile.
        with self._guard():
            pipe = self.server.pipeline()
            pipe.set(heartbeat_prefix() + self.worker, "1", px=self._ttl_ms)
            pipe.sadd(self._key("workers"), self.worker)
            pipe.execute()

    def _on_response(self, response: Response, request: Request, spider: Any) -> None:
        fault_point("crawl.response")  # test hook: a worker killed holding fetched, unfinished work

    def _on_seeded(self, spider: Any) -> None:
        fault_point("crawl.seeded")  # test hook: a seeder killed with its start requests queued, the run not open
        with self._guard():
            self._script(_SEEDED, [self._key("state")], [self.run, self.worker])

    def _on_idle(self, spider: Any) -> None:
        if self.lost:
            return  # closing already
        verdict = "lost"
        with self._guard():
            self._acknowledge()
            verdict = self._script(
                _IDLE, [self._key("state"), self._key("queue"), self._key("workers")],
                [self.worker, self.run, heartbeat_prefix(), self._key("inflight:"), self._ttl_ms],
            ).decode()
        if verdict == "lost":
            return
        if verdict == "over":
            logger.info("frontier run over", extra={"source": spider.name, "run": self.run})
            return  # the spider closes
        if verdict == "reseed":
            # The seeder died before handing over every start request: this worker hands
            # them over again (the duplicate filter drops those already queued).
            logger.warning("frontier seeder lost; seeding again", extra={"source": spider.name})
            deferred_from_coro(self._reseed(spider))
        delay = 0.0 if verdict == "work" else IDLE_POLL_SECONDS
        if self._wake is None or not self._wake.active():
            self._wake = _reactor().callLater(delay, _wake_engine, self.crawler)
        raise DontCloseSpider

    async def _reseed(self, spider: Any) -> None:
        spider.seeds = True
        async for request in spider.start():
            self.crawler.engine.crawl(request)  # type: ignore[union-attr]


_ADMIT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 1
"""

_SITEMAP_DONE = """
local left = redis.call('HINCRBY', KEYS[1], 'pending', -1)
if ARGV[1] ~= '1' then redis.call('HSET', KEYS[1], 'failed', '1') end
if left == 0 and not redis.call('HGET', KEYS[1], 'failed') then return 1 end
return 0
"""


class RedisLedger:
    """A source's :class:`~crawler.ledger.CrawlLedger` in Redis, shared by the run's workers.

    Its keys are cleared when a run starts (``PARTS``). The page count is the duplicate
    filter's size: the URLs handed to the frontier, by whichever worker.
    """

    PARTS = ("variants", "variant_counts", "sitemaps", "listed")

    def __init__(self, server: Redis, source: str) -> None:
        self.server = server
        self.key = {part: source_key(source, part) for part in (*self.PARTS, "dupefilter")}

    def add_variant(self, shape: str, url: str) -> None:
        self.server.eval(_ADMIT, 2, self.key["variants"], self.key["variant_counts"], f"{shape} {url}", shape,
                         2**62)

    def admit_variant(self, shape: str, url: str, limit: int) -> bool:
        return bool(self.server.eval(_ADMIT, 2, self.key["variants"], self.key["variant_counts"],
                                     f"{shape} {url}", shape, limit))

    def pages(self, local: int) -> int:
        return int(self.server.scard(self.key["dupefilter"]))

    def sitemaps_started(self, count: int) -> None:
        if count:
            self.server.hincrby(self.key["sitemaps"], "pending", count)

    def sitemap_read(self, urls: Iterable[str]) -> None:
        listed = list(urls)
        if listed:
            self.server.sadd(self.key["listed"], *listed)

    def sitemap_done(self, ok: bool) -> bool:
        return bool(self.server.eval(_SITEMAP_DONE, 1, self.key["sitemaps"], "1" if ok else "0"))

    def in_sitemaps(self, urls: Sequence[str]) -> list[bool]:
        if not urls:
            return []
        return [bool(v) for v in self.server.smismember(self.key["listed"], list(urls))]


class SiteLeases:
    """Per-host leases in Redis: at most ``limit`` held at once, taken at least ``gap`` apart.

    A lease lapses on its own after ``hold`` seconds, or as soon as its worker's heartbeat
    lapses, so the leases of a killed worker come free.
    """

    def __init__(self, server: Redis, worker: str) -> None:
        self.server = server
        self.worker = worker

    def take(self, host: str, *, limit: int, hold: float, gap: float) -> tuple[str | None, float]:
        """``(token, 0)`` when a lease was taken; else ``(None, seconds to wait)`` (-1: until one is given back)."""
        token = f"{self.worker}|{uuid.uuid4().hex}"
        keys = (f"{PREFIX}:site:{host}", f"{PREFIX}:site-pace:{host}")
        answer = int(self.server.eval(_LEASE, 2, *keys, limit, hold, token, heartbeat_prefix(), gap))
        if answer == 0:
            return token, 0.0
        return None, -1.0 if answer < 0 else answer / 1000

    def give_back(self, host: str, token: str) -> None:
        try:
            self.server.zrem(f"{PREFIX}:site:{host}", token)
        except RedisError as err:  # the lease lapses by itself; the scheduler reports the loss
            logger.warning("site lease not given back", extra={"host": host, "error": str(err)})


class SharedSiteSlots:
    """Politeness across workers: per host, at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests
    on the wire in total, and sent at least the host's current delay apart in total.

    Each request takes a :class:`SiteLeases` lease before it is sent and gives it back when
    its answer (or error) comes. The delay is what this worker's AutoThrottle (or
    ``DOWNLOAD_DELAY``) asks for the host right now: N workers then send to a site no
    faster than one would. Sits last among the downloader middlewares, so a lease is held
    around the download itself; Scrapy's own per-slot limit and delay still apply inside
    each worker.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("no shared frontier")
        worker = settings.get("REGIONSOK_WORKER_ID") or new_worker_id()
        self.leases = SiteLeases(get_redis_from_settings(settings), worker)
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        # A lease outlives the longest possible download (a few seconds of margin for the
        # time a request spends between taking the lease and reaching the wire).
        self.hold = settings.getfloat("DOWNLOAD_TIMEOUT") + 10.0
        self.first_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedSiteSlots:
        return cls(crawler)

    def _delay(self, request: Request) -> float:
        """This worker's current delay for the request's download slot (AutoThrottle moves it)."""
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        return float(slot.delay) if slot is not None else self.first_delay

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        waited = False
        while True:
            token, wait = self.leases.take(host, limit=self.limit, hold=self.hold, gap=self._delay(request))
            if token is not None:
                break
            waited = True
            # Full: ask again soon (jittered, so waiters interleave); paced: when it is our turn.
            pause = SLOT_POLL_SECONDS * (0.5 + random.random()) if wait < 0 else wait
            await maybe_deferred_to_future(task.deferLater(_reactor(), pause, lambda: None))
        if waited and self.crawler.stats is not None:
            self.crawler.stats.inc_value("regionsok/site_slot_waits")
        request.meta["_site_lease"] = (host, token)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        lease = request.meta.pop("_site_lease", None)
        if lease is not None:
            self.leases.give_back(*lease)
