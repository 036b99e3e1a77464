"""The data-set catalogue: every spec loads its splits, names resolve, new data sets register."""

import csv
import functools

import numpy as np
import pytest
import tensorflow as tf

from das_keras import defaults
from das_keras.data import catalog, medmnist3d_info
from das_keras.data.catalog import (
    DATASETS,
    DatasetSpec,
    class_weights,
    dataset_license,
    get_dataset,
    load_splits,
    register_dataset,
    unregister_dataset,
)

mm = __import__("das_keras.data.medmnist3d", fromlist=["MEDMNIST3D"])


def _first_batch(ds):
    x, y = next(iter(ds))
    return tuple(x.shape), tuple(y.shape)


def _balanced(labels):
    counts = np.bincount(labels)
    return {c: len(labels) / (len(counts) * n) for c, n in enumerate(counts)}


def test_builtin_names_match_the_command_line_choices():
    assert DATASETS == defaults.DATASET_NAMES
    assert catalog.MEDMNIST3D_SETS == defaults.MEDMNIST3D_NAMES == tuple(mm.MEDMNIST3D)


def test_unknown_name_names_the_argument_and_lists_the_choices():
    with pytest.raises(ValueError, match="`dataset`") as error:
        load_splits("imagenet")
    assert "dataset='imagenet'" in str(error.value)
    for name in DATASETS:
        assert repr(name) in str(error.value)


@pytest.mark.parametrize("alias", ["vessel", "medmnist3d:vessel", "VesselMNIST3D", "vesselmnist3d"])
def test_medmnist_aliases_resolve_to_one_spec(alias):
    assert get_dataset(alias) is get_dataset("vessel")


@pytest.mark.parametrize("name", catalog.MEDMNIST3D_SETS)
def test_medmnist_spec_loads_generated_official_file(
    name, tmp_path, monkeypatch, make_official_npz
):
    info = medmnist3d_info(name)
    classes = info["num_classes"]
    md5 = make_official_npz(tmp_path / info["filename"], counts=(7, 2, 3), num_classes=classes)
    monkeypatch.setitem(mm.MEDMNIST3D[name]["md5"], 28, md5)
    splits = load_splits(f"medmnist3d:{name}", batch_size=2, data_dir=tmp_path)
    assert splits.input_shape == (28, 28, 28, 1)
    assert splits.class_names == list(info["label_names"]) and splits.num_classes == classes
    assert _first_batch(splits.train) == ((2, 28, 28, 28, 1), (2,))
    assert sum(int(tf.shape(y)[0]) for _, y in splits.test) == 3
    labels = np.arange(7) % classes
    assert splits.class_weight == pytest.approx(_balanced(labels))
    assert class_weights(name, data_dir=tmp_path) == splits.class_weight


def test_medmnist_spec_size_64_and_bad_size(tmp_path, monkeypatch, make_official_npz):
    md5 = make_official_npz(tmp_path / "adrenalmnist3d_64.npz", size=64, counts=(2, 1, 1))
    monkeypatch.setitem(mm.MEDMNIST3D["adrenal"]["md5"], 64, md5)
    splits = load_splits("adrenal", batch_size=1, data_dir=tmp_path, size=64)
    assert splits.input_shape == (64, 64, 64, 1)
    assert _first_batch(splits.val) == ((1, 64, 64, 64, 1), (1,))
    with pytest.raises(ValueError, match="`size`"):
        load_splits("adrenal", data_dir=tmp_path, size=32)


def test_synthetic_spec_loads_its_splits(monkeypatch):
    # fewer volumes than the default, the same generator
    monkeypatch.setattr(catalog, "synthetic", functools.partial(catalog.synthetic, num_samples=4))
    splits = load_splits("synthetic", batch_size=2, seed=1)
    assert splits.input_shape == (32, 32, 32, 1) and splits.class_weight is None
    assert splits.class_names == ["square", "cross"]
    for ds in (splits.train, splits.val, splits.test):
        assert _first_batch(ds) == ((2, 32, 32, 32, 1), (2,))


