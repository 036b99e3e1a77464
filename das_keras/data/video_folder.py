"""Folders of clips (video files or frame folders) as `tf.data` pipelines, and the POCUS layout.

A clip is a video file (.mp4, .avi, .mov, .mpeg, .mpg, .gif, ...; extensions in any case) or a
folder of frames (.png, .jpg, ...). Each clip is decoded once to T frames of one size and colour
mode (`decode_clip`), kept in memory and optionally in a `.npy` cache, and served as float32
(T, H, W, C) in [0, 1]. Classes come from folder names, file-name prefixes or a callable; splits
keep every group (patient) of a metadata table inside one split.
"""

import csv
import fnmatch
import hashlib
import logging
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from das_keras.data import transforms
from das_keras.data.paths import DatasetNotFoundError, data_root

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".avi", ".mov", ".mpeg", ".mpg", ".mkv", ".webm", ".gif")
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
SPLITS = ("train", "val", "test")
ON_ERROR = ("skip", "raise")
# guessed in this order when the caller names no column of the metadata table
KEY_COLUMNS = ("Filename", "FileName", "filename", "file_name", "file", "path", "clip", "video")
_CACHE_VERSION = "1"  # bump when decoding changes, so stale .npy caches are not reused


class ClipDecodeError(ValueError):
    """A clip could not be read or holds no frames; the message names the file."""


class ClipDecodeWarning(UserWarning):
    """A clip was skipped because it could not be decoded (on_error="skip")."""


class Clip(NamedTuple):
    """One row of a clip table."""

    path: Path  # video file or frame folder
    label: int  # index into the class names
    class_name: str
    group: str  # patient / group id; clips without one form their own group
    split: str | None  # "train", "val", "test", or None when no split was asked for


# ----------------------------------------------------------------------------- decoding


def decode_clip(path, num_frames=16, size=(64, 64), grayscale=True):
    """Decodes one clip to `num_frames` evenly spaced frames of one size and colour mode.

    Video files are decoded by ffmpeg (imageio-ffmpeg), which also scales each frame (bilinear,
    anti-aliased) and converts it to gray or RGB; GIFs and frame folders are read with Pillow
    (bilinear, anti-aliased). Frame folders are sorted in natural order (2.png before 10.png)
    and only the frames kept are read. Frames are resampled with
    `transforms.resample_indices` (short clips repeat frames). The aspect ratio is not kept.

    Args:
        path: video file or folder of frames.
        num_frames: T (>= 1).
        size: int or (height, width).
        grayscale: one channel if True, RGB if False.

    Returns:
        uint8 NumPy array.

    Shapes:
        (T, height, width, 1) if grayscale else (T, height, width, 3).

    Raises:
        ClipDecodeError: the clip is missing, unreadable or has no frames (message names it).
        ImportError: imageio-ffmpeg or Pillow is not installed (the "video" extra).

    Example:
        >>> decode_clip("lung.mp4", num_frames=8, size=32).shape  # doctest: +SKIP
        (8, 32, 32, 1)
    """
    transforms.check_positive_int(num_frames, "num_frames")
    size = transforms.check_size(size)
    path = Path(path)
    try:
        if path.is_dir():
            clip = _read_frame_folder(path, num_frames, size, grayscale)
        elif path.suffix.lower() == ".gif":
            clip = _read_gif(path, num_frames, size, grayscale)
        else:
            clip = _read_video(path, num_frames, size, grayscale)
    except ClipDecodeError:
        raise
    except ImportError as err:  # a missing decoder is the install's fault, not the clip's
        raise ImportError(
            f"Decoding {path.name} needs imageio-ffmpeg and Pillow: pip install 'das-keras[video]'"
            f" ({err})."
        ) from err
    except Exception as err:  # ffmpeg, Pillow and OS errors all mean "unreadable clip"
        raise ClipDecodeError(f"Could not decode clip {path}: {type(err).__name__}: {err}") from err
    return clip


