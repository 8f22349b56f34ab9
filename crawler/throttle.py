"""AutoThrottle that counts a 304 as a success.

Scrapy's AutoThrottle only lets the delay go *down* after a 200, so a re-crawl that is
answered entirely with 304 Not Modified (the whole point of conditional requests) keeps the
delay of its slowest early answer for the rest of the run. A 304 is the server saying
"fine, nothing new": it may speed us up like a 200. Errors still only slow us down.
"""

from __future__ import annotations

from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class ConditionalAutoThrottle(AutoThrottle):
    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
