"""MedMNIST conventions (issue 21, item 6): medmnist's ~/.medmnist folder is searched before
downloading, files are read through tf.io.gfile, and our copy of the INFO table is medmnist's.
"""

import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from das_keras.data import DatasetNotFoundError, load_medmnist3d_arrays, medmnist3d_path

mm = importlib.import_module("das_keras.data.medmnist3d")
medmnist_files = importlib.import_module("das_keras.data.medmnist_files")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HOME, with the ~/.medmnist lookup at its default (conftest turns it off)."""
    folder = tmp_path / "home"
    (folder / ".medmnist").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setattr(medmnist_files, "MEDMNIST_ROOT", mm.MEDMNIST_ROOT)
    return folder


@pytest.fixture
def no_download(monkeypatch):
    import keras

    def fail(*args, **kwargs):
        raise AssertionError(f"no download expected: {args} {kwargs}")

    monkeypatch.setattr(keras.utils, "get_file", fail)


def test_files_in_medmnist_home_are_used_before_downloading(
    home, tmp_path, monkeypatch, make_official_npz, no_download
):
    assert mm.MEDMNIST_ROOT == "~/.medmnist"
    data = tmp_path / "das_keras_data"
    data.mkdir()
    monkeypatch.setenv("DAS_KERAS_DATA", str(data))
    md5 = make_official_npz(home / ".medmnist" / "vesselmnist3d.npz", counts=(3, 2, 1))
    monkeypatch.setitem(mm.MEDMNIST3D["vessel"]["md5"], 28, md5)
    assert medmnist3d_path("vessel") == home / ".medmnist" / "vesselmnist3d.npz"
    images, labels = load_medmnist3d_arrays("vessel", "train")
    assert images.shape == (3, 28, 28, 28) and labels.tolist() == [0, 1, 0]
    # the das_keras data folder comes first: its own (other) file wins
    md5 = make_official_npz(data / "vesselmnist3d.npz", counts=(5, 2, 1), seed=1)
    monkeypatch.setitem(mm.MEDMNIST3D["vessel"]["md5"], 28, md5)
    assert medmnist3d_path("vessel") == data / "vesselmnist3d.npz"
    assert len(load_medmnist3d_arrays("vessel", "train")[1]) == 5
    # and the error lists every folder searched, in order
    with pytest.raises(DatasetNotFoundError) as caught:
        medmnist3d_path("nodule", download=False)
    message = str(caught.value)
    positions = [message.index(str(f)) for f in (data, data / "medmnist3d", home / ".medmnist")]
    assert positions == sorted(positions)


def test_gfile_url_data_folder(monkeypatch, make_official_npz, tmp_path, no_download):
    source = tmp_path / "adrenalmnist3d.npz"
    md5 = make_official_npz(source, counts=(2, 3, 1))
    monkeypatch.setitem(mm.MEDMNIST3D["adrenal"]["md5"], 28, md5)
    folder = "ram://das_keras_test_medmnist"  # TensorFlow's in-memory file system, like gs://
    with tf.io.gfile.GFile(f"{folder}/medmnist3d/adrenalmnist3d.npz", "wb") as handle:
        handle.write(source.read_bytes())
    assert medmnist3d_path("adrenal", data_dir=folder) == f"{folder}/medmnist3d/adrenalmnist3d.npz"
    images, labels = load_medmnist3d_arrays("adrenal", "val", data_dir=folder)
    with np.load(source) as archive:
        np.testing.assert_array_equal(images, archive["val_images"])
    assert labels.tolist() == [0, 1, 0]
    ds = mm.medmnist3d("adrenal", "val", data_dir=folder, batch_size=3)
    assert ds.class_names == ["normal", "hyperplasia"]
    assert next(iter(ds))[0].shape == (3, 28, 28, 28, 1)
    with pytest.raises(DatasetNotFoundError, match="local folders only"):
        medmnist3d_path("organ", data_dir=folder)


def _medmnist_info():
    """medmnist/info.py run on its own: `import medmnist` would import torch (or print that it
    is missing); info.py needs neither, so medmnist is installed with --no-deps for this test."""
    spec = importlib.util.find_spec("medmnist")
    if spec is None:
        pytest.skip("medmnist is not installed (`make setup` installs it with --no-deps)")
    path = Path(spec.submodule_search_locations[0]) / "info.py"
    info_spec = importlib.util.spec_from_file_location("_medmnist_info_only", path)
    module = importlib.util.module_from_spec(info_spec)
    info_spec.loader.exec_module(module)
    return module


def test_info_table_matches_medmnist(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # running medmnist/info.py creates ~/.medmnist
    info = _medmnist_info()
    official = {k: v for k, v in info.INFO.items() if k.endswith("mnist3d")}
    assert sorted(official) == sorted(f"{key}mnist3d" for key in mm.MEDMNIST3D)
    for key, entry in mm.MEDMNIST3D.items():
        theirs = official[f"{key}mnist3d"]
        labels = tuple(theirs["label"][str(i)] for i in range(len(theirs["label"])))
        assert entry["label_names"] == labels, key
        assert entry["n_samples"] == theirs["n_samples"], key
        assert entry["md5"] == {28: theirs["MD5"], 64: theirs["MD5_64"]}, key
        ours = [mm.medmnist3d_info(key, size)["url"] for size in mm.SIZES]
        assert ours == [theirs["url"], theirs["url_64"]], key
    assert info.get_default_root() == str(Path(mm.MEDMNIST_ROOT).expanduser())
