"""The crawler stage: Scrapy spiders that fetch the sources in ``sources.toml`` into the store.

Entry point: :func:`crawler.run.crawl`. Sites are data (``sources.toml``); code is one generic
spider plus one base spider per press-room platform (``crawler/spiders/``).
"""
