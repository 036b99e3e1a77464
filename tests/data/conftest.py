"""Fixtures for the data tests: the real data beside the checkout, and generated stand-ins."""

import hashlib
from pathlib import Path
from types import SimpleNamespace

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
def _no_data_env(monkeypatch, tmp_path):
    # a DAS_KERAS_DATA set on the developer's machine, or files in its ~/.medmnist, must not
    # change what the tests read (the test of the ~/.medmnist lookup sets its own HOME)
    monkeypatch.delenv("DAS_KERAS_DATA", raising=False)
    from das_keras.data import medmnist_files

    monkeypatch.setattr(medmnist_files, "MEDMNIST_ROOT", str(tmp_path / "no_home" / ".medmnist"))


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


def busv_frame_levels(name, num):
    """Brightness of each frame of a generated BUSV video: one grey level per frame, rising with
    the frame index (so resampling and order are visible), offset by 5 for malignant folders."""
    offset = 5 if name.startswith("malignant") else 0
    return [offset + 12 * i for i in range(num)]


def busv_coco_vid(videos, with_video_names=True, frame_shape=(18, 22)):
    """A COCO-VID split file (as a dict) listing `videos` ({"<class>/<id>": number of frames})."""
    entries, images = [], []
    for vid, (name, num) in enumerate(videos.items(), start=1):
        entries.append({"id": vid, "name": name, "vid_train_frames": list(range(num))})
        for frame in range(num):
            images.append(
                {
                    "id": len(images) + 1,
                    "file_name": f"{name}/{frame:06d}.png",
                    "video_id": vid,
                    "frame_id": frame,
                    "height": frame_shape[0],
                    "width": frame_shape[1],
                }
            )
    coco = {"categories": [{"id": 1, "name": "lesion"}], "images": images, "annotations": []}
    if with_video_names:
        coco["videos"] = entries
    return coco


def write_busv_layout(root, train, val, frame_shape=(18, 22)):
    """Writes a small BUSV tree in the published layout and returns `root`.

    root/rawframes/<class>/<id>/000000.png ... (RGB PNGs, frame i of a video has the grey level
    `busv_frame_levels(name, num)[i]`), root/imagenet_vid_train_15frames.json (`train`) and
    root/imagenet_vid_val.json (`val`); `train` and `val` map "<class>/<id>" to a frame count.
    """
    import json

    from PIL import Image

    root = Path(root)
    for name, num in {**train, **val}.items():
        folder = root / "rawframes" / name
        folder.mkdir(parents=True)
        for i, level in enumerate(busv_frame_levels(name, num)):
            frame = np.full((*frame_shape, 3), level, "uint8")
            Image.fromarray(frame).save(folder / f"{i:06d}.png")
    coco = {"imagenet_vid_train_15frames.json": train, "imagenet_vid_val.json": val}
    for filename, videos in coco.items():
        (root / filename).write_text(json.dumps(busv_coco_vid(videos, frame_shape=frame_shape)))
    return root


@pytest.fixture
def busv_layout():
    """The BUSV fixture builders for test modules (which should not import conftest):
    `.write(root, train, val, frame_shape)` -> root, `.levels(name, num)`, `.coco_vid(videos)`."""
    return SimpleNamespace(
        write=write_busv_layout, levels=busv_frame_levels, coco_vid=busv_coco_vid
    )
