"""The product's shape, as a newcomer relies on it: no import cycles (imports inside functions
count: they run too), and no test code in the product's folders."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("core", "obs_script", "installer", "models")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            stem = ".".join(filter(None, [base if node.level else "", node.module or ""]))
            targets = [f"{stem}.{a.name}" for a in node.names] + [stem]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not modules[target].name == "__init__.py":
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_a_cycle_through_an_import_inside_a_function():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph()
    assert "installer.wiring" in graph["installer.cli"]  # a top-level import
    assert "installer.doctor" in graph["installer.cli"]  # imported inside main()


def test_no_import_cycle_among_the_product_modules():
    assert cycles(import_graph()) == []


def test_no_test_code_in_the_product():
    modules = _modules()
    named_for_tests = [name for name in modules if name.rpartition(".")[2].startswith("test")
                       or name.endswith("_test")]  # installer/selftest.py is the user's check, not a test's
    assert named_for_tests == []
    imports_tests = [name for name, path in modules.items()
                     if any(t == "tests" or t.startswith("tests.") for t in _imported_names(path))]
    assert imports_tests == []


def _imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_pipeline_factory_knows_what_full_body_is_made_of():
    """No `== "full_body"` (nor `in`, `!=`) outside core/pipelines.py: the engine, the CLI and the
    benchmarks drive every pipeline through one contract."""
    found = []
    for name, path in _modules().items():
        if name == "core.pipelines":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and c.value == "full_body" for c in [node.left, *node.comparators]):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []


def test_what_runs_inside_obs_is_in_core_and_the_tools_are_in_core_tools():
    """Every core module the OBS script can reach sits in core/ itself; core/tools/ holds the rest."""
    graph = import_graph()
    reached, stack = set(), [m for m in graph if m.startswith("obs_script")]
    while stack:
        module = stack.pop()
        if module not in reached:
            reached.add(module)
            stack.extend(graph.get(module, ()))
    in_obs = {m for m in graph if m.startswith("core.") and m in reached}
    assert not {m for m in in_obs if m.startswith("core.tools")}, in_obs
    assert {m for m in graph if m.startswith("core.") and not m.startswith("core.tools")} - {"core.__main__"} <= in_obs


def test_the_mask_source_contract_imports_no_product_module_but_the_rectangle_type():
    """core/mask_source.py is a leaf but for core/geometry.py (the one rectangle type), itself a leaf: a
    pipeline, a driver or a plug-in depends on the contract, nothing behind it."""
    graph = import_graph()
    assert graph["core.mask_source"] == {"core.geometry"}
    assert graph["core.geometry"] == set()
