"""`load_model(path_or_preset)`: a model file, a run folder or a zoo preset, in one call.

Every entry point that takes a trained model (`das-keras evaluate`, `explain`, `export`, and
`predict_split`) loads it here; `model_source` says what data the model was trained on.

Example:
    >>> model = load_model("runs/vessel")  # doctest: +SKIP
    >>> model = load_model("das_vesselmnist3d_28_k25")  # doctest: +SKIP
"""

import os
from pathlib import Path

import keras

import das_keras.models  # noqa: F401  (registers the layers for loading)
from das_keras import zoo
from das_keras.runs.config import read_config

MODEL_FILE = "model.keras"


def load_model(path_or_preset, compile=False, option="`model`"):
    """Loads a trained model from a `.keras` file, a run folder or a zoo preset.

    Args:
        path_or_preset: a `.keras` file; a run folder (holding model.keras, as `train_run`
            writes it); a preset folder; or a preset name, URL or hub handle (see
            `das_keras.zoo.preset_dir`). An existing path is read as a path, anything else
            as a preset.
        compile: compile the model (a file: as it was saved; a preset: with the recipe).
        option: how the caller names the argument in errors ("--model", "`model`").

    Returns:
        A `keras.Model`.

    Raises:
        FileNotFoundError: a path that names no model file (the error names `option`).
        das_keras.zoo.PresetError: an unknown preset name, or a preset that does not verify.

    Example:
        >>> model = load_model("runs/demo/model.keras")  # doctest: +SKIP
    """
    path = os.fspath(path_or_preset)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, zoo.METADATA_FILE)):
        return zoo.load(Path(path), compile=compile)
    if os.path.exists(path) or path.endswith(".keras") or zoo.resolve.looks_like_path(path):
        return keras.models.load_model(model_file(path, option), compile=compile)
    return zoo.load(path, compile=compile)


def model_file(path, option="`model`"):
    """The .keras file of `path`: the file itself, or model.keras in a run folder.

    Raises:
        FileNotFoundError: naming `option` when there is no such file.
    """
    file = os.path.join(path, MODEL_FILE) if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{option}: no model file at {file}.")
    return file


def model_source(path_or_preset):
    """What data a model was trained on, from its run_config.json or its preset's metadata.

    Args:
        path_or_preset: as for `load_model`.

    Returns:
        dict with "dataset", "size", "num_frames", "frame_size" and "class_names"; None where
        the source does not say (a bare `.keras` file outside a run folder).

    Example:
        >>> model_source("das_vesselmnist3d_28_k25")["dataset"]  # doctest: +SKIP
        'vessel'
    """
    path = os.fspath(path_or_preset)
    if os.path.exists(path) and not os.path.isfile(os.path.join(path, zoo.METADATA_FILE)):
        config = read_config(path)
        return {
            "dataset": config.get("dataset"),
            "size": config.get("size"),
            "num_frames": config.get("num_frames"),
            "frame_size": config.get("frame_size"),
            "class_names": None,
        }
    metadata = zoo.load_metadata(Path(path) if os.path.exists(path) else path)
    shape = metadata["input_shape"]
    return {
        "dataset": metadata.get("dataset"),
        "size": shape[1],
        "num_frames": shape[0],
        "frame_size": shape[1],
        "class_names": metadata.get("class_names"),
    }
