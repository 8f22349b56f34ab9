"""A server's first search must not stop to read dictionaries, a language model or the taxonomy.

simplemma decodes its Swedish and English dictionaries on first use (about a second), py3langid
loads its model on the first query whose words tie, and the taxonomy is parsed on the first
concept lookup: before ``load_query_analysis`` ran at startup, the first search after
``regionsok serve`` started took over a second while the next took tens of milliseconds.

Each case runs in a fresh interpreter (these loads happen once per process) and records every
file opened while queries are analysed. The cold run is the control: it shows the probe sees
the lazy reads, so the warm run's empty list means something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from search.service import SearchRequest, SearchService
from search.timings import STAGES, SearchTimings
from tests.conftest import REPO

PROBE = r"""
import builtins, io, json, sys

from search import hybrid

if sys.argv[1] == "warm":
    hybrid.load_query_analysis()

opened = []
real_open = io.open

def recording_open(file, *args, **kwargs):
    opened.append(str(file))
    return real_open(file, *args, **kwargs)

builtins.open = io.open = recording_open  # lzma, bz2, numpy and pathlib all open through these
for query in ["buss", "spelberoende bland unga", "gambling addiction among young people",
              "psykisk ohälsa hos äldre", "suicide prevention"]:
    hybrid.detect_query_language(query)
    hybrid.plan_query(query)
builtins.open = io.open = real_open
print(json.dumps(opened))
"""


def _files_opened_while_analysing(mode: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, capture_output=True, text=True,
                          check=False, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_after_warm_up_analysing_queries_reads_no_file() -> None:
    assert _files_opened_while_analysing("warm") == []


def test_without_warm_up_the_first_queries_read_dictionaries_model_and_taxonomy() -> None:
    opened = _files_opened_while_analysing("cold")
    assert any("simplemma" in path for path in opened), opened
    assert any("taxonomy" in path for path in opened), opened


def test_warm_up_answers_a_search_through_every_stage_and_records_none_of_it(
    seed_service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first search of a fresh server paid each stage's first call and the passage analysis
    # of every word it showed (49 ms against 19 for the next one at 133k chunks): warm-up pays
    # them instead, but /metrics must count the users' searches only.
    ran: list[str] = []
    real_add = SearchTimings.add
    monkeypatch.setattr(SearchTimings, "add", lambda self, stage, seconds: (ran.append(stage),
                                                                            real_add(self, stage, seconds)))
    service = SearchService(seed_service.settings, embedder=seed_service.embedder)
    service.warm()
    assert set(STAGES) <= set(ran), ran  # the unfiltered and the county-filtered search ran them all
    assert ran.count("total") == 2
    assert all(stage["count"] == 0 for stage in service.timings.snapshot().values())
    assert service.timings.query_cache_hits == service.timings.query_cache_misses == 0
    service.search(SearchRequest("spelberoende"))
    assert service.timings.snapshot()["total"]["count"] == 1
