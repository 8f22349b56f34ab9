"""Sums of money in Swedish text → SEK ("1,4 miljoner kronor", "700 000 kronor", "12 mnkr").

A number counts as money when a currency follows ("kronor", "kr", "SEK", "mnkr", "tkr"), or
when it is a number of millions/billions ("30 miljoner") not followed by a noun saying what is
counted ("30 miljoner invånare"): in budgets and press releases "30 miljoner" alone means kronor.
"""

from __future__ import annotations

import re

from regionsok.records import Amount

# Digits with a space, narrow no-break space or dot as thousands separator, and a decimal comma.
_NUMBER = r"(?P<num>\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?)"
_SCALE = r"(?P<scale>miljon(?:er)?|miljard(?:er)?|mnkr|mkr|mdkr|mdr|tkr|tusen|milj\.?|mn)"
_CURRENCY = r"(?P<cur>kronor|kr\b\.?|sek\b|:-)"
_AMOUNT = re.compile(
    rf"(?<![\w,.]){_NUMBER}(?:\s*{_SCALE}\b)?(?:\s*{_CURRENCY})?",
    re.IGNORECASE,
)
_SCALES = {
    "miljon": 1e6, "miljoner": 1e6, "milj": 1e6, "milj.": 1e6, "mn": 1e6, "mnkr": 1e6, "mkr": 1e6,
    "miljard": 1e9, "miljarder": 1e9, "mdkr": 1e9, "mdr": 1e9, "tkr": 1e3, "tusen": 1e3,
}
# Words after "30 miljoner" that still leave the sum in kronor.
_MONEY_FOLLOWERS = frozenset(
    "till för i på och som per varav av under från årligen per år om extra mer totalt ytterligare "
    "går gick ska skall kommer har blir fördelas avsätts satsas tillförs till att inom vilket "
    "vilka med".split()
)
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")


def _value(num: str) -> float:
    cleaned = re.sub(r"[ \u00a0\u202f]", "", num)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", cleaned):  # "1.400.000": dots as thousands separators
        cleaned = cleaned.replace(".", "")
    return float(cleaned.replace(",", "."))


def find_amounts(text: str) -> list[Amount]:
    """Sums of money in order of appearance, each value once (first wording kept)."""
    out: list[Amount] = []
    seen: set[float] = set()
    for m in _AMOUNT.finditer(text):
        scale_word = (m.group("scale") or "").lower()
        currency = m.group("cur")
        if not scale_word and not currency:
            continue
        if not currency and scale_word in ("tusen",):
            continue  # "5 tusen" alone is rarely money
        if not currency and scale_word in ("miljon", "miljoner", "miljard", "miljarder", "milj", "milj.", "mn"):
            nxt = _NEXT_WORD.match(text, m.end())
            if nxt and nxt.group(1).lower() not in _MONEY_FOLLOWERS and text[m.end() : nxt.start(1)].strip() == "":
                continue
        try:
            value = _value(m.group("num")) * _SCALES.get(scale_word, 1.0)
        except ValueError:
            continue
        if value <= 0 or value in seen:
            continue
        seen.add(value)
        out.append(Amount(text=m.group(0).strip(), sek=value))
    return out
