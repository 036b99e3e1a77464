"""The sampler layers and build_classifier on the current Keras backend (JAX, PyTorch, TF).

Run by tests/test_backends_driver.py with KERAS_BACKEND=jax and KERAS_BACKEND=torch (see
conftest.py beside this file): forward pass and the shared interface, gradients through the
straight-through estimator, `fit` of a small-CNN classifier, `.keras` and `.weights.h5` round trips.
"""

import os

import keras
import numpy as np
import pytest
from keras import ops

from das_keras.data import synthetic_arrays
from das_keras.layers import SAMPLERS, get_sampler
from das_keras.layers import functional as F
from das_keras.models import build_classifier

BACKEND = keras.backend.backend()
LEARNED = ("dps", "adps", "das")
DETERMINISTIC_AT_INFERENCE = ("full", "uniform", "dps", "adps", "das")
# The variable each learned sampler chooses slices with: its gradient must not vanish.
SELECTION_VARIABLE = {"dps": "logits", "adps": "logits_head/kernel", "das": "prior_weights"}
T, SIZE, K = 8, 16, 4


def _sampler(name):
    if name == "full":
        return get_sampler("full")
    return get_sampler(name, k=K, **({} if name == "uniform" else {"seed": 0}))


def _classifier(name):
    return build_classifier(
        (T, SIZE, SIZE, 1),
        2,
        sampler=name,
        k=K,
        backbone="small_cnn",
        sampler_kwargs=None if name in ("full", "uniform") else {"seed": 0},
    )


def _inputs(n=4, seed=0):
    return np.random.default_rng(seed).random((n, T, SIZE, SIZE, 1)).astype("float32")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _gradients(layer, x, loss_fn):
    """Gradients of loss_fn(layer(x, training=True)) for each trainable variable, per backend."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn(layer(x, training=True))
        grads = tape.gradient(loss, layer.trainable_variables)
        return [
            np.zeros(v.shape) if g is None else g.numpy()
            for v, g in zip(layer.trainable_variables, grads)
        ]
    if BACKEND == "jax":
        import jax

        non_trainable = [v.value for v in layer.non_trainable_variables]

        def loss_of(trainable):
            outputs, _ = layer.stateless_call(trainable, non_trainable, x, training=True)
            return loss_fn(outputs)

        grads = jax.grad(loss_of)([v.value for v in layer.trainable_variables])
        return [np.asarray(g) for g in grads]
    if BACKEND == "torch":
        loss = loss_fn(layer(ops.convert_to_tensor(x), training=True))
        loss.backward()
        return [
            np.zeros(v.shape) if v.value.grad is None else v.value.grad.cpu().numpy()
            for v in layer.trainable_variables
        ]
    pytest.skip(f"no gradient helper for the {BACKEND} backend")


def test_runs_on_the_requested_backend():
    assert BACKEND == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_forward_and_interface(name):
    x = _inputs()
    layer = _sampler(name)
    k = T if name == "full" else K
    for training in (True, False):
        outputs = layer(x, training=training)
        assert tuple(outputs.shape) == (4, k, SIZE, SIZE, 1)
        indices, selection = layer.select(x, training=training)
        indices, selection = _numpy(indices), _numpy(selection)
        assert indices.shape == (4, k) and selection.shape == (4, k, T)
        assert (np.diff(indices, axis=1) > 0).all(), indices  # ascending and distinct
        np.testing.assert_allclose(selection.sum(-1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(selection.argmax(-1), indices)
        # The forward pass of the (straight-through) selection is the hard one.
        hard = _numpy(F.gather_slices(x, indices))
        np.testing.assert_allclose(_numpy(F.apply_selection(x, selection)), hard, atol=1e-6)
        np.testing.assert_allclose(hard, np.take_along_axis(x, indices[..., None, None, None], 1))


@pytest.mark.parametrize("name", LEARNED)
def test_gradients_reach_the_selection(name):
    x = _inputs()
    layer = _sampler(name)
    layer(x)  # build
    weights = ops.convert_to_tensor(np.random.default_rng(1).normal(size=(1, K, SIZE, SIZE, 1)))
    weights = ops.cast(weights, "float32")
    grads = _gradients(layer, x, lambda y: ops.mean(y * weights))
    assert len(grads) == len(layer.trainable_variables) > 0
    assert all(np.isfinite(g).all() for g in grads)
    by_path = {v.path: g for v, g in zip(layer.trainable_variables, grads)}
    selection = [g for path, g in by_path.items() if path.endswith(SELECTION_VARIABLE[name])]
    assert selection, sorted(by_path)
    assert np.abs(selection[0]).max() > 0, f"no gradient reached {SELECTION_VARIABLE[name]}"


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_fit_small_cnn_classifier(name):
    data = synthetic_arrays(8, num_slices=T, size=SIZE, structure_slices=3, noise=0.05, seed=0)
    model = _classifier(name)
    model.compile(
        keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    before = [_numpy(v).copy() for v in model.trainable_variables]
    history = model.fit(data["x"], data["y"], batch_size=4, epochs=2, verbose=0).history
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()
    changed = [not np.array_equal(b, _numpy(v)) for b, v in zip(before, model.trainable_variables)]
    assert all(changed), [v.path for v, c in zip(model.trainable_variables, changed) if not c]
    probabilities = model.predict(data["x"][:4], verbose=0)
    assert probabilities.shape == (4, 2)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", DETERMINISTIC_AT_INFERENCE)
def test_keras_and_weights_files_round_trip(name, tmp_path):
    x = _inputs(seed=2)
    model = _classifier(name)
    expected = _numpy(model(x, training=False))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(_numpy(loaded(x, training=False)), expected, atol=1e-6)
    model.save_weights(tmp_path / "model.weights.h5")
    fresh = _classifier(name)
    fresh.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(_numpy(fresh(x, training=False)), expected, atol=1e-6)
