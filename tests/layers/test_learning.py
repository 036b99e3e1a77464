"""Gradients reach the learned samplers through the straight-through estimator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from das_keras.layers import ADPSLayer, DASLayer, DPSLayer

T, HW, K = 12, 16, 4

LEARNED = {
    "dps": lambda: DPSLayer(K, seed=1),
    "adps": lambda: ADPSLayer(K, lstm_units=8, encoder_filters=(4, 8), seed=1),
    "das": lambda: DASLayer(K, heads=3, hidden_units=8, seed=1),
    "das_with_encoder": lambda: DASLayer(K, heads=2, hidden_units=8, frame_encoder_units=4, seed=1),
    "das_fixed_temperature": lambda: DASLayer(K, temperature="fixed", descriptor_scales=2, seed=1),
}


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((6, T, HW, HW, 1)).astype("float32"), rng.normal(size=(6, K, HW, HW, 1))


@pytest.mark.parametrize("name", sorted(LEARNED))
def test_finite_nonzero_gradient_reaches_every_weight(name):
    keras.utils.set_random_seed(0)
    layer = LEARNED[name]()
    x, target = _data()
    layer(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) * target)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert layer.trainable_weights
    for weight, grad in zip(layer.trainable_weights, grads):
        assert grad is not None, f"no gradient for {weight.path}"
        grad = np.asarray(grad)
        assert np.all(np.isfinite(grad)), weight.path
        assert np.abs(grad).max() > 0, f"zero gradient for {weight.path}"


@pytest.mark.parametrize("name", ["dps", "adps", "das"])
def test_optimizer_steps_change_the_selection_logits(name):
    keras.utils.set_random_seed(0)
    layer = LEARNED[name]()
    x, target = _data()
    layer(x)
    before = np.asarray(layer.selection_logits(x))
    optimizer = keras.optimizers.Adam(1e-2)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x, training=True) * target)
        optimizer.apply_gradients(
            zip(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights)
        )
    after = np.asarray(layer.selection_logits(x))
    assert np.abs(after - before).max() > 1e-3