def frame_files(folder):
    """The frame images of a frame folder, in natural order (frame2 before frame10).

    Args:
        folder: folder path.

    Returns:
        list of `pathlib.Path` (hidden files and non-image files left out).

    Example:
        >>> [p.name for p in frame_files("clip")]  # doctest: +SKIP
        ['000000.png', '000001.png']
    """
    files = [
        p
        for p in Path(folder).iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in FRAME_EXTENSIONS
    ]
    return sorted(files, key=_natural_key)


def _read_frame_folder(folder, num_frames, size, grayscale):
    from PIL import Image

    files = frame_files(folder)
    if not files:
        raise ClipDecodeError(f"Could not decode clip {folder}: the folder holds no frame images.")
    frames = {}
    for index in sorted(set(transforms.resample_indices(len(files), num_frames).tolist())):
        with Image.open(files[index]) as image:
            frames[index] = transforms.pil_frame(image, size, grayscale)
    return _stack(frames, len(files), num_frames)


def _read_gif(path, num_frames, size, grayscale):
    from PIL import Image

    with Image.open(path) as image:
        total = getattr(image, "n_frames", 1)
        frames = {}
        # GIF frames are deltas, so seeking goes forward through them in order anyway
        for index in sorted(set(transforms.resample_indices(total, num_frames).tolist())):
            image.seek(index)
            frames[index] = transforms.pil_frame(image, size, grayscale)
    return _stack(frames, total, num_frames)


def _read_video(path, num_frames, size, grayscale):
    import imageio_ffmpeg

    if not path.is_file():
        raise ClipDecodeError(f"Could not decode clip {path}: no such file.")
    _quiet_imageio_ffmpeg()
    height, width = size
    depth = 1 if grayscale else 3
    # scaling inside ffmpeg is ~2x faster than piping full-size frames to Pillow
    reader = imageio_ffmpeg.read_frames(
        str(path),
        pix_fmt="gray" if grayscale else "rgb24",
        bits_per_pixel=8 * depth,
        output_params=["-vf", f"scale={width}:{height}:flags=bilinear"],
    )
    try:
        next(reader)  # metadata
        # all frames must be decoded anyway (inter-frame codecs); small ones are cheap to keep
        raw = list(reader)
    finally:
        reader.close()
    if not raw:
        raise ClipDecodeError(f"Could not decode clip {path}: ffmpeg returned no frames.")
    frames = np.frombuffer(b"".join(raw), "uint8").reshape(len(raw), height, width, depth)
    return frames[transforms.resample_indices(len(raw), num_frames)]


def _stack(frames, total, num_frames):
    return np.stack([frames[i] for i in transforms.resample_indices(total, num_frames).tolist()])


class _FrameSizeNoteFilter(logging.Filter):
    """Drops imageio-ffmpeg's warning that the output size differs from the source: we ask
    ffmpeg to scale on purpose, and the note would otherwise print once per clip."""

    def filter(self, record):
        return not str(record.msg).startswith("The frame size for reading")


_FILTER = _FrameSizeNoteFilter()


def _quiet_imageio_ffmpeg():
    logger = logging.getLogger("imageio_ffmpeg")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def _natural_key(path):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def _fingerprint(path, num_frames, size, grayscale):
    """Cache key: the clip's path, size and mtime (of every frame for folders) + decode options."""
    path = Path(path).resolve()
    files = frame_files(path) if path.is_dir() else [path]
    stats = [f.stat() for f in files]
    parts = [
        _CACHE_VERSION,
        str(path),
        str(len(stats)),
        str(sum(s.st_size for s in stats)),
        str(max((s.st_mtime_ns for s in stats), default=0)),
        f"{num_frames}x{size[0]}x{size[1]}x{'gray' if grayscale else 'rgb'}",
    ]
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()


