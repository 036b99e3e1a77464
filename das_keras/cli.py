"""The `das-keras` command line: one sub-command per module in `das_keras.commands`.

Building the parser imports no Keras and no TensorFlow (each command imports what it runs only
when it runs), so `das-keras --help` and `--version` answer at once. Expected errors (bad
arguments, missing files, unknown names, a locked run folder) print as one line with exit code 2;
`--debug` shows their traceback and TensorFlow's log messages instead.
"""

import argparse
import copy
import importlib
import os
import sys

import das_keras
from das_keras.commands.common import call
from das_keras.version import __version__

COMMANDS = ("demo", "train", "evaluate", "zoo", "tune", "explain", "export")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default (unless its help names one, or it has none worth showing).

    Descriptions and epilogs are wrapped, except text with line breaks of its own (examples).
    """

    def _format_action(self, action):
        if action.help is None and _shows_default(action):
            action = copy.copy(action)
            action.help = "default: %(default)s"
        return super()._format_action(action)

    def _get_help_string(self, action):
        help_text = action.help or ""
        if "default" in help_text or not _shows_default(action):
            return help_text
        return super()._get_help_string(action)

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _shows_default(action):
    default = action.default
    nothing = default is None or default is False or default == argparse.SUPPRESS  # 0 is shown
    return bool(action.option_strings) and not nothing


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with `HelpFormatter` and one-line errors, for sub-commands too."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        """A bad argument: one line on stderr (not the whole usage), exit code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser():
    """The argument parser of `das-keras`.

    Returns:
        An `argparse.ArgumentParser`; `parse_args` gives a namespace whose `func(args)` runs
        the chosen command and returns its exit code.

    Example:
        >>> build_parser().parse_args(["train", "--output", "runs/x"]).epochs
        30
    """
    parser = ArgumentParser(
        prog="das-keras", description="Input-adaptive slice subsampling for Keras 3."
    )
    parser.add_argument("--version", action="version", version=f"das-keras {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error, and TensorFlow's log messages",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"das_keras.commands.{name}").register(subparsers)
    return parser


def quiet_tensorflow():
    """No TensorFlow / absl log lines (not even errors) unless TF_CPP_MIN_LOG_LEVEL is set.

    Runs before TensorFlow is imported: TensorFlow reads the variable once, at import.
    """
    if das_keras._USER_TF_LOG_LEVEL is None:  # das_keras set 2 (warnings) for library use
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        from absl import logging as absl_logging
    except ImportError:
        return
    absl_logging.set_verbosity(absl_logging.ERROR)


def main(argv=None):
    """Entry point of the `das-keras` console script; returns the exit code.

    Args:
        argv: the arguments (default `sys.argv[1:]`).

    Returns:
        int: 0 on success, 2 for bad arguments or an expected error, 1 for an internal error.

    Example:
        >>> main(["--version"])  # doctest: +SKIP
        das-keras 0.1.0
    """
    args = build_parser().parse_args(argv)
    if not args.debug:
        quiet_tensorflow()
    elif das_keras._USER_TF_LOG_LEVEL is None:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # all of TensorFlow's log
    return call(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
