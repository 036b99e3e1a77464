"""das_keras.runs: the recipe, the placement, load_model, a registered sampler through the CLI."""

import json
import math
import os
import warnings

import numpy as np
import pytest

SHAPE = (8, 16, 16, 1)


@pytest.fixture
def test_sampler():
    """A sampler class defined here, in a test file: registered by its `sampler_name` alone."""
    from das_keras.layers import SAMPLERS, UniformSampler, registry

    class EveryOtherSampler(UniformSampler):
        sampler_name = "every_other_test"
        draws_noise = True  # it draws none, but says so: the run must then pass it a seed

        def __init__(self, k, seed=None, **kwargs):
            super().__init__(k, **kwargs)
            self.seed = seed

        def get_config(self):
            return {**super().get_config(), "seed": self.seed}

    assert SAMPLERS["every_other_test"] is EveryOtherSampler
    yield EveryOtherSampler
    registry.unregister_sampler("every_other_test")


def test_a_sampler_defined_in_a_test_file_trains_through_the_cli(
    tiny_data, test_sampler, tmp_path, capsys
):
    from das_keras import cli
    from das_keras.models import sampler_of
    from das_keras.runs import load_model, read_log

    run = tmp_path / "run"
    argv = ["train", "--output", str(run), "--sampler", "every_other_test", "--k", "4"]
    argv += ["--epochs", "1", "--batch-size", "8", "--seed", "5", "--verbose", "0"]
    assert cli.main(argv) == 0
    assert "validation balanced accuracy" in capsys.readouterr().out
    model = load_model(run)
    assert type(sampler_of(model)).__name__ == "EveryOtherSampler"
    assert sampler_of(model).seed == 5  # draws_noise: the run's seed reached it
    assert len(read_log(run / "log.csv")["loss"]) == 1
    # an unknown name is refused by the parser, naming the registered ones
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--output", str(tmp_path / "x"), "--sampler", "nope"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err and "every_other_test" in err


def test_a_run_saved_as_a_preset_loads_and_evaluates(tiny_data, tmp_path, capsys):
    from das_keras import cli, zoo
    from das_keras.runs import evaluate_run, save_run_as_preset, train_run

    run, preset = tmp_path / "run", tmp_path / "preset"
    model, _ = train_run(run, sampler="uniform", k=4, epochs=1, batch_size=8, verbose=0)
    metadata = save_run_as_preset(run, preset, description="tiny")
    assert (metadata["name"], metadata["description"], metadata["k"]) == ("preset", "tiny", 4)
    assert metadata["license"] == "Apache-2.0 (generated data)"
    assert metadata["recipe"]["epochs_run"] == 1 and metadata["split_sizes"]["test"] == 16
    test = evaluate_run(zoo.load(preset), "synthetic", "test", 8)
    assert test["auc"] == pytest.approx(metadata["test_metrics"]["auc"], abs=1e-6)
    assert cli.main(["evaluate", "--preset", str(preset), "--batch-size", "8"]) == 0
    assert "| synthetic | test | 16 |" in capsys.readouterr().out


def test_a_preset_saved_with_prior_correction_undoes_the_class_weights(
    tiny_data, tmp_path, monkeypatch
):
    from das_keras import calibration, zoo
    from das_keras.data import catalog
    from das_keras.runs import load_model, save_run_as_preset, train_run

    run, preset = tmp_path / "run", tmp_path / "preset"
    train_run(run, sampler="uniform", k=4, epochs=1, batch_size=8, verbose=0)
    weights = {0: 0.6, 1: 3.0}  # as if class 1 were rare in the training split
    monkeypatch.setattr(catalog, "class_weights", lambda *args, **kwargs: weights)
    metadata = save_run_as_preset(run, preset, prior_correction=True, seeds_note="kept")
    assert metadata["prior_correction"] == [0.6, 3.0] and metadata["seeds_note"] == "kept"
    raw, corrected = metadata["test_metrics_uncorrected"], metadata["test_metrics"]
    assert corrected["auc"] == pytest.approx(raw["auc"], abs=1e-6)  # ranking unchanged
    x = np.random.default_rng(0).random((6, *SHAPE), "float32")
    p_raw = np.asarray(load_model(run)(x, training=False))
    p_preset = np.asarray(zoo.load(preset)(x, training=False))
    expected = calibration.prior_correction(p_raw, weights)
    np.testing.assert_allclose(p_preset, expected, atol=1e-5)
    assert p_preset[:, 1].mean() < p_raw[:, 1].mean()  # toward the prior: class 1 is rare


def test_auto_prior_correction_is_chosen_on_the_validation_acc(tiny_data, tmp_path, monkeypatch):
    from das_keras import calibration, zoo
    from das_keras.data import catalog
    from das_keras.evaluation import official_accuracy
    from das_keras.runs import load_model, predict_split, save_run_as_preset, train_run

    run = tmp_path / "run"
    train_run(run, sampler="uniform", k=4, epochs=1, batch_size=8, verbose=0)
    labels, raw = predict_split(load_model(run), "synthetic", "val", 8)
    for weights in ({0: 0.6, 1: 3.0}, {0: 3.0, 1: 0.6}):  # the two directions of the shift
        monkeypatch.setattr(catalog, "class_weights", lambda *args, w=weights, **kw: w)
        preset = tmp_path / f"preset_{weights[0]}"
        metadata = save_run_as_preset(run, preset, prior_correction="auto")
        choice = metadata["prior_correction_choice"]
        corrected = official_accuracy(labels, calibration.prior_correction(raw, weights))
        assert choice["val_accuracy_uncorrected"] == pytest.approx(official_accuracy(labels, raw))
        assert choice["val_accuracy_corrected"] == pytest.approx(corrected)
        assert choice["applied"] == (corrected > official_accuracy(labels, raw))
        assert ("prior_correction" in metadata) == choice["applied"]
        has_layer = any("prior_correction" in layer.name for layer in zoo.load(preset).layers)
        assert has_layer == choice["applied"]
    with pytest.raises(ValueError, match="`prior_correction` must be True, False or 'auto'"):
        save_run_as_preset(run, tmp_path / "bad", prior_correction="yes")


