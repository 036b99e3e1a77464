"""Shared transforms for volumes and clips: frame resampling, resizing, colour, augmentation.

NumPy / Pillow helpers prepare decoded frames; TensorFlow helpers run inside `tf.data` maps.
"""

import numpy as np
import tensorflow as tf

from das_keras.checks import check_choice, check_positive_int

SPATIAL_AXES = (0, 1, 2)


def resample_indices(num_available, num_frames):
    """Indices of `num_frames` frames spread evenly over a clip of `num_available` frames.

    The first and last frames are always kept. Clips shorter than `num_frames` repeat frames
    (in order), so every clip yields exactly `num_frames` frames.

    Args:
        num_available: number of frames in the clip (>= 1).
        num_frames: T, the number of frames wanted (>= 1).

    Returns:
        int64 NumPy array, shape (num_frames,), non-decreasing, values in [0, num_available).

    Example:
        >>> resample_indices(10, 4).tolist()
        [0, 3, 6, 9]
        >>> resample_indices(2, 4).tolist()
        [0, 0, 1, 1]
    """
    check_positive_int(num_available, "num_available")
    check_positive_int(num_frames, "num_frames")
    if num_frames == 1:
        return np.array([(num_available - 1) // 2], "int64")
    return np.floor(np.linspace(0, num_available - 1, num_frames) + 0.5).astype("int64")


def check_size(size, name="size"):
    """Normalizes a frame size given as an int or an (height, width) pair.

    Args:
        size: int or pair of ints, each >= 1.
        name: argument name for the error message.

    Returns:
        (height, width) tuple of ints.

    Example:
        >>> check_size(32), check_size((48, 64))
        ((32, 32), (48, 64))
    """
    pair = (size, size) if isinstance(size, int | np.integer) else size
    valid = (
        isinstance(pair, tuple | list)
        and len(pair) == 2
        and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in pair
        )
    )
    if not valid or isinstance(size, bool):
        raise ValueError(
            f"`{name}` must be an int >= 1 or a (height, width) pair of such ints; "
            f"received {name}={size!r}."
        )
    return int(pair[0]), int(pair[1])


def pil_frame(image, size, grayscale):
    """Converts one Pillow image to a uint8 frame of the given size and colour mode.

    Pillow's bilinear filter widens its support when it shrinks, so downsampling is
    anti-aliased (ultrasound speckle would alias otherwise).

    Args:
        image: `PIL.Image.Image` in any mode (palette, RGBA, 16-bit, ...).
        size: (height, width).
        grayscale: True for one channel (ITU-R 601 luma), False for RGB.

    Returns:
        uint8 NumPy array.

    Shapes:
        (height, width, 1) when grayscale, else (height, width, 3).

    Example:
        >>> from PIL import Image
        >>> pil_frame(Image.new("RGB", (40, 30)), (8, 8), True).shape
        (8, 8, 1)
    """
    from PIL import Image  # lazy (the "video" extra); the caller already holds a PIL image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit scans: scale to 8 bits instead of letting Pillow clip at 255
        array = np.asarray(image, dtype="float32")
        top = max(float(array.max()), 1.0)
        image = Image.fromarray((array * (255.0 / top)).astype("uint8"))
    image = image.convert("L" if grayscale else "RGB")
    height, width = size
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype="uint8")
    return array[..., None] if grayscale else array


def to_unit_float(volume):
    """Casts uint8 values to float32 in [0, 1] (a `tf.data` map step).

    Args:
        volume: uint8 tensor of any shape.

    Returns:
        float32 tensor of the same shape, `volume / 255`.

    Example:
        >>> float(to_unit_float(tf.constant([255], tf.uint8))[0])
        1.0
    """
    return tf.cast(volume, tf.float32) / 255.0


def move_axis_to_time(volume, axis):
    """Makes volume axis `axis` the first (time) axis, keeping the order of the other two.

    Args:
        volume: tensor (D, H, W) or (D, H, W, C).
        axis: 0, 1 or 2, the spatial axis to read as the slice sequence.

    Returns:
        The transposed tensor.

    Shapes:
        axis 0: (D, H, W, ...) unchanged; axis 1: (H, D, W, ...); axis 2: (W, D, H, ...).

    Example:
        >>> move_axis_to_time(tf.zeros((2, 3, 4)), 2).shape
        TensorShape([4, 2, 3])
    """
    check_axis(axis)
    if axis == 0:
        return volume
    order = [axis] + [a for a in SPATIAL_AXES if a != axis]
    order += list(range(3, len(volume.shape)))
    return tf.transpose(volume, order)


