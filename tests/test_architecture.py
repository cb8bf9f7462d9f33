"""The architecture holds: the import contracts in pyproject.toml, and no import circle.

The contracts (layers; the core never imports Textual; the TUI never the store; analytics never
the database; the demo only from its command) are import-linter's, run here and by CI. Circles
are found by walking every module's `import` statements with `ast`, imports inside functions
and under `TYPE_CHECKING` included: a function-level import hides a circle from Python at
start-up, not from the next reader.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of `package` and the modules of it that it imports: every `import` statement
    in the file, inside functions and under `TYPE_CHECKING` too."""
    root = package.parent
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for path in package.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                imported |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        graph[name] = {module for module in imported if module in modules and module != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that import each other, directly or around a loop (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in sorted(graph[module]):
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
    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


def test_no_module_of_mlboard_is_in_an_import_circle():
    assert circles(import_graph(CHECKOUT / "mlboard")) == []


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text("def later():\n    from . import c\n")
    (package / "c.py").write_text("import loop.a\n")
    (package / "d.py").write_text("import loop.a\n")
    assert circles(import_graph(package)) == [["loop.a", "loop.b", "loop.c"]]
