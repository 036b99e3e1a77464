"""RandomSampler: k slices drawn at random without replacement."""

import keras
from keras import ops

from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


@keras.saving.register_keras_serializable(package="das_keras")
class RandomSampler(BaseSampler):
    """Keeps k slices drawn uniformly at random without replacement, anew for every input.

    It draws in training and at inference alike; the layer's `keras.random.SeedGenerator` makes
    the sequence of draws reproducible for a given `seed`.

    Args:
        k: int >= 1, slices to keep, or a float in (0, 1], a fraction of T.
        seed: optional int seed.
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The chosen slices in temporal order, (B, k, H, W, C).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, C); `select` -> indices (B, k), P (B, k, T).

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> RandomSampler(k=7, seed=1)(x).shape
        (2, 7, 28, 28, 1)
    """

    def __init__(self, k, seed=None, **kwargs):
        super().__init__(k=k, seed=seed, **kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _select(self, inputs, training):
        # replica_uniform: each tf.distribute replica draws its own keys (see its docstring)
        keys = F.replica_uniform((ops.shape(inputs)[0], self.num_slices), self.seed_generator)
        _, indices = ops.top_k(keys, k=self.num_selected)
        return self._fixed_selection(indices, inputs)
