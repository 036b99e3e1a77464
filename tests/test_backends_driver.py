"""The layers on the JAX and PyTorch backends, each in its own subprocess.

Keras fixes its backend when it is first imported, so each backend runs in a new Python process:

- tests/backends/test_backends.py under KERAS_BACKEND=jax and KERAS_BACKEND=torch;
- `.weights.h5` files saved under TensorFlow load under JAX and PyTorch with the same outputs.

Each test skips, with the reason, where jax or torch is not installed.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

SUITE = Path(__file__).parent / "backends" / "test_backends.py"
OTHER_BACKENDS = ("jax", "torch")

# Saves trained weights and outputs (mode "save", TensorFlow) or loads them and writes this
# backend's outputs (mode "load"). RandomSampler is left out: its inference draws depend on each
# backend's random number generator.
WEIGHTS_SCRIPT = """
import os, sys
import numpy as np
import keras
from keras import ops
from das_keras.data import synthetic_arrays
from das_keras.models import build_classifier

mode, folder = sys.argv[1], sys.argv[2]
backend = keras.backend.backend()
inputs = np.random.default_rng(7).random((6, 8, 16, 16, 1)).astype("float32")
outputs = {}
for name in ("full", "uniform", "dps", "adps", "das"):
    model = build_classifier((8, 16, 16, 1), 2, sampler=name, k=4, backbone="small_cnn",
                             sampler_kwargs=None if name in ("full", "uniform") else {"seed": 0})
    path = os.path.join(folder, f"{name}.weights.h5")
    if mode == "save":
        data = synthetic_arrays(16, num_slices=8, size=16, structure_slices=3, seed=0)
        model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
        model.fit(data["x"], data["y"], batch_size=8, epochs=2, verbose=0)
        model.save_weights(path)
    else:
        model.load_weights(path)
    outputs[name] = ops.convert_to_numpy(model(inputs, training=False))
    indices, _ = model.get_layer("sampler").select(inputs, training=False)
    outputs[name + "_indices"] = ops.convert_to_numpy(indices)
np.savez(os.path.join(folder, f"outputs_{backend}.npz"), **outputs)
"""


def _require(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"{backend} is not installed (pip install -r requirements-lock.txt installs it); "
            f"the layers are not tested on the {backend} backend here"
        )


def _environment(backend, **extra):
    return {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
        **extra,
    }


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_layer_suite_on_backend(backend):
    _require(backend)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(SUITE)],
        cwd=SUITE.parents[2],
        env=_environment(backend, DAS_KERAS_BACKEND_SUITE="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{backend}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-2000:]


def test_weights_move_from_tensorflow_to_jax_and_torch(tmp_path):
    available = [b for b in OTHER_BACKENDS if importlib.util.find_spec(b) is not None]
    if not available:
        pytest.skip("neither jax nor torch is installed: nothing to move the weights to")
    script = tmp_path / "weights.py"
    script.write_text(textwrap.dedent(WEIGHTS_SCRIPT))

    def run(backend, mode):
        return subprocess.Popen(
            [sys.executable, str(script), mode, str(tmp_path)],
            env=_environment(backend),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(process, backend):
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{backend}: {stderr[-4000:]}"

    wait(run("tensorflow", "save"), "tensorflow")
    loaders = {backend: run(backend, "load") for backend in available}
    for backend, process in loaders.items():
        wait(process, backend)
    reference = np.load(tmp_path / "outputs_tensorflow.npz")
    for backend in available:
        outputs = np.load(tmp_path / f"outputs_{backend}.npz")
        for key in reference.files:
            if key.endswith("_indices"):
                np.testing.assert_array_equal(outputs[key], reference[key], err_msg=backend)
            else:
                np.testing.assert_allclose(
                    outputs[key], reference[key], atol=1e-5, err_msg=f"{backend} {key}"
                )


NO_TENSORFLOW_SCRIPT = """
import sys
for name in ("tensorflow", "tensorflow_datasets", "tf2onnx"):
    sys.modules[name] = None  # as if not installed: importing them raises ImportError
import numpy as np
import keras
import das_keras
from das_keras.models import build_classifier

model = build_classifier((8, 16, 16, 1), 2, sampler="das", k=4, backbone="small_cnn")
model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
x = np.random.default_rng(0).random((4, 8, 16, 16, 1)).astype("float32")
history = model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
assert np.isfinite(history.history["loss"][0])
try:
    das_keras.data
except ImportError as error:
    assert "das-keras[cpu]" in str(error), error
else:
    raise AssertionError("das_keras.data imported without TensorFlow")
print("trained on", keras.backend.backend())
"""


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_layers_and_models_work_without_tensorflow(backend, tmp_path):
    _require(backend)
    script = tmp_path / "no_tf.py"
    script.write_text(textwrap.dedent(NO_TENSORFLOW_SCRIPT))
    done = subprocess.run(
        [sys.executable, str(script)],
        env=_environment(backend),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{backend}: {done.stderr[-4000:]}"
    assert f"trained on {backend}" in done.stdout
