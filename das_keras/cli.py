"""The `das-keras` command line."""

import argparse
import sys


def _demo(args):
    from das_keras.demo import run_demo

    run_demo(args.output, epochs=args.epochs, k=args.k, seed=args.seed)
    return 0


def _k(value):
    """--k: an int count, or a fraction of T written with a decimal point (0.5)."""
    return float(value) if "." in value else int(value)


def _train(args):
    from das_keras.training import evaluate_run, train_run

    train_run(
        args.output,
        dataset=args.dataset,
        sampler=args.sampler,
        k=args.k,
        backbone=args.backbone,
        aggregation=args.aggregation,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
        patience=args.patience,
        data_dir=args.data_dir,
        size=args.size,
        augment=args.augment,
        class_weighting=not args.no_class_weights,
        verbose=args.verbose,
    )
    metrics = evaluate_run(
        args.output, args.dataset, "val", args.batch_size, args.data_dir, args.size
    )
    print(f"best model: {args.output}/model.keras; validation {_metrics_line(metrics)}")
    return 0


def _evaluate(args):
    import json

    from das_keras.training import evaluate_run

    metrics = evaluate_run(
        args.model, args.dataset, args.split, args.batch_size, args.data_dir, args.size
    )
    print("| data set | split | n | balanced acc. | AUC | accuracy |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {metrics['dataset']} | {metrics['split']} | {metrics['num_samples']} "
        f"| {metrics['balanced_accuracy']:.4f} | {metrics['auc']:.4f} | {metrics['accuracy']:.4f} |"
    )
    text = json.dumps(metrics, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


def _metrics_line(m):
    return f"balanced accuracy {m['balanced_accuracy']:.4f}, AUC {m['auc']:.4f}"


def _add_data_arguments(parser):
    parser.add_argument(
        "--dataset",
        default="synthetic",
        help="synthetic, or a MedMNIST3D set: organ, nodule, adrenal, fracture, vessel, synapse",
    )
    parser.add_argument("--data-dir", default=None, help="data folder (default: $DAS_KERAS_DATA)")
    parser.add_argument("--size", type=int, default=28, choices=(28, 64), help="MedMNIST3D size")
    parser.add_argument("--batch-size", type=int, default=32)


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

    train = commands.add_parser(
        "train", help="train a classifier; an interrupted run resumes when started again"
    )
    _add_data_arguments(train)
    train.add_argument("--output", required=True, help="run folder (resumed if it exists)")
    train.add_argument(
        "--sampler", default="das", choices=("das", "dps", "adps", "uniform", "random", "full")
    )
    train.add_argument("--k", type=_k, default=0.5, help="slices kept: count, or fraction like 0.5")
    train.add_argument("--backbone", default="small_cnn", choices=("small_cnn", "mobilenetv3small"))
    train.add_argument(
        "--aggregation", default="mean", choices=("mean", "max", "attention", "conv1d")
    )
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--patience", type=int, default=10, help="early stopping on val loss")
    train.add_argument("--augment", action="store_true", help="random flips and 90-degree turns")
    train.add_argument("--no-class-weights", action="store_true")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    train.set_defaults(func=_train)

    evaluate = commands.add_parser("evaluate", help="balanced accuracy and AUC on a split")
    _add_data_arguments(evaluate)
    evaluate.add_argument("--model", required=True, help="a .keras file or a run folder")
    evaluate.add_argument("--split", default="test", choices=("val", "test"))
    evaluate.add_argument("--json", default=None, help="also write the metrics to this file")
    evaluate.set_defaults(func=_evaluate)
    return parser


def main(argv=None):
    """Entry point of the `das-keras` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
