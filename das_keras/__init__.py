"""das-keras: input-adaptive slice and frame subsampling for Keras 3 classifiers.

Importing the package is cheap: the layers, models and other modules load on first use
(`dk.DASLayer`, `dk.models`, ...), so that `das-keras --help` starts without Keras and
TensorFlow. `import das_keras` still registers the sampler and model layers with Keras for
`keras.models.load_model`: at once if Keras is already imported, else as soon as Keras is.
"""

import importlib as _importlib
import importlib.util as _importlib_util
import os as _os
import sys as _sys

_USER_TF_LOG_LEVEL = _os.environ.get("TF_CPP_MIN_LOG_LEVEL")  # the CLI raises ours to 3
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from das_keras.version import __version__  # noqa: E402

_LAYERS = (
    "ADPSLayer",
    "CenterSampler",
    "DASLayer",
    "DPSLayer",
    "FullSequence",
    "RandomSampler",
    "UniformSampler",
)
_MODULES = ("batch_norm", "calibration", "checks", "layers", "models", "runs", "zoo")
# Modules whose dependencies are optional extras: `dk.data` and `dk.training` need TensorFlow
# (tf.data; the layers and models run on any Keras backend without it), `dk.tuning`
# keras-tuner, `dk.export` tf2onnx, `dk.viz` matplotlib.
_LAZY_MODULES = ("data", "evaluation", "export", "training", "tuning", "viz")
_NEED_TENSORFLOW = ("data", "evaluation", "export", "training", "tuning")


def __getattr__(name):
    if name in _LAYERS:
        return getattr(_importlib.import_module("das_keras.layers"), name)
    if name in _MODULES:
        return _importlib.import_module(f"das_keras.{name}")
    if name in _LAZY_MODULES:
        try:
            return _importlib.import_module(f"das_keras.{name}")
        except ImportError as error:
            if name in _NEED_TENSORFLOW and "tensorflow" in str(error):
                raise ImportError(
                    f"das_keras.{name} needs TensorFlow ({error}). Install it with "
                    '`pip install "das-keras[cpu]"` (or `[gpu]`); the layers, models and zoo '
                    "work without it on the JAX and PyTorch backends."
                ) from error
            raise
    raise AttributeError(f"module 'das_keras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _register_layers(loaded):
    """Imports das_keras.models (and with it das_keras.layers): their classes register with Keras.

    Called once Keras, or das_keras.layers, has been imported (`loaded`). Left to the import in
    progress when das_keras.models is being imported, or das_keras.layers (importing
    das_keras.models from inside it would be circular: it runs again once das_keras.layers is).
    """
    modules = _sys.modules
    if "das_keras.models" in modules or (loaded == "keras" and "das_keras.layers" in modules):
        return
    _importlib.import_module("das_keras.models")
    _importlib.import_module("das_keras.calibration")  # registers PriorCorrection


class _RegisterAfterImport:
    """A `sys.meta_path` finder: runs `_register_layers` after Keras or das_keras.layers loads."""

    WATCHED = ("keras", "das_keras.layers")

    def find_spec(self, fullname, path=None, target=None):
        if "das_keras.models" in _sys.modules:
            _sys.meta_path.remove(self)  # registered: nothing left to watch
            return None
        if fullname not in self.WATCHED:
            return None
        index = _sys.meta_path.index(self)
        _sys.meta_path.remove(self)
        try:
            spec = _importlib_util.find_spec(fullname)
        finally:
            _sys.meta_path.insert(index, self)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def exec_then_register(module):
                exec_module(module)
                _register_layers(fullname)

            spec.loader.exec_module = exec_then_register
        return spec


if "keras" in _sys.modules:
    _register_layers("keras")
elif not any(isinstance(finder, _RegisterAfterImport) for finder in _sys.meta_path):
    _sys.meta_path.insert(0, _RegisterAfterImport())


__all__ = [
    *_LAYERS,
    "__version__",
    "batch_norm",
    "calibration",
    "checks",
    "data",
    "evaluation",
    "export",
    "layers",
    "models",
    "runs",
    "training",
    "tuning",
    "viz",
    "zoo",
]