def check_axis(axis):
    """Validates a spatial axis argument.

    Args:
        axis: 0, 1 or 2.

    Returns:
        The axis as an int; a ValueError naming `axis` otherwise.

    Example:
        >>> check_axis(2)
        2
    """
    if isinstance(axis, bool):  # True == 1
        raise ValueError(f"`axis` must be one of {SPATIAL_AXES}; received axis={axis!r}.")
    return int(check_choice(axis, "axis", SPATIAL_AXES))


def random_flip_rotate(volume, seed, flip_axes=SPATIAL_AXES, rotate=True):
    """Random mirror flips and 90-degree in-plane rotations of one volume, as tf ops.

    Only transforms that map a voxel grid onto itself are used (no interpolation, no
    intensity change), so binary masks stay binary and values stay in range. Each axis in
    `flip_axes` is flipped with probability 1/2; with `rotate`, the (H, W) plane is turned
    by k * 90 degrees, k uniform in {0, 1, 2, 3} (only when H == W, so shapes are kept).
    Stateless: the same `seed` gives the same transform.

    Args:
        volume: tensor (T, H, W, C).
        seed: int32/int64 tensor of shape (2,), e.g. an element of `tf.data.Dataset.random`.
        flip_axes: axes among 0 (T), 1 (H), 2 (W) that may be flipped.
        rotate: allow the 90-degree rotations in the (H, W) plane.

    Returns:
        Tensor with the shape and dtype of `volume`.

    Example:
        >>> random_flip_rotate(tf.zeros((4, 8, 8, 1)), tf.constant([1, 2])).shape
        TensorShape([4, 8, 8, 1])
    """
    draws = tf.random.stateless_uniform((4,), seed=seed)
    for axis in flip_axes:
        check_axis(axis)
        volume = tf.cond(
            draws[axis] < 0.5, lambda v=volume, a=axis: tf.reverse(v, [a]), lambda v=volume: v
        )
    height, width = volume.shape[1], volume.shape[2]
    if rotate and height is not None and height == width:
        # rot90 treats the leading T axis as a batch of (H, W, C) images
        k = tf.cast(tf.floor(draws[3] * 4.0), tf.int32)
        volume = tf.image.rot90(volume, k=k)
    return volume


def random_clip_jitter(clip, seed, max_brightness=0.1, contrast_range=(0.8, 1.2)):
    """Random left-right flip, brightness and contrast change of one video clip, as tf ops.

    For ultrasound and natural video, where up-down flips and 90-degree turns would make
    images the model never meets (the probe is always at the top). The same change applies to
    every frame of the clip; values are clipped to [0, 1]. Stateless: the same `seed` gives the
    same change.

    Args:
        clip: float tensor (T, H, W, C) in [0, 1].
        seed: int32/int64 tensor of shape (2,), e.g. an element of `tf.data.Dataset.random`.
        max_brightness: float >= 0, the largest shift added to every pixel.
        contrast_range: (low, high) factors that scale each frame's deviation from its mean.

    Returns:
        Tensor with the shape and dtype of `clip`.

    Shapes:
        (T, H, W, C) -> (T, H, W, C).

    Example:
        >>> random_clip_jitter(tf.zeros((4, 8, 8, 1)), tf.constant([1, 2])).shape
        TensorShape([4, 8, 8, 1])
    """
    clip = random_flip_rotate(clip, seed, flip_axes=(2,), rotate=False)
    draws = tf.random.stateless_uniform((2,), seed=seed + 1)
    low, high = contrast_range
    contrast = low + (high - low) * draws[0]
    brightness = max_brightness * (2.0 * draws[1] - 1.0)
    mean = tf.reduce_mean(clip, axis=(1, 2, 3), keepdims=True)
    return tf.clip_by_value((clip - mean) * contrast + mean + brightness, 0.0, 1.0)
