"""A new user's install: the built wheel in a fresh virtual environment outside the repository.

One module-scoped environment: the wheel is built as `make dist` builds it (an sdist, then the
wheel from it) from a copy of the source tree (the files git would commit); a venv is created
under pytest's tmp folder, and the wheel with its `cpu` extra is installed with the pinned
versions (`-c requirements-lock.txt`) plus ipykernel for the notebook kernel. Everything then runs
from a folder outside the repository with that venv's Python: the README quickstart,
`das-keras zoo list`, a preset's `zoo evaluate` on the real data, and notebooks 1 and 2 in fast
mode (notebook 1 with the package uninstalled first, so that its install cell installs the wheel
from DAS_KERAS_SOURCE). Deselect with `-m "not slow"`.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MEDMNIST = SHARED_DATA / "medmnist3d"
PRESET = "das_vesselmnist3d_28_k25"
NO_DATA = f"real data not found at {SHARED_DATA} (only on the project's machines)"


def _run(args, cwd, timeout=600, env=None):
    """Runs a command; fails the test with its output when it exits non-zero."""
    env = dict(os.environ if env is None else env, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)  # the fresh venv must not see the repository
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    )
    return result.stdout


def load_builder():
    """tutorials/build.py as a module (it converts and executes the notebooks)."""
    spec = importlib.util.spec_from_file_location(
        "tutorials_build", ROOT / "tutorials" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source_tree(target):
    """Copies the files git would commit (tracked, and untracked but not ignored) to `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(venv python, wheel path, user folder): das-keras[cpu] installed from its wheel."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the source files")
    base = tmp_path_factory.mktemp("fresh_install")
    source = _source_tree(base / "source")
    # what `make dist` runs: an sdist, then the wheel built from it (no isolated build env)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", base / "dist", source], base)
    (wheel,) = (base / "dist").glob("das_keras-*.whl")
    _run([sys.executable, "-m", "venv", base / "venv"], base)
    python = base / "venv" / "bin" / "python"
    lock = ROOT / "requirements-lock.txt"
    _run([python, "-m", "pip", "install", "-q", "-c", lock, f"{wheel}[cpu]", "ipykernel"], base)
    user = base / "user"
    user.mkdir()
    where = _run([python, "-c", "import das_keras; print(das_keras.__file__)"], user)
    assert str(base / "venv") in where, f"das_keras imported from {where}, not the fresh venv"
    return python, wheel, user


def readme_quickstart():
    """The python block under "`model.fit` with a DASLayer" in README.md."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## `model.fit` with a DASLayer", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_quickstart_runs(fresh):
    python, _, user = fresh
    code = readme_quickstart()
    assert "epochs=3" in code, "the quickstart changed: update how this test shortens it"
    script = user / "quickstart.py"
    script.write_text(code.replace("epochs=3", "epochs=1, steps_per_epoch=3"))  # a smoke run
    output = _run([python, script], user)
    assert re.search(r"3/3.*accuracy: [0-9.]+ - loss: [0-9.]+", output), output


def test_zoo_list_is_not_empty(fresh):
    python, _, user = fresh
    names = _run([python.parent / "das-keras", "zoo", "list"], user).split()
    assert PRESET in names and "das_synthetic" in names, names


def test_preset_evaluates_on_the_real_data(fresh):
    if not MEDMNIST.is_dir():
        pytest.skip(NO_DATA)
    python, _, user = fresh
    args = [python.parent / "das-keras", "zoo", "evaluate", PRESET, "--data-dir", MEDMNIST]
    output = _run(args, user)
    assert "auc" in output.lower(), output


def test_notebooks_1_and_2_run_in_fast_mode_in_the_fresh_venv(fresh, tmp_path):
    """Notebook 1 starts without das-keras: its install cell installs the wheel."""
    pytest.importorskip("nbclient", reason="nbclient runs the notebooks")
    if not MEDMNIST.is_dir():
        pytest.skip(NO_DATA + "; notebooks 1 and 2 read VesselMNIST3D from there")
    python, wheel, user = fresh
    builder = load_builder()
    env = {"DAS_KERAS_DATA": str(MEDMNIST), "PYTHONPATH": ""}
    _run([python, "-m", "pip", "uninstall", "-y", "-q", "das-keras"], user)
    for name in ("01_quickstart", "02_pretrained_zoo"):
        nb = builder.build(ROOT / "tutorials" / "src" / f"{name}.py")
        source_cell = nb.cells[[c.cell_type for c in nb.cells].index("code")]
        source_cell.source = f"DAS_KERAS_SOURCE = {str(wheel)!r}"
        workdir = tmp_path / name
        workdir.mkdir()
        builder.execute(nb, workdir, True, env_extra=env, timeout=600, python=python)
        code = [c for c in nb.cells if c.cell_type == "code"]
        text = "".join(o.get("text", "") for c in code for o in c.outputs)
        assert "fast mode" in text
        installed = f"das_keras not found: pip install das-keras @ {wheel.as_uri()}"
        assert (installed in text) == (name == "01_quickstart"), text[:2000]
