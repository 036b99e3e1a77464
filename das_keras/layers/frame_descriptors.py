"""FrameDescriptors: cheap per-frame statistics that DASLayer attends over."""

import contextlib
import functools
import threading

import keras
from keras import ops

from das_keras import checks
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


def descriptor_pool_factor(height, width, size):
    """The integer factor by which `frame_descriptors` average-pools (height, width) frames.

    Args:
        height: int, frame height.
        width: int, frame width.
        size: int >= 1 or None; None keeps full resolution.

    Returns:
        int >= 1: min(height, width) / size, rounded to the nearest int, at least 1.

    Example:
        >>> descriptor_pool_factor(112, 112, 16), descriptor_pool_factor(28, 28, 16)
        (7, 2)
    """
    if size is None:
        return 1
    return max(1, int(min(height, width) / size + 0.5))


def frame_descriptors(x, descriptors=DESCRIPTORS, scales=1, normalize=True, size=None):
    """Per-frame descriptors of a sequence, without gradients (functional twin of the layer).

    For each frame, on its channel mean: "variance" over space, "temporal_difference" (mean
    squared difference to the previous and next frame, averaged), "sobel" (mean Sobel gradient
    magnitude) and "laplacian" (mean absolute Laplacian). With `scales=2` the same descriptors
    are computed again on a 2x average-pooled copy. With `normalize`, each descriptor is
    standardised across T for each sample (zero mean, unit variance), so only the profile over
    the sequence matters, not the input's overall contrast. With `size`, large frames are first
    average-pooled by `descriptor_pool_factor(H, W, size)` (about `size` pixels on the shorter
    side): the descriptors then cost about the same for any frame size (a 64x64 frame costs 16x
    less), which keeps the sampler cheap next to the backbone.

    Args:
        x: float (B, T, H, W, C).
        descriptors: names from `DESCRIPTORS`, in the order wanted.
        scales: 1 or 2.
        normalize: standardise across T per sample and descriptor.
        size: int >= 1 or None: the resolution to pool large frames down to (None: no pooling).

    Returns:
        (B, T, len(descriptors) * scales) float32 tensor.

    Shapes:
        (B, T, H, W, C) -> (B, T, d).

    Example:
        >>> frame_descriptors(keras.random.uniform((2, 10, 16, 16, 1))).shape
        (2, 10, 4)
    """
    _check_descriptor_options(descriptors, scales, size)
    batch, num_frames = ops.shape(x)[0], x.shape[1]
    height, width = x.shape[2], x.shape[3]
    frames = ops.stop_gradient(ops.cast(x, "float32"))
    if height is None or width is None:  # frame size known only when the graph runs
        frames = _pool_dynamic(ops.reshape(frames, (-1, *ops.shape(x)[2:])), size)
    else:
        frames = ops.reshape(frames, (-1, height, width, x.shape[4]))
        factor = descriptor_pool_factor(height, width, size)
        if factor > 1:  # pooling before the channel mean: the same numbers, one pass fewer
            frames = ops.average_pool(frames, factor, strides=factor, padding="valid")
    frames = ops.mean(frames, axis=-1) if x.shape[4] != 1 else frames[..., 0]  # (B * T, h, w)
    columns = []
    for scale in range(scales):
        if scale:
            frames = ops.average_pool(frames[..., None], 2, strides=2, padding="valid")[..., 0]
        columns += _descriptors_at_one_scale(frames, descriptors, batch, num_frames)
    features = _finite(ops.stack(columns, axis=-1))
    if normalize:
        mean = ops.mean(features, axis=1, keepdims=True)
        std = ops.std(features, axis=1, keepdims=True)
        features = _finite((features - mean) / (std + 1e-6))
    return features


def _finite(features):
    """Non-finite descriptors (from NaN/Inf pixels, or an overflow) set to 0, a neutral value:
    the attention over them, and so the selection, stays well defined."""
    return ops.where(ops.isfinite(features), features, 0.0)


