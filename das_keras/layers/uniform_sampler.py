"""UniformSampler: k evenly spaced slices, the same for every input."""

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class UniformSampler(BaseSampler):
    """Keeps k evenly spaced slices: the centres of k equal bins over the T slices.

    Static (same slices for every input) and not learned.

    Args:
        k: the number of bins (int >= 1), or their share of T (a float in (0, 1]).
        **kwargs: `context` and Keras's layer arguments, as for every `BaseSampler`.

    Shapes:
        (B, T, H, W, C) -> the k bin centres, (B, k, H, W, C), ascending.

    Example:
        >>> import keras
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> idx, P = UniformSampler(k=4).select(x)
        >>> idx[0].tolist()
        [3, 10, 17, 24]
    """

    sampler_name = "uniform"

    def _select(self, inputs, training):
        return self._static_selection(F.uniform_indices(self.num_slices, self.num_selected), inputs)
