"""Video folders: all real POCUS clips decode, POCUS labels and patient splits, generated clips."""

import collections
import csv
import importlib
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tensorflow as tf

from das_keras.data import (
    ClipDecodeError,
    ClipDecodeWarning,
    decode_clip,
    pocus,
    pocus_clips,
    video_folder,
    video_folder_clips,
)
from das_keras.data.transforms import resample_indices

vf = importlib.import_module("das_keras.data.video_folder")
clip_decode = importlib.import_module("das_keras.data.clip_decode")
clip_pipeline = importlib.import_module("das_keras.data.clip_pipeline")

# ---------------------------------------------------------------- generated clips


def _levels(num):
    return [20 * i + 10 for i in range(num)]  # frame i is uniformly 20 i + 10: order is visible


def _write_video(path, num, codec="libx264"):
    import imageio_ffmpeg

    quality = ["-crf", "5"] if codec == "libx264" else ["-q:v", "2"]
    writer = imageio_ffmpeg.write_frames(
        str(path), (32, 32), codec=codec, quality=None, output_params=quality
    )
    writer.send(None)
    for level in _levels(num):
        writer.send(np.full((32, 32, 3), level, "uint8").tobytes())
    writer.close()


def _write_gif(path, num):
    from PIL import Image

    frames = [Image.fromarray(np.full((24, 20), v, "uint8")) for v in _levels(num)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)


def _write_frames(folder, num):
    from PIL import Image

    folder.mkdir(parents=True)
    for i, level in enumerate(_levels(num)):
        # unpadded names: natural order must put 10.png after 9.png
        Image.fromarray(np.full((20, 30, 3), level, "uint8")).save(folder / f"{i}.png")


@pytest.fixture
def clip_root(tmp_path):
    """root/{cat,dog}/ with one clip of each kind: mp4, avi, upper-case .MP4, gif, frame folder."""
    root = tmp_path / "clips"
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    _write_video(root / "cat" / "Cov_a.mp4", 12)
    _write_video(root / "cat" / "Reg_b.avi", 6, codec="mpeg4")
    _write_gif(root / "dog" / "Cov_c.gif", 5)
    _write_frames(root / "dog" / "Reg_d", 11)
    _write_video(root / "dog" / "Vir_e.MP4", 4)
    (root / "dog" / "notes.txt").write_text("not a clip")
    return root


def test_every_generated_format_decodes_in_frame_order(clip_root):
    expected_lengths = {
        "Cov_a.mp4": 12,
        "Reg_b.avi": 6,
        "Cov_c.gif": 5,
        "Reg_d": 11,
        "Vir_e.MP4": 4,
    }
    clips = vf.find_clips(clip_root)
    assert sorted(p.name for p in clips) == sorted(expected_lengths)
    for path in clips:
        clip = decode_clip(path, num_frames=8, size=(12, 16))
        assert clip.shape == (8, 12, 16, 1) and clip.dtype == np.uint8
        levels = np.array(_levels(expected_lengths[path.name]))
        wanted = levels[resample_indices(len(levels), 8)]
        np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)), wanted, atol=4, err_msg=path.name)
    assert decode_clip(clip_root / "dog" / "Cov_c.gif", 3, 8, grayscale=False).shape == (3, 8, 8, 3)
    assert decode_clip(clip_root / "cat" / "Cov_a.mp4", 3, 8, grayscale=False).shape == (3, 8, 8, 3)


def test_label_rules(clip_root):
    by_folder = video_folder_clips(clip_root)
    assert {(r.path.name, r.class_name, r.label) for r in by_folder} >= {
        ("Cov_a.mp4", "cat", 0),
        ("Reg_d", "dog", 1),
    }
    by_prefix = video_folder_clips(clip_root, label_from="prefix", exclude=("Vir*",))
    assert sorted(r.class_name for r in by_prefix) == ["Cov", "Cov", "Reg", "Reg"]
    mapping = {"Cov": "covid", "Reg": "regular"}
    with pytest.warns(UserWarning, match="Vir_e.MP4"):  # no class: reported, then skipped
        rows = video_folder_clips(clip_root, label_from=mapping, class_names=["regular", "covid"])
    assert {(r.path.name, r.label) for r in rows} == {
        ("Cov_a.mp4", 1),
        ("Reg_b.avi", 0),
        ("Cov_c.gif", 1),
        ("Reg_d", 0),
    }
    with pytest.warns(UserWarning, match="3 clip"):
        rows = video_folder_clips(clip_root, label_from=lambda p: "x" if "Reg" in p.name else None)
    assert sorted(r.path.name for r in rows) == ["Reg_b.avi", "Reg_d"]
    with pytest.raises(ValueError, match="`label_from`"):
        video_folder_clips(clip_root, label_from="suffix")


