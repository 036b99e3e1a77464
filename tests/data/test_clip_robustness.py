"""Clip folders under faults: corrupt or unwritable cache files, empty class folders, long clips.

Each test reproduces a case of issue 20 (item 6) that failed before: a truncated cache file
broke every later run with a tf.data error naming no file; an empty class folder silently
renumbered the classes after it; a long video was held in memory frame by frame.
"""

import importlib
import tracemalloc
import warnings

import numpy as np
import pytest

from das_keras.data import ClipCacheWarning, decode_clip, video_folder, video_folder_clips
from das_keras.data.transforms import resample_indices

clip_cache = importlib.import_module("das_keras.data.clip_cache")
clip_decode = importlib.import_module("das_keras.data.clip_decode")


def _write_gif(path, num, base=10):
    from PIL import Image

    frames = [Image.fromarray(np.full((12, 10), base + 20 * i, "uint8")) for i in range(num)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)


@pytest.fixture
def gif_root(tmp_path):
    """root/{a,b}/ with two small GIF clips each."""
    root = tmp_path / "clips"
    for cls, base in (("a", 10), ("b", 30)):
        (root / cls).mkdir(parents=True)
        for i in range(2):
            _write_gif(root / cls / f"{cls}{i}.gif", 4 + i, base)
    return root


def _epoch(ds):
    return sorted((int(y), x.numpy().tobytes()) for x, y in ds)


@pytest.mark.parametrize("on_error", ["skip", "raise"])
def test_truncated_cache_file_is_named_and_rebuilt(gif_root, tmp_path, on_error):
    cache = tmp_path / "cache"
    options = {"num_frames": 4, "size": 8, "cache_dir": cache, "on_error": on_error}
    reference = _epoch(video_folder(gif_root, **options))
    files = sorted(cache.glob("*.npy"))
    assert len(files) == 4
    victim = files[1]
    victim.write_bytes(victim.read_bytes()[:100])  # a partial write, or a damaged disk
    with pytest.warns(ClipCacheWarning, match=victim.name):
        assert _epoch(video_folder(gif_root, **options)) == reference  # nothing skipped
    assert np.load(victim).shape == (4, 8, 8, 1)  # rebuilt in place
    with warnings.catch_warnings():  # and read back silently from now on
        warnings.simplefilter("error")
        assert _epoch(video_folder(gif_root, **options)) == reference


def test_cache_file_of_another_shape_is_rebuilt(gif_root, tmp_path):
    cache = tmp_path / "cache"
    reference = _epoch(video_folder(gif_root, num_frames=4, size=8, cache_dir=cache))
    victim = sorted(cache.glob("*.npy"))[0]
    np.save(victim, np.zeros((2, 3), "float64"))  # a valid .npy, but not this clip's
    with pytest.warns(ClipCacheWarning, match="expected uint8"):
        again = _epoch(video_folder(gif_root, num_frames=4, size=8, cache_dir=cache))
    assert again == reference


def test_failed_cache_write_leaves_no_partial_file(gif_root, tmp_path, monkeypatch):
    real_save = np.save

    def disk_full(file, array, **kwargs):  # writes half the bytes, then fails like a full disk
        real_save(file, array[: len(array) // 2], **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(clip_cache.np, "save", disk_full)
    cache = tmp_path / "cache"
    with pytest.warns(ClipCacheWarning, match="No space left"):
        elements = _epoch(video_folder(gif_root, num_frames=4, size=8, cache_dir=cache))
    assert len(elements) == 4  # the clips are still served
    assert list(cache.iterdir()) == []  # no partial file under a cache name, no temporary file
    monkeypatch.setattr(clip_cache.np, "save", real_save)
    assert _epoch(video_folder(gif_root, num_frames=4, size=8, cache_dir=cache)) == elements
    assert len(list(cache.glob("*.npy"))) == 4


def test_empty_class_folder_is_an_error_naming_it(gif_root):
    (gif_root / "c").mkdir()
    _write_gif(gif_root / "c" / "c0.gif", 3)
    (gif_root / "b_empty").mkdir()  # sorts between "b" and "c": "c" would become label 2 of 3
    with pytest.raises(ValueError, match=r"b_empty.*allow_empty"):
        video_folder_clips(gif_root)
    with pytest.raises(ValueError, match="b_empty"):
        video_folder(gif_root, num_frames=2, size=8)
    rows = video_folder_clips(gif_root, allow_empty=True)  # the empty class keeps its label
    assert {r.class_name: r.label for r in rows} == {"a": 0, "b": 1, "c": 3}
    ds = video_folder(gif_root, num_frames=2, size=8, allow_empty=True)
    assert ds.class_names == ["a", "b", "b_empty", "c"]
    assert sorted(int(y) for _, y in ds) == [0, 0, 1, 1, 3]
    rows = video_folder_clips(gif_root, exclude=("b_empty",))  # left out on purpose
    assert {r.class_name: r.label for r in rows} == {"a": 0, "b": 1, "c": 2}


def test_class_names_are_kept_for_every_split(gif_root):
    for i in range(2, 6):  # enough clips for three splits
        _write_gif(gif_root / "a" / f"a{i}.gif", 3)
        _write_gif(gif_root / "b" / f"b{i}.gif", 3)
    for split in ("train", "val", "test"):
        ds = video_folder(gif_root, num_frames=2, size=8, split=split)
        assert ds.class_names == ["a", "b"]
    with pytest.raises(ValueError, match="`class_names`"):
        from das_keras.data import clip_dataset

        clip_dataset([gif_root / "a" / "a0.gif"], [3], class_names=["x", "y"])


def _write_long_video(path, num):
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path),
        (16, 16),
        codec="libx264",
        quality=None,
        output_params=["-crf", "0"],
        macro_block_size=1,
    )
    writer.send(None)
    for i in range(num):
        writer.send(np.full((16, 16, 3), i // 12, "uint8").tobytes())  # level = frame // 12
    writer.close()


def test_long_video_is_decoded_with_bounded_memory(tmp_path, monkeypatch):
    path = tmp_path / "long.mp4"
    num, size = 3000, 64
    _write_long_video(path, num)
    tracemalloc.start()
    try:
        clip = decode_clip(path, num_frames=8, size=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    all_frames = num * size * size  # 12 MB of gray frames at 64 x 64
    assert peak < all_frames / 10, f"peak {peak} bytes: frames were held beyond the 8 kept"
    wanted = resample_indices(num, 8) // 12
    np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)), wanted, atol=1.5)
    # a wrong frame count (as some .mov files give) costs a second pass, not exactness
    monkeypatch.setattr(clip_decode, "_count_packets", lambda path: num - 700)
    np.testing.assert_array_equal(decode_clip(path, num_frames=8, size=size), clip)
