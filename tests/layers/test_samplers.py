"""The interface every sampler shares (DESIGN.md, "Public API")."""

import keras
import numpy as np
import pytest
from keras import ops

from das_keras.layers import (
    ADPSLayer,
    CenterSampler,
    DASLayer,
    DPSLayer,
    FullSequence,
    RandomSampler,
    UniformSampler,
)

T, HW, K, B = 12, 16, 4, 3

FACTORIES = {
    "full": lambda: FullSequence(),
    "uniform": lambda: UniformSampler(K),
    "center": lambda: CenterSampler(K),
    "random": lambda: RandomSampler(K, seed=3),
    "dps": lambda: DPSLayer(K, seed=3),
    "adps": lambda: ADPSLayer(K, lstm_units=8, encoder_filters=(4,), seed=3),
    "das": lambda: DASLayer(K, heads=2, hidden_units=8, seed=3),
}
ALL = sorted(FACTORIES)
LEARNED = ["adps", "das", "dps"]


def volumes(seed=0, batch=B):
    return np.random.default_rng(seed).random((batch, T, HW, HW, 1)).astype("float32")


def expected_k(name):
    return T if name == "full" else K


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("training", [False, True])
def test_shapes_and_indices(name, training):
    layer, x = FACTORIES[name](), volumes()
    out = layer(x, training=training)
    indices, P = layer.select(x, training=training)
    indices, P = np.asarray(indices), np.asarray(P)
    k = expected_k(name)
    assert tuple(out.shape) == (B, k, HW, HW, 1)
    assert indices.shape == (B, k) and P.shape == (B, k, T)
    assert np.all(np.diff(indices, axis=1) > 0), "indices must be ascending and distinct"
    assert indices.min() >= 0 and indices.max() < T


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("training", [False, True])
def test_selection_matrix_is_one_hot_and_matches_output(name, training):
    layer, x = FACTORIES[name](), volumes()
    # one draw: same seed state for select() and for the output built from it
    indices, P = layer.select(x, training=training)
    P = np.asarray(P)
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(P.max(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(P.argmax(-1), np.asarray(indices))
    gathered = x[np.arange(B)[:, None], np.asarray(indices)]
    np.testing.assert_allclose(np.einsum("bkt,bthwc->bkhwc", P, x), gathered, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("training", [False, True])
def test_call_returns_the_selected_slices(name, training):
    x = volumes()
    a = FACTORIES[name]()
    a(x)
    b = type(a).from_config(a.get_config())
    b(x)  # built, and the same number of draws as `a` so far
    b.set_weights(a.get_weights())  # same weights and seed: same draws from here on
    out = np.asarray(a(x, training=training))
    indices, _ = b.select(x, training=training)
    np.testing.assert_allclose(out, x[np.arange(B)[:, None], np.asarray(indices)], atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_get_config_round_trip(name):
    layer = FACTORIES[name]()
    layer(volumes())
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def _model(name):
    inputs = keras.Input((T, HW, HW, 1))
    chosen = FACTORIES[name]()(inputs)
    pooled = keras.layers.GlobalAveragePooling3D()(chosen)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))


@pytest.mark.parametrize("name", ALL)
def test_keras_save_and_load_give_identical_outputs(name, tmp_path):
    model, x = _model(name), volumes()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.array([0, 1, 0]), epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    if name == "random":
        # the draw sequence restarts from the seed after loading, as for a new layer
        fresh = FACTORIES[name]()
        for _ in range(2):
            a, _ = fresh.select(x)
            b, _ = loaded.layers[1].select(x)
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        return
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)
    a, _ = model.layers[1].select(x)
    b, _ = loaded.layers[1].select(x)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("jit_compile", [False, True])
def test_trains_inside_model_fit(name, jit_compile):
    model, x = _model(name), volumes(batch=8)
    model.compile(
        keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", jit_compile=jit_compile
    )
    history = model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x, verbose=0).shape == (8, 2)


@pytest.mark.parametrize("name", ["das", "dps", "adps", "uniform", "center", "full"])
def test_inference_is_deterministic(name):
    layer, x = FACTORIES[name](), volumes()
    first = np.asarray(layer.select(x, training=False)[0])
    for _ in range(2):
        np.testing.assert_array_equal(np.asarray(layer.select(x, training=False)[0]), first)


@pytest.mark.parametrize("name", ["random", *LEARNED])
def test_random_draws_are_reproducible_under_a_seed(name):
    x = volumes()
    training = name != "random"
    draws = []
    for _ in range(2):
        keras.utils.set_random_seed(7)  # same initial weights for learned layers
        layer = FACTORIES[name]()
        draws.append([np.asarray(layer.select(x, training=training)[0]) for _ in range(3)])
    for a, b in zip(*draws):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(draws[0][0], d) for d in draws[0][1:]), "draws must differ"


def test_das_adapts_to_the_input_and_dps_does_not():
    x = volumes(batch=8)
    # a bright structure at a different depth in each input
    for i in range(8):
        x[i, i + 2, 4:12, 4:12] += 2.0
    das = DASLayer(K, seed=0)
    das_indices = np.asarray(das.select(x)[0])
    assert len({tuple(r) for r in das_indices}) > 1
    dps_indices = np.asarray(DPSLayer(K, seed=0).select(x)[0])
    assert len({tuple(r) for r in dps_indices}) == 1


def test_uniform_positions():
    indices = np.asarray(UniformSampler(4).select(ops.zeros((2, 28, 4, 4, 1)))[0])
    assert indices.tolist() == [[3, 10, 17, 24]] * 2


@pytest.mark.parametrize(
    "num_slices, k, expected",
    [(28, 7, list(range(10, 17))), (28, 14, list(range(7, 21))), (9, 4, [2, 3, 4, 5])],
)
def test_center_positions(num_slices, k, expected):
    indices = np.asarray(CenterSampler(k).select(ops.zeros((2, num_slices, 4, 4, 1)))[0])
    assert indices.tolist() == [expected] * 2


def test_fraction_k():
    assert UniformSampler(0.5)(volumes()).shape[1] == T // 2
