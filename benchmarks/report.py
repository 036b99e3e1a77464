"""The comparison's report: docs/results/comparison.md and .json from the run cache (the runs of
`python -m benchmarks.compare`), mean and standard deviation over seeds beside the published
reference numbers. Also the recipe's words that the other reports quote (`recipe_label`)."""

from collections import defaultdict

import numpy as np

from benchmarks import common

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


def newest_recipe(runs):
    """The runs of one group trained with the data set's current recipe, if there are any.

    After a recipe change the runs not trained again yet keep their (labelled) group, instead of
    mixing with the new recipe's runs.
    """
    current = [r for r in runs if r.get("recipe") == common.recipe_of(r["dataset"])]
    return current or runs


def summarize(results):
    """Mean and std over seeds per (dataset, backbone, k, sampler).

    The full model does not depend on k: it is listed under every k that other samplers ran
    at on the same data set and backbone (under k = 0.5 when none did).
    """
    groups = defaultdict(list)
    ks = defaultdict(set)
    for r in results:
        if common.method_of(r["sampler"]) not in common.WHOLE_INPUT:
            ks[(r["dataset"], r["backbone"])].add(r["k"])
    for r in results:
        setting = (r["dataset"], r["backbone"])
        is_full = common.method_of(r["sampler"]) in common.WHOLE_INPUT
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
            # recipe overrides from the command line (common.OVERRIDE_TAGS), where there were any
            **({"overrides": runs[0]["overrides"]} if runs[0].get("overrides") else {}),
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
    """The comparison's markdown: one table per data set, backbone and k."""
    recipe = common.RECIPE
    lines = [
        "# Method comparison",
        "",
        f"Written by `benchmarks/compare.py` from the runs it trained and cached in {common.RUNS}",
        "(the commands, in the order they ran: `benchmarks/run_comparison.sh`). Test metrics,",
        "mean ± std over the seeds listed; the weights of each run's epoch with the lowest",
        "class-weighted validation loss; the epochs column gives the epochs each seed ran and",
        "the maximum. Backbones: *ours* = small 2D CNN per slice + 1D conv over slices; *paper*",
        "= MobileNetV3-Small (32x32 slices) + 1D conv. Same recipe for every method on a data "
        f"set: Adam from {recipe['learning_rate']} with a {recipe['lr_schedule']} schedule over",
        f"the maximum epochs, batch {recipe['batch_size']}, balanced class weights; random flips",
        "and 90-degree turns where the recipe column says so (not on VesselMNIST3D, where they",
        "hurt every method: comparison_no_augment.md). Rows trained before a data set's recipe",
        "changed keep their recipe label until they are trained again. *center* keeps the k",
        "central slices: a fixed window, added after the first comparison where MedMNIST3D's",
        "centred volumes made it a stronger fixed baseline than evenly spaced slices.",
        *(
            [f"Recipe variant: `train_run` options {common.VARIANT_OPTIONS} for every method."]
            if common.VARIANT_OPTIONS
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
                f"| {epochs} | {recipe_label({**e['recipe'], **e.get('overrides', {})})} |"
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
        untagged, _, tag = label.partition("@")
        sampler, _, option = untagged.partition("+")
        names = list(common.OPTION_SETS)
        return (
            common.METHODS.index(sampler),
            names.index(option) if option in names else len(names),
            tag,
        )

    return sorted(labels, key=order)


def write_report(output):
    """Rewrites the report at `output` from the runs it keeps and the cached runs.

    Entries of an earlier report that has no per-run results (written before they were kept)
    stay until a run of the same configuration replaces them.
    """
    previous = common.load_report(output)
    runs = common.merge_runs(previous.get("runs", []), common.collect())
    summary = summarize(runs)
    for key, entry in previous.get("summary", {}).items():
        if key not in summary and not entry.get("stored_runs"):
            summary[key] = entry
    report = {
        "recipe": common.RECIPE,
        "augment": common.AUGMENT,
        "variant": common.VARIANT_OPTIONS,
        "backbones": common.BACKBONES,
        "summary": summary,
        "runs": runs,
    }
    common.write_report_files(output, report, markdown(summary) + "\n")
    return summary
