"""das-keras: input-adaptive slice and frame subsampling for Keras 3 classifiers."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from das_keras import batch_norm, data, layers, models, zoo  # noqa: E402
from das_keras.layers import (  # noqa: E402
    ADPSLayer,
    DASLayer,
    DPSLayer,
    FullSequence,
    RandomSampler,
    UniformSampler,
)
from das_keras.version import __version__  # noqa: E402

# Modules whose dependencies are optional extras load on first use: `dk.tuning` needs
# keras-tuner, `dk.export` tf2onnx, `dk.viz` matplotlib.
_LAZY_MODULES = ("evaluation", "export", "training", "tuning", "viz")


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"das_keras.{name}")
    raise AttributeError(f"module 'das_keras' has no attribute {name!r}")


__all__ = [
    "ADPSLayer",
    "DASLayer",
    "DPSLayer",
    "FullSequence",
    "RandomSampler",
    "UniformSampler",
    "__version__",
    "batch_norm",
    "data",
    "evaluation",
    "export",
    "layers",
    "models",
    "training",
    "tuning",
    "viz",
    "zoo",
]
