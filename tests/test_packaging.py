"""The built distribution: sdist and wheel pass `twine check`, carry the licence and the
redistributable presets, leave out the non-commercial ones, and the wheel's zoo works offline.

The build runs `python -m build --no-isolation` (the pinned setuptools, no download) on a copy of
the working tree, so nothing is written into the repository.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from das_keras import zoo

pytest.importorskip("build")
pytest.importorskip("twine")

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "docs/pypi.md"]
SHIPPED = sorted(
    p.name for p in zoo.resolve.BUILTIN_DIR.iterdir() if (p / "metadata.json").is_file()
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """(sdist path, wheel path) built from a copy of the working tree."""
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "das_keras", tree / "das_keras", ignore=ignore)
    if (ROOT / "zoo").is_dir():  # to check that the sdist leaves it out
        shutil.copytree(ROOT / "zoo", tree / "zoo", ignore=ignore)
    out = tree / "dist"
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)]
    subprocess.run(build, check=True, capture_output=True, cwd=tree)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def test_twine_check_passes(dist):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_wheel_holds_licence_and_redistributable_presets_only(dist):
    _, wheel = dist
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "das_vesselmnist3d_28_k25" in SHIPPED and "das_synthetic" in SHIPPED
    for preset in SHIPPED:
        for file in (*zoo.CHECKED_FILES, zoo.MANIFEST_FILE):
            assert f"das_keras/presets/{preset}/{file}" in names
    assert "das_keras/presets/catalog.json" in names
    assert not [n for n in names if "pocus" in n and n.endswith((".h5", ".json"))]
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))
    )
    text = metadata.decode()
    assert "Project-URL: Source, https://" in text and "License-File: LICENSE" in text
    assert "](docs/" not in text  # the index page has no relative links


def test_sdist_holds_licence_and_no_non_commercial_preset(dist):
    sdist, _ = dist
    names = tarfile.open(sdist).getnames()
    top = names[0].split("/")[0]
    assert f"{top}/LICENSE" in names and f"{top}/docs/pypi.md" in names
    assert f"{top}/das_keras/presets/das_synthetic/model.weights.h5" in names
    assert not [n for n in names if "pocus" in n and n.endswith((".h5", ".json"))]


@pytest.mark.slow
def test_the_wheel_alone_lists_and_loads_its_presets(dist, tmp_path):
    """The unpacked wheel first on sys.path, run outside the repository, with no zoo/ at hand."""
    _, wheel = dist
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import das_keras as dk, pathlib; "
        f"assert pathlib.Path(dk.__file__).is_relative_to({str(site)!r}), dk.__file__; "
        "names = dk.zoo.list_presets(); print(names); "
        "m = dk.zoo.load('das_synthetic', num_classes=3); print(m.output_shape); "
        "print(dk.zoo.source_of('full_pocus'))"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("DAS_KERAS_ZOO", None)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert eval(lines[-3]) == sorted({*SHIPPED, *zoo.catalog()})
    assert lines[-2] == "(None, 3)"
    assert lines[-1] == "hf://das-keras/full_pocus"
