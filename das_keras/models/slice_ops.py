"""Small shape layers used by the classifier builders."""

import warnings

import keras
from keras import ops

from das_keras import checks


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
        num_selected: int >= 1, k, the slices per input (a sampler's `num_selected`).
        num_slices: deprecated name of `num_selected` (everywhere else `num_slices` is T);
            accepted for one release, with a DeprecationWarning.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The embeddings regrouped per input.

    Shapes:
        (B * k, D) -> (B, k, D).

    Example:
        >>> UnfoldSlices(3)(ops.zeros((6, 16))).shape
        (2, 3, 16)
    """

    def __init__(self, num_selected=None, num_slices=None, **kwargs):
        super().__init__(**kwargs)
        if num_slices is not None:
            warnings.warn(
                "UnfoldSlices(num_slices=...) is deprecated: the argument is k, the slices per "
                "input; pass num_selected=... instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            num_selected = num_selected if num_selected is not None else num_slices
        self.num_selected = checks.check_positive_int(num_selected, "num_selected")

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "num_slices" in config:  # saved before the rename: no warning for old files
            config["num_selected"] = config.pop("num_slices")
        return cls(**config)

    @property
    def num_slices(self):
        """Deprecated name of `num_selected` (k), kept for one release (no warning: Keras's
        saving reads every attribute)."""
        return self.num_selected

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.num_selected, *inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.num_selected
        return (batch, self.num_selected, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "num_selected": self.num_selected}


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
