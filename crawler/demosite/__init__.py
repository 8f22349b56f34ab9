"""A served demo site for tests and `make demo` (see :mod:`crawler.demosite.site`)."""

from crawler.demosite.site import Article, DemoSite, load_articles

__all__ = ["Article", "DemoSite", "load_articles"]
