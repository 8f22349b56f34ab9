"""The code stays lint- and type-clean: ruff and mypy run over the tree as part of the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is a dev dependency; run `make setup`"
    return found


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_noqa_silences_a_rule_ruff_runs() -> None:
    # RUF100 flags a noqa whose code ruff does not check (N802, S310 …) or that silences nothing:
    # such a comment tells the reader a rule holds the line when none does.
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "--extend-select", "RUF100", "."], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors() -> None:
    # the packages to check are listed in pyproject.toml ([tool.mypy] files)
    result = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