def test_corrupt_clip_is_skipped_with_a_warning_or_raised(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    _write_gif(root / "a" / "good.gif", 3)
    (root / "a" / "x.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ClipDecodeError, match="x.mp4"):
        decode_clip(root / "a" / "x.mp4", 4, 8)
    ds = video_folder(root, num_frames=4, size=8)
    with pytest.warns(ClipDecodeWarning, match="x.mp4"):
        elements = list(ds)
    assert len(elements) == 1 and tuple(elements[0][0].shape) == (4, 8, 8, 1)
    with warnings.catch_warnings():  # the failure is remembered: no second attempt or warning
        warnings.simplefilter("error")
        assert len(list(ds)) == 1
    with pytest.raises((ClipDecodeError, tf.errors.OpError), match="x.mp4"):
        list(video_folder(root, num_frames=4, size=8, on_error="raise"))


def test_decoded_clips_are_cached_in_memory_and_on_disk(clip_root, tmp_path, monkeypatch):
    calls = collections.Counter()
    real = clip_decode.decode_clip

    def counting(path, *args):
        calls[path.name] += 1
        return real(path, *args)

    monkeypatch.setattr(clip_decode, "decode_clip", counting)
    ds = video_folder(clip_root, num_frames=4, size=8, shuffle=True, batch_size=2)
    first = sum(len(y) for _, y in ds)
    second = sum(len(y) for _, y in ds)
    assert first == second == 5 and sum(calls.values()) == 5 and max(calls.values()) == 1
    cache = tmp_path / "cache"
    for _ in range(2):  # a fresh data set with the same cache_dir reads the .npy files
        list(video_folder(clip_root, num_frames=4, size=8, cache_dir=cache))
    assert sum(calls.values()) == 10 and len(list(cache.glob("*.npy"))) == 5
    list(video_folder(clip_root, num_frames=5, size=8, cache_dir=cache))  # other options
    assert sum(calls.values()) == 15


def test_metadata_groups_never_straddle_splits(clip_root, tmp_path):
    table = tmp_path / "meta.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["FileName", "Patient"])
        writer.writerows([["Cov_a", "p1"], ["Reg_b.avi", "p1"], ["Cov_c", "p2"], ["Reg_d", "p2"]])
    for seed in (0, 1, 2):
        splits_of_group = collections.defaultdict(set)
        for split in ("train", "val", "test"):
            for r in video_folder_clips(clip_root, metadata=table, split=split, seed=seed):
                splits_of_group[r.group].add(split)
        # Vir_e has no row: a group of its own
        assert set(splits_of_group) == {"group:p1", "group:p2", "clip:dog/Vir_e.MP4"}
        assert all(len(s) == 1 for s in splits_of_group.values())
    with pytest.raises(ValueError, match="`group_column`"):
        video_folder_clips(clip_root, metadata=table, group_column="Subject")


def test_assign_splits_is_seeded_and_validated():
    groups = [f"g{i // 3}" for i in range(60)]
    labels = [i % 2 for i in range(60)]
    a = vf.assign_splits(groups, labels, (0.6, 0.2, 0.2), seed=5)
    assert a == vf.assign_splits(groups, labels, (0.6, 0.2, 0.2), seed=5)
    assert collections.Counter(a) == {"train": 36, "val": 12, "test": 12}
    for bad in ((0.5, 0.5), (0.8, 0.3, -0.1), "abc"):
        with pytest.raises(ValueError, match="`split_fractions`"):
            vf.assign_splits(groups, labels, bad)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"on_error": "ignore"}, "on_error"),
        ({"split": "validation"}, "split"),
        ({"size": 0}, "size"),
    ],
)
def test_invalid_arguments_name_the_argument(clip_root, kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        video_folder(clip_root, **kwargs)


# ---------------------------------------------------------------- real POCUS clips


@pytest.mark.shared_data
def test_every_real_pocus_clip_decodes(pocus_dir):
    files = vf.find_clips(pocus_dir / "pocus_videos")
    assert len(files) == 131
    formats = collections.Counter(p.suffix.lower() for p in files)
    assert formats == {".mp4": 50, ".avi": 30, ".mpeg": 24, ".mov": 15, ".gif": 12}
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:  # ffmpeg runs in a subprocess: threads overlap decoding
        clips = list(pool.map(lambda p: decode_clip(p, num_frames=8, size=32), files))
    elapsed = time.perf_counter() - start
    print(f"decoded {len(files)} POCUS clips (8 frames, 32x32, 2 threads) in {elapsed:.1f} s")
    for path, clip in zip(files, clips, strict=True):
        assert clip.shape == (8, 32, 32, 1) and clip.dtype == np.uint8, path
        assert clip.max() > clip.min(), f"{path} decoded to a constant clip"


@pytest.mark.shared_data
def test_pocus_classes_follow_the_file_names(pocus_dir):
    rows = pocus_clips(pocus_dir)
    counts = collections.Counter(r.class_name for r in rows)
    assert counts == {"covid": 29, "pneumonia": 37, "regular": 59}
    prefixes = {"covid": ("Cov",), "pneumonia": ("Pneu", "pneu"), "regular": ("Reg",)}
    assert all(r.path.name.startswith(prefixes[r.class_name]) for r in rows)
    assert not any(r.path.name.startswith("Vir") or "label_uncertain" in str(r.path) for r in rows)


@pytest.mark.shared_data
def test_pocus_split_keeps_each_patient_in_one_split(pocus_dir):
    rows = {split: pocus_clips(pocus_dir, split) for split in ("train", "val", "test")}
    paths = [r.path for split_rows in rows.values() for r in split_rows]
    assert len(paths) == len(set(paths)) == 125
    splits_of_group = collections.defaultdict(set)
    for split, split_rows in rows.items():
        assert {r.class_name for r in split_rows} == {"covid", "pneumonia", "regular"}
        for r in split_rows:
            splits_of_group[r.group].add(split)
    assert all(len(s) == 1 for s in splits_of_group.values())
    # the six Reg_pat1Image_* clips are one patient ("4" in dataset_metadata.csv)
    pat1 = {
        r.split for split_rows in rows.values() for r in split_rows if "pat1Image" in r.path.name
    }
    assert len(pat1) == 1
    assert len(rows["train"]) > len(rows["val"]) > 0 and len(rows["test"]) > 0


@pytest.mark.shared_data
def test_pocus_dataset_elements(pocus_dir):
    rows = pocus_clips(pocus_dir, "test")
    ds = pocus(pocus_dir, "test", num_frames=4, size=16, batch_size=8)
    assert ds.class_names == ["covid", "pneumonia", "regular"]
    elements = [(x.numpy(), y.numpy()) for x, y in ds]
    assert sum(len(y) for _, y in elements) == len(rows)
    x, y = elements[0]
    assert x.shape == (8, 4, 16, 16, 1) and x.dtype == np.float32 and y.dtype == np.int32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert sorted(np.concatenate([y for _, y in elements]).tolist()) == sorted(
        r.label for r in rows
    )


def test_clip_augmentation_changes_each_epoch_and_keeps_range(monkeypatch):
    rng = np.random.default_rng(0)
    frames = (rng.random((6, 8, 10, 1)) * 255).astype("uint8")
    loader_paths = ["a", "b"]
    clips = {0: frames, 1: frames[::-1].copy()}

    class Loader(clip_pipeline._ClipLoader):  # decoded clips from memory, no files needed
        def _decode(self, path):
            return clips[loader_paths.index(str(path))]

    monkeypatch.setattr(clip_pipeline, "_ClipLoader", Loader)
    ds = vf.clip_dataset(loader_paths, [0, 1], num_frames=6, size=(8, 10), augment=True, seed=1)
    plain = vf.clip_dataset(loader_paths, [0, 1], num_frames=6, size=(8, 10))
    epoch1 = [x.numpy() for x, _ in ds]
    epoch2 = [x.numpy() for x, _ in ds]
    reference = [x.numpy() for x, _ in plain]
    assert all(0.0 <= a.min() and a.max() <= 1.0 for a in epoch1)
    assert not np.allclose(epoch1[0], epoch2[0])  # a new draw each epoch
    assert not np.allclose(epoch1[0], reference[0])
    # the same change for every frame: the frame order and the temporal profile survive
    flipped = [a[:, :, ::-1] for a in epoch1]
    corr = [
        max(np.corrcoef(a.mean(axis=(1, 2, 3)), r.mean(axis=(1, 2, 3)))[0, 1] for a in (e, f))
        for e, f, r in zip(epoch1, flipped, reference)
    ]
    assert min(corr) > 0.9
