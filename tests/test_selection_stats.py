"""benchmarks/selection_stats.py: statistics of known selections, and a run cache end to end."""

import json
import os

import numpy as np
import pytest

from benchmarks import common, selection_stats, update_readme

SHAPE = (8, 8, 8, 1)


def test_statistics_of_known_selections():
    indices = np.array([[3, 4], [3, 4], [0, 7], [3, 5]])  # T = 8, k = 2: central window 3, 4
    stats = selection_stats.selection_statistics(indices, 8)
    assert stats["distinct"] == 3 and stats["inputs"] == 4
    assert stats["center_share"] == pytest.approx((1 + 1 + 0 + 0.5) / 4)
    assert stats["frequency"][3] == pytest.approx(0.75) and sum(stats["frequency"]) == 2


def _cache_dps_run(seed, splits_shape):
    import keras

    from das_keras.models import build_classifier

    keras.utils.set_random_seed(seed)
    model = build_classifier(splits_shape, 2, "dps", k=2, backbone="small_cnn")
    folder = common.run_dir("vessel", "ours", 0.25, "dps", seed)
    os.makedirs(folder)
    model.save(os.path.join(folder, "model.keras"))
    result = {"dataset": "vessel", "backbone": "ours", "k": 0.25, "sampler": "dps", "seed": seed}
    result.update({"options": {}, "recipe": common.recipe_of("vessel"), "k_slices": 2})
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(result, f)


def test_report_from_a_run_cache_and_without_it(tmp_path, monkeypatch):
    import tensorflow as tf

    import das_keras.training as training

    x = np.random.default_rng(0).random((10, *SHAPE)).astype("float32")
    split = tf.data.Dataset.from_tensor_slices((x, np.arange(10) % 2)).batch(4)
    splits = training.DataSplits(split, split, split, SHAPE, 2)
    monkeypatch.setattr(training, "load_splits", lambda *args, **kwargs: splits)
    monkeypatch.setattr(common, "RUNS", str(tmp_path / "runs"))
    for seed in (0, 1):
        _cache_dps_run(seed, SHAPE)
    output = str(tmp_path / "selection")

    assert selection_stats.main(["--datasets", "vessel", "--output", output]) == 0

    entry = json.loads((tmp_path / "selection.json").read_text())["configurations"]
    entry = entry["vessel/ours/0.25/dps"]
    assert entry["seeds"] == [0, 1] and entry["inputs"] == 10
    assert entry["distinct"] == 1  # DPS chooses the same slices for every input
    assert sum(entry["frequency"]) == pytest.approx(2)
    text = (tmp_path / "selection.md").read_text()
    assert "| vessel | ours | 25% | dps | 2 | 2 | 1 of 10 |" in text
    assert (tmp_path / "selection.png").stat().st_size > 0

    # without the run cache the report is rewritten from its JSON
    (tmp_path / "runs").rename(tmp_path / "elsewhere")
    assert selection_stats.main(["--report-only", "--output", output]) == 0
    assert (tmp_path / "selection.md").read_text() == text


def test_readme_selection_line():
    entry = {"distinct": 214.0, "inputs": 382, "center_share": 0.68}
    report = {"configurations": {"vessel/ours/0.5/das": entry, "vessel/ours/0.5/dps": entry}}
    (line,) = update_readme.selection_lines(report)[:1]
    assert "vessel 214 different selections for 382 test inputs, 68% of" in line
    assert line.count("different selections") == 1  # DAS only
    assert update_readme.selection_lines({"configurations": {}}) == []
