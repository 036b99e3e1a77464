"""`das-keras demo`."""

from das_keras.commands.common import non_negative_int, parse_k, positive_int


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="train DAS, DPS and Uniform on the synthetic task and compare them"
    )
    parser.add_argument("--output", default="das_demo", help="output folder")
    parser.add_argument("--epochs", type=positive_int, default=12, help="epochs per model")
    parser.add_argument("--k", type=parse_k, default=8, help="slices kept of 32")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed")
    parser.set_defaults(func=run)


def run(args):
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    from das_keras.demo import run_demo

    run_demo(args.output, epochs=args.epochs, k=args.k, seed=args.seed)
    return 0
