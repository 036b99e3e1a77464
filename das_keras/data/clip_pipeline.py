"""Clips as `tf.data` pipelines: `clip_dataset` (given paths and labels) and `video_folder`.

Each clip is decoded once per data set (and once per machine with a disk cache, see
`clip_cache`), then served as float32 (T, H, W, C) in [0, 1]. The returned data sets carry the
class names as a `class_names` attribute, as `keras.utils.image_dataset_from_directory` does.
"""

import inspect
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from das_keras.data import clip_cache, transforms
from das_keras.data.clip_decode import ClipDecodeError
from das_keras.data.clip_table import video_folder_clips

ON_ERROR = ("skip", "raise")


class ClipDecodeWarning(UserWarning):
    """A clip was skipped because it could not be decoded (on_error="skip")."""


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
    class_names=None,
):
    """A `tf.data.Dataset` of (clip, label) decoding the given clips lazily, each only once.

    A decoded clip is kept in memory (`cache`) and, with `cache_dir`, as a `.npy` file keyed
    by its path, size, mtime and the decode options, so later epochs and later runs skip
    decoding; an unreadable cache file is named in a `ClipCacheWarning` and rebuilt from the
    clip (see `clip_cache`). A clip that fails to decode is skipped with a `ClipDecodeWarning`
    naming it (on_error="skip", once per data set) or stops iteration with an error naming it
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
        class_names: optional sequence of class names (label i = class_names[i]).

    Returns:
        `tf.data.Dataset` of (clip, label); with on_error="skip" its cardinality is unknown.
        Its `class_names` attribute holds `class_names` as a list (None when not given); like
        Keras's `image_dataset_from_directory`, later `map`/`batch` calls return data sets
        without it.

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
    class_names = _check_class_names(class_names, labels)
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
    ds = ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds
    ds.class_names = class_names
    return ds


def _check_class_names(class_names, labels):
    if class_names is None:
        return None
    names = [str(c) for c in class_names] if not isinstance(class_names, str) else []
    if not names or len(set(names)) != len(names) or labels.max() >= len(names) or labels.min() < 0:
        raise ValueError(
            "`class_names` must be None or distinct names, one per label value (labels run from "
            f"{labels.min()} to {labels.max()}); received class_names={class_names!r}."
        )
    return names


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
            return clip_cache.decode_cached(path, *self.options)
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
    cache_dir=None,
    on_error="skip",
    batch_size=None,
    shuffle=None,
    **table_options,
):
    """A folder of clips as a `tf.data.Dataset` of (clip, label).

    Lists the clips with `video_folder_clips` (classes, exclusions, grouped splits) and serves
    them with `clip_dataset` (decode once, cache, skip or raise on unreadable clips).

    Args:
        root: folder of clips.
        num_frames: T, frames per clip (evenly spaced over the clip).
        size: int or (height, width) of the frames.
        grayscale: one channel if True, RGB if False.
        cache_dir: folder for `.npy` caches of decoded clips, or None.
        on_error: "skip" (warn and leave the clip out) or "raise".
        batch_size: batch when given.
        shuffle: reshuffle every epoch; default True for split="train".
        **table_options: which clips, their classes and split: label_from, class_names,
            exclude, metadata, group_column, key_column, split, split_fractions, seed,
            allow_empty (see `video_folder_clips`; `seed` also seeds shuffling).

    Returns:
        `tf.data.Dataset` of (clip, label), with the class names (label order, all classes,
        also those without clips in this split) as its `class_names` attribute.

    Shapes:
        clip float32 (T, H, W, C) in [0, 1] (C = 1 or 3), label int32 (); batched: leading B.

    Example:
        >>> ds = video_folder("clips", label_from="folder", split="train", batch_size=8,
        ...                   metadata="clips/meta.csv", group_column="patient")  # doctest: +SKIP
    """
    clip_options = {k: v for k, v in locals().items() if k in _CLIP_OPTIONS}
    rows = video_folder_clips(root, **table_options)
    split = table_options.get("split")
    where = f"split {split!r} of " if split else ""
    empty = f"No clips in {where}{root} (check `exclude`, `label_from`, fractions)."
    clip_options.update(seed=table_options.get("seed", 0), class_names=rows.class_names)
    return split_dataset(rows, split, empty, **clip_options)


# the options of clip_dataset beyond the clips and their labels (seed: from the table options)
_CLIP_OPTIONS = tuple(inspect.signature(clip_dataset).parameters)[2:]


def split_dataset(rows, split, empty_message, *, shuffle=None, **options):
    """`clip_dataset` over the rows of one split, for the loaders of a data set's layout.

    Args:
        rows: sequence of (path, label, ...) rows (`Clip`s, or (folder, label) pairs).
        split: the split the rows are ("train", "val", "test" or None).
        empty_message: the error when there are no rows.
        shuffle: reshuffle every epoch; None: True for the "train" split.
        **options: the other `clip_dataset` arguments.

    Returns:
        `tf.data.Dataset` of (clip, label), as `clip_dataset`.

    Example:
        >>> split_dataset(rows, "val", "No clips.", num_frames=8)  # doctest: +SKIP
    """
    if not rows:
        raise ValueError(empty_message)
    shuffle = split == "train" if shuffle is None else shuffle
    return clip_dataset([r[0] for r in rows], [r[1] for r in rows], shuffle=shuffle, **options)


__all__ = ["ON_ERROR", "ClipDecodeWarning", "clip_dataset", "split_dataset", "video_folder"]
