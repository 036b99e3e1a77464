"""Precise BatchNorm statistics (das_keras.batch_norm) on small DAS models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from das_keras.batch_norm import PreciseBatchNorm, recalibrate_batch_norm
from das_keras.layers import BaseSampler
from das_keras.models import build_classifier, small_cnn

T, HW, K, BATCH = 8, 16, 3, 4


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = build_classifier(
        (T, HW, HW, 1),
        2,
        sampler="das",
        k=K,
        backbone=small_cnn((HW, HW, 1), filters=(4, 8)),
        sampler_kwargs={"heads": 2, "hidden_units": 8, "seed": seed},
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, T, HW, HW, 1)).astype("float32")
    x[: n // 2] *= 3.0  # classes differ in brightness, so training moves the weights
    return x, np.repeat([1, 0], n // 2)


def _precise_bn0_mean(model, x):
    """Mean over batches of bn0's batch mean, on the slices DAS chooses at inference."""
    backbone = model.get_layer("small_cnn")
    bn0_input = keras.Model(backbone.input, backbone.get_layer("bn0").input)
    means = []
    for start in range(0, len(x), BATCH):
        chosen = model.get_layer("sampler")(x[start : start + BATCH], training=False)
        features = bn0_input(np.reshape(chosen, (-1, HW, HW, 1)))
        means.append(np.mean(features, axis=(0, 1, 2)))
    return np.mean(means, axis=0)


def test_recalibration_gives_the_mean_batch_statistics_of_the_inference_choice():
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)  # moving averages now lag behind
    bn0 = model.get_layer("small_cnn").get_layer("bn0")
    expected = _precise_bn0_mean(model, x)
    assert not np.allclose(bn0.moving_mean, expected, atol=1e-3)
    momentum = bn0.momentum

    assert recalibrate_batch_norm(model, x, batch_size=BATCH) == len(x) // BATCH

    np.testing.assert_allclose(bn0.moving_mean, expected, atol=1e-5)
    assert bn0.momentum == momentum  # restored
    samplers = [layer for layer in model.layers if isinstance(layer, BaseSampler)]
    assert samplers and not any(s.inference_selection for s in samplers)
    # a dataset of (x, y) batches gives the same statistics
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    recalibrate_batch_norm(model, dataset)
    np.testing.assert_allclose(bn0.moving_mean, expected, atol=1e-5)


def test_callback_recalibrates_before_validation_and_at_the_end():
    model = _model()
    x, y = _data()
    calls = []

    class Counting(PreciseBatchNorm):
        def on_test_begin(self, logs=None):
            calls.append("validation")
            super().on_test_begin(logs)

    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=2,
        validation_data=_data(8, seed=1),
        callbacks=[Counting(x, num_batches=None, batch_size=BATCH)],
        verbose=0,
    )
    assert calls == ["validation", "validation"] and len(history.history["val_loss"]) == 2
    bn0 = model.get_layer("small_cnn").get_layer("bn0")
    np.testing.assert_allclose(bn0.moving_mean, _precise_bn0_mean(model, x), atol=1e-5)
    model.evaluate(x, y, verbose=0, callbacks=[Counting(x)])  # outside fit: nothing recomputed
    assert calls == ["validation"] * 3
    np.testing.assert_allclose(bn0.moving_mean, _precise_bn0_mean(model, x), atol=1e-5)


def test_model_without_batch_norm_is_left_alone():
    backbone = keras.Sequential(
        [keras.Input((HW, HW, 1)), keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()]
    )
    model = build_classifier((T, HW, HW, 1), 2, sampler="uniform", k=K, backbone=backbone)
    assert recalibrate_batch_norm(model, _data()[0]) == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_batches": 0}, ValueError, "num_batches=0"),
        ({"batch_size": 2.5}, ValueError, "batch_size=2.5"),
        ({"data": [1, 2]}, TypeError, "received list"),
        ({"data": np.zeros((0, T, HW, HW, 1), "float32")}, ValueError, "no batches"),
        (
            {"data": tf.data.Dataset.from_tensors(np.zeros((2, T, HW, HW, 1))).repeat()},
            ValueError,
            "infinite",
        ),
    ],
)
def test_bad_arguments_name_what_was_expected(kwargs, error, match):
    model = _model()
    arguments = {"data": _data()[0], **kwargs}
    with pytest.raises(error, match=match):
        recalibrate_batch_norm(model, **arguments)


def test_model_argument_and_callback_arguments_are_checked():
    with pytest.raises(TypeError, match="keras.Model"):
        recalibrate_batch_norm("model.keras", _data()[0])
    with pytest.raises(ValueError, match="num_batches=-1"):
        PreciseBatchNorm(_data()[0], num_batches=-1)
