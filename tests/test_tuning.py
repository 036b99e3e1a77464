"""Tests of das_keras.tuning (DASHyperModel, SparseAUC, make_tuner) and `das-keras tune`."""

import argparse
import json
import math
import os

import keras
import keras_tuner
import numpy as np
import pytest

from das_keras import data, zoo
from das_keras.commands import tune
from das_keras.tuning import DASHyperModel, SparseAUC, is_worker, make_tuner, trial_summary

SHAPE = (8, 16, 16, 1)  # tiny synthetic volumes: T=8 slices of 16x16
TINY = {"width": 0.25, "hidden_units": 8, "seed": 0}  # a 8-16-32 filter CNN, small DAS networks


@pytest.fixture(scope="module")
def tiny_data():
    """Tiny synthetic splits (16 volumes each, batches of 8)."""
    options = {"num_samples": 16, "num_slices": 8, "size": 16, "batch_size": 8, "seed": 0}
    return data.synthetic("train", **options), data.synthetic("val", **options)


class EagerHyperModel(DASHyperModel):
    """Runs eagerly: on tiny data 5x cheaper than tracing a graph per trial (keeps tests fast)."""

    def build(self, hp):
        model = super().build(hp)
        model.run_eagerly = True
        return model


def _parser():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    tune.register(sub)
    return parser


def _vessel_args(shared_data, output, *extra):
    return [
        "tune",
        "--dataset",
        "vessel",
        "--data-dir",
        str(shared_data / "medmnist3d"),
        "--tuner",
        "random",
        "--epochs",
        "1",
        "--output",
        str(output),
        "--k",
        "7",
        "--heads",
        "1,2",
        "--train-batches",
        "2",
        "--verbose",
        "0",
        *extra,
    ]


def _trial_dirs(project_dir):
    return sorted(p for p in os.listdir(project_dir) if p.startswith("trial_"))


# --- SparseAUC --------------------------------------------------------------------------------


@pytest.mark.parametrize("num_classes", [2, 3])
def test_sparse_auc_matches_sklearn(num_classes):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    labels = rng.integers(0, num_classes, 300)
    probabilities = rng.dirichlet(np.ones(num_classes), 300)
    probabilities[np.arange(300), labels] += 0.4
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    metric = SparseAUC(num_classes, num_thresholds=2000)
    metric.update_state(labels[:, None], probabilities.astype("float32"))
    if num_classes == 2:
        expected = roc_auc_score(labels, probabilities[:, 1])
    else:
        expected = roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    assert float(metric.result()) == pytest.approx(expected, abs=2e-3)
    assert SparseAUC.from_config(metric.get_config()).num_classes == num_classes


