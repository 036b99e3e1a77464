"""The tutorials: sources (tutorials/src/*.py) -> notebooks (tutorials/*.ipynb), their install
cell, their saved outputs, and a fast-mode run of each.

Each notebook is executed top to bottom with nbclient in a fresh kernel of the Python running
the tests, in a temporary working folder (nothing is written into the repository), with
DAS_KERAS_FAST=1 (one epoch on a few batches) and the real data from ../shared/data.
"""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is needed to read the tutorials")
pytest.importorskip("jupytext", reason="jupytext converts the tutorial sources")

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
SHARED_DATA = ROOT.parent / "shared" / "data"
NOTEBOOKS = (
    "01_quickstart.ipynb",
    "02_pretrained_zoo.ipynb",
    "03_tuning.ipynb",
    "04_ultrasound_video.ipynb",
    "05_export_onnx.ipynb",
)
# 05 trains on generated data; the others read MedMNIST3D or POCUS files.
NEEDS_SHARED_DATA = NOTEBOOKS[:4]


def load_builder():
    """tutorials/build.py as a module (also used by tests/test_fresh_install.py)."""
    spec = importlib.util.spec_from_file_location("tutorials_build", TUTORIALS / "build.py")
    module = importlib.util.module_from_spec(spec)
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ there
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


@pytest.fixture(scope="module")
def builder():
    return load_builder()


def _read(name):
    return nbformat.read(TUTORIALS / name, as_version=4)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _outputs_text(cells):
    return "".join(output.get("text", "") for cell in cells for output in cell.get("outputs", []))


def test_the_five_tutorials_are_there(builder):
    assert sorted(p.name for p in TUTORIALS.glob("*.ipynb")) == list(NOTEBOOKS)
    assert [p.with_suffix(".ipynb").name for p in builder.sources()] == list(NOTEBOOKS)
    assert not (TUTORIALS / "make_notebooks.py").exists()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_converted_from_its_source(builder, name):
    expected = builder.build(TUTORIALS / "src" / name.replace(".ipynb", ".py"))
    actual = _read(name)
    nbformat.validate(actual)
    assert [(c.cell_type, c.source) for c in actual.cells] == [
        (c.cell_type, c.source) for c in expected.cells
    ], f"{name} differs from tutorials/src: run `make tutorials` (or tutorials/build.py)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_saved_outputs_come_from_a_full_normal_run(name):
    nb = _read(name)
    assert nb.metadata["das_keras"]["outputs_from"] == "normal mode"
    code = _code_cells(nb)
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    assert "normal mode" in _outputs_text(code)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_one_source_setting_and_an_install_cell_that_fails_loudly(name):
    nb = _read(name)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "das-keras/das-keras" not in "".join(c.source for c in nb.cells), "placeholder repo"

    code = _code_cells(nb)
    source_cell = ast.parse(code[0].source).body
    assert len(source_cell) == 1 and source_cell[0].targets[0].id == "DAS_KERAS_SOURCE"
    assert source_cell[0].value.value == "das-keras", "the same source in all five notebooks"

    install = code[1].source
    assert '[sys.executable, "-m", "pip", "install"' in install
    assert "subprocess.check_call(" in install and "raise RuntimeError(" in install
    assert "import das_keras" in code[2].source, "das_keras is used right after the install"
    for cell in code:  # no %pip / ! / get_ipython().system: they do not fail on errors
        ast.parse(cell.source)
        lines = [line.lstrip() for line in cell.source.splitlines()]
        assert not [line for line in lines if line.startswith(("%", "!"))], cell.source
        assert ".system(" not in cell.source and 'run_line_magic("pip"' not in cell.source


def _install_cells(name="03_tuning.ipynb"):
    code = _code_cells(_read(name))
    return code[0].source, code[1].source


def test_install_cell_builds_the_pip_requirement_from_das_keras_source(tmp_path):
    source, install = _install_cells()
    namespace = {}
    # with a module that is there, the cell only defines `requirement` (no pip, no TensorFlow)
    exec(re.sub(r"MODULES = \[.*\]", 'MODULES = ["json"]', install), namespace)
    requirement = namespace["requirement"]
    extras = "[tuning]" if importlib.util.find_spec("tensorflow") else "[cpu,tuning]"
    assert requirement("das-keras", ["tuning"]) == f"das-keras{extras}"
    assert requirement("das-keras==0.2.0", ["tuning"]) == f"das-keras{extras}==0.2.0"
    url = "git+https://github.com/someone/das-keras@v0.2"
    assert requirement(url, ["tuning"]) == f"das-keras{extras} @ {url}"
    wheel = tmp_path / "das_keras-0.2.0-py3-none-any.whl"
    assert requirement(str(wheel), ["tuning"]) == f"das-keras{extras} @ {wheel.as_uri()}"


def test_install_cell_stops_with_a_clear_message_when_pip_fails(tmp_path):
    """A missing package and a source that pip cannot install: the cell raises, naming it."""
    source, install = _install_cells()
    missing_wheel = tmp_path / "das_keras-9.9.9-py3-none-any.whl"  # not there
    script = (
        source.replace('"das-keras"', repr(str(missing_wheel)))
        + "\n"
        + install.replace('"das_keras"', '"das_keras_not_installed_here"')
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode != 0
    assert "RuntimeError: pip could not install" in result.stderr
    assert "set DAS_KERAS_SOURCE in the first code cell" in result.stderr
    assert "das_keras_not_installed_here not found: pip install das-keras[" in result.stdout
    assert f"] @ {missing_wheel.as_uri()}" in result.stdout


def test_notebook_3_shows_its_trials_as_a_figure():
    code = _code_cells(_read("03_tuning.ipynb"))
    figure_cells = [cell for cell in code if 'summary["trials"]' in cell.source]
    assert figure_cells, "no cell plots the trials"
    images = [o for o in figure_cells[0].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the trials figure is not in the saved outputs"


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_in_fast_mode(builder, name, tmp_path):
    pytest.importorskip("nbclient", reason="nbclient is needed to execute the tutorials")
    pytest.importorskip("ipykernel", reason="ipykernel is needed to execute the tutorials")
    if name in NEEDS_SHARED_DATA and not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data not found at {SHARED_DATA} (only present on the project's machines); "
            f"{name} reads MedMNIST3D or POCUS files from there"
        )
    env = {
        "DAS_KERAS_DATA": str(SHARED_DATA / "medmnist3d"),
        "DAS_KERAS_POCUS": str(SHARED_DATA / "pocus"),
    }
    before = sorted(p.name for p in TUTORIALS.iterdir())
    executed, seconds = builder.execute(_read(name), tmp_path, True, env_extra=env, timeout=600)
    print(f"{name}: {seconds:.1f} s in fast mode")
    assert sorted(p.name for p in TUTORIALS.iterdir()) == before, "the notebook wrote files here"
    code = _code_cells(executed)
    errors = [o for cell in code for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert "fast mode" in _outputs_text(code), "the notebook did not see DAS_KERAS_FAST=1"