def _decode_with_disk_cache(path, num_frames, size, grayscale, cache_dir):
    if cache_dir is None:
        return decode_clip(path, num_frames, size, grayscale)
    cache_dir = Path(cache_dir).expanduser()
    try:
        cached = cache_dir / f"{_fingerprint(path, num_frames, size, grayscale)}.npy"
    except OSError as err:
        raise ClipDecodeError(f"Could not decode clip {path}: {err}") from err
    if cached.is_file():
        return np.load(cached)
    clip = decode_clip(path, num_frames, size, grayscale)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # write then rename, so a crash never leaves a truncated cache file behind
    partial = cached.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(partial, clip)
    os.replace(partial, cached)
    return clip


# ----------------------------------------------------------------------------- clip tables


def find_clips(root, exclude=()):
    """All clips under `root`: video files and frame folders, in sorted order.

    A folder that directly holds frame images is one clip (its subfolders are not searched).
    Hidden files and folders are ignored.

    Args:
        root: folder to search (recursively).
        exclude: glob patterns (`fnmatch`); a clip is left out when a pattern matches its path
            relative to `root` (posix form) or any component of it, e.g. "Vir*" or
            "label_uncertain".

    Returns:
        list of `pathlib.Path`.

    Example:
        >>> find_clips("pocus_videos", exclude=("Vir*",))[:1]  # doctest: +SKIP
        [PosixPath('pocus_videos/convex/Cov-Atlas+(44).gif')]
    """
    root = _existing_folder(root, "root")
    exclude = _check_patterns(exclude)
    clips = []
    for folder, subfolders, files in os.walk(root):
        folder = Path(folder)
        subfolders[:] = sorted(
            d for d in subfolders if not _skip(folder / d, root, exclude) and not d.startswith(".")
        )
        names = [f for f in sorted(files) if not f.startswith(".")]
        if folder != root and any(Path(f).suffix.lower() in FRAME_EXTENSIONS for f in names):
            clips.append(folder)
            subfolders[:] = []
            continue
        for name in names:
            path = folder / name
            if path.suffix.lower() in VIDEO_EXTENSIONS and not _skip(path, root, exclude):
                clips.append(path)
    return clips


def read_groups(metadata, key_column=None, group_column=None):
    """Clip -> group (patient) mapping from a metadata table.

    Args:
        metadata: path of a CSV file (UTF-8, header row), or a mapping {clip key: group}.
        key_column: CSV column naming the clip (file name, stem or relative path); default: the
            first of `KEY_COLUMNS` present.
        group_column: CSV column with the group; default: the first column whose name contains
            "patient" (case-insensitive).

    Returns:
        dict {lower-cased clip key: group str}; rows with an empty key or group are left out,
        and the first row wins for keys listed twice.

    Example:
        >>> read_groups({"Reg_pat1Image_1": "1"})
        {'reg_pat1image_1': '1'}
    """
    if isinstance(metadata, Mapping):
        return {str(k).strip().lower(): str(v) for k, v in metadata.items() if str(v).strip()}
    path = Path(metadata).expanduser()
    if not path.is_file():
        raise ValueError(
            f"`metadata` must be a CSV file or a mapping; received metadata={metadata!r} "
            "(no such file)."
        )
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) if rows else []
    key_column = _pick_column(columns, key_column, "key_column", KEY_COLUMNS, path)
    group_column = _pick_column(columns, group_column, "group_column", None, path)
    groups = {}
    for row in rows:
        key = (row.get(key_column) or "").strip().lower()
        group = (row.get(group_column) or "").strip()
        if key and group and key not in groups:
            groups[key] = group
    return groups


