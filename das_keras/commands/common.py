"""What several sub-commands share: argument types, data arguments, errors, model loading, progress.

Nothing here imports Keras or TensorFlow at module level: `das-keras --help` builds every parser
without them.
"""

import argparse
import functools
import json
import math
import os
import sys
import traceback

from das_keras.defaults import DATASET_NAMES, TRAIN_DEFAULTS

# Expected errors: bad arguments, missing files, unknown names. They print as one line (exit 2).
EXPECTED_ERRORS = (ValueError, OSError, KeyError, ModuleNotFoundError)
# Expected errors defined in modules that import Keras: looked up only once those are loaded.
EXPECTED_ERROR_NAMES = (("das_keras.run_folder", "RunFolderError"),)
# Which extra installs a module that an optional feature imports.
EXTRAS = {
    "keras_tuner": "tuning",
    "tensorboard": "tuning",
    "tf2onnx": "export",
    "onnx": "export",
    "onnxruntime": "export",
    "tensorflow": "cpu",
    "tensorflow_datasets": "tfds",
    "imageio": "video",
}


# --- argument types ---------------------------------------------------------------------------


def _number(text, kind, check, expected):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}") from None
    if not check(value):
        raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}")
    return value


def positive_int(text):
    """argparse type: an int >= 1."""
    return _number(text, int, lambda v: v >= 1, "an int >= 1")


def non_negative_int(text):
    """argparse type: an int >= 0."""
    return _number(text, int, lambda v: v >= 0, "an int >= 0")


def positive_float(text):
    """argparse type: a finite number > 0."""
    return _number(text, float, lambda v: math.isfinite(v) and v > 0, "a number > 0")


