"""Text → vector: the one place that knows how the embedding model is loaded and run.

``load_embedder(settings)`` returns an :class:`Embedder` whose ``encode_query`` and
``encode_documents`` give float32, L2-normalised rows. Queries and documents are separate
calls because e5 models are trained with different prefixes (``query: `` / ``passage: ``);
the prefixes come from the model folder's own prompts, so any sentence-transformers model can
be configured with ``REGIONSOK_EMBEDDING_MODEL``.

Three backends (``REGIONSOK_EMBEDDING_BACKEND``):

- ``torch``: the folder loaded as ``SentenceTransformer(path)`` in float32;
- ``onnx-int8``: ``onnx/model_int8.onnx`` in the same folder, run by ONNX Runtime;
- ``openvino-int8``: ``onnx/model_int8_weights.onnx`` (int8 weights), run by OpenVINO with
  activations quantized per group at run time (and bfloat16 where the CPU has it): the
  fastest and closest to fp32 of the two graph backends (``bench/embed_throughput.py``).

The graph backends use the folder's ``tokenizer.json`` and need no torch at run time.
``regionsok model build`` writes both files for the bundled model; for another local folder
they are exported on first use.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import queue
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from regionsok.errors import ModelError
from regionsok.jsonfile import write_json_atomic
from regionsok.settings import Settings
from search.model_folder import ONNX_INT8_FILE, OPENVINO_INT8_FILE, is_built
from search.runtime import LoadOnce, configure_torch, thread_counts

logger = logging.getLogger(__name__)

Backend = Literal["torch", "onnx-int8", "openvino-int8"]
BACKENDS: tuple[str, ...] = get_args(Backend)
DEFAULT_MODEL_NAME = "multilingual-e5-small"
_DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")  # the names sentence-transformers looks for
#: Texts per run of an exported graph. On 2 CPU cores both runtimes were fastest at 2–4
#: (ONNX Runtime int8: 25 chunks/s at 2–4, 16 at 32), so larger settings are capped here.
GRAPH_BATCH_SIZE = 4
#: ONNX Runtime's session option that stops its threads spinning once a run returns (see
#: search.runtime: a query process sets it; spinning between runs only pays for back-to-back batches).
ONNX_STOP_SPINNING = "session.force_spinning_stop"


class Embedder:
    """Encodes queries and documents into the same vector space.

    ``name`` identifies the model (store it beside vectors: vectors of different models do
    not mix); ``dim`` is the vector length; ``backend`` is how it runs.
    """

    name: str
    dim: int
    backend: str
    batch_size: int
    source: str

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (with the model's query prompt, ``query: `` for e5)."""
        raise NotImplementedError

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages to index (with the model's document prompt, ``passage: `` for e5)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What is loaded, for `regionsok model info` and logs."""
        return {
            "name": self.name,
            "source": self.source,
            "backend": self.backend,
            "dim": self.dim,
            "batch_size": self.batch_size,
        }


def _as_rows(vectors: Any, dim: int) -> np.ndarray:
    """Float32 rows, L2-normalised again (cheap) so every backend returns the same contract."""
    array = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.ascontiguousarray(array / np.maximum(norms, 1e-12), dtype=np.float32)


class TorchEmbedder(Embedder):
    """A sentence-transformers model in float32 on the CPU."""

    backend = "torch"

    def __init__(self, model: Any, *, name: str, source: str, batch_size: int) -> None:
        self.model = model
        self.name = name
        self.source = source
        self.batch_size = batch_size
        dim = model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"{source} does not declare its embedding dimension")
        self.dim = int(dim)
        # sentence-transformers adds empty "query"/"document" prompts of its own: skip empty ones.
        self._document_prompt = next((p for p in _DOCUMENT_PROMPT_NAMES if model.prompts.get(p)), None)
        self._query_prompt = "query" if model.prompts.get("query") else None

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        if len(texts) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _as_rows(vectors, self.dim)

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        # Thread count: the process's (search.runtime; one in a server, measured fastest).
        return self._encode(texts, self._query_prompt)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._document_prompt)


