"""Multi-device and multi-worker training with `tf.distribute` (TensorFlow backend).

`das-keras train --strategy NAME` and `das_keras.training.train_run(..., strategy=NAME)` use these
helpers:

- `get_strategy(name)`: "default" (one device), "mirrored" (all local GPUs, or given devices),
  "multi_worker" (several machines, configured by the TF_CONFIG environment variable), "tpu".
- The batch size given to `train_run` is the global batch: Keras distributes each batch of the
  `tf.data` pipeline over the replicas (global batch / replicas per replica), and scales the loss
  so the gradient equals that of one device on the whole batch.
- `shard_by_data(dataset)`: the data sets of das-keras are built from in-memory arrays
  (`from_tensor_slices`), so tf.data cannot shard them by file; the DATA policy makes every worker
  read the same (identically shuffled: the shuffle is seeded) sequence and keep its own part.
- Only the chief writes the run folder (best weights, log.csv, TensorBoard, model.keras): Keras 3
  callbacks do not know about workers and would all write the same files, so the other workers
  write those to a temporary folder (`task_dir`) that is removed at the end. Each worker keeps its
  own `BackupAndRestore` folder (`backup_dir`) so that an interrupted multi-worker run resumes on
  every worker from the same epoch.
- The sampler layers draw different Gumbel noise on each replica: see
  `das_keras.layers.functional.replica_uniform`.
- Keras 3.15's `fit` fails under MultiWorkerMirroredStrategy; `prepare_model` works around it.
"""

import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from das_keras.defaults import STRATEGY_NAMES

# the names live in das_keras.defaults, which the command line reads without TensorFlow
STRATEGIES = STRATEGY_NAMES


def get_strategy(name="default", devices=None, tpu=None):
    """Creates a `tf.distribute.Strategy` by name.

    Create it at the start of the program, before TensorFlow runs anything else: the multi-worker
    and TPU strategies configure TensorFlow's runtime and fail once it has started.

    Args:
        name: "default" (the default strategy: one device), "mirrored" (`MirroredStrategy` over
            `devices`, default all local GPUs, or the CPU where there are none),
            "multi_worker" (`MultiWorkerMirroredStrategy`; each process reads its cluster and its
            own task from the TF_CONFIG environment variable, see the README) or "tpu"
            (`TPUStrategy` through a `TPUClusterResolver`).
        devices: list of device names for "mirrored", e.g. ["/gpu:0", "/gpu:1"]; None for all.
        tpu: TPU name or grpc:// address for "tpu"; default the TPU_NAME environment variable, or
            "local" on a TPU VM.

    Returns:
        A `tf.distribute.Strategy`; `strategy.num_replicas_in_sync` is the number of replicas.

    Raises:
        ValueError: unknown name, a backend other than TensorFlow, TF_CONFIG missing or malformed
            for "multi_worker", `devices` or `tpu` with another strategy.
        RuntimeError: "tpu" when no TPU can be found or initialised.

    Example:
        >>> strategy = get_strategy("mirrored")  # doctest: +SKIP
        >>> with strategy.scope():  # doctest: +SKIP
        ...     model = build_classifier((28, 28, 28, 1), 2, backbone="small_cnn")
    """
    if name not in STRATEGIES:
        raise ValueError(f"`name` must be one of {STRATEGIES}; received name={name!r}.")
    if devices is not None and name != "mirrored":
        raise ValueError(
            f"`devices` is only used by the 'mirrored' strategy; received devices={devices!r} "
            f"with name={name!r}."
        )
    if tpu is not None and name != "tpu":
        raise ValueError(
            f"`tpu` is only used by the 'tpu' strategy; received tpu={tpu!r} with name={name!r}."
        )
    if name != "default" and keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"`name`={name!r} needs the TensorFlow backend (tf.distribute); the Keras backend is "
            f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow, or use name='default'."
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is not None and (isinstance(devices, str) or not list(devices)):
            raise ValueError(
                f"`devices` must be a non-empty list of device names such as ['/gpu:0', "
                f"'/gpu:1'], or None for all local GPUs; received devices={devices!r}."
            )
        return tf.distribute.MirroredStrategy(None if devices is None else list(devices))
    if name == "multi_worker":
        tf_config_task()  # validates TF_CONFIG with a clear message
        return tf.distribute.MultiWorkerMirroredStrategy()
    return _tpu_strategy(tpu)


