"""Accuracy against cost, per data set: docs/results/frontier_<set>.png and .json, and the table
docs/results/frontier.md.

For each data set, every (sampler, option set, k) row of the comparison (docs/results/
comparison.json, written by benchmarks/compare.py: test AUC mean and std over seeds, official
ACC), the full-sequence model and the full-volume 3D CNN ("volume3d") where they ran, with:

- FLOPs per volume (`das_keras.models.cost.flops_per_volume`), split into the sampler, k x the
  per-slice backbone and aggregation + head (the 3D CNN counts as one backbone);
- CPU throughput (volumes / s, `benchmarks.measure.throughputs`): all the data set's models in
  one process, interleaved round by round, medians over rounds; the ratio to the full-sequence
  model measured beside them (it is measured even where it did not run in the comparison).

The figure has two panels, test AUC against throughput and against FLOPs per volume (error bars:
the std over seeds), with the published MedMNIST v2 models' test AUCs as labelled horizontal
lines (AUC only: they publish no cost; at size 64 they are the 28^3 figures, labelled so).
Untrained weights: neither cost depends on them.

    python -m benchmarks.frontier --datasets vessel adrenal adrenal64 pocus
"""

import argparse
import glob
import json
import os
import sys

import keras

from benchmarks import common, measure
from benchmarks.report import REFERENCES
from das_keras.data import catalog
from das_keras.layers import FullSequence
from das_keras.models import build_classifier, build_volume_cnn

FULL = "full"


def input_of(dataset):
    """(input shape (T, H, W, C), number of classes) of a report key ("adrenal64")."""
    name, size = common.split_dataset_key(dataset)
    spec = catalog.get_dataset(name)
    return tuple(spec.input_shape(catalog.LoadOptions(size=size))), spec.num_classes


def comparison_rows(summary, dataset, backbone):
    """{(label, k): summary entry} of one data set and backbone; the models that see every
    slice once, under k "all"."""
    rows = {}
    for key, entry in summary.items():
        name, this_backbone, k, label = key.split("/", 3)
        if name != dataset or this_backbone != backbone:
            continue
        whole = common.method_of(label) in common.WHOLE_INPUT
        rows[(label, "all" if whole else k)] = entry
    return rows


def reference_key(entries):
    """The full-sequence row that the ratios are to: the trained full model whose input settings
    (the tag after "@", e.g. "px32" for slices resized to 32 x 32) most rows share, so that a
    64^3 set run at 32 x 32 is compared with the full model that saw the same slices; the
    untrained plain full model (cost only) where no full model ran."""
    fulls = [label for label, k in entries if common.method_of(label) == FULL]
    if not fulls:
        return (FULL, "all")
    tags = [label.partition("@")[2] for label, _ in entries if common.method_of(label) != FULL]
    return (max(sorted(fulls), key=lambda label: tags.count(label.partition("@")[2])), "all")


def build_model(label, k, shape, num_classes, backbone, overrides=None):
    """(model, FLOPs model) of one row: the FLOPs model is the one `flops_per_volume` counts
    (the 3D CNN behind a `FullSequence`, so that it has a sampler layer), else None."""
    sampler, _, option = label.partition("@")[0].partition("+")
    if sampler in common.VOLUME_METHODS:
        model = build_volume_cnn(shape, num_classes)
        inputs = keras.Input(shape)
        return model, keras.Model(inputs, model(FullSequence()(inputs)))
    options = common.option_set(option or "default", sampler)
    _, sampler_overrides, model_overrides = common.split_overrides(overrides)
    sampler_kwargs = {**options.get("sampler_options", {}), **sampler_overrides}
    model = build_classifier(
        shape,
        num_classes,
        sampler,
        k=None if k == "all" else float(k),
        sampler_kwargs=sampler_kwargs or None,
        **common.BACKBONES[backbone],
        **options.get("model_options", {}),
        **model_overrides,
    )
    return model, None


def measure_dataset(summary, dataset, backbone, timing):
    """The rows of one data set's frontier: comparison metrics, FLOPs and throughput."""
    shape, num_classes = input_of(dataset)
    entries = comparison_rows(summary, dataset, backbone)

    def order(key):  # by k (the whole-input models first), then method, then label
        label, k = key
        return (
            k != "all",
            0.0 if k == "all" else float(k),
            common.METHODS.index(common.method_of(label)),
            label,
        )

    reference = reference_key(entries)
    keys = [reference, *sorted((key for key in entries if key != reference), key=order)]
    models, flops_models = {}, {}
    for label, k in keys:
        overrides = entries.get((label, k), {}).get("overrides")
        models[(label, k)], flops_models[(label, k)] = build_model(
            label, k, shape, num_classes, backbone, overrides
        )
        models[(label, k)].compile()
    speeds = measure.throughputs(models, timing["batch"], timing["rounds"], timing["calls"], shape)
    full_flops = None
    rows = []
    for key in keys:
        cost = measure.cost_of(models[key], flops_models[key])
        full_flops = full_flops or cost["flops"]["total"]  # the reference is measured first
        row = {
            "label": key[0],
            "sampler": common.method_of(key[0]),
            "options": key[0].partition("@")[0].partition("+")[2] or "default",
            "overrides": entries.get(key, {}).get("overrides", {}),
            "k": key[1],
            "in_comparison": key in entries,
            **cost,
            "flops_ratio_to_full": cost["flops"]["total"] / full_flops,
            **measure.ratio_fields(speeds, key, reference),
        }
        entry = entries.get(key)
        if entry:
            row.update(
                {
                    name: entry[name]
                    for name in (
                        "seeds",
                        "k_slices",
                        "test_auc_mean",
                        "test_auc_std",
                        "test_accuracy_mean",
                        "test_accuracy_std",
                        "val_auc_mean",
                    )
                }
            )
        rows.append(row)
    return {
        "input_shape": list(shape),
        "num_classes": num_classes,
        "reference": reference[0],
        "rows": rows,
    }


