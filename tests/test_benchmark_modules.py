"""Every benchmark is a module of the `benchmarks` package: it imports as `benchmarks.NAME`
(nothing runs on import) and finds its neighbours without editing sys.path."""

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODULES = sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem != "__init__")


def _edits_sys_path(path):
    """Whether the module's code touches `sys.path` (read with ast, comments and strings aside)."""
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_imports_as_a_package_module(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert module.__name__ == f"benchmarks.{name}"
    assert module.__doc__, f"benchmarks/{name}.py has no docstring saying what it does"


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_does_not_edit_sys_path(name):
    assert not _edits_sys_path(BENCHMARKS / f"{name}.py"), (
        f"benchmarks/{name}.py edits sys.path: import neighbours as `from benchmarks import ...` "
        "and run it as `python -m benchmarks.NAME`"
    )


def test_the_check_sees_a_sys_path_edit(tmp_path):
    """The check above can fail: it sees a sys.path edit (and not one in a comment)."""
    edited, commented = tmp_path / "edited.py", tmp_path / "commented.py"
    edited.write_text("import sys\nsys.path.insert(0, '..')\n")
    commented.write_text("# sys.path.insert(0, '..')\nx = 'sys.path'\n")
    assert _edits_sys_path(edited) and not _edits_sys_path(commented)
