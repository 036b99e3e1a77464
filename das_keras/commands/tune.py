"""`das-keras tune`: search DAS heads, tau0 and k (and optionally more) with keras-tuner.

    das-keras tune --dataset vessel --data-dir DIR --tuner bayesian --trials 20 --epochs 15 \\
        --output runs/tune_vessel --k 0.25,0.5 --heads 1,2,4 --tau0 0.1:5 --save-preset zoo/x

The search lives in `<output>/search` (keras-tuner's oracle and one `trial_*` folder per trial)
and is resumable: running the same command again reloads it (keras-tuner `overwrite=False`),
runs only the trials still missing (none when `--trials` are done; raise `--trials` to continue
the search) and runs again a trial that was interrupted; finished trials are kept. The
arguments that define the search are kept in `<output>/tune_config.json`, and a rerun with other
ones is refused. The best configuration and its validation objective are printed; the best model
is then evaluated once on the test split (the only use of the test split) and the result written
to `<output>/best.json`; `--save-preset DIR` writes it as a zoo preset.

Value syntax: `--k 0.5` (fixed fraction of T), `--k 7,14` (choice of counts), `--k 0.25,0.5`
(choice of fractions); `--heads 4` or `--heads 1,2,4`; `--tau0 1.0` (fixed), `--tau0 0.1:5`
(log-uniform range), `--tau0 0.5,1,2` (choice); `--lr` like `--tau0`; `--width 0.5,1`;
`--aggregation mean,conv1d`; `--hidden-units 16,32`.

Distributed search (keras-tuner's chief / worker mode) on one machine: start one chief and two
workers with the same arguments and output folder, told apart by environment variables:

    export KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000
    KERASTUNER_TUNER_ID=chief  das-keras tune --dataset vessel --output runs/t --trials 20 &
    KERASTUNER_TUNER_ID=tuner0 das-keras tune --dataset vessel --output runs/t --trials 20 &
    KERASTUNER_TUNER_ID=tuner1 das-keras tune --dataset vessel --output runs/t --trials 20 &
    wait

TensorBoard logs of every trial, with its hyperparameters for the HParams dashboard, are in
`<output>/tensorboard` (`tensorboard --logdir <output>/tensorboard`).

The chief serves the oracle and, once the workers have run all trials, reports the best
configuration, evaluates it on the test split and saves the preset; the workers train trials and
exit without reporting.
"""

import json
import os
import sys
import warnings

from das_keras.commands import tune_values as values
from das_keras.commands.common import (
    add_data_arguments,
    data_options,
    load_splits,
    metrics_table,
    non_negative_int,
    positive_int,
)

# Arguments that do not change what is searched: they may differ between runs of one search.
RUN_ONLY_ARGUMENTS = (
    "trials",
    "verbose",
    "save_preset",
    "preset_name",
    "data_dir",
    "output",
    "debug",
)
# Arguments added after searches were saved: a saved search without them used these values.
ADDED_ARGUMENT_DEFAULTS = {"augment": False, "lr_schedule": "constant", "precise_bn": False}
# The searched values: (flag, parser of the value syntax, help); each is passed to
# DASHyperModel under its `dest` name (--lr as learning_rate) when given.
SEARCHED = (
    (
        "--k",
        values.parse_k_values,
        "slices kept: 0.5 (fraction of T), 7,14 (choice of counts), "
        "0.25,0.5 (choice of fractions) (default: 0.25,0.5)",
    ),
    ("--heads", values.int_values, "DAS heads: 4 or a choice 1,2,4 (default: 1,2,4,8)"),
    (
        "--tau0",
        values.continuous_values,
        "DAS base temperature: 1.0 (fixed), 0.1:5 "
        "(log-uniform range), 0.5,1,2 (choice) (default: 0.1:5)",
    ),
    (
        "--lr",
        values.continuous_values,
        "Adam learning rate, same syntax as --tau0 (default: 1e-3 fixed)",
    ),
    (
        "--width",
        values.float_values,
        "small_cnn filter multiplier: 1.0 or a choice 0.5,1 (default: 1.0)",
    ),
    (
        "--aggregation",
        values.str_values,
        "mean, max, attention, conv1d, or a choice like mean,conv1d (default: mean)",
    ),
    (
        "--hidden-units",
        values.int_values,
        "width of the DAS attention networks: 32 or a choice 16,32 (default: 32)",
    ),
)
HYPERMODEL_NAMES = {"lr": "learning_rate"}

DISTRIBUTED_HELP = """\
distributed search (keras-tuner chief / workers) on one machine:
  export KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000
  KERASTUNER_TUNER_ID=chief  das-keras tune --dataset vessel --output runs/t --trials 20 &
  KERASTUNER_TUNER_ID=tuner0 das-keras tune --dataset vessel --output runs/t --trials 20 &
  KERASTUNER_TUNER_ID=tuner1 das-keras tune --dataset vessel --output runs/t --trials 20 &
  wait
all three share the --output folder; the chief serves the oracle and reports at the end,
the workers run the trials."""


