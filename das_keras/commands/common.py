"""What several sub-commands share: argument types, data arguments, errors.

Nothing here imports Keras or TensorFlow at module level: `das-keras --help` builds every parser
without them.
"""

import argparse
import functools
import importlib
import sys
import traceback

from das_keras.defaults import DATASET_NAMES, SAMPLER_NAMES, TRAIN_DEFAULTS

# Expected errors: bad arguments, missing files, unknown names. They print as one line (exit 2).
EXPECTED_ERRORS = (ValueError, OSError, KeyError, ModuleNotFoundError)
# Expected errors defined in modules that import Keras: looked up only once those are loaded.
EXPECTED_ERROR_NAMES = (("das_keras.runs.folder", "RunFolderError"),)
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


def _argument(text, kind, check, **options):
    """Parses `text` with `kind` and checks it with `check`, a `das_keras.checks` function name."""
    # imported when a value is parsed, not when the parsers are built: das_keras.checks imports
    # NumPy, and `das-keras --help` answers without it
    from das_keras import checks

    check = getattr(checks, check)
    try:
        value = kind(text)
    except ValueError:
        value = text  # not a number: the check refuses it and says what was expected
    try:
        return check(value, "value", **options)
    except ValueError as error:
        expected = str(error).split(" must be ", 1)[-1].split(";", 1)[0]
        raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}") from None


def positive_int(text):
    """argparse type: an int >= 1."""
    return _argument(text, int, "check_positive_int")


def non_negative_int(text):
    """argparse type: an int >= 0."""
    return _argument(text, int, "check_positive_int", minimum=0)


def positive_float(text):
    """argparse type: a finite number > 0."""
    return _argument(text, float, "check_positive_number")


def fraction(text):
    """argparse type: a number in [0, 1)."""
    return _argument(text, float, "check_fraction", allow_zero=True, allow_one=False)


def parse_k(text):
    """--k: a count (8) or a fraction of T written with a decimal point (0.5).

    Only the number is parsed here: its range is checked where k is resolved against T
    (`das_keras.checks.resolve_k`, when the sampler is built).

    Example:
        >>> parse_k("8"), parse_k("0.5")
        (8, 0.5)
    """
    kind = float if "." in text or "e" in text.lower() else int
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a count like 8 or a fraction of T like 0.5; received {text!r}"
        ) from None


class RegisteredSamplers:
    """argparse `choices` of --sampler: the names in the live registry `das_keras.layers.SAMPLERS`.

    Checking a value imports `das_keras.layers` (the value is then used to build a model), so
    a sampler class defined anywhere before parsing, even in a test file, is accepted. Listing
    the choices for --help does not import Keras: before das_keras.layers is loaded it shows the
    built-in names (`das_keras.defaults.SAMPLER_NAMES`).
    """

    def __contains__(self, name):
        return name in importlib.import_module("das_keras.layers").SAMPLERS

    def __iter__(self):
        layers = sys.modules.get("das_keras.layers")
        return iter(sorted(layers.SAMPLERS) if layers is not None else SAMPLER_NAMES)


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
    """The keyword arguments of `das_keras.data.catalog.load_splits` from parsed arguments."""
    return {
        "data_dir": args.data_dir,
        "size": args.size,
        "num_frames": args.frames,
        "frame_size": args.frame_size,
    }


def load_splits(args, seed=0, augment=False):
    """`das_keras.data.catalog.load_splits` of the parsed data arguments (`add_data_arguments`).

    Imports the catalogue (and TensorFlow) only when called: the parsers are built without it.
    """
    from das_keras.data import catalog

    return catalog.load_splits(
        args.dataset, args.batch_size, seed, augment=augment, **data_options(args)
    )


def metrics_table(metrics):
    """One evaluation as a Markdown table ("ACC": argmax accuracy, MedMNIST's official ACC)."""
    return "\n".join(
        [
            "| data set | split | n | balanced acc. | AUC | ACC (argmax; MedMNIST's) |",
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
