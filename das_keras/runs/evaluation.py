"""Evaluating a model on a split of a data set: `predict_split` and `evaluate_run`.

Example:
    >>> evaluate_run("runs/demo", "synthetic", "val")["auc"]  # doctest: +SKIP
"""

import numpy as np
from tqdm.auto import tqdm

from das_keras import checks
from das_keras.data import catalog
from das_keras.data.catalog import SPLITS
from das_keras.evaluation import classification_metrics
from das_keras.runs.loading import load_model


def predict_split(
    model,
    dataset="synthetic",
    split="test",
    batch_size=32,
    data_dir=None,
    size=28,
    num_frames=32,
    frame_size=64,
    progress=False,
):
    """The true classes of one split of a data set and a model's class probabilities for them.

    Args:
        model: a `keras.Model`, or what `das_keras.runs.load_model` loads (a `.keras` file, a
            run folder, a preset).
        dataset, batch_size, data_dir, size, num_frames, frame_size: see
            `das_keras.data.catalog.load_splits`.
        split: "train", "val" or "test". Val and test come in the data set's order, the
            training split shuffled (each label stays with its example: one pass over the data).
        progress: show a tqdm progress bar over the batches on stderr (hidden where stderr is
            no terminal).

    Returns:
        (labels, probabilities): int array (N,) and float array (N, num_classes).

    Shapes:
        labels (N,), probabilities (N, C), N the number of examples in the split.

    Example:
        >>> labels, probabilities = predict_split("runs/demo", "synthetic", "val")  # doctest: +SKIP
    """
    checks.check_choice(split, "split", SPLITS)
    if not hasattr(model, "predict_on_batch"):
        model = load_model(model)
    splits = catalog.load_splits(
        dataset, batch_size, 0, data_dir, size, num_frames=num_frames, frame_size=frame_size
    )
    batches = getattr(splits, split)
    count = int(batches.cardinality())
    bar = tqdm(
        batches,
        total=count if count >= 0 else None,
        desc=f"{dataset} {split}",
        unit="batch",
        disable=None if progress else True,
    )
    labels, probabilities = [], []
    for x, y in bar:
        labels.append(np.asarray(y).reshape(-1))
        probabilities.append(np.asarray(model.predict_on_batch(x)))
    return np.concatenate(labels).astype(int), np.concatenate(probabilities)


def evaluate_run(model, dataset="synthetic", split="test", batch_size=32, data_dir=None, **options):
    """Balanced accuracy and AUC of a model on one split of a data set.

    Args:
        model: a `keras.Model`, or what `das_keras.runs.load_model` loads.
        dataset, batch_size, data_dir: see `predict_split`.
        **options: size, num_frames, frame_size, progress: see `predict_split`.
        split: "test" (the default; the final number) or "val".

    Returns:
        dict of `das_keras.evaluation.classification_metrics`, plus "dataset" and "split".

    Example:
        >>> evaluate_run("runs/demo", "synthetic")["auc"]  # doctest: +SKIP
    """
    labels, probabilities = predict_split(model, dataset, split, batch_size, data_dir, **options)
    return {"dataset": dataset, "split": split, **classification_metrics(labels, probabilities)}