def register(subparsers):
    """Adds the `tune` sub-command to an argparse sub-parsers object.

    Args:
        subparsers: the object returned by `ArgumentParser.add_subparsers()`.

    Returns:
        The `tune` argument parser (its `func` default runs the search).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> tune_parser = register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["tune", "--output", "runs/t", "--k", "7,14"])
        >>> args.k
        (7, 14)
    """
    parser = subparsers.add_parser(
        "tune",
        help="search DAS heads, tau0 and k with keras-tuner (resumable)",
        description="Search DAS heads, tau0 and k (optionally also the learning rate, the "
        "small_cnn width, the aggregation and the DAS network width) with keras-tuner, on the "
        "validation split. Running the same command again continues the search in --output; the "
        "best model is then evaluated on the test split and can be saved as a zoo preset.",
        epilog=DISTRIBUTED_HELP,
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--output", required=True, help="search folder (an existing search is continued)"
    )
    parser.add_argument(
        "--tuner",
        default="random",
        choices=("random", "bayesian", "hyperband"),
        help="keras-tuner RandomSearch, BayesianOptimization or Hyperband (default: random)",
    )
    parser.add_argument(
        "--trials",
        type=positive_int,
        default=None,
        help="trials in total, across resumed runs (default: 10; Hyperband: its whole schedule)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=10,
        help="epochs per trial; Hyperband: epochs of its longest trials (default: 10)",
    )
    parser.add_argument("--objective", default="val_auc", choices=("val_auc", "val_loss"))
    for flag, kind, help_text in SEARCHED:
        parser.add_argument(flag, type=kind, default=None, help=help_text)
    _add_recipe_arguments(parser)
    parser.add_argument(
        "--project-name", default="search", help="keras-tuner project name (default: search)"
    )
    parser.add_argument(
        "--save-preset", default=None, metavar="DIR", help="save the best model as a zoo preset"
    )
    parser.add_argument("--preset-name", default=None, help="preset name (default: DIR's name)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.set_defaults(func=run)
    return parser


def _add_recipe_arguments(parser):
    parser.add_argument(
        "--backbone", default="small_cnn", choices=("small_cnn", "mobilenetv3small")
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of oracle, weights and data"
    )
    parser.add_argument(
        "--train-batches",
        type=positive_int,
        default=None,
        help="use only this many training batches per epoch (quick searches; default: all)",
    )
    parser.add_argument("--no-class-weights", action="store_true")
    parser.add_argument(
        "--augment", action="store_true", help="augment the training data as `train --augment`"
    )
    parser.add_argument(
        "--lr-schedule",
        default="constant",
        choices=("constant", "cosine"),
        help="cosine: each trial's learning rate falls to 0 over --epochs",
    )
    parser.add_argument(
        "--precise-bn",
        action="store_true",
        help="precise BatchNorm statistics before every validation, as `train --precise-bn`",
    )


def run(args):
    """Runs (or continues) the search of parsed `tune` arguments, then reports the best model.

    Args:
        args: the `argparse.Namespace` of the `tune` parser.

    Returns:
        Exit code: 0 on success, 1 when no trial completed (the failures are printed).

    Example:
        >>> args = parser.parse_args(["tune", "--output", "runs/t", "--trials", "2"])
        >>> run(args)  # doctest: +SKIP
        0
    """
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow
    # (and without keras-tuner, an optional extra).
    from das_keras import tuning, zoo
    from das_keras.runs import config

    splits = load_splits(args, seed=args.seed, augment=args.augment)
    hypermodel = tuning.DASHyperModel(
        splits.input_shape,
        splits.num_classes,
        backbone=args.backbone,
        objective=args.objective,
        seed=args.seed,
        **_searched(args),
    )
    config.check_or_write_config(
        args.output, _search_config(args), name=CONFIG_NAME, defaults=ADDED_ARGUMENT_DEFAULTS
    )
    max_trials = args.trials if args.trials or args.tuner == "hyperband" else 10
    tuner = tuning.make_tuner(
        hypermodel,
        args.tuner,
        directory=args.output,
        project_name=args.project_name,
        max_trials=max_trials,
        max_epochs=args.epochs,
        seed=args.seed,
        overwrite=False,
    )
    train = splits.train.take(args.train_batches) if args.train_batches else splits.train
    tuner.search(
        train,
        validation_data=splits.val,
        epochs=args.epochs,
        class_weight=None if args.no_class_weights else splits.class_weight,
        callbacks=[
            *_recipe_callbacks(args, train),
            tuning.tensorboard_callback(os.path.join(args.output, "tensorboard")),
        ],
        verbose=args.verbose,
    )
    if tuning.is_worker():
        print(f"worker {os.environ.get('KERASTUNER_TUNER_ID')}: no trials left; the chief reports.")
        return 0
    summary = tuning.trial_summary(tuner)
    if not _print_summary(summary, args):
        return 1
    with warnings.catch_warnings():
        # keras-tuner loads the checkpoint into a freshly compiled model whose optimizer has no
        # state yet; the optimizer state is not needed for evaluation or a preset.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model = tuner.get_best_models(1)[0]
    result = _report(model, summary, args)
    if args.save_preset:
        zoo.save(model, args.save_preset, _preset_metadata(args, model, result))
        print(f"preset saved to {args.save_preset}")
    return 0


CONFIG_NAME = "tune_config.json"


def _searched(args):
    """The DASHyperModel arguments of the searched values given on the command line."""
    searched = {}
    for flag, _, _ in SEARCHED:
        dest = flag[2:].replace("-", "_")
        if getattr(args, dest) is not None:
            searched[HYPERMODEL_NAMES.get(dest, dest)] = getattr(args, dest)
    return searched


def _search_config(args):
    """What defines the search (tune_config.json): every argument but the run-only ones."""
    return {
        key: repr(value) if isinstance(value, tuple | list) else value  # (0.1, 5) != [0.1, 5]
        for key, value in sorted(vars(args).items())
        if key not in RUN_ONLY_ARGUMENTS and key not in ("func", "command")
    }


def _recipe_callbacks(args, train):
    """The callbacks of --precise-bn and --lr-schedule, fresh for every trial by keras-tuner."""
    from das_keras.runs import recipe

    return recipe.recipe_callbacks(train, args.epochs, args.lr_schedule, precise_bn=args.precise_bn)


def _preset_metadata(args, model, result):
    """The best model's preset metadata (`das_keras.runs.preset_metadata`), with its search."""
    from das_keras import runs

    hyperparameters = result["hyperparameters"]
    settings = {
        "optimizer": "adam",
        "learning_rate": hyperparameters.get("learning_rate"),
        "loss": runs.recipe.LOSS,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "train_batches_per_epoch": args.train_batches,
        "class_weighting": not args.no_class_weights,
        "selection": f"keras-tuner {args.tuner} search, best {result['objective']} on the "
        "validation split",
        "trials": result["num_trials"],
        "best_trial": result["best_trial"],
        "val_objective": result["val_objective"],
        "hyperparameters": hyperparameters,
    }
    val_metrics = runs.evaluate_run(
        model, args.dataset, "val", args.batch_size, **data_options(args)
    )
    return runs.preset_metadata(
        model,
        args.dataset,
        "das",
        settings,
        val_metrics,
        result["test_metrics"],
        name=args.preset_name or os.path.basename(os.path.normpath(args.save_preset)),
        description=f"DAS on {args.dataset}, tuned by a keras-tuner {args.tuner} search",
        backbone=args.backbone,
        aggregation=hyperparameters.get("aggregation"),
        seed=args.seed,
    )


def _print_summary(summary, args):
    """Prints the search and its best trial; False (with the failures) when none completed."""
    print(
        f"search {os.path.join(args.output, args.project_name)}: {summary['num_trials']} trials, "
        f"{summary['num_completed']} completed; objective {summary['objective']} "
        f"({summary['direction']})"
    )
    best = summary["best"]
    if best is None:
        print("error: no trial completed. Failures:", file=sys.stderr)
        for message in summary["failures"][-3:]:
            print(message, file=sys.stderr)
        return False
    print(
        f"best: Trial {best['trial_number']} (trial_id {best['trial_id']!r}): "
        f"{summary['objective']} {best['score']:.4f}"
    )
    for name, value in best["hyperparameters"].items():
        print(f"  {name}: {value}")
    return True


def _report(model, summary, args):
    """Evaluates the best model once on the test split; writes and returns best.json."""
    from das_keras import runs
    from das_keras.models import sampler_of
    from das_keras.runs import folder

    metrics = runs.evaluate_run(
        model, args.dataset, "test", args.batch_size, progress=True, **data_options(args)
    )
    print(f"TensorBoard logs with HParams: {os.path.join(args.output, 'tensorboard')}")
    print(f"best model on the test split of {args.dataset}:")
    print(metrics_table(metrics))
    best = summary["best"]
    result = {
        "dataset": args.dataset,
        "objective": summary["objective"],
        "best_trial": best["trial_id"],
        "best_trial_number": best["trial_number"],
        "val_objective": best["score"],
        "hyperparameters": best["hyperparameters"],
        "k_slices": int(sampler_of(model).num_selected),
        "num_trials": summary["num_trials"],
        "trials": summary["trials"],
        "test_metrics": metrics,
    }
    # written whole or not at all: processes of a distributed search share the folder
    path = os.path.join(args.output, "best.json")
    folder.write_text(path, json.dumps(result, indent=2, default=str) + "\n")
    return result
