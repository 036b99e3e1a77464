"""Fixtures for the data tests: the real data beside the checkout, and generated stand-ins."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

# ../shared/data beside the project checkout (never committed to the project)
SHARED_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def _shared(subfolder, probe):
    folder = SHARED_DATA / subfolder
    if not (folder / probe).exists():
        pytest.skip(f"real data not found: {folder / probe} is absent (see ../shared/data)")
    return folder


@pytest.fixture(scope="session")
def medmnist_dir():
    """Folder with the official adrenalmnist3d.npz and vesselmnist3d.npz."""
    return _shared("medmnist3d", "vesselmnist3d.npz")


@pytest.fixture(scope="session")
def pocus_dir():
    """Folder with pocus_videos/ and dataset_metadata.csv."""
    return _shared("pocus", "pocus_videos")


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    # a DAS_KERAS_DATA set on the developer's machine must not change what the tests read
    monkeypatch.delenv("DAS_KERAS_DATA", raising=False)


def write_official_npz(path, size=28, counts=(4, 2, 3), num_classes=2, seed=0):
    """Writes a file in the official MedMNIST3D format and returns its MD5.

    Keys {split}_images uint8 (N, size, size, size) and {split}_labels uint8 (N, 1).
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in zip(("train", "val", "test"), counts, strict=True):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, size, size, size), dtype="uint8")
        arrays[f"{split}_labels"] = (np.arange(n) % num_classes).astype("uint8")[:, None]
    np.savez_compressed(path, **arrays)
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def make_official_npz():
    """`write_official_npz` as a fixture (test modules should not import conftest)."""
    return write_official_npz
