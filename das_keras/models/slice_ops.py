"""Small shape layers used by the classifier builders."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="das_keras")
class FoldSlices(keras.layers.Layer):
    """Folds the slice axis into the batch so a 2D backbone runs once on all slices.

    Faster than `keras.layers.TimeDistributed`, which loops over slices in Python.

    Shapes:
        (B, k, H, W, C) -> (B * k, H, W, C).

    Example:
        >>> FoldSlices()(ops.zeros((2, 3, 8, 8, 1))).shape
        (6, 8, 8, 1)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        batch = (
            None
            if input_shape[0] is None or input_shape[1] is None
            else input_shape[0] * input_shape[1]
        )
        return (batch, *input_shape[2:])


@keras.saving.register_keras_serializable(package="das_keras")
class UnfoldSlices(keras.layers.Layer):
    """Undoes `FoldSlices` after the backbone: (B * k, D) -> (B, k, D).

    Args:
        num_slices: int, k.

    Example:
        >>> UnfoldSlices(3)(ops.zeros((6, 16))).shape
        (2, 3, 16)
    """

    def __init__(self, num_slices, **kwargs):
        super().__init__(**kwargs)
        self.num_slices = num_slices

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.num_slices, *inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.num_slices
        return (batch, self.num_slices, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "num_slices": self.num_slices}


@keras.saving.register_keras_serializable(package="das_keras")
class ResizeImages(keras.layers.Layer):
    """Bilinear resize of (N, H, W, C) images with `ops.image.resize`.

    Used instead of `keras.layers.Resizing`, whose call defaults to training=True and leaks that
    mode into the BatchNorm layers after it.

    Args:
        size: (height, width).

    Example:
        >>> ResizeImages((32, 32))(ops.zeros((2, 28, 28, 1))).shape
        (2, 32, 32, 1)
    """

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        if len(size) != 2 or any(not isinstance(s, int) or s < 1 for s in size):
            raise ValueError(f"`size` must be (height, width) of ints >= 1; received {size!r}.")
        self.size = tuple(size)

    def call(self, inputs):
        return ops.image.resize(inputs, self.size, interpolation="bilinear")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": list(self.size)}
