"""`das-keras evaluate`."""

import json

from das_keras.commands.common import add_data_arguments, data_options, metrics_table
from das_keras.defaults import TRAIN_DEFAULTS

# The data arguments a run folder's run_config.json (or a preset's metadata) provides:
# argument -> key of `das_keras.runs.model_source` and of TRAIN_DEFAULTS.
DATA_ARGUMENTS = {
    "dataset": "dataset",
    "size": "size",
    "frames": "num_frames",
    "frame_size": "frame_size",
}


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="balanced accuracy, AUC and ACC of a trained model on a split",
        description="Balanced accuracy, AUC and ACC (argmax accuracy: MedMNIST's official ACC "
        "for the binary sets) of a trained model on one split. The data set "
        "and its shape come from the run folder's run_config.json (--model RUN) or the "
        "preset's metadata (--preset NAME) unless given here.",
    )
    add_data_arguments(parser)
    # None: taken from the run folder or the preset, else the defaults of TRAIN_DEFAULTS.
    parser.set_defaults(**dict.fromkeys(DATA_ARGUMENTS))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a .keras file or a run folder")
    source.add_argument("--preset", help="a zoo preset (its data set is the default --dataset)")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--json", default=None, help="also write the metrics to this file")
    parser.set_defaults(func=run)


def run(args):
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    from das_keras import runs

    option = "--preset" if args.preset else "--model"
    model = runs.load_model(args.preset or args.model, option=option)
    source = runs.model_source(args.preset or args.model)
    for name, key in DATA_ARGUMENTS.items():
        if getattr(args, name) is None:
            value = source[key]
            setattr(args, name, TRAIN_DEFAULTS[key] if value is None else value)
    metrics = runs.evaluate_run(
        model, args.dataset, args.split, args.batch_size, progress=True, **data_options(args)
    )
    print(metrics_table(metrics))
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0
