"""Chunks: sentence-aware, within the model's budget, overlapping, titled, with stable ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from search.chunking import chunk_document, split_sentences

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TITLE = "Nu förbättras stödet till personer med missbruk och psykisk funktionsnedsättning"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return (FIXTURES / "seeds" / "000_f16ed509a2a92c21.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def long_text(seed_text: str) -> str:
    """About 2,500 words of real Swedish prose: every seed page, one after another."""
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.txt")))


@pytest.fixture(scope="module")
def count_tokens(model_dir: Path) -> Any:
    """The model's own tokenizer, so the budget is checked in real tokens, not estimates."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    return lambda text: len(tokenizer.encode("passage: " + text).ids)


def test_chunks_stay_within_the_token_budget_of_the_real_tokenizer(long_text: str, count_tokens: Any) -> None:
    chunks = chunk_document("doc", TITLE, long_text)
    assert len(chunks) > 5
    assert max(count_tokens(c.text) for c in chunks) <= 300  # ~256 + prompt and specials; far below 512


def test_every_chunk_starts_with_the_title(long_text: str) -> None:
    for chunk in chunk_document("doc", TITLE, long_text):
        assert chunk.text.startswith(TITLE + "\n")


def test_chunks_end_at_sentence_boundaries(long_text: str) -> None:
    sentences = set(split_sentences(long_text))
    for chunk in chunk_document("doc", TITLE, long_text):
        assert any(chunk.text.endswith(s) for s in sentences), f"chunk {chunk.ordinal} ends mid-sentence"


def test_consecutive_chunks_overlap_by_a_sentence(long_text: str) -> None:
    chunks = chunk_document("doc", TITLE, long_text)
    overlapping = 0
    sentences = split_sentences(long_text)
    for first, second in zip(chunks, chunks[1:], strict=False):
        tail = next(s for s in sentences if first.text.endswith(s))
        overlapping += tail in second.text
    assert overlapping >= (len(chunks) - 1) * 0.8  # all but sentences longer than the overlap


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Stödet omfattar bl.a. boende och sysselsättning. Det gäller t.ex. unga vuxna i Linköping."
    assert split_sentences(text) == [
        "Stödet omfattar bl.a. boende och sysselsättning.",
        "Det gäller t.ex. unga vuxna i Linköping.",
    ]


def test_chunk_ids_are_stable_and_change_only_where_the_text_changed(long_text: str) -> None:
    before = chunk_document("doc", TITLE, long_text)
    assert [c.chunk_id for c in before] == [c.chunk_id for c in chunk_document("doc", TITLE, long_text)]
    edited = long_text + "\n\nEtt nytt sista stycke om uppföljning under 2020."
    after = chunk_document("doc", TITLE, edited)
    unchanged = {c.chunk_id for c in before} & {c.chunk_id for c in after}
    assert len(unchanged) == len(before) - 1  # only the last chunk differs
    assert after[-1].chunk_id not in {c.chunk_id for c in before}


def test_an_empty_text_still_gives_one_title_chunk() -> None:
    (chunk,) = chunk_document("doc", "Bara en rubrik", "")
    assert chunk.text == "Bara en rubrik"
    assert chunk.chunk_id.startswith("doc:0:")
