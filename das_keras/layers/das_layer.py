"""DASLayer: Deep Attention-guided Adaptive Subsampling (arXiv 2510.12376)."""

import keras
from keras import layers, ops

from das_keras import checks
from das_keras.layers import functional as F
from das_keras.layers.base_sampler import BaseSampler
from das_keras.layers.frame_descriptors import DESCRIPTORS, FrameDescriptors

TEMPERATURE_MODES = ("adaptive", "fixed")


class DASLayer(BaseSampler):
    """Input-adaptive subsampling by attention over cheap frame descriptors.

    The layer looks at the whole input through per-frame descriptors and chooses, for each input,
    which k slices the backbone will see:

    1. Descriptors F (B, T, d): variance, temporal-difference energy, Sobel and Laplacian edge
       strength per frame (optionally at two scales), standardised across T; optionally
       concatenated with a small learned per-frame encoder (`frame_encoder_units > 0`).
    2. Base attention a_base (B, T) from a small network that sees the whole sequence: a
       per-frame dense layer, a 1D convolution over T, and the sequence's mean context; plus a
       learned linear term w . F_t whose weights start at `descriptor_prior / d`, so that an
       untrained layer already favours frames with more structure and motion.
    3. H heads: s_h = Softplus(MLP_h(pool(F))) (B, k); A = mean_h(a_base[:, None] * s_h[..., None])
       gives one row of logits (B, k, T) per chosen slice.
    4. Adaptive temperature tau = tau0 * (0.5 + sigmoid(MLP_temp(pool(F)))), one per sample
       (or tau0 for all with `temperature="fixed"`).
    5. Training: rows chosen one after another without replacement, each by Gumbel arg-max over
       (A_j + G + mask) with the straight-through estimator on softmax(. / tau); the output is
       einsum(P, x). Inference: no noise; the top-k slices of a_base, sorted, gathered.

    What follows the paper: the descriptor-attention-heads-temperature pipeline (steps 1-5), the
    Gumbel top-k without replacement and the straight-through estimator, deterministic top-k at
    inference. Our reconstruction (not stated in the paper, each a constructor argument): the
    exact descriptor formulas and their standardisation, the architecture of the attention
    network (per-frame dense + 1D conv + mean context, `hidden_units`, `conv_kernel_size`), that
    a_base is an unnormalised logit (a softmax would leave it too flat against unit Gumbel noise),
    mean-and-max pooling of F as input of the head and temperature MLPs, the 0.5 + sigmoid range
    of the temperature, the optional learned frame encoder (the paper's "future work"), and the
    linear descriptor prior: without it the straight-through gradient, which only sees a
    first-order blend of slices, often taught the layer to avoid the informative slices
    (measured on the synthetic task); `descriptor_prior=0.0` removes the head start.
    Because s_h > 0, every row of A orders the slices as a_base does, so inference top-k over
    a_base equals the noise-free row-by-row selection.

    Our extension (not in the paper): `learned_positions=True` adds a learned logit per slice
    position, DPS's term, to a_base. The layer then contains the static samplers: it can learn
    a fixed window where that is best (MedMNIST3D volumes are centred, and a central window
    matched DAS there) and leave it for an input whose descriptors say so. `position_prior`
    starts that term as a central window (a parabola over T, `position_prior` at the middle
    and 0 at both ends), so that an untrained layer chooses about the central slices and
    training moves away from them only where the input warrants it.

    Args:
        k: int >= 1, slices to keep, or a float in (0, 1], a fraction of T.
        heads: int >= 1, number of scaling heads H.
        tau0: float > 0, base temperature.
        hidden_units: int >= 1, width of the attention, head and temperature networks.
        descriptors: names from `das_keras.layers.frame_descriptors.DESCRIPTORS`.
        descriptor_scales: 1 or 2.
        conv_kernel_size: odd int >= 1, the 1D convolution's window over T.
        temperature: "adaptive" (learned per sample) or "fixed" (tau0).
        frame_encoder_units: int >= 0; > 0 adds a learned per-frame encoder of that width.
        descriptor_prior: initial total weight of the linear descriptor term of a_base (0.0
            starts without a preference).
        descriptor_size: int >= 1 or None. Frames are average-pooled to about this many pixels
            on the shorter side before the descriptors (by 2 for 28x28 and 32x32 frames, 4 for
            64x64, 7 for 112x112), which keeps the layer's cost small beside the backbone's.
            None computes them at full resolution.
        learned_positions: bool; add a learned logit per slice position to a_base (our
            extension, see above). False keeps the paper's input-only attention.
        position_prior: float >= 0, the initial height of the position term at the middle of
            the sequence (0 at both ends); only with `learned_positions=True`.
        seed: optional int seed for the Gumbel noise.
        context: int >= 0, neighbours carried as channels by each chosen slice (`BaseSampler`).
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns (call):
        The chosen slices in temporal order, (B, k, H, W, C).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, C); `select` -> indices (B, k), P (B, k, T);
        `attention` -> (B, T); `selection_logits` -> (B, k, T); `temperatures` -> (B, 1).

    Example:
        >>> inputs = keras.Input((28, 28, 28, 1))
        >>> x = DASLayer(k=14)(inputs)
        >>> x.shape
        (None, 14, 28, 28, 1)
    """

    sampler_name = "das"
    draws_noise = True
    differentiable = True
    requires_float = True

    def __init__(
        self,
        k,
        heads=4,
        tau0=1.0,
        hidden_units=32,
        descriptors=DESCRIPTORS,
        descriptor_scales=1,
        conv_kernel_size=5,
        temperature="adaptive",
        frame_encoder_units=0,
        descriptor_prior=3.0,
        descriptor_size=16,
        learned_positions=False,
        position_prior=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(k=k, seed=seed, **kwargs)
        self.heads = checks.check_positive_int(heads, "heads")
        self.hidden_units = checks.check_positive_int(hidden_units, "hidden_units")
        self.conv_kernel_size = checks.check_positive_int(conv_kernel_size, "conv_kernel_size")
        if conv_kernel_size % 2 == 0:
            raise ValueError(f"`conv_kernel_size` must be odd; received {conv_kernel_size}.")
        self.tau0 = checks.check_positive_number(tau0, "tau0")
        self.temperature = checks.check_choice(temperature, "temperature", TEMPERATURE_MODES)
        self.frame_encoder_units = checks.check_positive_int(
            frame_encoder_units, "frame_encoder_units", minimum=0
        )
        self.descriptors = tuple(descriptors)
        self.descriptor_scales = descriptor_scales
        if isinstance(descriptor_prior, bool) or not isinstance(descriptor_prior, int | float):
            raise ValueError(f"`descriptor_prior` must be a number; received {descriptor_prior!r}.")
        self.descriptor_prior = float(descriptor_prior)
        self.descriptor_size = checks.check_positive_int(
            descriptor_size, "descriptor_size", allow_none=True
        )
        checks.check_bool(learned_positions, "learned_positions")
        if isinstance(position_prior, bool) or not isinstance(position_prior, int | float):
            raise ValueError(f"`position_prior` must be a number; received {position_prior!r}.")
        if position_prior < 0 or (position_prior and not learned_positions):
            raise ValueError(
                "`position_prior` must be a number >= 0, and is used only with "
                f"learned_positions=True; received position_prior={position_prior!r}, "
                f"learned_positions={learned_positions!r}."
            )
        self.learned_positions = learned_positions
        self.position_prior = float(position_prior)
        self.descriptor_layer = FrameDescriptors(
            descriptors, descriptor_scales, size=descriptor_size, name="descriptors"
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.descriptor_layer.build(input_shape)
        d = self.descriptor_layer.num_features
        self.prior_weights = self.add_weight(
            name="prior_weights",
            shape=(d,),
            initializer=keras.initializers.Constant(self.descriptor_prior / d),
            autocast=False,  # the selection stays float32 under mixed precision (BaseSampler)
        )
        if self.learned_positions:
            self.position_logits = self.add_weight(
                name="position_logits",
                shape=(self.num_slices,),
                initializer=keras.initializers.Constant(
                    central_window_prior(self.num_slices, self.position_prior)
                ),
                autocast=False,
            )
        if self.frame_encoder_units:
            self.frame_encoder = layers.Dense(
                self.frame_encoder_units, activation="relu", name="frame_encoder"
            )
            self.frame_encoder.build((None, 64))
            d += self.frame_encoder_units
        h = self.hidden_units
        self.frame_dense = _built(
            layers.Dense(h, activation="relu", name="frame_dense"), (None, None, d)
        )
        self.temporal_conv = _built(
            layers.Conv1D(
                h, self.conv_kernel_size, padding="same", activation="relu", name="temporal_conv"
            ),
            (None, None, h),
        )
        self.attention_out = _built(layers.Dense(1, name="attention_out"), (None, None, 2 * h))
        self.head_hidden = [
            _built(layers.Dense(h, activation="relu", name=f"head{i}_hidden"), (None, 2 * d))
            for i in range(self.heads)
        ]
        self.head_out = [
            _built(layers.Dense(self.num_selected, name=f"head{i}_out"), (None, h))
            for i in range(self.heads)
        ]
        if self.temperature == "adaptive":
            self.temp_hidden = _built(
                layers.Dense(h, activation="relu", name="temp_hidden"), (None, 2 * d)
            )
            self.temp_out = _built(layers.Dense(1, name="temp_out"), (None, h))

    def _features(self, inputs):
        features = self.descriptor_layer(inputs)
        if self.frame_encoder_units:
            frames = ops.reshape(ops.cast(inputs, "float32"), (-1, *inputs.shape[2:]))
            frames = ops.image.resize(ops.mean(frames, axis=-1, keepdims=True), (8, 8))
            encoded = self.frame_encoder(ops.reshape(frames, (-1, 64)))
            encoded = ops.reshape(encoded, (-1, self.num_slices, self.frame_encoder_units))
            features = ops.concatenate([features, encoded], axis=-1)
        return features

    def _attention_from_features(self, features):
        hidden = self.temporal_conv(self.frame_dense(features))
        context = ops.broadcast_to(ops.mean(hidden, axis=1, keepdims=True), ops.shape(hidden))
        learned = ops.squeeze(self.attention_out(ops.concatenate([hidden, context], -1)), -1)
        descriptors = features[..., : self.descriptor_layer.num_features]
        attention = ops.cast(learned, "float32") + ops.matmul(descriptors, self.prior_weights)
        if self.learned_positions:
            attention = attention + ops.cast(self.position_logits, attention.dtype)[None]
        return attention

    def _logits_and_temperature(self, inputs):
        features = self._features(inputs)
        a_base = self._attention_from_features(features)
        pooled = ops.concatenate([ops.mean(features, axis=1), ops.max(features, axis=1)], -1)
        scales = [
            ops.softplus(out(hidden(pooled)))
            for hidden, out in zip(self.head_hidden, self.head_out)
        ]
        scale = ops.mean(
            ops.stack(scales, axis=0), axis=0
        )  # (B, k); mean_h(a * s_h) = a * mean_h s_h
        logits = a_base[:, None, :] * ops.cast(scale, "float32")[:, :, None]
        if self.temperature == "adaptive":
            tau = self.tau0 * (0.5 + ops.sigmoid(self.temp_out(self.temp_hidden(pooled))))
        else:
            tau = ops.full((ops.shape(inputs)[0], 1), self.tau0)
        return a_base, logits, tau

    def attention(self, inputs):
        """Base attention a_base over the slices, (B, T) unnormalised logits."""
        self._ensure_built(inputs)
        return self._attention_from_features(self._features(inputs))

    def selection_logits(self, inputs):
        """Per-row selection logits A, (B, k, T)."""
        self._ensure_built(inputs)
        return self._logits_and_temperature(inputs)[1]

    def temperatures(self, inputs):
        """Per-sample temperature tau, (B, 1)."""
        self._ensure_built(inputs)
        return self._logits_and_temperature(inputs)[2]

    def _ensure_built(self, inputs):
        if not self.built:
            self.build(tuple(inputs.shape))
            self.built = True
        self._check_inputs(inputs)

    def _select(self, inputs, training):
        if training:
            _, logits, tau = self._logits_and_temperature(inputs)  # float32 (see BaseSampler)
            return F.gumbel_top_k(logits, self.num_selected, tau, self.seed_generator)
        a_base = self._attention_from_features(self._features(inputs))
        _, indices = ops.top_k(a_base, k=self.num_selected)
        return self._fixed_selection(indices, inputs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "heads": self.heads,
                "tau0": self.tau0,
                "hidden_units": self.hidden_units,
                "descriptors": list(self.descriptors),
                "descriptor_scales": self.descriptor_scales,
                "conv_kernel_size": self.conv_kernel_size,
                "temperature": self.temperature,
                "frame_encoder_units": self.frame_encoder_units,
                "descriptor_prior": self.descriptor_prior,
                "descriptor_size": self.descriptor_size,
            }
        )
        if self.learned_positions:  # only when set: configs saved before it stay identical
            config["learned_positions"] = True
            config["position_prior"] = self.position_prior
        return config


def central_window_prior(num_slices, height):
    """Initial position logits that favour the central slices: a parabola over T.

    Args:
        num_slices: T.
        height: float, the value at the middle of the sequence (both ends get 0).

    Returns:
        A list of T floats; its top k are the k central slices (`center_indices`), ties apart.

    Example:
        >>> central_window_prior(5, 1.0)
        [0.0, 0.75, 1.0, 0.75, 0.0]
    """
    middle = (num_slices - 1) / 2
    if middle == 0:
        return [float(height)] * num_slices
    return [float(height * (1.0 - ((t - middle) / middle) ** 2)) for t in range(num_slices)]


def _built(layer, input_shape):
    layer.build(input_shape)
    return layer
