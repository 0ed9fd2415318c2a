"""The package's shape, checked from its source: which layer may import which, and how calls pass
their arguments. Read statically (no import runs), so these checks cost nothing in the fast lane."""

import ast
from pathlib import Path

import harcnn

PACKAGE = Path(harcnn.__file__).parent
BENCHMARKS = PACKAGE.parents[1] / "benchmarks"
MOST_POSITIONAL = 6  # beyond this many positional arguments a call reads as a list to count: name them


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool) -> set[str]:
    """The harcnn modules `path` imports: at import time only (`top_level_only`: not inside functions,
    not for type checkers), or anywhere in it."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("harcnn")}


SOURCES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def loaded_with(module: str) -> set[str]:
    """Every harcnn module that importing `module` loads (its imports at import time, transitively)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]  # packages run their __init__
        for m in [name, *parents]:
            if m in SOURCES and m not in seen:
                seen.add(m)
                todo += imports(SOURCES[m], top_level_only=True)
    return seen


def test_models_know_nothing_of_data_nor_of_training():
    """models/ imports nothing from data/ or train/, not even inside a function: a network is built
    from its signature, a peer fits arrays, and a trainer is handed in."""
    for name, path in SOURCES.items():
        if name.startswith("harcnn.models"):
            wrong = sorted(m for m in imports(path, top_level_only=False) if m.startswith(("harcnn.data", "harcnn.train")))
            assert not wrong, f"{path} imports {wrong}"


def test_inference_loads_no_training_code():
    for module in ("harcnn.deploy.predict", "harcnn.deploy.stream", "harcnn.deploy.onnx", "harcnn.saved"):
        assert not {m for m in loaded_with(module) if m.startswith("harcnn.train")}, module


def test_the_layout_check_sees_imports():
    """The checks above would fail: the estimator does load models, and trains inside `fit_windows`."""
    assert "harcnn.models" in loaded_with("harcnn.estimator")
    assert "harcnn.train.fit" in imports(SOURCES["harcnn.estimator"], top_level_only=False)
    assert "harcnn.train.fit" not in imports(SOURCES["harcnn.estimator"], top_level_only=True)


def test_no_call_passes_more_than_six_arguments_by_position():
    long = []
    for path in [*PACKAGE.rglob("*.py"), *BENCHMARKS.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and sum(not isinstance(a, ast.Starred) for a in node.args) > MOST_POSITIONAL:
                long.append(f"{path.name}:{node.lineno} {ast.unparse(node.func)}")
    assert not long, long


def test_only_the_registry_asks_which_kind_a_model_is():
    """A CNN family and a peer answer the same questions (`models.registry`); nothing else reads which one it is."""
    for path in [*PACKAGE.rglob("*.py"), *BENCHMARKS.glob("*.py")]:
        if path.parent.name == "models" and path.name in ("registry.py", "peers.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            assert not (isinstance(node, ast.Attribute) and node.attr == "population"), f"{path.name}:{node.lineno}"
            assert not (isinstance(node, ast.Name) and node.id == "is_population"), f"{path.name}:{node.lineno}"


def test_import_harcnn_is_light():
    import subprocess
    import sys

    code = "import sys, harcnn; print('torch' in sys.modules, harcnn.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", harcnn.__version__]


def test_the_reference_preprocessing_needs_nothing_but_numpy_and_scipy():
    """A device developer reads or ports it alone."""
    tree = ast.parse((PACKAGE / "deploy" / "reference_preprocessing.py").read_text())
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules <= {"numpy", "scipy"}, modules
