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
"""

import argparse
import json
import os
import sys
import time

import numpy as np

if not __package__:  # run by file path (`python benchmarks/compare.py`): see benchmarks/_path.py
    import _path  # noqa: F401

from benchmarks import common
from benchmarks.report import write_report


def run_one(
    dataset, backbone, k, sampler, seed, shared, epochs, options=None, option_name="default"
):
    """Trains and evaluates one configuration, or returns its cached result.

    `options` are extra sampler arguments (benchmarks/sensitivity.py: DAS heads and tau0);
    `option_name` names an entry of common.OPTION_SETS (context, position term, EMA, multi-axis).
    """
    from das_keras.training import read_log, train_run

    label = sampler if option_name == "default" else f"{sampler}+{option_name}"
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
    start = time.time()
    settings = {
        **common.MODEL_OPTIONS.get(dataset, {}),
        **common.BACKBONES[backbone],
        **common.RECIPE,
        "epochs": epochs,
        **recipe,  # last: a variant overrides the recipe (its epochs too)
    }
    extra = common.option_set(option_name, sampler)
    if options:
        extra["sampler_options"] = {**extra.get("sampler_options", {}), **options}
    model, history = train_run(
        folder,
        dataset,
        sampler=sampler,
        k=k,
        seed=seed,
        data_dir=data_dir,
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
        "k_slices": int(sum(s.num_selected for s in samplers_of(model))),
        **decision_rule_metrics(model, dataset, data_dir),
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
    return model, training.load_splits(run["dataset"], common.RECIPE["batch_size"], 0, data_dir)


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


def decision_rule_metrics(model, dataset, data_dir):
    """Val and test metrics under each decision rule, and the probabilities behind them.

    "val" / "test": the model's own probabilities (ACC at 0.5, as MedMNIST computes it);
    "*_prior": with the class-weight prior shift undone (das_keras.calibration);
    "*_threshold": the balanced-accuracy threshold chosen on the validation split (binary);
    "*_flips": the mean over flips of H and W (test-time augmentation).
    """
    from das_keras import calibration
    from das_keras.evaluation import classification_metrics, official_accuracy
    from das_keras.training import load_splits

    splits = load_splits(dataset, common.RECIPE["batch_size"], 0, data_dir)
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
    common.add_selection_arguments(parser)
    parser.add_argument("--k", nargs="+", type=float, default=[0.5, 0.25])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=common.RECIPE["epochs"])
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
        for dataset in args.datasets:
            for backbone in args.backbones:
                for k in args.k:
                    for sampler in args.samplers:
                        if sampler == "full" and k != args.k[0]:
                            continue  # the full model does not depend on k
                        for seed in args.seeds:
                            for option_name in args.options:
                                r = run_one(
                                    dataset,
                                    backbone,
                                    k,
                                    sampler,
                                    seed,
                                    args.shared,
                                    args.epochs,
                                    option_name=option_name,
                                )
                                print(
                                    f"{dataset} {backbone} k={k} {r['sampler']} seed={seed}: "
                                    f"test AUC {r['test']['auc']:.3f} ({r['seconds']:.0f} s)",
                                    flush=True,
                                )
                                write_report(args.output)
    write_report(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
