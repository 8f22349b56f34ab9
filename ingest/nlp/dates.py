"""Dates in Swedish (and a few English) formats → ISO strings.

Which dates count: the ones that say when something was published, decided or is valid.
Full dates ("12 november 2019", "den 2 oktober 2017", "2019-11-12", "[2019-11-12]",
"Jan 28, 2010", "Maj 28, 2014", "den första januari 2018", "sista oktober 2017") and
month-year ("i maj 2008") always count; a span of days ("den 6–12 oktober") gives its first and last day. A day without a year
("den 5 oktober") takes the year of the closest full date before it, else of the first
full date of the document. A bare year counts only in a validity phrase ("sedan 2017",
"från och med 2020") in a sentence about an agreement or decision — otherwise years are
too often budget years or history ("finansplanen för 2020") — or in a phrase that dates
something happening ("under 2024", "under våren 2016", "i slutet av 2018"), or as the period of
a plan or agreement written after its name ("handlingsplan 2020–2023" gives 2020 and 2023).
A month with no day or year after a preposition ("i februari", "sedan mitten av mars") and
"den 26/3" take the dateline's year; years listed after "Reviderad:" or "Antagen:" count.
Diarienummer and report numbers ("KS 2018-212", "Dnr 2019-2020") are not dates.
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
# "Jan 28, 2010", also Mynewsdesk's Swedish "Maj 28, 2014" / "Okt 19, 2012".
_MDY_MONTHS = {**_EN_MONTHS, **_SV_ABBR, **_SV_MONTHS}
_MDY_MONTH_RE = "|".join(sorted(_MDY_MONTHS, key=len, reverse=True))
_EN_MDY = re.compile(rf"(?<![\w])({_MDY_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,\s*((?:19|20)\d\d)(?![\d])", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_SV_MONTH_RE})\s+((?:19|20)\d\d)(?![\d])", re.IGNORECASE)
_YEAR_VALIDITY = re.compile(
    r"\b(sedan|från och med|fr\.\s?o\.\s?m\.|fr\.o\.m\.?|till och med|t\.\s?o\.\s?m\.|t\.o\.m\.?|"
    r"gäller(?: till| från| under)?|giltig(?:t|a)? (?:till|från|under))\s+(?:år\s+)?((?:19|20)\d\d)(?![\d-])",
    re.IGNORECASE,
)
_YEAR_RANGE = re.compile(r"\b(?:för|under|gäller|perioden|avser)\s+(?:åren\s+)?((?:19|20)\d\d)\s*[–-]\s*((?:19|20)\d\d)(?![\d])",
                         re.IGNORECASE)
# The period of a plan, budget or agreement written after its name: "handlingsplan 2020–2023",
# "Kulturplan för Skåne 2013-2015", "för åren 2009-2010" (a span of at most 10 years).
_PERIOD = re.compile(r"(?<=[^\W\d])[\s,:]+((?:19|20)\d\d)\s*[–-]\s*((?:19|20)\d\d)(?![\d-])")
# Diarienummer and report numbers ("KS 2018-212", "Dnr 2019-2020/14", "Rapport 2020:3").
_REFERENCE_BEFORE = re.compile(r"(dnr|diarienummer|diarienr|ärendenummer|ärende|rapport|nr|ks|rs|sn)\.?:?\s*$",
                               re.IGNORECASE)
# "mellan åren 2013–2018": a past period, background.
_BACKGROUND_BEFORE = re.compile(r"\b(mellan|sedan)(\s+åren)?[\s,:]*$", re.IGNORECASE)
# When something happens or is planned: "under 2024", "under våren 2016", "i slutet av 2018",
# "från sommaren 2014", "hösten/vintern 2019", "under 2018 och 2019".
_YEAR_WHEN = re.compile(
    r"\b(?:(?:under|från och med|till och med|inför|antogs|antas|fortsätter|påbörjas|införs|startar)\s+(?:år\s+)?(?:(?:året|våren|hösten|sommaren|vintern)(?:/\w+)?\s+)?"
    r"|(?:våren|hösten|sommaren|vintern)(?:/(?:våren|hösten|sommaren|vintern))?\s+"
    r"|i\s+(?:början|slutet|mitten)\s+av\s+)((?:19|20)\d\d)(?:\s+och\s+((?:19|20)\d\d))?(?![\d-])",
    re.IGNORECASE,
)
# "den första januari 2018", "sista oktober 2017", "den 1:a mars": ordinal days in words.
_ORDINALS = {"första": 1, "andra": 2, "tredje": 3, "fjärde": 4, "femte": 5, "sjätte": 6, "sjunde": 7,
             "åttonde": 8, "nionde": 9, "tionde": 10}
_ORDINAL_DATE = re.compile(
    rf"\b({'|'.join(_ORDINALS)}|sista)\s+({_SV_MONTH_RE})(?:\s+((?:19|20)\d\d))?(?![\w])", re.IGNORECASE
)
# "Den 6–12 oktober": a span of days gives its first and its last day.
_DAY_SPAN = re.compile(rf"(?<![\w-])(\d{{1,2}})\s*[–-]\s*(?P<last>\d{{1,2}})\s+({_SV_MONTH_RE})(?:\s+((?:19|20)\d\d))?(?![\w])",
                       re.IGNORECASE)
# A bare year is a validity date only in a sentence about an agreement, decision or rule.
_AGREEMENT_WORDS = re.compile(
    r"överenskommels|avtal|beslut|gäller|giltig|undertecknad|antag|trädde i kraft|träder i kraft|förläng|"
    r"agreement|policy|riktlinje|handlingsplan|lag\b|lagen\b",
    re.IGNORECASE,
)
# "den 26/3": a day and month in figures, with the dateline's year.
_DAY_SLASH_MONTH = re.compile(r"\bden\s+(\d{1,2})/(\d{1,2})(?![\d/])")
# A month with no day or year after a preposition ("I februari i år", "sedan mitten av mars",
# "fattar beslut i juni"): the month of the dateline's year (LABELS.md).
_MONTH_ALONE = re.compile(
    rf"\b(?:i|under|sedan|från|(?:i\s+)?mitten\s+av)"
    rf"\s+({_SV_MONTH_RE})\b(?!\s*\d)",
    re.IGNORECASE,
)
# Years an agreement or plan was revised or adopted, listed after the label:
# "Reviderad: 2013, 2016, 2020, 2022".
_YEARS_AFTER_LABEL = re.compile(
    r"\b(?:reviderad|reviderades|antagen|antogs|fastställd|fastställdes|beslutad)\s*:?\s*"
    r"((?:(?:19|20)\d\d|\d{3})(?:\s*(?:,|och)\s*(?:(?:19|20)\d\d|\d{3}))*)(?![\d-])",
    re.IGNORECASE,
)
# Forms of _YEAR_WHEN that say something is done or decided then, which count even before the
# dateline's year ("En nollvision antogs 2019", "Arbetet påbörjas under 2024").
_ACTION_BEFORE_YEAR = re.compile(
    r"\b(?:antogs|antas|påbörjas|påbörjades|införs|infördes|startar|startade|fortsätter|inför)\s+(?:under\s+)?(?:år\s+)?$",
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
        mo = _MDY_MONTHS[m[1].lower()]
        y, d = int(m[3]), int(m[2])
        if free(*m.span()) and _valid(y, mo, d):
            found.append(FoundDate(f"{y:04d}-{mo:02d}-{d:02d}", m.start()))
            covered.add(*m.span())
    yearless: list[tuple[int, int, int]] = []  # (start, month, day)
    for m in _ORDINAL_DATE.finditer(text):
        mo = _SV_MONTHS[m[2].lower()]
        if m[1].lower() == "sista":
            d = 31 if mo in (1, 3, 5, 7, 8, 10, 12) else 30
            if mo == 2:
                d = 29 if m[3] and int(m[3]) % 4 == 0 else 28
        else:
            d = _ORDINALS[m[1].lower()]
        if m[3] is not None:
            found.append(FoundDate(f"{int(m[3]):04d}-{mo:02d}-{d:02d}", m.start()))
        elif not (m[1].lower() == "sista" and mo == 2):
            yearless.append((m.start(), mo, d))
        covered.add(*m.span())
    for m in _DAY_SPAN.finditer(text):
        if not free(*m.span()):
            continue
        mo = _SV_MONTHS[m[3].lower()]
        for d in (int(m[1]), int(m["last"])):
            if m[4] is not None and _valid(int(m[4]), mo, d):
                found.append(FoundDate(f"{int(m[4]):04d}-{mo:02d}-{d:02d}", m.start()))
            elif 1 <= d <= 31:
                yearless.append((m.start(), mo, d))
        covered.add(*m.span())
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
    for m in _DAY_SLASH_MONTH.finditer(text):
        if free(*m.span()) and 1 <= int(m[2]) <= 12 and 1 <= int(m[1]) <= 31:
            yearless.append((m.start(), int(m[2]), int(m[1])))
            covered.add(*m.span())
    months_alone = [(m.start(1), _SV_MONTHS[m[1].lower()]) for m in _MONTH_ALONE.finditer(text) if free(*m.span(1))]
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
    for start, mo in months_alone:
        at = bisect_left(full_starts, start)
        anchor = full[at - 1] if at > 0 else (full[0] if full else None)
        if anchor is not None:
            found.append(FoundDate(f"{anchor.iso[:4]}-{mo:02d}", start))
    for m in _YEARS_AFTER_LABEL.finditer(text):
        for year in re.finditer(r"(?:19|20)\d\d", m.group(1)):  # "218" is a typo, not a year
            start = m.start(1) + year.start()
            if free(start, start + 4):
                found.append(FoundDate(year.group(0), start))
    for m in _YEAR_VALIDITY.finditer(text):
        if free(*m.span()) and _near_agreement(text, m.start()):
            found.append(FoundDate(m[2], m.start(2)))
    for m in _YEAR_RANGE.finditer(text):
        if free(*m.span()) and _near_agreement(text, m.start()):
            found.append(FoundDate(m[1], m.start(1)))
            found.append(FoundDate(m[2], m.start(2)))
    for m in _PERIOD.finditer(text):
        first, last = int(m[1]), int(m[2])
        if (free(*m.span(1)) and free(*m.span(2)) and first < last <= first + 10
                and not _REFERENCE_BEFORE.search(text, max(0, m.start() - 15), m.start(1))
                and not _BACKGROUND_BEFORE.search(text, max(0, m.start() - 15), m.start(1))):
            found.append(FoundDate(m[1], m.start(1)))
            found.append(FoundDate(m[2], m.start(2)))
            covered.add(m.start(1), m.end(2))
    # A year of something happening counts from the dateline's year on: "under 2020" in a 2021
    # text is the background of a statistic, "under 2024" in a 2024 text is the plan.
    dateline = min((f for f in found if len(f.iso) == 10), key=lambda f: f.start, default=None)
    since = int(dateline.iso[:4]) if dateline else 0
    for m in _YEAR_WHEN.finditer(text):
        if int(m[1]) < since and not _ACTION_BEFORE_YEAR.search(text, max(0, m.start(1) - 30), m.start(1)):
            continue
        if free(*m.span(1)):
            found.append(FoundDate(m[1], m.start(1)))
        if m[2] is not None and free(*m.span(2)):
            found.append(FoundDate(m[2], m.start(2)))
    found.sort(key=lambda f: f.start)
    return found


def unique_dates(found: list[FoundDate]) -> tuple[str, ...]:
    """ISO dates in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for f in found:
        seen.setdefault(f.iso, None)
    return tuple(seen)
