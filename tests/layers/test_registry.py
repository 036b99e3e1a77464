"""The sampler registry: a sampler defined here, in a test file, works everywhere by its name.

The class is defined inside a fixture (and unregistered after), so that the registry that other
tests see (`SAMPLERS`, the CLI's choices) is the package's own.
"""

import keras
import numpy as np
import pytest
from keras import ops

from das_keras.export import to_onnx
from das_keras.layers import (
    SAMPLERS,
    BaseSampler,
    DASLayer,
    UniformSampler,
    get_sampler,
    sampler_class,
    unregister_sampler,
)
from das_keras.layers import functional as F
from das_keras.models import build_classifier, sampler_of

NAME = "brightest_test"
SHAPE = (8, 16, 16, 1)


@pytest.fixture
def brightest():
    """A learned sampler: per slice its mean intensity plus a learned position bias."""

    class BrightestSlices(BaseSampler):
        """Keeps the k slices with the highest mean intensity plus a learned bias."""

        sampler_name = NAME
        draws_noise = True
        differentiable = True
        requires_float = True

        def build(self, input_shape):
            super().build(input_shape)
            self.bias = self.add_weight(name="bias", shape=(self.num_slices,), autocast=False)

        def _select(self, inputs, training):
            means = ops.mean(ops.cast(inputs, "float32"), axis=(2, 3, 4))
            logits = F.finite_logits(means + self.bias[None])
            if training:
                return F.gumbel_top_k(logits, self.num_selected, 1.0, self.seed_generator)
            _, indices = ops.top_k(logits, k=self.num_selected)
            return self._fixed_selection(indices, inputs)

    yield BrightestSlices
    unregister_sampler(NAME)


def _volumes(batch=4, seed=0):
    x = np.random.default_rng(seed).random((batch, *SHAPE)).astype("float32")
    x[:, 5] += 2.0  # slice 5 is the brightest in every volume
    return x


def test_a_subclass_with_a_name_registers_itself(brightest):
    assert SAMPLERS[NAME] is brightest and sampler_class(NAME) is brightest
    layer = get_sampler(NAME, k=3, seed=1)
    assert isinstance(layer, brightest) and isinstance(
        layer.seed_generator, keras.random.SeedGenerator
    )
    indices, _ = layer.select(_volumes(), training=False)
    assert 5 in np.asarray(indices)[0].tolist()
    assert (
        keras.saving.get_registered_object(keras.saving.get_registered_name(brightest)) is brightest
    )


def test_the_registry_forgets_it_again(brightest):
    unregister_sampler(NAME)
    assert NAME not in SAMPLERS
    with pytest.raises(ValueError, match=r"registered sampler, one of \['adps', 'center'"):
        get_sampler(NAME, k=3)
    before = dict(SAMPLERS)
    from das_keras.layers.registry import register_sampler

    register_sampler(brightest)  # for the fixture's teardown
    assert dict(SAMPLERS) == {**before, NAME: brightest}


def test_a_taken_name_is_refused(brightest):
    with pytest.raises(ValueError, match="Sampler name 'das' of .* is already taken by .*DASLayer"):

        class Impostor(BaseSampler):  # noqa: F841  (the class statement itself must fail)
            sampler_name = "das"

    assert SAMPLERS["das"] is DASLayer


def test_classes_declare_noise_and_k():
    assert [name for name, cls in sorted(SAMPLERS.items()) if cls.draws_noise] == [
        "adps",
        "das",
        "dps",
        "random",
    ]
    assert [name for name, cls in SAMPLERS.items() if cls.draws_at_inference] == ["random"]
    assert not hasattr(UniformSampler(2), "seed_generator")
    assert get_sampler("full", k=3).num_selected is None  # k ignored: it keeps all T


def test_build_classifier_fit_save_load_and_export(brightest, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = build_classifier(SHAPE, 2, sampler=NAME, k=3, backbone="small_cnn")
    assert isinstance(sampler_of(model), brightest)
    x, y = _volumes(), np.array([0, 1, 0, 1])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert isinstance(sampler_of(loaded), brightest)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)

    path = to_onnx(model, tmp_path / "model.onnx", return_indices=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    output, indices = session.run(["output", "indices"], {"inputs": x})
    np.testing.assert_allclose(output, expected, atol=1e-5)
    keras_indices, _ = sampler_of(model).select(x, training=False)
    np.testing.assert_array_equal(indices, np.asarray(keras_indices))
