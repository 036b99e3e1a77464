"""FrameDescriptors: cheap per-frame statistics that DASLayer attends over."""

import keras
from keras import ops

from das_keras.layers import functional as F

DESCRIPTORS = ("variance", "temporal_difference", "sobel", "laplacian")


def _edge_maps(frames):
    """Sobel x / y and Laplacian responses of (N, H, W) frames, zero padded ("same" size).

    Written as shifted differences rather than a convolution: the same numbers as a 3x3
    cross-correlation with zero padding, several times faster on CPU for 1-channel frames.
    """
    p = ops.pad(frames, [[0, 0], [1, 1], [1, 1]])
    dx = p[:, :, 2:] - p[:, :, :-2]  # (N, H + 2, W)
    sobel_x = dx[:, :-2] + 2.0 * dx[:, 1:-1] + dx[:, 2:]
    dy = p[:, 2:, :] - p[:, :-2, :]  # (N, H, W + 2)
    sobel_y = dy[:, :, :-2] + 2.0 * dy[:, :, 1:-1] + dy[:, :, 2:]
    center = p[:, 1:-1, 1:-1]
    laplacian = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4.0 * center
    return sobel_x, sobel_y, laplacian


def frame_descriptors(x, descriptors=DESCRIPTORS, scales=1, normalize=True):
    """Per-frame descriptors of a sequence, without gradients (functional twin of the layer).

    For each frame, on its channel mean: "variance" over space, "temporal_difference" (mean
    squared difference to the previous and next frame, averaged), "sobel" (mean Sobel gradient
    magnitude) and "laplacian" (mean absolute Laplacian). With `scales=2` the same descriptors
    are computed again on a 2x average-pooled copy. With `normalize`, each descriptor is
    standardised across T for each sample (zero mean, unit variance), so only the profile over
    the sequence matters, not the input's overall contrast.

    Args:
        x: float (B, T, H, W, C).
        descriptors: names from `DESCRIPTORS`, in the order wanted.
        scales: 1 or 2.
        normalize: standardise across T per sample and descriptor.

    Returns:
        (B, T, len(descriptors) * scales) float tensor.

    Shapes:
        (B, T, H, W, C) -> (B, T, d).

    Example:
        >>> frame_descriptors(keras.random.uniform((2, 10, 16, 16, 1))).shape
        (2, 10, 4)
    """
    _check_descriptor_options(descriptors, scales)
    x = ops.stop_gradient(ops.mean(ops.cast(x, "float32"), axis=-1))  # (B, T, H, W)
    batch, num_frames = ops.shape(x)[0], x.shape[1]
    height, width = x.shape[2], x.shape[3]
    frames = ops.reshape(x, (-1, height, width, 1))
    columns = []
    for scale in range(scales):
        if scale:
            frames = ops.average_pool(frames, 2, strides=2, padding="valid")
        seq = ops.reshape(frames, (batch, num_frames, -1))  # (B, T, pixels)
        edges = None
        if "sobel" in descriptors or "laplacian" in descriptors:
            maps = _edge_maps(frames[..., 0])
            edges = ops.stack([ops.reshape(m, (batch, num_frames, -1)) for m in maps], axis=-1)
        for name in descriptors:
            columns.append(_one_descriptor(name, seq, edges))
    features = ops.stack(columns, axis=-1)
    if normalize:
        mean = ops.mean(features, axis=1, keepdims=True)
        std = ops.std(features, axis=1, keepdims=True)
        features = (features - mean) / (std + 1e-6)
    return features


def _one_descriptor(name, seq, edges):
    if name == "variance":
        return ops.var(seq, axis=-1)
    if name == "temporal_difference":
        if seq.shape[1] == 1:
            return ops.zeros_like(seq[:, :, 0])
        diff = ops.mean(ops.square(seq[:, 1:] - seq[:, :-1]), axis=-1)  # (B, T-1)
        # frame t: mean of its differences to t-1 and t+1 (the one neighbour at the ends)
        before = ops.concatenate([diff[:, :1], diff], axis=1)
        after = ops.concatenate([diff, diff[:, -1:]], axis=1)
        return 0.5 * (before + after)
    if name == "sobel":
        return ops.mean(ops.sqrt(ops.square(edges[..., 0]) + ops.square(edges[..., 1]) + 1e-12), -1)
    return ops.mean(ops.abs(edges[..., 2]), axis=-1)  # laplacian


def _check_descriptor_options(descriptors, scales):
    if isinstance(descriptors, str) or not descriptors:
        raise ValueError(
            f"`descriptors` must be a non-empty list of names from {DESCRIPTORS}; received "
            f"{descriptors!r}."
        )
    unknown = [d for d in descriptors if d not in DESCRIPTORS]
    if unknown:
        raise ValueError(
            f"`descriptors` has unknown names {unknown}; expected names from {DESCRIPTORS}."
        )
    if scales not in (1, 2):
        raise ValueError(f"`scales` must be 1 or 2; received scales={scales!r}.")


@keras.saving.register_keras_serializable(package="das_keras")
class FrameDescriptors(keras.layers.Layer):
    """Layer form of `frame_descriptors`: (B, T, H, W, C) -> (B, T, d), no weights.

    Args:
        descriptors: names from `DESCRIPTORS`.
        scales: 1 or 2 (2 adds the same descriptors on a 2x downsampled copy).
        normalize: standardise each descriptor across T per sample.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        Float32 descriptors, (B, T, len(descriptors) * scales).

    Shapes:
        (B, T, H, W, C) -> (B, T, d).

    Example:
        >>> FrameDescriptors(scales=2)(keras.random.uniform((2, 10, 16, 16, 1))).shape
        (2, 10, 8)
    """

    def __init__(self, descriptors=DESCRIPTORS, scales=1, normalize=True, **kwargs):
        super().__init__(**kwargs)
        _check_descriptor_options(descriptors, scales)
        self.descriptors = tuple(descriptors)
        self.scales = scales
        self.normalize = normalize

    @property
    def num_features(self):
        return len(self.descriptors) * self.scales

    def build(self, input_shape):
        F.check_sequence_shape(input_shape, type(self).__name__, require_static_t=False)
        if self.scales == 2 and (input_shape[2] < 2 or input_shape[3] < 2):
            raise ValueError(f"`scales=2` needs frames of at least 2x2; received {input_shape}.")

    def call(self, inputs):
        return frame_descriptors(inputs, self.descriptors, self.scales, self.normalize)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.num_features)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "descriptors": list(self.descriptors),
                "scales": self.scales,
                "normalize": self.normalize,
            }
        )
        return config
