"""sources.toml is data: the shipped file parses, covers every region, and bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import load_sources
from crawler.spiders import spider_for
from crawler.spiders.platforms import MynewsdeskSpider
from regionsok.errors import ConfigError

# The 21 regions by SCB län code.
REGION_COUNTIES = {"01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18", "19",
                   "20", "21", "22", "23", "24", "25"}


def test_shipped_sources_cover_every_region_kommunalforbund_and_skr() -> None:
    sources = load_sources().sources

    for county in REGION_COUNTIES:
        kinds = {s.kind for s in sources if s.county == county}
        assert kinds & {"press_release", "mixed"}, f"län {county} has no press room"
        assert kinds & {"agreement", "mixed"}, f"län {county} has no agreement page"
    orgs = " ".join(s.org or "" for s in sources)
    for org in ("VästKom", "Skånes Kommuner", "Storsthlm", "SKR"):
        assert org in orgs
    assert any(s.org == "SKR" and s.kind == "agreement" for s in sources)
    # Observed, not checked live: every entry says so and says why.
    assert all(not s.verified and s.note for s in sources)
    assert {s.platform for s in sources} >= {"generic", "mynewsdesk", "viatt", "notified", "pressmachine"}
    for source in sources:
        assert spider_for(source.platform) is not None


def test_a_region_on_a_platform_is_a_few_lines(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nname = "region-uppsala-mynewsdesk"\ncounty = "03"\nkind = "press_release"\n'
        'platform = "mynewsdesk"\nnewsroom = "regionuppsala"\n',
        encoding="utf-8",
    )
    (source,) = load_sources(path).sources
    assert source.start_urls[0] == "https://www.mynewsdesk.com/se/regionuppsala/pressreleases"
    assert source.allowed_domains == ("mynewsdesk.com",)
    spider = MynewsdeskSpider(source=source)
    assert spider.is_document("https://www.mynewsdesk.com/se/regionuppsala/pressreleases/nytt-avtal-3012345")
    assert not spider.is_document("https://www.mynewsdesk.com/se/regionuppsala/pressreleases?page=2")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "a-b"\nkind = "press_release"\nstart_urls = ["https://x.se/"]\nmax_deph = 2', "unknown key"),
        ('name = "a-b"\nkind = "news"\nstart_urls = ["https://x.se/"]', "kind must be one of"),
        ('name = "a-b"\nkind = "agreement"\nstart_urls = ["https://x.se/"]\nallow = ["(unclosed"]',
         "not a valid regex"),
        ('name = "a-b"\nkind = "agreement"\nstart_urls = ["https://x.se/"]\nallowed_domains = ["y.se"]',
         "outside allowed_domains"),
        ('name = "a-b"\nkind = "agreement"\nstart_urls = ["https://x.se/"]\ncounty = 5', "county must be"),
        ('name = "a-b"\nkind = "agreement"\nplatform = "mynewsdesk"', "start_urls is empty"),
    ],
)
def test_invalid_source_is_a_clear_config_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f"[[source]]\n{body}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_sources(path)


def test_impolite_crawl_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[crawl]\nconcurrent_requests_per_domain = 8\n\n'
        '[[source]]\nname = "a-b"\nkind = "agreement"\nstart_urls = ["https://x.se/"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="must be 1 or 2"):
        load_sources(path)
    duplicate = tmp_path / "dup.toml"
    duplicate.write_text(
        '[[source]]\nname = "a-b"\nkind = "agreement"\nstart_urls = ["https://x.se/"]\n' * 2, encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="duplicate source name"):
        load_sources(duplicate)
