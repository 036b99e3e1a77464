"""TFDS builders "medmnist3d" and "busv": real files, generated files, manual_dir, errors.

Everything is prepared under tmp_path and nothing is downloaded: `DownloadManager.download` is
replaced by a fake (or by a function that fails) wherever a download could happen.
"""

import hashlib
import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

tfds = pytest.importorskip(
    "tensorflow_datasets",
    reason="tensorflow-datasets is not installed (optional: pip install 'das-keras[tfds]')",
)

from das_keras.data import (  # noqa: E402
    ChecksumError,
    DatasetNotFoundError,
    busv,
    busv_videos,
    decode_clip,
    load_medmnist3d_arrays,
    medmnist3d_info,
)
from das_keras.data.tfds_builders import (  # noqa: E402
    BusvBuilder,
    Medmnist3dBuilder,
    busv_config,
    medmnist3d_config,
)
from das_keras.data.transforms import resample_indices  # noqa: E402

mm = importlib.import_module("das_keras.data.medmnist3d")

# from ../shared/data/medmnist3d/PROVENANCE.md
REAL = {
    "adrenal": {"n": {"train": 1188, "validation": 98, "test": 298}, "train_counts": [929, 259]},
    "vessel": {"n": {"train": 1335, "validation": 191, "test": 382}, "train_counts": [1185, 150]},
}
TFDS_TO_FILE_SPLIT = {"train": "train", "validation": "val", "test": "test"}

DUPLICATE = "benign/x66ef02e7f1b9a0ef"  # errata: dropped (same video as malignant/x3b88...)
RELABELLED = ("benign/x63c9ba1377f35bf6", "benign/x5a1c46ec6377e946")  # errata: malignant
BUSV_TRAIN = {
    "benign/x0000000000000001": 3,
    DUPLICATE: 4,
    RELABELLED[0]: 5,
    "malignant/x3b88488853e8b7d1": 4,
    "malignant/x0000000000000002": 20,
}
BUSV_VAL = {"benign/x0000000000000003": 7, RELABELLED[1]: 2, "malignant/x0000000000000004": 9}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """No network, and no data folder of the developer's machine: every download fails loudly
    unless a test installs its own fake, and DAS_KERAS_DATA points to an empty folder."""

    def no_download(self, url_or_urls):
        raise OSError(f"network disabled in tests: {url_or_urls}")

    monkeypatch.setattr(tfds.download.DownloadManager, "download", no_download)
    empty = tmp_path / "das_keras_data"
    empty.mkdir()
    monkeypatch.setenv("DAS_KERAS_DATA", str(empty))


def _load(name, data_dir, manual_dir=None, config=None, split=None):
    """tfds.load as a user would call it: {split: NumPy dict (all examples in one batch)}, info."""
    download_config = tfds.download.DownloadConfig(
        manual_dir=None if manual_dir is None else str(manual_dir)
    )
    datasets, info = tfds.load(
        name,
        split=split,
        data_dir=str(data_dir),
        with_info=True,
        builder_kwargs={} if config is None else {"config": config},
        download_and_prepare_kwargs={"download_config": download_config},
    )
    if split is not None:
        datasets = {split: datasets}
    arrays = {
        split_name: next(iter(tfds.as_numpy(ds.batch(100_000))))
        for split_name, ds in datasets.items()
    }
    return arrays, info


def _assert_same_as_das_keras(arrays, name, size, data_dir):
    for tfds_split, file_split in TFDS_TO_FILE_SPLIT.items():
        images, labels = load_medmnist3d_arrays(name, file_split, size, data_dir, download=False)
        assert arrays[tfds_split]["volume"].shape == (len(labels), size, size, size, 1)
        assert arrays[tfds_split]["volume"].dtype == np.uint8
        np.testing.assert_array_equal(arrays[tfds_split]["volume"][..., 0], images)
        np.testing.assert_array_equal(arrays[tfds_split]["label"], labels)


