"""DPSLayer: Deep Probabilistic Subsampling (Huijben et al., ICLR 2020)."""

import keras
from keras import ops

from das_keras import checks
from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class DPSLayer(BaseSampler):
    """Learned, task-adaptive but not input-adaptive subsampling.

    One logit per slice position is learned. Training draws k slices without replacement by
    Gumbel top-k over these logits with a straight-through estimator; inference keeps the k
    positions with the largest logits, the same for every input.

    Args:
        k: positions to learn to keep: an int >= 1, or a float in (0, 1], a fraction of T.
        temperature: float > 0, softmax temperature of the relaxed (backward) sample.
        seed: optional int, seeds the Gumbel noise and the logits' initialisation.
        **kwargs: `context`, and the arguments of any Keras layer (see `BaseSampler`).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, C) (P @ x in training, a gather at inference);
        `selection_logits` -> (B, T).

    Example:
        >>> x = keras.random.uniform((2, 28, 28, 28, 1))
        >>> DPSLayer(k=14, seed=0)(x, training=True).shape
        (2, 14, 28, 28, 1)
    """

    sampler_name = "dps"
    draws_noise = True
    differentiable = True
    requires_float = True

    def __init__(self, k, temperature=1.0, seed=None, **kwargs):
        super().__init__(k=k, seed=seed, **kwargs)
        self.temperature = checks.check_positive_number(temperature, "temperature")

    def build(self, input_shape):
        super().build(input_shape)
        self.logits = self.add_weight(
            name="logits",
            shape=(self.num_slices,),
            initializer=keras.initializers.RandomNormal(stddev=0.01, seed=self.seed),
            autocast=False,  # the selection stays float32 under mixed precision
        )

    def selection_logits(self, inputs):
        """The logits the selection is drawn from, (B, T); identical rows for DPS."""
        return ops.broadcast_to(self.logits[None], (ops.shape(inputs)[0], self.num_slices))

    def _select(self, inputs, training):
        logits = F.finite_logits(self.selection_logits(inputs))
        if training:
            return F.gumbel_top_k(logits, self.num_selected, self.temperature, self.seed_generator)
        _, indices = ops.top_k(logits, k=self.num_selected)
        return self._fixed_selection(indices, inputs)

    def get_config(self):
        config = super().get_config()
        config["temperature"] = self.temperature
        return config
