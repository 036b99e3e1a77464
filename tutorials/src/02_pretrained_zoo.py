# %% [markdown]
# # Pretrained models from the das-keras zoo
#
# The zoo holds trained classifiers ("presets"), each a folder with three files:
#
# * `config.json`: the Keras model (sampler, backbone, head),
# * `model.weights.h5`: its weights,
# * `metadata.json`: the data set, the training recipe, the **test-set metrics** it
#   reached, the license of its training data and the SHA-256 of the weights file
#   (checked on every load).
#
# In this notebook you will list the presets, load one, check its test-set numbers
# yourself, see which slices it chooses and why, fine-tune it, and save the result as a
# preset of your own.

# %% [markdown]
# ## Install
#
# The first code cell says where das-keras comes from: `DAS_KERAS_SOURCE` is its name on
# the package index once it is published; until then set it to a git URL
# (`"git+https://github.com/<owner>/das-keras"`) or to the path of a wheel built with
# `make dist`. The cell after it installs das-keras with pip only when it cannot be
# imported (in a fresh Colab runtime, say), then checks that it imports, and stops with
# a clear message if it does not. Colab already has TensorFlow, so the `cpu` extra
# (which brings `tensorflow-cpu`) is added only where no TensorFlow is installed: two
# TensorFlow packages side by side break each other.

# %%
DAS_KERAS_SOURCE = "das-keras"

# %%
import importlib
import importlib.util
import pathlib
import subprocess
import sys

EXTRAS = []  # what this notebook needs beyond the core package
MODULES = ["das_keras"]


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
# ## What is in the zoo
#
# `dk.zoo.list_presets()` lists the presets that come with the package (those whose
# training data's license allows redistribution: the MedMNIST3D ones, CC BY 4.0, and the
# synthetic one), any in the folders of the environment variable `DAS_KERAS_ZOO`, and, in
# a checkout of the das-keras repository, those of its `zoo/` folder (the POCUS presets,
# non-commercial like their training clips). Nothing is cloned or downloaded.

# %%
presets = dk.zoo.list_presets()
print(f"{'preset':24s} {'data set':10s} {'sampler':7s} {'k':>3s} {'test AUC':>8s}")
for name in presets:
    meta = dk.zoo.load_metadata(name)
    auc = meta["test_metrics"].get("auc", float("nan"))
    k = meta.get("k", "-")
    print(f"{name:24s} {meta['dataset']:10s} {meta['sampler']:7s} {k:>3} {auc:8.3f}")
    print(f"{'':24s} license: {meta['license']}")

# %% [markdown]
# We use the VesselMNIST3D DAS preset that looks at a quarter of the slices (k = 7 of 28).
# Set `PRESET = "das_synthetic"` to follow the
# notebook with the one trained on the synthetic demo task instead (volumes of 32 slices
# in which only 2 consecutive slices, at a random depth, show the object that decides the
# label: a square or a cross).

# %%
PRESET = "das_vesselmnist3d_28_k25"
if PRESET not in presets:
    raise RuntimeError(f"{PRESET!r} is not among the installed presets {presets}")
meta = dk.zoo.load_metadata(PRESET)
print(PRESET, "-", meta["description"])
shown = ("dataset", "input_shape", "class_names", "sampler", "k", "split_sizes")
for key in (*shown, "test_metrics", "license"):
    print(f"  {key}: {meta[key]}")
recipe = ("backbone", "aggregation", "epochs_run", "learning_rate", "seed")
print("  recipe:", {key: meta["recipe"][key] for key in recipe})

# %% [markdown]
# ## Load it
#
# `dk.zoo.load` checks the weights' SHA-256 against `metadata.json`, builds the model
# and loads the weights. The result is an ordinary compiled `keras.Model`: call
# `predict`, `fit`, `save` or export it like any other.

# %%
model = dk.zoo.load(PRESET)
sampler = dk.models.sampler_of(model)
print(
    f"{model.name}: input {model.input_shape}, output {model.output_shape}, "
    f"{model.count_params():,} parameters"
)
print(f"sampler: {type(sampler).__name__} keeping k = {sampler.num_selected} slices")

# %% [markdown]
# ## Check its test-set numbers
#
# `dk.training.evaluate_run` loads the test split of the preset's data set (for
# MedMNIST3D sets from `DAS_KERAS_DATA` or by download) and computes balanced accuracy and
# AUC. They should match the `test_metrics` stored in the metadata.

# %%
before = dk.training.evaluate_run(model, meta["dataset"], "test")
print(f"test volumes: {before['num_samples']}")
for key in ("accuracy", "balanced_accuracy", "auc"):
    stored = meta["test_metrics"][key]
    print(f"{key:18s} now {before[key]:.4f}   in metadata.json {stored:.4f}")

