"""Is a method's gap a matter of training noise? Its seeds averaged (docs/results/seed_ensemble.md).

For every configuration of the comparison (data set, backbone, k, method) with two or more seeds
in the run cache, averages the class probabilities of the seeds' models (each with the weights of
its epoch of lowest validation loss, as in the comparison) and scores the average once on the
validation and the test split. Beside it: the mean ± std of the single models, from the
comparison's results. A method whose ensemble is much better than its single models loses
mostly to the spread between training runs; one whose ensemble is not, to what it can see.

An ensemble of n models costs n times the compute of one, so these numbers do not say what a
method achieves at its cost: benchmarks/compare.py does (docs/results/comparison.md).

    python -m benchmarks.compare ...            # train the runs first (run_comparison.sh)
    python -m benchmarks.seed_ensemble          # every configuration with >= 2 cached seeds
    python -m benchmarks.seed_ensemble --datasets vessel --backbones ours
    python -m benchmarks.seed_ensemble --report-only

The JSON keeps every configuration's result, so the report can be rewritten (and extended) on a
machine without the run cache.
"""

import sys

import numpy as np

from benchmarks import common
from benchmarks.compare import load_cached_run, split_predictions
from das_keras.evaluation import classification_metrics

SPLITS = ("val", "test")


def seed_predictions(run, shared):
    """{split: (labels, class probabilities)} of one seed's model (loaded once for all splits)."""
    model, splits = load_cached_run(run, shared)
    return {split: split_predictions(model, getattr(splits, split)) for split in SPLITS}


def score_group(runs, shared):
    """The ensemble's metrics on each split, and the single models' mean and std."""
    predictions = [seed_predictions(run, shared) for run in runs]
    entry = {"seeds": [r["seed"] for r in runs], "k_slices": runs[0]["k_slices"]}
    for split in SPLITS:
        labels = predictions[0][split][0]
        if any(not np.array_equal(labels, p[split][0]) for p in predictions):
            raise RuntimeError(f"{runs[0]['dataset']}: the {split} split came in another order.")
        average = np.mean([p[split][1] for p in predictions], axis=0)
        entry[f"{split}_ensemble"] = classification_metrics(labels, average)
        single = np.array([r[split]["auc"] for r in runs], dtype=float)
        entry[f"{split}_single_auc"] = [float(single.mean()), float(single.std())]
    return entry


def markdown(report):
    lines = [
        "# Seeds averaged: training noise or a real gap?",
        "",
        "Written by `benchmarks/seed_ensemble.py` from the runs of `benchmarks/compare.py`",
        "(docs/results/comparison.md: recipe, epoch selection on the validation loss). For each",
        "configuration, the class probabilities of its seeds' models averaged, scored once per",
        "split, beside the single models' mean ± std. The ensemble costs as many times the",
        "compute as it has seeds: it measures how much of a gap is the spread between training",
        "runs, not what a method achieves at its cost. A configuration is listed once the",
        "models of two or more of its seeds were in the run cache when this script ran.",
        "",
    ]
    sections = sorted({tuple(key.split("/")[:2]) for key in report})
    for dataset, backbone in sections:
        lines += [
            f"## {dataset}, backbone {backbone}",
            "",
            "| method | k | slices seen | seeds | test AUC, single | test AUC, ensemble "
            "| test balanced acc., ensemble | val AUC, single | val AUC, ensemble |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        keys = [key for key in report if key.startswith(f"{dataset}/{backbone}/")]
        for key in sorted(keys, key=lambda key: (key.split("/")[2], _sampler_order(key))):
            e = report[key]
            k, sampler = key.split("/")[2:]
            k_label = "T" if k == "all" else f"{float(k):.0%}"
            lines.append(
                f"| {sampler} | {k_label} | {e['k_slices']} | {len(e['seeds'])} "
                f"| {_mean_std(e['test_single_auc'])} | {e['test_ensemble']['auc']:.3f} "
                f"| {e['test_ensemble']['balanced_accuracy']:.3f} "
                f"| {_mean_std(e['val_single_auc'])} | {e['val_ensemble']['auc']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def _sampler_order(key):
    return common.SAMPLERS.index(key.split("/")[3])


def _mean_std(pair):
    return f"{pair[0]:.3f} ± {pair[1]:.3f}"


def main(argv=None):
    args, report = common.parse_cache_report(__doc__.splitlines()[0], "seed_ensemble", argv)
    if not args.report_only:
        groups = common.cached_configurations(
            args.datasets, args.backbones, args.samplers, min_seeds=2
        )
        if not groups:
            print(f"No configuration with two or more seeds in {common.RUNS}.", file=sys.stderr)
        for key, runs in sorted(groups.items()):
            report[key] = score_group(runs, args.shared)
            print(f"{key}: test AUC ensemble {report[key]['test_ensemble']['auc']:.3f}", flush=True)
    common.write_report_files(args.output, {"configurations": report}, markdown(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
