"""Data sources as `tf.data.Dataset`s of (volume or clip (T, H, W, C), label).

Note: `medmnist3d`, `video_folder`, `busv`, `pocus` and `synthetic` name both a function (exported
here) and its module; use `importlib.import_module("das_keras.data.medmnist3d")` for the module.
"""

from das_keras.data.busv import BUSV_CLASSES, busv, busv_videos
from das_keras.data.catalog import (
    DatasetSpec,
    DataSplits,
    class_weights,
    dataset_license,
    dataset_names,
    get_dataset,
    load_splits,
    register_dataset,
)
from das_keras.data.medmnist3d import (
    ChecksumError,
    load_medmnist3d_arrays,
    medmnist3d,
    medmnist3d_info,
    medmnist3d_path,
)
from das_keras.data.paths import DatasetNotFoundError, data_root
from das_keras.data.synthetic import synthetic, synthetic_arrays
from das_keras.data.video_folder import (
    POCUS_CLASSES,
    Clip,
    ClipCacheWarning,
    ClipDecodeError,
    ClipDecodeWarning,
    clip_dataset,
    decode_clip,
    pocus,
    pocus_clips,
    video_folder,
    video_folder_clips,
)

__all__ = [
    "BUSV_CLASSES",
    "POCUS_CLASSES",
    "ChecksumError",
    "Clip",
    "ClipCacheWarning",
    "ClipDecodeError",
    "ClipDecodeWarning",
    "DataSplits",
    "DatasetSpec",
    "DatasetNotFoundError",
    "busv",
    "busv_videos",
    "class_weights",
    "clip_dataset",
    "data_root",
    "dataset_license",
    "dataset_names",
    "decode_clip",
    "get_dataset",
    "load_medmnist3d_arrays",
    "load_splits",
    "medmnist3d",
    "medmnist3d_info",
    "medmnist3d_path",
    "pocus",
    "pocus_clips",
    "register_dataset",
    "synthetic",
    "synthetic_arrays",
    "video_folder",
    "video_folder_clips",
]
