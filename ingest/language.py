"""Language of a text: 'sv', 'en' or 'other' — the one home of document language rules.

py3langid ships its model inside the package (no download). Its guesses on very short
texts are poor, so short texts are decided by common function words first.
:func:`mostly_english` is the cheap test the NLP runs on every text (function words only);
a query's language, two words long, is :func:`search.hybrid.detect_query_language`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regionsok.records import Language

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SV = frozenset(
    "och att det som en på är för med har av till inte den om ett de vi kan ska vid från "
    "även eller där samt säger under mellan kommer vilka vilken hur".split()
)
_EN = frozenset(
    "the and of to in is for that with on are as by this be from or which what how "
    "who regions region about address addresses does".split()
)


_SV_FUNCTION = frozenset("och att det som på är för med har av till inte den om ett de vi kan ska från".split())
_EN_FUNCTION = frozenset("the and of to in is for that with on are as by this be from or which".split())


def mostly_english(text: str) -> bool:
    """English by its function words (py3langid would cost more than the whole NLP pipeline)."""
    words = re.findall(r"[a-zåäö]+", text[:5000].lower())
    english = sum(w in _EN_FUNCTION for w in words)
    swedish = sum(w in _SV_FUNCTION for w in words)
    return english >= 3 and english > 2 * swedish


def load_detector() -> None:
    """Load py3langid's bundled model now (it loads on first use, a few tenths of a second)."""
    import py3langid

    py3langid.classify("")


def detect_language(text: str) -> Language:
    """Best guess of the language of ``text`` (first ~5,000 characters are enough)."""
    sample = text[:5000]
    words = [w.casefold() for w in _WORD.findall(sample)]
    if not words:
        return "other"
    if any(c in sample for c in "åäöÅÄÖ") and len(words) < 8:
        return "sv"
    sv = sum(w in _SV for w in words)
    en = sum(w in _EN for w in words)
    if len(words) < 12 and sv != en:
        return "sv" if sv > en else "en"
    import py3langid  # loads its bundled model once, on first use

    lang, _score = py3langid.classify(sample)
    if lang in ("sv", "en"):
        return lang  # type: ignore[return-value]
    # Nordic neighbours are often confused with Swedish on short, name-heavy texts.
    if lang in ("no", "nb", "nn", "da") and sv >= en:
        return "sv"
    if sv > en and sv >= 3:
        return "sv"
    if en > sv and en >= 3:
        return "en"
    return "other"