# ----------------------------------------------------------------------------- MedMNIST3D


def test_registered_builders_configs_and_info():
    assert tfds.builder_cls("medmnist3d") is Medmnist3dBuilder
    assert tfds.builder_cls("busv") is BusvBuilder
    names = [cfg.name for cfg in Medmnist3dBuilder.BUILDER_CONFIGS]
    sets = ("organ", "nodule", "adrenal", "fracture", "vessel", "synapse")
    assert sorted(names) == sorted(f"{s}_{size}" for s in sets for size in (28, 64))
    info = tfds.builder("medmnist3d/organ_64", data_dir="/nonexistent").info
    assert info.features["volume"].shape == (64, 64, 64, 1)
    assert info.features["volume"].np_dtype == np.uint8
    assert info.features["label"].names == list(medmnist3d_info("organ")["label_names"])
    assert info.supervised_keys == ("volume", "label")
    assert "Scientific Data" in info.citation and info.homepage == "https://medmnist.com/"
    assert info.metadata["md5"] == medmnist3d_info("organ", 64)["md5"]
    assert info.metadata["official_split_sizes"] == {"train": 971, "val": 161, "test": 610}
    assert tfds.builder("medmnist3d", data_dir="/nonexistent").builder_config.name == "vessel_28"
    busv_info = tfds.builder("busv", data_dir="/nonexistent").info
    assert busv_info.features["clip"].shape == (16, 64, 64, 1)
    assert busv_info.features["label"].names == ["benign", "malignant"]
    assert "MICCAI 2022" in busv_info.citation and "CVA-Net" in busv_info.homepage
    assert "Baidu" in BusvBuilder.MANUAL_DOWNLOAD_INSTRUCTIONS


def test_checksums_tsv_has_the_official_urls():
    url_infos = Medmnist3dBuilder.url_infos
    for name in ("adrenal", "vessel"):
        info = medmnist3d_info(name)
        assert url_infos[info["url"]].filename == info["filename"]
        assert len(url_infos[info["url"]].checksum) == 64  # sha256


@pytest.mark.shared_data
def test_checksums_tsv_matches_the_real_files(shared_data):
    url_infos = Medmnist3dBuilder.url_infos
    for name in ("adrenal", "vessel"):
        info = medmnist3d_info(name)
        data = (shared_data / "medmnist3d" / info["filename"]).read_bytes()
        assert int(url_infos[info["url"]].size) == len(data)
        assert url_infos[info["url"]].checksum == hashlib.sha256(data).hexdigest()


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_prepare_from_manual_dir(shared_data, tmp_path, name):
    folder = shared_data / "medmnist3d"
    arrays, info = _load(f"medmnist3d/{name}_28", tmp_path / "tfds", manual_dir=folder)
    assert {s: info.splits[s].num_examples for s in REAL[name]["n"]} == REAL[name]["n"]
    assert np.bincount(arrays["train"]["label"]).tolist() == REAL[name]["train_counts"]
    _assert_same_as_das_keras(arrays, name, 28, folder)
    # prepared once: a second load reads the TFDS files (the manual folder is not needed)
    again, _ = _load(f"medmnist3d/{name}_28", tmp_path / "tfds", split="validation")
    np.testing.assert_array_equal(again["validation"]["volume"], arrays["validation"]["volume"])


def test_generated_file_of_another_set_and_size(tmp_path, monkeypatch, make_official_npz):
    manual = tmp_path / "manual"
    (manual / "medmnist3d").mkdir(parents=True)  # the medmnist3d/ subfolder is searched too
    path = manual / "medmnist3d" / "organmnist3d_64.npz"
    md5 = make_official_npz(path, size=64, counts=(5, 2, 3), num_classes=11)
    monkeypatch.setitem(mm.MEDMNIST3D["organ"]["md5"], 64, md5)
    arrays, info = _load("medmnist3d/organ_64", tmp_path / "tfds", manual_dir=manual)
    assert {s: split.num_examples for s, split in info.splits.items()} == {
        "train": 5,
        "validation": 2,
        "test": 3,
    }
    assert info.features["label"].num_classes == 11
    _assert_same_as_das_keras(arrays, "organ", 64, path.parent)


