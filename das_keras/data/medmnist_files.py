"""Finding, downloading and verifying the official MedMNIST files.

Folders are searched in the order of `medmnist3d_search_folders`: the das_keras data folder, its
`medmnist3d/` subfolder, then `~/.medmnist` (where the `medmnist` package keeps its downloads).
Every read goes through `tf.io.gfile`, so a data folder may be a gs:// (or other TensorFlow file
system) URL; downloads go to local folders only.
"""

import hashlib
import threading
from pathlib import Path

import keras
import tensorflow as tf

from das_keras.data.paths import DatasetNotFoundError, data_location, is_url

# where the `medmnist` package downloads to (medmnist.info.DEFAULT_ROOT; medmnist has no setting
# or environment variable to move it); expanded when used, so HOME decides
MEDMNIST_ROOT = "~/.medmnist"


# (resolved path, mtime_ns, size) -> MD5 actually computed, so repeated loads skip rehashing
_VERIFIED_MD5 = {}
_VERIFIED_LOCK = threading.Lock()


class ChecksumError(ValueError):
    """A data file's MD5 differs from the official one (corrupt, truncated or another version)."""


def medmnist3d_search_folders(data_dir=None):
    """The folders searched for an official MedMNIST file, in the order they are searched.

    1. the data folder: `data_dir`, else `$DAS_KERAS_DATA`, else `~/.das_keras/datasets`;
    2. its `medmnist3d/` subfolder;
    3. `~/.medmnist` (`MEDMNIST_ROOT`), where the `medmnist` package keeps its downloads.

    Args:
        data_dir: data folder (a local path or a `tf.io.gfile` URL such as gs://...), or None.

    Returns:
        list of `pathlib.Path` (str for URLs).

    Example:
        >>> [str(f) for f in medmnist3d_search_folders("/data")][:2]
        ['/data', '/data/medmnist3d']
    """
    folder = data_location(data_dir)
    return [folder, _join(folder, "medmnist3d"), Path(MEDMNIST_ROOT).expanduser()]


def find_medmnist3d_file(filename, folders):
    """The first `folder/filename` that exists, or None (no MD5 check).

    Args:
        filename: official file name, e.g. "vesselmnist3d.npz".
        folders: folders in search order (paths or `tf.io.gfile` URLs).

    Returns:
        `pathlib.Path` (str for URLs) or None.

    Example:
        >>> find_medmnist3d_file("vesselmnist3d.npz", ["/nonexistent"]) is None
        True
    """
    for folder in folders:
        candidate = _join(folder, filename)
        if tf.io.gfile.exists(str(candidate)) and not tf.io.gfile.isdir(str(candidate)):
            return candidate
    return None


def verify_md5(path, expected, url=None):
    """Raises `ChecksumError` unless the file's MD5 is `expected`.

    Args:
        path: file to check.
        expected: lowercase hex MD5.
        url: where a good copy can be downloaded (for the message), optional.

    Returns:
        The actual MD5 (hex str), equal to `expected`.

    Example:
        >>> verify_md5("vesselmnist3d.npz", "b41fd4f7e7e2feedddb201585ecafa1b")  # doctest: +SKIP
        'b41fd4f7e7e2feedddb201585ecafa1b'
    """
    stat = tf.io.gfile.stat(str(path))
    key = (str(path) if is_url(path) else str(Path(path).resolve()), stat.mtime_nsec, stat.length)
    with _VERIFIED_LOCK:
        actual = _VERIFIED_MD5.get(key)
    if actual is None:
        actual = _md5(path)
        with _VERIFIED_LOCK:
            _VERIFIED_MD5[key] = actual
    if actual != expected.lower():
        source = f" or download the official file from {url}" if url else ""
        raise ChecksumError(
            f"MD5 mismatch for {path}: expected {expected}, got {actual}. The file is corrupt, "
            f"truncated or not the official release, so it was not used. Delete it{source}."
        )
    return actual


def _join(folder, *parts):
    return "/".join([folder, *parts]) if is_url(folder) else Path(folder, *parts)


def download_official(info, folders):
    """Downloads the official file into the first folder (a local one) with `keras.utils.get_file`.

    Args:
        info: `medmnist3d_info(...)` dict (filename, url, md5).
        folders: search folders; the file goes to `folders[0]`.

    Returns:
        `pathlib.Path` of the downloaded file (MD5-checked by `get_file`).

    Raises:
        DatasetNotFoundError: `folders[0]` is a URL, or the download failed (offline, HTTP error,
            wrong MD5); the message names the file, the folders, the URL and the MD5.

    Example:
        >>> download_official(medmnist3d_info("vessel"), ["~/data"])  # doctest: +SKIP
    """
    folder = folders[0]
    if is_url(folder):
        raise not_found(info, folders, f"downloads go to local folders only, not {folder}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fetched = keras.utils.get_file(
            info["filename"],
            origin=info["url"],
            md5_hash=info["md5"],
            cache_dir=str(folder),
            cache_subdir=".",
        )
    except Exception as err:  # offline, proxy, HTTP error, bad hash: all end the same way
        raise not_found(info, folders, f"download failed: {type(err).__name__}: {err}") from err
    return Path(fetched)


def not_found(info, folders, reason):
    """The `DatasetNotFoundError` naming the file, the folders searched, the URL and the MD5.

    Args:
        info: `medmnist3d_info(...)` dict.
        folders: the folders searched, in order.
        reason: why nothing was downloaded (str).

    Returns:
        `DatasetNotFoundError` (to raise).

    Example:
        >>> info = {"filename": "x.npz", "url": "https://h/x.npz", "md5": "0" * 32}
        >>> "x.npz" in str(not_found(info, ["/data"], "download=False"))
        True
    """
    searched = ", ".join(str(f) for f in folders)
    return DatasetNotFoundError(
        f"MedMNIST3D file {info['filename']!r} not found in {searched} ({reason}). Download it "
        f"from {info['url']} (MD5 {info['md5']}) and put it in {folders[0]}/ , or point "
        "`data_dir` or the DAS_KERAS_DATA environment variable to the folder that holds it."
    )


def _md5(path, chunk=1 << 20):
    digest = hashlib.md5(usedforsecurity=False)
    with tf.io.gfile.GFile(str(path), "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "MEDMNIST_ROOT",
    "ChecksumError",
    "download_official",
    "find_medmnist3d_file",
    "medmnist3d_search_folders",
    "not_found",
    "verify_md5",
]
