# %% [markdown]
# # Export to ONNX and run with ONNX Runtime
#
# ONNX is the common exchange format for deploying models outside Python/Keras (C++,
# C#, Java, JavaScript, mobile, many inference servers). `dk.export.to_onnx` writes a
# classifier's **inference** graph: the sampler takes its deterministic top-k and only
# the k chosen slices go through the backbone, so the deployed model does k/T of the
# backbone's work. With `return_indices=True` the file also outputs *which* slices it
# chose, for display or audit next to the prediction.
#
# In this notebook you will train a small DAS model on the synthetic demo task, export
# it, run it with ONNX Runtime, check that it agrees with Keras, and look at the chosen
# indices.

# %% [markdown]
# ## Install
#
# The first code cell says where das-keras comes from: `DAS_KERAS_SOURCE` is its name on
# the package index once it is published; until then set it to a git URL
# (`"git+https://github.com/<owner>/das-keras"`) or to the path of a wheel built with
# `make dist`. The cell after it installs das-keras with the extra this notebook needs
# (`export`: tf2onnx and ONNX Runtime) with pip only when it cannot be imported (in a
# fresh Colab runtime, say), then checks that it imports, and stops with a clear message
# if it does not. Colab already has TensorFlow, so the `cpu` extra (which brings
# `tensorflow-cpu`) is added only where no TensorFlow is installed: two TensorFlow
# packages side by side break each other.

# %%
DAS_KERAS_SOURCE = "das-keras"

# %%
import importlib
import importlib.util
import pathlib
import subprocess
import sys

EXTRAS = ["export"]  # what this notebook needs beyond the core package
MODULES = ["das_keras", "tf2onnx", "onnxruntime"]


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
# ## A model to export
#
# The synthetic task needs no download: volumes of 32 slices of 32 x 32 in which only 2
# consecutive slices, at a random depth, show the object that decides the label (a
# square or a cross). DAS keeps k = 8 of the 32 slices. `dk.data.synthetic_arrays`
# also returns the depth of the object, which lets us check the chosen slices later.

# %%
EPOCHS = 1 if FAST else 6
N_TRAIN, N_VAL, N_TEST = (64, 32, 64) if FAST else (768, 128, 256)
train_ds = dk.data.synthetic("train", num_samples=N_TRAIN, batch_size=32)
val_ds = dk.data.synthetic("val", num_samples=N_VAL, batch_size=64)
test = dk.data.synthetic_arrays(N_TEST, seed=2)  # the "test" split, with depths
x_test, y_test, depth = test["x"], test["y"], test["depth"]

