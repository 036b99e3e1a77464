"""Training runs behind `das-keras train`: `train_run`, resumable in its run folder.

A run folder holds everything needed to resume, inspect and reuse a run:

    run_config.json      the arguments of the run (a resumed run must match them), written only
                         after the arguments, the data and the model were checked
    backup/              resume state (Keras BackupAndRestore): a stopped run resumes from here
    best.weights.h5      the weights of the epoch with the lowest validation loss so far, with
                         that loss stored in the file
    log.csv, tensorboard/  per-epoch logs, one log row per epoch across resumes
    run_state.json       whether fit ran to its end
    run.lock, run.lock.pid  the lock of the trainer working in the folder, and its PID
    model.keras          the final model, with the best-validation-loss weights

What is guaranteed (see `das_keras.runs.folder`): one trainer per folder (a second one is refused
with the holder's PID; the OS drops the lock when a process dies); every file is written whole or
not at all (temporary file, then rename); at each epoch's end the best weights are written
before the backup, and a resume reconciles log.csv with the backup (rows it does not hold are
dropped, its own epoch's row restored), so the log stays complete, without duplicates, and the
best weights are never replaced by a worse epoch; a failed write stops the run with a
`folder.RunFolderError` that names the file.
"""

import os

import keras
import tensorflow as tf

from das_keras import checks
from das_keras.data import catalog
from das_keras.models import build_classifier
from das_keras.runs import distillation, folder, recipe
from das_keras.runs.config import check_or_write_config
from das_keras.runs.loading import load_model
from das_keras.runs.placement import Placement

# Recipe options stored in run_config.json only when they differ from these, so that run
# folders written before the option existed still resume.
OPTIONAL_DEFAULTS = {"lr_schedule": "constant", "bn_momentum": 0.9, "precise_bn": False}