class GraphEmbedder(Embedder):
    """An exported graph (pooling and normalization inside) run without torch.

    This class tokenizes with the folder's ``tokenizer.json``, batches texts of similar length
    together (padding costs as much compute as real tokens) and restores the input order;
    subclasses only run one padded batch through their runtime.
    """

    graph_file = ""

    def __init__(self, folder: Path, *, name: str, batch_size: int) -> None:
        from tokenizers import Tokenizer

        self.name = name
        self.source = str(folder)
        self.batch_size = max(1, min(batch_size, GRAPH_BATCH_SIZE))
        config = _read_json(folder / "config_sentence_transformers.json")
        prompts: dict[str, str] = config.get("prompts", {}) or {}
        self._query_prefix = prompts.get("query", "")
        self._document_prefix = next((prompts[p] for p in _DOCUMENT_PROMPT_NAMES if prompts.get(p)), "")
        max_length = int(_read_json(folder / "sentence_bert_config.json").get("max_seq_length", 512))
        try:
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as err:  # tokenizers raises a bare Exception on a bad file
            raise ModelError(f"cannot read {folder / 'tokenizer.json'}: {err}") from err
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()
        pad_id = self._tokenizer.token_to_id("<pad>")
        self._pad_id = pad_id if pad_id is not None else 0
        path = folder / self.graph_file
        try:
            self.dim = self._load(path)
        except Exception as err:  # both runtimes raise their own untyped errors
            raise ModelError(f"cannot load {path} with {self.backend}: {err}") from err

    def _load(self, path: Path) -> int:
        """Load the graph; return the output vector length."""
        raise NotImplementedError

    def _run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """One padded batch through the graph: ``[rows, dim]`` sentence embeddings."""
        raise NotImplementedError

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        encodings = self._tokenizer.encode_batch([prefix + t for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            input_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            attention_mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids = encodings[i].ids
                input_ids[r, : len(ids)] = ids
                attention_mask[r, : len(ids)] = 1
            out[rows] = self._run(input_ids, attention_mask)
        return _as_rows(out, self.dim)

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._document_prefix)


class OnnxEmbedder(GraphEmbedder):
    """``onnx/model_int8.onnx`` (int8 MatMulInteger) run with ONNX Runtime."""

    backend = "onnx-int8"
    graph_file = ONNX_INT8_FILE

    def _load(self, path: Path) -> int:
        import onnxruntime as ort

        counts = thread_counts()
        options = ort.SessionOptions()
        options.intra_op_num_threads = counts.graph
        if not counts.graph_spin_between_runs:  # spin within a run, stop when it returns
            options.add_session_config_entry(ONNX_STOP_SPINNING, "1")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        return int(self._session.get_outputs()[0].shape[-1])

    def _run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        return np.asarray(self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0])


class OpenVinoEmbedder(GraphEmbedder):
    """``onnx/model_int8_weights.onnx`` (int8 weights) compiled by OpenVINO for the CPU.

    ``DYNAMIC_QUANTIZATION_GROUP_SIZE`` makes OpenVINO quantize activations per group of 32
    values at run time, so the int8 weights meet int8 activations (VNNI where the CPU has it);
    the rest runs in OpenVINO's default inference precision (bfloat16 on CPUs with it).
    An infer request is not thread-safe: each call borrows one from a pool and returns it, so
    there are as many as calls ever ran at once (one in a search server, whose query
    embedding is serialised), not one per thread: a request holds tens of megabytes of
    buffers, and a server's thread pool has forty threads.
    """

    backend = "openvino-int8"
    graph_file = OPENVINO_INT8_FILE

    def _load(self, path: Path) -> int:
        import openvino as ov

        config = {"DYNAMIC_QUANTIZATION_GROUP_SIZE": "32", "INFERENCE_NUM_THREADS": str(thread_counts().graph)}
        self._compiled = ov.Core().compile_model(str(path), "CPU", config)
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._input_names = {port.get_any_name() for port in self._compiled.inputs}
        return int(self._compiled.outputs[0].get_partial_shape()[-1].get_length())

    def _run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        try:
            request = self._requests.get_nowait()
        except queue.Empty:
            request = self._compiled.create_infer_request()
        try:
            feed = {"input_ids": input_ids, "attention_mask": attention_mask}
            result = request.infer({k: v for k, v in feed.items() if k in self._input_names})
            return np.array(result[0], dtype=np.float32)  # a copy: the request reuses its buffer
        finally:
            self._requests.put(request)


