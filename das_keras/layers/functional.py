"""Functional twins of the sampler layers: the selection maths, with no weights.

Every function here uses `keras.ops` only, so it runs on any Keras backend and exports to ONNX.
Shapes use B = batch, T = slices or frames in the input, k = slices kept.
"""

import keras
from keras import ops

# The selection maths (logits, Gumbel noise, masks, softmax) runs in float32 whatever the layer's
# compute dtype: under mixed_float16 a -1e9 mask overflows to -inf and 0 * -inf gives NaN.
# Logits are clipped to +-_LOGIT_LIMIT and non-finite ones (from NaN/Inf inputs) set to
# -_LOGIT_LIMIT; an already-chosen slice gets _MASK_VALUE, below every slice not yet chosen, so a
# later row cannot pick it again. Finite numbers instead of -inf keep softmax gradients finite.
_LOGIT_LIMIT = 1e8
_MASK_VALUE = -1e9


def resolve_k(k, num_slices, name="k"):
    """Turns `k` (a count, or a fraction of T) into a number of slices, checking its range.

    Args:
        k: int >= 1 (number of slices to keep) or float in (0, 1] (fraction of T, rounded, at least
            one slice).
        num_slices: int, T, the number of slices in the input.
        name: the argument name to use in error messages.

    Returns:
        int, the number of slices to keep, 1 <= k <= T.

    Example:
        >>> resolve_k(0.5, 28), resolve_k(7, 28)
        (14, 7)
    """
    if isinstance(k, bool) or not isinstance(k, int | float):
        raise ValueError(f"`{name}` must be an int >= 1 or a float in (0, 1]; received {k!r}.")
    if isinstance(k, float):
        if not 0.0 < k <= 1.0:
            raise ValueError(
                f"`{name}` as a fraction of T must be in (0, 1]; received {name}={k!r}."
            )
        if num_slices is None:
            return k
        k = max(1, int(round(k * num_slices)))
    if k < 1:
        raise ValueError(f"`{name}` must be >= 1; received {name}={k}.")
    if num_slices is not None and k > num_slices:
        raise ValueError(
            f"`{name}` must be <= T, the number of slices in the input; received {name}={k} "
            f"with T={num_slices}."
        )
    return k


def check_positive_int(value, name):
    """Raises a ValueError naming `name` unless `value` is an int >= 1 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1; received {name}={value!r}.")


def check_positive_number(value, name):
    """Raises a ValueError naming `name` unless `value` is a number > 0 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"`{name}` must be a number > 0; received {name}={value!r}.")


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


def tf_distribute_replica():
    """The tf.distribute replica this code runs on, on the TensorFlow backend only.

    Why this exists: under a tf.distribute strategy (MirroredStrategy, MultiWorkerMirroredStrategy,
    TPUStrategy) a layer's `keras.random.SeedGenerator` state is a mirrored variable, so every
    replica holds the same seed and `keras.random` draws the same numbers on every replica (we
    measured identical Gumbel noise on two replicas of a MirroredStrategy). `replica_uniform` uses
    the replica id returned here to give each replica its own numbers. It and `tf_trace` are
    the layers' TensorFlow-specific code; on JAX and PyTorch both return None without importing
    TensorFlow.

    Args:
        None.

    Returns:
        (replica_id, num_replicas) inside a replica context of a strategy with more than one
        replica in sync (replica_id is the global id across workers, an int or a scalar int
        tensor); None otherwise (other backends, no strategy, one replica, cross-replica context).

    Example:
        >>> tf_distribute_replica() is None  # outside `strategy.run`
        True
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


# The tf.functions of Keras's TensorFlow trainer (keras/src/backend/tensorflow/trainer.py): fit,
# evaluate, predict and predict_on_batch trace the model inside one of these.
_KERAS_STEP_FUNCTIONS = frozenset(
    {
        "one_step_on_data",
        "one_step_on_data_distributed",
        "one_step_on_iterator",
        "multi_step_on_iterator",
        "multi_step_on_data",
    }
)


def tf_trace():
    """What kind of TensorFlow graph is being traced, on the TensorFlow backend only.

    Layers use it to choose ops by purpose: XLA-compiled kernels inside Keras's own steps (fast),
    plain ops in every other trace (an export: what graph converters such as tf2onnx can read).

    Returns:
        None (another backend, or eager execution), "keras_step" (inside the tf.function of a
        Keras `fit` / `evaluate` / `predict` / `predict_on_batch` step), or "other" (any other
        trace: `model.export`, `tf.function(model)`, tf2onnx, ...).

    Example:
        >>> tf_trace() is None  # eager
        True
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if tf.executing_eagerly():
        return None
    graph = tf.compat.v1.get_default_graph()
    while graph is not None:
        if getattr(graph, "name", None) in _KERAS_STEP_FUNCTIONS:
            return "keras_step"
        graph = getattr(graph, "outer_graph", None)
    return "other"


