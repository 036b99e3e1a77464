"""das_keras.viz figures and the `das-keras explain` command."""

import argparse
import csv
import json

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from das_keras import viz
from das_keras.commands import explain
from das_keras.layers import DASLayer, RandomSampler, UniformSampler
from das_keras.models import build_classifier, sampler_of, small_cnn

SHAPE = (12, 16, 16, 1)
SAMPLERS = ("das", "dps", "adps", "uniform", "center", "random", "full")
WITH_CURVE = ("das", "dps")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _model(sampler, shape=SHAPE, k=4):
    return build_classifier(
        shape,
        2,
        sampler=sampler,
        k=k,
        backbone=small_cnn(shape[1:], filters=(8,)),
        sampler_kwargs=None if sampler in ("uniform", "full") else {"seed": 0},
    )


@pytest.fixture(scope="module")
def models():
    keras.utils.set_random_seed(0)
    return {name: _model(name) for name in SAMPLERS}


@pytest.fixture(scope="module")
def volume():
    return np.random.default_rng(0).random(SHAPE).astype("float32")


def _assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000


def _labels(fig):
    return [ax.get_label() for ax in fig.axes]


def _chosen(model, volume):
    indices, _ = sampler_of(model).select(volume[None], training=False)
    return np.asarray(indices)[0].tolist()


# ------------------------------------------------------------------ inputs and their validation


def test_sampler_of_takes_a_layer_or_a_model_with_a_sampler(models):
    layer = sampler_of(models["das"])
    assert viz._sampler_of(layer) is layer
    assert viz._sampler_of(models["das"]) is layer
    inputs = keras.Input(SHAPE)
    renamed = keras.Model(inputs, UniformSampler(k=3, name="chooser")(inputs))
    assert isinstance(viz._sampler_of(renamed), UniformSampler)
    with pytest.raises(ValueError, match="`sampler_or_model` must be a sampler layer"):
        viz._sampler_of("das")
    no_sampler = keras.Model(inputs, keras.layers.Flatten()(inputs))
    with pytest.raises(ValueError, match="holds no sampler layer"):
        viz._sampler_of(no_sampler)


def test_volume_is_checked_with_errors_naming_it(models, volume):
    model = models["uniform"]
    with pytest.raises(ValueError, match=r"`volume` must be one input .*\(12, 16, 16\).*None"):
        viz.plot_sampling_matrix(model, volume[..., 0])
    with pytest.raises(ValueError, match=r"received shape \(1, 12, 16, 16, 1\).*volume\[0\]"):
        viz.plot_slice_montage(model, volume[None])
    with pytest.raises(
        ValueError, match=r"`volume` has shape \(10, 16, 16, 1\).*\(12, 16, 16, 1\)"
    ):
        viz.plot_slice_montage(model, volume[:10])
    with pytest.raises(ValueError, match="`volume` must be a numeric array"):
        viz.plot_sampling_matrix(model, "volume.npy")
    with pytest.raises(ValueError, match="`training` must be True or False"):
        viz.plot_sampling_matrix(model, volume, training="yes")
    with pytest.raises(ValueError, match="`max_columns` must be an int >= 1; received max_col"):
        viz.plot_slice_montage(model, volume, max_columns=0)
    with pytest.raises(ValueError, match=r"`highlight` must be slice indices in \[0, 11\]"):
        viz.plot_slice_montage(model, volume, highlight=[12])


def test_tensor_and_colour_volumes_are_accepted():
    import tensorflow as tf

    rgb = tf.random.uniform((6, 8, 8, 3))
    fig = viz.plot_slice_montage(UniformSampler(k=2), rgb, max_columns=3)
    assert np.asarray(fig.axes[0].images[0].get_array()).shape == (8, 8, 3)
    two_channels = np.random.default_rng(1).random((6, 8, 8, 2))
    fig = viz.plot_slice_montage(UniformSampler(k=2), two_channels)
    assert np.asarray(fig.axes[0].images[0].get_array()).shape == (8, 8)  # mean over channels


