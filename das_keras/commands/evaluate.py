"""`das-keras evaluate`."""

import json

from das_keras.commands.common import add_data_arguments, data_options, metrics_table


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="balanced accuracy and AUC of a trained model on a split"
    )
    add_data_arguments(parser)
    parser.add_argument("--model", required=True, help="a .keras file or a run folder")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--json", default=None, help="also write the metrics to this file")
    parser.set_defaults(func=run)


def run(args):
    from das_keras.training import evaluate_run

    metrics = evaluate_run(
        args.model, args.dataset, args.split, args.batch_size, **data_options(args)
    )
    print(metrics_table(metrics))
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0
