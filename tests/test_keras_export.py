"""Keras's own `model.export` (ONNX and SavedModel) on a classifier with each sampler."""

import importlib

import keras
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")

from das_keras.models import build_classifier  # noqa: E402

descriptors_module = importlib.import_module("das_keras.layers.frame_descriptors")

SAMPLERS = ("full", "uniform", "center", "random", "dps", "adps", "das")
SHAPE = (8, 16, 16, 1)
ATOL = 1e-4


def _model(sampler):
    keras.utils.set_random_seed(0)
    kwargs = {"seed": 3} if sampler in ("random", "dps", "adps", "das") else None
    model = build_classifier(
        SHAPE, 2, sampler=sampler, k=4, backbone="small_cnn", sampler_kwargs=kwargs
    )
    model(np.zeros((1, *SHAPE), "float32"))
    return model


def _inputs(sampler):
    rng = np.random.default_rng(0)
    if sampler == "random":
        # a random draw cannot repeat Keras's: identical slices make the output independent of it
        return np.repeat(rng.random((3, 1, *SHAPE[1:])), SHAPE[0], axis=1).astype("float32")
    return rng.random((3, *SHAPE)).astype("float32")


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_keras_export_to_onnx_loads_in_onnxruntime_and_matches(sampler, tmp_path):
    # Before: DAS wrote a file with an XLA PartitionedCall, random one with
    # StatelessRandomUniformV2; ONNX Runtime refused both.
    model, x = _model(sampler), _inputs(sampler)
    path = str(tmp_path / "model.onnx")
    model.export(path, format="onnx", verbose=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(output, model(x, training=False), atol=ATOL)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_keras_export_to_saved_model_loads_and_matches(sampler, tmp_path):
    model, x = _model(sampler), _inputs(sampler)
    model.export(str(tmp_path / "saved"), format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "saved"))
    np.testing.assert_allclose(reloaded.serve(x).numpy(), model(x, training=False), atol=ATOL)


def test_fit_and_predict_keep_the_xla_descriptors_exports_do_not(tmp_path, monkeypatch):
    calls = []
    compiled = descriptors_module._xla_frame_descriptors

    def counting():
        calls.append(1)
        return compiled()

    monkeypatch.setattr(descriptors_module, "_xla_frame_descriptors", counting)
    model = _model("das")
    model.compile("adam", "sparse_categorical_crossentropy")
    x = _inputs("das")
    model.fit(x, np.array([0, 1, 0]), epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert len(calls) >= 2  # traced inside Keras's train and predict steps
    calls.clear()
    model.export(str(tmp_path / "model.onnx"), format="onnx", verbose=False)
    model.export(str(tmp_path / "saved"), format="tf_saved_model", verbose=False)
    assert not calls
