"""das-keras: input-adaptive slice and frame subsampling for Keras 3 classifiers."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from das_keras import data, layers, models, zoo  # noqa: E402
from das_keras.layers import (  # noqa: E402
    ADPSLayer,
    DASLayer,
    DPSLayer,
    FullSequence,
    RandomSampler,
    UniformSampler,
)
from das_keras.version import __version__  # noqa: E402

__all__ = [
    "ADPSLayer",
    "DASLayer",
    "DPSLayer",
    "FullSequence",
    "RandomSampler",
    "UniformSampler",
    "__version__",
    "data",
    "layers",
    "models",
    "zoo",
]
