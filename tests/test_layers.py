"""The package's floors: every module imports only from the floors below it.

The contract of ../shared/DESIGN.md ("Floors") and the README ("How the code is laid
out"), read from the source of every module: top-level imports, imports inside
functions and under ``if TYPE_CHECKING:`` alike. Rules:

1. a module imports only modules of its own subpackage or of a lower floor;
2. two subpackages on one floor (search and theory; rationals and files) do not
   import each other;
3. no import circle, between modules of one subpackage either;
4. a function-local import is only for an optional third-party package (the root's
   lazy names and the CLI's command table load package modules by name with
   ``import_module``, and only they may import importlib, pkgutil or runpy);
   :data:`LAZY` lists the few other function-local imports, each with the start-up
   time it saves;
5. the checker imports the standard library and itself, nothing else;
6. the engine's floors (checker, errors, rationals, files, geometry, core, search,
   run) import no networkx, sympy or drawing library, so a count loads none of them;
   the optional packages (onnx, torch, dask, matplotlib, plotly, pandas) are imported
   inside the functions that need them (or for type checkers only).

Each rule has a test below that feeds it a module breaking it, so the contract is
known to fail on a new upward import.
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "polyregions"

#: Bottom to top. Subpackages (or top-level modules) of one floor may not import each other.
FLOORS: list[tuple[str, ...]] = [
    ("checker",),
    ("errors", "_version"),
    ("rationals", "files"),
    ("geometry",),
    ("core",),
    ("io",),
    ("search", "theory"),
    ("run",),
    ("certificates",),
    ("queries",),
    ("views",),
    ("cli",),
    ("__init__", "__main__"),
]
FLOOR = {unit: level for level, units in enumerate(FLOORS) for unit in units}

#: Third-party packages that only a function may import (optional extras).
OPTIONAL = {"onnx", "onnxruntime", "torch", "dask", "distributed", "matplotlib", "plotly", "pandas", "numpy"}
#: Packages that the engine's floors (LIGHT) never import: a count loads none of them.
HEAVY = {"networkx", "sympy", "matplotlib", "plotly", "pandas", "torch", "onnx", "dask", "distributed"}
LIGHT = {"checker", "errors", "_version", "rationals", "files", "geometry", "core", "search", "run"}
#: Modules allowed to load package modules by name (import_module).
DYNAMIC = {"polyregions", "polyregions.cli"}
#: The function-local imports that are not of an optional package, each with its reason
#: (start-up time, measured): (module, what it imports) -> why.
LAZY = {
    ("polyregions.cli.regions", "polyregions.cli.theory"):
        "count --bounds: the theory needs sympy, most of a second to import, which a plain count must not pay",
    ("polyregions.queries.folding", "sympy"):
        "the folding product as a sympy expression; max, verify and the other commands of its CLI module "
        "must not pay sympy's import",
    ("polyregions.io.torch", "zipfile"):
        "telling a TorchScript archive apart; every command loads io, and zipfile costs 2 ms",
    ("polyregions.run.executors", "multiprocessing"): "workers start only when a run outlasts its head start",
    ("polyregions.run.executors", "multiprocessing.connection"): "the same",
    ("polyregions.run.executors", "logging"): "the Dask path only",
    ("polyregions.run.executors", "uuid"): "the Dask path only",
    ("polyregions.certificates.boxes", "multiprocessing"): "checking workers start for verify -o --jobs N only",
    ("polyregions.checker.boxes", "multiprocessing"):
        "check --jobs N only: the checker (and count, which reads models with its file format) starts without "
        "it, about 12 ms",
    ("polyregions.certificates.boxes", "concurrent.futures"):
        "the same (its process pool imports multiprocessing: about 22 ms)",
}
#: Modules that load other modules by name; only DYNAMIC may import them.
LOADERS = {"importlib", "pkgutil", "runpy"}


def unit_of(module: str) -> str:
    """The floor unit of a module name: ``polyregions.core.network`` -> ``core``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def read_imports(module: str, source: str, is_package: bool, known: set[str]):
    """Every import in *source*: (target module, line, inside a function, for type checkers only)."""
    tree = ast.parse(source)
    typing_only: set[int] = set()
    for block in ast.walk(tree):
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            typing_only.update(id(n) for n in ast.walk(block) if isinstance(n, (ast.Import, ast.ImportFrom)))
    local: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            local.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
    found = []
    dynamic = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, node.lineno, id(node) in local, id(node) in typing_only))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in known else target, node.lineno, id(node) in local,
                              id(node) in typing_only))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__"):
                dynamic.append(node.lineno)
    return found, dynamic


