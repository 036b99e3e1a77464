"""ONNX and SavedModel export (das_keras.export) and the `das-keras export` command."""

import argparse

import keras
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import tensorflow as tf

from das_keras import export
from das_keras.commands import export as export_command
from das_keras.data import load_medmnist3d_arrays
from das_keras.layers import get_sampler
from das_keras.models import build_classifier, build_volume_cnn

SAMPLERS = ("das", "dps", "adps", "uniform", "center", "random", "full")
BACKBONES = ("small_cnn", "mobilenetv3small")
SMALL_SHAPE = (12, 16, 16, 1)
VESSEL_SHAPE = (28, 28, 28, 1)
NUM_VESSEL_VOLUMES = 32
ATOL = 1e-4


def _random_inputs(batch, shape=SMALL_SHAPE, seed=0):
    return np.random.default_rng(seed).random((batch, *shape)).astype("float32")


def _build(sampler, backbone="small_cnn", shape=SMALL_SHAPE, k=5):
    keras.utils.set_random_seed(0)
    kwargs = {"seed": 7} if sampler in ("random", "dps", "adps", "das") else None
    return build_classifier(
        shape, 2, sampler=sampler, k=k, backbone=backbone, sampler_kwargs=kwargs
    )


def _calibrate_batchnorm(model, x, passes=5):
    # Untrained BatchNorm statistics (mean 0, variance 1) give near-constant outputs; a few
    # training-mode passes move them towards the data so that parity is tested on real activations.
    for _ in range(passes):
        model(x, training=True)


def _session(path):
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def small_das(tmp_path_factory):
    """A DAS model on (12, 16, 16, 1), first called with batch 1, exported with indices."""
    model = _build("das")
    model(_random_inputs(1), training=False)
    path = export.to_onnx(model, tmp_path_factory.mktemp("onnx") / "das.onnx", return_indices=True)
    return model, path


@pytest.fixture(scope="module")
def small_random(tmp_path_factory):
    model = _build("random")
    path = tmp_path_factory.mktemp("onnx") / "random.onnx"
    return model, export.to_onnx(model, path, return_indices=True)


@pytest.fixture
def vessel(shared_data):
    """The first VesselMNIST3D test volumes, scaled to [0, 1], with a channel axis."""
    images, _ = load_medmnist3d_arrays(
        "vessel", "test", data_dir=shared_data / "medmnist3d", download=False
    )
    return (images[:NUM_VESSEL_VOLUMES].astype("float32") / 255.0)[..., None]


@pytest.mark.shared_data
@pytest.mark.parametrize("backbone", BACKBONES)
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_onnx_matches_keras_on_vessel_volumes(sampler, backbone, vessel, tmp_path):
    model = _build(sampler, backbone, VESSEL_SHAPE, k=14)
    _calibrate_batchnorm(model, vessel)
    path = export.to_onnx(model, tmp_path / "model.onnx", return_indices=True)
    report = export.verify_onnx(model, path, vessel)
    outputs = export.run_onnx(path, vessel)
    kept = 28 if sampler == "full" else 14
    assert outputs["output"].shape == (NUM_VESSEL_VOLUMES, 2)
    assert outputs["indices"].shape == (NUM_VESSEL_VOLUMES, kept)
    assert report["exported_indices_valid"]
    if sampler == "random":
        # ONNX Runtime draws its own slices (RandomUniformLike): values cannot match Keras's.
        assert not report["deterministic"]
        np.testing.assert_allclose(outputs["output"].sum(-1), 1.0, atol=1e-5)
        return
    print(f"\nparity {sampler}/{backbone}: max abs diff {report['max_abs_diff']:.2e}")
    assert report["max_abs_diff"] <= ATOL
    assert report["index_agreement"] == 1.0
    assert report["class_agreement"] == 1.0


def test_exported_graph_is_the_inference_form(small_das):
    _, path = small_das
    op_types = {node.op_type for node in onnx.load(path).graph.node}
    assert "TopK" in op_types  # deterministic top-k
    assert "GatherND" in op_types or "GatherElements" in op_types  # gathers the k slices
    assert not op_types & {"Einsum", "RandomUniformLike", "RandomUniform", "RandomNormalLike"}


