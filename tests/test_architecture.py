"""The package's dependency rule, read from the source with ``ast``: every import counts, those
inside functions and under ``TYPE_CHECKING`` included.

    sphinx → cli → networks, checks, codegen → layers → render → core,   layers → core,
    cli → theorems → checks (a claim at concrete sizes), layers (normalisation's proof for
    every M), core; theorems import no renderer,
    core → nothing above itself

and no module imports itself back through any chain of imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symderiv"

ALLOWED = {
    "core": {"core"},
    "render": {"render", "core"},
    "layers": {"layers", "render", "core"},
    "networks": {"networks", "layers", "render", "core"},
    "checks": {"checks", "layers", "render", "core"},
    "codegen": {"codegen", "layers", "render", "core"},
    "theorems": {"theorems", "checks", "layers", "core"},
    "cli": {"cli", "checks", "codegen", "networks", "theorems", "layers", "render", "core"},
    "sphinx": {"sphinx", "cli", "checks", "networks", "theorems", "layers", "render", "core"},
}
"""What each package may import (besides the standard library and third-party packages)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports_of(path: Path) -> set[str]:
    """The symderiv modules ``path`` imports, resolved to module names (a name imported from a
    package counts as that submodule when one exists, else as the package)."""
    name = module_name(path)
    package = name if is_package(path) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "symderiv")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "symderiv":
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in MODULES else source)
    found.discard(name)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_the_graph_sees_every_package() -> None:
    assert {layer_of(m) for m in MODULES} >= set(ALLOWED)
    assert "symderiv.core.poly" in GRAPH["symderiv.core.ops"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_dependency_rule(module: str) -> None:
    own = layer_of(module)
    if own is None:
        return  # symderiv/__init__ and __main__: the public surface sits above every package
    wrong = sorted(m for m in GRAPH[module] if layer_of(m) not in ALLOWED[own])
    assert not wrong, f"{module} ({own}) may import only {sorted(ALLOWED[own])}: {wrong}"


def test_families_do_not_import_each_other() -> None:
    wrong = []
    for module, imported in GRAPH.items():
        parts = module.split(".")
        if layer_of(module) != "layers" or len(parts) < 4:
            continue
        for other in imported:
            other_parts = other.split(".")
            if layer_of(other) == "layers" and len(other_parts) > 2 and other_parts[2] != parts[2]:
                wrong.append(f"{module} -> {other}")
    assert not wrong, "a family imports another family; share it through core/: " + str(wrong)


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for imported in sorted(GRAPH.get(module, ())):
            if state.get(imported) == 1:
                return stack[stack.index(imported) :] + [imported]
            if imported not in state and (cycle := visit(imported)) is not None:
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)) is not None:
            pytest.fail("import cycle: " + " -> ".join(cycle))
