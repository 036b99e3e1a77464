"""Training and evaluation runs behind `das-keras train` and `das-keras evaluate`.

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

What is guaranteed (see `das_keras.run_folder`): one trainer per folder (a second one is refused
with the holder's PID; the OS drops the lock when a process dies); every file is written whole or
not at all (temporary file, then rename); at each epoch's end the best weights are written
before the backup, and a resume reconciles log.csv with the backup (rows it does not hold are
dropped, its own epoch's row restored), so the log stays complete, without duplicates, and the
best weights are never replaced by a worse epoch; a failed write stops the run with a
`run_folder.RunFolderError` that names the file.
"""

import contextlib
import csv
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

MEDMNIST3D_SETS = ("organ", "nodule", "adrenal", "fracture", "vessel", "synapse")
LR_SCHEDULES = ("constant", "cosine")
DATASETS = ("synthetic", *MEDMNIST3D_SETS, "pocus", "busv")


@dataclass
class DataSplits:
    """The three splits of a data set as batched `tf.data.Dataset`s, and what a model needs."""

    train: object
    val: object
    test: object
    input_shape: tuple
    num_classes: int
    class_names: list = field(default_factory=list)
    class_weight: dict | None = None


def load_splits(
    dataset,
    batch_size=32,
    seed=0,
    data_dir=None,
    size=28,
    augment=False,
    num_frames=32,
    frame_size=64,
):
    """Loads train / val / test of a data set by name.

    Args:
        dataset: "synthetic"; a MedMNIST3D set ("vessel", "adrenal", ..., also written
            "medmnist3d:vessel"); "pocus" (lung-ultrasound clips, patient-grouped splits) or
            "busv" (breast-ultrasound videos; its "test" is the published val split).
        batch_size: batch size of all three splits.
        seed: seed for shuffling and augmentation (data splits themselves are fixed).
        data_dir: MedMNIST3D folder, or the POCUS / BUSV root; default `$DAS_KERAS_DATA` or
            ~/.das_keras/datasets.
        size: MedMNIST3D size, 28 or 64.
        augment: augment the training split: random flips / 90-degree turns (MedMNIST3D);
            left-right flips, brightness and contrast (pocus, busv clips).
        num_frames: T for clips (POCUS, BUSV).
        frame_size: height and width of clip frames (POCUS, BUSV).

    Returns:
        `DataSplits`.

    Example:
        >>> splits = load_splits("synthetic", batch_size=8)  # doctest: +SKIP
    """
    from das_keras import data
    from das_keras.data.synthetic import CLASS_NAMES as SYNTHETIC_CLASSES

    name = dataset.split(":", 1)[1] if dataset.startswith("medmnist3d:") else dataset
    if name == "synthetic":
        return DataSplits(
            *(
                data.synthetic(s, batch_size=batch_size, seed=seed)
                for s in ("train", "val", "test")
            ),
            input_shape=(32, 32, 32, 1),
            num_classes=2,
            class_names=list(SYNTHETIC_CLASSES),
        )
    if name in MEDMNIST3D_SETS or name.endswith("mnist3d"):
        return _medmnist3d_splits(name, batch_size, seed, data_dir, size, augment)
    if name in ("pocus", "busv"):
        return _clip_splits(name, batch_size, seed, data_dir, num_frames, frame_size, augment)
    raise ValueError(f"`dataset` must be one of {DATASETS}; received {dataset!r}.")


def _medmnist3d_splits(name, batch_size, seed, data_dir, size, augment):
    from das_keras import data

    info = data.medmnist3d_info(name, size)

    def split(s):
        return data.medmnist3d(
            name,
            s,
            size=size,
            data_dir=data_dir,
            batch_size=batch_size,
            seed=seed,
            augment=augment and s == "train",
        )

    return DataSplits(
        split("train"),
        split("val"),
        split("test"),
        input_shape=(size, size, size, 1),
        num_classes=info["num_classes"],
        class_names=list(info["label_names"]),
        class_weight=data.class_weights(name, size, data_dir),
    )


