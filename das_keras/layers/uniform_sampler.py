"""UniformSampler: k evenly spaced slices, the same for every input."""

import keras

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


@keras.saving.register_keras_serializable(package="das_keras")
class UniformSampler(BaseSampler):
    """Keeps k evenly spaced slices: the centres of k equal bins over the T slices.

    Static (same slices for every input) and not learned.

    Args:
        k: int >= 1, slices to keep, or a float in (0, 1], a fraction of T.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The chosen slices in temporal order, (B, k, H, W, C).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, C); `select` -> indices (B, k), P (B, k, T).

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> idx, P = UniformSampler(k=4).select(x)
        >>> idx[0].tolist()
        [3, 10, 17, 24]
    """

    def _select(self, inputs, training):
        return self._static_selection(F.uniform_indices(self.num_slices, self.num_selected), inputs)
