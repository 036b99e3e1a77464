"""`das-keras zoo list|show|evaluate`."""

import json

from das_keras.commands.common import metrics_table


def register(subparsers):
    parser = subparsers.add_parser("zoo", help="pretrained presets: list, show, evaluate")
    actions = parser.add_subparsers(dest="zoo_command", required=True)
    listing = actions.add_parser("list", help="list the presets")
    listing.add_argument("pattern", nargs="?", default=None, help="wildcard, e.g. 'das_*'")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="print a preset's metadata")
    show.add_argument("name")
    show.set_defaults(func=run_show)
    evaluate = actions.add_parser(
        "evaluate", help="recompute a preset's test metrics beside the published ones"
    )
    evaluate.add_argument("name")
    evaluate.add_argument("--data-dir", default=None, help="folder of the preset's data set")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.set_defaults(func=run_evaluate)


def run_list(args):
    from das_keras import zoo

    for name in zoo.list_presets(args.pattern):
        metadata = zoo.load_metadata(name)
        metrics = metadata["test_metrics"]
        print(
            f"{name:28s} {metadata['dataset']:10s} k={metadata.get('k')} "
            f"test AUC {metrics['auc']:.3f}  balanced acc. {metrics['balanced_accuracy']:.3f}"
        )
    return 0


def run_show(args):
    from das_keras import zoo

    print(json.dumps(zoo.load_metadata(args.name), indent=2))
    return 0


def run_evaluate(args):
    from das_keras import zoo
    from das_keras.training import evaluate_run

    metadata = zoo.load_metadata(args.name)
    model = zoo.load(args.name, compile=False)
    shape = metadata["input_shape"]
    metrics = evaluate_run(
        model,
        metadata["dataset"],
        "test",
        args.batch_size,
        args.data_dir,
        size=shape[1],
        num_frames=shape[0],
        frame_size=shape[1],
    )
    print(metrics_table(metrics))
    published = metadata["test_metrics"]
    print("\n| metric | published | recomputed | difference |\n|---|---|---|---|")
    for key in ("balanced_accuracy", "auc", "accuracy"):
        difference = metrics[key] - published[key]
        print(f"| {key} | {published[key]:.4f} | {metrics[key]:.4f} | {difference:+.1e} |")
    return 0
