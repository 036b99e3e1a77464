"""`das-keras zoo list|show|evaluate|upload`."""

import json

from das_keras.commands.common import metrics_table


def register(subparsers):
    parser = subparsers.add_parser("zoo", help="pretrained presets: list, show, evaluate, upload")
    actions = parser.add_subparsers(dest="zoo_command", required=True)
    listing = actions.add_parser("list", help="list the presets")
    listing.add_argument("pattern", nargs="?", default=None, help="wildcard, e.g. 'das_*'")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="print a preset's metadata")
    show.add_argument("name", help="preset name, folder, URL#sha256=... or hf://owner/repo")
    show.set_defaults(func=run_show)
    evaluate = actions.add_parser(
        "evaluate", help="recompute a preset's test metrics beside the published ones"
    )
    evaluate.add_argument("name")
    evaluate.add_argument("--data-dir", default=None, help="folder of the preset's data set")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.set_defaults(func=run_evaluate)
    upload = actions.add_parser(
        "upload", help="publish a preset to the Hugging Face Hub (pip install 'das-keras[hub]')"
    )
    upload.add_argument("name", help="preset name or folder")
    upload.add_argument("handle", help="hf://owner/repo or hf://owner/repo/subfolder")
    upload.add_argument("--private", action="store_true", help="create the repository private")
    upload.set_defaults(func=run_upload)


def run_list(args):
    from das_keras import zoo

    for name in zoo.list_presets(args.pattern):
        metadata = zoo.load_metadata(name)
        metrics = metadata.get("test_metrics", {})
        numbers = "  ".join(
            f"{label} {metrics[key]:.3f}"
            for key, label in (("auc", "test AUC"), ("balanced_accuracy", "balanced acc."))
            if key in metrics
        )
        source = zoo.source_of(name)
        where = f"  (downloaded from {source})" if "://" in source else ""
        print(
            f"{name:28s} {metadata.get('dataset', '?'):10s} k={metadata.get('k')} {numbers}  "
            f"licence: {metadata.get('license', '?').split(':')[0]}{where}"
        )
    return 0


def run_show(args):
    from das_keras import zoo

    print(json.dumps(zoo.load_metadata(args.name), indent=2))
    return 0


def run_evaluate(args):
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    from das_keras import runs, zoo

    metadata = zoo.load_metadata(args.name)
    model = zoo.load(args.name, compile=False)
    shape = metadata["input_shape"]
    metrics = runs.evaluate_run(
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


def run_upload(args):
    from das_keras import zoo

    handle = zoo.upload(zoo.preset_dir(args.name), args.handle, private=args.private or None)
    print(f"uploaded {args.name} to {handle}; load it with das_keras.zoo.load({handle!r})")
    return 0
