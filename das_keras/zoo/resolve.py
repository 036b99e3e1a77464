"""Where a preset comes from: a name, a local folder, a URL archive or a hub handle.

A string is resolved in this order:
1. `hf://...`, `https://...#sha256=...`, `http://...`, `file://...`: downloaded (see `remote`).
2. Anything that looks like a path (holds a path separator, starts with "." or "~", or is
   absolute), or a `pathlib.Path`: that folder.
3. A name: the presets shipped in the package (`das_keras/presets/`), then the folders of
   `$DAS_KERAS_ZOO` (os.pathsep-separated), then the `zoo/` folder of a source checkout, then the
   catalog of presets published elsewhere (non-commercial ones, which the wheel may not carry).
A folder in the working directory is never taken for a name: write `./name` to load it.
4. A retired name of `ALIASES`: its successor, with a FutureWarning (kept for one release).
"""

import fnmatch
import json
import os
import warnings
from difflib import get_close_matches
from pathlib import Path

from das_keras.zoo import remote
from das_keras.zoo.files import MANIFEST_FILE, METADATA_FILE, PresetError, read_json

PACKAGE_DIR = Path(__file__).resolve().parents[1]
BUILTIN_DIR = PACKAGE_DIR / "presets"
SOURCE_ZOO_DIR = PACKAGE_DIR.parent / "zoo"  # exists in a source checkout only
CATALOG_FILE = BUILTIN_DIR / "catalog.json"
# Retired preset names -> their successors, loadable for one release. The DAS presets at k = 50%
# now carry k in their names, beside the k = 25% ones (benchmarks/frontier_presets.py).
ALIASES = {
    "das_vesselmnist3d_28": "das_vesselmnist3d_28_k50",
    "das_adrenalmnist3d_28": "das_adrenalmnist3d_28_k50",
    "das_pocus": "das_pocus_k50",
}


def zoo_dirs():
    """Folders searched for preset names, in order: built-in, `$DAS_KERAS_ZOO`, source `zoo/`."""
    env = [Path(p).expanduser() for p in os.environ.get("DAS_KERAS_ZOO", "").split(os.pathsep)]
    dirs = [BUILTIN_DIR, *[d for d in env if str(d) != "."], SOURCE_ZOO_DIR]
    return [d for d in dirs if d.is_dir()]


def catalog():
    """Presets published elsewhere: {name: {"source", "manifest", "metadata"}} (package data)."""
    if not CATALOG_FILE.is_file():
        return {}
    return json.loads(CATALOG_FILE.read_text())


def list_presets(pattern=None):
    """Names of the available presets, sorted, optionally filtered by a wildcard pattern.

    Local presets (built-in, `$DAS_KERAS_ZOO`, a checkout's `zoo/`) and those of the catalog
    (downloaded on first `load`) are listed; `source_of(name)` says where each one comes from.

    Args:
        pattern: shell-style wildcard, e.g. "das_*" or "*vessel*"; None lists all.

    Returns:
        list of preset names.

    Example:
        >>> list_presets("*vessel*")  # doctest: +SKIP
        ['das_vesselmnist3d_28_k25', 'das_vesselmnist3d_28_k50', 'full_vesselmnist3d_28']
    """
    names = set(catalog())
    for folder in zoo_dirs():
        names.update(p.name for p in folder.iterdir() if (p / METADATA_FILE).is_file())
    names = sorted(names)
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def looks_like_path(preset):
    """Whether a string is meant as a path rather than a preset name."""
    seps = {os.sep, "/", *([os.altsep] if os.altsep else [])}
    return any(s in preset for s in seps) or preset.startswith((".", "~")) or os.path.isabs(preset)


def _local(name):
    for folder in zoo_dirs():
        if (folder / name / METADATA_FILE).is_file():
            return folder / name
    return None


