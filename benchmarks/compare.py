"""The method comparison (the paper's Table 1 on the data we have).

Trains Full, Random, Uniform, Center (the k central slices), DPS, ADPS and DAS with the same
backbone and recipe on each data set, at k = 50% (and 25%) of T, for several seeds; selects each
run's epoch on the validation loss only; evaluates once on the test split; and writes
docs/results/comparison.md and .json with the mean and standard deviation over seeds, beside the
published reference numbers (benchmarks/report.py).

Every run is cached in runs/compare/<dataset>/<backbone>/k<k>/<sampler>/seed<seed>/ (resumable;
finished runs are not repeated), and each run's result is also kept in the report's JSON, so the
tables can be rebuilt, and extended, on a machine without the cache:

    python -m benchmarks.compare --datasets vessel adrenal pocus synthetic --seeds 0 1 2
    python -m benchmarks.compare --report-only

MedMNIST3D at size 64 (`--size 64`) is its own data set in the cache and the report
("adrenal64"). `--samplers volume3d` adds the full-volume 3D CNN (benchmarks/volume_run.py).
Recipe overrides (`--epochs`, `--lr`, `--descriptor-size`, `--image-size`, for choosing a 64^3
recipe on the validation split) label their runs "<sampler>@<tag>" (common.OVERRIDE_TAGS):

    python -m benchmarks.compare --datasets adrenal --size 64 --k 0.25 \
        --samplers das center uniform full volume3d --options default --seeds 0 1 2
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from benchmarks import common
from benchmarks.report import write_report
from benchmarks.volume_run import train_volume_run

# `--epochs N` that keep the default recipe's run label (no "@ep" tag): the recipe's, and the
# synthetic set's usual 6 (the commands of benchmarks/run_comparison.sh)
UNTAGGED_EPOCHS = {"synthetic": 6}


def run_one(
    dataset,
    backbone,
    k,
    sampler,
    seed,
    shared,
    epochs,
    options=None,
    option_name="default",
    overrides=None,
):
    """Trains and evaluates one configuration, or returns its cached result.

    `dataset` is a report key ("adrenal64": AdrenalMNIST3D at size 64, common.dataset_key);
    `sampler` a sampler or "volume3d" (the full-volume 3D CNN, which takes no option set);
    `options` are extra sampler arguments (benchmarks/sensitivity.py: DAS heads and tau0);
    `option_name` names an entry of common.OPTION_SETS (context, position term, EMA, multi-axis);
    `overrides` recipe overrides (common.OVERRIDE_TAGS; descriptor_size applies to DAS only,
    image_size to the slice samplers only).
    """
    from das_keras.training import read_log, train_run

    volume = sampler in common.VOLUME_METHODS
    overrides = common.applicable_overrides(overrides, sampler)
    recipe_overrides, sampler_overrides, model_overrides = common.split_overrides(overrides)
    label = sampler if option_name == "default" or volume else f"{sampler}+{option_name}"
    label += common.override_tag(overrides)
    folder = common.run_dir(dataset, backbone, k, label, seed, options)
    result_path = os.path.join(folder, "result.json")
    recipe = common.recipe_of(dataset)
    if os.path.exists(result_path):
        with open(result_path) as f:
            result = json.load(f)
        if result.get("recipe", recipe) != recipe:
            raise RuntimeError(
                f"{folder} was trained with the recipe {result['recipe']}, but {dataset} now "
                f"uses {recipe}: move the folder aside to train it again."
            )
        return result
    data_dir = common.data_dir_for(dataset, shared)
    name, size = common.split_dataset_key(dataset)
    start = time.time()
    settings = {
        **common.MODEL_OPTIONS.get(name, {}),
        **common.BACKBONES[backbone],
        **common.RECIPE,
        "epochs": epochs,
        **recipe_overrides,
        **recipe,  # last: a variant overrides the recipe (its epochs too)
    }
    extra = {} if volume else common.option_set(option_name, sampler, dataset)
    if model_overrides:
        extra["model_options"] = {**extra.get("model_options", {}), **model_overrides}
    if options or sampler_overrides:
        extra["sampler_options"] = {
            **extra.get("sampler_options", {}),
            **(options or {}),
            **sampler_overrides,
        }
    if volume:
        model, history = train_volume_run(
            folder, name, seed=seed, data_dir=data_dir, size=size, **extra, **settings
        )
    else:
        model, history = train_run(
            folder,
            name,
            sampler=sampler,
            k=k,
            seed=seed,
            data_dir=data_dir,
            size=size,
            verbose=0,
            **extra,
            **settings,
        )
    from das_keras.models import samplers_of

    result = {
        "dataset": dataset,
        "backbone": backbone,
        "k": k,
        "sampler": label,
        "options": options or {},
        "option_set": option_name,
        "recipe": recipe,
        "seed": seed,
        "k_slices": int(
            model.input_shape[1] if volume else sum(s.num_selected for s in samplers_of(model))
        ),
        **({"size": size, "overrides": overrides} if size != 28 or overrides else {}),
        **decision_rule_metrics(model, name, data_dir, size),
        "max_epochs": settings["epochs"],
        "epochs_run": len(read_log(os.path.join(folder, "log.csv"))["loss"]),
        "seconds": time.time() - start,
    }
    with open(result_path, "w") as f:
        json.dump(result, f, indent=2)
    return result


def load_cached_run(run, shared):
    """The saved model of a cached run (the weights of its epoch of lowest validation loss) and
    its data set's splits, batched as in training (seed_ensemble.py, selection_stats.py)."""
    import keras

    import das_keras  # noqa: F401  (registers the layers for loading)
    from das_keras import training

    folder = common.run_dir(run["dataset"], run["backbone"], run["k"], run["sampler"], run["seed"])
    model = keras.models.load_model(os.path.join(folder, "model.keras"))
    data_dir = common.data_dir_for(run["dataset"], shared)
    name, size = common.split_dataset_key(run["dataset"])
    return model, training.load_splits(name, common.RECIPE["batch_size"], 0, data_dir, size)


