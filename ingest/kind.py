"""Document kind by rules: press_release, agreement, decision, report or web_page.

The rules follow ../shared/LABELS.md ("kind"):

- ``decision``: protokoll, kallelser, tjänsteskrivelser, "beslut i korthet" and other
  summaries of a board's meeting, kommittédirektiv — recognised by the document's own heading
  or title, or by the furniture of minutes (numbered § items with justering or upprop);
- ``agreement``: the text of an agreement (its title names it, or an agreement's clauses);
- ``report``: reports, investigations, audits and bills, named so in the title or the
  document's own heading;
- ``press_release``: only items *labelled* as press releases — the page's own label
  ("Pressmeddelande", "Press release", "Pressinformation"), the press-room platforms'
  templates (Mynewsdesk's "Nyhet -" / "Pressmeddelande •", the sender's name alone on the
  first line above the headline), their URLs, or the source's kind;
- ``web_page``: everything else. A municipality's or region's "Nyhet", a news article or a
  page that quotes someone ("…, säger X") is a web page: quoted speech is no label.
"""

from __future__ import annotations

import re

from regionsok.records import DOCUMENT_KINDS, DocumentKind

# The page's own label on a line of its own near the top ("Pressmeddelande", "Pressmeddelande
# 160516", "Pressmeddelande från Socialdepartementet"), or Mynewsdesk's "Nyhet - " template.
_PRESS_LABEL = re.compile(
    r"^\s*(pressmeddelanden?|press release|pressinformation)\b[^\n]{0,60}$|^\s*nyhet\s+[-–•]",
    re.IGNORECASE | re.MULTILINE,
)
_PRESS_URL = re.compile(r"/(press|pressmeddelanden?|pressreleases?|pressrum)(/|$)|mynewsdesk|cision|notified|"
                        r"via\.tt\.se|newsroom|pressmachine|newsmachine", re.IGNORECASE)
# Press-room templates (Mynewsdesk, Via TT, the regions' own press rooms) put the sender's name
# alone on the first line, above the headline: "Region Örebro län", "Regionförbundet Jönköpings
# län", "Västerås stad". A website's own pages start with their headline or navigation instead.
_SENDER_LINE = re.compile(
    r"^(Region|Landstinget|Regionförbundet|Kommunförbundet|Kommunalförbundet)\s+[A-ZÅÄÖ][\wåäö-]*(\s+[\wåäö-]+){0,3}"
    r"|[A-ZÅÄÖ][\wåäö-]+\s+(kommun|stad)$"
)
_AGREEMENT_TITLE = re.compile(r"^\s*[\wåäö-]*(överenskommelse|avtal)\b", re.IGNORECASE)
_AGREEMENT_BODY = re.compile(r"(denna|den här)\s+överenskommelse|överenskommelsen\s+gäller|parterna\s+(är|har)\s+överens"
                             r"|undertecknas av parterna", re.IGNORECASE)
_DECISION_HEAD = re.compile(
    r"^\s*[•·\-]?\s*(protokoll|sammanträdesprotokoll|protokollsutdrag|utdrag ur protokoll|kallelse|tjänsteskrivelse"
    r"|beslut i korthet|kommittédirektiv|föredragningslista|dagordning)\b",
    re.IGNORECASE | re.MULTILINE,
)
# "Nyheter från regionstyrelsens sammanträde", "Beslut i korthet från kommunfullmäktige",
# "Kort om besluten i socialnämnden": a summary of one board meeting's decisions.
_DECISION_TITLE = re.compile(
    r"\b(beslut i korthet|i korthet|uppsnabbat|kort om besluten|nyheter från|beslut från|besluten från)\b"
    r".*(styrelse|fullmäktige|nämnd|sammanträde|möte)",  # also in compounds: "Uppsnabbat regionstyrelsen"
    re.IGNORECASE,
)
_BOARD = re.compile(r"(styrelse|fullmäktige|nämnd)(ns|ens|s)?\b", re.IGNORECASE)
_DIRECTIVE = re.compile(r"\bDir\.\s*\d{4}:\d+|beslut vid regeringssammanträde", re.IGNORECASE)
_MINUTES_FURNITURE = re.compile(r"justera|justering|upprop|förklarar sammanträdet|protokollet", re.IGNORECASE)
_PARAGRAPH = re.compile(r"§\s*\d+")
_REPORT_TITLE = re.compile(
    r"\b[\wåäö]*(rapport|utredning|utvärdering|uppföljning|kartläggning)\b|\bSOU\s+\d{4}:\d+|\bprop\.\s*\d{4}",
    re.IGNORECASE,
)
# A news item about a report ("Ny rapport visar …", "Rapporten visar") is not the report.
_ABOUT_A_REPORT = re.compile(r"\b(ny|nya)\s+[\wåäö]*rapport|rapport(en)?\s+(visar|pekar)|\bvisar\b", re.IGNORECASE)
_TABLE_OF_CONTENTS = re.compile(r"^\s*(innehåll|innehållsförteckning)\s*$", re.IGNORECASE | re.MULTILINE)


def classify_kind(text: str, *, title: str = "", url: str = "", hint: str | None = None) -> DocumentKind:
    """The kind of a document from its text, title, URL and the source's declared kind."""
    head = text[:1500]
    if _is_decision(head, title):
        return "decision"
    if _AGREEMENT_TITLE.search(title) or (url.lower().endswith(".pdf") and _AGREEMENT_BODY.search(text[:20000])):
        return "agreement"
    if _is_report(head, title):
        return "report"
    if _PRESS_LABEL.search(head[:800]) or hint == "press_release" or _PRESS_URL.search(url):
        return "press_release"
    first_line = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if _SENDER_LINE.fullmatch(first_line) and not re.search(r"^\s*nyhet(er)?\s*$", head, re.IGNORECASE | re.MULTILINE):
        return "press_release"
    if _AGREEMENT_BODY.search(text[:20000]) and hint == "agreement":
        return "agreement"
    if hint in DOCUMENT_KINDS and hint not in ("press_release", "agreement"):
        return hint  # type: ignore[return-value]
    return "web_page"


def _is_decision(head: str, title: str) -> bool:
    if _DECISION_HEAD.search(title) or _DECISION_HEAD.search(head[:300]):
        return True
    if _DECISION_TITLE.search(title) or _DIRECTIVE.search(title) or _DIRECTIVE.search(head[:600]):
        return True
    # Minutes: several numbered § items and the meeting's furniture (justering, upprop), or one
    # § item amid more of the furniture ("förklarar sammanträdet öppnat", "Upprop", "§ 80").
    paragraphs = len(_PARAGRAPH.findall(head))
    furniture = {m.group(0).lower() for m in _MINUTES_FURNITURE.finditer(head)}
    return (paragraphs >= 2 and bool(furniture)) or (paragraphs >= 1 and len(furniture) >= 2)


def _is_report(head: str, title: str) -> bool:
    if _REPORT_TITLE.search(title) and not _ABOUT_A_REPORT.search(title):
        return True
    # A document with its own table of contents and "rapport" in its heading lines.
    return bool(_TABLE_OF_CONTENTS.search(head)) and bool(re.search(r"[\wåäö]*rapport\b", head[:800], re.IGNORECASE))