# --- validation before any trial --------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"k": 9}, r"`k` must be <= T.*k=9 with T=8"),
        ({"k": 0}, r"`k` must be >= 1.*0"),
        ({"k": 1.5}, r"`k` as a fraction of T must be in \(0, 1\].*1.5"),
        ({"k": (0.5, 0.0)}, r"`k` as a fraction.*0.0"),
        ({"k": [2, 0.5]}, r"`k` must hold either counts"),
        ({"tau0": 0.0}, r"`tau0` must be .*tau0=0.0"),
        ({"tau0": (-1.0, 5.0)}, r"`tau0` must be .*tau0=-1.0"),
        ({"tau0": (2.0, 1.0)}, r"`tau0` range must have low < high.*\(2.0, 1.0\)"),
        ({"heads": 0}, r"`heads` must be an int >= 1; received heads=0"),
        ({"heads": (0, 2)}, r"`heads` must be an int >= 1.*heads=\(0, 2\)"),
        ({"learning_rate": -1e-3}, r"`learning_rate` must be .*-0.001"),
        ({"aggregation": "sum"}, r"`aggregation` must be one of"),
        ({"width": 2.0, "backbone": "mobilenetv3small"}, r"`width` applies to the 'small_cnn'"),
        ({"objective": "val_acc"}, r"`objective` must be one of"),
    ],
)
def test_invalid_ranges_raise_in_the_constructor(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        DASHyperModel(SHAPE, 2, **kwargs)


def test_cli_invalid_range_fails_before_any_trial(shared_data, tmp_path):
    parser = _parser()
    for extra, pattern in (
        (["--k", "40"], r"`k` must be <= T.*k=40 with T=28"),
        (["--tau0", "0:5"], r"`tau0`"),
        (["--heads", "0,2"], r"`heads`"),
    ):
        args = parser.parse_args(_vessel_args(shared_data, tmp_path / "run", *extra))
        with pytest.raises(ValueError, match=pattern):
            args.func(args)
        assert not (tmp_path / "run" / "search").exists()


def test_cli_parses_value_syntax(tmp_path):
    parser = _parser()
    base = ["tune", "--output", str(tmp_path)]
    args = parser.parse_args([*base, "--k", "0.5", "--tau0", "0.1:5", "--heads", "1,2,4"])
    assert (args.k, args.tau0, args.heads) == (0.5, (0.1, 5.0), (1, 2, 4))
    args = parser.parse_args([*base, "--k", "7,14", "--tau0", "1.0", "--lr", "1e-4,1e-3"])
    assert (args.k, args.tau0, args.lr) == ((7, 14), 1.0, [1e-4, 1e-3])
    args = parser.parse_args([*base, "--aggregation", "mean,conv1d", "--width", "0.5,1"])
    assert (args.aggregation, args.width) == (("mean", "conv1d"), (0.5, 1.0))
    for bad in (["--heads", "two"], ["--tau0", "1:2:3"], ["--k", "0.5,"], ["--trials", "0"]):
        with pytest.raises(SystemExit):
            parser.parse_args([*base, *bad])


# --- searches on tiny synthetic data ----------------------------------------------------------


class _InterruptedHyperModel(EagerHyperModel):
    """Stops the process (KeyboardInterrupt) in the fit of its `interrupt_at`-th trial."""

    interrupt_at = 2
    fits = 0

    def fit(self, hp, model, *args, **kwargs):
        type(self).fits += 1
        if type(self).fits == self.interrupt_at:
            raise KeyboardInterrupt
        return super().fit(hp, model, *args, **kwargs)


def test_fixed_k_search_interrupted_and_resumed(tiny_data, tmp_path):
    train, val = tiny_data
    options = {"k": 4, "heads": (1, 2), "tau0": (0.5, 2.0), **TINY}
    hypermodel = _InterruptedHyperModel(SHAPE, 2, **options)
    assert hypermodel.tuned_names == ["heads", "tau0"]
    tuner = make_tuner(hypermodel, "random", directory=tmp_path, max_trials=2, seed=1)
    space = {hp.name: type(hp).__name__ for hp in tuner.oracle.hyperparameters.space}
    assert space["k"] == "Fixed" and tuner.oracle.hyperparameters.values["k"] == 4
    assert space["heads"] == "Choice" and space["tau0"] == "Float"
    assert all(space[n] == "Fixed" for n in ("learning_rate", "width", "aggregation"))

    with pytest.raises(KeyboardInterrupt):  # the 2nd trial is killed mid-way
        tuner.search(train, validation_data=val, epochs=1, verbose=0)
    project = tmp_path / "search"
    first = json.loads((project / "trial_0" / "trial.json").read_text())
    assert first["status"] == "COMPLETED"

    resumed = make_tuner(
        EagerHyperModel(SHAPE, 2, **options), "random", directory=tmp_path, max_trials=2, seed=1
    )
    assert len(resumed.oracle.trials) == 2  # the finished trial and the interrupted one
    resumed.search(train, validation_data=val, epochs=1, verbose=0)
    summary = trial_summary(resumed)
    assert (summary["num_trials"], summary["num_completed"]) == (2, 2)
    assert _trial_dirs(project) == ["trial_0", "trial_1"]
    assert json.loads((project / "trial_0" / "trial.json").read_text()) == first
    values = [t.hyperparameters.values for t in resumed.oracle.trials.values()]
    assert {v["k"] for v in values} == {4}
    assert len({(v["heads"], v["tau0"]) for v in values}) == 2
    assert summary["best"]["hyperparameters"]["k"] == 4
    assert [t["trial_id"] for t in summary["trials"]] == ["0", "1"]
    assert summary["best"] in summary["trials"]


@pytest.mark.parametrize("tuner_name", ["bayesian", "hyperband"])
def test_other_tuners_run_tiny_searches(tiny_data, tmp_path, tuner_name):
    train, val = tiny_data
    hypermodel = EagerHyperModel(SHAPE, 2, k=0.5, heads=(1, 2), objective="val_loss", **TINY)
    tuner = make_tuner(
        hypermodel, tuner_name, directory=tmp_path, max_trials=2, max_epochs=2, seed=0
    )
    epochs = 2 if tuner_name == "hyperband" else 1
    tuner.search(train, validation_data=val, epochs=epochs, verbose=0)
    summary = trial_summary(tuner)
    assert summary["num_completed"] == summary["num_trials"] == 2
    assert summary["objective"] == "val_loss" and summary["direction"] == "min"
    if tuner_name == "hyperband":
        assert all("tuner/epochs" in t.hyperparameters.values for t in tuner.oracle.trials.values())
    model = tuner.get_best_models(1)[0]
    assert model.predict(next(iter(val))[0], verbose=0).shape == (8, 2)


# --- distributed mode -------------------------------------------------------------------------


def test_worker_mode_is_left_to_keras_tuner(tiny_data, tmp_path, monkeypatch):
    from das_keras.data.catalog import DataSplits

    train, val = tiny_data
    (tmp_path / "search" / "trial_0").mkdir(parents=True)  # a trial of an earlier run
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8123")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner1")
    assert is_worker()
    tuner = make_tuner(DASHyperModel(SHAPE, 2, **TINY), directory=tmp_path, max_trials=2)
    assert type(tuner.oracle).__name__ == "OracleClient"  # requests go to the chief
    assert tuner.tuner_id == "tuner1" and tuner.distribution_strategy is None
    assert (tmp_path / "search" / "trial_0").is_dir()  # overwrite=False kept it

    calls = []
    monkeypatch.setattr(
        "das_keras.data.catalog.load_splits",
        lambda *a, **k: DataSplits(train, val, val, SHAPE, 2, ["a", "b"]),
    )
    monkeypatch.setattr(keras_tuner.RandomSearch, "search", lambda self, *a, **k: calls.append(k))
    args = _parser().parse_args(["tune", "--output", str(tmp_path), "--verbose", "0"])
    assert args.func(args) == 0
    assert calls and calls[0]["epochs"] == 10
    assert (tmp_path / "tune_config.json").is_file()
    assert not (tmp_path / "best.json").exists()  # only the chief reports