def train_run(
    output_dir,
    dataset="synthetic",
    sampler="das",
    k=0.5,
    backbone="small_cnn",
    aggregation="mean",
    epochs=30,
    batch_size=32,
    learning_rate=1e-3,
    seed=0,
    patience=10,
    data_dir=None,
    size=28,
    augment=False,
    class_weighting=True,
    verbose=1,
    num_frames=32,
    frame_size=64,
    strategy=None,
    sampler_options=None,
    lr_schedule="constant",
    bn_momentum=0.9,
    precise_bn=False,
    model_options=None,
    ema=False,
    distill=None,
):
    """Trains a classifier, resuming an interrupted run in `output_dir` where it stopped.

    Early stopping watches the validation loss; the weights of the epoch with the lowest
    validation loss are kept (also across a resume). Only the validation split is used to choose.
    A folder whose training already ran to its end is not trained again: its best weights are
    loaded (and model.keras written, if the process stopped before that).

    With a `strategy`, the model is built and compiled in `strategy.scope()`, `batch_size` is the
    global batch (split over the replicas), the data are sharded with `das_keras.distribute.
    shard_by_data`, and on a multi-worker cluster only the chief writes the run folder (see
    `das_keras.runs.Placement`).

    Args:
        output_dir: run folder (see the module docstring).
        dataset: see `das_keras.data.catalog.load_splits`.
        sampler, k, backbone, aggregation: see `das_keras.models.build_classifier`; `sampler`
            is any name of `das_keras.layers.SAMPLERS`, `k` is checked where the sampler
            resolves it against the data's T.
        epochs: maximum number of epochs.
        batch_size: batch size.
        learning_rate: Adam learning rate (the starting one with `lr_schedule="cosine"`).
        seed: seed of weights, sampler noise, shuffling and augmentation.
        patience: epochs without a lower validation loss before stopping.
        data_dir, size, augment, num_frames, frame_size: see `load_splits`.
        class_weighting: weight the loss by balanced class weights where the data set has them.
        verbose: Keras verbosity (1 progress bar, 2 one line per epoch, 0 silent).
        strategy: None (one device), a name for `das_keras.distribute.get_strategy` ("default",
            "mirrored", "multi_worker", "tpu"), a `tf.distribute.Strategy` or a
            `das_keras.runs.Placement`. A name is turned into a strategy first thing, before
            TensorFlow starts (multi-worker needs that).
        sampler_options: dict of extra sampler arguments (e.g. {"heads": 8, "tau0": 0.5} for
            DAS), passed to `build_classifier` as `sampler_kwargs`.
        lr_schedule: "constant", or "cosine": the learning rate falls from `learning_rate` to
            0 over `epochs` along a half cosine, set at the start of each epoch (it resumes with
            the run). The late, small steps make the last epochs' validation loss steadier, so
            the epoch chosen on it depends less on noise.
        bn_momentum: BatchNorm momentum of the backbone. With few steps per epoch (POCUS: 3)
            the moving statistics of 0.9 still carry their initial values for many epochs and
            the model predicts one class at inference; 0.5 settles within a few steps, and a
            batch of B*T slices gives steady batch statistics.
        precise_bn: recompute the BatchNorm statistics from 20 training batches with the
            current weights before every validation and at the end
            (`das_keras.batch_norm.PreciseBatchNorm`): the validation loss that chooses the
            epoch, and the saved weights, then use statistics that match the weights and the
            sampler's inference-time choice. Not with a `strategy`.
        model_options: dict of extra `build_classifier` arguments, e.g. {"slice_axes": [1, 2,
            3]} (multi-axis selection) or {"context": 1} (2.5D slices).
        ema: keep an exponential moving average of the weights (Adam's `use_ema`, momentum
            0.99); validation, the checkpoints and the saved model then use the averaged
            weights (`keras.callbacks.SwapEMAWeights`).
        distill: None, or a dict {"teacher": a model file, run folder or preset (see
            `load_model`), "alpha": weight of the teacher term (default 0.5), "temperature":
            (default 2.0)}: the model is trained on the labels and on the frozen teacher's
            softened outputs (`das_keras.runs.distillation.Distiller`); only the model (the
            student) is saved. The teacher must take the same inputs and classes.

    Returns:
        (model, history): the trained `keras.Model` (best weights) and a dict of per-epoch logs
        of the whole run, read back from log.csv.

    Raises:
        ValueError: an argument is out of range (epochs, batch_size, patience, learning_rate,
            k against the data's T, names), or `output_dir` holds a run with other settings;
            nothing is written then.
        das_keras.runs.folder.RunLockedError: another process trains in `output_dir`.
        das_keras.runs.folder.RunFolderError: a file of the run folder could not be written.

    Example:
        >>> model, history = train_run("runs/demo", "synthetic", epochs=2)  # doctest: +SKIP
    """
    placement = Placement.of(strategy)
    config = run_config(locals())
    _check_arguments(config, placement)
    write_dir, temporary = placement.task_dir(output_dir)
    if os.path.isdir(write_dir):  # refuse a busy or different run before loading any data
        folder.RunLock(write_dir).acquire().release()
        check_or_write_config(write_dir, config, write=False)
    keras.utils.set_random_seed(seed)
    splits = catalog.load_splits(
        dataset, batch_size, seed, data_dir, size, augment, num_frames, frame_size
    )
    splits.train, splits.val = placement.shard(splits.train), placement.shard(splits.val)
    model, trained = _build_model(config, splits, placement)
    paths = _paths(output_dir, write_dir, placement)
    callbacks = _callbacks(config, splits.train, paths)
    # Arguments, data and model are checked above and nothing is written before here, so a
    # failed start leaves the folder as it was. The lock refuses a second trainer at once.
    lock = folder.RunLock(write_dir).acquire()
    try:
        check_or_write_config(write_dir, config)
        _fit_unless_finished(trained, splits, config, callbacks, paths, output_dir, verbose)
        trained.load_weights(paths["best"])  # the student's weights are the model's
        folder.atomic_write(os.path.join(write_dir, "model.keras"), model.save)
        return model, folder.read_log(paths["log"])
    finally:
        lock.release()
        placement.release(write_dir, temporary)


def run_config(arguments):
    """The run_config.json of `train_run`'s arguments: what a resumed run must match.

    Args:
        arguments: `train_run`'s arguments by name.

    Returns:
        dict: the required settings, plus the optional ones that differ from their defaults
        (sampler and model options, EMA, schedule, BatchNorm momentum, precise BatchNorm).
    """
    keys = (
        *("dataset", "sampler", "k", "backbone", "aggregation", "epochs", "batch_size"),
        *("learning_rate", "seed", "patience", "size", "augment", "class_weighting"),
        *("num_frames", "frame_size"),
    )
    config = {key: arguments[key] for key in keys}
    for key in ("sampler_options", "model_options"):
        if arguments[key]:
            config[key] = dict(arguments[key])
    if arguments["ema"]:
        config["ema"] = True
    if arguments["distill"]:
        config["distill"] = distillation.settings(arguments["distill"])
    for key, default in OPTIONAL_DEFAULTS.items():
        if arguments[key] != default:
            config[key] = arguments[key]
    return config