def _pool_dynamic(frames, size):
    """`average_pool` by `descriptor_pool_factor` for (N, H, W, C) frames whose H and W are
    known only at run time: crop to a multiple of the factor, then average f x f blocks (the
    same numbers as a "valid" average pool with stride f)."""
    if size is None:
        return frames
    shape = ops.shape(frames)
    height, width = shape[1], shape[2]
    factor = ops.cast(
        ops.floor(ops.cast(ops.minimum(height, width), "float32") / size + 0.5), "int32"
    )
    factor = ops.maximum(factor, 1)
    rows, cols = height // factor, width // factor
    frames = frames[:, : rows * factor, : cols * factor]
    blocks = ops.reshape(frames, (shape[0], rows, factor, cols, factor, shape[3]))
    return ops.mean(blocks, axis=(2, 4))


def _descriptors_at_one_scale(frames, descriptors, batch, num_frames):
    """The named descriptors of (B * T, h, w) frames, each (B, T)."""
    seq = ops.reshape(frames, (batch, num_frames, -1))  # (B, T, pixels)
    if "sobel" in descriptors or "laplacian" in descriptors:
        sobel_x, sobel_y, laplacian = _edge_maps(frames)
    columns = []
    for name in descriptors:
        if name == "variance":
            per_frame = ops.var(seq, axis=-1)
        elif name == "temporal_difference":
            per_frame = _temporal_difference(seq)
        elif name == "sobel":
            magnitude = ops.sqrt(ops.square(sobel_x) + ops.square(sobel_y) + 1e-12)
            per_frame = ops.reshape(ops.mean(magnitude, axis=(1, 2)), (batch, num_frames))
        else:  # laplacian
            per_frame = ops.reshape(ops.mean(ops.abs(laplacian), axis=(1, 2)), (batch, num_frames))
        columns.append(per_frame)
    return columns


def _temporal_difference(seq):
    if seq.shape[1] == 1:
        return ops.zeros_like(seq[:, :, 0])
    diff = ops.mean(ops.square(seq[:, 1:] - seq[:, :-1]), axis=-1)  # (B, T-1)
    # frame t: mean of its differences to t-1 and t+1 (the one neighbour at the ends)
    before = ops.concatenate([diff[:, :1], diff], axis=1)
    after = ops.concatenate([diff, diff[:, -1:]], axis=1)
    return 0.5 * (before + after)


# Inside Keras's own training, evaluation and prediction steps (TensorFlow backend) the layer runs
# the descriptors as one XLA-compiled function: some thirty elementwise passes over every pixel
# fuse into a few kernels. Any other trace (Keras's `model.export`, `tf.function(model)`,
# tf2onnx, the TFLite converter) gets plain ops, which every graph converter can read: a nested
# XLA function exports as a PartitionedCall that ONNX Runtime cannot load.
_STATE = threading.local()


@contextlib.contextmanager
def plain_descriptor_ops():
    """Within this block, `FrameDescriptors` traces plain TensorFlow ops instead of one
    XLA-compiled function (what tf2onnx and other graph converters can read).

    The numbers are the same up to float rounding; only the graph differs. `das_keras.export`
    uses it for both exports (other traces than Keras's own steps get plain ops anyway).

    Example:
        >>> with plain_descriptor_ops():  # doctest: +SKIP
        ...     proto, _ = tf2onnx.convert.from_function(serve, input_signature=[spec])
    """
    with _descriptor_ops("plain"):
        yield


@contextlib.contextmanager
def compiled_descriptor_ops():
    """Within this block, `FrameDescriptors` traced in any TensorFlow graph (e.g. your own
    `tf.function`) runs as one XLA-compiled function, as in Keras's own steps.

    For inference loops outside `predict` that want the speed and will not be exported; a graph
    traced here does not convert to ONNX.

    Example:
        >>> serve = tf.function(lambda x: model(x, training=False))  # doctest: +SKIP
        >>> with compiled_descriptor_ops():  # doctest: +SKIP
        ...     serve(x)  # traced (and so compiled) here
    """
    with _descriptor_ops("compiled"):
        yield


