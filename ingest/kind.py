"""Document kind by rules: press_release, agreement, decision, report or web_page.

Signals, strongest first: the page's own label ("Pressmeddelande"), the source's kind,
the URL path (/press/, /pressmeddelanden/, .pdf agreements), the title, and quoted
speech ("…, säger X") which press releases have and web pages rarely do.
"""

from __future__ import annotations

import re

from regionsok.records import DOCUMENT_KINDS, DocumentKind

_PRESS_LABEL = re.compile(r"^\s*(pressmeddelande|nyhet|press release)\b", re.IGNORECASE | re.MULTILINE)
# ", säger Anna", also with a title between: ", säger socialministern Lena Hallengren".
_SAYS = re.compile(r",\s*(säger|sager|sa|sade|berättar|menar|konstaterar|betonar|understryker|förklarar)\s+(?:[a-zåäö-]+,?\s+){0,5}[A-ZÅÄÖ]")
_PRESS_URL = re.compile(r"/(press|pressmeddelanden?|pressrum|nyheter|nyhetsarkiv|news)(/|$)|mynewsdesk|via\.tt\.se|"
                        r"newsroom|pressmachine|newsmachine", re.IGNORECASE)
_AGREEMENT_TITLE = re.compile(r"^\s*(överenskommelse|avtal|samverkansavtal|ramavtal)\b", re.IGNORECASE)
_AGREEMENT_BODY = re.compile(r"(denna|den här)\s+överenskommelse|överenskommelsen\s+gäller|parterna\s+(är|har)\s+överens"
                             r"|träder i kraft|undertecknas av parterna|§\s*\d", re.IGNORECASE)
_DECISION = re.compile(r"^\s*(beslut|protokoll|sammanträdesprotokoll|tjänsteskrivelse|protokollsutdrag)\b",
                       re.IGNORECASE)
_REPORT = re.compile(r"^\s*(rapport|uppföljning|utvärdering|årsrapport|lägesrapport|kartläggning|analys)\b",
                     re.IGNORECASE)


def classify_kind(text: str, *, title: str = "", url: str = "", hint: str | None = None) -> DocumentKind:
    """The kind of a document from its text, title, URL and the source's declared kind."""
    head = text[:1500]
    if _DECISION.search(title) or _DECISION.search(head[:200]):
        return "decision"
    if _AGREEMENT_TITLE.search(title) or (url.lower().endswith(".pdf") and _AGREEMENT_BODY.search(text[:20000])):
        return "agreement"
    if _REPORT.search(title):
        return "report"
    if _PRESS_LABEL.search(head) or hint == "press_release" or _PRESS_URL.search(url):
        return "press_release"
    if _SAYS.search(text) and len(text) < 15000:
        return "press_release"
    if _AGREEMENT_BODY.search(text[:20000]) and hint == "agreement":
        return "agreement"
    if hint in DOCUMENT_KINDS and hint not in ("press_release", "agreement"):
        return hint  # type: ignore[return-value]
    return "web_page"
