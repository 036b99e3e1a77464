"""Where data sets live on disk: one folder, chosen by argument, environment or default."""

import os
from pathlib import Path

ENV_VAR = "DAS_KERAS_DATA"
DEFAULT_DATA_DIR = Path("~/.das_keras/datasets")


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are not on disk (and could not be downloaded).

    The message says which file or folder is missing, where to obtain it and where to put it.
    """


def data_root(data_dir=None):
    """The folder that holds the data sets.

    The first of these that is set wins: the `data_dir` argument, the environment variable
    `DAS_KERAS_DATA`, then `~/.das_keras/datasets`. The folder is not created here.

    Args:
        data_dir: str, `os.PathLike` or None.

    Returns:
        `pathlib.Path`, with `~` expanded.

    Example:
        >>> str(data_root("/data/das"))
        '/data/das'
    """
    if data_dir is not None:
        if not isinstance(data_dir, str | os.PathLike) or str(data_dir) == "":
            raise ValueError(
                f"`data_dir` must be a non-empty path (str or os.PathLike) or None; "
                f"received data_dir={data_dir!r}."
            )
        return Path(data_dir).expanduser()
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return DEFAULT_DATA_DIR.expanduser()


def data_location(data_dir=None):
    """`data_root`, keeping a URL of a `tf.io.gfile` file system (gs://, s3://, ram://) as str.

    `pathlib.Path` would turn "gs://bucket/data" into "gs:/bucket/data"; readers that go through
    `tf.io.gfile` take the str.

    Args:
        data_dir: str, `os.PathLike` or None (then `$DAS_KERAS_DATA`, else the default).

    Returns:
        str for a URL, else `pathlib.Path` (as `data_root`).

    Example:
        >>> data_location("gs://bucket/data")
        'gs://bucket/data'
    """
    raw = data_dir if data_dir is not None else os.environ.get(ENV_VAR, "").strip()
    if is_url(raw):
        return str(raw).rstrip("/")
    return data_root(data_dir)


def is_url(path):
    """True for "scheme://..." strings (remote or in-memory file systems), False otherwise.

    Example:
        >>> is_url("gs://bucket/x.npz"), is_url("/data/x.npz")
        (True, False)
    """
    return isinstance(path, str) and "://" in path
