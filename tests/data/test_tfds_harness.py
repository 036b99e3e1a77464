"""Both TFDS builders pass TFDS's own `DatasetBuilderTestCase` on dummy files.

The harness forbids `os` file functions and `open` in the builder modules and requires
`np.load` to get a file object (so reads go through `tf.io.gfile`); it prepares the data set
from the dummy folder (its manual and download folder) and checks splits, features, reloading
and the configs. The dummy files are generated here, in the official layouts, into a temporary
folder (`EXAMPLE_DIR`): the MedMNIST3D file with `write_official_npz`, the BUSV tree with
`write_busv_layout` (tests/data/conftest.py). The dummy MedMNIST file cannot have the official
MD5, so the test puts its MD5 in `MEDMNIST3D` for the test's duration, as the other tests do.
"""

import hashlib
from pathlib import Path

import pytest

tfds = pytest.importorskip(
    "tensorflow_datasets",
    reason="tensorflow-datasets is not installed (optional: pip install 'das-keras[tfds]')",
)
pytest.importorskip("dill", reason="tfds.testing imports dill (declared in the test extra)")

import importlib  # noqa: E402

from das_keras.data.tfds_builders import BusvBuilder, Medmnist3dBuilder  # noqa: E402

mm = importlib.import_module("das_keras.data.medmnist3d")

MEDMNIST_COUNTS = {"train": 3, "val": 2, "test": 2}
BUSV_TRAIN = {"benign/x0000000000000001": 3, "malignant/x0000000000000002": 5}
BUSV_VAL = {"benign/x0000000000000003": 4, "malignant/x0000000000000004": 2}


def _dummy_folder(cls, tmp_path_factory, write):
    """The class's dummy folder, written once (TFDS memoizes `dummy_data` per class)."""
    if cls.EXAMPLE_DIR is None:
        folder = tmp_path_factory.mktemp(f"{cls.__name__}_dummy_data")
        write(folder)
        cls.EXAMPLE_DIR = str(folder)
    return Path(cls.EXAMPLE_DIR)


@pytest.fixture(autouse=True)
def _empty_data_folder(tmp_path, monkeypatch):
    # the developer's data folder must not be found before (or instead of) the dummy files
    monkeypatch.setenv("DAS_KERAS_DATA", str(tmp_path / "no_data"))


@pytest.fixture
def medmnist_dummy(request, tmp_path_factory, make_official_npz, monkeypatch):
    counts = tuple(MEDMNIST_COUNTS.values())
    folder = _dummy_folder(
        request.cls,
        tmp_path_factory,
        lambda f: make_official_npz(f / "vesselmnist3d.npz", counts=counts),
    )
    md5 = hashlib.md5((folder / "vesselmnist3d.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(mm.MEDMNIST3D["vessel"]["md5"], 28, md5)


@pytest.fixture
def busv_dummy(request, tmp_path_factory, busv_layout):
    _dummy_folder(
        request.cls, tmp_path_factory, lambda f: busv_layout.write(f, BUSV_TRAIN, BUSV_VAL)
    )


@pytest.mark.usefixtures("medmnist_dummy")
class Medmnist3dBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = Medmnist3dBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["vessel_28"]
    SPLITS = {"train": 3, "validation": 2, "test": 2}


@pytest.mark.usefixtures("busv_dummy")
class BusvBuilderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = BusvBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["t8_64x64"]
    SPLITS = {"train": 2, "validation": 2}