def tf_config_task(environ=None):
    """Reads and checks this process's task from the TF_CONFIG environment variable.

    Args:
        environ: mapping to read TF_CONFIG from; default `os.environ`.

    Returns:
        (task_type, task_id, cluster): e.g. ("worker", 1, {"worker": ["host1:12345",
        "host2:12345"]}).

    Raises:
        ValueError: TF_CONFIG is missing, not JSON, or its "cluster" / "task" entries are wrong.

    Example:
        >>> tf_config_task({"TF_CONFIG": '{"cluster": {"worker": ["a:1", "b:2"]}, '
        ...                 '"task": {"type": "worker", "index": 1}}'})
        ('worker', 1, {'worker': ['a:1', 'b:2']})
    """
    environ = os.environ if environ is None else environ
    raw = environ.get("TF_CONFIG")
    example = (
        'e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}\' on the first machine, index 1 on the second'
    )
    if not raw:
        raise ValueError(
            "The 'multi_worker' strategy is configured by the TF_CONFIG environment variable, "
            f"which is not set; {example}."
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"TF_CONFIG must be JSON; received {raw!r} ({error}); {example}."
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not isinstance(task, dict):
        raise ValueError(
            f"TF_CONFIG must have a 'cluster' dict and a 'task' dict; received {raw!r}; {example}."
        )
    task_type, task_id = task.get("type"), task.get("index")
    if task_type not in cluster or not isinstance(task_id, int):
        raise ValueError(
            f"TF_CONFIG 'task' must name a job of the cluster ({sorted(cluster)}) and an int "
            f"index; received task={task!r}."
        )
    if not 0 <= task_id < len(cluster[task_type]):
        raise ValueError(
            f"TF_CONFIG task index {task_id} is out of range: the cluster has "
            f"{len(cluster[task_type])} {task_type!r} tasks."
        )
    return task_type, task_id, cluster


def task_info(strategy=None):
    """This process's (task_type, task_id) in a multi-worker strategy.

    Args:
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        (task_type, task_id); (None, None) for a single-process strategy.

    Example:
        >>> task_info()  # doctest: +SKIP
        (None, None)
    """
    strategy = _current(strategy)
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not _is_multi_worker(strategy):
        return None, None
    return resolver.task_type, resolver.task_id


def is_chief(strategy=None):
    """Whether this process is the chief, the one that writes logs and checkpoints.

    The chief is the "chief" task where the cluster has one, else worker 0; every single-process
    strategy (default, mirrored, TPU) is its own chief.

    Args:
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        bool.

    Example:
        >>> is_chief()  # doctest: +SKIP
        True
    """
    strategy = _current(strategy)
    task_type, task_id = task_info(strategy)
    if task_type is None:
        return True
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    if "chief" in cluster:
        return task_type == "chief"
    return task_type == "worker" and task_id == 0


def task_dir(output_dir, strategy=None):
    """The folder this process writes its logs and checkpoints to.

    Args:
        output_dir: the run folder.
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        (folder, is_temporary): (`output_dir`, False) on the chief; on other workers a new
        temporary folder and True (the caller removes it with `shutil.rmtree` when done).

    Example:
        >>> folder, temporary = task_dir("runs/a")  # doctest: +SKIP
    """
    if not output_dir:
        raise ValueError(f"`output_dir` must be a folder path; received {output_dir!r}.")
    if is_chief(strategy):
        return output_dir, False
    task_type, task_id = task_info(strategy)
    return tempfile.mkdtemp(prefix=f"das_keras_{task_type}_{task_id}_"), True


def backup_dir(output_dir, strategy=None):
    """The `BackupAndRestore` folder of this process.

    `output_dir/backup` on the chief; `output_dir/backup_<task type>_<task id>` on other workers,
    so that no two processes write the same file and each restores its own state on resume. All
    workers save at the end of every epoch; a worker stopped between the chief's save and its own
    (a window of milliseconds) would resume one epoch behind the chief: then delete the backups
    and start the run again.

    Args:
        output_dir: the run folder.
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        str, a folder path.

    Example:
        >>> backup_dir("runs/a")  # doctest: +SKIP
        'runs/a/backup'
    """
    if not output_dir:
        raise ValueError(f"`output_dir` must be a folder path; received {output_dir!r}.")
    if is_chief(strategy):
        return os.path.join(output_dir, "backup")
    task_type, task_id = task_info(strategy)
    return os.path.join(output_dir, f"backup_{task_type}_{task_id}")


def remove_temporary(folder, is_temporary):
    """Removes a folder from `task_dir` if it is temporary.

    Args:
        folder: the folder.
        is_temporary: the second value `task_dir` returned.

    Returns:
        None.

    Example:
        >>> remove_temporary("runs/a", False)  # keeps it
    """
    if is_temporary:
        shutil.rmtree(folder, ignore_errors=True)


def shard_by_data(dataset):
    """Sets the tf.data auto-shard policy DATA on a data set.

    The das-keras pipelines are built from in-memory arrays, which tf.data cannot shard by file
    (its AUTO policy would fall back to DATA with a warning). Under DATA every worker builds the
    same pipeline, with the same seeded shuffle, and keeps its own share of the elements of each
    global batch. The policy only matters for multi-worker strategies.

    Args:
        dataset: a `tf.data.Dataset`.

    Returns:
        The data set with the option set.

    Example:
        >>> ds = shard_by_data(tf.data.Dataset.range(8).batch(4))  # doctest: +SKIP
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"`dataset` must be a tf.data.Dataset; received {type(dataset).__name__}.")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def check_global_batch_size(batch_size, strategy=None):
    """Checks that the global batch gives every replica at least one sample.

    Args:
        batch_size: the global batch size (`--batch-size`).
        strategy: a `tf.distribute.Strategy`, or None for the current one.

    Returns:
        int, the per-replica batch size (global // replicas; replicas may differ by one sample
        when the global batch does not divide evenly).

    Example:
        >>> check_global_batch_size(32)  # doctest: +SKIP
        32
    """
    replicas = _current(strategy).num_replicas_in_sync
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < replicas:
        raise ValueError(
            f"`batch_size` is the global batch, split over {replicas} replicas, so it must be an "
            f"int >= {replicas}; received batch_size={batch_size!r}."
        )
    return batch_size // replicas


def prepare_model(model, strategy=None):
    """Makes `model.fit` / `evaluate` work under `MultiWorkerMirroredStrategy` (Keras 3).

    Keras 3.15's TensorFlow trainer fails twice under MultiWorkerMirroredStrategy
    (keras-team/keras issue #20585), and this works around both on the model instance:

    1. It builds the metrics and optimizer from a first batch that it averages over the replicas
       with `strategy.reduce("MEAN", (x, y))`, which fails for a nested batch ("Attempt to
       convert a value (PerReplica ...) with an unsupported type to a Tensor"). Only the batch's
       shapes and dtypes are used there, so `_maybe_symbolic_build` is replaced by one that takes
       this worker's first replica's batch instead.
    2. It averages each step's logs over the replicas with `strategy.reduce("MEAN", v, axis=0)`,
       which fails for the scalar loss and metrics ("Invalid reduction dimension 0 for input with
       0 dimensions"). `train_step` and `test_step` are wrapped to return each scalar as shape
       (1,), so the reduce gives the mean over the replicas, as Keras does for MirroredStrategy.

    Other strategies are left as they are.

    Args:
        model: a compiled `keras.Model` built in `strategy.scope()`.
        strategy: the `tf.distribute.Strategy`, or None for the current one.

    Returns:
        The same model.

    Example:
        >>> with strategy.scope():  # doctest: +SKIP
        ...     model = build_classifier((28, 28, 28, 1), 2, backbone="small_cnn")
        ...     model.compile("adam", "sparse_categorical_crossentropy")
        >>> prepare_model(model, strategy).fit(dataset)  # doctest: +SKIP
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model; received {type(model).__name__}.")
    strategy = _current(strategy)
    if not _is_multi_worker(strategy):
        return model

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def vector_logs(step):
        def wrapped(data):
            logs = step(data)
            return keras.tree.map_structure(
                lambda v: tf.reshape(v, [1]) if v.shape.rank == 0 else v, logs
            )

        return wrapped

    model._maybe_symbolic_build = maybe_symbolic_build
    model.train_step = vector_logs(model.train_step)
    model.test_step = vector_logs(model.test_step)
    return model


def _current(strategy):
    if strategy is not None:
        return strategy
    return tf.distribute.get_strategy()


def _is_multi_worker(strategy):
    extended = getattr(strategy, "extended", None)
    in_multi_worker_mode = getattr(extended, "_in_multi_worker_mode", None)
    return bool(in_multi_worker_mode and in_multi_worker_mode())


def _tpu_address(tpu):
    """The TPU to connect to, found without touching the network (None when there is none)."""
    if tpu:
        return tpu
    if os.environ.get("TPU_NAME"):
        return os.environ["TPU_NAME"]
    if os.environ.get("COLAB_TPU_ADDR"):
        return "grpc://" + os.environ["COLAB_TPU_ADDR"]
    if any(os.path.exists(p) for p in ("/dev/accel0", "/dev/vfio/0")):
        return "local"  # a TPU VM: the chips are attached to this machine
    return None


NO_TPU = (
    "No TPU found: `tpu` was not given, TPU_NAME and COLAB_TPU_ADDR are not set and this machine "
    "has no TPU devices (/dev/accel0). Pass the TPU's name or grpc:// address (`--tpu`), run on a "
    "TPU VM, or choose another strategy ('mirrored' for GPUs)."
)


def _tpu_strategy(tpu):
    address = _tpu_address(tpu)
    if address is None:
        raise RuntimeError(NO_TPU)
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        if address != "local":
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except Exception as error:  # many error types (resolver, connection, init): one message
        raise RuntimeError(
            f"Could not connect to or initialise the TPU {address!r}: {error}. Check the TPU's "
            "name or address and that this TensorFlow build supports TPUs (tensorflow on a TPU "
            "VM, with libtpu)."
        ) from error
    return tf.distribute.TPUStrategy(resolver)
