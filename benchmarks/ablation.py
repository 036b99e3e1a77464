"""The ablation table of issue 19: each option on and off, from the comparison's runs.

Reads the per-run results kept in docs/results/comparison.json (written by benchmarks.compare)
and, for every option that ran, compares the runs with it against the runs without it on the
SAME seeds (paired): context and the DAS position term (`+ctx1_pos` against the plain sampler),
context alone for the static samplers (`+ctx1`), EMA (`+ctx1_pos_ema` against `+ctx1_pos`),
multi-axis selection (`..._axes3` against the same set without it), distillation
(`+ctx1_pos_kd` against `+ctx1_pos`), and, within each run, test-time flip averaging and the two
decision rules that undo class weighting's prior shift (prior correction, validation threshold).
Writes docs/results/ablation.md and .json. Nothing is trained here.

    python -m benchmarks.ablation
"""

import argparse
import statistics
from collections import defaultdict

from benchmarks import common

# (option, label with the option, label without it): "{s}" is the base sampler
OPTION_PAIRS = (
    ("context + DAS position term", "{s}+ctx1_pos", "{s}"),
    ("context (static samplers)", "{s}+ctx1", "{s}"),
    ("EMA of the weights", "{s}+ctx1_pos_ema", "{s}+ctx1_pos"),
    ("multi-axis selection", "{s}+ctx1_pos_axes3", "{s}+ctx1_pos"),
    ("multi-axis selection", "{s}+ctx1_axes3", "{s}+ctx1"),
    ("distillation from the full model", "{s}+ctx1_pos_kd", "{s}+ctx1_pos"),
)
# (option, metric of the run with it, metric of the same run without it)
WITHIN_RUN = (
    ("test-time flip averaging (AUC)", ("test_flips", "auc"), ("test", "auc")),
    ("prior correction (official ACC)", ("test_prior", "accuracy"), ("test", "accuracy")),
    ("validation threshold (official ACC)", ("test_threshold", "accuracy"), ("test", "accuracy")),
)


def runs_by_label(runs):
    """{(dataset, k, label): {seed: run}} of backbone-"ours" runs."""
    grouped = defaultdict(dict)
    for run in runs:
        if run.get("backbone") == "ours":
            grouped[(run["dataset"], run["k"], run["sampler"])][run["seed"]] = run
    return grouped


def paired_rows(grouped):
    """One row per option, data set, k and base sampler that has runs on and off."""
    rows = []
    for (dataset, k, label), with_runs in sorted(grouped.items(), key=str):
        base = label.split("+")[0]
        for option, on, off in OPTION_PAIRS:
            if label != on.format(s=base):
                continue
            without = grouped.get((dataset, k, off.format(s=base)), {})
            seeds = sorted(set(with_runs) & set(without))
            if seeds:
                on_auc = [with_runs[s]["test"]["auc"] for s in seeds]
                off_auc = [without[s]["test"]["auc"] for s in seeds]
                rows.append(
                    _row(
                        option,
                        dataset,
                        k,
                        label,
                        off.format(s=base),
                        seeds,
                        on_auc,
                        off_auc,
                        with_runs,
                        without,
                    )
                )
    return rows


def within_run_rows(grouped):
    """Rows for flip averaging and the decision rules: the same runs, two ways of predicting."""
    rows = []
    for (dataset, k, label), runs in sorted(grouped.items(), key=str):
        for option, (on_split, on_key), (off_split, off_key) in WITHIN_RUN:
            seeds = sorted(s for s, r in runs.items() if on_split in r and off_split in r)
            if seeds:
                on = [runs[s][on_split][on_key] for s in seeds]
                off = [runs[s][off_split][off_key] for s in seeds]
                rows.append(_row(option, dataset, k, label, label, seeds, on, off))
    return rows


def _row(option, dataset, k, label, baseline, seeds, on, off, with_runs=None, without=None):
    deltas = [a - b for a, b in zip(on, off)]
    row = {
        "option": option,
        "dataset": dataset,
        "k": k,
        "with": label,
        "without": baseline,
        "seeds": seeds,
        "with_mean": statistics.mean(on),
        "without_mean": statistics.mean(off),
        "delta_mean": statistics.mean(deltas),
        "delta_std": statistics.stdev(deltas) if len(deltas) > 1 else None,
    }
    if with_runs is not None:  # the choice is made on validation: say what it would pick
        val_on = statistics.mean(with_runs[s]["val"]["auc"] for s in seeds)
        val_off = statistics.mean(without[s]["val"]["auc"] for s in seeds)
        row["val_delta_mean"] = val_on - val_off
    return row


def verdict(row):
    """ "helps", "hurts" or "tie": a mean change within one std of the paired changes (or
    within 0.005 with one seed) is a tie."""
    spread = row["delta_std"] if row["delta_std"] is not None else 0.005
    if abs(row["delta_mean"]) <= spread:
        return "tie"
    return "helps" if row["delta_mean"] > 0 else "hurts"


def markdown(rows):
    lines = [
        "# Ablation: each option on and off (issue 19)",
        "",
        "Backbone *ours*; paired on the seeds both runs have; test metric (AUC unless the "
        "option says ACC); a change within one std of the paired changes (or 0.005 with one "
        "seed) is a tie. `val Δ`: the change of validation AUC, on which options are chosen.",
        "Made by `python -m benchmarks.ablation` from docs/results/comparison.json.",
        "",
        "| option | set | k | with | without | seeds | with | without | Δ (± std) | val Δ "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        std = f" ± {r['delta_std']:.3f}" if r["delta_std"] is not None else ""
        val = f"{r['val_delta_mean']:+.3f}" if "val_delta_mean" in r else ""
        seeds = ",".join(str(s) for s in r["seeds"])
        lines.append(
            f"| {r['option']} | {r['dataset']} | {r['k']:g} | {r['with']} | {r['without']} "
            f"| {seeds} | {r['with_mean']:.3f} | {r['without_mean']:.3f} "
            f"| {r['delta_mean']:+.3f}{std} | {val} | {verdict(r)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comparison", default="docs/results/comparison")
    parser.add_argument("--output", default="docs/results/ablation")
    args = parser.parse_args(argv)
    runs = common.load_report(args.comparison).get("runs", [])
    grouped = runs_by_label(runs)
    rows = paired_rows(grouped) + within_run_rows(grouped)
    for row in rows:
        row["verdict"] = verdict(row)
    common.write_report_files(
        args.output, {"command": "python -m benchmarks.ablation", "rows": rows}, markdown(rows)
    )
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
