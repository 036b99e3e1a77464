"""`das-keras train`."""

from das_keras.commands.common import (
    add_data_arguments,
    data_options,
    evaluate_split,
    fraction,
    non_negative_int,
    parse_k,
    positive_float,
    positive_int,
)
from das_keras.defaults import (
    AGGREGATION_NAMES,
    BACKBONE_NAMES,
    LR_SCHEDULE_NAMES,
    SAMPLER_NAMES,
    TRAIN_DEFAULTS,
)
from das_keras.distribute import STRATEGIES

D = TRAIN_DEFAULTS


def register(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a classifier; an interrupted run resumes when started again",
        description="Train a classifier in a run folder; an interrupted run resumes when started "
        "again. The defaults are das_keras.defaults.TRAIN_DEFAULTS, as for "
        "das_keras.training.train_run; the zoo presets of the real data sets used "
        "--aggregation conv1d --epochs 12 --patience 12 --lr-schedule cosine.",
    )
    add_data_arguments(parser)
    parser.add_argument("--output", required=True, help="run folder (resumed if it exists)")
    parser.add_argument("--sampler", default=D["sampler"], choices=SAMPLER_NAMES)
    parser.add_argument(
        "--k", type=parse_k, default=D["k"], help="slices kept: a count, or a fraction like 0.5"
    )
    parser.add_argument("--backbone", default=D["backbone"], choices=BACKBONE_NAMES)
    parser.add_argument("--aggregation", default=D["aggregation"], choices=AGGREGATION_NAMES)
    parser.add_argument("--epochs", type=positive_int, default=D["epochs"])
    parser.add_argument(
        "--lr", type=positive_float, default=D["learning_rate"], help="Adam learning rate"
    )
    parser.add_argument(
        "--lr-schedule",
        default=D["lr_schedule"],
        choices=LR_SCHEDULE_NAMES,
        help="cosine: the learning rate falls to 0 over --epochs",
    )
    parser.add_argument(
        "--bn-momentum",
        type=fraction,
        default=D["bn_momentum"],
        help="BatchNorm momentum of the backbone; lower (0.5) for data sets of a few batches",
    )
    parser.add_argument(
        "--precise-bn",
        action="store_true",
        help="recompute the BatchNorm statistics from 20 training batches before every "
        "validation and at the end (das_keras.batch_norm)",
    )
    parser.add_argument("--seed", type=non_negative_int, default=D["seed"])
    parser.add_argument(
        "--patience",
        type=non_negative_int,
        default=D["patience"],
        help="early stopping: epochs without a lower validation loss",
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        help="volumes: random flips and 90-degree turns; clips: left-right flips, brightness, "
        "contrast",
    )
    parser.add_argument(
        "--no-class-weights", action="store_true", help="do not weight the loss by class"
    )
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument(
        "--strategy",
        default="default",
        choices=STRATEGIES,
        help="tf.distribute strategy: default (one device), mirrored (all local GPUs), "
        "multi_worker (cluster from TF_CONFIG), tpu; --batch-size is the global batch",
    )
    parser.add_argument(
        "--tpu", default=None, help="TPU name or grpc:// address for --strategy tpu"
    )
    parser.add_argument(
        "--save-preset",
        default=None,
        metavar="DIR",
        help="also evaluate on the test split and save the model as a zoo preset folder",
    )
    parser.set_defaults(func=run)


def run(args):
    from das_keras import distribute
    from das_keras.training import train_run

    # The strategy first: multi-worker and TPU strategies must be created before TensorFlow runs.
    strategy = None
    if args.strategy != "default" or args.tpu:
        strategy = distribute.get_strategy(args.strategy, tpu=args.tpu)
    options = data_options(args)
    model, _ = train_run(
        args.output,
        dataset=args.dataset,
        sampler=args.sampler,
        k=args.k,
        backbone=args.backbone,
        aggregation=args.aggregation,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        lr_schedule=args.lr_schedule,
        bn_momentum=args.bn_momentum,
        precise_bn=args.precise_bn,
        seed=args.seed,
        patience=args.patience,
        augment=args.augment,
        class_weighting=not args.no_class_weights,
        verbose=args.verbose,
        strategy=strategy,
        **options,
    )
    if strategy is not None and not distribute.is_chief(strategy):
        return 0  # the chief evaluates and writes the run folder
    metrics = evaluate_split(model, args.dataset, "val", args.batch_size, **options)
    print(
        f"best model: {args.output}/model.keras; validation balanced accuracy "
        f"{metrics['balanced_accuracy']:.4f}, AUC {metrics['auc']:.4f}"
    )
    if args.save_preset:
        from das_keras.training import save_run_as_preset

        metadata = save_run_as_preset(args.output, args.save_preset, data_dir=args.data_dir)
        print(f"preset written to {args.save_preset}; test {metadata['test_metrics']}")
    return 0
