"""Pretrained presets: list, load, save.

A preset is a folder holding three files:

    config.json        the model's Keras config (an ordinary functional model)
    model.weights.h5   its weights
    metadata.json      data set, recipe, test metrics, versions, license, sha256 of the weights

`load` checks the weights' sha256 against metadata.json before using them. Presets are looked up
by name in the folders of `$DAS_KERAS_ZOO` (os.pathsep-separated), then in the `zoo/` folder of
the das-keras source tree; a path to a preset folder works too.
"""

import datetime
import fnmatch
import hashlib
import json
import os
from difflib import get_close_matches
from pathlib import Path

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
REQUIRED_METADATA = ("name", "dataset", "input_shape", "sampler", "test_metrics", "license")


class PresetError(ValueError):
    """A preset that cannot be used: unknown, incomplete, or with a weights checksum mismatch."""


def zoo_dirs():
    """Folders searched for presets, in order: `$DAS_KERAS_ZOO` entries, then `<source>/zoo`."""
    dirs = [Path(p) for p in os.environ.get("DAS_KERAS_ZOO", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parent / "presets")
    dirs.append(Path(__file__).resolve().parents[1] / "zoo")
    return [d for d in dirs if d.is_dir()]


def list_presets(pattern=None):
    """Names of the available presets, sorted, optionally filtered by a wildcard pattern.

    Args:
        pattern: shell-style wildcard, e.g. "das_*" or "*vessel*"; None lists all.

    Returns:
        list of preset names.

    Example:
        >>> list_presets("*vessel*")  # doctest: +SKIP
        ['das_vesselmnist3d_28', 'full_vesselmnist3d_28']
    """
    names = set()
    for folder in zoo_dirs():
        names.update(p.name for p in folder.iterdir() if (p / METADATA_FILE).is_file())
    names = sorted(names)
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def preset_dir(name_or_dir):
    """The folder of a preset given by name or path; raises PresetError naming close names."""
    path = Path(name_or_dir)
    if (path / METADATA_FILE).is_file():
        return path
    for folder in zoo_dirs():
        if (folder / str(name_or_dir) / METADATA_FILE).is_file():
            return folder / str(name_or_dir)
    close = get_close_matches(str(name_or_dir), list_presets(), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise PresetError(
        f"Unknown preset {str(name_or_dir)!r}: not a preset folder and not a name in "
        f"{[str(d) for d in zoo_dirs()]}.{hint} `das_keras.zoo.list_presets()` lists them all."
    )


def load_metadata(name_or_dir):
    """The metadata.json of a preset as a dict.

    Args:
        name_or_dir: preset name or folder.

    Returns:
        dict.

    Example:
        >>> load_metadata("das_synthetic")["test_metrics"]["auc"]  # doctest: +SKIP
    """
    with open(preset_dir(name_or_dir) / METADATA_FILE) as f:
        return json.load(f)


def load(name_or_dir, compile=True):
    """Builds a preset's model and loads its verified weights.

    Args:
        name_or_dir: preset name (see `list_presets`) or a preset folder.
        compile: compile with the preset's recipe (Adam at its learning rate, sparse categorical
            cross-entropy, accuracy), ready for `fit`.

    Returns:
        An ordinary functional `keras.Model` (fine-tune, save and export it as any other).

    Raises:
        PresetError: unknown name (with close names), missing file, or a weights file whose
            sha256 differs from the one in metadata.json.

    Example:
        >>> model = load("das_vesselmnist3d_28")  # doctest: +SKIP
        >>> model.predict(volumes)  # (B, 28, 28, 28, 1) in [0, 1]  # doctest: +SKIP
    """
    import keras

    import das_keras  # noqa: F401  (registers the layers for deserialization)

    folder = preset_dir(name_or_dir)
    for file in (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE):
        if not (folder / file).is_file():
            raise PresetError(f"Preset {folder} is incomplete: {file} is missing.")
    metadata = load_metadata(folder)
    actual = sha256_of(folder / WEIGHTS_FILE)
    if actual != metadata.get("weights_sha256"):
        raise PresetError(
            f"Weights file {folder / WEIGHTS_FILE} does not match its checksum: sha256 {actual}, "
            f"expected {metadata.get('weights_sha256')} (metadata.json). The file is corrupt or "
            "was changed; restore it (e.g. `git checkout` or download the preset again)."
        )
    model = keras.models.model_from_json((folder / CONFIG_FILE).read_text())
    model.load_weights(folder / WEIGHTS_FILE)
    if compile:
        learning_rate = metadata.get("recipe", {}).get("learning_rate", 1e-3)
        model.compile(
            keras.optimizers.Adam(learning_rate),
            "sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    return model


def save(model, directory, metadata):
    """Writes a model as a preset folder (config.json, model.weights.h5, metadata.json).

    Args:
        model: a functional `keras.Model`.
        directory: the preset folder to write (created; files in it are replaced).
        metadata: dict with at least "name", "dataset", "input_shape", "sampler",
            "test_metrics" and "license"; the sha256 of the weights, the parameter count, the
            Keras and das-keras versions and the date are added.

    Returns:
        The metadata as written.

    Example:
        >>> save(model, "zoo/my_preset", {"name": "my_preset", "dataset": "vessel",
        ...      "input_shape": [28, 28, 28, 1], "sampler": "das", "test_metrics": {},
        ...      "license": "CC BY 4.0"})  # doctest: +SKIP
    """
    import keras

    from das_keras.version import __version__

    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ValueError(f"`metadata` lacks the keys {missing}; required: {REQUIRED_METADATA}.")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(model.to_json(indent=1))
    model.save_weights(folder / WEIGHTS_FILE)
    metadata = {
        **metadata,
        "num_params": int(model.count_params()),
        "keras_version": keras.__version__,
        "das_keras_version": __version__,
        "date": datetime.date.today().isoformat(),
        "weights_sha256": sha256_of(folder / WEIGHTS_FILE),
    }
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    return metadata


def sha256_of(path):
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