def assign_splits(groups, labels, split_fractions=(0.7, 0.15, 0.15), seed=0):
    """Assigns whole groups to train / val / test, stratified by class as far as groups allow.

    Groups are visited largest first (ties in a seeded random order) and each goes to the split
    whose class counts fall furthest short of `split_fractions`; no group lands in two splits.

    Args:
        groups: sequence of group ids, one per clip.
        labels: sequence of int labels, one per clip.
        split_fractions: (train, val, test) fractions, each >= 0, summing to 1.
        seed: int; the same seed gives the same assignment.

    Returns:
        list of "train" / "val" / "test", one per clip.

    Example:
        >>> from collections import Counter
        >>> splits = assign_splits(list("abcdefghij"), [0] * 5 + [1] * 5, (0.6, 0.2, 0.2))
        >>> sorted(Counter(splits).items())
        [('test', 2), ('train', 6), ('val', 2)]
    """
    fractions = _check_fractions(split_fractions)
    labels = np.asarray(labels, "int64")
    if len(groups) != len(labels):
        raise ValueError(
            f"`groups` and `labels` must have the same length; received {len(groups)} and "
            f"{len(labels)}."
        )
    members = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    order = sorted(members)
    order = [order[i] for i in np.random.default_rng(seed).permutation(len(order))]
    order.sort(key=lambda g: -len(members[g]))  # stable: the seeded order breaks ties
    num_classes = int(labels.max()) + 1 if len(labels) else 1
    target = fractions[:, None] * np.bincount(labels, minlength=num_classes)[None, :]
    current = np.zeros_like(target)
    result = [None] * len(labels)
    for group in order:
        counts = np.bincount(labels[members[group]], minlength=num_classes)
        deficit = ((target - current) * counts).sum(axis=1)
        deficit[fractions == 0] = -np.inf
        chosen = int(np.argmax(deficit))
        current[chosen] += counts
        for i in members[group]:
            result[i] = SPLITS[chosen]
    return result


def video_folder_clips(
    root,
    *,
    label_from="folder",
    class_names=None,
    exclude=(),
    metadata=None,
    group_column=None,
    key_column=None,
    split=None,
    split_fractions=(0.7, 0.15, 0.15),
    seed=0,
):
    """The table of clips under `root`: path, label, class name, group and split.

    Args:
        root: folder of clips (searched recursively, see `find_clips`).
        label_from: where the class comes from:
            "folder": the name of the folder holding the clip;
            "prefix": the leading letters of the file name ("Cov_x.mp4" -> "Cov");
            a mapping {file-name prefix: class name} (longest matching prefix wins), e.g.
            {"Cov": "covid", "Pneu": "pneumonia", "pneu": "pneumonia", "Reg": "regular"};
            a callable(path) -> class name or None.
            Clips without a class are skipped with a warning naming them.
        class_names: class order (label i = class_names[i]); clips of other classes are left
            out. Default: the sorted class names found.
        exclude: glob patterns of clips to leave out (see `find_clips`).
        metadata: CSV path or mapping giving each clip's group (patient), see `read_groups`.
            Clips it does not list form a group of their own.
        group_column, key_column: CSV columns, see `read_groups`.
        split: None (all clips, split None) or "train" / "val" / "test".
        split_fractions: (train, val, test) fractions for `assign_splits`.
        seed: seed of the split assignment.

    Returns:
        list of `Clip` (path, label, class_name, group, split), in path order.

    Example:
        >>> rows = video_folder_clips("clips", split="val")  # doctest: +SKIP
        >>> rows[0].class_name, rows[0].split  # doctest: +SKIP
        ('covid', 'val')
    """
    root = _existing_folder(root, "root")
    _check_split(split, allow_none=True)
    _check_fractions(split_fractions)
    label_of = _label_rule(label_from)
    paths, names = _labelled(find_clips(root, exclude), label_of, label_from)
    if not paths:
        return []
    if class_names is None:
        class_names = sorted(set(names))
    class_names = _check_class_names(class_names)
    keep = [i for i, name in enumerate(names) if name in class_names]
    paths = [paths[i] for i in keep]
    names = [names[i] for i in keep]
    labels = [class_names.index(n) for n in names]
    lookup = read_groups(metadata, key_column, group_column) if metadata is not None else {}
    groups = [_group_of(p, root, lookup) for p in paths]
    splits = [None] * len(paths)
    if split is not None:
        splits = assign_splits(groups, labels, split_fractions, seed)
    rows = [Clip(*row) for row in zip(paths, labels, names, groups, splits, strict=True)]
    return [r for r in rows if split is None or r.split == split]