# ----------------------------------------------------------------------------- sampling matrix


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampling_matrix_shows_p_with_the_chosen_indices(models, volume, sampler, tmp_path):
    model = models[sampler]
    indices, matrix = sampler_of(model).select(volume[None], training=False)
    indices, matrix = np.asarray(indices)[0], np.asarray(matrix)[0]
    path = tmp_path / "sub" / "matrix.png"
    fig = viz.plot_sampling_matrix(model, volume, path=path)
    assert isinstance(fig, Figure)
    assert _labels(fig) == ["sampling_matrix"]
    ax = fig.axes[0]
    shown = np.asarray(ax.images[0].get_array())
    written = [int(t.get_text()) for t in ax.texts]
    assert shown.argmax(-1).tolist() == written  # each row's index is written in its cell
    if sampler != "random":  # random draws anew on each call
        np.testing.assert_array_equal(shown, matrix)
        assert written == indices.tolist()
    assert ax.get_xlabel() == "slice index t"
    assert type(sampler_of(model)).__name__ in fig.get_suptitle()
    _assert_png(path)


def test_sampling_matrix_in_training_mode_has_one_hot_rows(models, volume):
    fig = viz.plot_sampling_matrix(sampler_of(models["das"]), volume, training=True)
    shown = np.asarray(fig.axes[0].images[0].get_array())
    assert shown.shape == (4, 12)
    np.testing.assert_allclose(shown.sum(-1), 1.0, atol=1e-5)
    assert "training" in fig.get_suptitle()


# -------------------------------------------------------------------------------- slice montage


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_slice_montage_outlines_the_chosen_slices(models, volume, sampler, tmp_path):
    model = models[sampler]
    chosen = _chosen(model, volume)
    path = tmp_path / "montage.png"
    fig = viz.plot_slice_montage(model, volume, path=path, max_columns=5, highlight=[2, 3])
    slices = [f"slice_{t}" for t in range(SHAPE[0])]
    assert _labels(fig) == slices + (["attention"] if sampler in WITH_CURVE else [])
    outlined = [
        t for t, ax in enumerate(fig.axes[: SHAPE[0]]) if ax.spines["top"].get_linewidth() > 2
    ]
    if sampler != "random":  # random draws anew on each call
        assert outlined == chosen
    assert len(outlined) == (12 if sampler == "full" else 4)
    # 12 slices in rows of 5: three rows of thumbnails
    assert {ax.get_subplotspec().rowspan.start for ax in fig.axes[: SHAPE[0]]} == {0, 1, 2}
    _assert_png(path)


def test_das_montage_curve_is_the_softmax_of_its_attention(models, volume):
    layer = sampler_of(models["das"])
    fig = viz.plot_slice_montage(layer, volume)
    curve = fig.axes[-1]
    assert curve.get_label() == "attention"
    logits = np.asarray(layer.attention(volume[None]))[0]
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(curve.lines[-1].get_ydata(), expected, rtol=1e-5)
    assert "softmax" in curve.get_title() and "a_base" in curve.get_title()
    assert curve.get_xlabel() == "slice index t"
    legend = [t.get_text() for t in curve.get_legend().get_texts()]
    assert "chosen slices" in legend


# ------------------------------------------------------------------------------ compare_samplers


def test_compare_samplers_has_one_row_per_sampler(models, volume, tmp_path):
    path = tmp_path / "compare.png"
    fig = viz.compare_samplers(models, volume, path=path, thumbnails=2, highlight=(5, 6))
    rows = [label for label in _labels(fig) if label.startswith("row:")]
    assert rows == ["row:reference"] + [f"row:{name}" for name in SAMPLERS]
    for name in SAMPLERS:
        ax = fig.axes[_labels(fig).index(f"row:{name}")]
        cells = np.asarray(ax.images[0].get_array())[0]
        if name != "random":
            assert np.flatnonzero(cells).tolist() == _chosen(models[name], volume)
        thumbs = [label for label in _labels(fig) if label.startswith(f"thumbnail:{name}:")]
        assert len(thumbs) == 2
    # DAS shows its chosen slices with the highest attention, uniform ones spread over its choice
    layer = sampler_of(models["das"])
    attention = np.asarray(layer.attention(volume[None]))[0]
    top = sorted(sorted(_chosen(models["das"], volume), key=lambda t: -attention[t])[:2])
    assert _thumbnail_titles(fig, "das") == [f"t={t}" for t in top]
    uniform = _chosen(models["uniform"], volume)  # 4 chosen, 2 shown: the 2nd and the 4th
    assert _thumbnail_titles(fig, "uniform") == [f"t={uniform[1]}", f"t={uniform[3]}"]
    reference = fig.axes[_labels(fig).index("row:reference")]
    assert np.flatnonzero(np.asarray(reference.images[0].get_array())[0]).tolist() == [5, 6]
    _assert_png(path)


