"""Deprecated: the names of this module moved in issue 18; they stay importable for one release.

- runs: `das_keras.runs` (`train_run`, `evaluate_run`, `predict_split`, `save_run_as_preset`,
  `weighted_validation`, `read_log`, `LR_SCHEDULES`);
- data sets: `das_keras.data.catalog` (`load_splits`, `DataSplits`, `DATASETS`,
  `MEDMNIST3D_SETS`, `DATASET_LICENSES`, `MEDMNIST3D_LICENSE`).

Example:
    >>> from das_keras.runs import train_run  # rather than das_keras.training  # doctest: +SKIP
"""

from das_keras.data.catalog import (
    DATASET_LICENSES,
    DATASETS,
    MEDMNIST3D_LICENSE,
    MEDMNIST3D_SETS,
    DataSplits,
    load_splits,
)
from das_keras.runs import (
    LR_SCHEDULES,
    evaluate_run,
    predict_split,
    read_log,
    save_run_as_preset,
    train_run,
    weighted_validation,
)

__all__ = [
    "DATASETS",
    "DATASET_LICENSES",
    "LR_SCHEDULES",
    "MEDMNIST3D_LICENSE",
    "MEDMNIST3D_SETS",
    "DataSplits",
    "evaluate_run",
    "load_splits",
    "predict_split",
    "read_log",
    "save_run_as_preset",
    "train_run",
    "weighted_validation",
]
