"""The package layout holds: every package imports on its own, no import cycles (including
the imports inside functions), and dependencies point one way: cli -> commands -> engines ->
git, where git imports nothing from patchq but errors, console and fsutil."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "patchq"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
# patchq.<name>: the packages and the top-level modules they share.
UNITS = sorted({".".join(m.split(".")[:2]) for m in MODULES if m != "patchq"})


def unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at module level or inside a function; not the ones only a
    type checker runs."""
    for child in ast.iter_child_nodes(node):
        if _type_checking_only(child):
            for other in child.orelse:  # type: ignore[attr-defined]
                yield from _import_nodes(other)
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _import_nodes(child)


def imports_of(module: str) -> set[str]:
    """The patchq modules `module` imports: `from patchq.x import y` counts as patchq.x.y
    when that is a module, else as patchq.x."""
    path = MODULES[module]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "patchq")
            continue
        base = node.module or ""
        if node.level:
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        if base.split(".")[0] != "patchq":
            continue
        for alias in node.names:
            full = f"{base}.{alias.name}"
            found.add(full if full in MODULES else base)
    return found - {module}


GRAPH = {module: imports_of(module) for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        out.setdefault(unit(module), set()).update(
            unit(t) for t in targets if unit(t) != unit(module)
        )
    return out


def test_the_analysis_sees_the_imports_inside_functions() -> None:
    # Both are imports inside a function (for start-up time): they still count.
    assert "patchq.check.upstream" in GRAPH["patchq.check.checks"]
    assert "patchq.demo.tour" in GRAPH["patchq.cli.commands"]


def test_no_module_imports_itself_back() -> None:
    assert cycles(GRAPH) == []


def test_no_package_imports_itself_back() -> None:
    assert cycles(package_graph()) == []


def test_git_imports_nothing_from_patchq_but_the_shared_modules() -> None:
    """errors, console and fsutil (the one atomic writer): leaves that import no package."""
    used = {t for m, targets in GRAPH.items() if unit(m) == "patchq.git" for t in targets}
    assert {unit(t) for t in used} - {"patchq.git"} <= {
        "patchq.errors",
        "patchq.console",
        "patchq.fsutil",
    }


def test_only_the_entry_points_import_the_cli() -> None:
    users = {m for m, targets in GRAPH.items() if any(unit(t) == "patchq.cli" for t in targets)}
    assert {unit(m) for m in users} <= {"patchq.cli", "patchq.__main__"}


def test_the_shared_modules_import_no_package() -> None:
    for shared in ("patchq.errors", "patchq.console", "patchq.fsutil"):
        assert GRAPH[shared] <= {"patchq", "patchq.errors", "patchq.console"}, shared


@pytest.mark.parametrize("name", UNITS)
def test_each_package_imports_alone(name: str) -> None:
    """A fresh interpreter per package: a cycle that only bites in one import order fails
    here, whatever the test process imported before."""
    inside = sorted(m for m in MODULES if unit(m) == name and m != "patchq.__main__")
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    proc = subprocess.run(
        [sys.executable, "-c", code, *inside], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
