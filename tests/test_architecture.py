"""The package's layers, read from the source: imports only go down, there is no import
circle, no module takes another's private names, and function-level imports of rnncast
modules exist only where they keep ``rnncast --help`` free of PyTorch."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rnncast

ROOT = Path(rnncast.__file__).parent

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS = [
    ("rnncast.errors", "rnncast.version"),
    ("rnncast.runtime",),
    ("rnncast.data", "rnncast.datasets"),
    ("rnncast.nn", "rnncast.reference"),
    ("rnncast.evaluation",),
    ("rnncast.config",),
    ("rnncast.training",),
    ("rnncast.persistence",),
    ("rnncast.forecasting",),
    ("rnncast.studies", "rnncast.experiments"),
    ("rnncast.reports",),
    ("rnncast.jobs",),
    ("rnncast.cli", "rnncast.__main__"),
    ("rnncast",),  # the package's own __init__: lazy names for users
]

# Function-level imports of rnncast modules that keep `rnncast --help` (and `import
# rnncast`) free of PyTorch: the CLI imports a command's machinery when the command runs.
LAZY_ALLOWED = tuple(
    f"rnncast.cli.{m}" for m in ("common", "fit", "studies", "runs", "cells", "start")
)
LAZY_NOTE = "# Commands import their machinery when they run, so `rnncast --help` stays"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = _modules()


def _rank(module: str) -> int:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer; add it to LAYERS"
    return best[0]


def _imports(tree: ast.Module):
    """(imported module, names, whether inside a function) for every rnncast import."""
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        inner = id(node) in nested
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnncast"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in MODULES else node.module
                yield target, alias.name, inner, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rnncast"):
                    yield alias.name, alias.name, inner, node.lineno


EDGES = [(m, *edge) for m, tree in MODULES.items() for edge in _imports(tree)]


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _rank(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module):
    upward = [
        f"line {line}: {target}"
        for source, target, _, _, line in EDGES
        if source == module and _rank(target) > _rank(module)
    ]
    assert not upward, f"{module} imports a higher layer: {upward}"


def test_no_module_takes_private_names_of_another():
    taken = [
        f"{source} line {line}: {target}.{name}"
        for source, target, name, _, line in EDGES
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not taken


def test_function_level_imports_only_keep_the_cli_light():
    lazy = [
        f"{source} line {line}: {target}"
        for source, target, _, inner, line in EDGES
        if inner and source not in LAZY_ALLOWED
    ]
    assert not lazy
    for module in LAZY_ALLOWED:  # and each of those modules says why
        text = (ROOT / (module.replace("rnncast.", "").replace(".", "/") + ".py")).read_text()
        assert LAZY_NOTE in text, module


def test_no_import_circle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for source, target, _, _, _ in EDGES:
        if target != source and target in graph and source != "rnncast":
            graph[source].add(target)
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                raise AssertionError(" -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def _private_defined(tree: ast.Module) -> set[str]:
    """Private names a module defines itself: functions, methods, classes, attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return {n for n in names if n.startswith("_")}


def test_no_private_attribute_of_another_module():
    """``x._name`` only for a ``_name`` the module defines itself (its own class's
    internals), and PyTorch's one default-store accessor (rnncast.runtime.distributed)."""
    allowed = {"_get_default_store"}
    found = []
    for module, tree in MODULES.items():
        own = _private_defined(tree) | allowed
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in own
            ):
                found.append(f"{module} line {node.lineno}: {ast.unparse(node)}")
    assert not found


def test_the_layer_checks_can_fail():
    """The rules above catch what they are for, on made-up sources."""
    tree = ast.parse("def f():\n    from rnncast.cli.app import main\n")
    (edge,) = _imports(tree)
    assert edge[2] and _rank(edge[0]) > _rank("rnncast.data.io")
    tree = ast.parse("from rnncast.forecasting.panel import _run\n")
    assert next(_imports(tree))[1] == "_run"