def _thumbnail_titles(fig, name):
    return [ax.get_title() for ax in fig.axes if ax.get_label().startswith(f"thumbnail:{name}:")]


def test_compare_samplers_without_thumbnails_and_with_layers(volume):
    samplers = {"uniform": UniformSampler(k=3), "das": DASLayer(k=3, seed=0)}
    fig = viz.compare_samplers(samplers, volume, thumbnails=0)
    assert _labels(fig) == ["row:uniform", "row:das"]
    assert fig.axes[-1].get_xlabel() == "slice index t"


def test_compare_samplers_checks_its_arguments(models, volume):
    with pytest.raises(ValueError, match="`samplers_or_models` must be a non-empty dict"):
        viz.compare_samplers({}, volume)
    with pytest.raises(ValueError, match="`samplers_or_models` must be a non-empty dict"):
        viz.compare_samplers([models["das"]], volume)
    with pytest.raises(ValueError, match=r"`samplers_or_models\['bad'\]` must be a sampler"):
        viz.compare_samplers({"uniform": models["uniform"], "bad": 3}, volume)
    with pytest.raises(ValueError, match=r"samplers_or_models\['small'\].*\(8, 16, 16, 1\)"):
        viz.compare_samplers({"small": _model("uniform", (8, 16, 16, 1))}, volume)
    with pytest.raises(ValueError, match="`thumbnails` must be an int >= 0"):
        viz.compare_samplers({"r": RandomSampler(k=2)}, volume, thumbnails=-1)


# ---------------------------------------------------------------------------------- plot_history

HISTORY = {
    "loss": [0.7, 0.5, 0.4, 0.35],
    "val_loss": [0.72, 0.6, 0.55, 0.58],
    "accuracy": [0.5, 0.6, 0.7, 0.8],
    "val_accuracy": [0.5, 0.55, 0.7, 0.68],
}


def _check_history_figure(fig, metrics=("loss", "accuracy")):
    assert _labels(fig) == [f"history:{m}" for m in metrics]
    for ax, metric in zip(fig.axes, metrics):
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == metric
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[:2] == ["training", "validation"]
        assert legend[2].startswith("best validation (epoch 3)")
        assert list(ax.lines[0].get_xdata()) == [1, 2, 3, 4]


def test_plot_history_from_a_dict_and_a_keras_history(tmp_path):
    fig = viz.plot_history(HISTORY, path=tmp_path / "history.png")
    _check_history_figure(fig)
    _assert_png(tmp_path / "history.png")
    history = keras.callbacks.History()
    history.history = HISTORY
    _check_history_figure(viz.plot_history(history, metrics="loss"), ("loss",))


def test_plot_history_from_a_log_csv_and_a_run_folder(tmp_path):
    with open(tmp_path / "log.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *HISTORY])
        for epoch in range(4):
            writer.writerow([epoch, *(values[epoch] for values in HISTORY.values())])
    _check_history_figure(viz.plot_history(tmp_path / "log.csv"))
    fig = viz.plot_history(str(tmp_path), path=tmp_path / "out" / "h.png", metrics=("loss", "auc"))
    _check_history_figure(fig, ("loss",))
    _assert_png(tmp_path / "out" / "h.png")


def test_plot_history_checks_its_arguments(tmp_path):
    with pytest.raises(
        ValueError, match=r"none of \['auc'\] is in the history.*'accuracy', 'loss'"
    ):
        viz.plot_history(HISTORY, metrics=("auc",))
    with pytest.raises(FileNotFoundError, match="`history_or_log_csv`: no log file"):
        viz.plot_history(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="`history_or_log_csv` must be a keras History"):
        viz.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="holds no epochs"):
        viz.plot_history({"loss": []})
    with pytest.raises(ValueError, match="`path` must be a file name or None"):
        viz.plot_history(HISTORY, path=3)


# -------------------------------------------------------------------------- das-keras explain


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """An untrained DAS classifier for the synthetic set's (32, 32, 32, 1) volumes."""
    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("explain") / "das.keras"
    _model("das", (32, 32, 32, 1), k=8).save(path)
    return path


