"""The comparison's "volume3d" method: the full-volume 3D CNN (`das_keras.models.
build_volume_cnn`) trained with the same recipe as the slice classifiers.

`das_keras.runs.train_run` builds slice classifiers only (`build_classifier`), so this trains the
3D CNN with the same pieces: the data splits and class weights of `load_splits`, Adam and the
compiled metrics of `das_keras.runs.recipe`, its schedule callbacks, early stopping and model
selection on the class-weighted validation loss. It is not resumable: an interrupted run starts
again from epoch 0 (the comparison caches finished runs only).
"""

import os

import keras

from das_keras.data import catalog
from das_keras.models import build_volume_cnn
from das_keras.runs import folder as run_folder
from das_keras.runs import recipe, weighted_validation

# train_run options of the slice classifiers that have no meaning for the 3D CNN
SLICE_ONLY = ("backbone", "aggregation", "sampler_options", "model_options")


def train_volume_run(
    output_dir,
    dataset,
    seed=0,
    data_dir=None,
    size=28,
    epochs=12,
    batch_size=32,
    learning_rate=1e-3,
    lr_schedule="constant",
    patience=10,
    augment=False,
    bn_momentum=0.9,
    precise_bn=False,
    filters=(16, 32, 64),
    **slice_only,
):
    """Trains `build_volume_cnn` on `dataset` and keeps the weights of the epoch of lowest
    class-weighted validation loss.

    Args:
        output_dir: run folder (log.csv, best.weights.h5, model.keras); stale files of an
            interrupted run there are replaced.
        dataset, seed, data_dir, size, augment: see `das_keras.data.catalog.load_splits`.
        epochs, batch_size, learning_rate, lr_schedule, patience, bn_momentum, precise_bn: the
            recipe, as `das_keras.runs.train_run` takes it.
        filters: filters of the 3D CNN's blocks.
        **slice_only: the slice classifiers' options (`SLICE_ONLY`), accepted so that one
            recipe dict serves both, and ignored.

    Returns:
        (model, history): the trained model (best weights) and the per-epoch logs.

    Raises:
        TypeError: an option that is neither the recipe's nor in `SLICE_ONLY`.

    Example:
        >>> train_volume_run("runs/v", "adrenal", size=64, epochs=12)  # doctest: +SKIP
    """
    unknown = sorted(set(slice_only) - set(SLICE_ONLY))
    if unknown:
        raise TypeError(f"train_volume_run got options it cannot apply: {unknown}.")
    os.makedirs(output_dir, exist_ok=True)
    paths = {n: os.path.join(output_dir, n) for n in ("log.csv", "best.weights.h5")}
    for path in paths.values():  # an interrupted run's files would resume its best loss
        if os.path.exists(path):
            os.remove(path)
    keras.utils.set_random_seed(seed)
    splits = catalog.load_splits(dataset, batch_size, seed, data_dir, size, augment)
    model = build_volume_cnn(
        splits.input_shape, splits.num_classes, filters=filters, bn_momentum=bn_momentum
    )
    recipe.compile_model(model, learning_rate)
    callbacks = [
        *recipe.recipe_callbacks(
            splits.train, epochs, lr_schedule, learning_rate=learning_rate, precise_bn=precise_bn
        ),
        keras.callbacks.EarlyStopping("val_loss", patience=patience),
        run_folder.BestWeights(paths["best.weights.h5"], "val_loss"),
        run_folder.CSVLog(paths["log.csv"]),
    ]
    model.fit(
        splits.train,
        validation_data=weighted_validation(splits.val, splits.class_weight),
        epochs=epochs,
        callbacks=callbacks,
        class_weight=splits.class_weight,
        verbose=0,
    )
    model.load_weights(paths["best.weights.h5"])
    run_folder.atomic_write(os.path.join(output_dir, "model.keras"), model.save)
    return model, run_folder.read_log(paths["log.csv"])