def _clip_splits(name, batch_size, seed, data_dir, num_frames, frame_size, augment=False):
    from sklearn.utils.class_weight import compute_class_weight

    from das_keras import data

    options = {"num_frames": num_frames, "size": (frame_size, frame_size), "batch_size": batch_size}
    if name == "pocus":
        # seed=0 for every run: it fixes the patient-grouped split, and with it the shuffling and
        # augmentation streams; the run's seed still varies the weights and the sampler noise
        splits = [
            data.pocus(data_dir, s, seed=0, augment=augment and s == "train", **options)
            for s in ("train", "val", "test")
        ]
        class_names = list(data.POCUS_CLASSES)
        labels = [c.label for c in data.pocus_clips(data_dir, "train", seed=0)]
    else:
        splits = [
            data.busv(data_dir, s, seed=seed, augment=augment and s == "train", **options)
            for s in ("train", "val", "test")
        ]
        class_names = list(data.BUSV_CLASSES)
        labels = [label for _, label in data.busv_videos(data_dir, "train")]
    classes = np.unique(labels)
    weights = compute_class_weight("balanced", classes=classes, y=np.asarray(labels))
    return DataSplits(
        *splits,
        input_shape=(num_frames, frame_size, frame_size, 1),
        num_classes=len(class_names),
        class_names=class_names,
        class_weight={int(c): float(w) for c, w in zip(classes, weights)},
    )


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
):
    """Trains a classifier, resuming an interrupted run in `output_dir` where it stopped.

    Early stopping watches the validation loss; the weights of the epoch with the lowest
    validation loss are kept (also across a resume). Only the validation split is used to choose.
    A folder whose training already ran to its end is not trained again: its best weights are
    loaded (and model.keras written, if the process stopped before that).

    With a `strategy`, the model is built and compiled in `strategy.scope()`, `batch_size` is the
    global batch (split over the replicas), the data are sharded with `das_keras.distribute.
    shard_by_data`, and on a multi-worker cluster only the chief writes the run folder (see
    `das_keras.distribute`).

    Args:
        output_dir: run folder (see the module docstring).
        dataset: see `load_splits`.
        sampler, k, backbone, aggregation: see `das_keras.models.build_classifier`.
        epochs: maximum number of epochs.
        batch_size: batch size.
        learning_rate: Adam learning rate (the starting one with `lr_schedule="cosine"`).
        seed: seed of weights, sampler noise, shuffling and augmentation.
        patience: epochs without a lower validation loss before stopping.
        data_dir, size, augment, num_frames, frame_size: see `load_splits`.
        class_weighting: weight the loss by balanced class weights where the data set has them.
        verbose: Keras verbosity (1 progress bar, 2 one line per epoch, 0 silent).
        strategy: None (one device), a name for `das_keras.distribute.get_strategy` ("default",
            "mirrored", "multi_worker", "tpu"), or a `tf.distribute.Strategy`. A name is turned
            into a strategy first thing, before TensorFlow starts (multi-worker needs that).
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

    Returns:
        (model, history): the trained `keras.Model` (best weights) and a dict of per-epoch logs
        of the whole run, read back from log.csv.

    Raises:
        ValueError: an argument is out of range (epochs, batch_size, patience, learning_rate,
            k against the data's T, names), or `output_dir` holds a run with other settings;
            nothing is written then.
        das_keras.run_folder.RunLockedError: another process trains in `output_dir`.
        das_keras.run_folder.RunFolderError: a file of the run folder could not be written.

    Example:
        >>> model, history = train_run("runs/demo", "synthetic", epochs=2)  # doctest: +SKIP
    """
    import keras

    from das_keras import distribute, run_folder
    from das_keras.batch_norm import PreciseBatchNorm
    from das_keras.models import build_classifier

    _check_arguments(epochs, batch_size, learning_rate, patience)
    if isinstance(strategy, str):
        strategy = distribute.get_strategy(strategy)
    if strategy is not None:
        distribute.check_global_batch_size(batch_size, strategy)
    config = {
        "dataset": dataset,
        "sampler": sampler,
        "k": k,
        "backbone": backbone,
        "aggregation": aggregation,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "patience": patience,
        "size": size,
        "augment": augment,
        "class_weighting": class_weighting,
        "num_frames": num_frames,
        "frame_size": frame_size,
    }
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(
            f"`lr_schedule` must be one of {LR_SCHEDULES}; received lr_schedule={lr_schedule!r}."
        )
    # only when given, so that older run folders still resume
    if sampler_options:
        config["sampler_options"] = dict(sampler_options)
    if model_options:
        config["model_options"] = dict(model_options)
    if ema:
        config["ema"] = True
    if lr_schedule != "constant":
        config["lr_schedule"] = lr_schedule
    if bn_momentum != 0.9:
        config["bn_momentum"] = bn_momentum
    if precise_bn:
        if strategy is not None:
            raise ValueError(
                "`precise_bn=True` is not supported with a distribution `strategy` (its "
                "recalibration runs eagerly on one device); received strategy="
                f"{type(strategy).__name__}. Train without a strategy or without precise_bn."
            )
        config["precise_bn"] = True
    # Only the chief writes the run folder; other workers write to a temporary folder.
    write_dir, temporary = (output_dir, False)
    if strategy is not None:
        write_dir, temporary = distribute.task_dir(output_dir, strategy)
    if os.path.isdir(write_dir):  # refuse a busy or different run before loading any data
        run_folder.RunLock(write_dir).acquire().release()
        _check_or_write_config(write_dir, config, write=False)
    keras.utils.set_random_seed(seed)
    splits = load_splits(dataset, batch_size, seed, data_dir, size, augment, num_frames, frame_size)
    if strategy is not None:
        splits.train = distribute.shard_by_data(splits.train)
        splits.val = distribute.shard_by_data(splits.val)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = build_classifier(
            splits.input_shape,
            splits.num_classes,
            sampler=sampler,
            k=k,
            backbone=backbone,
            aggregation=aggregation,
            bn_momentum=bn_momentum,
            sampler_kwargs=_sampler_kwargs(sampler, seed, sampler_options),
            **(model_options or {}),
        )
        model.compile(
            keras.optimizers.Adam(learning_rate, use_ema=ema, ema_momentum=0.99),
            "sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    if strategy is not None:
        distribute.prepare_model(model, strategy)  # a Keras 3 multi-worker fix, see there
    log_path = os.path.join(write_dir, "log.csv")
    best_path = os.path.join(write_dir, "best.weights.h5")
    backup = os.path.join(output_dir, "backup")
    if strategy is not None:
        backup = distribute.backup_dir(output_dir, strategy)
    callbacks = [
        # first: the averaged weights are in place for every later callback at an epoch's end
        *([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if ema else []),
        *([PreciseBatchNorm(splits.train, num_batches=20)] if precise_bn else []),
        keras.callbacks.EarlyStopping("val_loss", patience=patience),
        *_schedule_callbacks(lr_schedule, learning_rate, epochs),
        # at each epoch's end in this order: best weights, the resume backup (it carries the
        # epoch's log row), then the log, so that a resume can reconcile them (see run_folder)
        run_folder.BestWeights(best_path, "val_loss"),
        run_folder.Backup(backup, os.path.join(write_dir, run_folder.STATE_NAME)),
        run_folder.CSVLog(log_path),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "tensorboard")),
    ]
    # Arguments, data and model are checked above and nothing is written before here, so a
    # failed start leaves the folder as it was. The lock refuses a second trainer at once.
    lock = run_folder.RunLock(write_dir).acquire()
    try:
        _check_or_write_config(write_dir, config)
        if _fit_finished(write_dir, log_path, best_path, backup):
            # fit ran to its end before (BackupAndRestore deletes its backup then), and the
            # process may have stopped before model.keras was written. Fitting again would start
            # at epoch 0 and log every epoch twice: finish from the best weights instead.
            if verbose:
                print(
                    f"{output_dir}: training finished earlier; using its best weights "
                    "(delete the folder to train again)."
                )
        else:
            run_folder.reconcile(log_path, best_path, backup)
            model.fit(
                splits.train,
                validation_data=weighted_validation(splits.val, splits.class_weight)
                if class_weighting
                else splits.val,
                epochs=epochs,
                callbacks=callbacks,
                class_weight=splits.class_weight if class_weighting else None,
                verbose=verbose,
            )
        model.load_weights(best_path)
        run_folder.atomic_write(os.path.join(write_dir, "model.keras"), model.save)
        return model, read_log(log_path)
    finally:
        lock.release()
        if temporary:
            distribute.remove_temporary(write_dir, temporary)


