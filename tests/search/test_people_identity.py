"""People are people, not strings: one name in two counties or parties is two people."""

from __future__ import annotations

import json
from pathlib import Path

from regionsok.store import Store
from search.people import find_people

RECORDS = [
    ("kalmar-1", "Region Kalmar län satsar på vården", "Region Kalmar län bygger ut vården i Västervik, "
     "säger Anna Berg (S), regionråd i Region Kalmar län."),
    ("kalmar-2", "Ny vårdcentral i Kalmar", "– Vi öppnar i maj, säger Anna Berg, regionråd, om vårdcentralen i Kalmar."),
    ("umea", "Umeå kommun bygger skolor", "Umeå kommun bygger två nya skolor, säger Anna Berg (M), "
     "kommunalråd i Umeå kommun."),
]


def test_one_name_in_two_counties_and_parties_is_two_people(tmp_path: Path) -> None:
    from ingest.pipeline import ingest_jsonl

    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps({"id": i, "url": f"https://example.se/{i}", "title": t, "text": x},
                                       ensure_ascii=False) + "\n" for i, t, x in RECORDS), encoding="utf-8")
    with Store.open(tmp_path / "store.sqlite3") as store:
        assert ingest_jsonl(store, path).failed == []
        people = find_people(store, "Anna Berg")

    by_county = {p.counties: p for p in people}
    assert set(by_county) == {("08",), ("24",)}
    kalmar, umea = by_county[("08",)], by_county[("24",)]
    assert kalmar.parties == ("S",) and {d.doc_id for d in kalmar.documents} == {"kalmar-1", "kalmar-2"}
    assert umea.parties == ("M",) and [d.doc_id for d in umea.documents] == ["umea"]
    assert any("regionråd" in role for role in kalmar.roles) and all(c == ("08",) for c in kalmar.role_counties.values())
    assert any("kommunalråd" in role for role in umea.roles)
