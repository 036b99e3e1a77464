"""CenterSampler: the k central slices, the same for every input."""

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class CenterSampler(BaseSampler):
    """Keeps a window of k adjacent slices in the middle of the T slices.

    Static (same slices for every input) and not learned: the baseline for data whose object of
    interest sits in the middle of the volume, as in MedMNIST3D, where a central window can beat
    evenly spaced slices (see docs/results/comparison.md).

    Args:
        k: the width of the window: an int >= 1, or a float in (0, 1], a fraction of T.
        **kwargs: `context` and the Keras layer arguments (see `BaseSampler`).

    Returns (call):
        The window's slices, (B, k, H, W, C); `select` gives its indices and P (`BaseSampler`).

    Example:
        >>> from keras import ops
        >>> layer = CenterSampler(k=4)
        >>> layer.select(ops.zeros((2, 28, 28, 28, 1)))[0][0].tolist()
        [12, 13, 14, 15]
    """

    sampler_name = "center"

    def _select(self, inputs, training):
        return self._static_selection(F.center_indices(self.num_slices, self.num_selected), inputs)
