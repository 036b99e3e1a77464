"""The model zoo: committed presets load, verify and reproduce their published numbers."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from das_keras import zoo
from das_keras.runs import evaluate_run

PRESETS = zoo.list_presets()
DATA_SUBDIR = {"vessel": "medmnist3d", "adrenal": "medmnist3d", "pocus": "pocus"}


def _tiny_preset(tmp_path):
    from das_keras.models import build_classifier

    model = build_classifier((8, 16, 16, 1), 2, sampler="das", k=4, backbone="small_cnn")
    metadata = {
        "name": "tiny",
        "dataset": "synthetic",
        "input_shape": [8, 16, 16, 1],
        "sampler": "das",
        "test_metrics": {},
        "license": "Apache-2.0",
    }
    zoo.save(model, tmp_path / "tiny", metadata)
    return model, tmp_path / "tiny"


def test_presets_are_committed():
    assert "das_synthetic" in PRESETS
    assert zoo.list_presets("das_*") == [n for n in PRESETS if n.startswith("das_")]
    assert zoo.list_presets("nothing*") == []


@pytest.mark.slow
@pytest.mark.parametrize("name", PRESETS)
def test_preset_reproduces_its_published_test_metrics(name, request):
    metadata = zoo.load_metadata(name)
    data_dir = None
    if metadata["dataset"] in DATA_SUBDIR:
        data_dir = request.getfixturevalue("shared_data") / DATA_SUBDIR[metadata["dataset"]]
    model = zoo.load(name)  # verifies the sha256
    shape = metadata["input_shape"]
    metrics = evaluate_run(
        model,
        metadata["dataset"],
        "test",
        32,
        data_dir,
        size=shape[1],
        num_frames=shape[0],
        frame_size=shape[1],
    )
    for key in ("balanced_accuracy", "auc", "accuracy"):
        assert metrics[key] == pytest.approx(metadata["test_metrics"][key], abs=1e-3), key
    assert metrics["num_samples"] == metadata["split_sizes"]["test"]
    assert metadata["weights_sha256"] == zoo.sha256_of(zoo.preset_dir(name) / zoo.WEIGHTS_FILE)
    assert set(zoo.verify(zoo.preset_dir(name))) == set(zoo.CHECKED_FILES)
    assert zoo.preprocessing(name)["input_shape"] == shape
    assert metadata["keras_version"] and metadata["das_keras_version"] and metadata["license"]
    if metadata["dataset"] == "pocus":
        assert "non-commercial" in metadata["license"].lower()


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PRESETS if n.startswith("das_")])
def test_every_das_preset_explains_and_exports_to_onnx(name, tmp_path, capsys):
    """`das-keras explain` draws its selection on a volume, and `das-keras export --verify`
    matches Keras in ONNX Runtime (outputs within 1e-4, identical indices)."""
    from das_keras.cli import main

    shape = zoo.load_metadata(name)["input_shape"]
    volume = tmp_path / "volume.npy"
    np.save(volume, np.random.default_rng(0).random(shape).astype("float32"))
    figure = tmp_path / "explain.png"
    argv = ["explain", "--preset", name, "--input", str(volume), "--output", str(figure)]
    assert main(argv) == 0
    assert figure.stat().st_size > 1000
    onnx_file = tmp_path / "model.onnx"
    argv = ["export", "--preset", name, "--output", str(onnx_file), "--indices", "--verify"]
    assert main([*argv, "--batch-size", "4", "--num-batches", "1"]) == 0, capsys.readouterr()
    assert onnx_file.stat().st_size > 10_000


def test_retired_names_load_their_successors_with_a_warning(tmp_path, monkeypatch):
    _, folder = _tiny_preset(tmp_path)
    monkeypatch.setitem(zoo.ALIASES, "tiny_old", "tiny")
    monkeypatch.setenv("DAS_KERAS_ZOO", str(tmp_path))
    assert "tiny_old" not in zoo.list_presets()  # only real presets are listed
    with pytest.warns(FutureWarning, match="'tiny_old' is retired.*loads 'tiny'"):
        assert zoo.preset_dir("tiny_old") == folder
    with pytest.warns(FutureWarning):
        assert zoo.load_metadata("tiny_old")["name"] == "tiny"
    with pytest.warns(FutureWarning):
        assert zoo.source_of("tiny_old") == str(folder)
    # a preset that still exists under the old name is loaded as it is, without a warning
    shutil.copytree(folder, tmp_path / "tiny_old")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert zoo.preset_dir("tiny_old") == tmp_path / "tiny_old"
    # every shipped retired name loads: its successor exists, or it is still a preset itself
    for old, new in zoo.ALIASES.items():
        assert new in zoo.list_presets() or old in zoo.list_presets(), (old, new)


def test_tampered_weights_fail_with_the_file_named(tmp_path):
    _, folder = _tiny_preset(tmp_path)
    weights = folder / zoo.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.PresetError, match=r"model\.weights\.h5 does not match its checksum"):
        zoo.load(folder)


def test_missing_file_and_unknown_name(tmp_path):
    _, folder = _tiny_preset(tmp_path)
    (folder / zoo.CONFIG_FILE).unlink()
    with pytest.raises(zoo.PresetError, match="config.json is missing"):
        zoo.load(folder)
    with pytest.raises(zoo.PresetError, match="DAS_KERAS_ZOO.*Did you mean das_synthetic"):
        zoo.load("das_synthetc")
    with pytest.raises(ValueError, match="`metadata` lacks"):
        zoo.save(None, tmp_path / "x", {"name": "x"})


def test_load_fit_save_load_round_trip(tmp_path):
    model, folder = _tiny_preset(tmp_path)
    loaded = zoo.load(folder)
    x = np.random.default_rng(0).random((4, 8, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    loaded.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    metadata = zoo.save(loaded, tmp_path / "tuned", {**zoo.load_metadata(folder), "name": "tuned"})
    again = zoo.load(tmp_path / "tuned")
    np.testing.assert_allclose(again.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)
    assert json.loads((tmp_path / "tuned" / zoo.METADATA_FILE).read_text()) == metadata


def test_zoo_command_lists_and_shows(capsys):
    from das_keras.cli import main

    assert main(["zoo", "list", "das_*"]) == 0
    assert "das_synthetic" in capsys.readouterr().out
    assert main(["zoo", "show", "das_synthetic"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "das_synthetic"


def test_zoo_dirs_from_environment(tmp_path, monkeypatch):
    _, folder = _tiny_preset(tmp_path)
    shutil.move(folder, tmp_path / "mine")
    monkeypatch.setenv("DAS_KERAS_ZOO", str(tmp_path))
    assert "mine" in zoo.list_presets()
    assert zoo.load("mine", compile=False).input_shape == (None, 8, 16, 16, 1)


def _builtin_copy(tmp_path, name="das_synthetic"):
    folder = tmp_path / name
    shutil.copytree(zoo.preset_dir(name), folder)
    return folder


def test_edited_config_is_refused_naming_config_json(tmp_path):
    folder = _builtin_copy(tmp_path)
    config = folder / zoo.CONFIG_FILE
    assert '"activation": "softmax"' in config.read_text()
    config.write_text(
        config.read_text().replace('"activation": "softmax"', '"activation": "linear"')
    )
    with pytest.raises(zoo.PresetError, match=r"config\.json does not match its checksum"):
        zoo.load(folder)


def test_corrupt_metadata_is_named(tmp_path):
    folder = _builtin_copy(tmp_path)
    (folder / zoo.METADATA_FILE).write_text('{"name": "das_synthetic", ')
    with pytest.raises(zoo.PresetError, match=r"metadata\.json does not match its checksum"):
        zoo.load(folder)
    with pytest.raises(zoo.PresetError, match=r"metadata\.json is not valid JSON"):
        zoo.load_metadata(folder)
    zoo.write_manifest(folder)  # even with a matching manifest the parse error names the file
    with pytest.raises(zoo.PresetError, match=r"das_synthetic/metadata\.json is not valid JSON"):
        zoo.load(folder)


def test_unknown_layer_class_is_named(tmp_path):
    folder = _builtin_copy(tmp_path)
    config = folder / zoo.CONFIG_FILE
    text = config.read_text().replace('"class_name": "UnfoldSlices"', '"class_name": "NoSuchLayer"')
    config.write_text(text.replace('"das_keras>UnfoldSlices"', '"das_keras>NoSuchLayer"'))
    zoo.write_manifest(folder)
    with pytest.raises(zoo.PresetError, match=r"config\.json: Keras cannot build.*NoSuchLayer"):
        zoo.load(folder)


def test_missing_manifest_is_refused(tmp_path):
    folder = _builtin_copy(tmp_path)
    (folder / zoo.MANIFEST_FILE).unlink()
    with pytest.raises(zoo.PresetError, match="has no manifest.json.*write_manifest"):
        zoo.load(folder)


def test_a_folder_in_the_working_directory_does_not_shadow_a_builtin(tmp_path, monkeypatch):
    _, folder = _tiny_preset(tmp_path)  # input (8, 16, 16, 1); the built-in takes (32, 32, 32, 1)
    monkeypatch.chdir(tmp_path)
    shutil.move(folder, tmp_path / "das_synthetic")
    assert zoo.load("das_synthetic", compile=False).input_shape == (None, 32, 32, 32, 1)
    assert zoo.load_metadata("das_synthetic")["dataset"] == "synthetic"
    assert zoo.load("./das_synthetic", compile=False).input_shape == (None, 8, 16, 16, 1)
    assert zoo.preset_dir(Path("das_synthetic")) == Path("das_synthetic")
    shutil.copytree("das_synthetic", "tiny2")
    with pytest.raises(zoo.PresetError, match="pass './tiny2'"):
        zoo.load("tiny2")


def test_load_with_num_classes_gives_a_fresh_head(tmp_path):
    base = zoo.load("das_synthetic", compile=False)
    model = zoo.load("das_synthetic", compile=False, num_classes=5)
    assert model.output_shape == (None, 5)
    assert model.get_layer("predictions").kernel.shape == (
        base.get_layer("predictions").input.shape[-1],
        5,
    )
    for layer in model.layers:
        if layer.name != "predictions":
            for new, old in zip(layer.get_weights(), base.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(new, old)
    x = np.random.default_rng(0).random((2, 32, 32, 32, 1)).astype("float32")
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (2, 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    for bad in (1, 2.5, "3", True):
        with pytest.raises(ValueError, match="`num_classes` must be an int >= 2"):
            zoo.load("das_synthetic", num_classes=bad)


def test_preprocessing_spec_is_saved_and_checks_inputs(tmp_path):
    _, folder = _tiny_preset(tmp_path)
    spec = zoo.load_metadata(folder)["preprocessing"]
    assert spec == zoo.preprocessing(folder)
    assert spec["input_shape"] == [8, 16, 16, 1] and spec["input_range"] == [0.0, 1.0]
    assert spec["slice_axis"] == 1 and spec["channels"] == 1 and spec["dtype"] == "float32"
    assert zoo.preprocessing("das_vesselmnist3d_28_k25")["input_shape"] == [28, 28, 28, 1]
    good = np.zeros((2, 8, 16, 16, 1), "float32")
    assert zoo.check_inputs(folder, good) is good
    with pytest.raises(ValueError, match=r"ranges over \[0, 255\].*expects \[0.0, 1.0\]"):
        zoo.check_inputs(
            spec, good + np.float32(255) * (np.arange(2) == 1)[:, None, None, None, None]
        )
    with pytest.raises(ValueError, match="shape"):
        zoo.check_inputs(spec, np.zeros((2, 9, 16, 16, 1), "float32"))


def test_shipped_presets_verify_and_may_be_redistributed():
    shipped = sorted(
        p.name
        for p in zoo.resolve.BUILTIN_DIR.iterdir()
        if p.is_dir() and (p / zoo.METADATA_FILE).is_file()
    )
    assert "das_vesselmnist3d_28_k25" in shipped and "das_synthetic" in shipped
    for name in shipped:
        folder = zoo.resolve.BUILTIN_DIR / name
        zoo.verify(folder)
        assert zoo.is_redistributable(zoo.load_metadata(folder)), name
    for name, entry in zoo.catalog().items():
        assert name not in shipped and not zoo.is_redistributable(entry["metadata"])
        assert entry["source"].startswith("hf://")
        local = zoo.resolve.SOURCE_ZOO_DIR / name
        if local.is_dir():  # a checkout: the catalog describes the committed files
            assert entry["manifest"] == zoo.verify(local)
            assert entry["metadata"] == zoo.load_metadata(local)
