"""How much DAS depends on k, tau0 and the number of heads H (docs/results/sensitivity.md).

On VesselMNIST3D with the comparison's backbone and recipe (benchmarks/compare.py), it trains
DAS with one hyperparameter changed at a time from the default (k = 50% of T, tau0 = 1, H = 4),
and DPS and Uniform at the same k values, for several seeds; each run's epoch is chosen on the
validation loss and evaluated once on the test split. It writes a table per hyperparameter, the
accuracy-vs-cost curve (test AUC against the slices the backbone sees), PNG plots, and a plain
verdict per hyperparameter: its effect (the spread of the mean test AUC over its values) set
against the seed-to-seed spread.

Runs are cached beside the comparison's (runs/compare/...; the default points are the same
runs), all seed-0 points first, so a partial run already gives a report. The report's JSON keeps
every run's result, so --report-only also works on a machine without the cache:

    python -m benchmarks.sensitivity                      # 3 seeds, every point
    python -m benchmarks.sensitivity --seeds 0 --epochs 8 # a quick look
    python -m benchmarks.sensitivity --report-only
"""

import argparse
import os
import sys

import matplotlib
import numpy as np

from benchmarks import common
from benchmarks.compare import run_one
from benchmarks.report import recipe_label

DEFAULTS = {"k": 0.5, "tau0": 1.0, "heads": 4}
STUDIES = {  # hyperparameter -> values tried (the others at their defaults)
    "k": (0.25, 0.5, 0.75),
    "tau0": (0.25, 1.0, 4.0),
    "heads": (1, 4, 8),
}
# The samplers of the accuracy-vs-cost curve: an explicit choice (DAS against a learned and a
# fixed sampler at the same k), not every registered sampler.
COST_SAMPLERS = ("das", "dps", "uniform")


def das_setting(name, value):
    """(k, DAS options) of one sweep point: `name` set to `value`, the rest at their defaults."""
    k = value if name == "k" else DEFAULTS["k"]
    options = {} if name == "k" or value == DEFAULTS[name] else {name: value}
    return k, options


def points(studies):
    """(sampler, k, options) of every run needed, without repeats, DAS sweeps first."""
    needed = []
    for name in studies:
        for value in STUDIES[name]:
            needed.append(("das", *das_setting(name, value)))
    for sampler in COST_SAMPLERS[1:]:
        needed += [(sampler, k, {}) for k in STUDIES["k"]]
    needed.append(("full", DEFAULTS["k"], {}))
    unique = []
    for point in needed:
        if point not in unique:
            unique.append(point)
    return unique


def study_rows(results, name):
    """Mean / std of val and test AUC for each value of one DAS hyperparameter."""
    rows = []
    for value in STUDIES[name]:
        k, options = das_setting(name, value)
        runs = [
            r for r in results if r["sampler"] == "das" and r["k"] == k and r["options"] == options
        ]
        rows.append({"value": value, **_stats(runs)})
    return rows


def cost_rows(results):
    """Test AUC against slices seen, per sampler (full: all slices)."""
    rows = []
    for sampler in (*COST_SAMPLERS, "full"):
        ks = (1.0,) if sampler == "full" else STUDIES["k"]
        for k in ks:
            runs = [
                r
                for r in results
                if r["sampler"] == sampler
                and not r["options"]
                and (sampler == "full" or r["k"] == k)
            ]
            if runs:
                rows.append({"sampler": sampler, "k_slices": runs[0]["k_slices"], **_stats(runs)})
    return rows


def _stats(runs):
    out = {"seeds": sorted(r["seed"] for r in runs)}
    for split in ("val", "test"):
        values = np.array([r[split]["auc"] for r in runs], dtype=float)
        out[f"{split}_auc_mean"] = float(values.mean()) if len(values) else None
        out[f"{split}_auc_std"] = float(values.std()) if len(values) else None
    return out


def _cell(row, split):
    if not row["seeds"]:
        return "not run"
    return f"{row[f'{split}_auc_mean']:.3f} ± {row[f'{split}_auc_std']:.3f}"


def verdict(rows):
    """Whether a hyperparameter's effect stands out from the seed noise, in words."""
    rows = [r for r in rows if r["seeds"]]
    if len(rows) < 2:
        return "not enough finished runs to judge"
    means = [r["test_auc_mean"] for r in rows]
    effect = max(means) - min(means)
    noise = float(np.mean([r["test_auc_std"] for r in rows]))
    if min(len(r["seeds"]) for r in rows) < 2:
        return f"spread of the mean test AUC {effect:.3f}; one seed per point, so no noise estimate"
    word = "matters" if effect > 2 * noise else "does not matter beyond the seed noise"
    return (
        f"{word}: the mean test AUC spans {effect:.3f} over the values tried, against a "
        f"seed-to-seed std of {noise:.3f}"
    )


def cost_verdict(cost):
    """DAS against the best other sampler at each number of slices seen, in words."""
    finished = [r for r in cost if len(r["seeds"]) >= 2]
    lines, gaps, within = [], [], []
    for r in (r for r in finished if r["sampler"] == "das"):
        others = [o for o in finished if o["sampler"] not in ("das", "full")]
        others = [o for o in others if o["k_slices"] == r["k_slices"]]
        if not others:
            continue
        best = max(others, key=lambda o: o["test_auc_mean"])
        gap = r["test_auc_mean"] - best["test_auc_mean"]
        noise = max(r["test_auc_std"], best["test_auc_std"])
        word = (
            "within the seed noise of" if abs(gap) <= noise else ("above" if gap > 0 else "below")
        )
        lines.append(
            f"- {r['k_slices']} slices: DAS {r['test_auc_mean']:.3f} is {word} the best other "
            f"sampler ({best['sampler']}, {best['test_auc_mean']:.3f}; gap {gap:+.3f}, larger std "
            f"{noise:.3f})."
        )
        gaps.append(gap)
        within.append(abs(gap) <= noise)
    if gaps and (all(g < 0 for g in gaps) or all(g > 0 for g in gaps)):
        side = "below" if gaps[0] < 0 else "above"
        lines.append(
            f"- DAS is {side} the best other sampler at every cost tried ({len(gaps)} of "
            f"{len(gaps)})"
            + (", though no single gap exceeds the seed noise." if all(within) else ".")
        )
    return lines


