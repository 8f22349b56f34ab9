"""The keyword side: BM25 over memory-mapped postings, written with each index generation.

Why not SQLite FTS5 any more: a taxonomy concept ORs a dozen prefix terms ("spelberoend"*
OR "spelmissbruk"* …), and FTS5 expands and ranks that OR query at search time, for every
query and filter: 60 % of a search at 133k chunks, growing with the corpus (issue 15,
bench/keyword_options.py). Here a concept's terms are known when a chunk is indexed, so
each one is a precomputed posting list, and a search reads a few arrays and adds them up.

Scores are FTS5's ``bm25()`` exactly (k1 = 1.2, b = 0.75, idf = ln((N − n + ½)/(n + ½)),
at least 1e-6), over the same terms, so rankings do not change with the engine:

- a token (``"barn"``) scores its own postings;
- a prefix (``"spelberoend"*``) is one term whose frequency in a chunk is the sum over the
  tokens it prefixes and whose document frequency counts chunks with any of them (FTS5's
  rule for a prefix phrase);
- a phrase (``"psykisk häls"``) counts the places its tokens stand next to each other
  (a hyphenated term is a phrase too, as in FTS5: ``"covid-19"`` is ``covid`` then ``19``).

Prefixes and phrases named in ``expressions`` (every concept term of the taxonomy) are
computed when a segment is built; others are computed at search time (a prefix from the
sorted vocabulary; a phrase approximated by its rarest token's chunks that hold every token).

Layout: a generation's ``keyword/`` holds ``segments.json`` and one folder per segment of
``.npy`` arrays, opened with ``mmap_mode="r"``, so worker processes share the pages and a
process touches only the posting lists its queries read. Segments are immutable: a new
generation hard-links the previous one's segments, adds one segment for its new chunks,
and marks removed chunks dead in a mask of its own. Statistics (N, average length,
document frequencies) are over live chunks only, so a dead chunk changes no score.
When segments or dead chunks pile up, everything is rebuilt into one segment.

Why impact-ordered copies: at a million chunks a common word ("barn", "vård") has hundreds
of thousands of postings, and scoring all of them to keep the best 200 was most of a
search (bench/api_load.py --chunks 1000000: 50 ms a query in the keyword stage alone).
Every posting list of at least IMPACT_MIN rows therefore also has its rows sorted by their
BM25 term weight, with an upper bound of that weight every IMPACT_BLOCK rows. A search
scores the head of each such list, and every row found there exactly (each list looked up
by binary search); it stops once the k-th best exact score beats the most any row not yet
seen could still reach (the sum of every list's bound at the depth read). That is the
threshold algorithm (Fagin, Lotem and Naor 2003): the result is the same rows in the same
order as scoring everything, usually after reading a few thousand postings.

Why whole concept rankings are stored: a concept ORs a dozen terms of similar weight, and no
bound stops early on those (each row holds one or two of them). Its ranking depends only on
the generation, so ``write_keyword_index`` ranks every concept in full once (a second or two
at a million chunks) and a search reads the first k rows its filter admits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regionsok.errors import IndexError_

FORMAT_VERSION = 1
DIRECTORY = "keyword"
MANIFEST = "segments.json"
#: Tokens are stored in a fixed-width byte array (sorted, for prefix ranges); a longer token
#: (a URL, a base64 blob in a page) is cut here, and a query token is cut the same way.
MAX_TERM_BYTES = 48
K1 = 1.2
B = 0.75
#: Merge every segment into one above this many segments, or when this share of rows is dead.
MAX_SEGMENTS = 6
MAX_DEAD_SHARE = 0.25
#: Below this many chunks every update rebuilds from scratch (a second or two at most).
REBUILD_BELOW = 50_000

#: FTS5's unicode61 tokenizer splits at every character that is not a letter or digit; the
#: normaliser's terms hold only those plus inner hyphens and apostrophes ("covid-19"), so
#: splitting at those too gives FTS5's tokens, document lengths and phrases exactly.
_TOKEN = re.compile(r"[^\s\-']+")

_ARRAYS = ("vec_ids", "lengths", "terms", "indptr", "rows", "tfs", "extra_indptr", "extra_rows", "extra_tfs")
#: The impact-ordered copies (see the module docstring). Optional: a segment written before
#: them is scored exhaustively, and the next generation adds them (``ensure_impacts``).
_IMPACT_ARRAYS = ("impact_indptr", "impact_rows", "bound_indptr", "impact_bounds")
_RANKING_ARRAYS = ("ranking_indptr", "ranking_rows", "ranking_scores")
#: Lists shorter than this are scored whole: a few thousand postings cost less than the lookups.
IMPACT_MIN = 1024
#: One stored bound per this many impact-ordered rows (the bound of every row from there on).
IMPACT_BLOCK = 64
#: Rows read from the head of each impact-ordered list in the first round (then 4× a round).
FIRST_DEPTH = 512
#: In a large index a word found in more than this share of all chunks ("kommun", "psykisk"
#: in a corpus about psychiatry) is left out of keyword rankings: its BM25 weight is close to
#: nothing, yet ranking it means scoring most of the keyword postings (measured with FTS5: ~200 ms a query at
#: 133k chunks, bench/api_load.py). The vector ranking still sees it. Small indexes keep
#: every word, so their rankings are exactly BM25's.
COMMON_TERM_SHARE = 0.25
COMMON_TERM_MIN_CHUNKS = 20_000
#: The threshold path is given up when the rows it would look up (in every list) pass this
#: share of all the postings (a lookup costs a few times what adding one posting does).
LOOKUP_SHARE = 0.25
#: Slack on the stopping bound, far above float rounding, so an unseen row never ties the k-th.
_BOUND_SLACK = 1 + 1e-9


@dataclass(frozen=True, slots=True)
class Term:
    """One FTS5-style term: a token, a prefix of tokens, or a phrase (possibly ending in a prefix)."""

    tokens: tuple[str, ...]
    prefix: bool = False


def parse_term(expression: str) -> Term | None:
    """``"barn"`` / ``"spelberoend"*`` / ``"psykisk häls"`` as a :class:`Term` (None if empty)."""
    text = expression.strip()
    prefix = text.endswith("*")
    text = text.rstrip("*").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    tokens = tuple(_TOKEN.findall(text))
    return Term(tokens, prefix) if tokens else None


def single_token(term: str) -> str | None:
    """The bare token of a one-word, non-prefix term ('"barn"' → 'barn'); else None."""
    if len(term) > 2 and term[0] == term[-1] == '"' and " " not in term and '""' not in term[1:-1]:
        return term[1:-1]
    return None


def _ranking_key(expressions: Iterable[str]) -> str:
    return "\x1f".join(dict.fromkeys(expressions))


def _cut(token: str) -> bytes:
    raw = token.encode("utf-8")
    if len(raw) <= MAX_TERM_BYTES:
        return raw
    return raw[:MAX_TERM_BYTES].decode("utf-8", "ignore").encode("utf-8")


def expressions_key(expressions: Sequence[str]) -> str:
    """A digest of the precomputed expressions (a taxonomy change means a rebuild)."""
    return hashlib.sha256("\n".join(sorted(set(expressions))).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PostingList:
    """One expression's postings in one segment: rows ascending with their frequencies, and
    for a long list the same rows by descending term weight with a bound per block."""

    rows: np.ndarray
    tfs: np.ndarray
    impact_rows: np.ndarray | None = None
    bounds: np.ndarray | None = None  # bounds[j] ≥ the weight of impact_rows[j·IMPACT_BLOCK:]

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def frequencies(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``rows``, frequency) of the given ascending rows that this list holds."""
        if not self.rows.shape[0] or not rows.size:
            return np.empty(0, np.int64), np.empty(0, np.uint32)
        pos = np.searchsorted(self.rows, rows)
        inside = pos < self.rows.shape[0]
        hit = np.flatnonzero(inside)
        hit = hit[np.asarray(self.rows[pos[hit]]) == rows[hit]]
        return hit, np.asarray(self.tfs[pos[hit]], dtype=np.uint32)


