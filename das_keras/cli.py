"""The `das-keras` command line."""

import argparse
import sys


def _demo(args):
    from das_keras.demo import run_demo

    run_demo(args.output, epochs=args.epochs, k=args.k, seed=args.seed)
    return 0


def build_parser():
    """The argument parser of `das-keras` (one sub-command per task)."""
    parser = argparse.ArgumentParser(
        prog="das-keras", description="Input-adaptive slice subsampling for Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train DAS, DPS and Uniform on the synthetic task and compare them"
    )
    demo.add_argument("--output", default="das_demo", help="output folder (default: das_demo)")
    demo.add_argument("--epochs", type=int, default=12, help="epochs per model (default: 12)")
    demo.add_argument("--k", type=int, default=8, help="slices kept of the 32 (default: 8)")
    demo.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    """Entry point of the `das-keras` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
