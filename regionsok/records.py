"""The records passed between stages, each defined once.

``FetchedPage`` (crawler → ingest) → ``Document`` (ingest) → ``Extraction`` (ingest NLP)
→ ``Chunk`` (search indexing) → ``Hit`` (search answers). ``Rejected`` is the typed
"could not become a document" outcome of extraction, carrying the reason.

Swedish terms used in field names: *län* is a county, identified by its two-digit SCB
code (``county_code``, "01" Stockholm … "25" Norrbotten); *kommun* is a municipality
(four-digit SCB code whose first two digits are its county).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

DocumentKind = Literal["press_release", "agreement", "decision", "report", "web_page"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("press_release", "agreement", "decision", "report", "web_page")
Language = Literal["sv", "en", "other"]


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of a string's UTF-8 encoding."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


#: The 21 counties' (län) SCB codes: the only county codes there are (02, 11, 15 and 16 went
#: when counties merged, in 1968 and 1998). Names and regions: ingest/data/regions.tsv.
COUNTY_CODES: tuple[str, ...] = (
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14",
    "17", "18", "19", "20", "21", "22", "23", "24", "25",
)


def document_counties(facets: dict[str, list[str]], county_code: str | None) -> list[str]:
    """The counties a document concerns: its NLP county facets, else its source's county.

    The same rule as the county filter (``search.catalog.Catalog``).
    """
    return list(facets.get("county") or ([county_code] if county_code else []))


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One HTTP response (or local file) as the crawler saw it, before extraction."""

    url: str
    body: bytes
    content_type: str = ""
    final_url: str | None = None
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    source: str | None = None  # sources.toml name, or "file" / "jsonl"
    county_code: str | None = None  # the source's county, a hint for extraction
    kind_hint: str | None = None  # the source's kind: press_release | agreement | mixed
    title_hint: str | None = None  # e.g. a JSONL record's title
    published_hint: str | None = None  # e.g. a JSONL record's published date
    doc_id: str | None = None  # a caller's own id for the document (JSONL "id"), else from the URL
    #: The address first asked for, when a redirect led to ``url`` (the document answers to both).
    requested_url: str | None = None
    #: SHA-256 of ``body``, computed once (ingest and the store both compare it; bodies reach 10 MB).
    sha256: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", sha256_hex(self.body))


@dataclass(frozen=True, slots=True)
class Document:
    """A text the product knows: extracted main text plus metadata.

    ``doc_id`` is stable: derived from the canonical URL, so re-crawling gives the same id.
    """

    doc_id: str
    url: str
    title: str
    text: str
    language: Language
    kind: DocumentKind
    published: date | None = None
    site_name: str | None = None
    source: str | None = None
    county_code: str | None = None  # hint from the source, not the extracted counties
    urls: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return sha256_hex(self.text)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not become a document, and why (shown to the user, never swallowed)."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Person:
    """A named person; ``party`` is a letter code (S, M, C, L, KD, V, MP, SD) or None."""

    name: str
    party: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence attributed to a person ("…, säger X")."""

    person: str
    text: str


@dataclass(frozen=True, slots=True)
class Amount:
    """A sum of money as written, and its value in SEK."""

    text: str
    sek: float


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the Swedish NLP pipeline found in one document."""

    kind: DocumentKind
    counties: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()
    quotes: tuple[Quote, ...] = ()
    dates: tuple[str, ...] = ()  # ISO: "2019-11-12", "2008-05" or "2017"
    amounts: tuple[Amount, ...] = ()
    focus_areas: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    pipeline_version: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `regionsok extract` (without ``id``)."""
        out = asdict(self)
        out.pop("pipeline_version")
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], pipeline_version: str = "") -> Extraction:
        return cls(
            kind=data["kind"],
            counties=tuple(data.get("counties", ())),
            organisations=tuple(data.get("organisations", ())),
            people=tuple(Person(**p) for p in data.get("people", ())),
            quotes=tuple(Quote(**q) for q in data.get("quotes", ())),
            dates=tuple(data.get("dates", ())),
            amounts=tuple(Amount(**a) for a in data.get("amounts", ())),
            focus_areas=tuple(data.get("focus_areas", ())),
            target_groups=tuple(data.get("target_groups", ())),
            pipeline_version=data.get("pipeline_version", pipeline_version),
        )


@dataclass(frozen=True, slots=True)
class StoredText:
    """A live document's current text, as the NLP and the indexer read it from the store."""

    doc_id: str
    sha256: str
    title: str
    text: str
    county_code: str | None = None  # the source's county (a hint)
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentBrief:
    """A live document as a listing shows it: no text, with its facets (facet → values).

    What the store's read path returns to search, regions and people, so no stage indexes
    another's query rows.
    """

    doc_id: str
    url: str
    title: str
    kind: str
    published: str | None
    language: str | None
    county_code: str | None  # the source's county (a hint)
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def counties(self) -> list[str]:
        """The counties the document concerns (:func:`document_counties`)."""
        return document_counties(self.facets, self.county_code)

    def facet(self, name: str) -> tuple[str, ...]:
        return tuple(self.facets.get(name, ()))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document that is embedded and keyword-indexed.

    ``chunk_id`` is stable for the same document version and position.
    """

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str  # includes the title prefix that is embedded


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions applied before ranking; empty tuples and None mean "any".

    The one filter record: the API and CLI fill it, the search stage checks it, the store
    turns it into its own SQL (``regionsok.store.chunks``).
    """

    counties: tuple[str, ...] = ()  # county codes "01".."25"
    kinds: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    language: str | None = None  # "sv" | "en" | "other"
    organisations: tuple[str, ...] = ()  # canonical names or folded variants
    people: tuple[str, ...] = ()  # person names (folded match)
    focus_areas: tuple[str, ...] = ()  # taxonomy slugs
    target_groups: tuple[str, ...] = ()  # taxonomy slugs

    def is_empty(self) -> bool:
        return self == SearchFilters()


@dataclass(frozen=True, slots=True)
class Hit:
    """One document in a search answer, with its best passage."""

    doc_id: str
    url: str
    title: str
    kind: str
    published: str | None
    counties: tuple[str, ...]
    score: float
    snippet: str
    chunk_id: str | None = None
    organisations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    focus_areas: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    language: str | None = None
