"""`das-keras train`."""

from das_keras.commands.common import (
    RegisteredSamplers,
    add_data_arguments,
    data_options,
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
    STRATEGY_NAMES,
    TRAIN_DEFAULTS,
)

# (flag, the train_run argument it sets (its default: TRAIN_DEFAULTS), argparse keywords)
OPTIONS = (
    (
        "--sampler",
        "sampler",
        {
            "choices": RegisteredSamplers(),
            "help": "a name in das_keras.layers.SAMPLERS, built in or registered by a subclass",
        },
    ),
    ("--k", "k", {"type": parse_k, "help": "slices kept: a count, or a fraction like 0.5"}),
    ("--backbone", "backbone", {"choices": BACKBONE_NAMES}),
    ("--aggregation", "aggregation", {"choices": AGGREGATION_NAMES}),
    ("--epochs", "epochs", {"type": positive_int}),
    ("--lr", "learning_rate", {"type": positive_float, "help": "Adam learning rate"}),
    (
        "--lr-schedule",
        "lr_schedule",
        {
            "choices": LR_SCHEDULE_NAMES,
            "help": "cosine: the learning rate falls to 0 over --epochs",
        },
    ),
    (
        "--bn-momentum",
        "bn_momentum",
        {
            "type": fraction,
            "help": "BatchNorm momentum of the "
            "backbone; lower (0.5) for data sets of a few batches",
        },
    ),
    ("--seed", "seed", {"type": non_negative_int}),
    (
        "--patience",
        "patience",
        {
            "type": non_negative_int,
            "help": "early stopping: epochs without a lower validation loss",
        },
    ),
)
FLAGS = (
    (
        "--precise-bn",
        "recompute the BatchNorm statistics from 20 training batches before every "
        "validation and at the end (das_keras.batch_norm)",
    ),
    (
        "--augment",
        "volumes: random flips and 90-degree turns; clips: left-right flips, brightness, contrast",
    ),
    ("--no-class-weights", "do not weight the loss by class"),
    ("--ema", "validate and save an exponential moving average of the weights"),
)


def register(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a classifier; an interrupted run resumes when started again",
        description="Train a classifier in a run folder; an interrupted run resumes when started "
        "again. The defaults are das_keras.defaults.TRAIN_DEFAULTS, as for "
        "das_keras.runs.train_run; the zoo presets of the real data sets used "
        "--aggregation conv1d --epochs 12 --patience 12 --lr-schedule cosine.",
    )
    add_data_arguments(parser)
    parser.add_argument("--output", required=True, help="run folder (resumed if it exists)")
    for flag, key, keywords in OPTIONS:
        parser.add_argument(flag, default=TRAIN_DEFAULTS[key], **keywords)
    for flag, help_text in FLAGS:
        parser.add_argument(flag, action="store_true", help=help_text)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument(
        "--strategy",
        default="default",
        choices=STRATEGY_NAMES,
        help="tf.distribute strategy: default (one device), mirrored (all local GPUs), "
        "multi_worker (cluster from TF_CONFIG), tpu; --batch-size is the global batch",
    )
    parser.add_argument(
        "--tpu", default=None, help="TPU name or grpc:// address for --strategy tpu"
    )
    parser.add_argument(
        "--context",
        type=non_negative_int,
        default=0,
        help="each chosen slice carries its C neighbours on each side as channels (2.5D)",
    )
    parser.add_argument(
        "--learned-positions",
        action="store_true",
        help="DAS only: add a learned per-position term to its scores (our extension; the zoo's "
        "DAS presets use it with --context 1)",
    )
    parser.add_argument(
        "--position-prior",
        type=positive_float,
        default=4.0,
        help="with --learned-positions: the term's initial height at the middle of T, a central "
        "window the training may move (the zoo's: 4)",
    )
    parser.add_argument(
        "--distill-from",
        default=None,
        metavar="MODEL",
        help="a teacher (model file, run folder or preset, e.g. a full-sequence run): train on "
        "the labels and on its softened outputs",
    )
    parser.add_argument("--distill-alpha", type=fraction, default=0.5, help="teacher weight")
    parser.add_argument("--distill-temperature", type=positive_float, default=2.0)
    parser.add_argument(
        "--save-preset",
        default=None,
        metavar="DIR",
        help="also evaluate on the test split and save the model as a zoo preset folder",
    )
    parser.add_argument(
        "--prior-correction",
        nargs="?",
        const="on",
        default=None,
        choices=["on", "auto"],
        help="with --save-preset: the preset's outputs undo the class weights' prior shift, so "
        "that thresholding them (MedMNIST's ACC) is meaningful (das_keras.calibration); "
        "`--prior-correction auto` does so only where it raises the validation ACC",
    )
    parser.set_defaults(func=run)


def run(args):
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    from das_keras import runs

    if args.learned_positions and args.sampler != "das":
        raise ValueError(
            f"`--learned-positions` applies to --sampler das only; received --sampler "
            f"{args.sampler}."
        )
    if args.prior_correction and not args.save_preset:
        raise ValueError("`--prior-correction` applies to the preset of `--save-preset DIR`.")
    # The placement first: multi-worker and TPU strategies must exist before TensorFlow runs.
    one_device = args.strategy == "default" and not args.tpu
    placement = runs.Placement(None if one_device else args.strategy, tpu=args.tpu)
    options = data_options(args)
    model, _ = runs.train_run(
        args.output,
        dataset=args.dataset,
        batch_size=args.batch_size,
        strategy=placement,
        class_weighting=not args.no_class_weights,
        verbose=args.verbose,
        precise_bn=args.precise_bn,
        augment=args.augment,
        ema=args.ema,
        sampler_options=_sampler_options(args),
        distill=_distill(args),
        **{key: getattr(args, flag[2:].replace("-", "_")) for flag, key, _ in OPTIONS},
        **options,
    )
    if not placement.is_chief:
        return 0  # the chief evaluates and writes the run folder
    metrics = runs.evaluate_run(
        model, args.dataset, "val", args.batch_size, progress=True, **options
    )
    print(
        f"best model: {args.output}/model.keras; validation balanced accuracy "
        f"{metrics['balanced_accuracy']:.4f}, AUC {metrics['auc']:.4f}"
    )
    if args.save_preset:
        metadata = runs.save_run_as_preset(
            args.output,
            args.save_preset,
            data_dir=args.data_dir,
            prior_correction={None: False, "on": True, "auto": "auto"}[args.prior_correction],
        )
        print(f"preset written to {args.save_preset}; test {metadata['test_metrics']}")
    return 0


def _sampler_options(args):
    options = {"context": args.context} if args.context else {}
    if args.learned_positions:
        options.update(learned_positions=True, position_prior=args.position_prior)
    return options or None


def _distill(args):
    if args.distill_from is None:
        return None
    return {
        "teacher": args.distill_from,
        "alpha": args.distill_alpha,
        "temperature": args.distill_temperature,
    }
