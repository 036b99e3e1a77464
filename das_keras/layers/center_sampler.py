"""CenterSampler: the k central slices, the same for every input."""

import keras

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


@keras.saving.register_keras_serializable(package="das_keras")
class CenterSampler(BaseSampler):
    """Keeps a window of k adjacent slices in the middle of the T slices.

    Static (same slices for every input) and not learned: the baseline for data whose object of
    interest sits in the middle of the volume, as in MedMNIST3D, where a central window can beat
    evenly spaced slices (see docs/results/comparison.md).

    Args:
        k: int >= 1, slices to keep, or a float in (0, 1], a fraction of T.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The chosen slices in temporal order, (B, k, H, W, C).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, C); `select` -> indices (B, k), P (B, k, T).

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> idx, P = CenterSampler(k=4).select(x)
        >>> idx[0].tolist()
        [12, 13, 14, 15]
    """

    def _select(self, inputs, training):
        return self._static_selection(F.center_indices(self.num_slices, self.num_selected), inputs)
