"""Split a document into sentence-aware, title-prefixed chunks with stable ids.

Why chunks at all: the embedding model (multilingual-e5-small) reads at most 512 tokens
and a single vector for a long agreement blurs every topic in it; a passage of about 256
tokens is specific enough to match one question and short enough to show as a snippet.

- Sentences are never cut unless one alone exceeds the budget (then it is cut at words).
- Consecutive chunks overlap by about one sentence (``overlap_tokens``) so an answer that
  straddles a boundary is still whole in one chunk.
- Every chunk starts with the document title: a passage saying "Överenskommelsen
  undertecknas…" means little without the title saying what is agreed.
- ``chunk_id`` = ``{doc_id}:{ordinal}:{hash of the chunk text}``: the same text at the same
  position always gets the same id, so re-indexing a changed document re-embeds only the
  chunks that actually changed.

Token counts are estimated (words and punctuation × 1.3, the XLM-R tokenizer's typical
ratio on Swedish prose) unless a real ``count_tokens`` is given; the estimate errs long,
so chunks stay inside the model's window.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from regionsok.records import Chunk, sha256_hex

DEFAULT_MAX_TOKENS = 256
DEFAULT_OVERLAP_TOKENS = 40

_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# Abbreviations after which a full stop does not end a Swedish sentence.
_ABBREVIATIONS = frozenset(
    "bl.a t.ex s.k m.m o.s.v osv kl ca nr resp jfr p.g.a d.v.s dvs t.o.m f.d fr.o.m s st tel mfl m.fl "
    "prof dr sek mkr tkr milj".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[\"'“«(\-–•*]?\s*[A-ZÅÄÖÉÜ0-9])")
_BULLET = re.compile(r"^\s*(?:[•*·▪–-]|\d+[.)])\s+")


def estimate_tokens(text: str) -> int:
    """A cheap, slightly pessimistic count of model tokens in ``text``."""
    return int(len(_PIECE.findall(text)) * 1.3) + 1


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; line breaks (paragraphs, list items) always end one."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            candidate = line[start:match.start()].strip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS:
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _split_long(sentence: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Cut one over-long sentence at word boundaries into pieces within ``budget``."""
    pieces: list[str] = []
    current: list[str] = []
    for word in sentence.split():
        if current and count(" ".join([*current, word])) > budget:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _body_without_title(title: str, text: str) -> str:
    """Drop the title when the text repeats it as its first line (most pages do)."""
    stripped = text.lstrip()
    first, _, rest = stripped.partition("\n")
    if title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest
    return text


def chunk_document(
    doc_id: str,
    title: str,
    text: str,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> list[Chunk]:
    """The chunks of one document, in order; an empty text gives one title-only chunk."""
    title = " ".join(title.split())
    prefix = f"{title}\n" if title else ""
    budget = max(32, max_tokens - (count_tokens(title) if title else 0))
    sentences: list[str] = []
    for sentence in split_sentences(_body_without_title(title, text)):
        if count_tokens(sentence) > budget:
            sentences.extend(_split_long(sentence, budget, count_tokens))
        else:
            sentences.append(sentence)

    bodies: list[list[str]] = []
    current: list[str] = []
    current_tokens = 0
    for sentence in sentences:
        tokens = count_tokens(sentence)
        if current and current_tokens + tokens > budget:
            bodies.append(current)
            # Carry the tail sentences (up to overlap_tokens) into the next chunk.
            carried: list[str] = []
            carried_tokens = 0
            for previous in reversed(current):
                t = count_tokens(previous)
                if carried_tokens + t > overlap_tokens or carried_tokens + t + tokens > budget:
                    break
                carried.insert(0, previous)
                carried_tokens += t
            current, current_tokens = carried, carried_tokens
        current.append(sentence)
        current_tokens += tokens
    if current or not bodies:
        bodies.append(current)

    chunks: list[Chunk] = []
    for ordinal, body in enumerate(bodies):
        chunk_text = prefix + _join(body) if body else title
        digest = sha256_hex(chunk_text)[:12]
        chunks.append(Chunk(chunk_id=f"{doc_id}:{ordinal}:{digest}", doc_id=doc_id, ordinal=ordinal,
                            text=chunk_text))
    return chunks


def _join(sentences: list[str]) -> str:
    """Join sentences; list items keep their own line so snippets stay readable."""
    out = ""
    for sentence in sentences:
        if not out:
            out = sentence
        elif _BULLET.match(sentence) or len(sentence) < 60:
            out += "\n" + sentence
        else:
            out += " " + sentence
    return out