def test_the_zoo_das_recipe_through_the_cli(tiny_data, tmp_path, monkeypatch, capsys):
    from das_keras import cli, zoo
    from das_keras.data import catalog
    from das_keras.models import sampler_of

    monkeypatch.setattr(catalog, "class_weights", lambda *args, **kwargs: {0: 0.6, 1: 3.0})
    run, preset = tmp_path / "run", tmp_path / "preset"
    argv = ["train", "--output", str(run), "--sampler", "das", "--k", "4", "--context", "1"]
    argv += ["--learned-positions", "--epochs", "1", "--batch-size", "8", "--verbose", "0"]
    argv += ["--save-preset", str(preset), "--prior-correction"]
    assert cli.main(argv) == 0
    config = json.loads((run / "run_config.json").read_text())
    assert config["sampler_options"] == {
        "context": 1,
        "learned_positions": True,
        "position_prior": 4.0,
    }
    sampler = sampler_of(zoo.load(preset))
    assert sampler.learned_positions and sampler.context == 1
    assert zoo.load_metadata(preset)["prior_correction"] == [0.6, 3.0]
    # options that do not apply are refused before anything is trained
    bad = ["train", "--output", str(tmp_path / "x"), "--sampler", "center", "--learned-positions"]
    assert cli.main(bad) == 2
    assert "--learned-positions` applies to --sampler das only" in capsys.readouterr().err
    assert cli.main(["train", "--output", str(tmp_path / "y"), "--prior-correction"]) == 2
    assert "--save-preset" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_sampler_kwargs_follow_the_class_attribute(test_sampler):
    from das_keras.runs.recipe import sampler_kwargs

    assert sampler_kwargs("uniform", 3) is None
    assert sampler_kwargs("center", 3, {"context": 1}) == {"context": 1}
    assert sampler_kwargs("das", 3, {"heads": 2}) == {"seed": 3, "heads": 2}
    assert sampler_kwargs("every_other_test", 3) == {"seed": 3}
    with pytest.raises(ValueError, match="`sampler` must be one of"):
        sampler_kwargs("nope", 0)


def test_compile_model_is_the_recipe():
    import keras

    from das_keras.runs import compile_model

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    compile_model(model, learning_rate=0.01, ema=True)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.optimizer.use_ema
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert model.loss == "sparse_categorical_crossentropy"
    with pytest.raises(ValueError, match="learning_rate"):
        compile_model(model, learning_rate=0)


def test_cosine_schedule_with_a_start_rate_ignores_the_optimizer_and_logs_the_rate():
    import keras

    from das_keras.runs import CosineSchedule

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.7), "mse")  # e.g. a rate restored from a backup
    x = np.zeros((4, 3), "float32")
    history = model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[CosineSchedule(3, 0.3)])
    expected = [0.15 * (1 + math.cos(math.pi * e / 3)) for e in range(3)]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-5)


def test_one_device_placement_writes_the_run_folder(tmp_path):
    from das_keras.runs import Placement

    placement = Placement.of(None)
    assert not placement.distributed and placement.is_chief
    assert placement.task_dir(str(tmp_path)) == (str(tmp_path), False)
    assert placement.backup_dir(str(tmp_path)) == os.path.join(str(tmp_path), "backup")
    assert placement.check_batch_size(1) == 1
    with placement.scope():
        pass
    assert Placement.of(placement) is placement


def test_load_model_reads_a_file_a_run_folder_and_a_preset(tmp_path):
    from das_keras.models import build_classifier
    from das_keras.runs import load_model, model_source

    model = build_classifier(SHAPE, 2, "uniform", k=4, backbone="small_cnn")
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "model.keras")
    (run / "run_config.json").write_text('{"dataset": "synthetic", "size": 28}')
    x = np.random.default_rng(0).random((2, *SHAPE)).astype("float32")
    for source in (run, run / "model.keras", str(run)):
        loaded = load_model(source)
        np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)
    assert model_source(run)["dataset"] == "synthetic"
    assert load_model("das_synthetic").input_shape[1:] == (32, 32, 32, 1)
    assert model_source("das_synthetic")["dataset"] == "synthetic"
    with pytest.raises(FileNotFoundError, match="--model: no model file at"):
        load_model(tmp_path / "missing.keras", option="--model")
    with pytest.raises(ValueError, match="no_such_preset"):
        load_model("no_such_preset")


def test_the_old_names_still_import():
    import das_keras
    from das_keras import runs
    from das_keras.data import catalog
    from das_keras.training import (  # noqa: F401
        DATASETS,
        LR_SCHEDULES,
        MEDMNIST3D_SETS,
        DataSplits,
        evaluate_run,
        load_splits,
        predict_split,
        read_log,
        save_run_as_preset,
        train_run,
    )

    assert train_run is runs.train_run and das_keras.training.train_run is runs.train_run
    assert load_splits is catalog.load_splits and DataSplits is catalog.DataSplits
    from das_keras.schedules import CosineSchedule

    assert CosineSchedule is runs.CosineSchedule
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from das_keras import run_folder
    assert run_folder is runs.folder
