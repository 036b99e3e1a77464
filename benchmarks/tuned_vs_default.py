"""Does tuning DAS with `das-keras tune` beat its defaults? (docs/results/tuning.md)

1. Runs (or continues) `das-keras tune` on VesselMNIST3D: Bayesian optimisation over the number of
   heads H and the base temperature tau0 at k = 50% of T (the default's cost, so the two compare at
   equal cost), objective validation AUC, the comparison's backbone (small CNN + conv1d).
2. Trains the best configuration with the comparison's full recipe (benchmarks/compare.py: epochs,
   cosine schedule, augmentation, epoch chosen on the validation loss) for several seeds, and
   evaluates each once on the test split.
3. Writes the tuned and the default configuration (H = 4, tau0 = 1: the comparison's DAS runs,
   shared through the run cache) side by side.

    python -m benchmarks.tuned_vs_default                # search + 3 seeds of the best
    python -m benchmarks.tuned_vs_default --report-only  # rewrite the report from finished runs
    python -m benchmarks.tuned_vs_default --stored-search  # train the rows, search kept in the JSON

The report's JSON keeps the search's result and every run's result, so a machine without the run
cache (runs/) can rewrite the report (--report-only) or train the rows again without searching
again (--stored-search).
"""

import argparse
import json
import os
import sys

import numpy as np

from benchmarks import common
from benchmarks.compare import run_one
from benchmarks.report import recipe_label
from das_keras.cli import main as cli_main

DEFAULT_OPTIONS = {"heads": 4, "tau0": 1.0}


def search_command(args):
    """The `das-keras tune` arguments of the search (also printed in the report)."""
    return [
        "tune",
        "--dataset",
        args.dataset,
        "--data-dir",
        common.data_dir_for(args.dataset, args.shared),
        "--output",
        args.search_dir,
        "--tuner",
        "bayesian",
        "--trials",
        str(args.trials),
        "--epochs",
        str(args.trial_epochs),
        "--objective",
        "val_auc",
        "--k",
        str(args.k),
        "--heads",
        "1,2,4,8",
        "--tau0",
        "0.1:5",
        "--aggregation",
        "conv1d",
        "--seed",
        "0",
        "--verbose",
        "0",
    ]


def tuned_options(best):
    """The comparison's sampler options (heads, tau0) of the search's best trial."""
    hp = best["hyperparameters"]
    return {"heads": int(hp["heads"]), "tau0": float(f"{hp['tau0']:.3g}")}


def summary(runs):
    """Mean and std of val / test AUC and balanced accuracy over seeds."""
    out = {"seeds": [r["seed"] for r in runs]}
    for split in ("val", "test"):
        for metric in ("auc", "balanced_accuracy"):
            values = [r[split][metric] for r in runs]
            out[f"{split}_{metric}"] = [float(np.mean(values)), float(np.std(values))]
        out[f"{split}_auc_per_seed"] = [r[split]["auc"] for r in runs]
    return out


def write_report(path, report):
    """docs/results/tuning.md (+ .json) from the search's best trial and the two rows."""
    best = report["search"]
    lines = [
        "# Tuned vs default DAS on " + report["dataset"],
        "",
        f"Search: `das-keras {' '.join(report['search_command'])}`",
        "",
        f"{best['num_trials']} trials; best trial {best['best_trial']}: validation AUC "
        f"{best['val_objective']:.3f} after at most {report['trial_epochs']} epochs (trial recipe: "
        "constant learning rate, no augmentation); its hyperparameters: "
        + ", ".join(
            f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in best["hyperparameters"].items()
        )
        + ". "
        + (
            f"That trial's own model (trial recipe) on the test split: AUC "
            f"{best['test_metrics']['auc']:.3f}, balanced accuracy "
            f"{best['test_metrics']['balanced_accuracy']:.3f}."
            if "test_metrics" in best
            else ""
        ),
        "",
        "Both rows below are trained with the comparison's recipe (benchmarks/compare.py; "
        f"{recipe_label(report['data_recipe'])}) at "
        f"k = {report['k']:g} of T, one run per seed, epoch chosen on the validation loss, "
        "evaluated once on the test split (mean ± std over seeds).",
        "",
        "| configuration | val AUC | test AUC | test balanced acc. | test AUC per seed |",
        "|---|---|---|---|---|",
    ]
    for name in ("default", "tuned"):
        row = report.get(name)
        if row is None:  # --report-only before its runs finished
            continue
        options = ", ".join(f"{k} = {v:g}" for k, v in row["options"].items())
        per_seed = " / ".join(f"{v:.3f}" for v in row["test_auc_per_seed"])
        lines.append(
            f"| {name} ({options}) | {_pm(row['val_auc'])} | {_pm(row['test_auc'])} | "
            f"{_pm(row['test_balanced_accuracy'])} | {per_seed} |"
        )
    if "default" in report and "tuned" in report:
        lines += ["", verdict(report["default"], report["tuned"])]
    if best.get("trials"):
        lines += [
            "",
            f"Every trial of the search (validation AUC, trial recipe, {len(best['trials'])} "
            "trials):",
            "",
            "| trial | val AUC | heads | tau0 |",
            "|---|---|---|---|",
        ]
        for trial in sorted(best["trials"], key=lambda t: -t["score"]):
            hp = trial["hyperparameters"]
            lines.append(
                f"| {trial['trial_id']} | {trial['score']:.3f} | {hp['heads']} | {hp['tau0']:.3g} |"
            )
    lines += ["", f"Command: `{report['command']}`", ""]
    common.write_report_files(path, report, "\n".join(lines))