def replica_uniform(shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
    """`keras.random.uniform` that draws different numbers on each tf.distribute replica.

    Outside a multi-replica tf.distribute replica context (and on JAX and PyTorch) this is exactly
    `keras.random.uniform(shape, minval, maxval, dtype, seed)`. Inside one (see
    `tf_distribute_replica`), where every replica's seed is the same, it draws one sample of shape
    (shape[0], num_replicas, *shape[1:]) and keeps column `replica_id`: the replicas' numbers are
    then disjoint parts of one i.i.d. draw, also when the replicas' batch sizes differ. The cost is
    num_replicas times the (small) noise tensor.

    Args:
        shape: shape of the result (entries may be scalar tensors, e.g. a dynamic batch size).
        seed: a `keras.random.SeedGenerator` (or int) that the caller owns.
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive).
        dtype: float dtype.

    Returns:
        A tensor of `shape` with i.i.d. uniform entries, different on every replica.

    Example:
        >>> u = replica_uniform((2, 5), keras.random.SeedGenerator(0))
        >>> tuple(u.shape)
        (2, 5)
    """
    shape = tuple(shape)
    replica = tf_distribute_replica()
    if replica is None:
        return keras.random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)
    replica_id, num_replicas = replica
    if not shape:
        draws = keras.random.uniform((num_replicas,), minval, maxval, dtype=dtype, seed=seed)
        return ops.take(draws, replica_id, axis=0)
    draws = keras.random.uniform(
        (shape[0], num_replicas, *shape[1:]), minval, maxval, dtype=dtype, seed=seed
    )
    return ops.take(draws, replica_id, axis=1)


def gumbel_noise(shape, seed, dtype="float32"):
    """Standard Gumbel noise, -log(-log(U)), drawn from `keras.random.uniform`.

    Each tf.distribute replica draws its own noise (see `replica_uniform`).

    Args:
        shape: shape of the noise tensor.
        seed: a `keras.random.SeedGenerator` (or int) that the caller owns.
        dtype: float dtype.

    Returns:
        A tensor of `shape` with i.i.d. Gumbel(0, 1) entries.

    Example:
        >>> tuple(gumbel_noise((2, 5), keras.random.SeedGenerator(0)).shape)
        (2, 5)
    """
    uniform = replica_uniform(shape, seed, minval=1e-6, maxval=1.0 - 1e-6, dtype=dtype)
    return -ops.log(-ops.log(uniform))


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


def gather_slices(x, indices):
    """Takes slices `indices` of each sample: the cheap inference path (only k slices are read).

    Args:
        x: (B, T, H, W, C).
        indices: int (B, k).

    Returns:
        (B, k, H, W, C).
    """
    # One gather of whole slices from x viewed as (B * T, H, W, C): cheaper than
    # take_along_axis, which gathers element by element (also in the exported ONNX graph).
    # ops.shape: static sizes where known, run-time ones where not (e.g. H and W of None)
    num_slices, k, frame_shape = x.shape[1], indices.shape[1], ops.shape(x)[2:]
    offsets = ops.arange(ops.shape(x)[0], dtype="int32")[:, None] * num_slices
    flat = ops.reshape(ops.cast(indices, "int32") + offsets, (-1,))
    slices = ops.take(ops.reshape(x, (-1, *frame_shape)), flat, axis=0)
    return ops.reshape(slices, (-1, k, *frame_shape))


def check_context(context):
    """Raises a ValueError naming `context` unless it is an int >= 0 (bools rejected)."""
    if isinstance(context, bool) or not isinstance(context, int) or context < 0:
        raise ValueError(
            f"`context` must be an int >= 0 (neighbours on each side of a chosen slice); "
            f"received context={context!r}."
        )


def context_indices(indices, num_slices, context):
    """The slices a chosen slice carries with `context`: itself and its c neighbours on each side.

    Neighbours beyond the first or last slice repeat the edge slice.

    Args:
        indices: int (B, k), chosen slices.
        num_slices: T.
        context: int >= 0, c.

    Returns:
        int32 (B, k, 2c + 1): indices[b, j] + (-c, ..., c), clipped to [0, T - 1].

    Example:
        >>> context_indices(ops.array([[0, 5]]), 6, 1).tolist()
        [[[0, 0, 1], [4, 5, 5]]]
    """
    offsets = ops.arange(-context, context + 1, dtype="int32")
    return ops.clip(ops.cast(indices, "int32")[..., None] + offsets, 0, num_slices - 1)


