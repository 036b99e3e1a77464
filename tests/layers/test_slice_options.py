"""The options of issue 19: 2.5D context for every sampler, DAS's learned position term, and
multi-axis selection; each keeps the sampler contract, round-trips, trains and exports."""

import keras
import numpy as np
import pytest

from das_keras import export
from das_keras.layers import SAMPLERS, DASLayer, get_sampler
from das_keras.layers import functional as F
from das_keras.layers import gather as gather_module
from das_keras.layers.das_layer import central_window_prior
from das_keras.models import build_classifier, sampler_of, samplers_of

T, HW, K, B = 10, 12, 4, 3
NOISY = ("random", "dps", "adps", "das")


def volumes(seed=0, batch=B, shape=(T, HW, HW, 1)):
    return np.random.default_rng(seed).random((batch, *shape)).astype("float32")


def sampler(name, context=1, **kwargs):
    if name in NOISY:
        kwargs["seed"] = 3
    return get_sampler(name, k=K, context=context, **kwargs)


def stacked_reference(x, indices, context):
    """Each chosen slice with its neighbours (edges repeated) as channels, in numpy."""
    offsets = np.arange(-context, context + 1)
    neighbours = np.clip(np.asarray(indices)[..., None] + offsets, 0, x.shape[1] - 1)
    rows = np.arange(x.shape[0])[:, None, None]
    slices = x[rows, neighbours]  # (B, k, 2c + 1, H, W, C)
    return np.concatenate([slices[:, :, o] for o in range(2 * context + 1)], axis=-1)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("training", [False, True])
def test_context_keeps_the_contract(name, training):
    layer, x = sampler(name, context=1), volumes()
    indices, P = layer.select(x, training=training)
    indices, P = np.asarray(indices), np.asarray(P)
    k = T if name == "full" else K
    assert np.all(np.diff(indices, axis=1) > 0), "indices must be ascending and distinct"
    np.testing.assert_allclose(P.max(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(P.argmax(-1), indices)
    out = np.asarray(layer(x, training=training))
    assert out.shape == (B, k, HW, HW, 3)
    # the middle channel block is a chosen slice itself; the others are its neighbours
    distances = np.abs(out[:, :, None, ..., 1] - x[:, None, ..., 0]).max(axis=(-2, -1))
    drawn = distances.argmin(-1)  # (B, k): which slice each output row holds
    assert np.all(distances.min(-1) < 1e-5)
    assert np.all(np.diff(drawn, axis=1) > 0), "rows must be distinct, in temporal order"
    np.testing.assert_allclose(out, stacked_reference(x, drawn, 1), atol=1e-5)
    if not training and name != "random":  # random draws anew on each call
        np.testing.assert_array_equal(drawn, indices)


def test_context_indices_repeat_the_edge_slices():
    neighbours = np.asarray(F.context_indices(np.array([[0, 4, 9]]), 10, 2))
    np.testing.assert_array_equal(
        neighbours[0], [[0, 0, 0, 1, 2], [2, 3, 4, 5, 6], [7, 8, 9, 9, 9]]
    )


@pytest.mark.parametrize("context", [-1, 1.5, True, "1"])
def test_bad_context_is_refused(context):
    with pytest.raises(ValueError, match="context"):
        get_sampler("uniform", k=2, context=context)


def test_inference_reads_only_the_slices_it_uses(monkeypatch):
    read = []
    gather = F.gather_slices

    def recording_gather(x, indices):
        read.append(tuple(indices.shape))
        return gather(x, indices)

    # gather_slices_with_context (das_keras.layers.gather) calls its module's gather_slices
    monkeypatch.setattr(gather_module, "gather_slices", recording_gather)
    layer = DASLayer(K, heads=2, hidden_units=8, context=1, learned_positions=True, seed=0)
    out = layer(volumes(), training=False)
    assert read == [(B, K * 3)], "inference must gather k (2c + 1) slices, not all T"
    assert tuple(out.shape) == (B, K, HW, HW, 3)


def test_position_prior_starts_as_the_central_window():
    np.testing.assert_allclose(central_window_prior(5, 2.0), [0.0, 1.5, 2.0, 1.5, 0.0])
    layer = DASLayer(
        K,
        heads=2,
        hidden_units=8,
        descriptor_prior=0.0,
        learned_positions=True,
        position_prior=50.0,
        seed=0,
    )
    indices, _ = layer.select(volumes(), training=False)
    np.testing.assert_array_equal(np.asarray(indices), [F.center_indices(T, K)] * B)


def test_position_term_learns_from_the_task():
    layer = DASLayer(K, heads=2, hidden_units=8, learned_positions=True, seed=0)
    x = volumes()
    layer(x)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = keras.ops.sum(layer(x, training=True) * np.linspace(0, 1, HW)[:, None])
    gradient = tape.gradient(loss, layer.position_logits)
    assert gradient is not None and float(np.abs(gradient).max()) > 0


def test_position_arguments_are_checked_and_serialized():
    with pytest.raises(ValueError, match="learned_positions"):
        DASLayer(K, learned_positions="yes")
    with pytest.raises(ValueError, match="position_prior"):
        DASLayer(K, position_prior=2.0)  # without learned_positions
    with pytest.raises(ValueError, match="position_prior"):
        DASLayer(K, learned_positions=True, position_prior=-1.0)
    config = DASLayer(K, learned_positions=True, position_prior=2.0, context=1).get_config()
    clone = DASLayer.from_config(config)
    assert (clone.learned_positions, clone.position_prior, clone.context) == (True, 2.0, 1)
    assert "learned_positions" not in DASLayer(K).get_config(), "old configs must stay identical"


def classifier(kind):
    if kind == "das_context_positions":
        return build_classifier(
            (T, HW, HW, 1),
            2,
            "das",
            k=K,
            backbone="small_cnn",
            aggregation="conv1d",
            context=1,
            sampler_kwargs={
                "seed": 0,
                "learned_positions": True,
                "position_prior": 4.0,
                "heads": 2,
            },
        )
    if kind == "center_context":
        return build_classifier((T, HW, HW, 1), 2, "center", k=K, backbone="small_cnn", context=1)
    shape = (HW, HW, HW, 1)
    return build_classifier(
        shape,
        2,
        "das",
        k=6,
        backbone="small_cnn",
        context=1,
        slice_axes=(1, 2, 3),
        sampler_kwargs={"seed": 0, "learned_positions": True},
    )


KINDS = ["das_context_positions", "center_context", "multi_axis_das"]


def inputs_of(model, seed=0, batch=4):
    return volumes(seed, batch, model.input_shape[1:])


@pytest.mark.parametrize("kind", KINDS)
def test_options_train_round_trip_and_export(kind, tmp_path):
    keras.utils.set_random_seed(0)
    model = classifier(kind)
    x, y = inputs_of(model), np.array([0, 1, 0, 1])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    expected = np.asarray(model(x, training=False))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), expected, atol=1e-6)
    single_axis = kind != "multi_axis_das"
    onnx_path = export.to_onnx(model, tmp_path / "model.onnx", return_indices=single_axis)
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(outputs[0], expected, atol=1e-4)
    if single_axis:
        indices, _ = sampler_of(model).select(x, training=False)
        np.testing.assert_array_equal(outputs[1], np.asarray(indices))