def verdict(default, tuned):
    """A plain sentence: is the tuned configuration's test AUC above the default's seed noise?"""
    difference = tuned["test_auc"][0] - default["test_auc"][0]
    noise = max(default["test_auc"][1], tuned["test_auc"][1])
    if abs(difference) <= noise:
        return (
            f"Verdict: no measurable gain from tuning: the tuned configuration's mean test AUC "
            f"differs from the default's by {difference:+.3f}, within the seed-to-seed spread "
            f"(std up to {noise:.3f})."
        )
    better = "better" if difference > 0 else "worse"
    return (
        f"Verdict: the tuned configuration is {better} than the default by {difference:+.3f} "
        f"mean test AUC, more than the seed-to-seed spread (std up to {noise:.3f})."
    )


def _pm(pair):
    return f"{pair[0]:.3f} ± {pair[1]:.3f}"


def search_result(args, command, previous):
    """The search's summary (best.json): searched (or resumed) now, or the one the report keeps.

    --report-only and --stored-search use the kept one when the search folder is gone; it must
    come from the same search command. Returns None (after saying why) when there is none.
    """
    best_path = os.path.join(args.search_dir, "best.json")
    if not (args.report_only or args.stored_search):
        if cli_main(command) != 0:
            return None
    if os.path.exists(best_path):
        with open(best_path) as f:
            return json.load(f)
    if previous.get("search") and previous.get("search_command") == command:
        print(f"{best_path} not found: using the search kept in {args.output}.json")
        return previous["search"]
    print(
        f"No search result: neither {best_path} nor a search of the same command in "
        f"{args.output}.json. Run without --report-only / --stored-search to search.",
        file=sys.stderr,
    )
    return None


def row_run(args, seed, options, kept):
    """One seed of a row: trained (or read from the run cache), or the run the report keeps.

    With --report-only nothing is trained: a seed neither cached nor kept is left out (None).
    """
    folder = common.run_dir(args.dataset, "ours", args.k, "das", seed, options)
    if args.report_only and not os.path.exists(os.path.join(folder, "result.json")):
        config = {"dataset": args.dataset, "backbone": "ours", "k": args.k, "sampler": "das"}
        run = kept.get(common.run_key({**config, "options": options, "seed": seed}))
        current = common.recipe_of(args.dataset)
        return run if run is not None and run.get("recipe", current) == current else None
    return run_one(args.dataset, "ours", args.k, "das", seed, args.shared, args.epochs, options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="vessel", choices=("vessel", "adrenal"))
    parser.add_argument("--k", type=float, default=0.5)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--trial-epochs", type=int, default=8)
    common.add_training_arguments(parser, "tuning")
    parser.add_argument("--search-dir", default=os.path.join("runs", "tune", "vessel"))
    parser.add_argument(
        "--stored-search",
        action="store_true",
        help="skip the search: use the one kept in the report's JSON when --search-dir has none",
    )
    args = parser.parse_args(argv)

    command = search_command(args)
    previous = common.load_report(args.output)
    best = search_result(args, command, previous)
    if best is None:
        return 1
    kept = {common.run_key(r): r for r in previous.get("runs", [])}
    rows, all_runs = {}, []
    for name, options in (("default", None), ("tuned", tuned_options(best))):
        runs = []
        for seed in args.seeds:
            run = row_run(args, seed, options, kept)
            if run is not None:
                runs.append(run)
        if runs:
            rows[name] = {"options": options or DEFAULT_OPTIONS, **summary(runs)}
            all_runs += runs
    report = {
        "dataset": args.dataset,
        "k": args.k,
        "data_recipe": common.recipe_of(args.dataset),
        "trial_epochs": args.trial_epochs,
        "search_command": command,
        "search": best,
        **rows,
        "command": common.command_line("tuned_vs_default", argv or sys.argv[1:]),
        "runs": all_runs,
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    write_report(args.output, report)
    print(open(args.output + ".md").read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
