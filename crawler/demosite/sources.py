"""A sources file for the demo site at a given base URL (used by `regionsok demo` and the tests)."""

from __future__ import annotations

from pathlib import Path

DEMO_SOURCES = """\
# Sources for the demo site served on {base}. Loopback, so no politeness delays.
[crawl]
download_delay = 0.0
autothrottle_start_delay = 0.0
autothrottle_max_delay = 1.0
concurrent_requests_per_domain = 2
download_timeout = 10.0
retry_times = 2
max_variants_per_pattern = {max_variants}

[[source]]
name = "demo-press"
org = "Samverkansportalen"
kind = "press_release"
start_urls = ["{base}/", "{base}/nyheter/"]
sitemap_urls = ["{base}/sitemap.xml"]
allowed_domains = ["{host}"]
deny = ['/samverkan/', '/dokument/']
max_depth = 8
max_pages = {max_pages}
verified = true
note = "the demo site (crawler/demosite)"

[[source]]
name = "demo-agreements"
org = "Samverkansportalen"
kind = "agreement"
start_urls = ["{base}/samverkan/"]
sitemap_urls = ["{base}/sitemap.xml"]
allowed_domains = ["{host}"]
allow = ['/samverkan/', '/dokument/']
max_depth = 3
verified = true
note = "the demo site's agreement pages and their PDFs"
"""


def demo_sources_toml(base_url: str, *, max_variants: int = 12, max_pages: int = 500) -> str:
    """The demo sources file's text for the site at ``base_url`` (``http://127.0.0.1:PORT``)."""
    base = base_url.rstrip("/")
    host = base.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0]
    return DEMO_SOURCES.format(base=base, host=host, max_variants=max_variants, max_pages=max_pages)


def write_demo_sources(path: Path, base_url: str, **kwargs: int) -> Path:
    """Write :func:`demo_sources_toml` to ``path``; returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_sources_toml(base_url, **kwargs), encoding="utf-8")
    return path
