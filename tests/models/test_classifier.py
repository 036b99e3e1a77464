"""build_classifier and build_volume_cnn."""

import keras
import numpy as np
import pytest

from das_keras.models import build_classifier, build_volume_cnn, sampler_of

SHAPE = (12, 16, 16, 1)


def _x(batch=4, seed=0):
    return np.random.default_rng(seed).random((batch, *SHAPE)).astype("float32")


@pytest.mark.parametrize("sampler", ["das", "dps", "adps", "uniform", "random", "full"])
def test_small_cnn_classifier_sees_only_k_slices(sampler):
    model = build_classifier(SHAPE, 3, sampler=sampler, k=4, backbone="small_cnn")
    kept = 12 if sampler == "full" else 4
    assert model.get_layer("unfold_slices").num_selected == kept
    assert sampler_of(model).output.shape == (None, kept, 16, 16, 1)
    probabilities = model.predict(_x(), verbose=0)
    assert probabilities.shape == (4, 3)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("aggregation", ["mean", "max", "attention", "conv1d"])
def test_aggregations_train(aggregation):
    model = build_classifier(
        SHAPE, 2, sampler="das", k=4, backbone="small_cnn", aggregation=aggregation
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(_x(8), np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_mobilenet_classifier_resizes_without_resizing_layer_and_saves(tmp_path):
    model = build_classifier(SHAPE, 2, sampler="das", k=4, backbone="mobilenetv3small")
    types = {type(layer).__name__ for layer in model.layers}
    assert "Resizing" not in types and "TimeDistributed" not in types
    assert model.get_layer("resize").size == (32, 32)
    backbone = model.get_layer("mobilenetv3small")
    momenta = {
        layer.momentum
        for layer in backbone.get_layer("MobileNetV3Small").layers
        if isinstance(layer, keras.layers.BatchNormalization)
    }
    assert momenta == {0.9}
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(_x(4), np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    x = _x(3, seed=1)
    # called without `training`, BatchNorm must run in inference mode (STACK.md pitfall 2)
    np.testing.assert_allclose(np.asarray(model(x)), model.predict(x, verbose=0), atol=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_user_backbone_with_feature_map_output():
    inputs = keras.Input((16, 16, 1))
    backbone = keras.Model(inputs, keras.layers.Conv2D(8, 3)(inputs), name="mine")
    model = build_classifier(SHAPE, 2, sampler="uniform", k=3, backbone=backbone)
    assert model.predict(_x(), verbose=0).shape == (4, 2)


def test_volume_cnn_trains():
    model = build_volume_cnn(SHAPE, 2)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(_x(8), np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (16, 16, 1)}, "`input_shape`"),
        ({"num_classes": 1}, "`num_classes`"),
        ({"sampler": "best"}, "`sampler`"),
        ({"backbone": "resnet"}, "`backbone`"),
        ({"aggregation": "sum"}, "`aggregation`"),
        ({"k": 20}, "`k`"),
    ],
)
def test_bad_arguments(kwargs, argument):
    arguments = {"input_shape": SHAPE, "num_classes": 2, "backbone": "small_cnn", **kwargs}
    with pytest.raises(ValueError, match=argument):
        build_classifier(**arguments)


def test_mobilenet_rejects_small_slices_when_asked_not_to_resize():
    with pytest.raises(ValueError, match="at least 32x32"):
        build_classifier(SHAPE, 2, backbone="mobilenetv3small", image_size=(16, 16))


def test_unfold_slices_is_given_k_as_num_selected_and_reads_old_configs():
    from das_keras.models import UnfoldSlices

    layer = UnfoldSlices(num_selected=3)
    assert layer(np.zeros((6, 16), "float32")).shape == (2, 3, 16)
    assert layer.get_config()["num_selected"] == 3 and "num_slices" not in layer.get_config()
    old = {**layer.get_config(), "num_slices": 3}  # as saved before the rename (zoo configs)
    del old["num_selected"]
    assert UnfoldSlices.from_config(old).num_selected == 3
    with pytest.warns(DeprecationWarning, match="num_selected"):
        assert UnfoldSlices(num_slices=4).num_selected == 4
    with pytest.raises(ValueError, match="`num_selected` must be an int >= 1"):
        UnfoldSlices(num_selected=0)