def fraction(text):
    """argparse type: a number in [0, 1)."""
    return _number(text, float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def parse_k(value):
    """--k: an int count >= 1, or a fraction of T in (0, 1] written with a decimal point (0.5).

    Example:
        >>> parse_k("8"), parse_k("0.5")
        (8, 0.5)
    """
    if "." in value or "e" in value.lower():
        expected = "a fraction of T in (0, 1] like 0.5, or a count >= 1 like 8"
        return _number(value, float, lambda v: 0 < v <= 1, expected)
    return _number(value, int, lambda v: v >= 1, "a count >= 1 like 8, or a fraction like 0.5")


def add_data_arguments(parser, batch_size=TRAIN_DEFAULTS["batch_size"]):
    """--dataset, --data-dir, --size, --frames, --frame-size, --batch-size."""
    parser.add_argument(
        "--dataset",
        default=TRAIN_DEFAULTS["dataset"],
        help=f"one of {', '.join(DATASET_NAMES)}",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data folder: MedMNIST3D files, the POCUS or BUSV root (default: $DAS_KERAS_DATA)",
    )
    parser.add_argument(
        "--size", type=int, default=TRAIN_DEFAULTS["size"], choices=(28, 64), help="MedMNIST3D size"
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=TRAIN_DEFAULTS["num_frames"],
        help="frames per clip T (POCUS, BUSV)",
    )
    parser.add_argument(
        "--frame-size",
        type=positive_int,
        default=TRAIN_DEFAULTS["frame_size"],
        help="clip frame size (POCUS, BUSV)",
    )
    parser.add_argument("--batch-size", type=positive_int, default=batch_size)


def data_options(args):
    """The keyword arguments of `das_keras.training.load_splits` from parsed arguments."""
    return {
        "data_dir": args.data_dir,
        "size": args.size,
        "num_frames": args.frames,
        "frame_size": args.frame_size,
    }


def metrics_table(metrics):
    """One evaluation as a Markdown table."""
    return "\n".join(
        [
            "| data set | split | n | balanced acc. | AUC | accuracy |",
            "|---|---|---|---|---|---|",
            f"| {metrics['dataset']} | {metrics['split']} | {metrics['num_samples']} "
            f"| {metrics['balanced_accuracy']:.4f} | {metrics['auc']:.4f} "
            f"| {metrics['accuracy']:.4f} |",
        ]
    )


# --- errors -----------------------------------------------------------------------------------


def command_name(args):
    """ "das-keras train", "das-keras zoo list", ...: the prefix of error lines."""
    words = ["das-keras", getattr(args, "command", None), getattr(args, "zoo_command", None)]
    return " ".join(w for w in words if w)


def expected_errors():
    """The exception classes that are reported as one line (see `call`)."""
    classes = list(EXPECTED_ERRORS)
    for module, name in EXPECTED_ERROR_NAMES:
        found = getattr(sys.modules.get(module), name, None)
        if found is not None:
            classes.append(found)
    return tuple(classes)


def error_message(error):
    """The one-line text of an expected error."""
    if isinstance(error, KeyError) and error.args:
        text = str(error.args[0])
    else:
        text = str(error) or type(error).__name__
    if isinstance(error, ModuleNotFoundError) and error.name:
        extra = EXTRAS.get(error.name.split(".")[0])
        if extra:
            text += f' (install it with: pip install "das-keras[{extra}]")'
    return " ".join(text.split())  # one line


def call(run, args):
    """Runs a command function: expected errors as one line on stderr and exit code 2.

    With `args.debug` (the global `--debug` flag) errors propagate with their traceback.
    Unexpected errors print their traceback and a line that says it is an internal error.

    Args:
        run: a command function, `run(args) -> exit code`.
        args: the parsed `argparse.Namespace`.

    Returns:
        The exit code: `run`'s, 2 for an expected error, 1 for an internal one, 130 on Ctrl-C.

    Example:
        >>> call(lambda args: int("x"), argparse.Namespace(command="train"))  # doctest: +SKIP
        2
    """
    if getattr(args, "debug", False):
        return run(args)
    name = command_name(args)
    try:
        return run(args)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except expected_errors() as error:
        print(f"{name}: error: {error_message(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001  (reported with its traceback)
        traceback.print_exc()
        print(
            f"{name}: internal error: {type(error).__name__} (a bug; please report it with the "
            "traceback above; rerun with --debug to see TensorFlow's log messages as well)",
            file=sys.stderr,
        )
        return 1


def handles_errors(run):
    """Decorator: `run(args)` reports its errors as `call` does, also when called directly."""

    @functools.wraps(run)
    def wrapper(args):
        return call(run, args)

    return wrapper


# --- models, run folders and evaluation -------------------------------------------------------


def model_file(path, option="--model"):
    """The .keras file of `path`: the file itself, or model.keras in a run folder.

    Raises:
        FileNotFoundError: naming `option` when there is no such file.
    """
    file = os.path.join(path, "model.keras") if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{option}: no model file at {file}.")
    return file


def load_model(path, option="--model"):
    """Loads a .keras file or a run folder's model.keras (not compiled)."""
    import keras

    import das_keras.models  # noqa: F401  (registers the layers for loading)

    return keras.models.load_model(model_file(path, option), compile=False)


def run_config(path):
    """The run_config.json of a run folder (or of the folder holding a .keras file), or {}."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    config_path = os.path.join(folder, "run_config.json")
    if not os.path.isfile(config_path):
        return {}
    with open(config_path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{config_path} is not valid JSON ({error}).") from None


def evaluate_split(model, dataset, split, batch_size, progress=True, **options):
    """`das_keras.training.evaluate_run` with a tqdm progress bar over the batches.

    Args:
        model: a `keras.Model`.
        dataset, split, batch_size, **options: see `das_keras.training.evaluate_run`.
        progress: show a progress bar on stderr (tqdm hides it where stderr is no terminal).

    Returns:
        dict of `das_keras.evaluation.classification_metrics`, plus "dataset" and "split".

    Example:
        >>> evaluate_split(model, "synthetic", "val", 32)["auc"]  # doctest: +SKIP
    """
    import numpy as np
    from tqdm.auto import tqdm

    from das_keras.evaluation import classification_metrics
    from das_keras.training import load_splits

    splits = load_splits(dataset, batch_size, 0, **options)
    batches = getattr(splits, split)
    count = int(batches.cardinality())
    labels, probabilities = [], []
    bar = tqdm(
        batches,
        total=count if count >= 0 else None,
        desc=f"{dataset} {split}",
        unit="batch",
        disable=None if progress else True,
    )
    for x, y in bar:
        labels.append(np.asarray(y).reshape(-1))
        probabilities.append(np.asarray(model.predict_on_batch(x)))
    metrics = classification_metrics(
        np.concatenate(labels).astype(int), np.concatenate(probabilities)
    )
    return {"dataset": dataset, "split": split, **metrics}
