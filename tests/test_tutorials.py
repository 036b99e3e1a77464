"""The Colab tutorials (tutorials/*.ipynb): their structure, and a fast-mode run of each.

Each notebook is executed top to bottom with nbclient in a fresh kernel of the Python running
the tests, in a temporary working folder (nothing is written into the repository), with
DAS_KERAS_FAST=1 (one epoch on a few batches) and the real data from ../shared/data.
"""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is needed to read the tutorials")

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
# 05 trains on generated data; the others read MedMNIST3D or POCUS files (02: where the zoo
# has the VesselMNIST3D preset).
NEEDS_SHARED_DATA = NOTEBOOKS[:4]
COLAB_LINK = "https://colab.research.google.com/github/das-keras/das-keras/blob/main/tutorials/"
COLAB_GUARD = 'IN_COLAB = "google.colab" in sys.modules'


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", TUTORIALS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ there
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


def _read(name):
    return nbformat.read(TUTORIALS / name, as_version=4)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_the_five_tutorials_are_there():
    assert sorted(p.name for p in TUTORIALS.glob("*.ipynb")) == list(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_generated_from_make_notebooks(generator, name):
    specs = {spec()[0]: spec for spec in generator.NOTEBOOKS}
    _, expected = generator.build(specs[name])
    actual = _read(name)
    nbformat.validate(actual)
    assert [(c.cell_type, c.source) for c in actual.cells] == [
        (c.cell_type, c.source) for c in expected.cells
    ], f"{name} differs from tutorials/make_notebooks.py: run `python tutorials/make_notebooks.py`"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_title_colab_badge_and_guarded_install(name):
    nb = _read(name)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert f"]({COLAB_LINK}{name})" in first.source, "the Open-in-Colab badge must link to itself"
    assert "colab-badge.svg" in first.source

    code = _code_cells(nb)
    install = [i for i, cell in enumerate(code) if COLAB_GUARD in cell.source]
    assert install, f"no install cell with `{COLAB_GUARD}`"
    uses_package = [i for i, cell in enumerate(code) if "import das_keras" in cell.source]
    assert install[0] < uses_package[0], "the install cell must come before das_keras is used"

    tree = ast.parse(code[install[0]].source)
    pip_calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "run_line_magic"
        and node.args
        and getattr(node.args[0], "value", None) == "pip"
    ]
    assert pip_calls, "the install cell must run %pip through get_ipython().run_line_magic"
    guarded = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "IN_COLAB"
        for statement in node.body
        for inner in ast.walk(statement)
    }
    assert all(id(call) in guarded for call in pip_calls), "pip must run only `if IN_COLAB:`"
    assert "das-keras[" in code[install[0]].source

    for cell in code:  # bare magics / shell lines would run everywhere (and are not Python)
        ast.parse(cell.source)
        lines = [line.lstrip() for line in cell.source.splitlines()]
        assert not [line for line in lines if line.startswith(("%", "!"))], cell.source


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_in_fast_mode(generator, name, tmp_path):
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
    nb = _read(name)
    executed, seconds = generator.execute(nb, tmp_path, fast=True, env_extra=env, timeout=600)
    print(f"{name}: {seconds:.1f} s in fast mode")
    assert sorted(p.name for p in TUTORIALS.iterdir()) == before, "the notebook wrote files here"
    errors = [
        output
        for cell in _code_cells(executed)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert "fast mode" in "".join(
        output.get("text", "") for output in _code_cells(executed)[1].get("outputs", [])
    ), "the notebook did not see DAS_KERAS_FAST=1"
