"""`das-keras train` / `evaluate`: resume after an interruption, real data, metrics."""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

TRAIN = [
    sys.executable,
    "-m",
    "das_keras.cli",
    "train",
    "--dataset",
    "synthetic",
    "--sampler",
    "uniform",
    "--k",
    "8",
    "--epochs",
    "5",
    "--patience",
    "50",
    "--lr-schedule",
    "cosine",
    "--precise-bn",
    "--verbose",
    "2",
]


def _epochs(log_path):
    if not os.path.exists(log_path):
        return []
    with open(log_path, newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


@pytest.mark.slow
def test_train_killed_after_epoch_2_resumes_at_epoch_3(tmp_path):
    run = tmp_path / "run"
    log = run / "log.csv"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [*TRAIN, "--output", str(run)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    while len(_epochs(log)) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _epochs(log) == [0, 1], "the first run should have been killed during epoch 3"
    assert not (run / "model.keras").exists()

    resumed = subprocess.run(
        [*TRAIN, "--output", str(run)], env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Epoch 3/5" in resumed.stdout and "Epoch 1/5" not in resumed.stdout
    assert _epochs(log) == [0, 1, 2, 3, 4]
    assert (run / "model.keras").exists() and (run / "best.weights.h5").exists()
    assert json.loads((run / "run_config.json").read_text())["precise_bn"] is True
    with open(log, newline="") as f:  # the cosine schedule carried on where it stopped
        rates = [float(row["learning_rate"]) for row in csv.DictReader(f)]
    expected = [0.5e-3 * (1 + math.cos(math.pi * epoch / 5)) for epoch in range(5)]
    assert rates == pytest.approx(expected, rel=1e-4)

    # fit finished but the process stopped before model.keras was written: no second training
    (run / "model.keras").unlink()
    again = subprocess.run(
        [*TRAIN, "--output", str(run)], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Epoch 1/5" not in again.stdout and "training finished earlier" in again.stdout
    assert _epochs(log) == [0, 1, 2, 3, 4] and (run / "model.keras").exists()

    changed = subprocess.run(
        [*TRAIN[:-2], "--lr", "0.1", "--output", str(run)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert changed.returncode != 0 and "learning_rate" in changed.stderr


@pytest.mark.slow
def test_train_and_evaluate_on_real_vesselmnist3d(shared_data, tmp_path):
    data_dir = str(shared_data / "medmnist3d")
    from das_keras.runs import evaluate_run, train_run

    model, history = train_run(
        tmp_path,
        "vessel",
        sampler="das",
        k=14,
        epochs=2,
        data_dir=data_dir,
        verbose=0,
        sampler_options={"heads": 2, "tau0": 0.5},
        bn_momentum=0.5,
    )
    assert len(history["loss"]) == 2 and all(v > 0 for v in history["val_loss"])
    sampler = model.get_layer("sampler")
    assert (sampler.heads, sampler.tau0) == (2, 0.5)
    run_config = json.loads((tmp_path / "run_config.json").read_text())
    assert run_config["sampler_options"] == {"heads": 2, "tau0": 0.5}
    assert run_config["bn_momentum"] == 0.5
    norms = [layer for layer in model.get_layer("small_cnn").layers if "bn" in layer.name]
    assert norms and all(layer.momentum == 0.5 for layer in norms)
    metrics = evaluate_run(str(tmp_path), "vessel", data_dir=data_dir)
    assert metrics["num_samples"] == 382 and 0.0 <= metrics["auc"] <= 1.0
    out = tmp_path / "metrics.json"
    from das_keras.cli import main

    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tmp_path),
                "--dataset",
                "vessel",
                "--data-dir",
                data_dir,
                "--json",
                str(out),
            ]
        )
        == 0
    )
    assert json.loads(out.read_text())["auc"] == pytest.approx(metrics["auc"])


def test_precise_bn_with_a_strategy_is_refused_before_training(tmp_path):
    from das_keras.runs import train_run

    with pytest.raises(ValueError, match="precise_bn"):
        train_run(tmp_path / "run", precise_bn=True, strategy="mirrored")
    assert not (tmp_path / "run" / "run_config.json").exists()


def test_a_fraction_k_out_of_range_is_refused_before_any_data_is_read(tmp_path, monkeypatch):
    from das_keras.data import catalog
    from das_keras.runs import train_run

    def no_data(*args, **kwargs):
        raise AssertionError("the data must not be read for a k out of range")

    monkeypatch.setattr(catalog, "load_splits", no_data)
    with pytest.raises(ValueError, match=r"`k` as a fraction of T must be in \(0, 1\]; .*1\.5"):
        train_run(tmp_path / "run", "vessel", k=1.5)
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        train_run(tmp_path / "run", "vessel", k=0)
    assert not (tmp_path / "run").exists()


def test_unknown_dataset_names_the_argument(tmp_path):
    from das_keras.data.catalog import load_splits

    with pytest.raises(ValueError, match="`dataset`"):
        load_splits("imagenet")


def test_predict_split_keeps_each_label_with_its_shuffled_example(monkeypatch):
    import keras
    import numpy as np
    import tensorflow as tf

    from das_keras import runs
    from das_keras.data import catalog

    # Every example is filled with its label, and the model predicts that label: any mismatch
    # between a label and the prediction next to it is a misalignment of the two.
    labels = np.array([0, 1] * 20)
    x = np.broadcast_to(labels[:, None, None, None, None], (40, 2, 3, 3, 1)).astype("float32")
    train = tf.data.Dataset.from_tensor_slices((x, labels)).shuffle(40, seed=1).batch(8)
    splits = catalog.DataSplits(train, None, None, (2, 3, 3, 1), 2)
    monkeypatch.setattr(catalog, "load_splits", lambda *args, **kwargs: splits)
    model = keras.Sequential([keras.Input((2, 3, 3, 1)), keras.layers.Flatten()])
    model.add(keras.layers.Dense(2))
    model.layers[-1].set_weights([np.stack([-np.ones(18), np.ones(18)], 1), np.array([0.5, 0])])

    true, probabilities = runs.predict_split(model, "synthetic", "train")

    assert true.shape == (40,) and probabilities.shape == (40, 2)
    assert not np.array_equal(true, labels)  # shuffled...
    np.testing.assert_array_equal(probabilities.argmax(1), true)  # ...and still aligned