def violations(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """The broken rules, one line each, of modules given as name -> (source, is_package)."""
    known = set(sources)
    problems: list[str] = []
    graph: dict[str, set[str]] = {name: set() for name in sources}
    stdlib = set(sys.stdlib_module_names)
    for name, (source, is_package) in sorted(sources.items()):
        unit = unit_of(name)
        if unit not in FLOOR:
            problems.append(f"{name}: not on any floor (add its subpackage to FLOORS and to the README)")
            continue
        imports, dynamic = read_imports(name, source, is_package, known)
        if dynamic and name not in DYNAMIC:
            problems.append(f"{name}:{dynamic[0]}: loads a module by name (only {sorted(DYNAMIC)} may)")
        for target, line, in_function, for_types in imports:
            top = target.split(".")[0]
            where = f"{name}:{line}"
            if top in LOADERS and name not in DYNAMIC:
                problems.append(f"{where}: imports {top}, which loads modules by name (only {sorted(DYNAMIC)} may)")
            if in_function and top != "polyregions" and top not in OPTIONAL and (name, target) not in LAZY:
                problems.append(f"{where}: imports {target} inside a function (import it at the top, or add it "
                                "to LAZY with the start-up time it saves)")
            if top == "polyregions":
                other = unit_of(target)
                if target in known and target != name:
                    graph[name].add(target)
                if other not in FLOOR:
                    problems.append(f"{where}: imports {target}, which is on no floor")
                    continue
                if in_function and name not in DYNAMIC and (name, target) not in LAZY:
                    problems.append(f"{where}: imports {target} inside a function (import it at the top)")
                if other == unit:
                    continue
                if FLOOR[other] > FLOOR[unit]:
                    problems.append(f"{where}: imports {target} from a higher floor ({other} above {unit})")
                elif FLOOR[other] == FLOOR[unit]:
                    problems.append(f"{where}: imports {target} from a sibling on its floor ({other} beside {unit})")
                continue
            if unit == "checker" and top not in stdlib and top != "__future__":
                problems.append(f"{where}: the checker imports {top}, which is not in the standard library")
            if unit in LIGHT and top in HEAVY and not (in_function and top in OPTIONAL):
                problems.append(f"{where}: {unit} imports {top} (the engine's floors stay free of it)")
            if top in OPTIONAL and not in_function and not for_types:
                problems.append(f"{where}: the optional package {top} is imported at the top "
                                "(import it inside the functions that need it)")
    problems += [f"import circle: {' -> '.join(circle)}" for circle in _circles(graph)]
    return problems


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def package_sources() -> dict[str, tuple[str, bool]]:
    return dict(_read_package())


@functools.lru_cache(maxsize=1)
def _read_package() -> dict[str, tuple[str, bool]]:
    sources = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        sources[".".join(parts)] = (path.read_text(encoding="utf-8"), is_package)
    return sources


def test_the_package_keeps_its_floors():
    problems = violations(package_sources())
    assert not problems, "\n".join(problems)


def test_every_subpackage_says_what_it_holds_and_may_use():
    for path in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and "May import" in doc or path.parent.name in ("checker", "cli"), path
        assert doc, path


# --------------------------------------------------------------------- the contract fails when broken

def _with(module: str, source: str, is_package: bool = False) -> list[str]:
    sources = package_sources()
    sources[module] = (source, is_package)
    return violations(sources)


def test_an_upward_import_is_caught():
    problems = _with("polyregions.core.extra", "from ..queries.count import count_regions\n")
    assert problems == ["polyregions.core.extra:1: imports polyregions.queries.count from a higher floor "
                        "(queries above core)"]


def test_an_upward_import_inside_a_function_or_for_types_is_caught():
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..views.plot import Polygon\n"
              "def f():\n    from polyregions.cli import main\n")
    problems = _with("polyregions.geometry.extra", source)
    assert any("extra:3: imports polyregions.views.plot from a higher floor" in p for p in problems)
    assert any("extra:5: imports polyregions.cli inside a function" in p for p in problems)
    assert any("extra:5: imports polyregions.cli from a higher floor" in p for p in problems)


def test_a_sibling_import_is_caught():
    problems = _with("polyregions.theory.extra", "from ..search.engine import Search\n")
    assert problems == ["polyregions.theory.extra:1: imports polyregions.search.engine from a sibling on its "
                        "floor (search beside theory)"]


def test_a_circle_inside_one_subpackage_is_caught():
    sources = package_sources()
    sources["polyregions.queries.a"] = ("from . import b\n", False)
    sources["polyregions.queries.b"] = ("from .a import x\n", False)
    assert violations(sources) == ["import circle: polyregions.queries.a -> polyregions.queries.b"]


def test_the_checker_stays_in_the_standard_library():
    problems = _with("polyregions.checker.extra", "import json\nimport sympy\nfrom ..errors import InputError\n")
    assert "polyregions.checker.extra:2: the checker imports sympy, which is not in the standard library" in problems
    assert any("extra:3: imports polyregions.errors from a higher floor" in p for p in problems)


def test_heavy_packages_stay_off_the_lower_floors():
    problems = _with("polyregions.search.extra", "import networkx as nx\ndef f():\n    import matplotlib\n")
    assert problems == ["polyregions.search.extra:1: search imports networkx (the engine's floors stay free of it)"]
    assert _with("polyregions.views.extra", "import plotly\n") == [
        "polyregions.views.extra:1: the optional package plotly is imported at the top (import it inside the "
        "functions that need it)"]


def test_loading_modules_by_name_is_only_for_the_lazy_names_and_the_command_table():
    problems = _with("polyregions.queries.extra", "from importlib import import_module as load\nload('x')\n")
    assert problems == ["polyregions.queries.extra:1: imports importlib, which loads modules by name (only "
                        "['polyregions', 'polyregions.cli'] may)"]
    problems = _with("polyregions.queries.extra", "import pkgutil\npkgutil.resolve_name('polyregions.cli')\n")
    assert problems == ["polyregions.queries.extra:1: imports pkgutil, which loads modules by name (only "
                        "['polyregions', 'polyregions.cli'] may)"]


def test_other_function_local_imports_need_a_reason():
    problems = _with("polyregions.search.extra", "def f():\n    import json\n")
    assert problems == ["polyregions.search.extra:2: imports json inside a function (import it at the top, or "
                        "add it to LAZY with the start-up time it saves)"]


def test_a_module_off_the_floors_is_caught():
    assert _with("polyregions.misc", "x = 1\n") == [
        "polyregions.misc: not on any floor (add its subpackage to FLOORS and to the README)"]


@pytest.mark.parametrize("name, unit", [("polyregions", "__init__"), ("polyregions.files", "files"),
                                        ("polyregions.core.network", "core")])
def test_unit_of(name, unit):
    assert unit_of(name) == unit
