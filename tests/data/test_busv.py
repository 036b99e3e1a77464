"""BUSV: split files, errata and frame resampling, on a small fixture in the published layout."""

import json

import numpy as np
import pytest

from das_keras.data import DatasetNotFoundError, busv, busv_videos
from das_keras.data.transforms import resample_indices

DUPLICATE = "benign/x66ef02e7f1b9a0ef"  # errata: dropped (same video as malignant/x3b88...)
RELABELLED = ("benign/x63c9ba1377f35bf6", "benign/x5a1c46ec6377e946")  # errata: malignant
# video name -> number of frames
TRAIN = {
    "benign/x0000000000000001": 3,
    DUPLICATE: 4,
    RELABELLED[0]: 5,
    "malignant/x3b88488853e8b7d1": 4,
    "malignant/x0000000000000002": 20,
}
VAL = {"benign/x0000000000000003": 7, RELABELLED[1]: 2, "malignant/x0000000000000004": 9}


@pytest.fixture
def busv_root(tmp_path, busv_layout):
    return busv_layout.write(tmp_path / "BUSV", TRAIN, VAL)


def _named(videos, root):
    return {folder.relative_to(root / "rawframes").as_posix(): label for folder, label in videos}


def test_split_files_and_errata(busv_root):
    train = _named(busv_videos(busv_root, "train"), busv_root)
    assert DUPLICATE not in train
    assert set(train) == set(TRAIN) - {DUPLICATE}
    assert train[RELABELLED[0]] == 1
    assert train["benign/x0000000000000001"] == 0 and train["malignant/x3b88488853e8b7d1"] == 1
    val = _named(busv_videos(busv_root, "val"), busv_root)
    assert val == {
        "benign/x0000000000000003": 0,
        RELABELLED[1]: 1,
        "malignant/x0000000000000004": 1,
    }
    assert busv_videos(busv_root, "test") == busv_videos(busv_root, "val")


def test_errata_can_be_switched_off(busv_root):
    train = _named(busv_videos(busv_root, "train", apply_errata=False), busv_root)
    assert set(train) == set(TRAIN)
    assert train[DUPLICATE] == 0 and train[RELABELLED[0]] == 0


def test_video_names_fall_back_to_image_file_names(busv_root, busv_layout):
    coco = busv_layout.coco_vid(VAL, with_video_names=False)
    (busv_root / "imagenet_vid_val.json").write_text(json.dumps(coco))
    val = _named(busv_videos(busv_root, "val"), busv_root)
    assert val == {
        "benign/x0000000000000003": 0,
        RELABELLED[1]: 1,
        "malignant/x0000000000000004": 1,
    }


def test_dataset_resamples_every_video_to_t_frames(busv_root, busv_layout):
    ds = busv(busv_root, "train", num_frames=8, size=(16, 12), shuffle=False)
    assert ds.class_names == ["benign", "malignant"]
    elements = [(x.numpy(), int(y)) for x, y in ds]
    videos = busv_videos(busv_root, "train")
    assert [y for _, y in elements] == [label for _, label in videos]
    for (clip, _), (folder, _) in zip(elements, videos, strict=True):
        assert clip.shape == (8, 16, 12, 1) and clip.dtype == np.float32
        name = folder.relative_to(busv_root / "rawframes").as_posix()
        levels = np.array(busv_layout.levels(name, TRAIN[name]))
        wanted = levels[resample_indices(len(levels), 8)] / 255.0
        np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)), wanted, atol=1.5 / 255)
    batch, labels = next(iter(busv(busv_root, "val", num_frames=4, size=8, batch_size=3)))
    assert tuple(batch.shape) == (3, 4, 8, 8, 1) and sorted(labels.numpy()) == [0, 1, 1]


def test_absent_data_says_where_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        busv(tmp_path / "nowhere", "train")
    message = str(caught.value)
    for part in (
        "https://github.com/jhl-Det/CVA-Net",
        "Google Drive",
        "rawframes/{benign,malignant}",
    ):
        assert part in message
    assert "imagenet_vid_train_15frames.json" in message


def test_missing_video_folder_is_reported(busv_root):
    for png in (busv_root / "rawframes" / "benign" / "x0000000000000003").iterdir():
        png.unlink()
    (busv_root / "rawframes" / "benign" / "x0000000000000003").rmdir()
    with pytest.raises(DatasetNotFoundError, match="x0000000000000003"):
        busv_videos(busv_root, "val")


def test_invalid_split(busv_root):
    with pytest.raises(ValueError, match="`split`"):
        busv_videos(busv_root, "validation")
