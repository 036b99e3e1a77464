"""`das-keras evaluate`."""

import json

from das_keras.commands.common import add_data_arguments, data_options, metrics_table


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="balanced accuracy and AUC of a trained model on a split"
    )
    add_data_arguments(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a .keras file or a run folder")
    source.add_argument("--preset", help="a zoo preset (its data set is the default --dataset)")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--json", default=None, help="also write the metrics to this file")
    parser.set_defaults(func=run)


def run(args):
    from das_keras.training import evaluate_run

    model, options = args.model, data_options(args)
    if args.preset:
        from das_keras import zoo

        metadata = zoo.load_metadata(args.preset)
        model = zoo.load(args.preset, compile=False)
        args.dataset = metadata["dataset"]
        shape = metadata["input_shape"]
        options.update(size=shape[1], num_frames=shape[0], frame_size=shape[1])
    metrics = evaluate_run(model, args.dataset, args.split, args.batch_size, **options)
    print(metrics_table(metrics))
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0
