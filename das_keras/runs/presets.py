"""A trained model as a zoo preset: the metadata every preset carries, and `save_run_as_preset`.

`das-keras train --save-preset` and `das-keras tune --save-preset` both write presets through
`preset_metadata`, so the two carry the same keys.

Example:
    >>> save_run_as_preset("runs/vessel", "zoo/das_vessel", data_dir="data")  # doctest: +SKIP
"""

import os

from das_keras import calibration, zoo
from das_keras.data import catalog
from das_keras.evaluation import classification_metrics
from das_keras.models import sampler_of
from das_keras.runs import folder
from das_keras.runs.config import CONFIG_NAME, read_config
from das_keras.runs.evaluation import predict_split
from das_keras.runs.loading import load_model


def preset_metadata(model, dataset, sampler, recipe, val_metrics, test_metrics, **fields):
    """The metadata of a preset (see `das_keras.zoo.save`, which adds versions and hashes).

    Args:
        model: the trained `keras.Model`.
        dataset: the data set it was trained on (a name of `das_keras.data.catalog`).
        sampler: its sampler's registered name.
        recipe: dict, how it was trained (stored under "recipe").
        val_metrics, test_metrics: metrics of the validation and test splits
            (`das_keras.evaluation.classification_metrics`, as `evaluate_run` gives them).
        **fields: other keys ("name", "description", "seed", ...), added as given.

    Returns:
        dict with name, description, dataset, input_shape, num_classes, class_names, sampler,
        k (slices its sampler keeps), recipe, split_sizes, val_metrics, test_metrics, license.

    Example:
        >>> preset_metadata(model, "vessel", "das", {}, val, test, name="mine")  # doctest: +SKIP
    """
    spec = catalog.get_dataset(dataset)
    return {
        "description": f"{sampler.upper()} on {dataset}",
        "dataset": dataset,
        "input_shape": list(model.input_shape[1:]),
        "num_classes": spec.num_classes,
        "class_names": list(spec.class_names),
        "sampler": sampler,
        "k": int(sampler_of(model).num_selected),
        "recipe": recipe,
        "split_sizes": {"val": val_metrics["num_samples"], "test": test_metrics["num_samples"]},
        "val_metrics": val_metrics,
        "test_metrics": test_metrics,
        "license": spec.license,
        **fields,
    }


def save_run_as_preset(
    run_dir,
    directory,
    name=None,
    description=None,
    data_dir=None,
    prior_correction=False,
    **fields,
):
    """Evaluates a finished `train_run` folder and saves its model as a zoo preset.

    The test split is evaluated once here, for the published number; the validation metrics
    are stored beside it.

    With `prior_correction`, a run trained with class weights is saved with a
    `das_keras.calibration.PriorCorrection` layer after its softmax: the weights' shift toward the
    rare class is undone, so the preset's probabilities are calibrated to the class prior and
    thresholding them (MedMNIST's ACC, argmax) is meaningful; the AUC is unchanged. The metadata
    then records the weights ("prior_correction") and the test metrics without the correction
    ("test_metrics_uncorrected"), so both decision rules are reported.

    Args:
        run_dir: folder of a finished `train_run` (holds run_config.json and model.keras).
        directory: preset folder to write.
        name: preset name; default the folder's name.
        description: one line for the zoo table.
        data_dir: data folder of the run's data set.
        prior_correction: True to undo the class weights' prior shift in the saved outputs
            (above); "auto" to undo it only where that raises the *validation* ACC (the choice
            and both validation ACCs are stored as "prior_correction_choice"; the test split
            plays no part); ignored for a run trained without class weights.
        **fields: extra metadata keys (e.g. the recipe's metrics over seeds, cost figures).

    Returns:
        The metadata written (see `das_keras.zoo.save`).

    Example:
        >>> save_run_as_preset("runs/vessel", "zoo/das_vessel", data_dir="data")  # doctest: +SKIP
    """
    if prior_correction not in (False, True, "auto"):
        raise ValueError(
            f"`prior_correction` must be True, False or 'auto'; received {prior_correction!r}."
        )
    config = read_config(run_dir)
    if not config:
        raise FileNotFoundError(f"`run_dir`: no {CONFIG_NAME} in {run_dir}.")
    model = load_model(run_dir, option="`run_dir`")
    dataset = config["dataset"]
    options = {
        "data_dir": data_dir,
        "size": config["size"],
        "num_frames": config["num_frames"],
        "frame_size": config["frame_size"],
    }
    # one pass over each split; the prior correction is applied to those probabilities, as the
    # saved PriorCorrection layer applies it
    predictions = {
        split: predict_split(model, dataset, split, config["batch_size"], **options)
        for split in ("val", "test")
    }
    weights = None
    if prior_correction and config.get("class_weighting"):
        weights = catalog.class_weights(dataset, config["size"], data_dir)
    if weights and prior_correction == "auto":
        fields["prior_correction_choice"] = _choose_on_validation(predictions["val"], weights)
        weights = weights if fields["prior_correction_choice"]["applied"] else None
    if weights:
        fields["test_metrics_uncorrected"] = _metrics(*predictions["test"])
        fields["prior_correction"] = [round(weights[c], 6) for c in sorted(weights)]
        model = calibration.with_prior_correction(model, weights)
        predictions = {
            split: (labels, calibration.prior_correction(probabilities, weights))
            for split, (labels, probabilities) in predictions.items()
        }
    val, test = (_metrics(*predictions[split]) for split in ("val", "test"))
    name = name or os.path.basename(os.path.normpath(directory))
    recipe = {
        **config,
        "epochs_run": len(folder.read_log(os.path.join(run_dir, "log.csv"))["loss"]),
        "selection": "lowest validation loss",
    }
    fields = {
        **fields,
        "name": name,
        "evaluate": f"das-keras zoo evaluate {name} --data-dir <folder of the {dataset} data>",
    }
    if description:
        fields["description"] = description
    metadata = preset_metadata(model, dataset, config["sampler"], recipe, val, test, **fields)
    return zoo.save(model, directory, metadata)


def _choose_on_validation(val_predictions, weights):
    """Whether the prior correction raises the validation ACC (ties: left as trained)."""
    labels, probabilities = val_predictions
    raw = _metrics(labels, probabilities)["accuracy"]
    corrected = _metrics(labels, calibration.prior_correction(probabilities, weights))["accuracy"]
    return {
        "rule": "applied where it raises the validation ACC",
        "applied": bool(corrected > raw),
        "val_accuracy_uncorrected": raw,
        "val_accuracy_corrected": corrected,
    }


def _metrics(labels, probabilities):
    return {
        key: round(value, 6) if isinstance(value, float) else value
        for key, value in classification_metrics(labels, probabilities).items()
    }