def plot(study, cost, path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(study) + 1, figsize=(4 * (len(study) + 1), 3.4))
    for ax, (name, rows) in zip(axes, study.items()):
        rows = [r for r in rows if r["seeds"]]
        x = [r["value"] for r in rows]
        for split, marker in (("val", "s"), ("test", "o")):
            ax.errorbar(
                x,
                [r[f"{split}_auc_mean"] for r in rows],
                yerr=[r[f"{split}_auc_std"] for r in rows],
                marker=marker,
                capsize=3,
                label=f"{split} AUC",
            )
        ax.set_xlabel(name + (" (fraction of T)" if name == "k" else ""))
        if name == "tau0":
            # Log axis, ticks at the values tried only (no clutter of minor labels).
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{v:g}" for v in x])
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_title(f"DAS vs {name}")
        ax.legend()
    ax = axes[-1]
    for sampler in (*COST_SAMPLERS, "full"):
        rows = [r for r in cost if r["sampler"] == sampler]
        ax.errorbar(
            [r["k_slices"] for r in rows],
            [r["test_auc_mean"] for r in rows],
            yerr=[r["test_auc_std"] for r in rows],
            marker="o",
            capsize=3,
            label=sampler,
        )
    ax.set_xlabel("slices seen by the backbone")
    ax.set_ylabel("test AUC")
    ax.set_title("accuracy vs cost")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep_runs(output, dataset):
    """The sweep's runs with the data set's current recipe: those the report at `output` keeps,
    merged with the run cache (a cached run replaces a kept one like it).

    Keeping them in the report's JSON lets a machine without the cache rebuild, and extend, it.
    """
    current = common.recipe_of(dataset)
    needed = points(list(STUDIES))

    def in_sweep(r):
        return (
            r["dataset"] == dataset
            and r["backbone"] == "ours"
            and r.get("recipe", current) == current
            and any(
                r["sampler"] == sampler
                and (sampler == "full" or r["k"] == k)
                and (r.get("options") or {}) == options
                for sampler, k, options in needed
            )
        )

    kept = common.load_report(output).get("runs", [])
    return [r for r in common.merge_runs(kept, common.collect(with_options=True)) if in_sweep(r)]


def write_report(output, dataset, command):
    results = sweep_runs(output, dataset)
    study = {name: study_rows(results, name) for name in STUDIES}
    cost = cost_rows(results)
    plot(study, cost, output + ".png")
    data = {
        "dataset": dataset,
        "recipe": common.RECIPE,
        "data_recipe": common.recipe_of(dataset),
        "study": study,
        "cost": cost,
        "runs": results,
    }
    lines = [
        "# Sensitivity of DAS to k, tau0 and heads",
        "",
        f"Written by `{command}` (`benchmarks/sensitivity.py`) on {dataset}, backbone *ours* "
        "(small 2D CNN per slice + 1D conv), the comparison's recipe "
        f"(Adam from {common.RECIPE['learning_rate']}, {common.RECIPE['lr_schedule']} schedule, "
        f"batch {common.RECIPE['batch_size']}, weights of the epoch with the lowest validation "
        f"loss, balanced class weights, {recipe_label(common.recipe_of(dataset))}). "
        "One hyperparameter "
        f"changes at a time from the default {DEFAULTS}. Mean ± std over the seeds listed.",
        "",
        f"![sensitivity plots]({os.path.basename(output)}.png)",
        "",
    ]
    for name, rows in study.items():
        lines += [
            f"## {name}: {verdict(rows)}",
            "",
            f"| {name} | seeds | val AUC | test AUC |",
            "|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['value']:g} | {len(r['seeds'])} | {_cell(r, 'val')} | {_cell(r, 'test')} |"
            )
        lines.append("")
    lines += [
        "## Accuracy vs cost",
        "",
        *cost_verdict(cost),
        "",
        "| sampler | slices seen | seeds | val AUC | test AUC |",
        "|---|---|---|---|---|",
    ]
    for r in cost:
        lines.append(
            f"| {r['sampler']} | {r['k_slices']} | {len(r['seeds'])} | {_cell(r, 'val')} | "
            f"{_cell(r, 'test')} |"
        )
    common.write_report_files(output, data, "\n".join(lines) + "\n")
    return study, cost


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="vessel")
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    args = common.add_training_arguments(parser, "sensitivity").parse_args(argv)
    # The command that trains the runs; --report-only only rewrites the report from them.
    given = argv if argv is not None else sys.argv[1:]
    command = common.command_line("sensitivity", [a for a in given if a != "--report-only"])
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    if not args.report_only:
        for seed in args.seeds:  # every point once before any point twice
            for sampler, k, options in points(args.studies):
                r = run_one(
                    args.dataset, "ours", k, sampler, seed, args.shared, args.epochs, options
                )
                print(
                    f"{common.sampler_label(sampler, options)} k={k} seed={seed}: test AUC "
                    f"{r['test']['auc']:.3f}",
                    flush=True,
                )
                write_report(args.output, args.dataset, command)
    write_report(args.output, args.dataset, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