def _explain(argv, capsys):
    parser = argparse.ArgumentParser()
    explain.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explain", *argv])
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_an_npy_volume(saved_model, tmp_path, capsys):
    from das_keras.data.synthetic import synthetic_arrays

    volume = synthetic_arrays(1, seed=5)["x"][0, ..., 0]  # (T, H, W): a channel is added
    np.save(tmp_path / "volume.npy", volume)
    for kind in ("montage", "compare"):
        output = tmp_path / f"{kind}.png"
        argv = ["--model", str(saved_model), "--input", str(tmp_path / "volume.npy")]
        code, out, _ = _explain([*argv, "--output", str(output), "--kind", kind], capsys)
        assert code == 0
        assert "chosen slices (8 of 32): [" in out and "predicted class: " in out
        assert f"wrote {output}" in out
        _assert_png(output)


def test_explain_element_of_the_synthetic_test_split(saved_model, tmp_path, capsys):
    output = tmp_path / "matrix.png"
    argv = ["--model", str(saved_model), "--index", "3", "--dataset", "synthetic"]
    code, out, _ = _explain([*argv, "--output", str(output), "--kind", "matrix"], capsys)
    assert code == 0
    lines = out.splitlines()
    indices = json.loads(lines[0].split(": ", 1)[1])  # "chosen slices (8 of 32): [...]"
    assert len(indices) == 8 and indices == sorted(indices)
    assert lines[1].startswith("predicted class: ")
    assert "(square)" in lines[1] or "(cross)" in lines[1]
    assert lines[2].startswith("true class: ")
    _assert_png(output)


def test_explain_a_preset_takes_its_data_set_from_the_metadata(saved_model, tmp_path, capsys):
    from das_keras import zoo

    preset = tmp_path / "preset"
    metadata = {
        "name": "tiny_das",
        "dataset": "synthetic",
        "input_shape": [32, 32, 32, 1],
        "sampler": "das",
        "test_metrics": {},
        "license": "none (generated data)",
        "class_names": ["SQ", "CR"],
    }
    zoo.save(keras.models.load_model(saved_model), preset, metadata)
    output = tmp_path / "preset.png"
    code, out, _ = _explain(
        ["--preset", str(preset), "--index", "0", "--output", str(output)], capsys
    )
    assert code == 0
    assert "(SQ)" in out or "(CR)" in out
    _assert_png(output)


def test_explain_reports_bad_inputs(saved_model, tmp_path, capsys):
    np.save(tmp_path / "small.npy", np.zeros((16, 32, 32), "float32"))
    argv = ["--model", str(saved_model), "--output", str(tmp_path / "x.png")]
    code, _, err = _explain([*argv, "--input", str(tmp_path / "small.npy")], capsys)
    assert code == 2
    assert "--input" in err and "(16, 32, 32, 1)" in err and "(32, 32, 32, 1)" in err
    code, _, err = _explain([*argv, "--input", str(tmp_path / "missing.npy")], capsys)
    assert code == 2 and "no file at" in err
    argv[1] = str(tmp_path / "missing.keras")
    code, _, err = _explain([*argv, "--input", str(tmp_path / "small.npy")], capsys)
    assert code == 2 and "--model: no model file" in err
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(SystemExit):  # --model and --preset exclude each other
        _explain([*argv, "--preset", "p", "--index", "0"], capsys)


def test_plot_selections_marks_object_and_choices(tmp_path):
    test = {"depth": np.array([3, 7, 0]), "y": np.array([1, 0, 1])}
    selections = {"uniform": np.array([[1, 5], [1, 5], [1, 5]]), "das": np.array([[3, 4]] * 3)}
    path = tmp_path / "selections.png"
    fig = viz.plot_selections(test, selections, 12, path=path, num_examples=2)
    assert [ax.get_label() for ax in fig.axes] == ["input:0", "input:1"]
    grid = fig.axes[1].images[0].get_array()
    assert grid[0].tolist() == [0] * 7 + [1, 1] + [0] * 3  # the object at depth 7
    assert np.flatnonzero(grid[1] == 2).tolist() == [1, 5]  # uniform's choice
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="`num_examples` must be an int >= 1; received"):
        viz.plot_selections(test, selections, 12, num_examples=0)
