"""ADPSLayer: Active Deep Probabilistic Subsampling (Van Gorp et al., ICML 2021)."""

from keras import layers, ops

from das_keras import checks
from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler


class ADPSLayer(BaseSampler):
    """Sequential subsampling: each chosen frame informs the choice of the next one.

    Frames are chosen one at a time. A small CNN encodes the frame just chosen; an LSTM cell over
    these encodings gives the logits of the next choice (the first logits are learned, from the
    LSTM's zero state). Training draws each frame with Gumbel noise and a straight-through
    estimator, masking frames already chosen; inference takes the arg-max at each step. The
    selection adapts to the input only through the frames already sampled.

    Args:
        k: the number of sequential steps (one frame each): an int >= 1, or a fraction of T.
        lstm_units: int >= 1, size of the LSTM state.
        encoder_filters: tuple of ints, filters of the stride-2 conv layers of the frame encoder.
        temperature: float > 0, softmax temperature of the relaxed (backward) sample.
        seed: optional int seed for the Gumbel noise.
        **kwargs: `context` and Keras layer arguments, as `BaseSampler` takes them.

    Shapes:
        inputs (B, T, H, W, C) -> the k frames in temporal order, (B, k, H, W, C);
        `selection_logits` -> (B, k, T), in selection order.

    Example:
        >>> layer = ADPSLayer(k=4, seed=0)
        >>> layer(keras.random.uniform((2, 16, 32, 32, 1))).shape
        (2, 4, 32, 32, 1)
    """

    sampler_name = "adps"
    draws_noise = True
    differentiable = True
    requires_float = True

    def __init__(
        self, k, lstm_units=64, encoder_filters=(16, 32), temperature=1.0, seed=None, **kwargs
    ):
        super().__init__(k=k, seed=seed, **kwargs)
        self.lstm_units = checks.check_positive_int(lstm_units, "lstm_units")
        if not encoder_filters or any(not isinstance(f, int) or f < 1 for f in encoder_filters):
            raise ValueError(
                f"`encoder_filters` must be a non-empty sequence of ints >= 1; received "
                f"{encoder_filters!r}."
            )
        self.encoder_filters = tuple(encoder_filters)
        self.temperature = checks.check_positive_number(temperature, "temperature")
        self.encoder_layers = [
            layers.Conv2D(
                f, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv{i}"
            )
            for i, f in enumerate(self.encoder_filters)
        ]
        self.encoder_pool = layers.GlobalAveragePooling2D(name="encoder_pool")
        self.lstm_cell = layers.LSTMCell(lstm_units, name="lstm_cell")

    def build(self, input_shape):
        super().build(input_shape)
        frame_shape = (input_shape[0], *input_shape[2:])
        for conv in self.encoder_layers:
            conv.build(frame_shape)
            frame_shape = conv.compute_output_shape(frame_shape)
        self.lstm_cell.build((input_shape[0], self.encoder_filters[-1]))
        self.logits_head = layers.Dense(self.num_slices, name="logits_head")
        self.logits_head.build((input_shape[0], self.lstm_units))

    def _encode(self, frame):
        for conv in self.encoder_layers:
            frame = conv(frame)
        return self.encoder_pool(frame)

    def _steps(self, inputs, training):
        """Runs the k sequential choices; returns (indices, P, logits) in selection order.

        The choice itself runs in float32 (`F.masked_logits`); only the frame fed back to the
        encoder is in the input's dtype.
        """
        batch = ops.shape(inputs)[0]
        state = [ops.zeros((batch, self.lstm_units), dtype=self.lstm_cell.compute_dtype)] * 2
        taken = ops.zeros((batch, self.num_slices), dtype="float32")
        rows, chosen, all_logits = [], [], []
        for _ in range(self.num_selected):
            logits = ops.cast(self.logits_head(state[0]), "float32")
            all_logits.append(logits)
            z = F.masked_logits(logits, taken, self.seed_generator, noise=training)
            hard, index = F.one_hot_of_max(z)
            if training:
                row = F.straight_through(hard, z, self.temperature)
                frame = ops.einsum("bt,bthwc->bhwc", ops.cast(row, inputs.dtype), inputs)
            else:
                row = hard
                frame = F.gather_slices(inputs, index[:, None])[:, 0]
            rows.append(row)
            chosen.append(index)
            taken = taken + hard
            _, state = self.lstm_cell(self._encode(frame), state, training=training)
        return ops.stack(chosen, axis=1), ops.stack(rows, axis=1), ops.stack(all_logits, axis=1)

    def selection_logits(self, inputs, training=False):
        """The logits of each sequential step, (B, k, T), in selection order."""
        return self._steps(inputs, training)[2]

    def _select(self, inputs, training):
        indices, selection_matrix, _ = self._steps(inputs, training)
        return indices, selection_matrix

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "lstm_units": self.lstm_units,
                "encoder_filters": list(self.encoder_filters),
                "temperature": self.temperature,
            }
        )
        return config