model = dk.models.build_classifier(
    (32, 32, 32, 1),
    2,
    sampler="das",
    k=8,
    backbone="small_cnn",
    aggregation="max",
    sampler_kwargs={"seed": 0},
)
model.compile(
    keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
keras_probabilities = model.predict(x_test, verbose=0)
metrics = dk.evaluation.classification_metrics(y_test, keras_probabilities)
print(
    f"Keras, test: balanced accuracy {metrics['balanced_accuracy']:.3f}, "
    f"AUC {metrics['auc']:.3f}"
)

# %% [markdown]
# ## Export
#
# `to_onnx(model, path, opset=None, return_indices=False)` converts with tf2onnx
# (opsets 13-18; the default is 17) and returns the path. The batch dimension stays
# dynamic; T, H, W and C are fixed by the model. The graph's tensors are named `inputs`
# (B, T, H, W, C), `output` (B, classes) and, with `return_indices=True`, `indices`
# (B, k), int32, ascending. (tf2onnx names the dynamic batch dimension `unk__<n>`.)

# %%
import onnx

path = dk.export.to_onnx(model, "das_synthetic.onnx", return_indices=True)
proto = onnx.load(path)
print(
    f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, opset "
    f"{max(o.version for o in proto.opset_import if o.domain in ('', 'ai.onnx'))}"
)


def describe(value):
    tensor = value.type.tensor_type
    dims = [d.dim_param or d.dim_value for d in tensor.shape.dim]
    return f"{value.name} {dims} {onnx.TensorProto.DataType.Name(tensor.elem_type)}"


print("inputs: ", [describe(v) for v in proto.graph.input])
print("outputs:", [describe(v) for v in proto.graph.output])

# %% [markdown]
# ## Run it with ONNX Runtime
#
# ONNX Runtime needs neither TensorFlow nor das-keras: only the `.onnx` file and a float32
# array in [0, 1] of shape (B, 32, 32, 32, 1).

# %%
import onnxruntime as ort

session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
onnx_probabilities, onnx_indices = session.run(
    ["output", "indices"], {"inputs": x_test.astype("float32")}
)
print(
    "output",
    onnx_probabilities.shape,
    onnx_probabilities.dtype,
    "| indices",
    onnx_indices.shape,
    onnx_indices.dtype,
)

# %% [markdown]
# ## Compare with Keras
#
# The probabilities should agree to float precision, and the chosen slices exactly: the
# Keras sampler's `select` gives the indices on the Keras side.
# `dk.export.verify_onnx(model, path, inputs)` does the same comparison in one call.

# %%
keras_indices, _ = dk.models.sampler_of(model).select(x_test, training=False)
keras_indices = keras.ops.convert_to_numpy(keras_indices)
difference = np.abs(keras_probabilities - onnx_probabilities).max()
same_class = keras_probabilities.argmax(1) == onnx_probabilities.argmax(1)
same_indices = np.all(keras_indices == onnx_indices, axis=1)
print(f"max |Keras - ONNX| probability: {difference:.2e}")
print(f"same class:   {same_class.mean():.3f}")
print(f"same indices: {same_indices.mean():.3f}")

report = dk.export.verify_onnx(model, path, x_test[:64])
print("verify_onnx:", report)

# %% [markdown]
# ## The chosen slices
#
# For each test volume the file says which 8 slices it looked at. On the synthetic task
# we know where the object is (slices `depth` and `depth + 1`), so we can count how often
# at least one informative slice was among the chosen ones. A static sampler keeping 8
# evenly spaced slices of 32 catches one of the 2 informative slices in about half of
# the volumes.

# %%
import matplotlib.pyplot as plt

for n in range(5):
    print(
        f"volume {n}: object in slices {depth[n]}-{depth[n] + 1}, "
        f"ONNX chose {onnx_indices[n].tolist()}"
    )

hit = np.array([bool({d, d + 1} & set(row)) for d, row in zip(depth, onnx_indices)])
uniform = np.linspace(0, 31, 8).round().astype(int)  # evenly spaced, for comparison
uniform_hit = np.array([bool({d, d + 1} & set(uniform)) for d in depth])
print(
    f"an informative slice was chosen for {hit.mean():.0%} of the test volumes "
    f"(evenly spaced slices: {uniform_hit.mean():.0%})"
)

n = 40
fig, ax = plt.subplots(figsize=(9, 3.2))
ax.scatter(
    np.repeat(np.arange(n), 8),
    onnx_indices[:n].ravel(),
    s=10,
    c="#ff7f0e",
    label="chosen slices (ONNX)",
)
ax.scatter(
    np.arange(n),
    depth[:n] + 0.5,
    marker="_",
    s=120,
    c="#2ca02c",
    label="object (slices depth, depth + 1)",
)
ax.set_xlabel("test volume")
ax.set_ylabel("slice index")
ax.set_title("Slices chosen by the exported model, per input")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
plt.show()

# %% [markdown]
# ## Speed
#
# A rough look at inference time on this machine, both on the test volumes in
# batches of 32 (median of a few runs). Shared or busy machines make such numbers
# noisy; the project's benchmark (`benchmarks/`) measures them properly.

# %%
import time


def median_seconds(run, repeats=1 if FAST else 5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


batches = [x_test[i : i + 32] for i in range(0, len(x_test), 32)]
keras_time = median_seconds(lambda: [model(b, training=False) for b in batches])
onnx_time = median_seconds(
    lambda: [session.run(["output"], {"inputs": b}) for b in batches]
)
per_volume = 1000 / len(x_test)
print(f"Keras (TensorFlow, eager calls): {keras_time * per_volume:.2f} ms per volume")
print(f"ONNX Runtime:                    {onnx_time * per_volume:.2f} ms per volume")

# %% [markdown]
# ## Next
#
# * From the command line: `das-keras export --model model.keras --output das.onnx
#   --indices --verify` (or `--preset NAME` for a zoo model).
# * `dk.export.to_saved_model` writes a TensorFlow SavedModel instead (TF Serving,
#   TFLite conversion).