# --- the command on real VesselMNIST3D --------------------------------------------------------


def test_cli_search_resumes_and_reports_on_vessel(shared_data, tmp_path, capsys):
    output = tmp_path / "tune"
    preset = tmp_path / "preset"
    project = output / "search"
    parser = _parser()

    # A 2-trial search (2 training batches per trial), then the best model on the test split.
    args = parser.parse_args(_vessel_args(shared_data, output, "--trials", "2"))
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "2 trials, 2 completed" in out and "| vessel | test | 382 |" in out
    assert _trial_dirs(project) == ["trial_0", "trial_1"]
    first = {d: (project / d / "trial.json").read_text() for d in _trial_dirs(project)}
    best = json.loads((output / "best.json").read_text())
    assert best["k_slices"] == 7 and best["hyperparameters"]["heads"] in (1, 2)
    assert 0.0 <= best["val_objective"] <= 1.0 and 0.0 <= best["test_metrics"]["auc"] <= 1.0

    # Run again: the oracle reloads, no trial is left to run, the trials are kept as they were.
    extra = ["--trials", "2", "--save-preset", str(preset)]
    args = parser.parse_args(_vessel_args(shared_data, output, *extra))
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Reloading Tuner" in out and "2 trials, 2 completed" in out
    number, trial_id = best["best_trial_number"], best["best_trial"]
    assert number == int(trial_id) + 1  # keras-tuner prints trial_id "0" as "Trial 1"
    score = best["val_objective"]
    assert f"best: Trial {number} (trial_id {trial_id!r}): val_auc {score:.4f}" in out
    assert "k: 7" in out
    assert {d: (project / d / "trial.json").read_text() for d in _trial_dirs(project)} == first
    again = json.loads((output / "best.json").read_text())
    assert again["test_metrics"]["auc"] == pytest.approx(best["test_metrics"]["auc"], abs=1e-6)

    # Another search space in the same folder is refused before any trial.
    args = parser.parse_args(_vessel_args(shared_data, output, "--trials", "3", "--epochs", "2"))
    with pytest.raises(ValueError, match="other settings.*epochs"):
        args.func(args)
    assert _trial_dirs(project) == ["trial_0", "trial_1"]

    metadata = zoo.load_metadata(preset)
    assert (metadata["sampler"], metadata["k"], metadata["dataset"]) == ("das", 7, "vessel")
    assert metadata["test_metrics"]["auc"] == pytest.approx(best["test_metrics"]["auc"])
    assert metadata["recipe"]["hyperparameters"] == best["hyperparameters"]
    assert metadata["split_sizes"] == {"val": 191, "test": 382} and metadata["license"]
    model = zoo.load(preset)
    test = data.medmnist3d("vessel", "test", data_dir=shared_data / "medmnist3d", batch_size=4)
    volumes = next(iter(test))[0]
    probabilities = np.asarray(model(volumes, training=False))
    assert probabilities.shape == (4, 2) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_recipe_options_reach_the_trials_and_old_searches_still_resume(tmp_path, capsys):
    parser = _parser()
    output = tmp_path / "search"
    recipe = ["--augment", "--lr-schedule", "cosine", "--precise-bn"]
    common = ["tune", "--dataset", "synthetic", "--output", str(output), "--k", "8"]
    common += ["--heads", "1,2", "--tau0", "1.0", "--epochs", "2", "--train-batches", "2"]
    common += ["--trials", "1", "--verbose", "0"]
    args = parser.parse_args([*common, *recipe])
    callbacks = tune._recipe_callbacks(args, train=None)
    assert [type(c).__name__ for c in callbacks] == ["PreciseBatchNorm", "CosineSchedule"]
    assert args.func(args) == 0
    config = json.loads((output / "tune_config.json").read_text())
    assert (config["augment"], config["lr_schedule"], config["precise_bn"]) == (
        True,
        "cosine",
        True,
    )

    # a search saved before these options existed continues with their defaults ...
    old = tmp_path / "old"
    args = parser.parse_args([*common[:4], str(old), *common[5:]])
    assert args.func(args) == 0
    saved = json.loads((old / "tune_config.json").read_text())
    for key in tune.ADDED_ARGUMENT_DEFAULTS:
        del saved[key]
    (old / "tune_config.json").write_text(json.dumps(saved))
    assert args.func(args) == 0
    # ... and is refused with other recipe options
    args = parser.parse_args([*common[:4], str(old), *common[5:], "--augment"])
    with pytest.raises(ValueError, match="augment"):
        args.func(args)


def test_cosine_schedule_falls_from_the_compiled_rate_to_zero():
    from das_keras.runs import CosineSchedule

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.2), "mse")
    rates = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: rates.append(float(model.optimizer.learning_rate))
    )
    x = np.zeros((4, 3), "float32")
    model.fit(x, x[:, :1], epochs=4, verbose=0, callbacks=[CosineSchedule(4), record])
    expected = [0.1 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert rates == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="epochs=0"):
        CosineSchedule(0)
