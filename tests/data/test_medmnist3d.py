"""MedMNIST3D loading: real official files, generated files in the official format, failures."""

import importlib
import json
import shutil
import warnings

import numpy as np
import pytest

from das_keras.data import (
    ChecksumError,
    DatasetNotFoundError,
    class_weights,
    data_root,
    load_medmnist3d_arrays,
    medmnist3d,
    medmnist3d_info,
)

mm = importlib.import_module("das_keras.data.medmnist3d")
medmnist_files = importlib.import_module("das_keras.data.medmnist_files")

# from ../shared/data/medmnist3d/PROVENANCE.md
REAL = {
    "adrenal": {"n": {"train": 1188, "val": 98, "test": 298}, "train_counts": [929, 259]},
    "vessel": {"n": {"train": 1335, "val": 191, "test": 382}, "train_counts": [1185, 150]},
}


def _official_md5_json(medmnist_dir):
    with open(medmnist_dir / "official_md5.json") as handle:
        return json.load(handle)["v3_record_10519652"]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_have_official_split_sizes_and_label_counts(medmnist_dir, name):
    for split, n in REAL[name]["n"].items():
        images, labels = load_medmnist3d_arrays(name, split, data_dir=medmnist_dir)
        assert images.shape == (n, 28, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int32
        assert n == medmnist3d_info(name)["n_samples"][split]
    _, train_labels = load_medmnist3d_arrays(name, "train", data_dir=medmnist_dir)
    assert np.bincount(train_labels).tolist() == REAL[name]["train_counts"]


@pytest.mark.shared_data
def test_real_dataset_elements(medmnist_dir):
    ds = medmnist3d("vesselmnist3d", "val", data_dir=medmnist_dir, batch_size=64)
    batches = list(ds)
    x, y = batches[0]
    assert tuple(x.shape) == (64, 28, 28, 28, 1) and x.dtype.name == "float32"
    assert y.dtype.name == "int32"
    assert sum(len(b[1]) for b in batches) == 191
    values = np.concatenate([b[0].numpy().ravel() for b in batches])
    assert values.min() == 0.0 and values.max() == 1.0


@pytest.mark.shared_data
def test_constants_match_official_json(medmnist_dir):
    official = _official_md5_json(medmnist_dir)
    for key, entry in official.items():
        name = key.removesuffix("mnist3d")
        for size, md5_key in ((28, "MD5"), (64, "MD5_64")):
            info = medmnist3d_info(key, size)
            assert info["md5"] == entry[md5_key]
            suffix = "" if size == 28 else "_64"
            assert info["filename"] == f"{name}mnist3d{suffix}.npz"
            assert info["url"] == (
                f"https://zenodo.org/records/10519652/files/{info['filename']}?download=1"
            )
        assert info["n_samples"] == entry["n_samples"]
        assert info["num_classes"] == entry["n_classes"] == len(info["label_names"])


@pytest.mark.parametrize(
    ("name", "size", "num_classes"),
    [
        ("organ", 28, 11),
        ("nodule", 28, 2),
        ("fracture", 28, 3),
        ("synapse", 28, 2),
        ("OrganMNIST3D", 64, 11),
        ("vessel", 64, 2),
    ],
)
def test_generated_official_format_files_load(
    tmp_path, monkeypatch, make_official_npz, name, size, num_classes
):
    info = medmnist3d_info(name, size)
    md5 = make_official_npz(
        tmp_path / info["filename"], size=size, counts=(5, 2, 3), num_classes=num_classes
    )
    monkeypatch.setitem(mm.MEDMNIST3D[info["name"]]["md5"], size, md5)
    ds = medmnist3d(name, "train", size=size, data_dir=tmp_path, batch_size=5, seed=0)
    x, y = next(iter(ds))
    assert tuple(x.shape) == (5, size, size, size, 1)
    assert 0.0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 1.0
    assert sorted(y.numpy().tolist()) == sorted((np.arange(5) % num_classes).tolist())


@pytest.mark.shared_data
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_copy_raises_checksum_error(medmnist_dir, tmp_path, damage):
    copy = tmp_path / "vesselmnist3d.npz"
    shutil.copyfile(medmnist_dir / "vesselmnist3d.npz", copy)
    data = bytearray(copy.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[1000] ^= 0xFF
    copy.write_bytes(bytes(data))
    actual = medmnist_files._md5(copy)
    with pytest.raises(ChecksumError) as caught:
        load_medmnist3d_arrays("vessel", "train", data_dir=tmp_path, download=False)
    message = str(caught.value)
    assert str(copy) in message
    assert "b41fd4f7e7e2feedddb201585ecafa1b" in message and actual in message
    assert isinstance(caught.value, ValueError)


def test_missing_file_without_download(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        medmnist3d("nodule", "test", data_dir=tmp_path, download=False)
    message = str(caught.value)
    info = medmnist3d_info("nodule")
    for part in ("nodulemnist3d.npz", info["url"], info["md5"], str(tmp_path)):
        assert part in message
    assert isinstance(caught.value, FileNotFoundError)


def test_failed_download_names_file_url_md5_and_folder(tmp_path, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(DatasetNotFoundError) as caught:
        load_medmnist3d_arrays("synapse", "train", size=64, data_dir=tmp_path)
    message = str(caught.value)
    info = medmnist3d_info("synapse", 64)
    for part in ("synapsemnist3d_64.npz", info["url"], info["md5"], str(tmp_path), "name res"):
        assert part in message


def test_download_goes_to_the_data_folder(tmp_path, monkeypatch, make_official_npz):
    import keras

    calls = []
    md5 = make_official_npz(tmp_path / "source.npz", counts=(3, 1, 1))
    monkeypatch.setitem(mm.MEDMNIST3D["adrenal"]["md5"], 28, md5)
    target = tmp_path / "data"

    def fake_get_file(fname, origin, md5_hash, cache_dir, cache_subdir):
        calls.append((fname, origin, md5_hash))
        destination = target / cache_subdir / fname
        shutil.copyfile(tmp_path / "source.npz", destination)
        return str(destination)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    monkeypatch.setenv("DAS_KERAS_DATA", str(target))  # folder from the environment
    images, labels = load_medmnist3d_arrays("adrenal", "train")
    assert images.shape == (3, 28, 28, 28) and labels.tolist() == [0, 1, 0]
    assert calls == [("adrenalmnist3d.npz", medmnist3d_info("adrenal")["url"], md5)]
    assert (target / "adrenalmnist3d.npz").is_file()
    load_medmnist3d_arrays("adrenal", "val")  # now on disk: no second download
    assert len(calls) == 1


def test_data_folder_resolution(tmp_path, monkeypatch):
    assert data_root(tmp_path) == tmp_path
    monkeypatch.setenv("DAS_KERAS_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"  # the argument wins
    monkeypatch.delenv("DAS_KERAS_DATA")
    assert str(data_root()).endswith(".das_keras/datasets") and "~" not in str(data_root())


@pytest.mark.shared_data
def test_md5_is_computed_once_per_file_version(medmnist_dir, monkeypatch):
    calls = []
    real_md5 = medmnist_files._md5
    monkeypatch.setattr(medmnist_files, "_VERIFIED_MD5", {})
    monkeypatch.setattr(medmnist_files, "_md5", lambda path: calls.append(path) or real_md5(path))
    for split in ("train", "val", "test"):
        load_medmnist3d_arrays("adrenal", split, data_dir=medmnist_dir)
    assert len(calls) == 1


@pytest.mark.shared_data
def test_augmentation_keeps_shape_values_and_voxel_count(medmnist_dir):
    def first_batch(**kwargs):
        ds = medmnist3d(
            "vessel", "val", data_dir=medmnist_dir, batch_size=32, shuffle=False, **kwargs
        )
        return next(iter(ds))[0].numpy()

    plain = first_batch()
    augmented = first_batch(augment=True, seed=3)
    assert augmented.shape == plain.shape == (32, 28, 28, 28, 1)
    assert set(np.unique(augmented).tolist()) <= {0.0, 1.0}  # binary masks stay binary
    # flips and 90-degree turns move voxels without creating or losing any
    np.testing.assert_array_equal(augmented.sum(axis=(1, 2, 3, 4)), plain.sum(axis=(1, 2, 3, 4)))
    assert not np.array_equal(augmented, plain)
    np.testing.assert_array_equal(first_batch(augment=True, seed=3), augmented)  # seeded


def test_augmenting_organ_warns(tmp_path, monkeypatch, make_official_npz):
    md5 = make_official_npz(tmp_path / "organmnist3d.npz", counts=(2, 1, 1), num_classes=11)
    monkeypatch.setitem(mm.MEDMNIST3D["organ"]["md5"], 28, md5)
    with pytest.warns(UserWarning, match="left/right"):
        medmnist3d("organ", "train", data_dir=tmp_path, augment=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        medmnist3d("organ", "train", data_dir=tmp_path)


@pytest.mark.shared_data
@pytest.mark.parametrize(("axis", "order"), [(0, (0, 1, 2)), (1, (1, 0, 2)), (2, (2, 0, 1))])
def test_axis_option_transposes(medmnist_dir, axis, order):
    raw, _ = load_medmnist3d_arrays("adrenal", "test", data_dir=medmnist_dir)
    ds = medmnist3d("adrenal", "test", data_dir=medmnist_dir, axis=axis, shuffle=False)
    x, _ = next(iter(ds))
    expected = np.transpose(raw[0], order)[..., None] / 255.0
    np.testing.assert_allclose(x.numpy(), expected.astype("float32"))


@pytest.mark.shared_data
def test_class_weights_vessel(medmnist_dir):
    weights = class_weights("vessel", data_dir=medmnist_dir)
    assert set(weights) == {0, 1} and weights[1] > weights[0]
    assert weights[0] == pytest.approx(1335 / (2 * 1185))
    assert weights[1] == pytest.approx(1335 / (2 * 150))


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": "liver"}, "name"),
        ({"size": 32}, "size"),
        ({"split": "validation"}, "split"),
        ({"axis": 3}, "axis"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_invalid_arguments_name_the_argument(tmp_path, kwargs, argument):
    call = {"name": "vessel", "split": "train", "data_dir": tmp_path, "download": False, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        medmnist3d(call.pop("name"), call.pop("split"), **call)