# %% [markdown]
# ## Explain a prediction
#
# Which slices does the model look at? We take test volumes, pick one of the last class
# (aneurysm, or cross), and draw
#
# * `dk.viz.plot_slice_montage`: every slice, the chosen ones outlined in orange, and the
#   DAS attention over the slices beneath;
# * `dk.viz.compare_samplers`: the slices that DAS, a `UniformSampler` and a
#   `RandomSampler` with the same k would keep.
#
# For the synthetic task we also know where the object is (the data generator returns
# its depth): those slices carry a green tag.

# %%
splits = dk.training.load_splits(meta["dataset"], batch_size=32)
test_volumes, test_labels = (t.numpy() for t in next(iter(splits.test)))
i = int(np.flatnonzero(test_labels == meta["num_classes"] - 1)[0])
volume = test_volumes[i]
probability = model.predict(volume[None], verbose=0)[0]
print(
    f"test volume {i}: label {meta['class_names'][test_labels[i]]}, "
    f"predicted probabilities {[round(float(p), 3) for p in probability]}"
)

highlight = None
if meta["dataset"] == "synthetic":
    # the synthetic test split is generated from seed 2; "depth": the object's slice
    depth = int(dk.data.synthetic_arrays(256, seed=2)["depth"][i])
    highlight = [depth, depth + 1]
    print("the object is in slices", highlight)
dk.viz.plot_slice_montage(model, volume, highlight=highlight, highlight_label="object")

# %%
k = sampler.num_selected
dk.viz.compare_samplers(
    {
        f"{PRESET}": model,
        "uniform": dk.UniformSampler(k=k),
        "random": dk.RandomSampler(k=k, seed=0),
    },
    volume,
    thumbnails=3,
    highlight=highlight,
    highlight_label="object",
)

# %% [markdown]
# ## Fine-tune
#
# A preset is a starting point for your own data: continue training with a smaller
# learning rate (here 1e-4) on volumes of the same shape. For the demonstration we
# continue on the preset's own training split for a few steps, then evaluate again; with
# your data, replace `splits.train` and `splits.val` by your `tf.data` pipelines of
# (volume, label).
#
# The DAS presets end in a `PriorCorrection` layer (`meta["prior_correction"]`): their
# probabilities are calibrated to the class prior, so that thresholding them (MedMNIST's ACC)
# is meaningful. Train such a preset *without* class weights: the correction already plays
# their part (the loss becomes a logit-adjusted one).

# %%
STEPS = 2 if FAST else 20
model.compile(
    keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(
    splits.train.take(STEPS),
    validation_data=splits.val.take(1) if FAST else splits.val,
    epochs=1,
    class_weight=None if "prior_correction" in meta else splits.class_weight,
    verbose=2,
)
after = dk.training.evaluate_run(model, meta["dataset"], "test")
for key in ("balanced_accuracy", "auc"):
    print(f"{key:18s} before {before[key]:.4f}   after {STEPS} steps {after[key]:.4f}")

# %% [markdown]
# ## Save it as a preset of your own
#
# `dk.zoo.save` writes the three files; `metadata` needs at least the name, the data
# set, the input shape, the sampler, the test metrics and the license of the training
# data. Load it back by folder (or put the folder in `DAS_KERAS_ZOO` and load it by
# name).

# %%
mine = dk.zoo.save(
    model,
    "my_presets/finetuned",
    {
        "name": "finetuned",
        "description": f"{PRESET}, fine-tuned for {STEPS} steps",
        "dataset": meta["dataset"],
        "input_shape": meta["input_shape"],
        "class_names": meta["class_names"],
        "sampler": meta["sampler"],
        "k": k,
        "test_metrics": {key: after[key] for key in ("balanced_accuracy", "auc")},
        "license": meta["license"],
    },
)
print(sorted(os.listdir("my_presets/finetuned")))
print("weights sha256:", mine["weights_sha256"][:16], "...")
again = dk.zoo.load("my_presets/finetuned")
print(
    "same outputs after reloading:",
    np.allclose(
        again.predict(test_volumes, verbose=0),
        model.predict(test_volumes, verbose=0),
        atol=1e-6,
    ),
)

# %% [markdown]
# ## Next
#
# * From the command line: `das-keras zoo` lists the presets, `das-keras evaluate
#   --preset NAME` reproduces their test numbers, `das-keras explain --preset NAME ...`
#   draws the figures above, `das-keras export --preset NAME` writes ONNX (notebook 5).
# * Mind each preset's `license`: it follows the license of its training data.