def split_predictions(model, data, flips=False):
    """(labels, probabilities) of one batched split `data`; with `flips`, the mean over the 4
    flips of H and W (test-time augmentation)."""
    labels, probabilities = [], []
    for x, y in data:
        views = [x]
        if flips:
            views += [x[:, :, ::-1], x[:, :, :, ::-1], x[:, :, ::-1, ::-1]]
        p = np.mean([np.asarray(model.predict_on_batch(v)) for v in views], axis=0)
        labels.append(np.asarray(y).reshape(-1))
        probabilities.append(p)
    return np.concatenate(labels).astype(int), np.concatenate(probabilities)


def decision_rule_metrics(model, dataset, data_dir, size=28):
    """Val and test metrics under each decision rule, and the probabilities behind them.

    "val" / "test": the model's own probabilities (ACC at 0.5, as MedMNIST computes it);
    "*_prior": with the class-weight prior shift undone (das_keras.calibration);
    "*_threshold": the balanced-accuracy threshold chosen on the validation split (binary);
    "*_flips": the mean over flips of H and W (test-time augmentation).
    """
    from das_keras import calibration
    from das_keras.evaluation import classification_metrics, official_accuracy
    from das_keras.training import load_splits

    splits = load_splits(dataset, common.RECIPE["batch_size"], 0, data_dir, size)
    weights = splits.class_weight
    out, stored = {}, {}
    for flips in (False, True):
        suffix = "_flips" if flips else ""
        preds = {s: split_predictions(model, getattr(splits, s), flips) for s in ("val", "test")}
        for split, (labels, p) in preds.items():
            out[split + suffix] = classification_metrics(labels, p)
            stored[split + suffix] = {"labels": labels.tolist(), "probabilities": p.tolist()}
            if weights:
                out[split + suffix + "_prior"] = classification_metrics(
                    labels, calibration.prior_correction(p, weights)
                )
        if preds["val"][1].shape[1] == 2:
            threshold = calibration.best_threshold(preds["val"][0], preds["val"][1][:, 1])
            labels, p = preds["test"]
            out["test" + suffix + "_threshold"] = {
                "threshold": threshold,
                "accuracy": official_accuracy(labels, p, threshold - 1e-12),
                "balanced_accuracy": float(
                    np.mean([np.mean((p[labels == c, 1] >= threshold) == c) for c in (0, 1)])
                ),
            }
    out["predictions"] = stored
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_selection_arguments(parser, methods=common.METHODS)
    parser.add_argument("--k", nargs="+", type=float, default=[0.5, 0.25])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--size",
        type=int,
        default=28,
        choices=common.SIZES,
        help="MedMNIST3D size; 64 runs are the data sets '<name>64' of the cache and report",
    )
    parser.add_argument(
        "--epochs",
        type=common.int_at_least(1),
        default=None,
        help=f"maximum epochs (default {common.RECIPE['epochs']}); another number than that or "
        "the set's usual one (UNTAGGED_EPOCHS) labels the runs '@ep<N>'",
    )
    parser.add_argument(
        "--lr", type=float, default=None, help="starting learning rate; labels the runs '@lr<x>'"
    )
    parser.add_argument(
        "--descriptor-size",
        type=common.int_at_least(1),
        default=None,
        help="DAS's descriptor_size (frames pooled to about this many pixels); labels DAS "
        "runs '@ds<n>'",
    )
    parser.add_argument(
        "--image-size",
        type=common.int_at_least(8),
        default=None,
        help="resize every slice to N x N before the backbone (slice samplers only); labels "
        "the runs '@px<N>'",
    )
    parser.add_argument("--output", default=None, help="default: docs/results/comparison")
    parser.add_argument(
        "--variant",
        choices=list(common.VARIANTS),
        default=None,
        help="a recipe probe (VARIANTS: train_run options for every method); runs in "
        "runs/compare_VARIANT, report docs/results/comparison_VARIANT",
    )
    parser.add_argument(
        "--options",
        nargs="+",
        default=["default"],
        choices=list(common.OPTION_SETS),
        help="option sets (OPTION_SETS) to train each sampler with",
    )
    parser.add_argument("--report-only", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    name = "comparison"
    if args.variant:
        common.RUNS = os.path.join("runs", f"compare_{args.variant}")
        name = f"comparison_{args.variant}"
        common.VARIANT_OPTIONS.update(common.VARIANTS[args.variant])
    args.output = args.output or os.path.join("docs", "results", name)
    if not args.report_only:
        for dataset in (common.dataset_key(d, args.size) for d in args.datasets):
            overrides = recipe_overrides(args, dataset)
            for backbone in args.backbones:
                for k in args.k:
                    for sampler in args.samplers:
                        if sampler in common.WHOLE_INPUT and k != args.k[0]:
                            continue  # the full model does not depend on k
                        for seed in args.seeds:
                            # the 3D CNN takes no option set: trained once
                            volume = sampler in common.VOLUME_METHODS
                            for option_name in args.options[:1] if volume else args.options:
                                r = run_one(
                                    dataset,
                                    backbone,
                                    k,
                                    sampler,
                                    seed,
                                    args.shared,
                                    args.epochs or common.RECIPE["epochs"],
                                    option_name=option_name,
                                    overrides=overrides,
                                )
                                print(
                                    f"{dataset} {backbone} k={k} {r['sampler']} seed={seed}: "
                                    f"test AUC {r['test']['auc']:.3f} ({r['seconds']:.0f} s)",
                                    flush=True,
                                )
                                write_report(args.output)
    write_report(args.output)
    return 0


def recipe_overrides(args, dataset):
    """The recipe overrides of the command line for `dataset` (common.OVERRIDE_TAGS)."""
    untagged = (common.RECIPE["epochs"], UNTAGGED_EPOCHS.get(dataset))
    overrides = {
        "epochs": None if args.epochs in untagged else args.epochs,
        "learning_rate": args.lr,
        "descriptor_size": args.descriptor_size,
        "image_size": args.image_size,
    }
    return {name: value for name, value in overrides.items() if value is not None}


if __name__ == "__main__":
    sys.exit(main())
