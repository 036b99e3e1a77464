"""Which slices do the learned samplers choose? (docs/results/selection.md and selection.png)

For every learned sampler (DAS, DPS, ADPS) of the comparison with runs in the cache, runs each
seed's model on the test split and reports, per configuration (mean over seeds):

- how often each slice is chosen (the figure: one row per configuration);
- how many different selections the test inputs get (1 for a sampler that ignores its input);
- the share of the chosen slices inside the central window of the same k (the CenterSampler's
  choice): how far a learned choice is a central crop.

    python -m benchmarks.compare ...                # train the runs first (run_comparison.sh)
    python -m benchmarks.selection_stats            # every data set and k with cached runs
    python -m benchmarks.selection_stats --report-only

The JSON keeps every configuration's statistics, so the report and the figure can be rewritten on
a machine without the run cache.
"""

import os
import sys

import numpy as np

from benchmarks import common
from benchmarks.compare import load_cached_run
from das_keras.layers.functional import center_indices
from das_keras.models import sampler_of

# The samplers whose choice is learned (and so worth looking at): an explicit choice of what this
# report studies, not a property the sampler registry (das_keras.layers.SAMPLERS) records.
LEARNED = ("dps", "adps", "das")


def chosen_indices(run, shared):
    """The slice indices (N, k) the run's model chooses for each test input."""
    model, splits = load_cached_run(run, shared)
    sampler = sampler_of(model)
    batches = [np.asarray(sampler.select(x, training=False)[0]) for x, _ in splits.test]
    return np.concatenate(batches), int(splits.input_shape[0])


def selection_statistics(indices, num_slices):
    """Per-slice choice frequency, distinct selections and overlap with the central window."""
    k = indices.shape[1]
    frequency = np.bincount(indices.reshape(-1), minlength=num_slices) / len(indices)
    center = set(center_indices(num_slices, k))
    in_center = np.mean([len(center.intersection(row.tolist())) / k for row in indices])
    return {
        "frequency": frequency.tolist(),
        "distinct": len({tuple(row) for row in indices.tolist()}),
        "inputs": len(indices),
        "center_share": float(in_center),
    }


def score_group(runs, shared):
    """The statistics of each seed, averaged."""
    per_seed = []
    for run in runs:
        indices, num_slices = chosen_indices(run, shared)
        per_seed.append(selection_statistics(indices, num_slices))
    return {
        "seeds": [r["seed"] for r in runs],
        "k_slices": runs[0]["k_slices"],
        "frequency": np.mean([s["frequency"] for s in per_seed], axis=0).tolist(),
        "distinct": float(np.mean([s["distinct"] for s in per_seed])),
        "inputs": per_seed[0]["inputs"],
        "center_share": float(np.mean([s["center_share"] for s in per_seed])),
    }


def _ordered(report):
    def order(key):
        dataset, backbone, k, sampler = key.split("/")
        return dataset, backbone, float(k), common.SAMPLERS.index(sampler)

    return sorted(report, key=order)


def markdown(report, figure):
    lines = [
        "# Which slices the learned samplers choose",
        "",
        "Written by `benchmarks/selection_stats.py` from the models of `benchmarks/compare.py`",
        "(docs/results/comparison.md), on each test input at inference, mean over seeds.",
        "*Distinct*: different selections among the test inputs (a sampler that ignores its",
        "input makes one). *In the central window*: the share of the",
        "chosen slices that the CenterSampler at the same k would also choose. The figure",
        f"({figure}) shows how often each slice is chosen.",
        "",
        "| data set | backbone | k | method | slices seen | seeds | distinct | in the central "
        "window | most chosen slices |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in _ordered(report):
        dataset, backbone, k, sampler = key.split("/")
        e = report[key]
        top = np.argsort(e["frequency"])[::-1][: e["k_slices"]]
        lines.append(
            f"| {dataset} | {backbone} | {float(k):.0%} | {sampler} | {e['k_slices']} "
            f"| {len(e['seeds'])} | {e['distinct']:.0f} of {e['inputs']} | {e['center_share']:.0%} "
            f"| {', '.join(map(str, sorted(top.tolist())))} |"
        )
    return "\n".join(lines)


def plot(report, path):
    """One row per configuration: how often each slice is chosen (slices on the x axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = _ordered(report)
    width = max(len(report[key]["frequency"]) for key in keys)
    grid = np.full((len(keys), width), np.nan)
    for row, key in enumerate(keys):
        frequency = report[key]["frequency"]
        grid[row, : len(frequency)] = frequency
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(keys) + 1.2))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(keys)), [key.replace("/", " ") for key in keys], fontsize=7)
    ax.set_xlabel("slice (frame) index")
    fig.colorbar(image, ax=ax, label="share of test inputs choosing it")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    args, report = common.parse_cache_report(__doc__.splitlines()[0], "selection", argv)
    learned = [sampler for sampler in args.samplers if sampler in LEARNED]
    if not args.report_only:
        for key, runs in sorted(
            common.cached_configurations(args.datasets, args.backbones, learned).items()
        ):
            report[key] = score_group(runs, args.shared)
            print(f"{key}: in the central window {report[key]['center_share']:.0%}", flush=True)
    if not report:
        print(f"No learned-sampler runs in {common.RUNS} or {args.output}.json.", file=sys.stderr)
        return 1
    plot(report, args.output + ".png")
    text = markdown(report, os.path.basename(args.output) + ".png") + "\n"
    common.write_report_files(args.output, {"configurations": report}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
