"""Lines that are site chrome, not content, removed after main-text extraction.

trafilatura removes most navigation and footers, but short banners inside the main
container (browser warnings, skip links, cookie notices, share/print widgets) survive on
Swedish public-sector sites. These patterns are anchored on whole lines so that a
sentence in an article that merely mentions cookies is kept.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"gå direkt till (huvud)?innehållet",
    r"hoppa (direkt )?till (huvud)?innehåll(et)?",
    r"till huvudinnehåll",
    r"webbplatsen använder teknik som troligen inte stöds av din webbläsare.*",
    r"vissa saker kan se konstiga ut eller inte fungera.*",
    r"vi rekommenderar att du byter till en modern webbläsare.*",
    r"(den här|denna) webbplats(en)? använder (kakor|cookies).*",
    r"vi använder (kakor|cookies).*",
    r"(jag )?(godkänn|acceptera)(r)? (alla )?(kakor|cookies)",
    r"(läs mer om|inställningar för) (kakor|cookies)",
    r"(dela|skriv ut|lyssna)( sidan| artikeln)?",
    r"dela på (facebook|linkedin|x|twitter)",
    r"till toppen( av sidan)?",
    r"meny|stäng meny|sök|sökfält|logga in",
    r"skip to (main )?content",
]
_BOILERPLATE = re.compile(r"^\s*(?:" + "|".join(_PATTERNS) + r")\s*[.!]?\s*$", re.IGNORECASE)


def strip_boilerplate(text: str) -> str:
    """Drop boilerplate lines and collapse runs of blank lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if _BOILERPLATE.match(line):
            continue
        if not line.strip() and kept and not kept[-1].strip():
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()
