"""Dates in Swedish (and a few English) formats → ISO strings.

Which dates count: the ones that say when something was published, decided or is valid.
Full dates ("12 november 2019", "den 2 oktober 2017", "2019-11-12", "[2019-11-12]",
"Jan 28, 2010") and month-year ("i maj 2008") always count. A day without a year
("den 5 oktober") takes the year of the closest full date before it, else of the first
full date of the document. A bare year counts only in a validity phrase ("sedan 2017",
"från och med 2020") in a sentence about an agreement or decision — otherwise years are
too often budget years or history ("finansplanen för 2020").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date

_SV_MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_EN_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_SV_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
            "okt": 10, "nov": 11, "dec": 12}

_SV_MONTH_RE = "|".join(sorted(_SV_MONTHS, key=len, reverse=True))
_SV_ABBR_RE = "|".join(sorted(_SV_ABBR, key=len, reverse=True))
_EN_MONTH_RE = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<![\d-])((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d])")
_SV_FULL = re.compile(
    rf"(?<![\w])(\d{{1,2}})(?::e|:a)?\s+({_SV_MONTH_RE}|(?:{_SV_ABBR_RE})\.?)(?:\s+((?:19|20)\d\d))?(?![\w])",
    re.IGNORECASE,
)
_EN_MDY = re.compile(rf"(?<![\w])({_EN_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,\s*((?:19|20)\d\d)(?![\d])", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_SV_MONTH_RE})\s+((?:19|20)\d\d)(?![\d])", re.IGNORECASE)
_YEAR_VALIDITY = re.compile(
    r"\b(sedan|från och med|fr\.\s?o\.\s?m\.|fr\.o\.m\.?|till och med|t\.\s?o\.\s?m\.|t\.o\.m\.?|"
    r"gäller(?: till| från| under)?|giltig(?:t|a)? (?:till|från|under))\s+(?:år\s+)?((?:19|20)\d\d)(?![\d-])",
    re.IGNORECASE,
)
_YEAR_RANGE = re.compile(r"\b(?:för|under|gäller|perioden|avser)\s+(?:åren\s+)?((?:19|20)\d\d)\s*[–-]\s*((?:19|20)\d\d)(?![\d])",
                         re.IGNORECASE)
# A bare year is a validity date only in a sentence about an agreement, decision or rule.
_AGREEMENT_WORDS = re.compile(
    r"överenskommels|avtal|beslut|gäller|giltig|undertecknad|antag|trädde i kraft|träder i kraft|förläng|"
    r"agreement|policy|riktlinje|handlingsplan|lag\b|lagen\b",
    re.IGNORECASE,
)
_STAMP_BEFORE = re.compile(r"(?:uppdaterad|ändrad|granskad|reviderad)\w*:?\s*(?:den\s+)?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]\s|\n\s*\n")


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date found in a text: its ISO form and where it starts."""

    iso: str
    start: int


class _Spans:
    """Character spans already taken by a date, kept sorted so a lookup is a bisection."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        at = bisect_left(self._starts, start)
        self._starts.insert(at, start)
        self._ends.insert(at, end)

    def free(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps no taken span (taken spans never overlap each other)."""
        at = bisect_left(self._starts, end)
        return at == 0 or self._ends[at - 1] <= start


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def _near_agreement(text: str, pos: int, before: int = 60, after: int = 40) -> bool:
    """Whether an agreement/decision word is close to ``pos`` within the same sentence.

    Close, not merely in the sentence: "nämnden beslutade … en förening som funnits sedan
    2008" names a decision but the year dates the association.
    """
    start = max(0, pos - before)
    for m in _SENTENCE_END.finditer(text, start, pos):
        start = m.end()
    end_match = _SENTENCE_END.search(text, pos, pos + after)
    end = end_match.start() if end_match else min(len(text), pos + after)
    return _AGREEMENT_WORDS.search(text, start, end) is not None


def find_dates(text: str) -> list[FoundDate]:
    """Every countable date in ``text``, in order of appearance (duplicates kept)."""
    found: list[FoundDate] = []
    covered = _Spans()
    free = covered.free

    for m in _ISO.finditer(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if _valid(y, mo, d):
            found.append(FoundDate(f"{y:04d}-{mo:02d}-{d:02d}", m.start()))
            covered.add(*m.span())
    for m in _EN_MDY.finditer(text):
        mo = _EN_MONTHS[m[1].lower()]
        y, d = int(m[3]), int(m[2])
        if free(*m.span()) and _valid(y, mo, d):
            found.append(FoundDate(f"{y:04d}-{mo:02d}-{d:02d}", m.start()))
            covered.add(*m.span())
    yearless: list[tuple[int, int, int]] = []  # (start, month, day)
    for m in _SV_FULL.finditer(text):
        if not free(*m.span()):
            continue
        word = m[2].lower().rstrip(".")
        month = _SV_MONTHS.get(word) or _SV_ABBR.get(word)
        if month is None:
            continue
        mo, d = month, int(m[1])
        # A bare abbreviation such as "3 mar" without a year is too often not a date.
        if m[3] is None and word not in _SV_MONTHS:
            continue
        if m[3] is not None:
            y = int(m[3])
            if _valid(y, mo, d):
                found.append(FoundDate(f"{y:04d}-{mo:02d}-{d:02d}", m.start()))
        elif 1 <= d <= 31:
            yearless.append((m.start(), mo, d))
        covered.add(*m.span())
    for m in _MONTH_YEAR.finditer(text):
        if free(*m.span()):
            found.append(FoundDate(f"{int(m[2]):04d}-{_SV_MONTHS[m[1].lower()]:02d}", m.start()))
            covered.add(*m.span())
    # A day without a year belongs with the story's dates, not with an "uppdaterad" stamp.
    full = sorted(
        (f for f in found if len(f.iso) == 10 and not _STAMP_BEFORE.search(text, max(0, f.start - 30), f.start)),
        key=lambda f: f.start,
    )
    full_starts = [f.start for f in full]
    for start, mo, d in yearless:
        at = bisect_left(full_starts, start)
        anchor = full[at - 1] if at > 0 else (full[0] if full else None)
        if anchor is None:
            continue
        y = int(anchor.iso[:4])
        if _valid(y, mo, d):
            found.append(FoundDate(f"{y:04d}-{mo:02d}-{d:02d}", start))
    for m in _YEAR_VALIDITY.finditer(text):
        if free(*m.span()) and _near_agreement(text, m.start()):
            found.append(FoundDate(m[2], m.start(2)))
    for m in _YEAR_RANGE.finditer(text):
        if free(*m.span()) and _near_agreement(text, m.start()):
            found.append(FoundDate(m[1], m.start(1)))
            found.append(FoundDate(m[2], m.start(2)))
    found.sort(key=lambda f: f.start)
    return found


def unique_dates(found: list[FoundDate]) -> tuple[str, ...]:
    """ISO dates in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for f in found:
        seen.setdefault(f.iso, None)
    return tuple(seen)