def test_onnx_file_has_named_outputs_and_metadata(small_das):
    _, path = small_das
    session = _session(path)
    assert [o.name for o in session.get_outputs()] == ["output", "indices"]
    assert session.get_inputs()[0].name == "inputs"
    properties = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert properties["sampler"] == "DASLayer" and properties["k"] == "5"


def test_model_called_with_batch_1_runs_in_onnx_with_batch_7(small_das):
    model, path = small_das
    assert not isinstance(_session(path).get_inputs()[0].shape[0], int)  # symbolic batch axis
    x = _random_inputs(7, seed=3)
    report = export.verify_onnx(model, path, x)
    assert report["num_samples"] == 7
    assert report["max_abs_diff"] <= ATOL and report["index_agreement"] == 1.0


def test_wrong_input_shape_raises_with_onnxruntime_message(small_das):
    model, path = small_das
    with pytest.raises(export.ExportedModelError) as info:
        export.verify_onnx(model, path, _random_inputs(2, shape=(10, 16, 16, 1)))
    message = str(info.value)
    assert "(2, 10, 16, 16, 1)" in message and "('B', 12, 16, 16, 1)" in message
    assert "ONNX Runtime said" in message and "Got invalid dimensions" in message


def test_saved_model_reloads_and_matches(tmp_path):
    model = _build("adps")
    directory = export.to_saved_model(model, tmp_path / "saved", return_indices=True)
    serve = tf.saved_model.load(directory).signatures["serving_default"]
    x = _random_inputs(5, seed=1)
    outputs = serve(inputs=tf.constant(x))
    indices, _ = model.get_layer("sampler").select(x, training=False)
    np.testing.assert_allclose(outputs["output"].numpy(), model(x, training=False), atol=1e-6)
    np.testing.assert_array_equal(outputs["indices"].numpy(), keras.ops.convert_to_numpy(indices))
    assert export.verify_saved_model(model, directory, x)["max_abs_diff"] <= ATOL


def test_random_sampler_onnx_draws_fresh_valid_slices(small_random):
    _, path = small_random
    session = _session(path)
    x = _random_inputs(4)
    draws = [session.run(["indices"], {"inputs": x})[0] for _ in range(20)]
    assert all(export.indices_valid(d, SMALL_SHAPE[0]) for d in draws)
    assert any(not np.array_equal(draws[0], d) for d in draws[1:])
    assert set(np.concatenate(draws).ravel()) == set(range(SMALL_SHAPE[0]))


def test_random_sampler_indices_are_the_slices_behind_the_output(small_random, tmp_path):
    # One draw must feed both outputs: rerunning the model on the slices named by `indices`,
    # with a deterministic sampler over exactly those slices, gives the same output.
    model, path = small_random
    x = _random_inputs(3, seed=2)
    outputs = export.run_onnx(path, x)
    chosen = np.take_along_axis(x, outputs["indices"][:, :, None, None, None], axis=1)
    head = keras.Model(model.get_layer("sampler").output, model.output)
    np.testing.assert_allclose(outputs["output"], head(chosen, training=False), atol=1e-5)


def test_opset_13_exports_and_bad_opsets_are_rejected(tmp_path):
    model = _build("uniform")
    path = export.to_onnx(model, tmp_path / "u13.onnx", opset=13)
    assert onnx.load(path).opset_import[0].version == 13
    for opset in (12, 19, "17", True, 17.0):
        with pytest.raises(ValueError, match=r"`opset` must be an int from 13 to 18.*received"):
            export.to_onnx(model, tmp_path / "bad.onnx", opset=opset)


def test_bad_path_and_flag_are_rejected(tmp_path):
    model = _build("uniform")
    with pytest.raises(ValueError, match="`path` must be a non-empty str or os.PathLike"):
        export.to_onnx(model, 123)
    with pytest.raises(ValueError, match="`return_indices` must be True or False; received 'yes'"):
        export.to_onnx(model, tmp_path / "m.onnx", return_indices="yes")
    with pytest.raises(ValueError, match="`directory` must be a non-empty str"):
        export.to_saved_model(model, "")


