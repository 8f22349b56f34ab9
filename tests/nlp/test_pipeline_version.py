"""The NLP pipeline version: an explicit version plus the data files, never the source text."""

from __future__ import annotations

import shutil
from pathlib import Path

import ingest.nlp as nlp

DATA = nlp.DATA_DIR


def test_the_version_is_the_explicit_version_and_the_data_files_only(tmp_path: Path) -> None:
    # A copy of the data files alone gives the same version: no source file (where a comment
    # edit would re-extract the whole store) goes into it.
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    assert nlp._pipeline_version(copy) == nlp.PIPELINE_VERSION
    assert nlp.PIPELINE_VERSION.startswith(nlp.EXTRACTION_VERSION + "+")


def test_a_changed_data_file_changes_the_version(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    roles = copy / "roles.txt"
    roles.write_text(roles.read_text(encoding="utf-8") + "\nnämndsekreterare\n", encoding="utf-8")
    assert nlp._pipeline_version(copy) != nlp.PIPELINE_VERSION
