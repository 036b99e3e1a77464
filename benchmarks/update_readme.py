"""Writes the README's result tables from docs/results/ (no number typed by hand).

Two sections, each between its markers: the results (`<!-- results:start -->` ...
`<!-- results:end -->`) from docs/results/{comparison,speed,sensitivity,tuning}.json, and the demo
table (`<!-- demo:start -->` ... `<!-- demo:end -->`) from docs/results/demo/results.json,
written by `das-keras demo --output docs/results/demo`:

    python -m benchmarks.update_readme
"""

import json
import os
import sys

from benchmarks.common import SAMPLERS
from benchmarks.report import recipe_label

START, END = "<!-- results:start -->", "<!-- results:end -->"
DEMO_START, DEMO_END = "<!-- demo:start -->", "<!-- demo:end -->"
RESULTS = os.path.join("docs", "results")
GPU_SPEED = "speed_gpu_batch256"  # benchmarks.speed on a GPU, batch large enough to fill it
BACKBONE_WORDS = {
    "ours": "small 2D CNN per slice + 1D conv",
    "paper": "MobileNetV3-Small per 32x32 slice + 1D conv, as in the paper",
}


def _load(name):
    path = os.path.join(RESULTS, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def comparison_lines(comparison):
    if not comparison:
        return []
    summary = comparison["summary"]
    lines = []
    for backbone, k in (("ours", 0.5), ("ours", 0.25), ("paper", 0.5)):
        samplers = table_samplers(summary, k, backbone)
        rows = comparison_rows(summary, k, backbone, samplers)
        if not rows:
            continue
        lines += [
            f"Test AUC, mean ± std over seeds (n), backbone *{backbone}* "
            f"({BACKBONE_WORDS[backbone]}), k = {k:.0%} of T; every method with the same "
            "recipe, epochs chosen on "
            "validation loss ([full table](docs/results/comparison.md), `benchmarks/compare.py`):",
            "",
            *_table(["data set", *samplers, "recipe"], rows),
        ]
    return lines


def _table(columns, rows):
    """A markdown table with a blank line after it."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns), *rows, ""]


OPTION_COLUMNS = ("center", "center+ctx1", "das", "das+ctx1_pos")


def option_lines(comparison):
    """The issue-19 options (2.5D context, DAS's learned position term) beside the plain rows."""
    summary = (comparison or {}).get("summary", {})
    rows = []
    for k in (0.5, 0.25):
        rows += [
            row.replace("| ", f"| {k:.0%} | ", 1)
            for row in comparison_rows(summary, k, "ours", OPTION_COLUMNS)
            if row.count(" - ") < 2
        ]
    if not rows:
        return []
    return [
        "With each chosen slice carrying its neighbours as channels (`context=1`, every sampler) "
        "and, for DAS, the learned position term starting as a central window "
        "(`learned_positions=True, position_prior=4`); test AUC, backbone *ours* "
        "(`benchmarks/run_issue19.sh`; official ACC and the other decision rules in "
        "docs/results/comparison.json):",
        "",
        *_table(["k", "data set", *OPTION_COLUMNS, "recipe"], rows),
    ]


def table_samplers(summary, k, backbone="ours"):
    """The full model and the samplers with a result at `k` with `backbone` on some data set."""
    ran = {key.split("/")[3] for key in summary if key.split("/")[1:3] == [backbone, str(k)]}
    return [sampler for sampler in SAMPLERS if sampler == "full" or sampler in ran]


def comparison_rows(summary, k, backbone="ours", samplers=SAMPLERS):
    """One table row per data set with results at `k` with `backbone`, a cell per sampler."""
    rows = []
    for dataset in sorted({key.split("/")[0] for key in summary}):
        entries = [summary.get(f"{dataset}/{backbone}/{k}/{sampler}") for sampler in samplers]
        full = summary.get(f"{dataset}/{backbone}/0.5/full")
        if "full" in samplers and any(entries):  # the full model does not depend on k
            entries[samplers.index("full")] = entries[samplers.index("full")] or full
        if not any(entries):
            continue
        cells = [
            f"{e['test_auc_mean']:.3f} ± {e['test_auc_std']:.3f} ({len(e['seeds'])})" if e else "-"
            for e in entries
        ]
        recipes = sorted({recipe_label(e.get("recipe", {})) for e in entries if e})
        rows.append(f"| {dataset} | " + " | ".join(cells) + f" | {' / '.join(recipes)} |")
    return rows


def speed_lines(speed):
    if not speed:
        return []
    lines = [
        "Inference on CPU, DAS at k = T/2 beside the full model, measured side by side "
        "([full table](docs/results/speed.md), `benchmarks/speed.py`):",
        "",
        "| input | backbone | DAS throughput / full | DAS layer share of the full model's time |",
        "|---|---|---|---|",
    ]
    for r in speed["rows"]:
        if r["sampler"] == "das" and 2 * r["k"] == r["input_shape"][0]:
            lines.append(
                f"| {tuple(r['input_shape'])} | {r['backbone']} | {r['speedup_vs_full']:.2f}x | "
                f"{r['sampler_share_of_full']:.1%} |"
            )
    return lines + [""]


def gpu_speed_lines(speed, name):
    """Whole-model throughput ratios of DAS and Uniform at k = T/2 from a GPU speed table."""
    if not speed or not speed["machine"].get("gpu"):
        return []
    info = speed["machine"]
    rows = {
        (r["config"], r["sampler"]): r for r in speed["rows"] if 2 * r["k"] == r["input_shape"][0]
    }
    lines = [
        f"Inference on {', '.join(info['gpu'])} (Keras on {info['backend']}), whole-model "
        f"throughput at k = T/2 over the full model's ([full table](docs/results/{name}.md)):",
        "",
        "| input | backbone | batch | DAS / full | uniform / full |",
        "|---|---|---|---|---|",
    ]
    for (config, sampler), r in rows.items():
        if sampler == "das":
            uniform = rows.get((config, "uniform"))
            lines.append(
                f"| {tuple(r['input_shape'])} | {r['backbone']} | {r['batch']} | "
                f"{r['speedup_vs_full']:.2f}x | "
                + (f"{uniform['speedup_vs_full']:.2f}x |" if uniform else "- |")
            )
    return lines + [""]


def train_check_lines(check, name):
    """One line from benchmarks/backend_train_check.py: backend, device and test AUC per sampler."""
    if not check:
        return []
    info, rows = check["machine"], check["rows"]
    device = ", ".join(info["gpu"]) or "CPU"
    aucs = "; ".join(f"{r['sampler']} {r['test_auc']:.3f}" for r in rows)
    return [
        f"Training with plain `model.fit` on Keras with {info['backend']} on {device}"
        + ("" if info["backend"] == "tensorflow" else ", without TensorFlow")
        + f" (synthetic set, k = {check['settings']['k']:g} of T, "
        f"{check['settings']['epochs']} epochs, one seed), test AUC: {aucs} "
        f"([docs/results/{name}.md](docs/results/{name}.md), `benchmarks/backend_train_check.py`).",
        "",
    ]


def sensitivity_lines(sensitivity):
    if not sensitivity:
        return []
    return [
        "Sensitivity of DAS to k, tau0 and the number of heads on "
        f"{sensitivity['dataset']} ({recipe_label(sensitivity.get('data_recipe', {}))}): "
        "[docs/results/sensitivity.md](docs/results/sensitivity.md) "
        "(`benchmarks/sensitivity.py`).",
        "",
    ]


def tuning_lines(tuning):
    if not tuning or "default" not in tuning or "tuned" not in tuning:
        return []
    cells = []
    for name in ("default", "tuned"):
        row = tuning[name]
        options = ", ".join(f"{k} = {v:g}" for k, v in row["options"].items())
        mean, std = row["test_auc"]
        cells.append(f"{name} ({options}) {mean:.3f} ± {std:.3f} ({len(row['seeds'])})")
    return [
        f"`das-keras tune` on {tuning['dataset']}, test AUC of the tuned and the default DAS "
        f"(same recipe for both, {recipe_label(tuning.get('data_recipe', {}))}; mean ± std over "
        "seeds): " + "; ".join(cells) + " "
        "([docs/results/tuning.md](docs/results/tuning.md), `benchmarks/tuned_vs_default.py`).",
        "",
    ]


def ensemble_lines(ensemble, k="0.5", backbone="ours"):
    """One line per data set: DAS, the full model (and center), single models and seeds averaged."""
    configurations = (ensemble or {}).get("configurations", {})
    cells = []
    for dataset in sorted({key.split("/")[0] for key in configurations}):
        das = configurations.get(f"{dataset}/{backbone}/{k}/das")
        full = configurations.get(f"{dataset}/{backbone}/all/full")
        center = configurations.get(f"{dataset}/{backbone}/{k}/center")
        if das and full:
            named = [("DAS", das), ("full", full)] + ([("center", center)] if center else [])
            cells.append(
                f"{dataset} "
                + ", ".join(
                    f"{name} {e['test_single_auc'][0]:.3f} -> {e['test_ensemble']['auc']:.3f}"
                    for name, e in named
                )
            )
    if not cells:
        return []
    return [
        f"Seeds averaged (k = {float(k):.0%}, backbone *{backbone}*; an ensemble costs its "
        "number of seeds times the compute, so this asks how much of a gap is training noise), "
        "test AUC, mean of single models -> their average: "
        + "; ".join(cells)
        + " ([docs/results/seed_ensemble.md](docs/results/seed_ensemble.md), "
        "`benchmarks/seed_ensemble.py`).",
        "",
    ]


def selection_lines(selection, k="0.5", backbone="ours"):
    """One line: how varied DAS's choices are per data set and how central (k = 50%)."""
    configurations = (selection or {}).get("configurations", {})
    cells = []
    for key in sorted(configurations):
        dataset, key_backbone, key_k, sampler = key.split("/")
        if (key_backbone, key_k, sampler) == (backbone, k, "das"):
            e = configurations[key]
            cells.append(
                f"{dataset} {e['distinct']:.0f} different selections for {e['inputs']} test "
                f"inputs, {e['center_share']:.0%} of the chosen slices in the central window"
            )
    if not cells:
        return []
    return [
        f"Which slices DAS chooses (k = {float(k):.0%}, backbone *{backbone}*, mean over seeds): "
        + "; ".join(cells)
        + " ([docs/results/selection.md](docs/results/selection.md), with DPS and ADPS and a "
        "figure, `benchmarks/selection_stats.py`).",
        "",
    ]


def section():
    body = (
        comparison_lines(_load("comparison"))
        + option_lines(_load("comparison"))
        + speed_lines(_load("speed"))
        + gpu_speed_lines(_load(GPU_SPEED), GPU_SPEED)
        + train_check_lines(_load("train_gpu"), "train_gpu")
        + sensitivity_lines(_load("sensitivity"))
        + tuning_lines(_load("tuning"))
        + ensemble_lines(_load("seed_ensemble"))
        + selection_lines(_load("selection"))
    )
    return "\n".join([START, "", *body, END])


def demo_section():
    from das_keras.demo import format_table

    demo = _load(os.path.join("demo", "results"))
    body = [format_table(demo["results"], demo["k"], demo["num_slices"])] if demo else []
    return "\n".join([DEMO_START, "", *body, "", DEMO_END])


def replace_between(text, start, end, new, path):
    """`text` with what lies between the markers `start` and `end` replaced by `new`."""
    if start not in text or end not in text:
        raise SystemExit(f"{path} has no {start} ... {end} markers; add them where it goes.")
    before, rest = text.split(start, 1)
    return before + new + rest.split(end, 1)[1]


def main(argv=None):
    path = "README.md"
    with open(path) as f:
        text = f.read()
    text = replace_between(text, START, END, section(), path)
    text = replace_between(text, DEMO_START, DEMO_END, demo_section(), path)
    with open(path, "w") as f:
        f.write(text)
    print(section())
    return 0


if __name__ == "__main__":
    sys.exit(main())
