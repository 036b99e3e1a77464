"""A disk cache of decoded clips: one `.npy` file per clip and decode options.

Files are written atomically (a temporary file in the same folder, flushed to disk, then
`os.replace`), so a crash or a full disk never leaves a partial file under a cache name. A file
that cannot be read back (truncated, overwritten, another shape) is named in a
`ClipCacheWarning`, removed and rebuilt from the source clip.

Why not `joblib.Memory` (installed with scikit-learn): it stores pickles (loading a pickle from
a shared cache folder can run code, while `np.load(allow_pickle=False)` cannot); an unreadable
result is reported through `logging` (joblib 1.6 `MemorizedFunc._cached_call`), not as a warning,
and names the call's signature, not the file, so the rebuild could not be named in a
`ClipCacheWarning`; and its key hashes the arguments, not the clip's size and mtime, so an edited
clip would still need the key computed here. The file layout here is one flat folder of `.npy`
files.
"""

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from das_keras.data import clip_decode

_CACHE_VERSION = "1"  # bump when decoding changes, so stale .npy caches are not reused


class ClipCacheWarning(UserWarning):
    """A cache file was unreadable (and is rebuilt) or could not be written (the clip is used
    without caching it); the message names the file."""


def cache_path(path, num_frames, size, grayscale, cache_dir):
    """The cache file of one clip and decode options (it need not exist).

    The key covers the clip's resolved path, its size and modification time (of every frame
    for frame folders) and the decode options, so an edited clip gets a new file.

    Args:
        path: video file or frame folder.
        num_frames: T.
        size: (height, width).
        grayscale: bool.
        cache_dir: the cache folder.

    Returns:
        `pathlib.Path` `<cache_dir>/<sha1>.npy`.

    Raises:
        OSError: the clip cannot be listed or stat-ed.

    Example:
        >>> cache_path("a.mp4", 8, (32, 32), True, "cache").suffix  # doctest: +SKIP
        '.npy'
    """
    path = Path(path).resolve()
    files = clip_decode.frame_files(path) if path.is_dir() else [path]
    stats = [f.stat() for f in files]
    parts = [
        _CACHE_VERSION,
        str(path),
        str(len(stats)),
        str(sum(s.st_size for s in stats)),
        str(max((s.st_mtime_ns for s in stats), default=0)),
        f"{num_frames}x{size[0]}x{size[1]}x{'gray' if grayscale else 'rgb'}",
    ]
    digest = hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()
    return Path(cache_dir).expanduser() / f"{digest}.npy"


def decode_cached(path, num_frames, size, grayscale, cache_dir):
    """`decode_clip` through the disk cache (no cache when `cache_dir` is None).

    Args:
        path: video file or frame folder.
        num_frames: T.
        size: (height, width).
        grayscale: bool.
        cache_dir: cache folder (created when needed) or None.

    Returns:
        uint8 NumPy array, as `clip_decode.decode_clip`.

    Shapes:
        (T, height, width, 1 or 3).

    Raises:
        ClipDecodeError: the clip cannot be decoded (message names it).

    Example:
        >>> decode_cached("a.mp4", 8, (32, 32), True, "cache").shape  # doctest: +SKIP
        (8, 32, 32, 1)
    """
    if cache_dir is None:
        return clip_decode.decode_clip(path, num_frames, size, grayscale)
    try:
        cached = cache_path(path, num_frames, size, grayscale, cache_dir)
    except OSError as err:
        raise clip_decode.ClipDecodeError(f"Could not decode clip {path}: {err}") from err
    shape = (num_frames, *size, 1 if grayscale else 3)
    if cached.is_file():
        clip = _read(cached, shape, path)
        if clip is not None:
            return clip
    clip = clip_decode.decode_clip(path, num_frames, size, grayscale)
    _write(cached, clip)
    return clip


def _read(cached, shape, source):
    """The cached array, or None (after a warning and removing the file) when it is unusable."""
    try:
        clip = np.load(cached, allow_pickle=False)
        if clip.shape != shape or clip.dtype != np.uint8:
            raise ValueError(f"holds {clip.dtype} {clip.shape}, expected uint8 {shape}")
    except (OSError, ValueError, EOFError) as err:
        warnings.warn(
            f"Unreadable clip cache file {cached} ({type(err).__name__}: {err}); rebuilding it "
            f"from {source}.",
            ClipCacheWarning,
            stacklevel=2,
        )
        cached.unlink(missing_ok=True)
        return None
    return clip


def _write(cached, clip):
    """Writes `clip` to `cached` atomically; a failed write only warns (the cache is optional)."""
    partial = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=cached.parent, prefix=cached.stem, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, clip, allow_pickle=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, cached)
    except OSError as err:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        warnings.warn(
            f"Could not write clip cache file {cached} ({type(err).__name__}: {err}); the clip "
            "is used without caching it.",
            ClipCacheWarning,
            stacklevel=2,
        )


__all__ = ["ClipCacheWarning", "cache_path", "decode_cached"]
