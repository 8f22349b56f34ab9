"""Scrapy settings for a crawl: polite by default, tuned by a sources file's ``[crawl]`` table."""

from __future__ import annotations

from typing import Any

from crawler.sources import CrawlPolicy
from regionsok.settings import Settings


def scrapy_settings(settings: Settings, policy: CrawlPolicy) -> dict[str, Any]:
    """The Scrapy settings of one crawl process."""
    maxsize = min(policy.download_maxsize, settings.max_page_bytes)
    options: dict[str, Any] = {
        "BOT_NAME": "regionsok",
        "USER_AGENT": settings.user_agent,  # identifies us, with a contact URL
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,  # no session state: sessions are how sites grow endless URLs
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": policy.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": policy.download_delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": policy.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": policy.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": policy.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": policy.download_timeout,
        "DNS_TIMEOUT": min(policy.download_timeout, 20),
        "DOWNLOAD_MAXSIZE": maxsize,
        "DOWNLOAD_WARNSIZE": maxsize // 2,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": policy.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "DEPTH_LIMIT": 0,  # the spiders bound depth per source (``max_depth``)
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy re-reads each callback's source on every response to warn about generators
        # that return values: a fifth of a 304-only re-crawl's time. Our spiders have none.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "EXTENSIONS": {
            "scrapy.extensions.throttle.AutoThrottle": None,
            "crawler.throttle.ConditionalAutoThrottle": 0,  # a 304 may speed us up like a 200
        },
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,  # the caller's logging (regionsok.log) stays in charge
        "ITEM_PIPELINES": {
            "crawler.pipelines.CheckPipeline": 100,
            "crawler.pipelines.StorePipeline": 500,
        },
        "REGIONSOK_DB_PATH": str(settings.db_path),
    }
    if settings.crawl_queue:
        from crawler.frontier import new_worker_id, scrapy_frontier_settings

        # One frontier in Redis shared by every worker process (crawler.frontier).
        options |= scrapy_frontier_settings(settings.crawl_queue, new_worker_id())
    return options
