"""Atomic files (run reports, crawl reports, sources files): written to ``<name>.tmp``, then renamed.

A leaf module: it imports nothing from Regionsök, so any layer can use it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any, *, default: Callable[[Any], Any] | None = None) -> None:
    """Write ``data`` as indented UTF-8 JSON so a reader sees the old file or the new one, never half.

    ``default`` is passed to :func:`json.dumps` (for values JSON cannot encode).
    """
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, default=default))


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text so a reader sees the old file or the new one, never half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["write_json_atomic", "write_text_atomic"]
