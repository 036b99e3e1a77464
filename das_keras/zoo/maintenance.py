"""Upkeep of the committed presets: manifests, preprocessing specs and the catalog.

    python -m das_keras.zoo.maintenance            # refresh every preset of the checkout

For each preset folder in `das_keras/presets/` and `zoo/`: checks the weights against the sha256
recorded in metadata.json (nothing corrupt gets blessed), adds the preprocessing spec when it is
missing (read from config.json's input layer; everything else in metadata.json, test metrics
included, is kept as it is), and writes manifest.json. Then writes `das_keras/presets/catalog.json`
for the presets that the wheel may not carry (non-commercial licence): their metadata, manifest
and the hub handle they are published under.
"""

import json
import sys
from pathlib import Path

from das_keras.zoo.files import (
    CONFIG_FILE,
    METADATA_FILE,
    WEIGHTS_FILE,
    PresetError,
    is_redistributable,
    read_json,
    sha256_of,
    write_manifest,
)
from das_keras.zoo.loading import default_preprocessing
from das_keras.zoo.resolve import BUILTIN_DIR, CATALOG_FILE, SOURCE_ZOO_DIR

HUB_OWNER = "das-keras"  # assumed Hugging Face organisation of the published presets


def config_input(folder):
    """(input shape without batch, dtype) of the input layer in a preset's config.json."""
    config = read_json(Path(folder) / CONFIG_FILE)
    layer = next(x for x in config["config"]["layers"] if x["class_name"] == "InputLayer")
    return layer["config"]["batch_shape"][1:], layer["config"].get("dtype", "float32")


def refresh(folder):
    """Adds a missing preprocessing spec to a preset's metadata and writes its manifest.

    Args:
        folder: a preset folder.

    Returns:
        dict, the manifest written.

    Raises:
        PresetError: the weights differ from metadata.json's weights_sha256.

    Example:
        >>> refresh("zoo/das_pocus")  # doctest: +SKIP
    """
    folder = Path(folder)
    metadata = read_json(folder / METADATA_FILE)
    actual = sha256_of(folder / WEIGHTS_FILE)
    if metadata.get("weights_sha256") not in (None, actual):
        raise PresetError(f"{folder / WEIGHTS_FILE} does not match metadata.json's weights_sha256.")
    if "preprocessing" not in metadata:
        spec = default_preprocessing(*config_input(folder))
        keys = list(metadata)
        at = keys.index("num_params") if "num_params" in keys else len(keys)
        items = list(metadata.items())
        metadata = dict(items[:at] + [("preprocessing", spec)] + items[at:])
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    return write_manifest(folder)


def write_catalog(folders, owner=HUB_OWNER):
    """Writes catalog.json: the non-redistributable presets among `folders`, by hub handle.

    Args:
        folders: preset folders (verified with their manifests).
        owner: the Hugging Face owner they are published under (`hf://owner/<name>`).

    Returns:
        dict, the catalog written.
    """
    entries = {}
    for folder in sorted(Path(f) for f in folders):
        metadata = read_json(folder / METADATA_FILE)
        if is_redistributable(metadata):
            continue
        entries[folder.name] = {
            "source": f"hf://{owner}/{folder.name}",
            "manifest": read_json(folder / "manifest.json"),
            "metadata": metadata,
        }
    CATALOG_FILE.write_text(json.dumps(entries, indent=2) + "\n")
    return entries


def main():
    folders = [p for d in (BUILTIN_DIR, SOURCE_ZOO_DIR) if d.is_dir() for p in sorted(d.iterdir())]
    folders = [p for p in folders if (p / METADATA_FILE).is_file()]
    for folder in folders:
        refresh(folder)
        print(f"manifest written: {folder}")
    shipped = [p for p in folders if p.parent == BUILTIN_DIR]
    bad = [p.name for p in shipped if not is_redistributable(read_json(p / METADATA_FILE))]
    if bad:
        raise PresetError(f"Presets in {BUILTIN_DIR} may not ship with the package: {bad}.")
    entries = write_catalog([p for p in folders if p.parent == SOURCE_ZOO_DIR])
    print(f"catalog written: {CATALOG_FILE} ({', '.join(entries) or 'empty'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
