"""The Q4 checkpoint as a Hugging Face ``BertModel``: its config, its state dict, and a check that they fit."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from regionsok.errors import ModelError
from search.modelbuild.q4 import Q4Checkpoint, Q4Header

logger = logging.getLogger(__name__)
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


def check_against_bert(state: dict[str, Any], config: dict[str, Any]) -> None:
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