def evaluate_run(
    model,
    dataset="synthetic",
    split="test",
    batch_size=32,
    data_dir=None,
    size=28,
    num_frames=32,
    frame_size=64,
):
    """Balanced accuracy and AUC of a model on one split of a data set.

    Args:
        model: a `keras.Model`, or the path of a `.keras` file or of a run folder.
        dataset, batch_size, data_dir, size, num_frames, frame_size: see `load_splits`.
        split: "test" (the default; the final number) or "val".

    Returns:
        dict of `das_keras.evaluation.classification_metrics`, plus "dataset" and "split".

    Example:
        >>> evaluate_run("runs/demo", "synthetic")["auc"]  # doctest: +SKIP
    """
    from das_keras.evaluation import classification_metrics

    labels, probabilities = predict_split(
        model, dataset, split, batch_size, data_dir, size, num_frames, frame_size
    )
    return {"dataset": dataset, "split": split, **classification_metrics(labels, probabilities)}


def predict_split(
    model,
    dataset="synthetic",
    split="test",
    batch_size=32,
    data_dir=None,
    size=28,
    num_frames=32,
    frame_size=64,
):
    """The true classes of one split of a data set and a model's class probabilities for them.

    Args:
        model: a `keras.Model`, or the path of a `.keras` file or of a run folder.
        dataset, batch_size, data_dir, size, num_frames, frame_size: see `load_splits`.
        split: "train", "val" or "test". Val and test come in the data set's order, the
            training split shuffled (each label stays with its example: one pass over the data).

    Returns:
        (labels, probabilities): int array (N,) and float array (N, num_classes).

    Shapes:
        labels (N,), probabilities (N, C), N the number of examples in the split.

    Example:
        >>> labels, probabilities = predict_split("runs/demo", "synthetic", "val")  # doctest: +SKIP
    """
    import keras

    import das_keras  # noqa: F401  (registers the layers for loading)

    if isinstance(model, str | os.PathLike):
        path = os.path.join(model, "model.keras") if os.path.isdir(model) else model
        if not os.path.exists(path):
            raise FileNotFoundError(f"`model`: no model file at {path}.")
        model = keras.models.load_model(path)
    if split not in ("val", "test", "train"):
        raise ValueError(f"`split` must be 'train', 'val' or 'test'; received {split!r}.")
    splits = load_splits(
        dataset, batch_size, 0, data_dir, size, num_frames=num_frames, frame_size=frame_size
    )
    labels, probabilities = [], []
    for x, y in getattr(splits, split):
        labels.append(np.asarray(y).reshape(-1))
        probabilities.append(np.asarray(model.predict_on_batch(x)))
    return np.concatenate(labels).astype(int), np.concatenate(probabilities)


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
    import tensorflow as tf

    if not class_weight:
        return val
    table = tf.constant([class_weight.get(c, 1.0) for c in range(max(class_weight) + 1)])
    return val.map(lambda x, y: (x, y, tf.gather(table, tf.cast(y, "int32"))))


