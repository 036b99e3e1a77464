"""A generated volume data set whose label lives in a few slices at a random depth."""

import numpy as np
import tensorflow as tf

from das_keras.checks import check_positive_int

SPLIT_OFFSETS = {"train": 0, "val": 1, "test": 2}
CLASS_NAMES = ("square", "cross")


def synthetic_arrays(
    num_samples=512, num_slices=32, size=32, structure_slices=2, noise=0.15, seed=0
):
    """Generates volumes as NumPy arrays, with the depth of the informative slices.

    Each volume is a smooth random background plus Gaussian noise in every slice. In
    `structure_slices` consecutive slices at a uniformly random depth, a bright object is drawn
    at a random position: a filled square (label 0) or a cross of about the same area and edge
    length (label 1). Only those slices decide the label, so a sampler that keeps a fixed set of
    k slices misses the object whenever it falls between them (at k = T/4 and 2 informative
    slices, half the time), while one that adapts to each input can find it.

    Args:
        num_samples: number of volumes.
        num_slices: T.
        size: height and width of each slice (>= 16).
        structure_slices: number of consecutive informative slices (1 <= . <= T).
        noise: standard deviation of the Gaussian noise.
        seed: int; the same seed gives the same volumes.

    Returns:
        dict with "x" float32 (N, T, size, size, 1) in [0, 1], "y" int32 (N,), and "depth"
        int32 (N,), the first informative slice.

    Example:
        >>> data = synthetic_arrays(8, num_slices=16, size=16)
        >>> data["x"].shape, data["y"].shape
        ((8, 16, 16, 16, 1), (8,))
    """
    check_positive_int(num_samples, "num_samples")
    check_positive_int(num_slices, "num_slices")
    check_positive_int(size, "size", minimum=16)
    check_positive_int(structure_slices, "structure_slices")
    if structure_slices > num_slices:
        raise ValueError(
            f"`structure_slices` must be <= num_slices ({num_slices}); received {structure_slices}."
        )
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, num_samples).astype("int32")
    depths = rng.integers(0, num_slices - structure_slices + 1, num_samples).astype("int32")
    volumes = _backgrounds(rng, num_samples, num_slices, size)
    volumes += rng.normal(0.0, noise, volumes.shape).astype("float32")
    side = max(6, size // 4)
    for i in range(num_samples):
        top, left = rng.integers(2, size - side - 2, 2)
        shape = _object_mask(labels[i], side)
        region = volumes[
            i, depths[i] : depths[i] + structure_slices, top : top + side, left : left + side
        ]
        region += 0.6 * shape
    np.clip(volumes, 0.0, 1.0, out=volumes)
    return {"x": volumes[..., None], "y": labels, "depth": depths}


def synthetic(
    split="train",
    num_samples=None,
    num_slices=32,
    size=32,
    structure_slices=2,
    noise=0.15,
    seed=0,
    batch_size=None,
    shuffle=None,
):
    """The synthetic task as a `tf.data.Dataset` of (volume, label).

    Args:
        split: "train", "val" or "test"; each split is generated from its own seed.
        num_samples: volumes in the split; default 768 / 128 / 256 for train / val / test.
        num_slices, size, structure_slices, noise: see `synthetic_arrays`.
        seed: base seed; split s uses seed * 10 + its offset.
        batch_size: batch the data set when given.
        shuffle: shuffle each epoch (default: True for "train").

    Returns:
        `tf.data.Dataset` yielding (float32 (T, size, size, 1), int32 label), batched when asked.

    Example:
        >>> ds = synthetic("val", num_samples=4, batch_size=2)
        >>> [tuple(x.shape) for x, _ in ds]
        [(2, 32, 32, 32, 1), (2, 32, 32, 32, 1)]
    """
    if split not in SPLIT_OFFSETS:
        raise ValueError(f"`split` must be one of {tuple(SPLIT_OFFSETS)}; received {split!r}.")
    if num_samples is None:
        num_samples = {"train": 768, "val": 128, "test": 256}[split]
    data = synthetic_arrays(
        num_samples, num_slices, size, structure_slices, noise, seed * 10 + SPLIT_OFFSETS[split]
    )
    ds = tf.data.Dataset.from_tensor_slices((data["x"], data["y"]))
    if shuffle if shuffle is not None else split == "train":
        ds = ds.shuffle(num_samples, seed=seed, reshuffle_each_iteration=True)
    if batch_size:
        ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def _backgrounds(rng, num_samples, num_slices, size):
    """Smooth random intensity fields, varying slowly with depth too."""
    coarse = rng.uniform(0.1, 0.35, (num_samples, max(2, num_slices // 8), 4, 4)).astype("float32")
    # separable linear upsampling to (T, size, size)
    out = coarse
    for axis, length in ((1, num_slices), (2, size), (3, size)):
        src = np.linspace(0, 1, out.shape[axis])
        dst = np.linspace(0, 1, length)
        out = np.apply_along_axis(lambda v, s=src, d=dst: np.interp(d, s, v), axis, out)
    return out.astype("float32")


def _object_mask(label, side):
    mask = np.zeros((side, side), "float32")
    if label == 0:
        inner = side // 4
        mask[inner : side - inner, inner : side - inner] = 1.0
    else:
        bar = max(2, side // 3)
        start = (side - bar) // 2
        mask[start : start + bar, :] = 1.0
        mask[:, start : start + bar] = 1.0
    return mask
