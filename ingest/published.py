"""The publication date of a page when its HTML metadata does not say.

Looks only near the top of the text, where press rooms print the date ("[2019-11-12]",
"Pressmeddelande • Jan 28, 2010 09:52 CET", "Publicerad 12 november 2019"), so a date
mentioned in the body ("Den 29 januari arrangerar…") is not taken for the publication date.
"""

from __future__ import annotations

import re
from datetime import date

from ingest.nlp.dates import _EN_MONTHS, _SV_ABBR, _SV_MONTHS

# Swedish and English month names and abbreviations → month number.
MONTHS = {**_SV_MONTHS, **_EN_MONTHS, **_SV_ABBR}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH})\.?\s+(\d{{4}})", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}),\s*(\d{{4}})", re.IGNORECASE)
_LABELLED = re.compile(r"(publicerad|pressmeddelande|datum|published)", re.IGNORECASE)
# A line that opens with a date ("12 november 2019 Region Skåne har i dag …", "Den 3 mars 2020
# beslutade …"): a plain text with no dateline states its date first, whatever follows it.
_OPENS_WITH_DATE = re.compile(
    rf"^\s*(?:(?:den|måndag(?:en)?|tisdag(?:en)?|onsdag(?:en)?|torsdag(?:en)?|fredag(?:en)?|lördag(?:en)?"
    rf"|söndag(?:en)?),?\s+)*(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\s+(?:{_MONTH})\.?\s+\d{{4}}|(?:{_MONTH})\.?\s+\d{{1,2}},\s*\d{{4}})"
    rf"(?![\d-])",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"(senast (uppdaterad|ändrad)|uppdaterad)", re.IGNORECASE)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        found = date(y, m, d)
    except ValueError:
        return None
    return found if 1990 <= y <= date.today().year + 1 else None


def _dates_in(line: str) -> list[date]:
    found: list[date] = []
    for m in _ISO.finditer(line):
        if (d := _valid(int(m[1]), int(m[2]), int(m[3]))) is not None:
            found.append(d)
    for m in _DAY_MONTH_YEAR.finditer(line):
        if (d := _valid(int(m[3]), MONTHS[m[2].lower()], int(m[1]))) is not None:
            found.append(d)
    for m in _MONTH_DAY_YEAR.finditer(line):
        if (d := _valid(int(m[3]), MONTHS[m[1].lower()], int(m[2]))) is not None:
            found.append(d)
    return found


def find_published(text: str, head_lines: int = 8) -> date | None:
    """A publication date from the first lines of ``text``, else a 'Senast uppdaterad' line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for line in lines[:head_lines]:
        if _UPDATED.search(line):
            continue
        dates = _dates_in(line)
        if dates and (len(line) < 80 or _LABELLED.search(line)):
            return dates[0]
        opening = _OPENS_WITH_DATE.match(line)
        if opening and (found := _dates_in(opening.group(0))):
            return found[0]
    for line in lines[-6:]:
        if _UPDATED.search(line) and (dates := _dates_in(line)):
            return dates[0]
    return None


def parse_date(value: str | None) -> date | None:
    """An ISO date (or datetime) string as a date; None when absent or unparseable."""
    if not value:
        return None
    m = _ISO.search(value)
    if m:
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    dates = _dates_in(value)
    return dates[0] if dates else None
