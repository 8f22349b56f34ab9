"""Serve the demo site until Ctrl-C: ``python -m crawler.demosite [PORT]``."""

from __future__ import annotations

import sys
import time

from crawler.demosite import DemoSite


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with DemoSite(port) as site:
        print(site.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
