"""Which regions: a county is listed only with a passage that shows it doing the thing asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from regionsok.settings import Settings
from search.regions import is_statistics, topic_passage

COMPARISON = (
    "Spelberoende i siffror. I Västerbottens län uppger 4 procent av de vuxna att de spelar för "
    "mycket. I Norrbottens län är andelen 5 procent. I Jämtlands län svarar 3,5 procent likadant och "
    "i Västernorrlands län 4,2 procent. Skillnaderna mellan länen är små, enligt undersökningen."
)
MEASURE = (
    "Region Dalarna och kommunerna i Dalarnas län startar en gemensam mottagning för spelberoende. "
    "Mottagningen i Falun tar emot personer med spelproblem och deras anhöriga från i vår."
)
OFF_TOPIC = (
    "Region Gävleborg bygger ut kollektivtrafiken med tre nya busslinjer mellan Gävle och Sandviken. "
    "Turtätheten ökar från och med augusti."
)


def test_a_topic_passage_names_the_topic_or_there_is_none() -> None:
    assert "spelberoende" in (topic_passage(MEASURE, ["spelberoende"]) or "")
    assert topic_passage(OFF_TOPIC, ["spelberoende", "gambling"]) is None


def test_statistics_are_told_from_measures() -> None:
    assert is_statistics(COMPARISON)
    assert not is_statistics(MEASURE) and not is_statistics(OFF_TOPIC)


def test_a_comparison_of_counties_by_figures_adds_no_county(tmp_path: Path, model_dir: Path, embedder: Any) -> None:
    from ingest.pipeline import ingest_jsonl
    from regionsok.store import Store
    from search.indexer import update_index
    from search.regions import which_regions
    from search.service import SearchService

    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir))
    records = [
        {"id": "jamforelse", "url": "https://statistik.example/spel", "title": "Spelberoende i siffror",
         "text": COMPARISON},
        {"id": "dalarna", "url": "https://region.example/spel", "title": "Ny mottagning", "text": MEASURE},
        {"id": "gavleborg", "url": "https://region.example/buss", "title": "Nya busslinjer", "text": OFF_TOPIC},
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with Store.open(settings.db_path) as store:
        assert ingest_jsonl(store, path).failed == []
        update_index(store, settings, embedder=embedder)
        answer = which_regions(SearchService(settings, embedder=embedder), store, "gambling addiction")

    assert [c.code for c in answer.counties] == ["20"]
    assert "spelberoende" in answer.counties[0].evidence[0].snippet
