"""Runs: the recipe layer between the models and the entry points.

Everything that makes a trained model out of a data set lives here, once: the recipe (compile
settings, the cosine schedule, the callbacks: `recipe`), where training runs (`Placement`),
training (`train_run`) in a resumable run folder (`folder`), evaluation (`predict_split`,
`evaluate_run`), loading a model from a file, a run folder or a preset (`load_model`) and saving
a run as a preset (`save_run_as_preset`). `das-keras train`, `tune`, `demo`, `evaluate`,
`explain` and `export`, and the benchmarks, call these.

The names below load with their module on first use: `das_keras.runs.recipe` runs on any
Keras backend, while training and evaluation need TensorFlow (tf.data).

Example:
    >>> from das_keras import runs  # doctest: +SKIP
    >>> model, history = runs.train_run("runs/demo", "synthetic", epochs=2)  # doctest: +SKIP
    >>> runs.evaluate_run(model, "synthetic")["auc"]  # doctest: +SKIP
"""

import importlib as _importlib

_NAMES = {
    "LR_SCHEDULES": "recipe",
    "CosineSchedule": "recipe",
    "compile_model": "recipe",
    "recipe_callbacks": "recipe",
    "read_log": "folder",
    "read_config": "config",
    "check_or_write_config": "config",
    "Placement": "placement",
    "load_model": "loading",
    "model_source": "loading",
    "evaluate_run": "evaluation",
    "predict_split": "evaluation",
    "train_run": "training",
    "weighted_validation": "training",
    "preset_metadata": "presets",
    "save_run_as_preset": "presets",
}
_MODULES = (
    *("config", "evaluation", "folder", "loading"),
    *("placement", "presets", "recipe", "training"),
)


def __getattr__(name):
    if name in _NAMES:
        return getattr(_importlib.import_module(f"das_keras.runs.{_NAMES[name]}"), name)
    if name in _MODULES:
        return _importlib.import_module(f"das_keras.runs.{name}")
    raise AttributeError(f"module 'das_keras.runs' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = sorted(_NAMES)