def _write_pocus(root, per_class=7):
    from PIL import Image

    videos = root / "pocus_videos" / "convex"
    rows = []
    for prefix in ("Cov", "Pneu", "Reg"):
        for i in range(per_class):
            clip = videos / f"{prefix}_clip{i}"
            clip.mkdir(parents=True)
            for frame in range(3):
                Image.fromarray(np.full((10, 12), 40 * frame, "uint8")).save(clip / f"{frame}.png")
            rows.append({"Filename": clip.name, "Patient ID / Name": f"{prefix}{i}"})
    with open(root / "dataset_metadata.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Filename", "Patient ID / Name"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_pocus_spec_loads_generated_layout(tmp_path):
    root = _write_pocus(tmp_path / "pocus")
    splits = load_splits("pocus", batch_size=2, data_dir=root, num_frames=4, frame_size=8)
    assert splits.input_shape == (4, 8, 8, 1)
    assert splits.class_names == ["covid", "pneumonia", "regular"]
    for ds in (splits.train, splits.val, splits.test):
        x, y = next(iter(ds))
        assert tuple(x.shape[1:]) == (4, 8, 8, 1)
    # the same stratified split on every class: balanced weights of 1
    assert splits.class_weight == pytest.approx({0: 1.0, 1: 1.0, 2: 1.0})


def test_busv_spec_loads_generated_layout(tmp_path, busv_layout):
    train = {"benign/b1": 3, "benign/b2": 4, "benign/b3": 2, "malignant/m1": 5}
    root = busv_layout.write(tmp_path / "BUSV", train, {"benign/v1": 3, "malignant/v2": 2})
    splits = load_splits("busv", batch_size=2, data_dir=root, num_frames=3, frame_size=6)
    assert splits.input_shape == (3, 6, 6, 1) and splits.class_names == ["benign", "malignant"]
    assert _first_batch(splits.test) == ((2, 3, 6, 6, 1), (2,))
    assert splits.class_weight == pytest.approx(_balanced(np.array([0, 0, 0, 1])))


def test_dataset_registered_in_a_test_is_loadable_by_name():
    def load_split(split, options):
        x = np.full((3, 4, 5, 5, 1), {"train": 0, "val": 1, "test": 2}[split], "float32")
        return tf.data.Dataset.from_tensor_slices((x, np.array([0, 1, 1]))).batch(
            options.batch_size
        )

    spec = DatasetSpec(
        "toy",
        ("a", "b"),
        "CC0",
        load_split,
        lambda options: (4, 5, 5, 1),
        train_labels=lambda options: [0, 1, 1],
        aliases=("toy:v1",),
    )
    register_dataset(spec)
    try:
        with pytest.raises(ValueError, match="replace=True"):
            register_dataset(spec)
        splits = load_splits("TOY:v1", batch_size=2)
        assert "toy" in catalog.dataset_names() and dataset_license("toy") == "CC0"
        assert splits.num_classes == 2 and splits.input_shape == (4, 5, 5, 1)
        assert float(next(iter(splits.test))[0][0, 0, 0, 0, 0]) == 2.0
        assert splits.class_weight == pytest.approx({0: 1.5, 1: 0.75})
    finally:
        unregister_dataset("toy")
    with pytest.raises(ValueError, match="`dataset`"):
        get_dataset("toy")


def test_licenses():
    assert dataset_license("vesselmnist3d") == catalog.MEDMNIST3D_LICENSE
    assert "Non-commercial" in dataset_license("pocus")
    assert "Non-commercial" in dataset_license("busv")
    assert dataset_license("synthetic").startswith("Apache-2.0")


@pytest.mark.shared_data
def test_real_vessel_splits(medmnist_dir):
    splits = load_splits("vessel", batch_size=64, data_dir=medmnist_dir)
    assert splits.class_weight == pytest.approx({0: 1335 / (2 * 1185), 1: 1335 / (2 * 150)})
    assert sum(int(tf.shape(y)[0]) for _, y in splits.val) == 191


@pytest.mark.shared_data
def test_real_pocus_class_weights(pocus_dir):
    weights = class_weights("pocus", data_dir=pocus_dir)
    assert set(weights) == {0, 1, 2} and all(w > 0 for w in weights.values())
