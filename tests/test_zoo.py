"""The model zoo: committed presets load, verify and reproduce their published numbers."""

import json
import shutil

import numpy as np
import pytest

from das_keras import zoo
from das_keras.training import evaluate_run

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
    assert metadata["keras_version"] and metadata["das_keras_version"] and metadata["license"]
    if metadata["dataset"] == "pocus":
        assert "non-commercial" in metadata["license"].lower()


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
    with pytest.raises(zoo.PresetError, match="Did you mean das_synthetic"):
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
