"""`das-keras demo`."""

from das_keras.commands.common import non_negative_int, positive_int


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="train DAS, DPS and Uniform on the synthetic task and compare them"
    )
    parser.add_argument("--output", default="das_demo", help="output folder")
    parser.add_argument("--epochs", type=positive_int, default=12, help="epochs per model")
    parser.add_argument("--k", type=positive_int, default=8, help="slices kept of the 32")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed")
    parser.set_defaults(func=run)


def run(args):
    from das_keras.demo import run_demo

    if args.k > 32:
        raise ValueError(f"--k must be <= 32, the slices of the demo volumes; received {args.k}.")
    run_demo(args.output, epochs=args.epochs, k=args.k, seed=args.seed)
    return 0