def test_das_keras_data_folder_is_used_without_manual_dir(tmp_path, monkeypatch, make_official_npz):
    folder = Path(os.environ["DAS_KERAS_DATA"])
    md5 = make_official_npz(folder / "nodulemnist3d.npz", counts=(3, 2, 2))
    monkeypatch.setitem(mm.MEDMNIST3D["nodule"]["md5"], 28, md5)
    arrays, _ = _load("medmnist3d/nodule_28", tmp_path / "tfds")
    _assert_same_as_das_keras(arrays, "nodule", 28, folder)


def test_download_goes_through_tfds_and_the_md5_check(tmp_path, monkeypatch, make_official_npz):
    md5 = make_official_npz(tmp_path / "synapse.npz", counts=(2, 2, 2))
    monkeypatch.setitem(mm.MEDMNIST3D["synapse"]["md5"], 28, md5)
    urls = []

    def fake_download(self, url):  # TFDS names the file after the URL, not the official name
        urls.append(url)
        target = Path(os.fspath(self.download_dir)) / "zenodo.org_records_synapse_XYZ.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((tmp_path / "synapse.npz").read_bytes())
        return target

    monkeypatch.setattr(tfds.download.DownloadManager, "download", fake_download)
    arrays, _ = _load("medmnist3d/synapse_28", tmp_path / "tfds")
    assert urls == [medmnist3d_info("synapse")["url"]]
    linked = tmp_path / "tfds" / "downloads" / "medmnist3d" / "synapsemnist3d.npz"
    assert linked.exists()
    _assert_same_as_das_keras(arrays, "synapse", 28, linked.parent)

    # a download with another MD5 is refused by the same check
    monkeypatch.setitem(mm.MEDMNIST3D["fracture"]["md5"], 28, "0" * 32)
    monkeypatch.setattr(
        tfds.download.DownloadManager,
        "download",
        lambda self, url: Path(os.fspath(self.download_dir)) / "zenodo.org_records_synapse_XYZ.npz",
    )
    with pytest.raises(ChecksumError, match="MD5 mismatch"):
        _load("medmnist3d/fracture_28", tmp_path / "tfds")


def test_offline_error_names_url_md5_and_manual_dir(tmp_path):
    info = medmnist3d_info("fracture", 64)
    with pytest.raises(DatasetNotFoundError) as caught:
        _load("medmnist3d/fracture_64", tmp_path / "tfds")
    message = str(caught.value)
    for part in (info["filename"], info["url"], info["md5"], "manual_dir", "network disabled"):
        assert part in message


def test_corrupt_file_in_manual_dir_is_refused(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "vesselmnist3d.npz").write_bytes(b"not the official file")
    with pytest.raises(ChecksumError, match="b41fd4f7e7e2feedddb201585ecafa1b"):
        _load("medmnist3d/vessel_28", tmp_path / "tfds", manual_dir=manual)


def test_config_arguments_are_validated():
    assert medmnist3d_config("VesselMNIST3D", 64).name == "vessel_64"
    with pytest.raises(ValueError, match="`name`.*'liver'"):
        medmnist3d_config("liver")
    with pytest.raises(ValueError, match="`size`.*32"):
        medmnist3d_config("vessel", 32)
    assert busv_config(8, (48, 64)).name == "t8_48x64"
    assert busv_config(8, 32, apply_errata=False).name == "t8_32x32_noerrata"
    with pytest.raises(ValueError, match="`num_frames`.*0"):
        busv_config(0)
    with pytest.raises(ValueError, match="`size`"):
        busv_config(8, (0, 4))
    with pytest.raises(ValueError, match="`apply_errata`.*'yes'"):
        busv_config(8, 32, apply_errata="yes")


