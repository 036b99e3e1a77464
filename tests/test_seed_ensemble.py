"""benchmarks/seed_ensemble.py on a made-up run cache of real (tiny) saved models."""

import json
import os

import numpy as np
import pytest

from benchmarks import common, seed_ensemble, update_readme

SHAPE = (4, 3, 3, 1)


def _splits():
    import tensorflow as tf

    from das_keras.training import DataSplits

    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, *SHAPE)).astype("float32")
    labels = np.arange(24) % 2
    split = tf.data.Dataset.from_tensor_slices((x, labels)).batch(5)
    return DataSplits(split, split, split, SHAPE, 2), x, labels


def _cache_run(seed, auc, recipe):
    """A run folder with a saved model (random weights of `seed`) and its result.json."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    folder = common.run_dir("vessel", "ours", 0.5, "das", seed)
    os.makedirs(folder)
    model.save(os.path.join(folder, "model.keras"))
    result = {
        "dataset": "vessel",
        "backbone": "ours",
        "k": 0.5,
        "sampler": "das",
        "options": {},
        "recipe": recipe,
        "seed": seed,
        "k_slices": 2,
        "val": {"auc": auc},
        "test": {"auc": auc},
    }
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(result, f)
    return model


def test_seed_ensemble_averages_the_seeds_and_keeps_its_report(tmp_path, monkeypatch):
    import das_keras.training as training
    from das_keras.evaluation import classification_metrics

    monkeypatch.setattr(common, "RUNS", str(tmp_path / "runs"))
    splits, x, labels = _splits()
    monkeypatch.setattr(training, "load_splits", lambda *args, **kwargs: splits)
    recipe = common.recipe_of("vessel")
    models = [_cache_run(seed, auc, recipe) for seed, auc in ((0, 0.6), (1, 0.8))]
    _cache_run(2, 0.7, {"augment": True})  # an older recipe: not averaged in
    output = str(tmp_path / "ensemble")

    assert seed_ensemble.main(["--datasets", "vessel", "--output", output]) == 0

    entry = json.loads((tmp_path / "ensemble.json").read_text())["configurations"]
    entry = entry["vessel/ours/0.5/das"]
    assert entry["seeds"] == [0, 1]
    average = np.mean([m.predict(x, verbose=0) for m in models], axis=0)
    expected = classification_metrics(labels, average)["auc"]
    assert entry["test_ensemble"]["auc"] == pytest.approx(expected)
    assert entry["test_single_auc"] == pytest.approx([0.7, 0.1])
    text = (tmp_path / "ensemble.md").read_text()
    assert f"| das | 50% | 2 | 2 | 0.700 ± 0.100 | {expected:.3f} |" in text

    # a run for other samplers keeps the entries it leaves out
    assert seed_ensemble.main(["--samplers", "full", "--output", output]) == 0
    assert (tmp_path / "ensemble.md").read_text() == text

    # without the run cache the report is rewritten from its JSON
    (tmp_path / "runs").rename(tmp_path / "elsewhere")
    assert seed_ensemble.main(["--report-only", "--output", output]) == 0
    assert (tmp_path / "ensemble.md").read_text() == text


def test_readme_ensemble_line_needs_das_and_full():

    def entry(single, ensemble):
        return {"test_single_auc": [single, 0.01], "test_ensemble": {"auc": ensemble}}

    configurations = {"vessel/ours/0.5/das": entry(0.876, 0.89)}
    assert update_readme.ensemble_lines({"configurations": configurations}) == []
    configurations["vessel/ours/all/full"] = entry(0.889, 0.894)
    line = update_readme.ensemble_lines({"configurations": configurations})[0]
    assert "vessel DAS 0.876 -> 0.890, full 0.889 -> 0.894 (" in line
    configurations["vessel/ours/0.5/center"] = entry(0.894, 0.9)
    line = update_readme.ensemble_lines({"configurations": configurations})[0]
    assert "vessel DAS 0.876 -> 0.890, full 0.889 -> 0.894, center 0.894 -> 0.900 (" in line