def weighted_validation(val, class_weight):
    """Adds class-weight sample weights to a (x, y) validation set, so that val_loss is
    the same class-balanced loss that training minimises.

    Without it, on an imbalanced set (VesselMNIST3D's validation split has 22 positives in 191)
    the lowest unweighted validation loss goes to the epochs that call nearly everything
    negative, and model selection on it picks a useless classifier (measured: balanced accuracy
    0.5 on the test split).

    Args:
        val: batched `tf.data.Dataset` of (x, y).
        class_weight: {class: weight} or None (then `val` is returned unchanged).

    Returns:
        `tf.data.Dataset` of (x, y, sample_weight).
    """
    if not class_weight:
        return val
    table = tf.constant([class_weight.get(c, 1.0) for c in range(max(class_weight) + 1)])
    return val.map(lambda x, y: (x, y, tf.gather(table, tf.cast(y, "int32"))))


def _check_arguments(config, placement):
    """Refuses numbers that would train nothing or nonsense, before anything is written."""
    checks.check_positive_int(config["epochs"], "epochs")
    checks.check_positive_int(config["batch_size"], "batch_size")
    checks.check_positive_int(config["patience"], "patience", minimum=0)
    checks.check_positive_number(config["learning_rate"], "learning_rate")
    checks.check_choice(config.get("lr_schedule", "constant"), "lr_schedule", recipe.LR_SCHEDULES)
    if config["k"] is not None:  # its type and lower bound now; against T once the data is read
        checks.resolve_k(config["k"], None)
    placement.check_batch_size(config["batch_size"])
    if config.get("precise_bn") and placement.distributed:
        raise ValueError(
            "`precise_bn=True` is not supported with a distribution `strategy` (its "
            f"recalibration runs eagerly on one device); received strategy={placement!r}. "
            "Train without a strategy or without precise_bn."
        )


def _build_model(config, splits, placement):
    with placement.scope():
        model = build_classifier(
            splits.input_shape,
            splits.num_classes,
            sampler=config["sampler"],
            k=config["k"],
            backbone=config["backbone"],
            aggregation=config["aggregation"],
            bn_momentum=config.get("bn_momentum", OPTIONAL_DEFAULTS["bn_momentum"]),
            sampler_kwargs=recipe.sampler_kwargs(
                config["sampler"], config["seed"], config.get("sampler_options")
            ),
            **config.get("model_options", {}),
        )
        trained = model
        if config.get("distill"):  # the student trains inside a wrapper with the teacher
            teacher = load_model(config["distill"]["teacher"], option="`distill['teacher']`")
            trained = distillation.Distiller(
                model,
                teacher,
                config["distill"]["alpha"],
                config["distill"]["temperature"],
            )
        recipe.compile_model(trained, config["learning_rate"], ema=config.get("ema", False))
    return model, placement.prepare(trained)


def _paths(output_dir, write_dir, placement):
    return {
        "log": os.path.join(write_dir, "log.csv"),
        "best": os.path.join(write_dir, "best.weights.h5"),
        "state": os.path.join(write_dir, folder.STATE_NAME),
        "tensorboard": os.path.join(write_dir, "tensorboard"),
        "backup": placement.backup_dir(output_dir),
        "write_dir": write_dir,
    }


def _callbacks(config, train, paths):
    return [
        *recipe.recipe_callbacks(
            train,
            config["epochs"],
            config.get("lr_schedule", "constant"),
            learning_rate=config["learning_rate"],
            precise_bn=config.get("precise_bn", False),
            ema=config.get("ema", False),
        ),
        keras.callbacks.EarlyStopping("val_loss", patience=config["patience"]),
        # at each epoch's end in this order: best weights, the resume backup (it carries the
        # epoch's log row), then the log, so that a resume can reconcile them (see runs.folder)
        folder.BestWeights(paths["best"], "val_loss"),
        folder.Backup(paths["backup"], paths["state"]),
        folder.CSVLog(paths["log"]),
        keras.callbacks.TensorBoard(paths["tensorboard"]),
    ]


def _fit_unless_finished(model, splits, config, callbacks, paths, output_dir, verbose):
    if folder.fit_finished(paths["write_dir"], paths["log"], paths["best"], paths["backup"]):
        # fit ran to its end before (BackupAndRestore deletes its backup then), and the process
        # may have stopped before model.keras was written. Fitting again would start at epoch 0
        # and log every epoch twice: finish from the best weights instead.
        if verbose:
            print(
                f"{output_dir}: training finished earlier; using its best weights "
                "(delete the folder to train again)."
            )
        return
    folder.reconcile(paths["log"], paths["best"], paths["backup"])
    class_weight = splits.class_weight if config["class_weighting"] else None
    model.fit(
        splits.train,
        validation_data=weighted_validation(splits.val, class_weight),
        epochs=config["epochs"],
        callbacks=callbacks,
        class_weight=class_weight,
        verbose=verbose,
    )