def read_log(log_path):
    """Per-epoch logs from a run's log.csv as {column: [values]}."""
    with open(log_path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in (rows[0] if rows else {})}


def _fit_finished(write_dir, log_path, best_path, backup):
    """Whether an earlier fit in this run folder ran to its end (see `run_folder.fit_finished`)."""
    from das_keras import run_folder

    return run_folder.fit_finished(write_dir, log_path, best_path, backup)


def _check_arguments(epochs, batch_size, learning_rate, patience):
    """Refuses numbers that would train nothing or nonsense, before anything is written."""
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1)):
        if not _is_int(value) or value < low:
            raise ValueError(f"`{name}` must be an integer >= {low}; received {name}={value!r}.")
    if not _is_int(patience) or patience < 0:
        raise ValueError(f"`patience` must be an integer >= 0; received patience={patience!r}.")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float):
        raise ValueError(f"`learning_rate` must be a number; received {learning_rate!r}.")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(
            "`learning_rate` must be a finite number > 0; received "
            f"learning_rate={learning_rate!r}."
        )


def _is_int(value):
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _schedule_callbacks(lr_schedule, learning_rate, epochs):
    if lr_schedule == "constant":
        return []
    import keras

    def cosine(epoch):
        return 0.5 * learning_rate * (1.0 + math.cos(math.pi * epoch / epochs))

    return [keras.callbacks.LearningRateScheduler(cosine)]