# ----------------------------------------------------------------------------- BUSV


@pytest.fixture
def busv_root(tmp_path, busv_layout):
    return busv_layout.write(tmp_path / "BUSV", BUSV_TRAIN, BUSV_VAL)


def test_busv_prepares_from_manual_dir_with_errata_and_t_frames(tmp_path, busv_root, busv_layout):
    config = busv_config(8, (16, 12))
    arrays, info = _load("busv", tmp_path / "tfds", manual_dir=busv_root, config=config)
    assert set(info.splits) == {"train", "validation"}
    for tfds_split, split, listed in (
        ("train", "train", BUSV_TRAIN),
        ("validation", "val", BUSV_VAL),
    ):
        videos = busv_videos(busv_root, split)  # errata applied
        got = arrays[tfds_split]
        assert info.splits[tfds_split].num_examples == len(videos)
        assert [v.decode() for v in got["video_id"]] == [folder.name for folder, _ in videos]
        assert got["label"].tolist() == [label for _, label in videos]
        assert got["clip"].shape == (len(videos), 8, 16, 12, 1) and got["clip"].dtype == np.uint8
        for clip, (folder, _) in zip(got["clip"], videos, strict=True):
            np.testing.assert_array_equal(clip, decode_clip(folder, 8, (16, 12)))
            name = folder.relative_to(busv_root / "rawframes").as_posix()
            levels = np.array(busv_layout.levels(name, listed[name]))
            wanted = levels[resample_indices(len(levels), 8)]
            np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)), wanted, atol=1.5)
    train = dict(zip([v.decode() for v in arrays["train"]["video_id"]], arrays["train"]["label"]))
    assert DUPLICATE.split("/")[1] not in train
    assert train[RELABELLED[0].split("/")[1]] == 1
    assert train["x0000000000000001"] == 0
    # the das_keras pipeline gives the same clips (float32 in [0, 1])
    ds = busv(busv_root, "val", num_frames=8, size=(16, 12), shuffle=False, cache=False)
    clips = np.stack([x.numpy() for x, _ in ds])
    np.testing.assert_allclose(clips, arrays["validation"]["clip"] / 255.0, atol=1e-6)


def test_busv_default_config_and_subfolder_of_manual_dir(tmp_path, busv_root):
    # manual_dir may be the folder above BUSV/; without errata the duplicate stays
    arrays, info = _load("busv", tmp_path / "tfds", manual_dir=busv_root.parent)
    assert info.config_name == "t16_64x64"
    assert arrays["train"]["clip"].shape == (4, 16, 64, 64, 1)
    raw, _ = _load(
        "busv",
        tmp_path / "tfds",
        manual_dir=busv_root,
        config=busv_config(4, 8, apply_errata=False),
    )
    assert len(raw["train"]["label"]) == len(BUSV_TRAIN)


def test_busv_without_data_says_where_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        _load("busv", tmp_path / "tfds")
    message = str(caught.value)
    for part in ("https://github.com/jhl-Det/CVA-Net", "manual_dir", "rawframes/benign"):
        assert part in message
    empty_manual = tmp_path / "wrong"
    (empty_manual / "something").mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError, match="No BUSV data in the manual folder"):
        _load("busv", tmp_path / "tfds", manual_dir=empty_manual)


# ----------------------------------------------------------------------------- optional import


def test_das_keras_does_not_import_tfds_and_missing_tfds_is_explained():
    script = textwrap.dedent(
        """
        import sys
        import das_keras, das_keras.data
        assert "tensorflow_datasets" not in sys.modules, "das_keras imported tensorflow_datasets"
        sys.modules["tensorflow_datasets"] = None  # as if it were not installed
        try:
            import das_keras.data.tfds_builders
        except ImportError as err:
            print("IMPORT ERROR:", err)
        """
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "IMPORT ERROR: das_keras.data.tfds_builders needs TensorFlow Datasets" in result.stdout
    assert 'pip install "das-keras[tfds]"' in result.stdout