@contextlib.contextmanager
def _descriptor_ops(mode):
    previous = getattr(_STATE, "mode", None)
    _STATE.mode = mode
    try:
        yield
    finally:
        _STATE.mode = previous


def _compiled_descriptors():
    """`frame_descriptors` as an XLA-compiled tf.function, or None where that does not apply
    (another backend, eager execution, a trace other than a Keras training, evaluation or
    prediction step outside `compiled_descriptor_ops`, or inside `plain_descriptor_ops`)."""
    mode, trace = getattr(_STATE, "mode", None), F.tf_trace()
    if trace is None or mode == "plain" or (trace == "other" and mode != "compiled"):
        return None
    return _xla_frame_descriptors()


@functools.cache
def _xla_frame_descriptors():
    import tensorflow as tf

    return tf.function(frame_descriptors, jit_compile=True, autograph=False)


def _check_descriptor_options(descriptors, scales, size=None):
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
    if size is not None:
        checks.check_positive_int(size, "size")


@keras.saving.register_keras_serializable(package="das_keras")
class FrameDescriptors(keras.layers.Layer):
    """Layer form of `frame_descriptors`: (B, T, H, W, C) -> (B, T, d), no weights.

    On the TensorFlow backend, inside Keras's training, evaluation and prediction steps (`fit`,
    `evaluate`, `predict`, `predict_on_batch`) the descriptors run as one XLA-compiled function,
    which fuses their passes over the pixels (the DAS layer's share of the time:
    docs/results/speed.md); eager calls and every other trace (`model.export` to ONNX or a
    SavedModel, `das_keras.export`, your own `tf.function`) use plain ops, which graph converters
    can read (`compiled_descriptor_ops()` opts your own traces in). Both give the same numbers
    up to float rounding. Non-finite descriptors (NaN/Inf pixels) are set to 0. H and W may be
    unknown (None) until the layer runs.

    Args:
        descriptors: names from `DESCRIPTORS`.
        scales: 1 or 2 (2 adds the same descriptors on a 2x downsampled copy).
        normalize: standardise each descriptor across T per sample.
        size: int >= 1 or None: frames are average-pooled to about this many pixels on the
            shorter side before the descriptors (`descriptor_pool_factor`); None: no pooling.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        Float32 descriptors, (B, T, len(descriptors) * scales).

    Shapes:
        (B, T, H, W, C) -> (B, T, d).

    Example:
        >>> FrameDescriptors(scales=2)(keras.random.uniform((2, 10, 16, 16, 1))).shape
        (2, 10, 8)
    """

    def __init__(self, descriptors=DESCRIPTORS, scales=1, normalize=True, size=None, **kwargs):
        super().__init__(**kwargs)
        _check_descriptor_options(descriptors, scales, size)
        self.descriptors = tuple(descriptors)
        self.scales = scales
        self.normalize = normalize
        self.size = size

    @property
    def num_features(self):
        return len(self.descriptors) * self.scales

    def build(self, input_shape):
        F.check_sequence_shape(input_shape, type(self).__name__, require_static_t=False)
        if input_shape[2] is None or input_shape[3] is None:
            return  # frame size known only at run time (pooled there, see `frame_descriptors`)
        factor = descriptor_pool_factor(input_shape[2], input_shape[3], self.size)
        if self.scales == 2 and min(input_shape[2], input_shape[3]) // factor < 2:
            raise ValueError(
                f"`scales=2` needs (pooled) frames of at least 2x2; received input shape "
                f"{input_shape} with size={self.size}."
            )

    def call(self, inputs):
        compiled = _compiled_descriptors()
        function = frame_descriptors if compiled is None else compiled
        return function(inputs, self.descriptors, self.scales, self.normalize, self.size)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.num_features)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "descriptors": list(self.descriptors),
                "scales": self.scales,
                "normalize": self.normalize,
                "size": self.size,
            }
        )
        return config
