"""FullSequence: the no-subsampling reference (k = T)."""

from keras import ops

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class FullSequence(BaseSampler):
    """Keeps all T slices: the full-sequence baseline, with the samplers' interface.

    Args:
        context: int >= 0, neighbours carried as channels by each slice (see `BaseSampler`).
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The input unchanged, (B, T, H, W, C) (with `context`: (B, T, H, W, (2c + 1) C)).

    Shapes:
        inputs (B, T, H, W, C) -> (B, T, H, W, C); `select` -> indices (B, T), P (B, T, T).

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> FullSequence()(x).shape
        (2, 28, 28, 28, 1)
    """

    sampler_name = "full"
    takes_k = False

    def __init__(self, **kwargs):
        super().__init__(k=1.0, **kwargs)

    def _select(self, inputs, training):
        batch = ops.shape(inputs)[0]
        indices = ops.broadcast_to(
            ops.arange(self.num_slices, dtype="int32")[None], (batch, self.num_slices)
        )
        return self._fixed_selection(indices, inputs)

    def call(self, inputs, training=None):
        self._check_inputs(inputs)
        return F.stack_context(inputs, self.context)

    def get_config(self):
        config = super().get_config()
        config.pop("k")
        config.pop("seed")
        return config
