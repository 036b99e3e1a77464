"""Functional twins of the sampler layers: the selection maths, with no weights.

Every function here uses `keras.ops` only, so it runs on any Keras backend and exports to ONNX.
Shapes use B = batch, T = slices or frames in the input, k = slices kept. The random draws live
in `das_keras.layers.noise`, applying a selection in `das_keras.layers.gather`; their names are
re-exported here, so `F.<name>` reaches all of the samplers' maths.
"""

import keras
from keras import ops

from das_keras.checks import resolve_k
from das_keras.layers.gather import (  # noqa: F401  (re-exported: F.gather_slices, ...)
    apply_selection,
    context_indices,
    gather_slices,
    gather_slices_with_context,
    stack_context,
)
from das_keras.layers.noise import (  # noqa: F401  (re-exported)
    gumbel_noise,
    replica_uniform,
    tf_distribute_replica,
    tf_trace,
)

# The selection maths (logits, Gumbel noise, masks, softmax) runs in float32 whatever the layer's
# compute dtype: under mixed_float16 a -1e9 mask overflows to -inf and 0 * -inf gives NaN.
# Logits are clipped to +-_LOGIT_LIMIT and non-finite ones (from NaN/Inf inputs) set to
# -_LOGIT_LIMIT; an already-chosen slice gets _MASK_VALUE, below every slice not yet chosen, so a
# later row cannot pick it again. Finite numbers instead of -inf keep softmax gradients finite.
_LOGIT_LIMIT = 1e8
_MASK_VALUE = -1e9


def check_sequence_shape(shape, layer_name, require_static_t=True):
    """Checks that `shape` is (B, T, H, W, C) and returns T.

    Args:
        shape: a shape tuple (entries may be None).
        layer_name: used in the error message.
        require_static_t: raise if T is unknown (None).

    Returns:
        int, T.
    """
    shape = tuple(shape)
    if len(shape) != 5:
        raise ValueError(
            f"{layer_name}: `inputs` must have rank 5, (batch, T, height, width, channels); "
            f"received shape {shape} (rank {len(shape)}). For a single volume add a batch axis; "
            "for "
            "grayscale add a channel axis of size 1."
        )
    if require_static_t and shape[1] is None:
        raise ValueError(
            f"{layer_name}: the number of slices T (axis 1 of `inputs`) must be known when the "
            f"layer is built; received shape {shape}. Give the model a fixed T, e.g. "
            "keras.Input((28, 28, 28, 1))."
        )
    return shape[1]


def check_float_dtype(x, layer_name):
    """Raises a ValueError unless `x` has a floating dtype."""
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "float" not in dtype:
        raise ValueError(
            f"{layer_name}: `inputs` must be a float tensor (the selection is differentiable); "
            f"received dtype {dtype}. Cast first, e.g. x = ops.cast(x, 'float32') / 255."
        )


def one_hot_of_max(z):
    """One-hot of the arg-max along the last axis, and that arg-max.

    Built on `ops.top_k`, not `ops.argmax`: argmax on floats exports to ONNX as an op that ONNX
    Runtime cannot load (Bitcast).

    Returns:
        (one_hot, index): one_hot has z's shape and dtype, index is int32 of shape z.shape[:-1].
    """
    _, index = ops.top_k(z, k=1)
    index = ops.squeeze(index, axis=-1)
    return ops.one_hot(index, ops.shape(z)[-1], dtype=z.dtype), ops.cast(index, "int32")


def finite_logits(logits):
    """Selection logits made safe to rank: float32, clipped, non-finite entries lowest.

    Args:
        logits: float tensor of any shape and float dtype.

    Returns:
        float32 tensor of the same shape: finite values clipped to [-1e8, 1e8], NaN and +-Inf
        replaced by -1e8 (a NaN input then ranks its slices last instead of breaking top-k).

    Example:
        >>> ops.convert_to_numpy(finite_logits(ops.array([1.0, float("nan")]))).tolist()
        [1.0, -100000000.0]
    """
    z = ops.cast(logits, "float32")
    return ops.where(ops.isfinite(z), ops.clip(z, -_LOGIT_LIMIT, _LOGIT_LIMIT), -_LOGIT_LIMIT)


def masked_logits(logits, taken, seed=None, noise=False):
    """One step of sampling without replacement: the float32 logits to take the arg-max of.

    Args:
        logits: (B, T), any float dtype.
        taken: float32 (B, T), 1 where a slice was already chosen, else 0.
        seed: a `keras.random.SeedGenerator`; required when `noise` is True.
        noise: add Gumbel noise (training) or not (deterministic inference).

    Returns:
        float32 (B, T): `finite_logits(logits)` (+ Gumbel noise), and _MASK_VALUE (-1e9) where
        `taken`, so the arg-max is always a slice not yet chosen.

    Example:
        >>> z = masked_logits(ops.array([[2.0, 1.0]]), taken=ops.array([[1.0, 0.0]]))
        >>> ops.convert_to_numpy(z).tolist()
        [[-1000000000.0, 1.0]]
    """
    z = finite_logits(logits)
    if noise:
        z = z + gumbel_noise(ops.shape(z), seed, dtype="float32")
    return ops.where(taken > 0, _MASK_VALUE, z)


