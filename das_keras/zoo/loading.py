"""Loading and saving presets: verified files, a fresh head, the preprocessing spec."""

import datetime
import json
import re
from pathlib import Path

import keras
import numpy as np

import das_keras.models  # noqa: F401  (registers the layers for deserialization)
from das_keras import checks
from das_keras.models import compile_settings
from das_keras.version import __version__
from das_keras.zoo import resolve
from das_keras.zoo.files import (
    CONFIG_FILE,
    METADATA_FILE,
    REQUIRED_METADATA,
    WEIGHTS_FILE,
    PresetError,
    read_json,
    sha256_of,
    verify,
    write_manifest,
)

HEAD_LAYER = "predictions"


def default_preprocessing(input_shape, dtype="float32"):
    """The input contract of a das-keras classifier with this input shape.

    Args:
        input_shape: (T, H, W, C) without the batch axis.
        dtype: the input dtype.

    Returns:
        dict with input_shape, dtype, input_range, slice_axis, layout, channels and scaling.

    Example:
        >>> default_preprocessing([28, 28, 28, 1])["input_range"]
        [0.0, 1.0]
    """
    shape = [None if d is None else int(d) for d in input_shape]
    return {
        "input_shape": shape,
        "dtype": str(dtype),
        "input_range": [0.0, 1.0],
        "slice_axis": 1,
        "layout": "(batch, slices or frames, height, width, channels)",
        "channels": shape[-1],
        "scaling": "uint8 voxels or pixels divided by 255",
    }


def load_metadata(preset):
    """The metadata.json of a preset as a dict (a catalog preset is not downloaded for this).

    Args:
        preset: name, folder, URL or hub handle (see `preset_dir`).

    Returns:
        dict.

    Raises:
        PresetError: unknown preset, or a metadata.json that is missing or not valid JSON (the
            error names the file).

    Example:
        >>> load_metadata("das_synthetic")["test_metrics"]["auc"]  # doctest: +SKIP
        1.0
    """
    if isinstance(preset, str) and not resolve.looks_like_path(preset):
        entry = resolve.catalog().get(preset)
        if entry is not None and resolve._local(preset) is None:
            return dict(entry["metadata"])
    return read_json(resolve.preset_dir(preset) / METADATA_FILE)


def preprocessing(preset):
    """A preset's preprocessing spec: what its model expects as input.

    Args:
        preset: name, folder, URL or hub handle, or a metadata dict.

    Returns:
        dict: input_shape (T, H, W, C), dtype, input_range ([0, 1]), slice_axis (1 in the
        batched input), layout, channels, scaling.

    Example:
        >>> preprocessing("das_vesselmnist3d_28_k25")["input_shape"]  # doctest: +SKIP
        [28, 28, 28, 1]
    """
    metadata = preset if isinstance(preset, dict) else load_metadata(preset)
    return {**default_preprocessing(metadata["input_shape"]), **metadata.get("preprocessing", {})}


def check_inputs(preset, x):
    """Checks a batch against a preset's preprocessing spec; returns it unchanged.

    Args:
        preset: name, folder, URL, handle, metadata dict, or a spec from `preprocessing`.
        x: array-like (B, T, H, W, C).

    Returns:
        `x`.

    Raises:
        ValueError: wrong rank, shape or dtype kind, non-finite values, or values outside the
            spec's input range; the message names what was expected.

    Example:
        >>> check_inputs("das_synthetic", np.zeros((2, 32, 32, 32, 1), "float32")).shape
        (2, 32, 32, 32, 1)
    """
    spec = preset if isinstance(preset, dict) and "input_range" in preset else None
    spec = spec or preprocessing(preset)
    array = np.asarray(x)
    expected = [None, *spec["input_shape"]]
    if array.ndim != len(expected) or any(
        e is not None and a != e for a, e in zip(array.shape, expected)
    ):
        raise ValueError(f"`x` has shape {array.shape}; the preset expects {tuple(expected)}.")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"`x` has dtype {array.dtype}; expected {spec['dtype']} (scale first).")
    low, high = spec["input_range"]
    if array.size and not np.isfinite(array).all():
        raise ValueError("`x` holds NaN or Inf values.")
    if array.size and (array.min() < low or array.max() > high):
        raise ValueError(
            f"`x` ranges over [{array.min():.4g}, {array.max():.4g}]; the preset expects "
            f"[{low}, {high}] ({spec['scaling']})."
        )
    return x