GRAPH_EMBEDDERS: dict[str, type[GraphEmbedder]] = {kind.backend: kind for kind in (OnnxEmbedder, OpenVinoEmbedder)}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read {path}: {err}") from err
    return value if isinstance(value, dict) else {}


def build_command(folder: Path) -> str:
    """The command that builds the model into ``folder``, as it can be typed from any directory.

    The program is the ``regionsok`` being run (``.venv/bin/regionsok`` typed without an
    activated venv is not on PATH), the folder an absolute path.
    """
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == "regionsok" and running.exists():
        program = str(running.resolve())
    else:
        program = shutil.which("regionsok") or "regionsok"
    return f"{shlex.quote(program)} model build --model-dir {shlex.quote(str(folder.resolve()))}"


def resolve_model_source(settings: Settings) -> tuple[str, str]:
    """``(name, source)``: the configured model name/path, or the built bundled model's folder."""
    if settings.embedding_model:
        return settings.embedding_model, settings.embedding_model
    folder = settings.model_dir
    if not (folder / "modules.json").is_file():
        raise ModelError(
            f"no embedding model at {folder}: build it once with `{build_command(folder)}` "
            "(`make setup` does this), or point REGIONSOK_MODEL_DIR at a built one, or set "
            "REGIONSOK_EMBEDDING_MODEL to a sentence-transformers model"
        )
    if not is_built(folder):
        logger.warning("the model at %s was built from other weights; `regionsok model build` refreshes it", folder)
    return DEFAULT_MODEL_NAME, str(folder)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name, loaded once per process for each (model, backend).

    ``auto`` takes the backend recorded beside the model by :func:`choose_backend` (timed
    once per machine; see its docstring).
    """
    backend = settings.embedding_backend
    if backend != AUTO and backend not in BACKENDS:
        raise ModelError(
            f"unknown embedding backend {backend!r}; choose one of {AUTO}, {', '.join(BACKENDS)}"
        )
    name, source = resolve_model_source(settings)
    if backend == AUTO:
        backend = auto_backend(source, settings.embedding_batch_size)
    return _load_cached(name, source, backend, settings.embedding_batch_size)


# -- the fastest backend on this machine --------------------------------------------------------

AUTO = "auto"
#: Written beside the model: which backend was fastest, on which CPU, and the figures.
CHOICE_FILE = "backend.json"
#: Seconds of encoding per backend when choosing. Long enough to be stable to ~5 % on a quiet
#: machine (the three backends differ by 1.5-3x where they differ at all), short enough that
#: `model build` grows by well under a minute.
CHOICE_SECONDS = 4.0
#: Synthetic Swedish passages of about the size of a chunk (~230 tokens): a fixed workload,
#: so figures of different runs compare.
_SAMPLE_SENTENCE = (
    "Regionen och kommunerna i länet har tecknat en överenskommelse om samverkan kring barn och "
    "unga med psykisk ohälsa, spelberoende och missbruk, med gemensamma mål för 2024–2026. "
)


def cpu_signature() -> str:
    """What decides which backend is fastest: the CPU model, its vector extensions, the cores."""
    model, flags = platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = " ".join(f for f in value.split() if f in _DECISIVE_FLAGS)
    except OSError:
        pass
    return f"{model} [{flags}] x{os.cpu_count() or 1}"


#: CPU features the int8 runtimes use (VNNI and AMX make int8 fast; AVX2-only CPUs differ).
_DECISIVE_FLAGS = frozenset({"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16", "avx512_bf16"})


def _graph_files_present(folder: Path) -> list[str]:
    return [b for b, kind in GRAPH_EMBEDDERS.items() if (folder / kind.graph_file).is_file()]


def choose_backend(folder: Path, *, batch_size: int = 8, seconds: float = CHOICE_SECONDS,
                   record: bool = True) -> dict[str, Any]:
    """Time every backend the folder can run for ``seconds`` each; record and return the winner.

    Returns ``{"backend", "chunks_per_second": {backend: figure}, "cpu", "measured_at"}``,
    also written atomically to ``folder/backend.json`` (unless ``record`` is False or the
    folder is read-only, which is logged).
    """
    texts = [_SAMPLE_SENTENCE * 4 + str(i) for i in range(8)]
    figures: dict[str, float] = {}
    for backend in ["torch", *_graph_files_present(folder)]:
        graph = GRAPH_EMBEDDERS.get(backend)
        try:
            embedder = (_load_graph(graph, DEFAULT_MODEL_NAME, str(folder), batch_size) if graph
                        else _load_torch(DEFAULT_MODEL_NAME, str(folder), batch_size))
        except ModelError as err:
            logger.warning("backend %s cannot run here: %s", backend, err)
            continue
        embedder.encode_documents(texts[:2])  # warm-up: first runs allocate and compile
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds or done == 0:
            embedder.encode_documents(texts)
            done += len(texts)
        figures[backend] = round(done / elapsed, 2)
        del embedder  # free the model before the next backend loads
    if not figures:
        raise ModelError(f"no embedding backend could run the model at {folder}")
    choice = {
        "backend": max(figures, key=lambda b: figures[b]),
        "chunks_per_second": figures,
        "cpu": cpu_signature(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if record:
        try:
            write_json_atomic(folder / CHOICE_FILE, choice)
        except OSError as err:
            logger.warning("cannot record the backend choice in %s: %s", folder, err)
    logger.info("embedding backend chosen", extra=choice)
    return choice


def recorded_choice(folder: Path) -> dict[str, Any] | None:
    """The choice recorded beside the model for this machine's CPU, else None."""
    try:
        choice = json.loads((folder / CHOICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(choice, dict) or choice.get("cpu") != cpu_signature() or choice.get("backend") not in BACKENDS:
        return None
    return choice


_model_lock = threading.Lock()  # one model load or timing at a time: each holds 500 MB
_choices: LoadOnce[str, str] = LoadOnce(lock=_model_lock)  # folder → backend (a read-only folder is timed once)
_embedders: LoadOnce[tuple[str, str, str, int], Embedder] = LoadOnce(lock=_model_lock, max_entries=4)


def auto_backend(source: str, batch_size: int = 8) -> str:
    """The backend ``auto`` means for a model: recorded for this CPU, else timed now (once).

    A model given by hub name, or a local folder without the int8 graphs, runs on torch.
    """
    folder = Path(source)
    if not (folder / "modules.json").is_file() or not _graph_files_present(folder):
        return "torch"

    def choose() -> str:
        choice = recorded_choice(folder)
        if choice is None:
            logger.info("timing the embedding backends on this machine (once)", extra={"folder": source})
            choice = choose_backend(folder, batch_size=batch_size)
        return str(choice["backend"])

    return _choices.get(source, choose)


def _load_cached(name: str, source: str, backend: str, batch_size: int) -> Embedder:
    def load() -> Embedder:
        logger.info("loading embedding model", extra={"model": name, "source": source, "backend": backend})
        graph = GRAPH_EMBEDDERS.get(backend)
        if graph is not None:
            return _load_graph(graph, name, source, batch_size)
        return _load_torch(name, source, batch_size)

    return _embedders.get((name, source, backend, batch_size), load)


def _load_torch(name: str, source: str, batch_size: int) -> Embedder:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    configure_torch(torch)  # the process's thread count (search.runtime)
    transformers_logging.disable_progress_bar()  # a "Loading weights" bar per load is noise in logs
    try:
        model = SentenceTransformer(source, device="cpu")
    except Exception as err:  # hub, file and config errors of sentence-transformers alike
        raise ModelError(f"cannot load the embedding model {source!r}: {type(err).__name__}: {err}") from err
    model.eval()
    return TorchEmbedder(model, name=name, source=source, batch_size=batch_size)


def _load_graph(kind: type[GraphEmbedder], name: str, source: str, batch_size: int) -> Embedder:
    folder = Path(source)
    if not (folder / "modules.json").is_file():
        raise ModelError(
            f"the {kind.backend} backend needs a local sentence-transformers folder, not {source!r}; "
            "save the model to a folder and point REGIONSOK_EMBEDDING_MODEL at it"
        )
    if not (folder / kind.graph_file).is_file():
        # Exporting takes a minute and the build tools (search.modelbuild): it is the build's job.
        raise ModelError(
            f"the {kind.backend} backend needs {kind.graph_file} in {folder}, which `regionsok model build` "
            f"writes: run {build_command(folder)} --force, or choose REGIONSOK_EMBEDDING_BACKEND=torch"
        )
    return kind(folder, name=name, batch_size=batch_size)

