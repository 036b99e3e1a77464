"""The options of issue 19 on the JAX and PyTorch backends, one subprocess per backend.

Keras fixes its backend when it is first imported, so each backend runs the script below in a
new Python process: `context=1` on every sampler (the sampler contract: indices ascending and
distinct, P one-hot at them, the chosen slice in the middle channel block; DAS with the
learned position term), and two classifiers: multi-axis DAS (slice_axes=(1, 2, 3)) with
context and the position term, and center with context; each builds, runs forward, keeps the
contract in each of its samplers, takes one `model.fit` step and round-trips `.keras` with
identical inference outputs. The TensorFlow side of the same checks is
tests/layers/test_slice_options.py.
"""

import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import os, sys
import numpy as np
import keras
from keras import ops
from das_keras.layers import SAMPLERS, get_sampler
from das_keras.models import build_classifier, samplers_of

T, HW, K, B = 8, 8, 4, 4
NOISY = ("random", "dps", "adps", "das")
x = np.random.default_rng(0).random((B, T, HW, HW, 1)).astype("float32")
numpy = lambda t: np.asarray(ops.convert_to_numpy(t))


def check_selection(layer, inputs, training):
    indices, P = (numpy(t) for t in layer.select(inputs, training=training))
    k = layer.num_selected
    assert indices.shape == (len(inputs), k) and P.shape == (len(inputs), k, inputs.shape[1])
    assert (np.diff(indices, axis=1) > 0).all(), f"{layer.name}: not ascending: {indices}"
    np.testing.assert_allclose(P.max(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(P.argmax(-1), indices)
    return indices


DAS_OPTIONS = {"learned_positions": True, "position_prior": 4.0}
for name in sorted(SAMPLERS):
    options = {"seed": 3} if name in NOISY else {}
    layer = get_sampler(name, k=K, context=1, **options, **(DAS_OPTIONS if name == "das" else {}))
    for training in (False, True):
        indices = check_selection(layer, x, training)
        out = numpy(layer(x, training=training))
        assert out.shape == (B, layer.num_selected, HW, HW, 3), (name, out.shape)
        if not training and name != "random":  # the middle block is the chosen slice itself
            chosen = np.take_along_axis(x, indices[..., None, None, None], 1)
            np.testing.assert_allclose(out[..., 1:2], chosen, atol=1e-6, err_msg=name)

CLASSIFIERS = {  # DAS with all three options at once; a static sampler with context
    "multi_axis_das": dict(
        input_shape=(HW, HW, HW, 1), sampler="das", k=6, slice_axes=(1, 2, 3),
        sampler_kwargs={"seed": 0, **DAS_OPTIONS},
    ),
    "center_context": dict(input_shape=(T, HW, HW, 1), sampler="center", k=K),
}
folder = sys.argv[1]
for kind, kwargs in CLASSIFIERS.items():
    keras.utils.set_random_seed(0)
    model = build_classifier(num_classes=2, backbone="small_cnn", context=1, **kwargs)
    volumes = np.random.default_rng(1).random((B, *kwargs["input_shape"])).astype("float32")
    per_axis = [s.num_selected for s in samplers_of(model)]
    assert per_axis == ([2, 2, 2] if kind == "multi_axis_das" else [K]), (kind, per_axis)
    before = [numpy(v).copy() for v in model.trainable_variables]
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    history = model.fit(volumes, np.array([0, 1, 0, 1]), batch_size=B, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all(), (kind, history.history)
    assert any(not np.array_equal(b, numpy(v)) for b, v in zip(before, model.trainable_variables))
    outputs = numpy(model(volumes, training=False))
    assert outputs.shape == (B, 2) and np.isfinite(outputs).all()
    chosen = []
    for sampler, view in zip(samplers_of(model), (0, 2, 3)):
        # each axis's sampler sees the volume with that axis first (axis 1 as given)
        seen = volumes if view == 0 else np.moveaxis(volumes, view, 1)
        chosen.append(check_selection(sampler, seen, training=False))
    path = os.path.join(folder, kind + ".keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(numpy(loaded(volumes, training=False)), outputs, atol=1e-6)
    for sampler, view, indices in zip(samplers_of(loaded), (0, 2, 3), chosen):
        seen = volumes if view == 0 else np.moveaxis(volumes, view, 1)
        np.testing.assert_array_equal(check_selection(sampler, seen, False), indices)
print("options ok on", keras.backend.backend())
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_options_on_backend(backend, tmp_path):
    pytest.importorskip(
        backend,
        reason=f"{backend} is not installed (pip install -r requirements-lock.txt installs it); "
        f"the options are not tested on the {backend} backend here",
    )
    script = tmp_path / "options.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{backend}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert f"options ok on {backend}" in done.stdout, done.stdout[-2000:]
