"""Pretrained presets: list, load, save, publish.

A preset is a folder holding four files:

    config.json        the model's Keras config (an ordinary functional model)
    model.weights.h5   its weights
    metadata.json      data set, recipe, test metrics, preprocessing spec, versions, licence
    manifest.json      the sha256 of the three files above

`load` checks all three files against the manifest before using them. A preset is given as a
name (the presets shipped in the package, then `$DAS_KERAS_ZOO`, then a checkout's `zoo/`, then
the catalog of presets published elsewhere), a folder, an archive URL with its sha256
(`https://.../p.tar.gz#sha256=<hex>`) or a Hugging Face Hub handle (`hf://owner/repo`, with
`pip install "das-keras[hub]"`); see `preset_dir`.

Example:
    >>> import das_keras as dk  # doctest: +SKIP
    >>> dk.zoo.list_presets("das_*")  # doctest: +SKIP
    >>> model = dk.zoo.load("das_vesselmnist3d_28_k25", num_classes=3)  # doctest: +SKIP
"""

from das_keras.zoo.files import (
    CHECKED_FILES,
    CONFIG_FILE,
    MANIFEST_FILE,
    METADATA_FILE,
    REQUIRED_METADATA,
    WEIGHTS_FILE,
    PresetError,
    is_redistributable,
    sha256_of,
    verify,
    write_manifest,
)
from das_keras.zoo.loading import (
    check_inputs,
    default_preprocessing,
    load,
    load_metadata,
    preprocessing,
    save,
    with_new_head,
)
from das_keras.zoo.remote import upload
from das_keras.zoo.resolve import (
    ALIASES,
    catalog,
    list_presets,
    preset_dir,
    source_of,
    successor,
    zoo_dirs,
)

__all__ = [
    "ALIASES",
    "CHECKED_FILES",
    "CONFIG_FILE",
    "MANIFEST_FILE",
    "METADATA_FILE",
    "REQUIRED_METADATA",
    "WEIGHTS_FILE",
    "PresetError",
    "catalog",
    "check_inputs",
    "default_preprocessing",
    "is_redistributable",
    "list_presets",
    "load",
    "load_metadata",
    "preprocessing",
    "preset_dir",
    "save",
    "sha256_of",
    "source_of",
    "successor",
    "upload",
    "verify",
    "with_new_head",
    "write_manifest",
    "zoo_dirs",
]
