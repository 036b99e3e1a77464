"""TensorFlow Datasets builders for MedMNIST3D ("medmnist3d") and BUSV ("busv").

Importing this package registers both builders with `tensorflow_datasets` (an optional dependency:
`pip install "das-keras[tfds]"`); importing `das_keras` alone never imports it. The builders read
the data through the same functions as `das_keras.data` (`load_medmnist3d_arrays`, which checks
the official MD5 of every file; `busv_videos` + `decode_clip`), so both routes give the same
arrays.

Example:
    >>> import tensorflow_datasets as tfds  # doctest: +SKIP
    >>> import das_keras.data.tfds_builders  # registers "medmnist3d" and "busv"  # doctest: +SKIP
    >>> ds = tfds.load("medmnist3d/vessel_28", split="train", as_supervised=True)  # doctest: +SKIP
    >>> ds = tfds.load(  # doctest: +SKIP
    ...     "busv/t16_64x64",
    ...     split="validation",
    ...     download_and_prepare_kwargs={
    ...         "download_config": tfds.download.DownloadConfig(manual_dir="/data/BUSV")
    ...     },
    ... )

Splits are "train", "validation" and "test" (MedMNIST3D; the official files call the second one
"val"), "train" and "validation" (BUSV: the published protocol has no separate test set).
"""

try:
    import tensorflow_datasets  # noqa: F401
except ImportError as err:  # the optional "tfds" extra is not installed
    raise ImportError(
        "das_keras.data.tfds_builders needs TensorFlow Datasets, which is an optional "
        'dependency: pip install "das-keras[tfds]" (or pip install tensorflow-datasets). '
        "The das_keras.data loaders (medmnist3d, busv) work without it. "
        f"Original error: {err}"
    ) from err
try:
    # tensorflow-datasets 4.9.x imports it when preparing any data set but does not declare it
    # on Python >= 3.9 (tensorflow/datasets#11212); the "tfds" extra installs it
    import importlib_resources  # noqa: F401
except ImportError as err:
    raise ImportError(
        "das_keras.data.tfds_builders needs importlib_resources, which tensorflow-datasets "
        "4.9.x uses without declaring it (tensorflow/datasets#11212): "
        'pip install "das-keras[tfds]" (or pip install importlib_resources). '
        f"Original error: {err}"
    ) from err

from das_keras.data.tfds_builders.busv import BusvBuilder, BusvConfig, busv_config
from das_keras.data.tfds_builders.medmnist3d import (
    Medmnist3dBuilder,
    Medmnist3dConfig,
    medmnist3d_config,
)

__all__ = [
    "BusvBuilder",
    "BusvConfig",
    "Medmnist3dBuilder",
    "Medmnist3dConfig",
    "busv_config",
    "medmnist3d_config",
]
