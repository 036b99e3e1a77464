"""FrameDescriptors: what each descriptor measures, and pooling of large frames."""

import keras
import numpy as np
import pytest

from das_keras.layers import DASLayer, FrameDescriptors
from das_keras.layers.frame_descriptors import descriptor_pool_factor, frame_descriptors


def _block_mean(x, factor):
    b, t, h, w, c = x.shape
    return x.reshape(b, t, h // factor, factor, w // factor, factor, c).mean(axis=(3, 5))


def test_each_descriptor_ranks_the_frame_built_to_excite_it():
    rng = np.random.default_rng(0)
    x = np.full((1, 6, 16, 16, 1), 0.5, "float32")
    x[0, 2] = rng.random((16, 16, 1))  # high variance and edges
    raw = np.asarray(frame_descriptors(x, normalize=False))[0]  # (T, 4)
    variance, difference, sobel, laplacian = raw.T
    assert np.argmax(variance) == 2
    assert np.argmax(sobel[1:-1]) + 1 == 2  # interior frames: the zero padding adds a border edge
    assert np.argmax(laplacian[1:-1]) + 1 == 2
    assert difference[2] > 0 and difference[0] == 0  # frame 0 equals its neighbour
    assert np.argmax(difference) in (1, 2, 3)


@pytest.mark.parametrize(
    "size, height, factor",
    [(16, 28, 2), (16, 20, 1), (16, 32, 2), (16, 64, 4), (16, 112, 7), (None, 64, 1)],
)
def test_pool_factor(size, height, factor):
    assert descriptor_pool_factor(height, height, size) == factor


def test_pooled_descriptors_equal_the_descriptors_of_a_pooled_input():
    x = np.random.default_rng(1).random((2, 5, 32, 32, 3)).astype("float32")
    pooled = frame_descriptors(x, scales=2, size=8)  # factor 4
    reference = frame_descriptors(_block_mean(x, 4), scales=2)
    np.testing.assert_allclose(np.asarray(pooled), np.asarray(reference), atol=1e-4)


def test_scales_2_needs_room_after_pooling():
    with pytest.raises(ValueError, match="`scales=2`.*size=1"):
        FrameDescriptors(scales=2, size=1)(np.zeros((1, 4, 3, 3, 1), "float32"))


def test_das_layer_pools_by_default_and_keeps_the_option_in_its_config():
    layer = DASLayer(k=4, seed=0)
    assert layer.get_config()["descriptor_size"] == 16
    assert layer.descriptor_layer.size == 16
    restored = DASLayer.from_config({**layer.get_config(), "descriptor_size": None})
    x = keras.random.uniform((2, 8, 64, 64, 1), seed=3)
    assert restored.descriptor_layer.size is None
    assert tuple(restored(x).shape) == tuple(layer(x).shape) == (2, 4, 64, 64, 1)


def _xla_calls(concrete_function):
    """Names of the function calls in a traced graph that are marked for XLA compilation."""
    return [
        op.name
        for op in concrete_function.graph.get_operations()
        if "_XlaMustCompile" in op.node_def.attr and op.get_attr("_XlaMustCompile")
    ]


def test_keras_steps_compile_the_descriptors_with_xla_other_traces_and_exports_do_not():
    tf = pytest.importorskip("tensorflow")
    from das_keras.layers import plain_descriptor_ops
    from das_keras.layers.frame_descriptors import compiled_descriptor_ops

    x = np.random.default_rng(0).random((2, 8, 12, 12, 1)).astype("float32")
    layer = FrameDescriptors(scales=2)
    spec = tf.TensorSpec((None, 8, 12, 12, 1))

    def one_step_on_data(v):  # the name of Keras's predict/evaluate step function
        return layer(v)

    compiled = tf.function(one_step_on_data).get_concrete_function(spec)
    assert _xla_calls(compiled)  # one fused XLA function inside the traced graph
    np.testing.assert_allclose(compiled(x), layer(x), rtol=1e-4, atol=1e-4)  # eager: plain ops
    # any other trace (an export, a user's tf.function) gets plain ops, what converters read
    other = tf.function(lambda v: layer(v)).get_concrete_function(spec)
    assert not _xla_calls(other)
    with plain_descriptor_ops():
        plain = tf.function(one_step_on_data).get_concrete_function(spec)
    assert not _xla_calls(plain)
    np.testing.assert_allclose(other(x), compiled(x), rtol=1e-4, atol=1e-4)
    with compiled_descriptor_ops():  # the opt-in for one's own tf.function
        assert _xla_calls(tf.function(lambda v: layer(v)).get_concrete_function(spec))
    np.testing.assert_allclose(plain(x), compiled(x), rtol=1e-4, atol=1e-4)