# ----------------------------------------------------------------------------- data sets


def clip_dataset(
    paths,
    labels,
    *,
    num_frames=16,
    size=(64, 64),
    grayscale=True,
    cache=True,
    cache_dir=None,
    on_error="skip",
    batch_size=None,
    shuffle=False,
    seed=0,
    prefetch=True,
    augment=False,
):
    """A `tf.data.Dataset` of (clip, label) decoding the given clips lazily, each only once.

    A decoded clip is kept in memory (`cache`) and, with `cache_dir`, as a `.npy` file keyed
    by its path, size, mtime and the decode options, so later epochs and later runs skip
    decoding. A clip that fails to decode is skipped with a `ClipDecodeWarning` naming it
    (on_error="skip", once per data set) or stops iteration with an error naming it
    (on_error="raise").

    Args:
        paths: sequence of clip paths (video files or frame folders).
        labels: sequence of int labels, one per path.
        num_frames: T.
        size: int or (height, width).
        grayscale: one channel if True, RGB if False.
        cache: keep decoded clips in memory.
        cache_dir: folder for `.npy` caches, or None.
        on_error: "skip" or "raise".
        batch_size: batch when given.
        shuffle: reshuffle the clip order every epoch.
        seed: shuffle seed.
        prefetch: add `prefetch(AUTOTUNE)`.
        augment: random left-right flip, brightness and contrast per clip and epoch
            (`transforms.random_clip_jitter`), seeded by `seed`; for training splits.

    Returns:
        `tf.data.Dataset` of (clip, label); with on_error="skip" its cardinality is unknown.

    Shapes:
        clip float32 (T, H, W, C) in [0, 1], C = 1 (gray) or 3; label int32 ().

    Example:
        >>> ds = clip_dataset(["a.mp4", "b.gif"], [0, 1], num_frames=8, size=32)  # doctest: +SKIP
    """
    size = transforms.check_size(size)
    transforms.check_positive_int(num_frames, "num_frames")
    if on_error not in ON_ERROR:
        raise ValueError(f"`on_error` must be one of {ON_ERROR}; received on_error={on_error!r}.")
    paths = [Path(p) for p in paths]
    labels = np.asarray(labels, "int32").reshape(-1)
    if len(paths) != len(labels):
        raise ValueError(
            f"`paths` and `labels` must have the same length; received {len(paths)} paths "
            f"and {len(labels)} labels."
        )
    if not paths:
        raise ValueError("`paths` is empty: there are no clips to load.")
    loader = _ClipLoader(paths, num_frames, size, grayscale, cache, cache_dir, on_error)
    shape = (num_frames, *size, 1 if grayscale else 3)
    ds = tf.data.Dataset.from_tensor_slices((np.arange(len(paths), dtype="int64"), labels))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)

    def load(index, label):
        clip, ok = tf.numpy_function(loader, [index], (tf.uint8, tf.bool), stateful=False)
        clip.set_shape(shape)
        ok.set_shape(())
        return clip, label, ok

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if on_error == "skip":
        ds = ds.filter(lambda clip, label, ok: ok)
    ds = ds.map(lambda clip, label, ok: (transforms.to_unit_float(clip), label))
    if augment:
        # one (2,) stateless seed per clip, a new stream each epoch, reproducible under `seed`
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(
            lambda xy, s: (transforms.random_clip_jitter(xy[0], s), xy[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if batch_size:
        ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds


class _ClipLoader:
    """Index -> (uint8 clip, ok), remembering results (failures too) so each clip decodes once."""

    def __init__(self, paths, num_frames, size, grayscale, cache, cache_dir, on_error):
        self.paths = paths
        self.options = (num_frames, size, grayscale, cache_dir)
        self.memory = {} if cache else None
        self.on_error = on_error
        self.empty = np.zeros((num_frames, *size, 1 if grayscale else 3), "uint8")

    def __call__(self, index):
        index = int(index)
        if self.memory is not None and index in self.memory:
            clip = self.memory[index]
        else:
            clip = self._decode(self.paths[index])
            if self.memory is not None:
                self.memory[index] = clip
        return (self.empty, False) if clip is None else (clip, True)

    def _decode(self, path):
        try:
            return _decode_with_disk_cache(path, *self.options)
        except ClipDecodeError as err:
            if self.on_error == "raise":
                raise
            warnings.warn(f"{err} Skipped (on_error='skip').", ClipDecodeWarning, stacklevel=2)
            return None


def video_folder(
    root,
    *,
    num_frames=16,
    size=(64, 64),
    grayscale=True,
    label_from="folder",
    class_names=None,
    exclude=(),
    metadata=None,
    group_column=None,
    key_column=None,
    split=None,
    split_fractions=(0.7, 0.15, 0.15),
    seed=0,
    cache_dir=None,
    on_error="skip",
    batch_size=None,
    shuffle=None,
):
    """A folder of clips as a `tf.data.Dataset` of (clip, label).

    Lists the clips with `video_folder_clips` (classes, exclusions, grouped splits) and serves
    them with `clip_dataset` (decode once, cache, skip or raise on unreadable clips).

    Args:
        root: folder of clips.
        num_frames: T, frames per clip (evenly spaced over the clip).
        size: int or (height, width) of the frames.
        grayscale: one channel if True, RGB if False.
        label_from, class_names, exclude, metadata, group_column, key_column, split,
            split_fractions, seed: see `video_folder_clips` (`seed` also seeds shuffling).
        cache_dir: folder for `.npy` caches of decoded clips, or None.
        on_error: "skip" (warn and leave the clip out) or "raise".
        batch_size: batch when given.
        shuffle: reshuffle every epoch; default True for split="train".

    Returns:
        `tf.data.Dataset` of (clip, label).

    Shapes:
        clip float32 (T, H, W, C) in [0, 1] (C = 1 or 3), label int32 (); batched: leading B.

    Example:
        >>> ds = video_folder("clips", label_from="folder", split="train", batch_size=8,
        ...                   metadata="clips/meta.csv", group_column="patient")  # doctest: +SKIP
    """
    rows = video_folder_clips(
        root,
        label_from=label_from,
        class_names=class_names,
        exclude=exclude,
        metadata=metadata,
        group_column=group_column,
        key_column=key_column,
        split=split,
        split_fractions=split_fractions,
        seed=seed,
    )
    if not rows:
        where = f"split {split!r} of " if split else ""
        raise ValueError(f"No clips in {where}{root} (check `exclude`, `label_from`, fractions).")
    return clip_dataset(
        [r.path for r in rows],
        [r.label for r in rows],
        num_frames=num_frames,
        size=size,
        grayscale=grayscale,
        cache_dir=cache_dir,
        on_error=on_error,
        batch_size=batch_size,
        shuffle=shuffle if shuffle is not None else split == "train",
        seed=seed,
    )


# ----------------------------------------------------------------------------- POCUS

POCUS_CLASSES = ("covid", "pneumonia", "regular")
POCUS_PREFIXES = {"Cov": "covid", "Pneu": "pneumonia", "pneu": "pneumonia", "Reg": "regular"}
# viral pneumonia (too few clips) and the clip whose label the authors left open
POCUS_EXCLUDE = ("Vir*", "label_uncertain")
POCUS_URL = "https://github.com/jannisborn/covid19_ultrasound"
POCUS_GROUP_COLUMN = "Patient ID / Name"
POCUS_KEY_COLUMN = "Filename"


def pocus_clips(
    root=None, split=None, *, exclude=POCUS_EXCLUDE, split_fractions=(0.7, 0.15, 0.15), seed=0
):
    """The POCUS lung-ultrasound clips as a table, grouped by patient.

    Layout (as in the source repository's `data/` folder): `root/pocus_videos/{convex,linear}/`
    with the clips and `root/dataset_metadata.csv`; `root` may also be the `pocus_videos`
    folder itself. Classes come from the file-name prefix (Cov -> covid, Pneu/pneu ->
    pneumonia, Reg -> regular); Vir* clips and `label_uncertain/` are excluded by default.
    Patients come from the CSV column "Patient ID / Name" (matched on "Filename", the file
    name without extension); clips without one form their own group.

    Args:
        root: data folder; default `<data folder>/pocus` (see `paths.data_root`).
        split: None (all clips) or "train" / "val" / "test" (patient-grouped, see
            `assign_splits`).
        exclude: glob patterns of clips to leave out.
        split_fractions: (train, val, test) fractions.
        seed: split seed.

    Returns:
        list of `Clip`; labels index `POCUS_CLASSES`.

    Example:
        >>> rows = pocus_clips("covid19_ultrasound/data")  # doctest: +SKIP
        >>> len(rows)  # doctest: +SKIP
        125
    """
    videos, metadata = _pocus_folders(root)
    if metadata is None:
        warnings.warn(
            f"No dataset_metadata.csv beside {videos}: every clip is its own group, so clips "
            "of one patient may land in different splits.",
            stacklevel=2,
        )
    return video_folder_clips(
        videos,
        label_from=POCUS_PREFIXES,
        class_names=POCUS_CLASSES,
        exclude=exclude,
        metadata=metadata,
        group_column=POCUS_GROUP_COLUMN if metadata else None,
        key_column=POCUS_KEY_COLUMN if metadata else None,
        split=split,
        split_fractions=split_fractions,
        seed=seed,
    )


def pocus(
    root=None,
    split="train",
    *,
    num_frames=16,
    size=(64, 64),
    grayscale=True,
    exclude=POCUS_EXCLUDE,
    split_fractions=(0.7, 0.15, 0.15),
    seed=0,
    cache_dir=None,
    on_error="skip",
    batch_size=None,
    shuffle=None,
    augment=False,
):
    """POCUS lung-ultrasound clips (covid / pneumonia / regular) as a `tf.data.Dataset`.

    Args:
        root: data folder with `pocus_videos/` and `dataset_metadata.csv` (see `pocus_clips`).
        split: "train", "val", "test" (patient-grouped) or None (all clips).
        num_frames, size, grayscale, cache_dir, on_error, batch_size: see `video_folder`.
        exclude, split_fractions, seed: see `pocus_clips` (`seed` also seeds shuffling).
        shuffle: default True for "train".
        augment: random flip / brightness / contrast per clip (see `clip_dataset`).

    Returns:
        `tf.data.Dataset` of (clip, label), labels indexing `POCUS_CLASSES`.

    Shapes:
        clip float32 (T, H, W, C) in [0, 1], label int32 ().

    Example:
        >>> ds = pocus("covid19_ultrasound/data", "train", batch_size=8)  # doctest: +SKIP
    """
    rows = pocus_clips(root, split, exclude=exclude, split_fractions=split_fractions, seed=seed)
    if not rows:
        raise ValueError(f"No POCUS clips in split {split!r}; check `exclude` and fractions.")
    return clip_dataset(
        [r.path for r in rows],
        [r.label for r in rows],
        num_frames=num_frames,
        size=size,
        grayscale=grayscale,
        cache_dir=cache_dir,
        on_error=on_error,
        batch_size=batch_size,
        shuffle=shuffle if shuffle is not None else split == "train",
        seed=seed,
        augment=augment,
    )


def _pocus_folders(root):
    root = data_root(None) / "pocus" if root is None else Path(root).expanduser()
    for videos in (root / "pocus_videos", root):
        if videos.is_dir() and videos.name == "pocus_videos":
            csv_path = videos.parent / "dataset_metadata.csv"
            return videos, (csv_path if csv_path.is_file() else None)
    raise DatasetNotFoundError(
        f"POCUS data not found at {root}: expected {root}/pocus_videos/{{convex,linear}}/ with "
        f"the clips and {root}/dataset_metadata.csv. Get both from the `data/` folder of "
        f"{POCUS_URL} (check each clip's license in dataset_metadata.csv)."
    )


# ----------------------------------------------------------------------------- helpers


def _label_rule(label_from):
    if label_from == "folder":
        return lambda path: path.parent.name
    if label_from == "prefix":
        return lambda path: (re.match(r"[A-Za-z]+", path.name) or [None])[0]
    if isinstance(label_from, Mapping) and label_from:
        prefixes = sorted(label_from, key=len, reverse=True)  # longest prefix wins
        return lambda path: next((label_from[p] for p in prefixes if path.name.startswith(p)), None)
    if callable(label_from):
        return lambda path: label_from(path)
    raise ValueError(
        "`label_from` must be 'folder', 'prefix', a non-empty mapping {prefix: class} or a "
        f"callable(path) -> class; received label_from={label_from!r}."
    )


def _labelled(paths, label_of, label_from):
    kept, names, unlabelled = [], [], []
    for path in paths:
        name = label_of(path)
        if name is None or str(name) == "":
            unlabelled.append(path.name)
        else:
            kept.append(path)
            names.append(str(name))
    if unlabelled:
        shown = ", ".join(unlabelled[:5]) + (", ..." if len(unlabelled) > 5 else "")
        warnings.warn(
            f"{len(unlabelled)} clip(s) have no class under label_from={label_from!r} and were "
            f"skipped: {shown}. Use `exclude` to leave them out silently.",
            stacklevel=3,
        )
    return kept, names


def _group_of(path, root, lookup):
    relative = path.relative_to(root).as_posix()
    for key in (relative, path.name, path.stem):
        group = lookup.get(key.lower())
        if group is not None:
            return f"group:{group}"
    return f"clip:{relative}"  # no metadata row: a group of its own


def _pick_column(columns, wanted, name, guesses, path):
    if wanted is not None:
        if wanted not in columns:
            raise ValueError(
                f"`{name}` must be a column of {path}; received {name}={wanted!r}, "
                f"columns are {columns}."
            )
        return wanted
    if guesses is None:  # group column: anything about patients
        found = [c for c in columns if c and "patient" in c.lower()]
    else:
        found = [c for c in guesses if c in columns]
    if not found:
        raise ValueError(
            f"Could not guess `{name}` for {path}; pass it explicitly (columns: {columns})."
        )
    return found[0]


def _skip(path, root, patterns):
    relative = path.relative_to(root)
    candidates = [relative.as_posix(), *relative.parts]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def _existing_folder(folder, name):
    if not isinstance(folder, str | os.PathLike):
        raise ValueError(f"`{name}` must be a folder path; received {name}={folder!r}.")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DatasetNotFoundError(
            f"`{name}` must be an existing folder; received {name}={folder!r}."
        )
    return path


def _check_patterns(exclude):
    if isinstance(exclude, str):
        exclude = (exclude,)
    if not all(isinstance(p, str) for p in exclude):
        raise ValueError(f"`exclude` must be glob pattern strings; received exclude={exclude!r}.")
    return tuple(exclude)


def _check_class_names(class_names):
    names = [str(c) for c in class_names]
    if isinstance(class_names, str) or not names or len(set(names)) != len(names):
        raise ValueError(
            f"`class_names` must be a non-empty sequence of distinct names; "
            f"received class_names={class_names!r}."
        )
    return names


def _check_split(split, allow_none=False):
    if (split is None and allow_none) or split in SPLITS:
        return split
    raise ValueError(f"`split` must be one of {SPLITS} or None; received split={split!r}.")


def _check_fractions(split_fractions):
    try:
        fractions = np.asarray(split_fractions, "float64")
    except (TypeError, ValueError):
        fractions = np.zeros(0)
    if fractions.shape != (3,) or (fractions < 0).any() or abs(fractions.sum() - 1) > 1e-6:
        raise ValueError(
            "`split_fractions` must be 3 non-negative numbers (train, val, test) summing to 1; "
            f"received split_fractions={split_fractions!r}."
        )
    return fractions
