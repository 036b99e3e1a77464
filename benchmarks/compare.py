"""The method comparison (the paper's Table 1 on the data we have).

Trains Full, Random, Uniform, Center (the k central slices), DPS, ADPS and DAS with the same
backbone and recipe on each data set, at k = 50% (and 25%) of T, for several seeds; selects each
run's epoch on the validation loss only; evaluates once on the test split; and writes
docs/results/comparison.md and .json with the mean and standard deviation over seeds, beside the
published reference numbers.

Every run is cached in runs/compare/<dataset>/<backbone>/k<k>/<sampler>/seed<seed>/ (resumable;
finished runs are not repeated), and each run's result is also kept in the report's JSON, so the
tables can be rebuilt, and extended, on a machine without the cache:

    python benchmarks/compare.py --datasets vessel adrenal pocus synthetic --seeds 0 1 2
    python benchmarks/compare.py --report-only
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np

SAMPLERS = ("full", "random", "uniform", "center", "dps", "adps", "das")
BACKBONES = {  # name -> build_classifier arguments
    "ours": {"backbone": "small_cnn", "aggregation": "conv1d"},
    "paper": {"backbone": "mobilenetv3small", "aggregation": "conv1d"},
}
RECIPE = {
    "epochs": 12,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "lr_schedule": "cosine",
    "patience": 12,
}
DATA_SUBDIR = {"vessel": "medmnist3d", "adrenal": "medmnist3d", "pocus": "pocus"}
# Flips and 90-degree turns help AdrenalMNIST3D and POCUS but hurt VesselMNIST3D (a probe with
# every method alike, docs/results/comparison_no_augment.md: DAS 0.788 -> 0.873 test AUC).
AUGMENT = {"vessel": False, "adrenal": True, "pocus": True}
# POCUS has 3 training steps per epoch: with BatchNorm momentum 0.9 the moving statistics keep
# their initial values for many epochs and the model predicts one class at inference.
MODEL_OPTIONS = {"pocus": {"bn_momentum": 0.5}}
# The run cache, and train_run options of a recipe variant (`--variant NAME` switches both, so
# that a variant's runs never mix with the main comparison's).
RUNS = os.path.join("runs", "compare")
VARIANT_OPTIONS = {}
VARIANTS = {  # recipe probes: train_run options applied to every method alike
    "precise_bn": {"precise_bn": True},
    "no_augment": {"augment": False},
    "epochs24": {"epochs": 24},  # twice the epochs (the cosine schedule stretched with them)
}
# Named option sets (`--options NAME`): "sampler" options go to every sampler (fair
# comparisons), "das" options to DAS only, "model" options to build_classifier, "train" options
# to train_run. Runs with an option set are labelled "<sampler>+<name>" in the run cache and the
# report ("das+ctx1_pos"); "default" is the plain comparison.
DAS_POSITIONS = {"learned_positions": True, "position_prior": 4.0}
OPTION_SETS = {
    "default": {},
    "ctx1": {"sampler": {"context": 1}},
    "pos": {"das": DAS_POSITIONS},
    "ctx1_pos": {"sampler": {"context": 1}, "das": DAS_POSITIONS},
    "ctx1_pos_ema": {"sampler": {"context": 1}, "das": DAS_POSITIONS, "train": {"ema": True}},
    "ctx1_pos_axes3": {
        "sampler": {"context": 1},
        "das": DAS_POSITIONS,
        "model": {"slice_axes": [1, 2, 3]},
    },
    "ctx1_axes3": {"sampler": {"context": 1}, "model": {"slice_axes": [1, 2, 3]}},
}
REFERENCES = {  # published numbers: (AUC, accuracy)
    "vessel": [
        ("DAS (paper, MobileNetV3-Small)", 0.752, 0.829),
        ("ADPS (paper)", 0.739, 0.807),
        ("ResNet-18+3D (MedMNIST v2)", 0.874, 0.877),
        ("ResNet-18+ACS (MedMNIST v2)", 0.930, 0.928),
    ],
    "adrenal": [
        ("ResNet-18+3D (MedMNIST v2)", 0.827, 0.721),
        ("ResNet-18+ACS (MedMNIST v2)", 0.839, 0.754),
    ],
}


def recipe_of(dataset):
    """The train_run options that differ between data sets or variants (the rest is RECIPE)."""
    return {"augment": AUGMENT.get(dataset, False), **VARIANT_OPTIONS}


def data_dir_for(dataset, shared):
    """The data folder of `dataset` under the shared data folder (None: generated data)."""
    return os.path.join(shared, DATA_SUBDIR[dataset]) if dataset in DATA_SUBDIR else None


def sampler_label(sampler, options=None):
    """ "das", or "das_heads8_tau00.5" for a sampler with non-default options."""
    return sampler + "".join(f"_{name}{value:g}" for name, value in sorted((options or {}).items()))


def run_dir(dataset, backbone, k, sampler, seed, options=None):
    k_label = "all" if sampler.partition("+")[0] == "full" else f"{k:g}"
    label = sampler_label(sampler, options)
    return os.path.join(RUNS, dataset, backbone, f"k{k_label}", label, f"seed{seed}")


def option_set(name, sampler):
    """train_run keyword arguments of an option set for one sampler."""
    spec = OPTION_SETS[name]
    sampler_options = {
        **spec.get("sampler", {}),
        **(spec.get("das", {}) if sampler == "das" else {}),
    }
    kwargs = dict(spec.get("train", {}))
    if sampler_options:
        kwargs["sampler_options"] = sampler_options
    if spec.get("model"):
        kwargs["model_options"] = spec["model"]
    return kwargs


def run_one(
    dataset, backbone, k, sampler, seed, shared, epochs, options=None, option_name="default"
):
    """Trains and evaluates one configuration, or returns its cached result.

    `options` are extra sampler arguments (benchmarks/sensitivity.py: DAS heads and tau0);
    `option_name` names an entry of OPTION_SETS (context, position term, EMA, multi-axis).
    """
    from das_keras.training import read_log, train_run

    label = sampler if option_name == "default" else f"{sampler}+{option_name}"
    folder = run_dir(dataset, backbone, k, label, seed, options)
    result_path = os.path.join(folder, "result.json")
    recipe = recipe_of(dataset)
    if os.path.exists(result_path):
        with open(result_path) as f:
            result = json.load(f)
        if result.get("recipe", recipe) != recipe:
            raise RuntimeError(
                f"{folder} was trained with the recipe {result['recipe']}, but {dataset} now "
                f"uses {recipe}: move the folder aside to train it again."
            )
        return result
    data_dir = data_dir_for(dataset, shared)
    start = time.time()
    settings = {
        **MODEL_OPTIONS.get(dataset, {}),
        **BACKBONES[backbone],
        **RECIPE,
        "epochs": epochs,
        **recipe,  # last: a variant overrides the recipe (its epochs too)
    }
    extra = option_set(option_name, sampler)
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

    splits = load_splits(dataset, RECIPE["batch_size"], 0, data_dir)
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


def collect(with_options=False):
    """Cached results under runs/compare: default sampler options only, unless `with_options`."""
    results = []
    for root, _, files in os.walk(RUNS):
        if "result.json" in files:
            with open(os.path.join(root, "result.json")) as f:
                result = json.load(f)
            result.pop("predictions", None)  # kept in the run folder only
            if with_options or not result.get("options"):
                results.append(result)
    return results


def run_key(result):
    """What identifies a run: its configuration and seed."""
    options = json.dumps(result.get("options") or {}, sort_keys=True)
    return (
        result["dataset"],
        result["backbone"],
        result["k"],
        result["sampler"],
        options,
        result["seed"],
    )


def merge_runs(stored, cached):
    """The union of two lists of run results; a cached run replaces a stored one like it."""
    merged = {run_key(r): r for r in stored}
    merged.update({run_key(r): r for r in cached})
    return sorted(merged.values(), key=run_key)


def newest_recipe(runs):
    """The runs of one group trained with the data set's current recipe, if there are any.

    After a recipe change the runs not trained again yet keep their (labelled) group, instead of
    mixing with the new recipe's runs.
    """
    current = [r for r in runs if r.get("recipe") == recipe_of(r["dataset"])]
    return current or runs


def summarize(results):
    """Mean and std over seeds per (dataset, backbone, k, sampler).

    The full model does not depend on k: it is listed under every k that other samplers ran
    at on the same data set and backbone (under k = 0.5 when none did).
    """
    groups = defaultdict(list)
    ks = defaultdict(set)
    for r in results:
        if not r["sampler"].startswith("full"):
            ks[(r["dataset"], r["backbone"])].add(r["k"])
    for r in results:
        setting = (r["dataset"], r["backbone"])
        is_full = r["sampler"].partition("+")[0] == "full"
        for k in (ks[setting] or {0.5}) if is_full else [r["k"]]:
            groups[(*setting, k, r["sampler"])].append(r)
    summary = {}
    for key, runs in groups.items():
        runs = sorted(newest_recipe(runs), key=lambda r: r["seed"])
        entry = {
            "recipe": runs[0].get("recipe", {}),
            "stored_runs": True,
            "seeds": sorted(r["seed"] for r in runs),
            "k_slices": runs[0]["k_slices"],
            "epochs_run": [r["epochs_run"] for r in runs],
            "max_epochs": max(r.get("max_epochs", 0) for r in runs),
        }
        for split in ("val", "test"):
            for metric in ("auc", "balanced_accuracy", "accuracy"):
                values = np.array([r[split][metric] for r in runs], dtype=float)
                entry[f"{split}_{metric}_mean"] = float(np.mean(values))
                entry[f"{split}_{metric}_std"] = float(np.std(values))
        summary["/".join(map(str, key))] = entry
    return summary


def recipe_label(recipe):
    """ "flips, turns" / "no augmentation", and any other recipe option that is switched on
    ("precise_bn") or set ("epochs 24")."""
    parts = ["flips, turns" if recipe.get("augment") else "no augmentation"]
    for name, value in recipe.items():
        if name == "augment" or value is False:
            continue
        parts.append(name if value is True else f"{name} {value}")
    return ", ".join(parts)


def markdown(summary):
    lines = [
        "# Method comparison",
        "",
        f"Written by `benchmarks/compare.py` from the runs it trained and cached in {RUNS}",
        "(the commands, in the order they ran: `benchmarks/run_comparison.sh`). Test metrics,",
        "mean ± std over the seeds listed; the weights of each run's epoch with the lowest",
        "class-weighted validation loss; the epochs column gives the epochs each seed ran and",
        "the maximum. Backbones: *ours* = small 2D CNN per slice + 1D conv over slices; *paper*",
        "= MobileNetV3-Small (32x32 slices) + 1D conv. Same recipe for every method on a data "
        f"set: Adam from {RECIPE['learning_rate']} with a {RECIPE['lr_schedule']} schedule over",
        f"the maximum epochs, batch {RECIPE['batch_size']}, balanced class weights; random flips",
        "and 90-degree turns where the recipe column says so (not on VesselMNIST3D, where they",
        "hurt every method: comparison_no_augment.md). Rows trained before a data set's recipe",
        "changed keep their recipe label until they are trained again. *center* keeps the k",
        "central slices: a fixed window, added after the first comparison where MedMNIST3D's",
        "centred volumes made it a stronger fixed baseline than evenly spaced slices.",
        *(
            [f"Recipe variant: `train_run` options {VARIANT_OPTIONS} for every method."]
            if VARIANT_OPTIONS
            else []
        ),
        "",
    ]
    keys = sorted({tuple(k.split("/")[:3]) for k in summary})
    for dataset, backbone, k in keys:
        lines += [
            f"## {dataset}, backbone {backbone}, k = {float(k):.0%} of T",
            "",
            "| method | slices seen | test AUC | test balanced acc. | test acc. | val AUC "
            "| seeds | epochs | recipe |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for sampler in sampler_labels(summary, dataset, backbone, k):
            e = summary[f"{dataset}/{backbone}/{k}/{sampler}"]
            cells = [
                f"{e[f'{split}_{metric}_mean']:.3f} ± {e[f'{split}_{metric}_std']:.3f}"
                for split, metric in (
                    ("test", "auc"),
                    ("test", "balanced_accuracy"),
                    ("test", "accuracy"),
                    ("val", "auc"),
                )
            ]
            epochs = f"{', '.join(map(str, e['epochs_run']))} of {e['max_epochs']}"
            lines.append(
                f"| {sampler} | {e['k_slices']} | {' | '.join(cells)} | {len(e['seeds'])} "
                f"| {epochs} | {recipe_label(e['recipe'])} |"
            )
        for name, auc, acc in REFERENCES.get(dataset, []):
            lines.append(f"| *{name}, published* | - | {auc:.3f} | - | {acc:.3f} | - | - | - | - |")
        lines.append("")
    return "\n".join(lines)


def sampler_labels(summary, dataset, backbone, k):
    """The sampler labels of one table, in SAMPLERS order, each followed by its option sets."""
    prefix = f"{dataset}/{backbone}/{k}/"
    labels = [key[len(prefix) :] for key in summary if key.startswith(prefix)]

    def order(label):
        sampler, _, option = label.partition("+")
        names = list(OPTION_SETS)
        return (SAMPLERS.index(sampler), names.index(option) if option in names else len(names))

    return sorted(labels, key=order)


def load_report(output):
    """The JSON of the report at `output` (without extension); {} when there is none."""
    path = output + ".json"
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_report(output):
    """Rewrites the report at `output` from the runs it keeps and the cached runs.

    Entries of an earlier report that has no per-run results (written before they were kept)
    stay until a run of the same configuration replaces them.
    """
    previous = load_report(output)
    runs = merge_runs(previous.get("runs", []), collect())
    summary = summarize(runs)
    for key, entry in previous.get("summary", {}).items():
        if key not in summary and not entry.get("stored_runs"):
            summary[key] = entry
    report = {
        "recipe": RECIPE,
        "augment": AUGMENT,
        "variant": VARIANT_OPTIONS,
        "backbones": BACKBONES,
        "summary": summary,
        "runs": runs,
    }
    with open(output + ".json", "w") as f:
        json.dump(report, f, indent=2)
    with open(output + ".md", "w") as f:
        f.write(markdown(summary) + "\n")
    return summary


def cached_configurations(datasets, backbones, samplers=SAMPLERS, min_seeds=1):
    """Cached results with default sampler options and the data set's current recipe, grouped
    by configuration ("vessel/ours/0.5/das"; the full model's k is "all"), sorted by seed."""
    groups = defaultdict(list)
    for r in collect():
        wanted = (
            r["dataset"] in datasets and r["backbone"] in backbones and r["sampler"] in samplers
        )
        if wanted and r.get("recipe") == recipe_of(r["dataset"]):
            k = "all" if r["sampler"] == "full" else f"{r['k']:g}"
            groups[f"{r['dataset']}/{r['backbone']}/{k}/{r['sampler']}"].append(r)
    return {
        key: sorted(runs, key=lambda r: r["seed"])
        for key, runs in groups.items()
        if len(runs) >= min_seeds
    }


def add_selection_arguments(parser):
    """--datasets, --backbones, --samplers (all by default) and --shared, the data folder."""
    parser.add_argument(
        "--datasets", nargs="+", default=["vessel", "adrenal", "pocus", "synthetic"]
    )
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=list(BACKBONES))
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    parser.add_argument("--shared", default=os.path.join("..", "shared", "data"))
    return parser


