"""A preset folder's files: names, the sha256 manifest, and JSON reads that name the file."""

import hashlib
import json
from pathlib import Path

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
MANIFEST_FILE = "manifest.json"
CHECKED_FILES = (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE)
REQUIRED_METADATA = ("name", "dataset", "input_shape", "sampler", "test_metrics", "license")


class PresetError(ValueError):
    """A preset that cannot be used: unknown, incomplete, corrupt, or changed since it was saved."""


def sha256_of(path):
    """Hex sha256 of a file.

    Args:
        path: file path.

    Returns:
        str, 64 hex digits.

    Example:
        >>> sha256_of("das_keras/presets/das_synthetic/config.json")  # doctest: +SKIP
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path):
    """Parses a JSON file; a missing or invalid file raises PresetError naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PresetError(f"Preset {path.parent} is incomplete: {path.name} is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error}); the file is corrupt.") from None


def write_manifest(directory):
    """Writes `manifest.json`: the sha256 of config.json, metadata.json and model.weights.h5.

    Call it after editing a preset's files on purpose; `load` refuses a preset whose files no
    longer match their manifest.

    Args:
        directory: the preset folder.

    Returns:
        dict {file name: sha256} as written.

    Example:
        >>> write_manifest("my_presets/finetuned")  # doctest: +SKIP
    """
    folder = Path(directory)
    for file in CHECKED_FILES:
        if not (folder / file).is_file():
            raise PresetError(f"Preset {folder} is incomplete: {file} is missing.")
    manifest = {file: sha256_of(folder / file) for file in CHECKED_FILES}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def verify(directory):
    """Checks the three files of a preset against its manifest.

    Args:
        directory: the preset folder.

    Returns:
        dict {file name: sha256}, the verified manifest.

    Raises:
        PresetError: a file or the manifest is missing, or a file's sha256 differs (the error
            names the file and both hashes).

    Example:
        >>> verify("das_keras/presets/das_synthetic")  # doctest: +SKIP
    """
    folder = Path(directory)
    if not (folder / MANIFEST_FILE).is_file():
        raise PresetError(
            f"Preset {folder} has no {MANIFEST_FILE} (the sha256 of its files). If you trust the "
            "files, write one with `das_keras.zoo.write_manifest(folder)`."
        )
    manifest = read_json(folder / MANIFEST_FILE)
    for file in CHECKED_FILES:
        if not (folder / file).is_file():
            raise PresetError(f"Preset {folder} is incomplete: {file} is missing.")
        actual = sha256_of(folder / file)
        if actual != manifest.get(file):
            raise PresetError(
                f"{folder / file} does not match its checksum: sha256 {actual}, expected "
                f"{manifest.get(file)} ({MANIFEST_FILE}). The file is corrupt or was changed; "
                "restore it (reinstall das-keras, `git checkout`, or download the preset again)."
            )
    return manifest


def is_redistributable(metadata):
    """Whether a preset's licence lets it ship inside the das-keras wheel (not non-commercial)."""
    text = str(metadata.get("license", "")).lower()
    return bool(text) and "non-commercial" not in text and "noncommercial" not in text
