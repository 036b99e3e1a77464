"""`das-keras evaluate`."""

import json

from das_keras.commands.common import (
    add_data_arguments,
    data_options,
    evaluate_split,
    load_model,
    metrics_table,
    run_config,
)
from das_keras.defaults import TRAIN_DEFAULTS

# The data arguments a run folder's run_config.json (or a preset's metadata) provides.
DATA_ARGUMENTS = ("dataset", "size", "frames", "frame_size")


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="balanced accuracy and AUC of a trained model on a split",
        description="Balanced accuracy and AUC of a trained model on one split. The data set "
        "and its shape come from the run folder's run_config.json (--model RUN) or the "
        "preset's metadata (--preset NAME) unless given here.",
    )
    add_data_arguments(parser)
    # None: taken from the run folder or the preset, else the defaults below.
    parser.set_defaults(**dict.fromkeys(DATA_ARGUMENTS))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a .keras file or a run folder")
    source.add_argument("--preset", help="a zoo preset (its data set is the default --dataset)")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--json", default=None, help="also write the metrics to this file")
    parser.set_defaults(func=run)


def run(args):
    if args.preset:
        from das_keras import zoo

        metadata = zoo.load_metadata(args.preset)
        model = zoo.load(args.preset, compile=False)
        shape = metadata["input_shape"]
        source = {
            "dataset": metadata["dataset"],
            "size": shape[1],
            "frames": shape[0],
            "frame_size": shape[1],
        }
    else:
        model = load_model(args.model)
        config = run_config(args.model)
        source = {
            "dataset": config.get("dataset"),
            "size": config.get("size"),
            "frames": config.get("num_frames"),
            "frame_size": config.get("frame_size"),
        }
    fallback = {
        "dataset": TRAIN_DEFAULTS["dataset"],
        "size": TRAIN_DEFAULTS["size"],
        "frames": TRAIN_DEFAULTS["num_frames"],
        "frame_size": TRAIN_DEFAULTS["frame_size"],
    }
    for name in DATA_ARGUMENTS:
        if getattr(args, name) is None:
            setattr(args, name, source[name] if source[name] is not None else fallback[name])
    metrics = evaluate_split(model, args.dataset, args.split, args.batch_size, **data_options(args))
    print(metrics_table(metrics))
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0
