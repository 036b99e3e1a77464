# %% [markdown]
# # Quickstart: `model.fit` with a DASLayer on VesselMNIST3D
#
# A 3D scan is a stack of T two-dimensional slices. A slice classifier runs a 2D network
# on the slices and pools what it sees; the cheapest ones look at a fixed subset of the
# slices (every second one, say). **DAS** (*Deep Attention-guided Adaptive Subsampling*,
# Shankaranarayana et al., 2025) chooses instead, **for each scan**, which k of the T
# slices the 2D network looks at, from cheap per-slice descriptors (intensity variance,
# change between neighbouring slices, edge strength). The choice is learned end to end
# with the classifier.
#
# In this notebook you will
#
# 1. load **VesselMNIST3D** (28 x 28 x 28 MRA patches of brain vessels; label: healthy
#    vessel segment or aneurysm),
# 2. build a classifier with a `dk.DASLayer` that keeps k = 14 of the 28 slices,
# 3. train it with `model.fit`, weighting the rare aneurysm class,
# 4. measure balanced accuracy and AUC on the held-out test split,
# 5. look at which slices DAS chose, and save the model.
#
# A CPU runtime is enough: in normal mode the notebook takes a few minutes.

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

# %% [markdown]
# ## Setup
#
# `FAST` is for the project's test suite, which runs every tutorial with
# `DAS_KERAS_FAST=1`: one epoch on a few batches, only to check that the code runs. Leave
# it unset; with it, the numbers below mean nothing.

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
# ## The data
#
# VesselMNIST3D is one of the MedMNIST v3 3D sets (CC BY 4.0), derived from the IntrA
# data set of intracranial aneurysms: 1,908 volumes of 28^3 voxels with official
# train / validation / test splits. `dk.data.medmnist3d` reads the official `.npz` file
# and checks its MD5. It looks in the folder named by the environment variable
# `DAS_KERAS_DATA`, else in `~/.das_keras/datasets`, and downloads the file from Zenodo
# (about 25 MB) when it is not there, as in a fresh Colab runtime.
#
# Each element is a volume of shape (T, H, W, C) = (28, 28, 28, 1) with values in [0, 1]:
# the first axis is read as the slice sequence. The training split is augmented with
# random flips and 90-degree turns.

# %%
info = dk.data.medmnist3d_info("vessel")
print("classes:", info["label_names"])
print("volumes per split:", info["n_samples"])

train_ds = dk.data.medmnist3d("vessel", "train", batch_size=32, augment=True, seed=0)
val_ds = dk.data.medmnist3d("vessel", "val", batch_size=64)
test_ds = dk.data.medmnist3d("vessel", "test", batch_size=64)
if FAST:
    train_ds, val_ds, test_ds = train_ds.take(3), val_ds.take(1), test_ds.take(2)

volumes, labels = next(iter(train_ds))
print("one training batch:", volumes.shape, volumes.dtype, "labels", labels.shape)

# %% [markdown]
# Aneurysms are rare: about one training volume in nine. A model that always answers
# "healthy vessel" is right 89% of the time, so we (a) weight the loss by inverse class
# frequency (`class_weight`, scikit-learn's "balanced" rule) and (b) report **balanced
# accuracy** (the mean of the per-class recalls: 0.5 for any constant answer) and the
# **AUC** (area under the ROC curve) rather than plain accuracy.

# %%
_, train_labels = dk.data.load_medmnist3d_arrays("vessel", "train")
class_weight = dk.data.class_weights("vessel")
print("training volumes per class:", np.bincount(train_labels).tolist())
print("class weights:", {c: round(w, 3) for c, w in class_weight.items()})

# %% [markdown]
# ## The model
#
# The sampler sits in front of an ordinary per-slice 2D network:
#
# * `dk.DASLayer(k=14)` takes the volume (B, 28, 28, 28, 1) and returns the 14 slices it
#   chose, (B, 14, 28, 28, 1), in slice order. `heads` and `tau0` are the number of
#   attention heads and the base temperature of the selection (notebook 3 tunes them).
#   During training it draws the slices with Gumbel noise (so that it explores) and
#   passes gradients through a straight-through estimator; at inference it takes the
#   14 highest-scoring slices, deterministically.
# * `FoldSlices` moves the slices into the batch, so that `small_cnn` (three
#   Conv-BatchNorm-ReLU blocks) embeds all B x 14 slices in one call; `UnfoldSlices`
#   regroups them per volume, and the embeddings are averaged over the slices.
#
# We name the sampler layer `"sampler"`: the plotting helpers in `dk.viz` look for it.
# `dk.models.build_classifier((28, 28, 28, 1), 2, sampler="das", k=14,
# backbone="small_cnn")` builds the same kind of model in one call.

# %%
T, K = 28, 14
inputs = keras.Input((T, 28, 28, 1), name="volume")
slices = dk.DASLayer(k=K, heads=4, tau0=1.0, seed=0, name="sampler")(inputs)
x = dk.models.FoldSlices()(slices)  # (B * K, 28, 28, 1)
x = dk.models.small_cnn((28, 28, 1))(x)  # (B * K, 128)
x = dk.models.UnfoldSlices(K)(x)  # (B, K, 128)
x = keras.layers.GlobalAveragePooling1D()(x)  # (B, 128)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="das_quickstart")
print(
    f"{model.count_params():,} parameters, "
    f"of which the DAS sampler: {dk.models.sampler_of(model).count_params():,}"
)

