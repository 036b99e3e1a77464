"""The interface shared by every sampler layer."""

import keras
from keras import ops

from das_keras import checks
from das_keras.layers import functional as F
from das_keras.layers.registry import register_sampler


class BaseSampler(keras.layers.Layer):
    """Base class of the samplers: keeps k of the T slices of each input.

    Subclasses implement `_select(x, training)` returning `(indices, P)` in any row order; this
    class validates inputs, sorts the selection into temporal order and applies it.

    A subclass declares what it is with class attributes: `sampler_name` (its short name; set,
    the class registers itself for `das_keras.layers.get_sampler` and `build_classifier(...,
    sampler=name)` and as Keras-serializable, see `das_keras.layers.registry`), `draws_noise`
    (it draws random numbers: it then owns `self.seed_generator`, seeded by `seed`),
    `draws_at_inference` (its inference selection is random too), `differentiable`,
    `requires_float` and `takes_k` (False: it keeps all T slices and takes no `k`).

    In training, learned samplers (`differentiable = True`) return `einsum(P, x)` so gradients
    reach their selection logits through the straight-through estimator; everything else, and
    every sampler at inference, gathers only the k chosen slices.

    With `context=c > 0` each chosen slice carries its c neighbours on each side as extra
    channels (2.5D input: the backbone's first convolution sees depth) at almost no backbone
    cost; the selection itself is unchanged, and inference still reads only the k (2c + 1)
    slices it uses. Channel block c of the output is the chosen slice itself (= P @ x).

    Robustness, by design: the selection maths (logits, Gumbel noise, masks, softmax) runs in
    float32 under any dtype policy (e.g. `mixed_float16`, where a -1e9 mask would overflow), and P
    is cast to the input's dtype only where it multiplies x; non-finite logits (NaN/Inf inputs)
    rank last, so the indices stay sorted and distinct; a batch of 0 gives (0, k) indices; H and
    W may be unknown (None) when the model is built.

    Args:
        k: int >= 1, the number of slices to keep, or a float in (0, 1], a fraction of T.
        seed: optional int, seeds the layer's `keras.random.SeedGenerator` (random layers only).
        context: int >= 0, neighbours carried on each side of a chosen slice (edge slices
            repeated); 0 (the default) returns the chosen slices alone.
        **kwargs: standard `keras.layers.Layer` arguments (name, dtype, ...).

    Shapes:
        inputs (B, T, H, W, C) -> (B, k, H, W, (2 context + 1) C).

    Example:
        >>> from das_keras.layers import UniformSampler
        >>> UniformSampler(k=4, context=1)(keras.random.uniform((2, 8, 16, 16, 1))).shape
        (2, 4, 16, 16, 3)
    """

    sampler_name = None  # the registered short name; None: an abstract class, not registered
    draws_noise = False  # draws random numbers (in training at least): owns a SeedGenerator
    draws_at_inference = False  # its inference selection is random too (no deterministic export)
    differentiable = False
    requires_float = False
    takes_k = True
    # Set by das_keras.batch_norm.recalibrate_batch_norm: the model runs in training mode (batch
    # statistics) while the sampler chooses as at inference.
    inference_selection = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "sampler_name" in cls.__dict__ and cls.sampler_name is not None:
            register_sampler(cls)

    def __init__(self, k, seed=None, context=0, **kwargs):
        super().__init__(**kwargs)
        self.context = checks.check_positive_int(context, "context", minimum=0)
        checks.resolve_k(k, None)  # type and lower bound now; the upper bound (T) once built
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise checks.ArgumentTypeError(f"`seed` must be an int or None; received {seed!r}.")
        self.k = k
        self.seed = seed
        self.num_slices = None  # T, once built
        self.num_selected = None  # k as a count (k resolved against T), once built
        if self.draws_noise:
            self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.num_slices = F.check_sequence_shape(input_shape, type(self).__name__)
        self.num_selected = checks.resolve_k(self.k, self.num_slices)

    def _check_inputs(self, x):
        F.check_sequence_shape(x.shape, type(self).__name__, require_static_t=False)
        if x.shape[1] is not None and self.num_slices is not None and x.shape[1] != self.num_slices:
            raise ValueError(
                f"{type(self).__name__}: `inputs` has T={x.shape[1]} slices but the layer was "
                f"built for T={self.num_slices}; received shape {tuple(x.shape)}."
            )
        if self.requires_float:
            F.check_float_dtype(x, type(self).__name__)

    def select(self, inputs, training=None):
        """Chooses k slices of each input.

        Args:
            inputs: (B, T, H, W, C) tensor.
            training: bool; learned samplers draw Gumbel noise in training and are deterministic
                otherwise.

        Returns:
            (indices, P): int32 (B, k) ascending and distinct, and the sampling matrix P
            (B, k, T) whose row j is one-hot at indices[:, j] in the forward pass.
        """
        if not self.built:
            self.build(tuple(inputs.shape))
            self.built = True
        self._check_inputs(inputs)
        if inputs.shape[0] == 0:  # nothing to choose from (and some ops refuse empty tensors)
            return F.empty_selection(self.num_selected, self.num_slices)
        indices, selection_matrix = self._select(inputs, training=bool(training))
        return F.sort_selection(indices, selection_matrix)

    def _select(self, inputs, training):
        raise NotImplementedError

    def call(self, inputs, training=None):
        training = bool(training) and not self.inference_selection
        indices, selection_matrix = self.select(inputs, training=training)
        if training and self.differentiable:
            return F.apply_selection(F.stack_context(inputs, self.context), selection_matrix)
        return F.gather_slices_with_context(inputs, indices, self.context)

    def compute_output_shape(self, input_shape):
        num_slices = input_shape[1]
        k = checks.resolve_k(self.k, num_slices) if num_slices is not None else None
        channels = None if input_shape[-1] is None else input_shape[-1] * (2 * self.context + 1)
        return (input_shape[0], k, *input_shape[2:-1], channels)

    def get_config(self):
        config = super().get_config()
        config.update({"k": self.k, "seed": self.seed})
        if self.context:  # only when set, so that configs saved before it stay identical
            config["context"] = self.context
        return config

    def _fixed_selection(self, indices, inputs):
        """(indices, P) for a selection that does not depend on learned logits."""
        indices = ops.cast(indices, "int32")
        return indices, F.selection_matrix_from_indices(indices, self.num_slices)

    def _static_selection(self, positions, inputs):
        """(indices, P) for the same slice positions (a list of k ints) in every input."""
        indices = ops.broadcast_to(
            ops.convert_to_tensor(positions, dtype="int32")[None],
            (ops.shape(inputs)[0], self.num_selected),
        )
        return self._fixed_selection(indices, inputs)
