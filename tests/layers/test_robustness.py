"""Samplers under mixed precision, NaN/Inf inputs, a batch of 0 and unknown frame sizes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from das_keras.layers import frame_descriptors, get_sampler
from das_keras.layers import functional as F
from das_keras.models import build_classifier

SAMPLERS = ("full", "uniform", "center", "random", "dps", "adps", "das")
T, K = 8, 3


def _sampler(name, seed=0):
    keras.utils.set_random_seed(seed)
    if name == "full":
        return get_sampler("full", k=T)
    return get_sampler(name, k=K, **({"seed": seed} if name in ("random", "dps", "adps") else {}))


def _check_indices(indices, batch, k):
    indices = np.asarray(indices)
    assert indices.shape == (batch, k)
    for row in indices.tolist():
        assert row == sorted(set(row)), f"indices not sorted and distinct: {indices.tolist()}"
        assert 0 <= row[0] and row[-1] < T


@pytest.fixture
def mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_mixed_float16_fit_gives_finite_losses(sampler, mixed_float16):
    # Before: dps/adps lost NaN (the -1e9 mask overflowed to -inf in float16); das raised a
    # dtype error (float32 prior_weights against float16 activations).
    # (eager steps: the same dtype rules as compiled ones, without minutes of tracing here)
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((8, T, 16, 16, 1)).astype("float32")
    y = np.array([0, 1] * 4)
    model = build_classifier((T, 16, 16, 1), 2, sampler=sampler, k=4, backbone="small_cnn")
    model.compile("adam", "sparse_categorical_crossentropy", run_eagerly=True)
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all(), history.history["loss"]
    probabilities = np.asarray(model(x, training=False), "float32")
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-2)
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_gumbel_top_k_runs_in_float32(dtype):
    logits = keras.ops.cast(np.linspace(-3, 3, 2 * T).reshape(2, T), dtype)
    indices, selection = F.gumbel_top_k(logits, 5, seed=keras.random.SeedGenerator(0))
    assert keras.backend.standardize_dtype(selection.dtype) == "float32"
    _check_indices(np.sort(np.asarray(indices), axis=1), 2, 5)
    assert np.isfinite(np.asarray(selection)).all()
    np.testing.assert_allclose(np.asarray(selection).sum(-1), 1.0, atol=1e-5)


def _volumes(kind):
    x = np.random.default_rng(1).random((2, T, 16, 16, 1)).astype("float32")
    if kind == "all_nan":
        x[:] = np.nan
    elif kind == "one_nan_pixel":
        x[0, 3, 5, 5, 0] = np.nan
    elif kind == "inf_slices":
        x[:, 2:5] = np.inf
    else:  # "-inf_and_nan"
        x[0] = -np.inf
        x[1] = np.nan
    return x


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kind", ["all_nan", "one_nan_pixel", "inf_slices", "-inf_and_nan"])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_non_finite_inputs_keep_the_index_contract(sampler, kind, training):
    # Before: ADPS (both modes) and DAS (training) returned [[0, 0, 0], [0, 0, 0]] for NaN input.
    layer = _sampler(sampler)
    k = T if sampler == "full" else K
    x = _volumes(kind)
    indices, selection = layer.select(x, training=training)
    _check_indices(indices, 2, k)
    # P's rows are one-hot at the indices in the forward pass
    np.testing.assert_allclose(
        np.asarray(selection), np.eye(T)[np.asarray(indices)], atol=1e-5, equal_nan=False
    )
    graph_select = tf.function(lambda v: layer.select(v, training=training)[0])
    _check_indices(graph_select(x), 2, k)


def test_nan_input_example_from_the_issue():
    indices, _ = get_sampler("adps", k=3).select(np.full((2, 8, 16, 16, 1), np.nan, "float32"))
    _check_indices(indices, 2, 3)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_batch_of_zero(sampler, training):
    # Before: ADPS failed in its LSTM cell, DAS with "Cannot compute the max of an empty tensor".
    layer = _sampler(sampler)
    k = T if sampler == "full" else K
    empty = np.zeros((0, T, 16, 16, 1), "float32")
    assert tuple(layer(empty, training=training).shape) == (0, k, 16, 16, 1)
    indices, selection = layer.select(empty, training=training)
    assert tuple(indices.shape) == (0, k) and tuple(selection.shape) == (0, k, T)
    # a graph with a dynamic batch axis fed an empty batch
    spec = tf.TensorSpec((None, T, 16, 16, 1), "float32")
    graph_call = tf.function(lambda v: layer(v, training=training), input_signature=[spec])
    assert tuple(graph_call(empty).shape) == (0, k, 16, 16, 1)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_unknown_height_and_width(sampler):
    # Before: DAS raised a TypeError about NoneType (the descriptors' pooling factor).
    inputs = keras.Input((T, None, None, 1))
    x = _sampler(sampler)(inputs)
    x = layers.Conv3D(4, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling3D()(x)
    model = keras.Model(inputs, layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", run_eagerly=True)
    rng = np.random.default_rng(0)
    history = model.fit(rng.random((2, T, 12, 20, 1)), np.array([0, 1]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # one graph for every frame size: H and W unknown while it is traced
    spec = tf.TensorSpec((None, T, None, None, 1), "float32")
    for training in (False, True):
        graph = tf.function(lambda v, t=training: model(v, training=t), input_signature=[spec])
        for height, width in [(16, 16), (12, 20), (40, 48)]:
            probabilities = graph(rng.random((2, T, height, width, 1)).astype("float32"))
            assert probabilities.shape == (2, 2) and np.isfinite(probabilities).all()


@pytest.mark.parametrize("height, width", [(16, 16), (12, 20), (40, 48), (33, 7)])
def test_descriptors_of_unknown_frame_size_match_the_static_ones(height, width):
    x = np.random.default_rng(2).random((2, T, height, width, 2)).astype("float32")
    static = frame_descriptors(x, scales=2 if min(height, width) >= 14 else 1, size=4)
    spec = tf.TensorSpec((None, T, None, None, 2), "float32")
    dynamic = tf.function(
        lambda v: frame_descriptors(v, scales=2 if min(height, width) >= 14 else 1, size=4),
        input_signature=[spec],
    )(x)
    np.testing.assert_allclose(np.asarray(dynamic), np.asarray(static), atol=1e-4)


def test_descriptors_of_non_finite_frames_are_finite():
    x = _volumes("inf_slices")
    x[1, 0] = np.nan
    assert np.isfinite(np.asarray(frame_descriptors(x, scales=2, size=8))).all()