def test_multi_axis_splits_k_and_shares_one_backbone():
    model = classifier("multi_axis_das")
    assert [s.num_selected for s in samplers_of(model)] == [2, 2, 2]
    assert [s.name for s in samplers_of(model)] == ["sampler", "sampler_axis2", "sampler_axis3"]
    assert model.get_layer("slices_all_axes").output.shape[1:] == (6, HW, HW, 3)
    backbones = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    assert len(backbones) == 1, "the three axes share one per-slice backbone"


def test_multi_axis_sees_each_axis():
    """A volume whose only structure lies along H reaches the H-axis sampler's slices."""
    model = build_classifier(
        (8, 8, 8, 1), 2, "center", k=6, backbone="small_cnn", slice_axes=(1, 2)
    )
    x = np.zeros((1, 8, 8, 8, 1), "float32")
    x[0, :, 4] = 1.0  # row 4 of every slice along T: slice 4 along H
    chosen = keras.Model(model.input, model.get_layer("slices_all_axes").output)(x)
    chosen = np.asarray(chosen)  # axis 1's central slices 2, 3, 4, then axis 2's
    assert chosen.shape == (1, 6, 8, 8, 1)
    np.testing.assert_array_equal(chosen[0].sum(axis=(1, 2, 3)), [8, 8, 8, 0, 0, 64])


@pytest.mark.parametrize("slice_axes", [(), (0,), (1, 1), (4,), "x"])
def test_bad_slice_axes_are_refused(slice_axes):
    with pytest.raises(ValueError, match="slice_axes"):
        build_classifier(
            (8, 8, 8, 1), 2, "center", k=4, backbone="small_cnn", slice_axes=slice_axes
        )


def test_multi_axis_needs_a_sampler_by_name():
    with pytest.raises(ValueError, match="one sampler per axis"):
        build_classifier(
            (8, 8, 8, 1), 2, get_sampler("center", k=4), backbone="small_cnn", slice_axes=(1, 2)
        )