def stack_context(x, context):
    """Each slice of x with its c neighbours on each side as extra channels (2.5D input).

    Args:
        x: (B, T, H, W, C).
        context: int >= 0, c.

    Returns:
        (B, T, H, W, (2c + 1) * C); channel block o (o = 0..2c) holds slice t + o - c (edge
        slices repeated), so block c is x itself.

    Shapes:
        (B, T, H, W, C) -> (B, T, H, W, (2c + 1) C).

    Example:
        >>> stack_context(ops.zeros((2, 6, 8, 8, 1)), 1).shape
        (2, 6, 8, 8, 3)
    """
    if context == 0:
        return x
    num_slices = x.shape[1]
    positions = context_indices(ops.arange(num_slices, dtype="int32")[None], num_slices, context)
    shifted = [ops.take(x, positions[0, :, o], axis=1) for o in range(2 * context + 1)]
    return ops.concatenate(shifted, axis=-1)


def gather_slices_with_context(x, indices, context):
    """`gather_slices` where each chosen slice carries its c neighbours as channels.

    Only the k (2c + 1) slices used are read: the inference path with `context`.

    Args:
        x: (B, T, H, W, C).
        indices: int (B, k).
        context: int >= 0, c.

    Returns:
        (B, k, H, W, (2c + 1) C), equal to `gather_slices(stack_context(x, c), indices)`.

    Shapes:
        x (B, T, H, W, C), indices (B, k) -> (B, k, H, W, (2c + 1) C).

    Example:
        >>> x = ops.zeros((2, 6, 8, 8, 1))
        >>> gather_slices_with_context(x, ops.array([[1, 4], [0, 5]]), 1).shape
        (2, 2, 8, 8, 3)
    """
    if context == 0:
        return gather_slices(x, indices)
    k, width = indices.shape[1], 2 * context + 1
    neighbours = context_indices(indices, x.shape[1], context)  # (B, k, 2c + 1)
    slices = gather_slices(x, ops.reshape(neighbours, (-1, k * width)))  # (B, k (2c+1), H, W, C)
    slices = ops.reshape(slices, (-1, k, width, *ops.shape(slices)[2:]))
    slices = ops.transpose(slices, (0, 1, 3, 4, 2, 5))  # (B, k, H, W, 2c + 1, C)
    height, frame_width, channels = ops.shape(slices)[2], ops.shape(slices)[3], ops.shape(x)[-1]
    return ops.reshape(slices, (-1, k, height, frame_width, width * channels))


def apply_selection(x, selection_matrix):
    """Selected slices as P @ x, the differentiable training path.

    Args:
        x: (B, T, H, W, C), float.
        selection_matrix: (B, k, T).

    Returns:
        (B, k, H, W, C).
    """
    return ops.einsum("bkt,bthwc->bkhwc", ops.cast(selection_matrix, x.dtype), x)


def selection_matrix_from_indices(indices, num_slices, dtype="float32"):
    """One-hot sampling matrix P (B, k, T) for fixed indices (B, k)."""
    return ops.one_hot(ops.cast(indices, "int32"), num_slices, dtype=dtype)


def center_indices(num_slices, k):
    """The k central slice indices: a window of k adjacent slices in the middle of [0, T).

    Where T - k is odd, the window sits half a slice before the middle.

    Args:
        num_slices: T, the number of slices.
        k: int in [1, T], the number of slices to keep.

    Returns:
        A Python list of k ascending distinct ints.

    Example:
        >>> center_indices(28, 7)
        [10, 11, 12, 13, 14, 15, 16]
    """
    resolve_k(k, num_slices)
    start = (num_slices - k) // 2
    return list(range(start, start + k))


def uniform_indices(num_slices, k):
    """k evenly spaced slice indices: the centres of k equal bins over [0, T).

    Args:
        num_slices: T, the number of slices.
        k: int in [1, T], the number of slices to keep.

    Returns:
        A Python list of k ascending distinct ints.

    Example:
        >>> uniform_indices(28, 4)
        [3, 10, 17, 24]
    """
    resolve_k(k, num_slices)
    return [int((2 * i + 1) * num_slices // (2 * k)) for i in range(k)]
