"""Screenshots of every web page at a desktop (1366×900) and a phone (390×844) size.

What it does: builds the demo corpus (the committed fixtures, with the real model) in a
temporary directory, serves it on 127.0.0.1 and drives Debian's Chromium through the
search, document, regions, person and 404 pages, writing full-page PNGs — for a person
to look at, not a pass/fail measurement. Prints the files written as JSON.

Usage:
    python bench/screenshots.py [--out build/screenshots] [--model-dir ~/.cache/regionsok/model]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the test helpers (tests/support) live beside the product, not in it

from tests.support.corpus import LiveServer, session_corpus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
PAGES = {
    "home": "/",
    "search": "/?q=spelberoende",
    "search-two-counties": "/?q=spelberoende&county=05&county=07",
    "document": "/dokument/skane-spel-2024?q=spelberoende&from=q%3Dspelberoende",
    "regions": "/regioner?q=spelberoende",
    "person": "/personer?name=Torbj%C3%B6rn%20Holmqvist",
    "not-found": "/finns/inte",
    "english": "/?q=gambling%20addiction&ui=en",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/screenshots"))
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="the built model [default: REGIONSOK_MODEL_DIR, else ~/.cache/regionsok/model]")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from regionsok.settings import Settings

    args.model_dir = args.model_dir or Settings().model_dir

    args.out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = session_corpus(lambda: Path(tmp), args.model_dir.resolve())
        with LiveServer(settings) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                for size, (width, height) in SIZES.items():
                    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
                    page = context.new_page()
                    for name, path in PAGES.items():
                        page.goto(path)
                        page.wait_for_load_state("load")
                        target = args.out / f"{name}-{size}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(str(target))
                    context.close()
            finally:
                browser.close()
    print(json.dumps({"screenshots": written}, indent=2))


if __name__ == "__main__":
    main()
