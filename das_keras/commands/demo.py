"""`das-keras demo`."""


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="train DAS, DPS and Uniform on the synthetic task and compare them"
    )
    parser.add_argument("--output", default="das_demo", help="output folder (default: das_demo)")
    parser.add_argument("--epochs", type=int, default=12, help="epochs per model (default: 12)")
    parser.add_argument("--k", type=int, default=8, help="slices kept of the 32 (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.set_defaults(func=run)


def run(args):
    from das_keras.demo import run_demo

    run_demo(args.output, epochs=args.epochs, k=args.k, seed=args.seed)
    return 0
