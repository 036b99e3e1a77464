"""Presets that live elsewhere: archives at a URL with their sha256, and Hugging Face Hub handles.

    https://host/path/preset.tar.gz#sha256=<64 hex>    (also http:// and file://; .zip works)
    hf://owner/repo            or   hf://owner/repo/subfolder

URL archives are downloaded once into a cache by `keras.utils.get_file`, which checks the sha256
(cache folder: `$DAS_KERAS_CACHE`, else Keras's, `~/.keras`, in `das_keras_presets/`). Hub
handles go through `huggingface_hub.snapshot_download` (the optional extra `das-keras[hub]`),
which keeps its own cache.
"""

import os
import re
import urllib.parse
from pathlib import Path

import keras

from das_keras.version import __version__
from das_keras.zoo.files import CHECKED_FILES, MANIFEST_FILE, METADATA_FILE, PresetError, verify

URL_SCHEMES = ("https://", "http://", "file://")
HUB_PREFIX = "hf://"
CACHE_SUBDIR = "das_keras_presets"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_remote(preset):
    """Whether a preset string is a URL or a hub handle (rather than a name or a path)."""
    return isinstance(preset, str) and preset.startswith((*URL_SCHEMES, HUB_PREFIX))


def fetch(preset):
    """The local folder of a URL or hub preset, downloaded (or taken from the cache) first."""
    if preset.startswith(HUB_PREFIX):
        return _from_hub(preset)
    return _from_url(preset)


def _from_url(url):
    address, _, fragment = url.partition("#")
    sha256 = fragment[len("sha256=") :].lower() if fragment.startswith("sha256=") else ""
    if not _SHA256.match(sha256):
        raise PresetError(
            f"Preset URL {url!r} needs the archive's sha256 as a fragment: "
            f"'{address}#sha256=<64 hex digits>' (get it with `sha256sum`)."
        )
    name = os.path.basename(urllib.parse.urlsplit(address).path) or "preset.tar.gz"
    cache_dir = os.environ.get("DAS_KERAS_CACHE") or None
    if cache_dir:  # get_file falls back to /tmp/.keras when the folder does not exist yet
        os.makedirs(cache_dir, exist_ok=True)
    try:
        extracted = keras.utils.get_file(
            fname=f"{sha256[:16]}-{name}",
            origin=address,
            file_hash=sha256,
            hash_algorithm="sha256",
            extract=True,
            cache_dir=cache_dir,
            cache_subdir=CACHE_SUBDIR,
        )
    except ValueError as error:  # get_file's "Incomplete or corrupted file detected"
        raise PresetError(f"Preset archive {address}: {error}") from None
    except Exception as error:  # get_file wraps URL errors into a bare Exception
        raise PresetError(f"Preset archive {address} could not be downloaded: {error}") from None
    return _preset_folder_in(Path(extracted), url)


def _preset_folder_in(root, source):
    """The folder holding metadata.json: the archive's root or its only preset subfolder."""
    if (root / METADATA_FILE).is_file():
        return root
    found = sorted(p.parent for p in root.rglob(METADATA_FILE))
    if len(found) != 1:
        raise PresetError(
            f"{source} holds {len(found)} preset folders (folders with {METADATA_FILE}); "
            "expected exactly one."
        )
    return found[0]


def parse_handle(handle):
    """Splits `hf://owner/repo[/subfolder]` into (repo_id, subfolder or None)."""
    parts = [p for p in handle[len(HUB_PREFIX) :].split("/") if p]
    if not handle.startswith(HUB_PREFIX) or len(parts) < 2:
        raise PresetError(
            f"Hub handle {handle!r} is not of the form 'hf://owner/repo[/subfolder]'."
        )
    return "/".join(parts[:2]), "/".join(parts[2:]) or None


def _import_hub():
    try:
        import huggingface_hub
    except ImportError:
        raise PresetError(
            "Hub presets (hf://...) need huggingface_hub: pip install 'das-keras[hub]'."
        ) from None
    return huggingface_hub


def _from_hub(handle):
    repo_id, subfolder = parse_handle(handle)
    hub = _import_hub()
    patterns = [*CHECKED_FILES, MANIFEST_FILE]
    if subfolder:
        patterns = [f"{subfolder}/{p}" for p in patterns]
    try:
        root = hub.snapshot_download(
            repo_id, allow_patterns=patterns, library_name="das-keras", library_version=__version__
        )
    except Exception as error:  # network, authentication, unknown repository
        raise PresetError(f"Hub preset {handle} could not be downloaded: {error}") from None
    folder = Path(root) / subfolder if subfolder else Path(root)
    if not (folder / METADATA_FILE).is_file():
        raise PresetError(f"Hub preset {handle} holds no {METADATA_FILE} (in {folder}).")
    return folder


def upload(folder, handle, token=None, private=None):
    """Publishes a verified preset folder to the Hugging Face Hub.

    Args:
        folder: a preset folder (its manifest is checked first).
        handle: `hf://owner/repo` or `hf://owner/repo/subfolder`; the repository is created if
            needed.
        token: Hub token; default huggingface_hub's own (`hf auth login` or `$HF_TOKEN`).
        private: create the repository as private (only when it does not exist yet).

    Returns:
        The handle, which `das_keras.zoo.load` then accepts.

    Example:
        >>> upload("das_keras/presets/das_synthetic", "hf://me/das_synthetic")  # doctest: +SKIP
    """
    verify(folder)
    repo_id, subfolder = parse_handle(handle)
    api = _import_hub().HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        path_in_repo=subfolder,
        allow_patterns=[*CHECKED_FILES, MANIFEST_FILE],
        commit_message=f"Upload das-keras preset {Path(folder).name}",
    )
    return handle
