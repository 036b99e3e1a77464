"""The `das-keras` command line: one-line errors, --debug, --version, start-up, defaults, evaluate.

Start-up and log lines are checked in subprocesses (the console script, `python -m das_keras`);
the error of every command through `das_keras.cli.main`, which the console script calls.
"""

import inspect
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from das_keras import cli
from das_keras.defaults import TRAIN_DEFAULTS

CONSOLE_SCRIPT = Path(sys.executable).with_name("das-keras")


def _run(*argv, env=None):
    """Runs `python -m das_keras ARGV` in a subprocess whose TF log level is left to the CLI."""
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "das_keras", *argv],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        timeout=300,
    )


def _main(argv, capsys):
    """(exit code, stdout, stderr) of `das_keras.cli.main(argv)`."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse errors, --help, --version
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- start-up ---------------------------------------------------------------------------------


def test_version_and_help_import_neither_keras_nor_tensorflow():
    script = (
        "import sys\n"
        "from das_keras import cli\n"
        "for argv in (['--version'], ['--help'], ['train', '--help'], ['tune', '--help']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, (argv, e.code)\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'keras_tuner', 'numpy')\n"
        "               if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_console_script_and_python_m_answer_version_quickly():
    from das_keras.version import __version__

    commands = [[sys.executable, "-m", "das_keras", "--version"]]
    if CONSOLE_SCRIPT.is_file():
        commands.append([str(CONSOLE_SCRIPT), "--version"])
    for command in commands:
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        seconds = time.perf_counter() - start
        assert result.returncode == 0 and result.stdout.strip() == f"das-keras {__version__}"
        assert result.stderr == ""
        assert seconds < 5, f"{command} took {seconds:.1f} s"  # TensorFlow alone takes ~7 s


def test_help_shows_the_shared_defaults(capsys):
    code, out, _ = _main(["train", "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())
    for option, key in (
        ("--epochs EPOCHS", "epochs"),
        ("--lr LR Adam learning rate", "learning_rate"),
        ("--k K slices kept: a count, or a fraction like 0.5", "k"),
        ("--backbone {mobilenetv3small,small_cnn}", "backbone"),
        ("--aggregation {mean,max,attention,conv1d}", "aggregation"),
    ):
        assert re.search(rf"{re.escape(option)} \(?default: {TRAIN_DEFAULTS[key]}\b", text), option


# --- one set of defaults ----------------------------------------------------------------------


def test_train_defaults_are_those_of_the_api_and_the_parser():
    from das_keras.runs import train_run

    parameters = inspect.signature(train_run).parameters
    for name, value in TRAIN_DEFAULTS.items():
        assert parameters[name].default == value, name
    args = cli.build_parser().parse_args(["train", "--output", "run"])
    parsed = {
        "learning_rate": args.lr,
        "num_frames": args.frames,
        "class_weighting": not args.no_class_weights,
    }
    for name, value in TRAIN_DEFAULTS.items():
        assert parsed.get(name, getattr(args, name, None)) == value, name


def test_default_name_tuples_match_the_modules():
    from das_keras import defaults
    from das_keras.data.catalog import DATASETS, MEDMNIST3D_SETS
    from das_keras.layers import SAMPLERS
    from das_keras.models import AGGREGATIONS, BACKBONES
    from das_keras.runs import LR_SCHEDULES

    assert sorted(defaults.SAMPLER_NAMES) == sorted(SAMPLERS)
    assert defaults.BACKBONE_NAMES == BACKBONES
    assert defaults.AGGREGATION_NAMES == AGGREGATIONS
    assert defaults.DATASET_NAMES == DATASETS
    assert defaults.MEDMNIST3D_NAMES == MEDMNIST3D_SETS
    assert defaults.LR_SCHEDULE_NAMES == LR_SCHEDULES


# --- errors -----------------------------------------------------------------------------------

# (argv, words in the one error line); {tmp} is a fresh folder.
ERROR_CASES = [
    (
        ["train", "--output", "{tmp}/run", "--epochs", "0"],
        "argument --epochs: expected an int >= 1",
    ),
    (["train", "--output", "{tmp}/run", "--epochs", "-1"], "argument --epochs"),
    (["train", "--output", "{tmp}/run", "--lr", "-1"], "argument --lr: expected a number > 0"),
    # --k: argparse parses the number; its range is checked once, where T resolves it
    (["train", "--output", "{tmp}/run", "--k", "1.5"], "`k` as a fraction of T must be in (0, 1]"),
    (["train", "--output", "{tmp}/run", "--k", "x"], "argument --k: expected a count"),
    (["train", "--output", "{tmp}/run", "--batch-size", "0"], "argument --batch-size"),
    (["train", "--output", "{tmp}/run", "--patience", "-1"], "argument --patience"),
    (["train", "--output", "{tmp}/run", "--k", "40", "--epochs", "1"], "`k` must be <= T"),
    (["train", "--output", "{tmp}/run", "--dataset", "imagenet"], "`dataset`"),
    (
        ["train", "--output", "{tmp}/run", "--dataset", "pocus", "--data-dir", "{tmp}/none"],
        "{tmp}/none",
    ),
    (["evaluate", "--model", "{tmp}/missing.keras"], "--model: no model file at"),
    (["evaluate", "--preset", "no_such_preset"], "no_such_preset"),
    (["zoo", "show", "no_such_preset"], "no_such_preset"),
    (["zoo", "evaluate", "no_such_preset"], "no_such_preset"),
    (["tune", "--output", "{tmp}/tune", "--k", "40"], "received k=40 with T=32"),
    (["tune", "--output", "{tmp}/tune", "--trials", "0"], "argument --trials"),
    (["export", "--model", "{tmp}/missing.keras", "--output", "{tmp}/m.onnx"], "no model file"),
    (["explain", "--model", "{tmp}/missing.keras", "--index", "0", "--output", "x.png"], "--model"),
    (["explain", "--model", "m.keras", "--index", "-1", "--output", "x.png"], "argument --index"),
    (["demo", "--k", "40"], "received k=40 with T=32"),
    (["demo", "--epochs", "0"], "argument --epochs"),
]


@pytest.mark.parametrize(
    "argv, words", ERROR_CASES, ids=[" ".join(a[:1] + a[3:]) for a, _ in ERROR_CASES]
)
def test_expected_errors_are_one_line_with_exit_code_2(argv, words, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, _, err = _main(argv, capsys)
    command = " ".join(["das-keras", *argv[:2]]) if argv[0] == "zoo" else f"das-keras {argv[0]}"
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{command}: error: "), lines[0]
    assert words.format(tmp=tmp_path) in lines[0]
    assert not (tmp_path / "run" / "run_config.json").exists()


def test_one_line_error_and_no_tensorflow_log_lines_in_a_subprocess(tmp_path):
    # --k 40 is checked once TensorFlow has loaded the data: its log lines would show here.
    result = _run("train", "--output", str(tmp_path / "run"), "--k", "40", "--epochs", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "das-keras train: error: `k` must be <= T, the number of slices in the input; "
        "received k=40 with T=32."
    ], result.stderr
    listing = _run("zoo", "list")
    assert listing.returncode == 0 and "das_synthetic" in listing.stdout
    assert listing.stderr == ""


def test_debug_shows_the_traceback(capsys):
    code, _, err = _main(["zoo", "show", "no_such_preset"], capsys)
    assert code == 2 and "Traceback" not in err
    result = _run("--debug", "zoo", "show", "no_such_preset")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "PresetError" in result.stderr


def test_an_internal_error_keeps_its_traceback(monkeypatch, capsys):
    from das_keras.commands import zoo as zoo_command

    def broken(args):
        raise TypeError("a bug")

    monkeypatch.setattr(zoo_command, "run_show", broken)
    code, _, err = _main(["zoo", "show", "x"], capsys)
    assert code == 1
    assert "Traceback (most recent call last)" in err and "TypeError: a bug" in err
    assert "das-keras zoo show: internal error: TypeError" in err and "--debug" in err


def test_missing_optional_module_names_the_extra():
    from das_keras.commands.common import error_message

    error = ModuleNotFoundError("No module named 'keras_tuner'", name="keras_tuner")
    assert error_message(error).endswith('pip install "das-keras[tuning]")')
    assert error_message(KeyError("unknown name 'x'")) == "unknown name 'x'"


# --- evaluate reads the run folder ------------------------------------------------------------


def test_evaluate_a_run_folder_uses_its_data_set(shared_data, tmp_path, capsys):
    import keras

    from das_keras.models import build_classifier

    # A run folder of VesselMNIST3D (28 slices of 28x28): before, evaluate fell back to the
    # synthetic set (32 x 32 x 32) and failed with a shape error.
    run = tmp_path / "run"
    run.mkdir()
    keras.utils.set_random_seed(0)
    model = build_classifier((28, 28, 28, 1), 2, sampler="uniform", k=4, backbone="small_cnn")
    model.save(run / "model.keras")
    config = {**TRAIN_DEFAULTS, "dataset": "vessel", "sampler": "uniform", "k": 4}
    (run / "run_config.json").write_text(json.dumps(config))
    data = ["--data-dir", str(shared_data / "medmnist3d"), "--split", "val"]
    code, out, err = _main(["evaluate", "--model", str(run), *data], capsys)
    assert code == 0, err
    assert "| vessel | val | 191 |" in out
    metrics = json.loads(out[out.index("{") :])
    assert metrics["dataset"] == "vessel" and metrics["num_samples"] == 191


# --- tune: keras-tuner's trial numbers, TensorBoard with HParams ------------------------------


def test_tune_numbers_trials_as_keras_tuner_prints_them_and_logs_hparams(tmp_path, capsys):
    import tensorflow as tf

    from das_keras import data
    from das_keras.tuning import (
        DASHyperModel,
        make_tuner,
        tensorboard_callback,
        trial_summary,
    )

    options = {"num_samples": 8, "num_slices": 8, "size": 16, "batch_size": 8, "seed": 0}
    train, val = data.synthetic("train", **options), data.synthetic("val", **options)
    hypermodel = DASHyperModel(
        (8, 16, 16, 1), 2, k=4, heads=(1, 2), tau0=1.0, width=0.25, hidden_units=8, seed=0
    )
    tuner = make_tuner(hypermodel, directory=tmp_path, max_trials=2, seed=0)
    logs = tmp_path / "tensorboard"
    tuner.search(
        train, validation_data=val, epochs=1, verbose=1, callbacks=[tensorboard_callback(logs)]
    )
    printed = capsys.readouterr().out
    summary = trial_summary(tuner)
    numbers = {t["trial_id"]: t["trial_number"] for t in summary["trials"]}
    assert numbers == {"0": 1, "1": 2}
    for number in numbers.values():  # keras-tuner's own lines use the same numbers
        assert f"Running Trial #{number}" in printed and f"Trial {number} Complete" in printed

    for trial_id in numbers:
        events = list((logs / trial_id / "execution0").rglob("events.out.tfevents.*"))
        tags = {
            value.tag
            for path in events
            for event in tf.compat.v1.train.summary_iterator(str(path))
            for value in event.summary.value
        }
        assert "_hparams_/session_start_info" in tags, (trial_id, tags)
        assert "epoch_loss" in tags
