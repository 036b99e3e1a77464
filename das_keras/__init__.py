"""das-keras: input-adaptive slice and frame subsampling for Keras 3 classifiers."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from das_keras import batch_norm, layers, models, zoo  # noqa: E402
from das_keras.layers import (  # noqa: E402
    ADPSLayer,
    CenterSampler,
    DASLayer,
    DPSLayer,
    FullSequence,
    RandomSampler,
    UniformSampler,
)
from das_keras.version import __version__  # noqa: E402

# Modules whose dependencies are optional extras load on first use: `dk.data` and `dk.training`
# need TensorFlow (tf.data; the layers and models run on any Keras backend without it),
# `dk.tuning` keras-tuner, `dk.export` tf2onnx, `dk.viz` matplotlib.
_LAZY_MODULES = ("data", "evaluation", "export", "training", "tuning", "viz")


_NEED_TENSORFLOW = ("data", "evaluation", "export", "training", "tuning")


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib

        try:
            return importlib.import_module(f"das_keras.{name}")
        except ImportError as error:
            if name in _NEED_TENSORFLOW and "tensorflow" in str(error):
                raise ImportError(
                    f"das_keras.{name} needs TensorFlow ({error}). Install it with "
                    '`pip install "das-keras[cpu]"` (or `[gpu]`); the layers, models and zoo '
                    "work without it on the JAX and PyTorch backends."
                ) from error
            raise
    raise AttributeError(f"module 'das_keras' has no attribute {name!r}")


__all__ = [
    "ADPSLayer",
    "CenterSampler",
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