def _average_length(lengths: np.ndarray) -> float:
    return float(np.asarray(lengths, dtype=np.int64).sum()) / lengths.shape[0] if lengths.shape[0] else 1.0


def _impact_arrays(lengths: np.ndarray, spaces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """The impact-ordered copies of every list of at least IMPACT_MIN postings, over list
    spaces given as (indptr, rows, tfs) and numbered one after the other (terms, extras).

    A row's weight is BM25's tf / (tf + k1 · (1 − b + b · dl / avgdl)) with this segment's
    average length; a search under another average rescales the bounds (``_scale``).
    Equal weights keep ascending rows. Bounds are rounded up to float32.
    """
    norm = K1 * (1 - B + B * np.asarray(lengths, dtype=np.float64) / _average_length(lengths))
    sizes = np.concatenate([np.diff(np.asarray(indptr, dtype=np.int64)) for indptr, _, _ in spaces])
    long = sizes >= IMPACT_MIN
    impact_indptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(np.where(long, sizes, 0), out=impact_indptr[1:])
    bound_indptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(np.where(long, -(-sizes // IMPACT_BLOCK), 0), out=bound_indptr[1:])
    impact_rows = np.empty(int(impact_indptr[-1]), dtype=np.int32)
    impact_bounds = np.empty(int(bound_indptr[-1]), dtype=np.float32)
    first = 0
    for indptr, rows, tfs in spaces:
        for t in np.flatnonzero(long[first:first + indptr.shape[0] - 1]):
            start, end = int(indptr[t]), int(indptr[t + 1])
            r = np.asarray(rows[start:end])
            tf = np.asarray(tfs[start:end], dtype=np.float64)
            weight = tf / (tf + norm[r])
            order = np.argsort(-weight, kind="stable")
            at = int(impact_indptr[first + t])
            impact_rows[at:at + r.size] = r[order]
            heads = weight[order][::IMPACT_BLOCK]
            rounded = heads.astype(np.float32)
            rounded = np.where(rounded < heads, np.nextafter(rounded, np.float32(np.inf)), rounded)
            b_at = int(bound_indptr[first + t])
            impact_bounds[b_at:b_at + heads.size] = rounded
        first += indptr.shape[0] - 1
    return {"impact_indptr": impact_indptr, "impact_rows": impact_rows,
            "bound_indptr": bound_indptr, "impact_bounds": impact_bounds}


# -- one segment ----------------------------------------------------------------------------------


class Segment:
    """An immutable set of chunks: sorted vocabulary, posting lists, precomputed expressions."""

    def __init__(self, path: Path, arrays: dict[str, np.ndarray], extras: dict[str, int]) -> None:
        self.path = path
        self.vec_ids: np.ndarray = arrays["vec_ids"]  # int64, ascending: row i is chunk vec_ids[i]
        self.lengths: np.ndarray = arrays["lengths"]  # int32 tokens per row (BM25's document length)
        self.terms: np.ndarray = arrays["terms"]  # S{MAX_TERM_BYTES}, ascending
        self.indptr: np.ndarray = arrays["indptr"]  # int64, postings of term t: [indptr[t], indptr[t+1])
        self.rows: np.ndarray = arrays["rows"]  # int32 row of each posting
        self.tfs: np.ndarray = arrays["tfs"]  # uint16 frequency of each posting
        self.extras = extras  # expression → index into the extra_* arrays
        self.extra_indptr: np.ndarray = arrays["extra_indptr"]
        self.extra_rows: np.ndarray = arrays["extra_rows"]
        self.extra_tfs: np.ndarray = arrays["extra_tfs"]
        # Impact-ordered rows of the long lists: list t (terms, then extras after them) has
        # impact_rows[impact_indptr[t]:impact_indptr[t+1]] (empty for a short list) and a bound
        # per IMPACT_BLOCK of them in impact_bounds[bound_indptr[t]:bound_indptr[t+1]].
        self.impacts: dict[str, np.ndarray] | None = (
            {name: arrays[name] for name in _IMPACT_ARRAYS} if all(n in arrays for n in _IMPACT_ARRAYS) else None)
        # The average length the impacts were computed with (every row was live then).
        self.built_avgdl = _average_length(self.lengths)

    def __len__(self) -> int:
        return int(self.vec_ids.shape[0])

    @classmethod
    def load(cls, path: Path) -> Segment:
        try:
            arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
            if (path / f"{_IMPACT_ARRAYS[0]}.npy").exists():
                arrays.update({name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _IMPACT_ARRAYS})
            extras = json.loads((path / "extras.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise IndexError_(f"cannot read keyword segment {path}: {err}") from err
        return cls(path, arrays, {str(k): int(v) for k, v in extras.items()})

    @classmethod
    def build(cls, path: Path, items: Iterable[tuple[int, str]], expressions: Sequence[str] = ()) -> Segment:
        """Index ``(vec_id, norm)`` pairs in ascending vec_id order (``norm``: search.normalize's
        terms); ``items`` is read once, so a million chunks can stream from the store."""
        vec_id_list = array("q")
        vocab: dict[str, int] = {}
        term_ids = array("i")
        tfs = array("H")
        counts = array("i")  # distinct terms per row
        lengths = array("i")
        by_first: dict[str, list[tuple[int, Term]]] = {}
        extras = [(e, t) for e in dict.fromkeys(expressions) if (t := parse_term(e)) is not None]
        extra_index = {e: i for i, (e, _) in enumerate(extras)}
        for slot, (_, term) in enumerate(extras):
            if len(term.tokens) > 1:
                by_first.setdefault(term.tokens[0], []).append((slot, term))
        phrase_rows: list[list[int]] = [[] for _ in extras]
        phrase_tfs: list[list[int]] = [[] for _ in extras]
        for row, (vec_id, norm) in enumerate(items):
            if vec_id_list and vec_id <= vec_id_list[-1]:
                raise IndexError_(f"keyword rows must come in ascending vec_id order ({vec_id} after {vec_id_list[-1]})")
            vec_id_list.append(vec_id)
            tokens = _TOKEN.findall(norm)
            lengths.append(len(tokens))
            counter = Counter(tokens)
            counts.append(len(counter))
            for token, tf in counter.items():
                term_id = vocab.get(token)
                if term_id is None:
                    term_id = vocab[token] = len(vocab)
                term_ids.append(term_id)
                tfs.append(min(tf, 65535))
            if by_first and not by_first.keys().isdisjoint(counter):
                for slot, count in _phrase_counts(tokens, by_first).items():
                    phrase_rows[slot].append(row)
                    phrase_tfs[slot].append(min(count, 65535))
        n_rows = len(vec_id_list)
        vec_ids = np.frombuffer(vec_id_list, dtype=np.int64).copy()
        rows = np.repeat(np.arange(n_rows, dtype=np.int32), np.frombuffer(counts, dtype=np.int32))
        ids = np.frombuffer(term_ids, dtype=np.int32)
        freq = np.frombuffer(tfs, dtype=np.uint16)
        # Sort the vocabulary as bytes (cut to MAX_TERM_BYTES: cut tokens that collide merge).
        words = np.array([_cut(w) for w in vocab], dtype=f"S{MAX_TERM_BYTES}")
        terms, inverse = np.unique(words, return_inverse=True)
        new_ids = inverse.astype(np.int64)[ids] if ids.size else np.empty(0, np.int64)
        order = np.lexsort((rows, new_ids))
        new_ids, rows, freq = new_ids[order], rows[order], freq[order].astype(np.uint32)
        if new_ids.size:  # a cut collision puts one term twice in a row: add those up
            start = np.flatnonzero(np.r_[True, (new_ids[1:] != new_ids[:-1]) | (rows[1:] != rows[:-1])])
            freq = np.add.reduceat(freq, start)
            new_ids, rows = new_ids[start], rows[start]
        indptr = np.zeros(terms.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(new_ids, minlength=terms.shape[0]), out=indptr[1:])
        arrays: dict[str, np.ndarray] = {
            "vec_ids": vec_ids, "lengths": np.frombuffer(lengths, dtype=np.int32).copy(), "terms": terms,
            "indptr": indptr, "rows": rows.astype(np.int32), "tfs": np.minimum(freq, 65535).astype(np.uint16),
        }
        segment = cls(path, {**arrays, "extra_indptr": np.zeros(1, np.int64),
                             "extra_rows": np.empty(0, np.int32), "extra_tfs": np.empty(0, np.uint16)}, {})
        # Precomputed expressions: phrases from the scan above, prefixes from the vocabulary.
        extra_rows: list[np.ndarray] = []
        extra_tfs: list[np.ndarray] = []
        for slot, (_, term) in enumerate(extras):
            if len(term.tokens) > 1:
                r, f = np.array(phrase_rows[slot], np.int32), np.array(phrase_tfs[slot], np.uint16)
            else:
                r, f = segment._computed(term)
            extra_rows.append(r.astype(np.int32))
            extra_tfs.append(f.astype(np.uint16))
        extra_indptr = np.zeros(len(extras) + 1, dtype=np.int64)
        np.cumsum([r.size for r in extra_rows], out=extra_indptr[1:])
        arrays["extra_indptr"] = extra_indptr
        arrays["extra_rows"] = np.concatenate(extra_rows) if extra_rows else np.empty(0, np.int32)
        arrays["extra_tfs"] = np.concatenate(extra_tfs) if extra_tfs else np.empty(0, np.uint16)
        arrays.update(_impact_arrays(arrays["lengths"], [(arrays["indptr"], arrays["rows"], arrays["tfs"]),
                                                          (extra_indptr, arrays["extra_rows"], arrays["extra_tfs"])]))
        path.mkdir(parents=True, exist_ok=True)
        for name, values in arrays.items():
            np.save(path / f"{name}.npy", values)
        (path / "extras.json").write_text(json.dumps(extra_index, ensure_ascii=False), encoding="utf-8")
        return cls.load(path)

    def ensure_impacts(self, path: Path) -> None:
        """Write the impact-ordered copies into ``path`` (this segment's files, linked into a
        new generation) if this segment was written before they existed."""
        if self.impacts is not None:
            return
        arrays = _impact_arrays(np.asarray(self.lengths), [
            (np.asarray(self.indptr), np.asarray(self.rows), np.asarray(self.tfs)),
            (np.asarray(self.extra_indptr), np.asarray(self.extra_rows), np.asarray(self.extra_tfs))])
        for name, values in arrays.items():
            np.save(path / f"{name}.npy", values)

    # -- postings -------------------------------------------------------------------------------

    def _token_range(self, token: str, prefix: bool) -> tuple[int, int]:
        key = _cut(token)
        lo = int(np.searchsorted(self.terms, key, side="left"))
        if prefix:
            hi = int(np.searchsorted(self.terms, key + b"\xff", side="left"))
        else:
            hi = lo + 1 if lo < self.terms.shape[0] and self.terms[lo] == key else lo
        return lo, hi

    def _range_postings(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        if hi <= lo:
            return np.empty(0, np.int32), np.empty(0, np.uint32)
        start, end = int(self.indptr[lo]), int(self.indptr[hi])
        rows = np.asarray(self.rows[start:end])
        tfs = np.asarray(self.tfs[start:end], dtype=np.uint32)
        if hi - lo > 1:  # several tokens share the prefix: one frequency per row
            unique, inverse = np.unique(rows, return_inverse=True)
            return unique.astype(np.int32), np.bincount(inverse, weights=tfs).astype(np.uint32)
        return rows, tfs

    def _computed(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        """Postings of a term not precomputed: a token or prefix exactly, a phrase approximately."""
        if len(term.tokens) == 1:
            return self._range_postings(*self._token_range(term.tokens[0], term.prefix))
        # A phrase nobody precomputed (the taxonomy changed since this segment was built):
        # the rows holding every token, each counted with its rarest token's frequency.
        parts = [self._range_postings(*self._token_range(t, term.prefix and i == len(term.tokens) - 1))
                 for i, t in enumerate(term.tokens)]
        parts.sort(key=lambda p: p[0].size)
        rows, tfs = parts[0]
        for other_rows, _ in parts[1:]:
            keep = np.isin(rows, other_rows, assume_unique=True)
            rows, tfs = rows[keep], tfs[keep]
        return rows, tfs

    def posting_list(self, expression: str) -> PostingList:
        """One expression's postings here, with their impact order when the list is long."""
        slot = self.extras.get(expression)
        if slot is not None:
            start, end = int(self.extra_indptr[slot]), int(self.extra_indptr[slot + 1])
            return self._stored_list(self.terms.shape[0] + slot, self.extra_rows[start:end], self.extra_tfs[start:end])
        term = parse_term(expression)
        if term is None:
            return PostingList(np.empty(0, np.int32), np.empty(0, np.uint32))
        if len(term.tokens) == 1:
            lo, hi = self._token_range(term.tokens[0], term.prefix)
            if hi - lo == 1:
                start, end = int(self.indptr[lo]), int(self.indptr[hi])
                return self._stored_list(lo, self.rows[start:end], self.tfs[start:end])
        return PostingList(*self._computed(term))

    def _stored_list(self, list_id: int, rows: np.ndarray, tfs: np.ndarray) -> PostingList:
        impacts = self.impacts
        if impacts is None or rows.shape[0] < IMPACT_MIN:
            return PostingList(rows, tfs)
        start, end = int(impacts["impact_indptr"][list_id]), int(impacts["impact_indptr"][list_id + 1])
        b_start, b_end = int(impacts["bound_indptr"][list_id]), int(impacts["bound_indptr"][list_id + 1])
        if end - start != rows.shape[0]:
            raise IndexError_(f"keyword segment {self.path}: impact list {list_id} does not match its postings")
        return PostingList(rows, tfs, impacts["impact_rows"][start:end], impacts["impact_bounds"][b_start:b_end])

    def postings(self, expression: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of one expression in this segment (rows ascending)."""
        slot = self.extras.get(expression)
        if slot is not None:
            start, end = int(self.extra_indptr[slot]), int(self.extra_indptr[slot + 1])
            return np.asarray(self.extra_rows[start:end]), np.asarray(self.extra_tfs[start:end], dtype=np.uint32)
        term = parse_term(expression)
        if term is None:
            return np.empty(0, np.int32), np.empty(0, np.uint32)
        return self._computed(term)


def _phrase_counts(tokens: list[str], by_first: dict[str, list[tuple[int, Term]]]) -> dict[int, int]:
    """How often each phrase (slot → Term, keyed by its first token) stands in ``tokens``."""
    found: dict[int, int] = {}
    for i, token in enumerate(tokens):
        for slot, term in by_first.get(token, ()):
            n = len(term.tokens)
            window = tokens[i:i + n]
            if len(window) == n and all(a == b for a, b in zip(window[:-1], term.tokens[:-1], strict=True)) and (
                    window[-1].startswith(term.tokens[-1]) if term.prefix else window[-1] == term.tokens[-1]):
                found[slot] = found.get(slot, 0) + 1
    return found


# -- the index of a generation ------------------------------------------------------------------


class KeywordIndex:
    """The live rows of a generation's segments, searchable with BM25."""

    def __init__(self, directory: Path, segments: list[Segment], dead: list[np.ndarray | None],
                 manifest: dict[str, object]) -> None:
        self.directory = directory
        self.segments = segments
        self.manifest = manifest
        self.live = [np.ones(len(s), dtype=bool) if d is None else ~np.asarray(d, dtype=bool)
                     for s, d in zip(segments, dead, strict=True)]
        self._has_dead = [d is not None and bool(np.asarray(d).any()) for d in dead]
        self.offsets = np.cumsum([0] + [len(s) for s in segments]).astype(np.int64)
        self.vec_ids = (np.concatenate([s.vec_ids for s in segments]) if segments
                        else np.empty(0, np.int64))  # global row → vec_id
        self.live_rows = int(sum(int(m.sum()) for m in self.live))
        tokens = sum(int(np.asarray(s.lengths, dtype=np.int64)[m].sum()) for s, m in zip(segments, self.live, strict=True))
        self.avgdl = tokens / self.live_rows if self.live_rows else 1.0
        lengths = (np.concatenate([np.asarray(s.lengths, dtype=np.float64) for s in segments])
                   if segments else np.empty(0, np.float64))
        # BM25's length normalisation per global row, computed once: k1 · (1 − b + b · dl / avgdl).
        # In double precision, as FTS5 scores: near-ties then fall the same way.
        self._norm = K1 * (1 - B + B * lengths / self.avgdl)
        self._df: dict[str, int] = {}
        self._rankings: dict[str, int] = {}  # ranking key → slot in the ranking_* arrays
        self._ranking_arrays: dict[str, np.ndarray] = {}
        if manifest.get("rankings"):
            try:
                self._rankings = json.loads((directory / str(manifest["rankings"])).read_text(encoding="utf-8"))
                self._ranking_arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r") for name in _RANKING_ARRAYS}
            except (OSError, ValueError) as err:
                raise IndexError_(f"cannot read the stored concept rankings in {directory}: {err}") from err

    def __len__(self) -> int:
        return self.live_rows

    @classmethod
    def load(cls, generation_dir: Path) -> KeywordIndex | None:
        """The keyword index of a generation, or None for one written before there was one."""
        directory = generation_dir / DIRECTORY
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise IndexError_(f"cannot read {directory / MANIFEST}: {err}") from err
        if manifest.get("format") != FORMAT_VERSION:
            return None
        return cls.from_manifest(directory, manifest)

    @classmethod
    def from_manifest(cls, directory: Path, manifest: dict[str, object]) -> KeywordIndex:
        """The index ``manifest`` describes in ``directory`` (its segments and dead-row masks)."""
        segments, dead = [], []
        for entry in manifest["segments"]:  # type: ignore[attr-defined]
            segments.append(Segment.load(directory / entry["name"]))
            dead.append(np.load(directory / entry["dead"], mmap_mode="r") if entry.get("dead") else None)
        return cls(directory, segments, dead, manifest)

    def built_with(self, normalizer: str, expressions: Sequence[str]) -> bool:
        """Whether this index was built by ``normalizer`` with these precomputed expressions
        (otherwise its segments cannot be reused and the next generation rebuilds)."""
        return (self.manifest.get("normalizer") == normalizer
                and self.manifest.get("expressions") == expressions_key(expressions))

    def row_masks(self, allowed_vec_ids: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
        """Per segment, a boolean row mask from a vectorised predicate over vec ids."""
        return [np.asarray(allowed_vec_ids(s.vec_ids), dtype=bool) for s in self.segments]

    def document_frequency(self, expression: str) -> int:
        """Live chunks holding ``expression`` (remembered: a generation never changes)."""
        found = self._df.get(expression)
        if found is None:
            found = sum(self._live_count(i, self.segments[i].posting_list(expression)) for i in range(len(self.segments)))
            if len(self._df) >= 65_536:
                self._df.clear()
            self._df[expression] = found
        return found

    def discriminating(self, terms: Sequence[str]) -> tuple[str, ...]:
        """``terms`` without the one-word terms too common to rank by (COMMON_TERM_SHARE)."""
        chunks = len(self)
        if chunks < COMMON_TERM_MIN_CHUNKS:
            return tuple(terms)
        return tuple(t for t in terms
                     if single_token(t) is None or self.document_frequency(t) <= COMMON_TERM_SHARE * chunks)

    def _live_count(self, i: int, posting_list: PostingList) -> int:
        if self._has_dead[i] and len(posting_list):
            return int(np.count_nonzero(self.live[i][np.asarray(posting_list.rows)]))
        return len(posting_list)

    def search(self, expressions: Sequence[str], k: int,
               masks: Sequence[np.ndarray] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best live chunks for ``expressions`` ORed, as (vec_id, BM25), best first
        (equal scores by ascending vec_id).

        ``masks`` (from :meth:`row_masks`) restricts the rows; document frequencies stay those
        of the whole index, as FTS5's ``bm25()`` has them under a filter.
        """
        if k <= 0 or not self.live_rows:
            return []
        slot = self._rankings.get(_ranking_key(expressions))
        if slot is not None:
            return self._stored_top(slot, k, masks)
        terms = self._weighted(expressions)
        if not terms:
            return []
        found = None
        if any(p.impact_rows is not None for _, lists in terms for p in lists):
            found = self._threshold_top(terms, k, masks)
        rows, scores = found if found is not None else self._exhaustive(terms, masks)
        top = min(k, rows.size)
        if top < rows.size:
            pick = np.argpartition(-scores, top - 1)[:top]
            # argpartition cuts ties at the boundary arbitrarily: keep every row tied with the last
            cut = scores[pick].min()
            pick = np.flatnonzero(scores >= cut)
            rows, scores = rows[pick], scores[pick]
        vec_ids = self.vec_ids[rows]
        order = np.lexsort((vec_ids, -scores))[:top]
        return list(zip(vec_ids[order].tolist(), scores[order].tolist(), strict=True))

    def _weighted(self, expressions: Iterable[str]) -> list[tuple[float, list[PostingList]]]:
        """(idf, posting list per segment) of each distinct expression found in the index."""
        n = self.live_rows
        terms: list[tuple[float, list[PostingList]]] = []
        for expression in dict.fromkeys(expressions):
            df = self.document_frequency(expression)
            if df:
                idf = max(float(np.log((n - df + 0.5) / (df + 0.5))), 1e-6)
                terms.append((idf, [segment.posting_list(expression) for segment in self.segments]))
        return terms

    def full_ranking(self, expressions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every live row matching ``expressions`` and its score, best first (equal scores by
        ascending vec_id): what :meth:`search` returns with no limit, as global rows."""
        rows, scores = self._exhaustive(self._weighted(expressions), None)
        order = np.lexsort((self.vec_ids[rows], -scores))
        return rows[order], scores[order]

    def _stored_top(self, slot: int, k: int, masks: Sequence[np.ndarray] | None) -> list[tuple[int, float]]:
        """The first ``k`` rows of a stored ranking that ``masks`` admits."""
        arrays = self._ranking_arrays
        start, end = int(arrays["ranking_indptr"][slot]), int(arrays["ranking_indptr"][slot + 1])
        if masks is None:
            rows = np.asarray(arrays["ranking_rows"][start:min(end, start + k)], dtype=np.int64)
            scores = np.asarray(arrays["ranking_scores"][start:start + rows.size])
        else:
            admits = np.concatenate(masks) if len(masks) > 1 else np.asarray(masks[0])
            picked: list[np.ndarray] = []
            found, at, step = 0, start, max(4 * k, 4096)
            while at < end and found < k:  # a filter admitting a twentieth needs ~20·k rows read
                rows = np.asarray(arrays["ranking_rows"][at:min(end, at + step)], dtype=np.int64)
                hit = np.flatnonzero(admits[rows])[:k - found] + at
                picked.append(hit)
                found += hit.size
                at += step
                step *= 4
            positions = np.concatenate(picked) if picked else np.empty(0, np.int64)
            rows = np.asarray(arrays["ranking_rows"][positions], dtype=np.int64) if positions.size else positions
            scores = np.asarray(arrays["ranking_scores"][positions]) if positions.size else np.empty(0)
        return list(zip(self.vec_ids[rows].tolist(), scores.tolist(), strict=True))

    def _admits(self, i: int, rows: np.ndarray, masks: Sequence[np.ndarray] | None) -> np.ndarray | None:
        """Which of segment ``i``'s ``rows`` are live and pass the filter (None: all of them)."""
        keep = self.live[i][rows] if self._has_dead[i] else None
        if masks is not None:
            keep = masks[i][rows] if keep is None else keep & masks[i][rows]
        return keep

    def _admitted(self, i: int, rows: np.ndarray, masks: Sequence[np.ndarray] | None) -> np.ndarray:
        """``rows`` of segment ``i`` that are live and pass the filter."""
        keep = self._admits(i, rows, masks) if rows.size else None
        return rows if keep is None else rows[keep]

    def _weights(self, idf: float, tfs: np.ndarray, global_rows: np.ndarray) -> np.ndarray:
        tf = tfs.astype(np.float64)
        return idf * tf * (K1 + 1) / (tf + self._norm[global_rows])

    def _exhaustive(self, terms: list[tuple[float, list[PostingList]]],
                    masks: Sequence[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
        """Every matching row with its score (global rows, unordered)."""
        rows_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        for idf, lists in terms:
            for i, posting_list in enumerate(lists):
                rows = np.asarray(posting_list.rows)
                if not rows.size:
                    continue
                tfs = np.asarray(posting_list.tfs, dtype=np.uint32)
                keep = self._admits(i, rows, masks)
                if keep is not None:
                    rows, tfs = rows[keep], tfs[keep]
                if not rows.size:
                    continue
                global_rows = rows.astype(np.int64) + self.offsets[i]
                rows_parts.append(global_rows)
                score_parts.append(self._weights(idf, tfs, global_rows))
        if not rows_parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        rows = np.concatenate(rows_parts)
        scores: np.ndarray = np.concatenate(score_parts)
        if len(rows_parts) > 1:  # a row can score in several parts: add them up
            if rows.size * 16 < self.vec_ids.size:
                rows, inverse = np.unique(rows, return_inverse=True)
                scores = np.bincount(inverse, weights=scores)
            else:  # most rows score: a dense accumulator (argpartition over it is slow: its zeros tie)
                dense = np.bincount(rows, weights=scores, minlength=self.vec_ids.size)
                rows = np.flatnonzero(dense)
                scores = dense[rows]
        return rows, scores

    def _threshold_top(self, terms: list[tuple[float, list[PostingList]]], k: int,
                       masks: Sequence[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows holding the ``k`` best, with exact scores, reading long lists by impact only
        as deep as needed (the module docstring; every short list is read whole); None when
        that would cost more than scoring every posting.

        When is it dearer: each row found is looked up in every list, so it pays while the
        rows read stay well below the postings. Several long lists of similar weight (a
        concept's dozen terms) can keep the bound above the k-th score until most of each
        list is read; the next round is then given up for the plain sum.
        """
        segments = len(self.segments)
        postings = sum(len(p) for _, lists in terms for p in lists)
        budget = postings * LOOKUP_SHARE / max(1, len(terms))
        scale = [max(1.0, self.avgdl / s.built_avgdl) for s in self.segments]
        seen: list[np.ndarray] = [np.empty(0, np.int32) for _ in range(segments)]
        fresh: list[list[np.ndarray]] = [[] for _ in range(segments)]
        for _, lists in terms:  # short lists: every row is a candidate
            for i, posting_list in enumerate(lists):
                if posting_list.impact_rows is None and len(posting_list):
                    fresh[i].append(np.asarray(posting_list.rows))
        all_rows: list[np.ndarray] = []
        all_scores: list[np.ndarray] = []
        read, depth = 0, FIRST_DEPTH
        while True:
            ahead = sum(max(0, min(depth, len(p)) - read) for _, lists in terms for p in lists
                        if p.impact_rows is not None)
            if read and sum(r.size for r in all_rows) + ahead > budget:
                return None
            bound = 0.0
            for idf, lists in terms:
                weight = 0.0
                for i, posting_list in enumerate(lists):
                    if posting_list.impact_rows is None or posting_list.bounds is None:
                        continue
                    fresh[i].append(np.asarray(posting_list.impact_rows[read:depth]))
                    if depth < len(posting_list):
                        weight = max(weight, float(posting_list.bounds[depth // IMPACT_BLOCK]) * scale[i])
                bound += idf * (K1 + 1) * weight
            for i in range(segments):
                if not fresh[i]:
                    continue
                rows = self._admitted(i, np.unique(np.concatenate(fresh[i])), masks)
                fresh[i] = []
                if seen[i].size:
                    rows = rows[~np.isin(rows, seen[i], assume_unique=True)]
                if not rows.size:
                    continue
                seen[i] = np.union1d(seen[i], rows)
                global_rows = rows.astype(np.int64) + self.offsets[i]
                scores = np.zeros(rows.size, dtype=np.float64)
                for idf, lists in terms:  # in the order the exhaustive sum adds them: the same floats
                    hit, tfs = lists[i].frequencies(rows)
                    if hit.size:
                        scores[hit] += self._weights(idf, tfs, global_rows[hit])
                all_rows.append(global_rows)
                all_scores.append(scores)
            candidates = sum(r.size for r in all_rows)
            if bound == 0.0:  # every long list read to its end: nothing is unseen
                break
            if candidates >= k:
                scores = np.concatenate(all_scores)
                kth = float(np.partition(scores, scores.size - k)[scores.size - k])
                if kth > bound * _BOUND_SLACK:
                    break
            read, depth = depth, depth * 4
        if not all_rows:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(all_rows), np.concatenate(all_scores)


# -- writing a generation's keyword index ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeywordUpdate:
    """What one update did: rows added, rows marked dead, whether it rebuilt from scratch."""

    rows: int
    added: int
    dead: int
    segments: int
    rebuilt: bool


def write_keyword_index(
    target_generation: Path,
    previous: KeywordIndex | None,
    live_vec_ids: np.ndarray,
    norms: Callable[[list[int]], dict[int, str]],
    expressions: Sequence[str],
    normalizer: str,
    segment_name: str,
    rankings: Sequence[Sequence[str]] = (),
) -> KeywordUpdate:
    """Write ``target_generation/keyword`` so it holds exactly ``live_vec_ids``.

    ``norms(vec_ids)`` gives the normalised text of chunks (from the store, and from the
    indexer for chunks not committed yet). Reuses ``previous``'s segments (hard links) when
    it was built with the same normaliser and expressions; otherwise, or when segments or
    dead rows have piled up, or the index is small, rebuilds one segment from every chunk.
    ``rankings`` (each concept's expressions) are ranked in full and stored with it.
    """
    directory = target_generation / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    live = np.unique(np.asarray(live_vec_ids, dtype=np.int64))
    reusable = (previous is not None and previous.built_with(normalizer, expressions)
                and live.size >= REBUILD_BELOW)
    entries: list[dict[str, object]] = []
    dead_total = added = 0
    rebuilt = True
    if reusable and previous is not None:
        kept_rows = 0
        masks = []
        for segment in previous.segments:
            alive = np.isin(segment.vec_ids, live, assume_unique=True)
            masks.append(alive)
            kept_rows += int(alive.sum())
        total_rows = sum(len(s) for s in previous.segments)
        new_ids = np.setdiff1d(live, previous.vec_ids, assume_unique=True)
        dead_share = (total_rows - kept_rows) / max(1, total_rows + new_ids.size)
        if len(previous.segments) + (1 if new_ids.size else 0) <= MAX_SEGMENTS and dead_share <= MAX_DEAD_SHARE:
            rebuilt = False
            for segment, alive in zip(previous.segments, masks, strict=True):
                _link_tree(segment.path, directory / segment.path.name)
                segment.ensure_impacts(directory / segment.path.name)
                entry: dict[str, object] = {"name": segment.path.name, "dead": None}
                if not alive.all():
                    dead_name = f"{segment.path.name}.dead-{segment_name}.npy"
                    np.save(directory / dead_name, ~alive)
                    entry["dead"] = dead_name
                    dead_total += int((~alive).sum())
                entries.append(entry)
            if new_ids.size:
                Segment.build(directory / segment_name, _stream(new_ids, norms), expressions)
                entries.append({"name": segment_name, "dead": None})
                added = int(new_ids.size)
    if rebuilt:
        Segment.build(directory / segment_name, _stream(live, norms), expressions)
        entries = [{"name": segment_name, "dead": None}]
        added = int(live.size)
    manifest: dict[str, object] = {"format": FORMAT_VERSION, "normalizer": normalizer,
                                   "expressions": expressions_key(expressions), "segments": entries}
    if rankings:
        manifest["rankings"] = _write_rankings(directory, manifest, rankings)
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return KeywordUpdate(rows=int(live.size), added=added, dead=dead_total, segments=len(entries), rebuilt=rebuilt)


def _write_rankings(directory: Path, manifest: dict[str, object], rankings: Sequence[Sequence[str]]) -> str:
    """Rank each of ``rankings`` in full over the index being written; returns the key file's name."""
    index = KeywordIndex.from_manifest(directory, manifest)
    slots: dict[str, int] = {}
    indptr = [0]
    all_rows: list[np.ndarray] = []
    all_scores: list[np.ndarray] = []
    for expressions in rankings:
        terms = index.discriminating(expressions)  # as a search passes them
        key = _ranking_key(terms)
        if not terms or key in slots:
            continue
        rows, scores = index.full_ranking(terms)
        slots[key] = len(indptr) - 1
        all_rows.append(rows.astype(np.int32))
        all_scores.append(scores)
        indptr.append(indptr[-1] + rows.size)
    np.save(directory / "ranking_indptr.npy", np.array(indptr, dtype=np.int64))
    np.save(directory / "ranking_rows.npy", np.concatenate(all_rows) if all_rows else np.empty(0, np.int32))
    np.save(directory / "ranking_scores.npy", np.concatenate(all_scores) if all_scores else np.empty(0, np.float64))
    name = "rankings.json"
    (directory / name).write_text(json.dumps(slots, ensure_ascii=False), encoding="utf-8")
    return name


def _stream(vec_ids: np.ndarray, norms: Callable[[list[int]], dict[int, str]],
            batch: int = 20_000) -> Iterator[tuple[int, str]]:
    """(vec_id, norm) in ascending order, read ``batch`` chunks at a time."""
    ordered = np.sort(vec_ids).tolist()
    for start in range(0, len(ordered), batch):
        part = ordered[start:start + batch]
        texts = norms(part)
        for vec_id in part:
            yield vec_id, texts.get(vec_id, "")


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link a segment's files (immutable) into another generation; copy across devices."""
    target.mkdir(parents=True, exist_ok=True)
    for child in source.iterdir():
        destination = target / child.name
        try:
            os.link(child, destination)
        except OSError:
            destination.write_bytes(child.read_bytes())
