"""What each option of issue 19 costs: FLOPs per volume and measured CPU throughput
(docs/results/option_cost.md and .json).

For the VesselMNIST3D input (28, 28, 28, 1), 2 classes and the comparison's backbone *ours*
(small 2D CNN per slice + 1D conv over slices), at k = 50% and 25% of the slices, it builds the
full model and each option variant (center, DAS, 2.5D context, DAS's learned position term,
multi-axis selection), then:

- counts FLOPs per volume with `das_keras.models.cost.flops_per_volume` (TensorFlow's graph
  profiler), split into the sampler, k x the per-slice backbone, and aggregation + head;
- measures inference throughput (volumes / s) of the compiled predict function
  (`model.predict_on_batch` after `compile`) on a batch, all variants in one process,
  interleaved round by round so that machine noise hits them alike; medians over the rounds,
  after warm-up; the ratio of each to the full model's throughput.

Untrained weights: neither count depends on them.

    python -m benchmarks.option_cost                  # the committed table
    python -m benchmarks.option_cost --rounds 3       # a quicker, noisier look
"""

import argparse
import json
import os
import sys

import keras

from benchmarks import measure
from das_keras.models import build_classifier

SHAPE = (28, 28, 28, 1)  # VesselMNIST3D, size 28
MODEL = {"backbone": "small_cnn", "aggregation": "conv1d"}  # the comparison's backbone "ours"
KS = (0.5, 0.25)
POSITIONS = {"learned_positions": True, "position_prior": 4.0}
AXES3 = {"slice_axes": (1, 2, 3)}
# label -> (sampler, sampler arguments, build_classifier arguments); labels as in the comparison
VARIANTS = {
    "center": ("center", {}, {}),
    "das": ("das", {}, {}),
    "center+ctx1": ("center", {"context": 1}, {}),
    "das+ctx1_pos": ("das", {"context": 1, **POSITIONS}, {}),
    "das+ctx1_pos_axes3": ("das", {"context": 1, **POSITIONS}, AXES3),
    "center+ctx1_axes3": ("center", {"context": 1}, AXES3),
}
TARGET = ("das", 0.25, 3.0)  # issue 19: DAS at k = 25% >= 3x the full model's CPU throughput


def build_models():
    """{(label, k): compiled model}: the full model once, each variant at each k."""
    models = {("full", 1.0): build_classifier(SHAPE, 2, "full", **MODEL)}
    for k in KS:
        for label, (sampler, sampler_kwargs, options) in VARIANTS.items():
            models[(label, k)] = build_classifier(
                SHAPE, 2, sampler, k=k, sampler_kwargs=sampler_kwargs or None, **MODEL, **options
            )
    for model in models.values():
        model.compile()
    return models


def rows_of(models, speeds):
    full_key = ("full", 1.0)
    rows = []
    for (label, k), model in models.items():
        cost = measure.cost_of(model)
        rows.append(
            {
                "option": label,
                "k_fraction": k,
                "k": round(k * SHAPE[0]),
                "backbone_slices": cost["slices"],
                "flops": cost["flops"],
                **measure.ratio_fields(speeds, (label, k), full_key),
            }
        )
    full_flops = rows[0]["flops"]["total"]
    for row in rows:
        row["flops_ratio_to_full"] = row["flops"]["total"] / full_flops
    return rows


def target_line(rows):
    label, k, minimum = TARGET
    row = next(r for r in rows if r["option"] == label and r["k_fraction"] == k)
    ratio = row["throughput_ratio_to_full"]
    verdict = "met" if ratio >= minimum else "NOT met"
    return (
        f"Target (issue 19): {label} at k = {k:.0%} runs at >= {minimum:g}x the full model's CPU "
        f"throughput. Measured here: {ratio:.2f}x ({verdict})."
    )


def markdown(report):
    info, settings = report["machine"], report["settings"]
    lines = [
        "# What each option costs: FLOPs per volume and CPU throughput",
        "",
        f"Written by `{report['command']}`. Input {tuple(SHAPE)} (VesselMNIST3D), 2 classes, "
        "backbone *ours* (small 2D CNN per slice + 1D conv over slices), untrained weights.",
        "",
        "FLOPs: TensorFlow's graph profiler on the inference graph of one volume "
        "(`das_keras.models.cost.flops_per_volume`; a multiply-add counts 2; gathers, resizes "
        "and top-k count 0), split into the sampler (selection network and descriptors), the "
        "per-slice backbone on all the slices it sees (k x one slice; multi-axis: k split "
        "across three axes, rounded per axis), and aggregation + head. Millions of FLOPs.",
        "",
        f"Throughput: volumes / s of the compiled predict function (`predict_on_batch`), batch "
        f"{settings['batch']}, on CPU; median of {settings['rounds']} rounds of "
        f"{settings['calls']} batches each, after warm-up, all models interleaved in each round "
        "in one process; ratio = the model's median over the full model's (min - max: the "
        "ratios within each round, a measure of the noise). "
        f"Machine: {info['cpu']}, nproc {info['nproc']}, Keras {info['keras']} on "
        f"{info['backend']}; load average (1, 5, 15 min) {info['load_average_1_5_15']} at the "
        f"start and {report['load_average_at_end']} at the end. The machine is shared (a "
        "training run and other jobs used its cores at the same time) and noisy: read the "
        "ratios, measured side by side, rather than the absolute figures.",
        "",
        target_line(report["rows"]),
        "",
        "| option | k | slices seen | sampler MFLOPs | backbone MFLOPs | aggregation MFLOPs "
        "| total MFLOPs | FLOPs vs full | throughput (vol/s) | throughput vs full "
        "| per-round ratio, min - max |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        f = {part: value / 1e6 for part, value in r["flops"].items()}
        k = "all (28)" if r["option"] == "full" else f"{r['k']} ({r['k_fraction']:.0%})"
        low, high = r["ratio_range_over_rounds"]
        lines.append(
            f"| {r['option']} | {k} | {r['backbone_slices']} | {f['sampler']:.3f} | "
            f"{f['backbone']:.1f} | {f['aggregation']:.2f} | {f['total']:.1f} | "
            f"{r['flops_ratio_to_full']:.2f} | {r['throughput_per_s']:.0f} | "
            f"{r['throughput_ratio_to_full']:.2f}x | {low:.2f} - {high:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    measure.add_timing_arguments(parser)
    parser.add_argument("--output", default=os.path.join("docs", "results", "option_cost"))
    args = parser.parse_args(argv)
    info = measure.machine()
    keras.utils.set_random_seed(0)
    models = build_models()
    speeds = measure.throughputs(models, args.batch, args.rounds, args.calls, SHAPE)
    report = {
        "command": " ".join(["python -m benchmarks.option_cost", *argv]),
        "machine": info,
        "load_average_at_end": measure.load_average(),
        "settings": {"batch": args.batch, "rounds": args.rounds, "calls": args.calls},
        "input_shape": list(SHAPE),
        "model": MODEL,
        "rows": rows_of(models, speeds),
    }
    with open(args.output + ".json", "w") as f:
        json.dump(report, f, indent=2)
    with open(args.output + ".md", "w") as f:
        f.write(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
