# %% [markdown]
# # Tuning DAS: heads, tau0 and k with keras-tuner
#
# Three settings of a `DASLayer` matter most:
#
# * **k**, how many of the T slices the classifier looks at (cost against information),
# * **heads**, the number of attention heads that score the slices,
# * **tau0**, the base temperature of the selection: low values make the training-time
#   selection close to a hard top-k, high values let it explore.
#
# `dk.tuning.DASHyperModel` turns them (and optionally the learning rate, the backbone
# width, the aggregation over slices, ...) into a keras-tuner search space, and
# `dk.tuning.make_tuner` wraps it in a `RandomSearch`, `BayesianOptimization` or
# `Hyperband` tuner. The objective is the validation AUC. Here we run a **tiny** search
# on VesselMNIST3D (a few trials of two epochs each) to show the mechanics; a useful
# search runs tens of trials for 15-30 epochs each (GPU recommended).

# %% [markdown]
# ## Install
#
# The first code cell says where das-keras comes from: `DAS_KERAS_SOURCE` is its name on
# the package index once it is published; until then set it to a git URL
# (`"git+https://github.com/<owner>/das-keras"`) or to the path of a wheel built with
# `make dist`. The cell after it installs das-keras with the extra this notebook needs
# (`tuning`: keras-tuner) with pip only when it cannot be imported (in a fresh Colab
# runtime, say), then checks that it imports, and stops with a clear message if it does
# not. Colab already has TensorFlow, so the `cpu` extra (which brings `tensorflow-cpu`)
# is added only where no TensorFlow is installed: two TensorFlow packages side by side
# break each other.

# %%
DAS_KERAS_SOURCE = "das-keras"

# %%
import importlib
import importlib.util
import pathlib
import subprocess
import sys

EXTRAS = ["tuning"]  # what this notebook needs beyond the core package
MODULES = ["das_keras", "keras_tuner"]


def requirement(source, extras):
    """The pip requirement for `source`, a name on the index, a URL or a wheel path."""
    if importlib.util.find_spec("tensorflow") is None:
        extras = ["cpu", *extras]
    name = "das-keras" + (f"[{','.join(extras)}]" if extras else "")
    if source.endswith(".whl"):
        source = pathlib.Path(source).resolve().as_uri()
    if "://" in source:
        return f"{name} @ {source}"
    return source.replace("das-keras", name, 1)  # a name, perhaps with a version


missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
if missing:
    REQUIREMENT = requirement(DAS_KERAS_SOURCE, EXTRAS)
    print(f"{', '.join(missing)} not found: pip install {REQUIREMENT}")
    try:
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "-q", REQUIREMENT]
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(
            f"pip could not install {REQUIREMENT!r} (its error is above). If das-keras "
            "is not on the package index, set DAS_KERAS_SOURCE in the first code cell "
            "to a git URL or a wheel path, and run the cells again."
        ) from error
    importlib.invalidate_caches()
try:
    for module in MODULES:
        importlib.import_module(module)
except ImportError as error:
    raise RuntimeError(
        f"{error}: das-keras and what this notebook needs are not importable. "
        "Install them (see DAS_KERAS_SOURCE in the first code cell) and restart the runtime."
    ) from error

# %%
import os
import warnings

import keras
import numpy as np
from IPython import get_ipython

import das_keras as dk

# DAS_KERAS_FAST=1 (set by the test suite) shrinks epochs and data to a smoke test.
FAST = os.environ.get("DAS_KERAS_FAST") == "1"
# Keras warns that fit(shuffle=True) is ignored for a tf.data.Dataset: our pipelines shuffle.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
keras.utils.set_random_seed(0)
get_ipython().run_line_magic("matplotlib", "inline")  # figures appear below the cells
backend = keras.backend.backend()
print(f"das-keras {dk.__version__}, Keras {keras.__version__}, backend {backend}")
print("fast mode (smoke test, numbers meaningless)" if FAST else "normal mode")

# %% [markdown]
# ## Data
#
# VesselMNIST3D as in notebook 1 (files from `DAS_KERAS_DATA` or downloaded). The search
# chooses on the **validation** split; the test split is used once, for the best model.

# %%
train_ds = dk.data.medmnist3d("vessel", "train", batch_size=32, augment=True, seed=0)
val_ds = dk.data.medmnist3d("vessel", "val", batch_size=64)
test_ds = dk.data.medmnist3d("vessel", "test", batch_size=64)
if FAST:
    train_ds, val_ds, test_ds = train_ds.take(2), val_ds.take(1), test_ds.take(1)
class_weight = dk.data.class_weights("vessel")

# %% [markdown]
# ## The search space
#
# A single value fixes a hyperparameter; a list is a choice; a `(low, high)` tuple is a
# log-uniform range (for the continuous ones). The constructor checks every range
# before any trial runs (e.g. k above T raises an error at once).

# %%
hypermodel = dk.tuning.DASHyperModel(
    input_shape=(28, 28, 28, 1),
    num_classes=2,
    heads=[1, 2, 4],
    tau0=(0.3, 3.0),
    k=[7, 14],
    seed=0,
)
print("tuned:", hypermodel.tuned_names, "- objective:", hypermodel.objective.name)

