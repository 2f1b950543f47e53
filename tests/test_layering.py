"""The layering contract (docs/architecture.md), checked on every import statement of the
package, including those inside functions and ``if TYPE_CHECKING:`` blocks, which the
import-time test (tests/test_imports.py) cannot see.

Layers, top to bottom; a module may import its own subpackage and anything in a lower layer.
Subpackages in one layer are independent (they import none of each other) unless the layer
says otherwise:

    api | cli                                       the HTTP layer and the command line
    evaluation                                      calibration and identification tooling
    sdk                                             the Python client (and remote bulk import)
    recognition | repositories | liveness | documents   the endpoint families, side by side
    inputs | tenants | metering | operators | audit shared request inputs; customers and their keys; calls and bills;
                                                    console operators; the hash-chained audit log of decisions
    face | vectors | storage | auth | imaging | vault   the engines (vault: secrets sealed at rest under the master key)
    errors, settings                                the ground (settings may use errors)

``facesaas`` itself (its ``__init__``: the version) is ground; ``__main__`` sits on top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import facesaas

PACKAGE_ROOT = Path(facesaas.__file__).parent

LAYERS: list[tuple[frozenset[str], bool]] = [
    # (subpackages or top-level modules, may they import each other?)
    (frozenset({"__main__"}), False),
    (frozenset({"api", "cli"}), True),  # cli serves the api app; the api never imports the cli
    (frozenset({"evaluation"}), False),
    (frozenset({"sdk"}), False),
    (frozenset({"recognition", "repositories", "liveness", "documents"}), False),
    (frozenset({"inputs", "tenants", "metering", "operators", "audit"}), False),
    (frozenset({"face", "vectors", "storage", "auth", "imaging", "vault"}), False),
    (frozenset({"errors", "settings", ""}), True),
]
TOP_DOWN_ONLY = {("api", "cli")}
"""Pairs inside a shared layer that may only point one way: (importer, imported) is refused."""


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, modules: frozenset[str]) -> set[str]:
    """Every module of ``modules`` that ``path`` imports, wherever the statement sits (top level,
    inside a function, under ``if TYPE_CHECKING``). ``from a.b import c`` is ``a.b.c`` when that
    is a module (a submodule, as ``import a.b.c`` would be), else ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return {m for m in found if m in modules and m != name}


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """module → the facesaas modules it imports."""
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    modules = frozenset(paths)
    return {name: imports_of(path, name, modules) for name, path in paths.items()}


def unit(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to; "" for ``facesaas`` itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(unit_name: str) -> int:
    for index, (members, _) in enumerate(LAYERS):
        if unit_name in members:
            return index
    raise AssertionError(f"facesaas.{unit_name} is in no layer: add it to LAYERS and docs/architecture.md")


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that break the contract: upward, across independent neighbours, or top-down-only
    pairs taken the wrong way."""
    found = []
    for importer, targets in graph.items():
        source = unit(importer)
        for target in targets:
            dest = unit(target)
            if source == dest:
                continue
            a, b = layer_of(source), layer_of(dest)
            if a > b:
                found.append(f"{importer} -> {target}: upward ({dest} is above {source})")
            elif a == b and (not LAYERS[a][1] or (source, dest) in TOP_DOWN_ONLY):
                found.append(f"{importer} -> {target}: {source} and {dest} sit side by side")
    return sorted(found)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_keeps_its_layers() -> None:
    assert violations(import_graph()) == []


def test_no_import_cycles_even_inside_functions() -> None:
    assert cycles(import_graph()) == []


def test_every_subpackage_has_a_layer() -> None:
    for path in PACKAGE_ROOT.iterdir():
        if (path.is_dir() and (path / "__init__.py").exists()) or (path.suffix == ".py" and path.stem != "__init__"):
            layer_of(path.stem)


def test_the_checker_sees_what_it_must_refuse(tmp_path: Path) -> None:
    """The contract's own checks fail on a package that breaks it (a test that cannot fail
    would prove nothing)."""
    root = tmp_path / "facesaas"
    files = {
        "__init__.py": "",
        "errors.py": "",
        "face/__init__.py": "",
        "face/engine.py": "def f():\n    from facesaas.recognition import service  # upward, inside a function\n",
        "recognition/__init__.py": "",
        "recognition/service.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from facesaas.documents.x import y\n",
        "documents/__init__.py": "",
        "documents/x.py": "from ..recognition import service\n",
        "api/__init__.py": "from facesaas.cli import main\n",
        "cli/__init__.py": "",
        "cli/main.py": "from facesaas.cli import repo\n",
        "cli/repo.py": "def g():\n    from facesaas.cli.main import h\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = import_graph(root)
    assert violations(graph) == [
        "facesaas.api -> facesaas.cli.main: api and cli sit side by side",
        "facesaas.documents.x -> facesaas.recognition.service: documents and recognition sit side by side",
        "facesaas.face.engine -> facesaas.recognition.service: upward (recognition is above face)",
        "facesaas.recognition.service -> facesaas.documents.x: recognition and documents sit side by side",
    ]
    assert sorted(map(tuple, cycles(graph))) == [
        ("facesaas.cli.main", "facesaas.cli.repo"),
        ("facesaas.documents.x", "facesaas.recognition.service"),
    ]