def _sampler_kwargs(sampler, seed, options):
    """The seed for the samplers that draw noise, plus the caller's options."""
    kwargs = {} if sampler in ("full", "uniform", "center") else {"seed": seed}
    kwargs.update(options or {})
    return kwargs or None


def _check_or_write_config(output_dir, config, write=True):
    """Refuses a folder that holds a run with other settings; writes run_config.json (atomically)
    into a new one when `write`."""
    from das_keras import run_folder

    path = os.path.join(output_dir, "run_config.json")
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        if previous != config:
            changed = sorted(k for k in config if previous.get(k) != config[k])
            raise ValueError(
                f"`output_dir` {output_dir} holds a run with other settings ({changed}); resume "
                "it with the same arguments or choose a new output folder."
            )
        return
    if write:
        os.makedirs(output_dir, exist_ok=True)
        run_folder.write_text(path, json.dumps(config, indent=2))


DATASET_LICENSES = {
    "synthetic": "Apache-2.0 (generated data)",
    "pocus": (
        "Non-commercial research use only: trained on POCUS clips that are mostly CC BY-NC 4.0 / "
        "CC BY-NC-SA (see the data set's dataset_metadata.csv for each clip's license)."
    ),
    "busv": "Non-commercial research use only (BUSV data terms; see its repository).",
}
MEDMNIST3D_LICENSE = "CC BY 4.0 (MedMNIST v3)"


def save_run_as_preset(run_dir, directory, name=None, description=None, data_dir=None):
    """Evaluates a finished `train_run` folder and saves its model as a zoo preset.

    The test split is evaluated once here, for the published number; the validation metrics
    are stored beside it.

    Args:
        run_dir: folder of a finished `train_run` (holds run_config.json and model.keras).
        directory: preset folder to write.
        name: preset name; default the folder's name.
        description: one line for the zoo table.
        data_dir: data folder of the run's data set.

    Returns:
        The metadata written (see `das_keras.zoo.save`).

    Example:
        >>> save_run_as_preset("runs/vessel", "zoo/das_vessel", data_dir="data")  # doctest: +SKIP
    """
    import keras

    from das_keras import zoo

    with open(os.path.join(run_dir, "run_config.json")) as f:
        config = json.load(f)
    model = keras.models.load_model(os.path.join(run_dir, "model.keras"))
    dataset = config["dataset"]
    options = {
        "data_dir": data_dir,
        "size": config["size"],
        "num_frames": config["num_frames"],
        "frame_size": config["frame_size"],
    }
    results = {
        split: evaluate_run(model, dataset, split, config["batch_size"], **options)
        for split in ("val", "test")
    }
    splits = load_splits(dataset, config["batch_size"], 0, **options)
    name = name or os.path.basename(os.path.normpath(directory))
    sampler = config["sampler"]
    metadata = {
        "name": name,
        "description": description or f"{sampler.upper()} on {dataset}",
        "dataset": dataset,
        "input_shape": list(splits.input_shape),
        "num_classes": splits.num_classes,
        "class_names": splits.class_names,
        "sampler": sampler,
        "k": int(model.get_layer("sampler").num_selected),
        "recipe": {
            **config,
            "epochs_run": len(read_log(os.path.join(run_dir, "log.csv"))["loss"]),
            "selection": "lowest validation loss",
        },
        "split_sizes": {split: r["num_samples"] for split, r in results.items()},
        "val_metrics": _rounded(results["val"]),
        "test_metrics": _rounded(results["test"]),
        "license": DATASET_LICENSES.get(dataset, MEDMNIST3D_LICENSE),
        "evaluate": f"das-keras zoo evaluate {name} --data-dir <folder of the {dataset} data>",
    }
    return zoo.save(model, directory, metadata)


def _rounded(metrics):
    return {
        key: round(value, 6) if isinstance(value, float) else value
        for key, value in metrics.items()
        if key not in ("dataset", "split")
    }