# %% [markdown]
# ## Training
#
# Adam at 1e-3 with the class weights. The validation split chooses the epoch: the
# checkpoint keeps the weights of the epoch with the lowest validation loss, and they are
# loaded back after training. (The validation split is small, 191 volumes of which 22
# aneurysms, so its numbers jump from epoch to epoch.) `EPOCHS` is kept small so that
# the notebook runs in a few minutes on a CPU; train longer (30 epochs, say) for a
# better model.

# %%
EPOCHS = 1 if FAST else 6
model.compile(
    keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
)
checkpoint = keras.callbacks.ModelCheckpoint(
    "quickstart_best.weights.h5",
    monitor="val_loss",
    save_best_only=True,
    save_weights_only=True,
)
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=EPOCHS,
    class_weight=class_weight,
    callbacks=[checkpoint],
    verbose=2,
)
model.load_weights("quickstart_best.weights.h5")

# %%
dk.viz.plot_history(history, metrics=("loss", "accuracy"))

# %% [markdown]
# ## Test-set evaluation
#
# The test split is used once, here. `dk.evaluation.classification_metrics` computes the
# balanced accuracy (at the arg-max class) and the AUC of the aneurysm probability with
# scikit-learn. Only 43 of the 382 test volumes are aneurysms, so these numbers are
# uncertain: compare models over several training seeds, not one run.

# %%
from sklearn.metrics import confusion_matrix

test_volumes = np.concatenate([x.numpy() for x, _ in test_ds])
test_labels = np.concatenate([y.numpy() for _, y in test_ds])
probabilities = model.predict(test_volumes, batch_size=64, verbose=0)
metrics = dk.evaluation.classification_metrics(test_labels, probabilities)
print(f"test volumes: {metrics['num_samples']}")
print(f"balanced accuracy: {metrics['balanced_accuracy']:.3f}")
print(f"AUC:               {metrics['auc']:.3f}")
print("confusion matrix (rows: true vessel / aneurysm, columns: predicted):")
print(confusion_matrix(test_labels, probabilities.argmax(1), labels=[0, 1]))

# %% [markdown]
# A short run gives a modest model. The AUC measures how well the predicted
# probabilities rank aneurysms above healthy vessels at every threshold; the balanced
# accuracy uses the fixed threshold 0.5 (the arg-max), and stays near 0.5 when the
# chosen epoch rarely predicts "aneurysm" (see the confusion matrix). Longer training,
# a threshold chosen on the validation split, or 1D-convolution aggregation over the
# slices (`build_classifier(..., aggregation="conv1d")`) are the usual next steps.
#
# ## Which slices did DAS choose?
#
# `sampler.select(x)` returns the chosen slice indices (B, k), ascending, and the
# sampling matrix P (B, k, T). First, over the whole test split: how often each slice
# position was chosen, and how many different selections DAS made. A static sampler
# would make one selection for every volume.

# %%
import matplotlib.pyplot as plt

sampler = dk.models.sampler_of(model)
indices, _ = sampler.select(test_volumes, training=False)
indices = keras.ops.convert_to_numpy(indices)
distinct = len({tuple(row) for row in indices})
print(f"{distinct} different selections of {K} slices, {len(indices)} test volumes")

counts = np.bincount(indices.ravel(), minlength=T) / len(indices)
fig, ax = plt.subplots(figsize=(8, 2.8))
ax.bar(np.arange(T), counts, color="#ff7f0e")
ax.axhline(K / T, color="gray", ls="--", lw=1, label=f"k / T = {K / T:.2f}")
ax.set_xlabel("slice index t")
ax.set_ylabel("fraction of test volumes")
ax.set_title("How often DAS chose each slice (test split)")
ax.legend()
plt.show()

# %% [markdown]
# Then one test volume with an aneurysm: all 28 slices, the chosen ones outlined, and
# beneath them the DAS attention over the slices (for display, a softmax over T of the
# base attention the layer computes from the slice descriptors).

# %%
i = int(np.flatnonzero(test_labels == 1)[0])
print(
    f"test volume {i}: label {info['label_names'][test_labels[i]]}, "
    f"predicted aneurysm probability {probabilities[i, 1]:.2f}"
)
dk.viz.plot_slice_montage(model, test_volumes[i], max_columns=14)

# %% [markdown]
# Side by side with a static `UniformSampler` (every second slice) on the same volume:

# %%
dk.viz.compare_samplers(
    {"DAS (trained)": model, "uniform": dk.UniformSampler(k=K)},
    test_volumes[i],
    thumbnails=4,
)

# %% [markdown]
# ## Save and reload
#
# The model is an ordinary functional Keras model: `model.save` writes a `.keras` file,
# and `keras.models.load_model` reads it back once `das_keras` is imported (importing it
# registers the sampler layers). Inference is deterministic, so the reloaded model gives
# the same probabilities.

# %%
model.save("das_vessel_quickstart.keras")
reloaded = keras.models.load_model("das_vessel_quickstart.keras")
difference = np.abs(reloaded.predict(test_volumes[:16], verbose=0) - probabilities[:16])
print(f"largest difference after reloading: {difference.max():.2e}")

# %% [markdown]
# ## Next
#
# * Compare samplers: replace `dk.DASLayer(...)` with `dk.DPSLayer(k=K)`,
#   `dk.UniformSampler(k=K)` or `dk.RandomSampler(k=K)` and train again.
# * The command line does the whole run with resuming and logging:
#   `das-keras train --dataset vessel --sampler das --k 0.5 --output runs/vessel`.
# * Notebook 2 loads pretrained models, notebook 3 tunes heads, tau0 and k, notebook 4
#   works on ultrasound videos, notebook 5 exports to ONNX.