def test_return_indices_needs_a_sampler(tmp_path):
    model = build_volume_cnn(SMALL_SHAPE, 2, filters=(4,))
    path = export.to_onnx(model, tmp_path / "cnn.onnx")
    assert export.verify_onnx(model, path, _random_inputs(2))["max_abs_diff"] <= ATOL
    with pytest.raises(
        ValueError, match="`return_indices=True` needs a model with a sampler layer"
    ):
        export.to_onnx(model, tmp_path / "cnn_indices.onnx", return_indices=True)


def _model_with_skip_path(sampler):
    # The input reaches the output through the sampler and around it.
    inputs = keras.Input(SMALL_SHAPE)
    chosen = get_sampler(sampler, k=4, seed=1, name="sampler")(inputs)
    pooled = [keras.layers.GlobalAveragePooling3D()(t) for t in (chosen, inputs)]
    features = keras.layers.Concatenate()(pooled)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(features))


def test_indices_of_a_model_with_a_skip_path(tmp_path):
    model = _model_with_skip_path("uniform")
    path = export.to_onnx(model, tmp_path / "skip.onnx", return_indices=True)
    report = export.verify_onnx(model, path, _random_inputs(3))
    assert report["max_abs_diff"] <= ATOL and report["index_agreement"] == 1.0
    with pytest.raises(ValueError, match="`return_indices=True` with a RandomSampler"):
        export.to_onnx(_model_with_skip_path("random"), tmp_path / "r.onnx", return_indices=True)


def test_export_rejects_a_model_without_fixed_input_shape(tmp_path):
    inputs = keras.Input((None, 16, 16, 1))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling3D()(inputs))
    with pytest.raises(ValueError, match="fixed input shape except the batch axis"):
        export.to_onnx(model, tmp_path / "m.onnx")


def _run_cli(argv):
    parser = argparse.ArgumentParser(prog="das-keras")
    export_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def saved_small_das(small_das, tmp_path_factory):
    model, _ = small_das
    path = tmp_path_factory.mktemp("keras") / "das.keras"
    model.save(path)
    return path


def test_cli_exports_onnx_and_verifies_on_random_inputs(saved_small_das, tmp_path, capsys):
    output = tmp_path / "cli.onnx"
    argv = ["--model", str(saved_small_das), "--output", str(output), "--indices", "--verify"]
    assert _run_cli([*argv, "--batch-size", "4"]) == 0
    printed = capsys.readouterr().out
    assert output.is_file()
    assert "verification on 8 random uniform inputs" in printed
    assert "| 1.0000 | 1.0000 |" in printed


def test_cli_exports_a_saved_model_of_a_preset(small_das, tmp_path, capsys, monkeypatch):
    from das_keras import zoo

    model, _ = small_das
    monkeypatch.setattr(zoo, "load", lambda name, compile=True: model)
    argv = ["--preset", "any", "--format", "saved_model", "--output", str(tmp_path / "sm")]
    assert _run_cli([*argv, "--verify", "--num-batches", "1", "--batch-size", "3"]) == 0
    assert "verification on 3 random uniform inputs" in capsys.readouterr().out
    assert (tmp_path / "sm" / "saved_model.pb").is_file()


@pytest.mark.shared_data
def test_cli_verify_reports_onnxruntime_failure_without_traceback(
    saved_small_das, shared_data, tmp_path, capsys
):
    # The model takes (12, 16, 16, 1); VesselMNIST3D volumes are (28, 28, 28, 1).
    argv = ["--model", str(saved_small_das), "--output", str(tmp_path / "m.onnx"), "--verify"]
    data = ["--dataset", "vessel", "--data-dir", str(shared_data / "medmnist3d")]
    assert _run_cli([*argv, *data, "--num-batches", "1"]) == 1
    captured = capsys.readouterr()
    assert "das-keras export: error: ONNX Runtime failed" in captured.err
    assert "Got invalid dimensions" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_cli_reports_a_missing_model_file(tmp_path, capsys):
    # a bad argument: exit code 2, as for every command (1 is a failed export or verification)
    assert _run_cli(["--model", str(tmp_path / "none.keras"), "--output", "x.onnx"]) == 2
    assert "no model file at" in capsys.readouterr().err