def straight_through(hard, z, temperature):
    """Straight-through row: `hard` in the forward pass, softmax(z / temperature)'s gradient.

    Args:
        hard: float32 (B, T) one-hot rows.
        z: float32 (B, T) masked logits (`masked_logits`).
        temperature: scalar or (B, 1) tensor, > 0 (cast to float32).

    Returns:
        float32 (B, T): stop_gradient(hard - soft) + soft.
    """
    soft = ops.softmax(z / ops.cast(temperature, "float32"), axis=-1)
    return ops.stop_gradient(hard - soft) + soft


def gumbel_top_k(logits, k, temperature=1.0, seed=None, noise=True):
    """Chooses k distinct slices row by row, with a straight-through estimator.

    Row j adds fresh Gumbel noise (if `noise`) to its logits, masks the slices chosen by rows
    0..j-1, takes the hard arg-max in the forward pass, and passes the gradient of
    softmax((logits + G + mask) / temperature) in the backward pass:
    P_j = stop_gradient(hard_j - soft_j) + soft_j. All of it runs in float32 (see
    `finite_logits`), so the choice is the same under any dtype policy and for NaN/Inf logits
    the k indices are still distinct.

    Args:
        logits: (B, T) shared by all rows, or (B, k, T) one row of logits per chosen slice.
        k: int, number of slices to choose (static).
        temperature: scalar or (B, 1) tensor, > 0.
        seed: a `keras.random.SeedGenerator`; required when `noise` is True.
        noise: add Gumbel noise (training) or not (deterministic inference).

    Returns:
        (indices, P) in selection order (not sorted): int32 (B, k) and float32 (B, k, T).

    Shapes:
        logits (B, T) or (B, k, T) -> indices (B, k), P (B, k, T).

    Example:
        >>> idx, P = gumbel_top_k(ops.zeros((2, 10)), 3, seed=keras.random.SeedGenerator(0))
        >>> tuple(P.shape)
        (2, 3, 10)
    """
    shared_rows = len(logits.shape) == 2
    taken = ops.zeros_like(ops.cast(logits if shared_rows else logits[:, 0, :], "float32"))
    rows, chosen = [], []
    for j in range(k):
        z = masked_logits(logits if shared_rows else logits[:, j, :], taken, seed, noise)
        hard, index = one_hot_of_max(z)
        rows.append(straight_through(hard, z, temperature))
        chosen.append(index)
        taken = taken + hard
    return ops.stack(chosen, axis=1), ops.stack(rows, axis=1)


def empty_selection(k, num_slices):
    """The selection of a batch of 0 inputs: int32 indices (0, k) and float32 P (0, k, T).

    Some ops refuse empty tensors in eager mode (e.g. `ops.max`), so samplers answer an empty
    batch without running their selection.
    """
    return ops.zeros((0, k), dtype="int32"), ops.zeros((0, k, num_slices), dtype="float32")


def sort_selection(indices, selection_matrix):
    """Puts the chosen slices in temporal (ascending) order.

    Args:
        indices: int (B, k), chosen slice indices in any order.
        selection_matrix: (B, k, T), row j selects slice indices[:, j].

    Returns:
        (indices, P) with indices ascending along axis 1 and P's rows permuted to match.
    """
    order = ops.argsort(indices, axis=1)
    indices = ops.take_along_axis(indices, order, axis=1)
    selection_matrix = ops.take_along_axis(selection_matrix, order[:, :, None], axis=1)
    return indices, selection_matrix


def selection_matrix_from_indices(indices, num_slices, dtype="float32"):
    """One-hot sampling matrix P (B, k, T) for fixed indices (B, k)."""
    return ops.one_hot(ops.cast(indices, "int32"), num_slices, dtype=dtype)


def center_indices(num_slices, k):
    """The window of k adjacent slices in the middle of [0, T), as a list of ints.

    Where T - k is odd, the window sits half a slice before the middle.

    Args:
        num_slices: T.
        k: the window's width, an int in [1, T].

    Returns:
        list of k ascending ints, the window.

    Example:
        >>> center_indices(28, 7)
        [10, 11, 12, 13, 14, 15, 16]
    """
    start = (num_slices - resolve_k(k, num_slices)) // 2
    return list(range(start, start + k))


def uniform_indices(num_slices, k):
    """k evenly spaced slice indices, the centres of k equal bins over [0, T).

    Args:
        num_slices: T, slices to spread the k bins over.
        k: how many bins (and slices), an int in [1, T].

    Returns:
        list of k ascending distinct slice indices.

    Example:
        >>> uniform_indices(28, 4)
        [3, 10, 17, 24]
    """
    k = resolve_k(k, num_slices)
    return [int((2 * i + 1) * num_slices // (2 * k)) for i in range(k)]
