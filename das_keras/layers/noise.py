"""Random numbers for the samplers, aware of tf.distribute replicas and of what is traced.

On the TensorFlow backend only: under a multi-replica strategy every replica would otherwise
draw the same numbers (`replica_uniform`), and layers choose ops by the kind of trace
(`tf_trace`). On JAX and PyTorch these are plain `keras.random` draws.
"""

import keras
from keras import ops


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