def source_of(name):
    """Where a preset name resolves to, without downloading: a folder path or a URL/handle."""
    folder = _local(name)
    if folder is not None:
        return str(folder)
    if name in catalog():
        return catalog()[name]["source"]
    if name in ALIASES:
        return source_of(successor(name))
    preset_dir(name)  # raises the unknown-name error
    return None


def successor(name):
    """The preset that a retired name (`ALIASES`) now loads, with a FutureWarning.

    Args:
        name: a key of `ALIASES`.

    Returns:
        str, the successor's name.

    Example:
        >>> successor("das_pocus")  # doctest: +SKIP
        'das_pocus_k50'
    """
    new = ALIASES[name]
    warnings.warn(
        f"The preset name {name!r} is retired and will be removed in the next release; it now "
        f"loads {new!r}. Use that name (or the k = 25% preset beside it, see "
        "`das_keras.zoo.list_presets('das_*')`).",
        FutureWarning,
        stacklevel=3,
    )
    return new


def preset_dir(preset):
    """The local folder of a preset given by name, path, URL or hub handle.

    Args:
        preset: a name (see `list_presets`), a folder (`pathlib.Path`, or a string that looks
            like a path: "./mine", "runs/x/preset", "/abs/dir"), `https://...#sha256=<hex>`, or
            `hf://owner/repo[/subfolder]`.

    Returns:
        `pathlib.Path` of a folder that holds metadata.json (downloads go to a cache).

    Raises:
        PresetError: unknown name (naming close names and `$DAS_KERAS_ZOO`), a path that is no
            preset folder, or a failed download.

    Example:
        >>> preset_dir("das_synthetic").name  # doctest: +SKIP
        'das_synthetic'
    """
    if isinstance(preset, os.PathLike):
        return _checked_folder(Path(preset))
    if not isinstance(preset, str) or not preset:
        raise PresetError(
            f"`preset` must be a name, a folder, a URL or an hf:// handle; received {preset!r}."
        )
    if remote.is_remote(preset):
        return _checked_folder(remote.fetch(preset))
    if looks_like_path(preset):
        return _checked_folder(Path(preset).expanduser())
    folder = _local(preset)
    if folder is not None:
        return folder
    if preset in catalog():
        return _from_catalog(preset)
    if preset in ALIASES:
        return preset_dir(successor(preset))
    raise PresetError(_unknown_name_message(preset))


def _checked_folder(folder):
    if not (folder / METADATA_FILE).is_file():
        raise PresetError(f"{folder} is not a preset folder: it holds no {METADATA_FILE}.")
    return folder


def _from_catalog(name):
    entry = catalog()[name]
    try:
        folder = remote.fetch(entry["source"])
    except PresetError as error:
        raise PresetError(
            f"Preset {name!r} ({entry['metadata'].get('license')}) is not shipped with the "
            f"package; it loads from {entry['source']}, which failed: {error} Alternatively put "
            "a folder holding it (e.g. a das-keras checkout's zoo/) in $DAS_KERAS_ZOO."
        ) from None
    if read_json(folder / MANIFEST_FILE) != entry["manifest"]:
        raise PresetError(
            f"Preset {name!r} from {entry['source']} differs from the one in das-keras's catalog "
            f"({MANIFEST_FILE} does not match {CATALOG_FILE})."
        )
    return folder


def _unknown_name_message(name):
    close = get_close_matches(name, list_presets(), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    here = f" To load the folder ./{name}, pass './{name}'." if Path(name).is_dir() else ""
    env = os.environ.get("DAS_KERAS_ZOO") or "unset"
    return (
        f"Unknown preset {name!r}: not a preset shipped with das-keras, nor in the folders of "
        f"$DAS_KERAS_ZOO ({env}), nor in the catalog.{hint}{here} "
        "`das_keras.zoo.list_presets()` lists them all; a preset folder elsewhere loads by its "
        "path, or by name once its parent folder is in $DAS_KERAS_ZOO."
    )
