"""The `das-keras` command line: one sub-command per module in `das_keras.commands`."""

import argparse
import importlib
import sys

COMMANDS = ("demo", "train", "evaluate", "zoo", "tune", "explain", "export")


def build_parser():
    """The argument parser of `das-keras`."""
    parser = argparse.ArgumentParser(
        prog="das-keras", description="Input-adaptive slice subsampling for Keras 3."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"das_keras.commands.{name}").register(subparsers)
    return parser


def main(argv=None):
    """Entry point of the `das-keras` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
