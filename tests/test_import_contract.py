"""The import contract: the core at the bottom, the stages in data-flow order, the application on top.

Read from the source (every ``import``, at module top or inside a function), so a late
import cannot hide an edge; ``from pkg import module`` counts as importing that module, as
import-linter counts it:

- ``regionsok`` (core) imports no stage and not the application (its ``__main__`` entry
  point aside, which nothing imports);
- ``crawler`` and ``ingest`` import only the core, and not each other; ``search`` imports
  neither ``api`` nor the application; ``api`` not the application;
- nothing outside ``app`` imports ``app``, and nothing but the application imports the model
  build (``search.modelbuild``): the runtime only reads the built folder;
- no two modules import each other, directly or round a longer loop.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("regionsok", "crawler", "ingest", "search", "api", "app")
#: Which packages each may import (besides itself and third-party code).
ALLOWED: dict[str, frozenset[str]] = {
    "regionsok": frozenset(),
    "crawler": frozenset({"regionsok"}),
    "ingest": frozenset({"regionsok"}),
    "search": frozenset({"regionsok", "ingest"}),
    "api": frozenset({"regionsok", "ingest", "search"}),
    "app": frozenset({"regionsok", "crawler", "ingest", "search", "api"}),
}
#: Build tools inside a stage that only the application may import.
BUILD_TOOLS = ("search.modelbuild",)
#: Entry points run with ``python -m``, never imported: part of the application layer.
ENTRY_POINTS = frozenset({"regionsok.__main__"})


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports, for every .py file of :data:`PACKAGES` under ``root``."""
    files = {_module_name(root, p): p for pkg in PACKAGES if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = module.split(".") if is_package else module.split(".")[:-1]
                    base_parts = base_parts[: len(base_parts) - node.level + 1]
                    base = ".".join([*base_parts, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                # "from pkg import module" imports that module (as import-linter counts it);
                # "from module import name" imports the module.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:  # "from x import name": x is the module
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].add(target)
    return graph


def _layer(module: str) -> str:
    return "app" if module in ENTRY_POINTS else module.split(".")[0]


def _is_build_tool(module: str) -> bool:
    return any(module == tool or module.startswith(tool + ".") for tool in BUILD_TOOLS)


def contract_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the layering, as "a -> b"."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if (_layer(target) != _layer(module) and _layer(target) not in ALLOWED[_layer(module)])
        or (_is_build_tool(target) and not _is_build_tool(module) and _layer(module) != "app")
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_stage_imports_a_later_one_and_nothing_imports_the_application() -> None:
    graph = import_graph(REPO)
    assert {m.split(".")[0] for m in graph} >= set(PACKAGES), "the walk found every package"
    assert contract_violations(graph) == []


def test_no_modules_import_each_other_round_a_loop() -> None:
    assert cycles(import_graph(REPO)) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_contract_catches_a_backward_import_a_late_one_and_a_loop(tmp_path: Path) -> None:
    """The checker itself: a crawler that imports search, late, and a two-module loop are found."""
    _write(tmp_path, {
        "regionsok/__init__.py": "",
        "regionsok/__main__.py": "from app.cli import main\n",
        "crawler/__init__.py": "",
        "crawler/fetch.py": "def f():\n    from search.rank import r\n",
        "search/__init__.py": "",
        "search/rank.py": "from . import util\nr = 1\n",
        "search/util.py": "from search.rank import r\n",
        "search/modelbuild/__init__.py": "",
        "search/embed.py": "from search.modelbuild import build\n",
        "app/__init__.py": "",
        "app/cli.py": "import crawler.fetch\nmain = 1\n",
    })
    graph = import_graph(tmp_path)
    assert contract_violations(graph) == ["crawler.fetch -> search.rank", "search.embed -> search.modelbuild"]
    assert cycles(graph) == [["search.rank", "search.util"]]


def test_the_product_neither_imports_the_tests_nor_points_into_their_fixtures() -> None:
    # Test helpers live in tests/support; a product module reaching into tests/ would ship
    # a dependency on files an installed package does not have.
    offenders = []
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                    names = [f"path {n.value}" for n in (node.left, node.right)
                             if isinstance(n, ast.Constant) and n.value in ("tests", "fixtures")]
                else:
                    continue
                offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                              if n == "tests" or n.startswith(("tests.", "path "))]
    assert offenders == []


def test_the_vector_index_is_reached_only_through_its_interface() -> None:
    # search.vector.new_index / load_index choose the backend; callers hold a VectorIndex.
    graph = import_graph(REPO)
    direct = sorted(m for m, targets in graph.items()
                    if "search.vector.faiss_index" in targets and not m.startswith("search.vector"))
    assert direct == []
