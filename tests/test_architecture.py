"""The package's layers import only downwards (docs/architecture.md).

Read from the source with `ast`, so the test needs neither TensorFlow nor any optional extra.
"""

import ast
import pathlib
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "das_keras"

# The layers of docs/architecture.md: an area (a subpackage or a top-level module) may import
# only areas on a lower level (or itself).
LEVELS = {
    **dict.fromkeys(("checks", "defaults", "version", "presets"), 0),  # presets: package data
    "__init__": 1,  # loads the rest on first use
    **dict.fromkeys(("layers", "data"), 1),
    **dict.fromkeys(("models", "batch_norm"), 2),
    **dict.fromkeys(("zoo", "export", "calibration", "evaluation", "distribute"), 3),
    "runs": 4,
    **dict.fromkeys(("tuning", "viz", "training", "run_folder", "schedules"), 5),
    "demo": 6,
    "commands": 7,
    "cli": 8,
    "__main__": 9,
}
# The rules, spelled out (implied by the levels; kept so that a change of levels that
# breaks one of them fails here too).
FORBIDDEN = {
    "checks": {"*"},  # a leaf: imports nothing of das_keras
    "layers": {"data", "runs", "commands"},
    "models": {"data", "runs"},
    "data": {"models", "layers"},
}
MAX_MODULE_LINES = 450
# Modules still being split (issue 18); each entry must go.
BEING_SPLIT = set()


def _area(module_path):
    parts = module_path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imported_areas(path):
    """The das_keras areas a module imports (absolute and relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = ("das_keras", *path.relative_to(PACKAGE).parent.parts)
    areas = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join((*base, node.module)) if node.module else ".".join(base)
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                module = node.module or ""
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "das_keras" and len(parts) > 1:
                areas.add((parts[1], node.lineno))
    return areas


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "tfds_builders" not in p.parts)


def _violations():
    found = []
    for path in _modules():
        area = _area(path)
        rel = path.relative_to(PACKAGE.parent)
        if area not in LEVELS:
            found.append(f"{rel}: area {area!r} has no level in LEVELS (docs/architecture.md)")
            continue
        for imported, line in _imported_areas(path):
            if imported == area:
                continue
            forbidden = FORBIDDEN.get(area, set())
            if "*" in forbidden or imported in forbidden:
                found.append(f"{rel}:{line} ({area}) must not import das_keras.{imported}")
            elif LEVELS.get(imported, 0) >= LEVELS[area]:
                found.append(
                    f"{rel}:{line} ({area}, level {LEVELS[area]}) imports das_keras.{imported} "
                    f"(level {LEVELS.get(imported)}): only lower levels"
                )
    return found


def test_layers_import_only_downwards():
    assert _violations() == []


def test_the_checker_sees_a_violation(tmp_path, monkeypatch):
    """The check itself can fail: a fake layers module that imports data/ is reported."""
    fake = tmp_path / "das_keras"
    (fake / "layers").mkdir(parents=True)
    (fake / "layers" / "bad.py").write_text("from das_keras.data import medmnist3d\n")
    (fake / "layers" / "relative.py").write_text("from ..runs import training\n")
    (fake / "zoo.py").write_text("from das_keras.runs import recipe\n")  # upwards
    (fake / "models").mkdir()
    (fake / "models" / "ok.py").write_text("from das_keras.layers import DASLayer\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert len(_violations()) == 3


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long(path):
    if str(path.relative_to(PACKAGE)) in BEING_SPLIT:
        pytest.skip("being split (issue 18)")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines; split it by concern"


# Imports inside functions hide the dependency graph: allowed only for optional extras (with an
# install hint where they are used), for TensorFlow inside the backend-neutral layers/models, and
# in commands/ (so that `das-keras --help` starts without TensorFlow).
OPTIONAL_EXTRAS = {
    *("PIL", "imageio_ffmpeg", "av", "absl", "huggingface_hub", "tf2onnx", "onnx"),
    *("onnxruntime", "IPython", "matplotlib", "keras_tuner", "tensorflow_datasets", "medmnist"),
}
TENSORFLOW_INSIDE = {"layers", "models"}


def _function_level_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    yield node.names[0].name.split(".")[0], node.lineno
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    yield (node.module or "").split(".")[0], node.lineno


def test_imports_inside_functions_are_only_for_extras_and_the_cli():
    found = []
    for path in _modules():
        area = _area(path)
        if area in ("commands", "cli"):
            continue
        for top, line in _function_level_imports(path):
            allowed = top in OPTIONAL_EXTRAS or (top == "tensorflow" and area in TENSORFLOW_INSIDE)
            if not allowed:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {top}")
    assert found == []