def cache_report_parser(description, name):
    """The arguments of a report over the cached runs (seed_ensemble.py, selection_stats.py):
    those of `add_selection_arguments`, --output (default docs/results/NAME) and --report-only.
    Configurations left out keep their entries in the report."""
    parser = add_selection_arguments(argparse.ArgumentParser(description=description))
    parser.add_argument("--output", default=os.path.join("docs", "results", name))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from its JSON"
    )
    return parser


def main(argv=None):
    parser = add_selection_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--k", nargs="+", type=float, default=[0.5, 0.25])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--output", default=None, help="default: docs/results/comparison")
    parser.add_argument(
        "--variant",
        choices=list(VARIANTS),
        default=None,
        help="a recipe probe (VARIANTS: train_run options for every method); runs in "
        "runs/compare_VARIANT, report docs/results/comparison_VARIANT",
    )
    parser.add_argument(
        "--options",
        nargs="+",
        default=["default"],
        choices=list(OPTION_SETS),
        help="option sets (OPTION_SETS) to train each sampler with",
    )
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    name = "comparison"
    if args.variant:
        global RUNS
        RUNS = os.path.join("runs", f"compare_{args.variant}")
        name = f"comparison_{args.variant}"
        VARIANT_OPTIONS.update(VARIANTS[args.variant])
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
