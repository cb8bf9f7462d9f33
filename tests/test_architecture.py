"""The architecture holds: the import contracts in pyproject.toml, and no import circle.

The contracts (layers; the core never imports Textual; the TUI never the store; analytics never
the database; the demo only from its command) are import-linter's, run here and by CI. Circles
are found on the same import graph, imports inside functions included: a function-level import
hides a circle from Python at start-up, not from the next reader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

CHECKOUT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_import_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_a_broken_contract_fails_naming_the_import(tmp_path):
    """The runner itself: a contract the code breaks (the TUI does import services) fails."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "mlboard"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "no services in the TUI"\ntype = "forbidden"\n'
        'source_modules = ["mlboard.tui"]\nforbidden_modules = ["mlboard.services"]\n',
        encoding="utf-8",
    )
    result = lint_imports("--config", str(config))
    assert result.returncode == 1
    assert "no services in the TUI BROKEN" in result.stdout
    assert "mlboard.tui.app -> mlboard.services" in result.stdout


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of modules that import each other, directly or around a loop (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return found


def test_no_module_of_mlboard_is_in_an_import_circle():
    graph = grimp.build_graph("mlboard", cache_dir=None)
    assert circles(graph) == []


def test_a_circle_through_a_function_level_import_is_found(tmp_path, monkeypatch):
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text("def later():\n    from loop import c\n")
    (package / "c.py").write_text("import loop.a\n")
    (package / "d.py").write_text("import loop.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert circles(grimp.build_graph("loop", cache_dir=None)) == [["loop.a", "loop.b", "loop.c"]]