def load(preset, compile=True, num_classes=None):
    """Builds a preset's model from its verified files.

    Args:
        preset: a name (see `list_presets`), a folder (`pathlib.Path` or "./dir"), an archive
            URL with its sha256 ("https://.../p.tar.gz#sha256=<hex>") or a hub handle
            ("hf://owner/repo"); see `preset_dir`.
        compile: compile with the preset's recipe (Adam at its learning rate, sparse categorical
            cross-entropy, accuracy), ready for `fit`.
        num_classes: if given, replace the final Dense layer ("predictions") by a freshly
            initialised one with this many classes; every other layer keeps its weights.

    Returns:
        An ordinary functional `keras.Model`; input (B, T, H, W, C) in [0, 1], output (B, classes).

    Raises:
        PresetError: unknown preset (with close names), a missing file, a file that does not
            match manifest.json, an invalid metadata.json, or a config.json Keras cannot build
            (each error names the file).

    Example:
        >>> model = load("das_vesselmnist3d_28_k25")  # doctest: +SKIP
        >>> model = load("das_vesselmnist3d_28_k25", num_classes=5)  # new head  # doctest: +SKIP
    """
    checks.check_positive_int(num_classes, "num_classes", minimum=2, allow_none=True)
    folder = resolve.preset_dir(preset)
    verify(folder)
    metadata = read_json(folder / METADATA_FILE)
    model = _build(folder)
    expected = preprocessing(metadata)["input_shape"]
    if list(model.input_shape[1:]) != list(expected):
        raise PresetError(
            f"{folder / CONFIG_FILE} builds a model with input {model.input_shape[1:]}, but "
            f"{folder / METADATA_FILE} says {expected}."
        )
    if num_classes is not None:
        model = with_new_head(model, int(num_classes))
    if compile:
        learning_rate = metadata.get("recipe", {}).get("learning_rate")
        compile_settings.compile_model(
            model, learning_rate or compile_settings.DEFAULT_LEARNING_RATE
        )
    return model


def _build(folder):
    try:
        model = keras.models.model_from_json((folder / CONFIG_FILE).read_text())
    except Exception as error:  # unknown class, bad config: Keras names neither file nor folder
        raise PresetError(
            f"{folder / CONFIG_FILE}: Keras cannot build the model: {_short(error)}"
        ) from None
    try:
        model.load_weights(folder / WEIGHTS_FILE)
    except Exception as error:
        raise PresetError(f"{folder / WEIGHTS_FILE}: the weights do not load: {error}") from None
    return model


def _short(error):
    """The gist of a Keras deserialization error (its full text repeats the whole config)."""
    text = str(error)
    unknown = re.search(r"Could not locate class '[^']+'", text)
    if unknown:
        return (
            f"{unknown.group(0)}: a layer that neither Keras nor das-keras defines; import the "
            "module that registers it before loading."
        )
    return text if len(text) < 500 else text[:500] + " ..."


def with_new_head(model, num_classes):
    """The model with its final Dense layer ("predictions") replaced by a fresh one.

    Args:
        model: a functional das-keras classifier.
        num_classes: classes of the new head.

    Returns:
        A new functional `keras.Model` sharing every other layer (and its weights) with `model`.
        Shapes: input as `model`'s, output (B, num_classes).

    Example:
        >>> model = with_new_head(load("das_synthetic"), 3)  # doctest: +SKIP
    """
    names = [layer.name for layer in model.layers]
    if HEAD_LAYER not in names or len(model.outputs) != 1:
        raise PresetError(
            f"Cannot replace the head: the model has no single output layer named {HEAD_LAYER!r}."
        )
    old = model.get_layer(HEAD_LAYER)
    head = keras.layers.Dense(
        num_classes, activation=old.activation, name=HEAD_LAYER, dtype=old.dtype_policy
    )
    return keras.Model(model.inputs, head(old.input), name=model.name)


def save(model, directory, metadata):
    """Writes a model as a preset folder: config.json, model.weights.h5, metadata.json, manifest.

    Args:
        model: a functional `keras.Model`.
        directory: the preset folder to write (created; files in it are replaced).
        metadata: dict with at least "name", "dataset", "input_shape", "sampler",
            "test_metrics" and "license"; added: the preprocessing spec (unless given), the
            parameter count, the Keras and das-keras versions, the date and the weights' sha256.
            manifest.json then records the sha256 of all three files.

    Returns:
        The metadata as written.

    Example:
        >>> save(model, "my_presets/mine", {"name": "mine", "dataset": "vessel",
        ...      "input_shape": [28, 28, 28, 1], "sampler": "das", "test_metrics": {},
        ...      "license": "CC BY 4.0"})  # doctest: +SKIP
    """
    if not isinstance(metadata, dict):
        raise ValueError(f"`metadata` must be a dict; received {type(metadata).__name__}.")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ValueError(f"`metadata` lacks the keys {missing}; required: {REQUIRED_METADATA}.")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(model.to_json(indent=1))
    model.save_weights(folder / WEIGHTS_FILE)
    spec = default_preprocessing(model.input_shape[1:], model.inputs[0].dtype)
    metadata = {
        **metadata,
        # The shape, dtype and channels come from the model; range and scaling may be given.
        "preprocessing": {**spec, **metadata.get("preprocessing", {}), **_shape_keys(spec)},
        "num_params": int(model.count_params()),
        "keras_version": keras.__version__,
        "das_keras_version": __version__,
        "date": datetime.date.today().isoformat(),
        "weights_sha256": sha256_of(folder / WEIGHTS_FILE),
    }
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    write_manifest(folder)
    return metadata


def _shape_keys(spec):
    return {key: spec[key] for key in ("input_shape", "dtype", "channels")}