def references(dataset):
    """The published MedMNIST v2 test AUCs of a data set (at 28^3), as reference lines."""
    name, size = common.split_dataset_key(dataset)
    return [
        {"name": ref, "auc": auc, "size": 28, "label": ref + ("" if size == 28 else ", 28^3")}
        for ref, auc, _ in REFERENCES.get(name, [])
        if "MedMNIST v2" in ref
    ]


def plot(report, path):
    """The two panels, test AUC against throughput and against FLOPs, to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [r for r in report["rows"] if "test_auc_mean" in r]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    panels = (("throughput_per_s", "CPU throughput (volumes / s)"), ("flops", "FLOPs per volume"))
    colors = {}
    for ax, (field, xlabel) in zip(axes, panels, strict=True):
        for r in rows:
            x = r["flops"]["total"] if field == "flops" else r[field]
            color = colors.setdefault(r["sampler"], f"C{len(colors) % 10}")
            ax.errorbar(x, r["test_auc_mean"], yerr=r["test_auc_std"], fmt="o", color=color)
            ax.annotate(
                f"{r['label']} k={r['k']}",
                (x, r["test_auc_mean"]),
                fontsize=7,
                xytext=(4, 2),
                textcoords="offset points",
            )
        for i, ref in enumerate(report["references"]):
            ax.axhline(ref["auc"], color="grey", linestyle=("--", ":", "-.")[i % 3], lw=1)
            ax.annotate(
                f"{ref['label']} (published)",
                (0.01, ref["auc"]),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                color="grey",
                va="bottom",
            )
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test AUC (mean ± std over seeds)")
    fig.suptitle(
        f"{report['dataset']}: accuracy against cost, input {tuple(report['input_shape'])}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(reports):
    """frontier.md: one table over the data sets' frontier rows that ran in the comparison."""
    lines = [
        "# Accuracy against cost",
        "",
        "Written by `python -m benchmarks.frontier` (the command of each data set is in its "
        "frontier_<set>.json, with the machine and its load). Test AUC and official ACC "
        "(positive-class probability >= 0.5): mean ± std over the seeds of "
        "docs/results/comparison.json. FLOPs per volume: TensorFlow's graph profiler, millions. "
        "Throughput ratio: CPU volumes / s over the full-sequence model's (the trained one with "
        "the same input settings, e.g. slices resized to 32 x 32, where it ran: each set's "
        "`reference` in its JSON), measured in one process, interleaved, on a shared machine "
        "whose load average the JSON gives (read the ratios rather than absolute figures). "
        "Seeds: how many the mean is over. Figures: frontier_<set>.png.",
        "",
        "| data set | sampler | options | k | seeds | test AUC | official ACC | MFLOPs | "
        "throughput ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        for r in report["rows"]:
            if "test_auc_mean" not in r:
                continue
            options = r["options"] + "".join(f", {n} {v:g}" for n, v in r["overrides"].items())
            lines.append(
                f"| {report['dataset']} | {r['sampler']} | {options} | {r['k']} | "
                f"{len(r['seeds'])} | "
                f"{r['test_auc_mean']:.3f} ± {r['test_auc_std']:.3f} | "
                f"{r['test_accuracy_mean']:.3f} ± {r['test_accuracy_std']:.3f} | "
                f"{r['flops']['total'] / 1e6:.1f} | {r['throughput_ratio_to_full']:.2f}x |"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["vessel", "adrenal", "pocus"])
    parser.add_argument("--backbone", default="ours", choices=list(common.BACKBONES))
    parser.add_argument("--comparison", default=os.path.join("docs", "results", "comparison.json"))
    parser.add_argument("--output-dir", default=os.path.join("docs", "results"))
    measure.add_timing_arguments(parser, rounds=7)
    parser.add_argument(
        "--table-only", action="store_true", help="rewrite frontier.md from the JSON files"
    )
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    with open(args.comparison) as f:
        summary = json.load(f)["summary"]
    timing = {"batch": args.batch, "rounds": args.rounds, "calls": args.calls}
    for dataset in [] if args.table_only else args.datasets:
        keras.utils.set_random_seed(0)
        report = {
            "dataset": dataset,
            "backbone": args.backbone,
            "command": common.command_line("frontier", argv),
            "machine": measure.machine(),
            "settings": timing,
            **measure_dataset(summary, dataset, args.backbone, timing),
            "load_average_at_end": measure.load_average(),
            "references": references(dataset),
        }
        path = os.path.join(args.output_dir, f"frontier_{dataset}")
        with open(path + ".json", "w") as f:
            json.dump(report, f, indent=2)
        plot(report, path + ".png")
        print(f"{dataset}: {len(report['rows'])} rows -> {path}.png, .json", flush=True)
    reports = []
    for path in sorted(glob.glob(os.path.join(args.output_dir, "frontier_*.json"))):
        with open(path) as f:
            reports.append(json.load(f))
    with open(os.path.join(args.output_dir, "frontier.md"), "w") as f:
        f.write(markdown(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
