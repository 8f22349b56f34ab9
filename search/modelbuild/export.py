"""The int8 ONNX graphs (ONNX Runtime and OpenVINO) of a sentence-transformers folder."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from regionsok.errors import ModelError
from search.model_folder import (
    ONNX_INT8_FILE,
    OPENVINO_INT8_FILE,
)

logger = logging.getLogger(__name__)


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


def _PooledEncoder(model: Any) -> Any:  # reads as the class it builds
    """Build the export wrapper lazily so importing this module does not import torch."""
    return _pooled_encoder_class()(model)