# %% [markdown]
# ## Run the search
#
# `make_tuner` puts the search in `directory/project_name`. With `overwrite=False` (the
# default) running the same search again continues it: finished trials are kept and an
# interrupted one runs again. Here `overwrite=True` starts afresh each time the notebook
# runs.

# %%
MAX_TRIALS = 2 if FAST else 3
EPOCHS = 1 if FAST else 2
tuner = dk.tuning.make_tuner(
    hypermodel,
    "random",
    directory="das_tune",
    project_name="vessel",
    max_trials=MAX_TRIALS,
    seed=0,
    overwrite=True,
)
tuner.search(
    train_ds,
    validation_data=val_ds,
    epochs=EPOCHS,
    class_weight=class_weight,
    verbose=2,
)

# %% [markdown]
# ## Results
#
# `dk.tuning.trial_summary` gives the best trial and any failures; the table lists all
# trials, best first, and the figure below shows them in the order they ran. Trials are
# numbered as keras-tuner prints them ("Trial #1" is the trial with id "0"). With two
# epochs per trial and a validation split of 191 volumes the ranking is noisy: it shows
# how to run a search, not which configuration is best.

# %%
summary = dk.tuning.trial_summary(tuner)
print(
    f"{summary['num_completed']} of {summary['num_trials']} trials completed; "
    f"objective {summary['objective']} ({summary['direction']})"
)
best = summary["best"]
print(f"best: trial #{int(best['trial_id']) + 1}, val AUC {best['score']:.3f}")
for name, value in best["hyperparameters"].items():
    fixed = "" if name in hypermodel.tuned_names else "  (fixed)"
    print(
        f"  {name:13s} {value:.3g}{fixed}"
        if isinstance(value, float)
        else f"  {name:13s} {value}{fixed}"
    )
if summary["failures"]:
    print("failures:", summary["failures"])

print()
print(f"{'trial':>5s} {'heads':>5s} {'tau0':>6s} {'k':>3s} {'val AUC':>8s}")
trials = sorted(
    tuner.oracle.trials.values(),
    key=lambda t: -1 if t.score is None else t.score,
    reverse=True,
)
for trial in trials:
    hp = trial.hyperparameters.values
    score = float("nan") if trial.score is None else trial.score
    row = f"{hp['heads']:5d} {hp['tau0']:6.2f} {hp['k']:3d} {score:8.3f}"
    print(f"{'#' + str(int(trial.trial_id) + 1):>5s} {row}")

# %%
import matplotlib.pyplot as plt

records = summary["trials"]  # the completed trials, in the order they ran
names = [
    f"#{int(r['trial_id']) + 1}\nheads {r['hyperparameters']['heads']}"
    f"\ntau0 {r['hyperparameters']['tau0']:.2f}\nk {r['hyperparameters']['k']}"
    for r in records
]
colors = [
    "#ff7f0e" if r["trial_id"] == best["trial_id"] else "#1f77b4" for r in records
]
fig, ax = plt.subplots(figsize=(7, 3.2))
bars = ax.bar(names, [r["score"] for r in records], color=colors)
ax.bar_label(bars, fmt="%.3f", fontsize=9)
ax.axhline(0.5, color="gray", ls="--", lw=1, label="chance (AUC 0.5)")
ax.set_ylim(0, 1.05)
ax.set_ylabel("validation AUC")
ax.set_title("Random search: validation AUC of each trial (best in orange)")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# ## The best model on the test split
#
# `tuner.get_best_models` reloads the best trial's model (with the weights it had at the
# end of its trial). A real workflow would now retrain the best configuration for more
# epochs (`tuner.hypermodel.build(best_hp)` and `fit`) before testing.

# %%
# the reloaded model is for inference: Keras warns that its optimizer state is not
warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
best_hp = tuner.get_best_hyperparameters(1)[0]
best_model = tuner.get_best_models(1)[0]
test_volumes = np.concatenate([x.numpy() for x, _ in test_ds])
test_labels = np.concatenate([y.numpy() for _, y in test_ds])
probabilities = best_model.predict(test_volumes, batch_size=64, verbose=0)
metrics = dk.evaluation.classification_metrics(test_labels, probabilities)
print(
    f"best configuration: heads {best_hp.get('heads')}, "
    f"tau0 {best_hp.get('tau0'):.2f}, k {best_hp.get('k')}"
)
print(
    f"test balanced accuracy {metrics['balanced_accuracy']:.3f}, "
    f"AUC {metrics['auc']:.3f} ({metrics['num_samples']} volumes)"
)

# %% [markdown]
# ## Next
#
# * The same search from the command line, resumable, with the best model evaluated on
#   the test split and optionally saved as a zoo preset:
#   `das-keras tune --dataset vessel --tuner bayesian --trials 20 --epochs 15
#   --k 7,14 --heads 1,2,4 --tau0 0.3:3 --output runs/tune_vessel`.
# * Several machines or processes can share one search (keras-tuner's chief / worker
#   mode): see `help(dk.tuning)`.
