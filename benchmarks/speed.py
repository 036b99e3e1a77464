"""Inference speed of the full model and of each sampler + backbone (docs/results/speed.md).

For each input size (T = 28 and 64 volumes, 128-frame 112x112 clips) and each k (T/2, T/4), it
builds the full-sequence model and one model per sampler with the same backbone, then measures
side by side in one process, interleaving the models round by round so that machine noise hits
them alike:

- throughput (volumes / s, batch 16) and latency (ms, batch 1) of the whole model;
- the sampler alone (its share of the model's time);
- the ratio of each model's throughput to the full model's.

Medians over the rounds. Untrained weights: speed does not depend on them.

    python benchmarks/speed.py                 # all configurations
    python benchmarks/speed.py --quick         # T = 28 only, fewer rounds
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

SAMPLERS = ("uniform", "random", "dps", "adps", "das")
CONFIGS = {  # name -> (input shape, backbone)
    "T28_28x28": ((28, 28, 28, 1), "small_cnn"),
    "T28_28x28_mobilenet": ((28, 28, 28, 1), "mobilenetv3small"),
    "T64_64x64": ((64, 64, 64, 1), "small_cnn"),
    "T128_112x112": ((128, 112, 112, 1), "small_cnn"),
}


def machine():
    """CPU model, logical cores and library versions."""
    import keras
    import tensorflow as tf

    cpu = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gpu": [d.name for d in tf.config.list_physical_devices("GPU")],
        "load_average": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def compiled(model_or_layer):
    import tensorflow as tf

    return tf.function(lambda x: model_or_layer(x, training=False))


def time_call(fn, x):
    start = time.perf_counter()
    np.asarray(fn(x))  # forces the computation to finish
    return time.perf_counter() - start


def measure_config(name, rounds, ks=(0.5, 0.25)):
    """Times every model of one configuration; returns a list of result rows."""
    import keras

    from das_keras.models import build_classifier

    shape, backbone = CONFIGS[name]
    batch = 16 if shape[0] <= 64 else 4
    rng = np.random.default_rng(0)
    import tensorflow as tf

    # tensors made once: the timings leave out the host-array-to-tensor copy (about 1 ms for
    # a batch of 16 28^3 volumes), which is no part of a model or sampler
    x_batch = tf.constant(rng.random((batch, *shape), dtype=np.float32))
    x_one = tf.constant(x_batch[:1])
    entries = {}
    for sampler in ("full", *SAMPLERS):
        for k in ks[:1] if sampler == "full" else ks:
            keras.utils.set_random_seed(0)
            model = build_classifier(shape, 2, sampler=sampler, k=k, backbone=backbone)
            layer = model.get_layer("sampler")
            entries[(sampler, k)] = {"model": compiled(model), "sampler": compiled(layer)}
    times = {key: {"batch": [], "one": [], "sampler": []} for key in entries}
    for fns in entries.values():  # trace and warm up
        for fn in (fns["model"], fns["sampler"]):
            fn(x_batch)
            fn(x_one)
    for _ in range(rounds):
        for key, fns in entries.items():
            times[key]["batch"].append(time_call(fns["model"], x_batch))
            times[key]["one"].append(time_call(fns["model"], x_one))
            times[key]["sampler"].append(time_call(fns["sampler"], x_batch))
    full_batch = np.median(times[("full", ks[0])]["batch"])
    rows = []
    for (sampler, k), t in times.items():
        batch_time = float(np.median(t["batch"]))
        rows.append(
            {
                "config": name,
                "input_shape": list(shape),
                "backbone": backbone,
                "sampler": sampler,
                "k": shape[0] if sampler == "full" else int(round(k * shape[0])),
                "batch": batch,
                "throughput_per_s": batch / batch_time,
                "latency_ms": 1000 * float(np.median(t["one"])),
                "sampler_ms_per_batch": 1000 * float(np.median(t["sampler"])),
                "sampler_share": float(np.median(t["sampler"])) / batch_time,
                "sampler_share_of_full": float(np.median(t["sampler"])) / full_batch,
                "speedup_vs_full": full_batch / batch_time,
            }
        )
    return rows


def targets(rows):
    """The issue's two DAS targets at k = T/2, per configuration, as markdown lines."""
    lines = [
        "Targets for DAS at k = T/2: >= 1.8x the full model's throughput; the DAS layer",
        "<= 5% of the full model's time.",
        "",
    ]
    for r in rows:
        if r["sampler"] == "das" and r["k"] * 2 == r["input_shape"][0]:
            speed_ok = "met" if r["speedup_vs_full"] >= 1.8 else "NOT met"
            share_ok = "met" if r["sampler_share_of_full"] <= 0.05 else "NOT met"
            lines.append(
                f"- {r['config']}: {r['speedup_vs_full']:.2f}x ({speed_ok}); layer "
                f"{r['sampler_share_of_full']:.1%} of the full model ({share_ok})"
            )
    return lines + [""]


def markdown(rows, info, rounds, command):
    lines = [
        "# Inference speed",
        "",
        f"Written by `{command}`. Medians of "
        f"{rounds} rounds, models interleaved in each round, in one process. Machine: "
        f"{info['cpu']}, {info['logical_cores']} logical cores, load average "
        f"{info['load_average']}, TensorFlow {info['tensorflow']}, "
        f"Keras {info['keras']}, GPUs: {info['gpu'] or 'none'}. Untrained weights; inputs are "
        "tensors made before timing. *speed-up* is the model's throughput over the full "
        "model's; *sampler share* is the sampler's own time over the whole model's (and over "
        "the full model's).",
        "",
        *targets(rows),
    ]
    for config in dict.fromkeys(r["config"] for r in rows):
        first = next(r for r in rows if r["config"] == config)
        lines += [
            f"## {config}: input {tuple(first['input_shape'])}, backbone {first['backbone']}, "
            f"batch {first['batch']}",
            "",
            "| sampler | k | throughput (vol/s) | latency batch 1 (ms) | speed-up vs full | "
            "sampler ms / batch | sampler share | share of full model |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in (r for r in rows if r["config"] == config):
            lines.append(
                f"| {r['sampler']} | {r['k']} | {r['throughput_per_s']:.1f} | "
                f"{r['latency_ms']:.2f} | {r['speedup_vs_full']:.2f}x | "
                f"{r['sampler_ms_per_batch']:.2f} | {r['sampler_share']:.1%} | "
                f"{r['sampler_share_of_full']:.1%} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="T28 with small_cnn, 5 rounds")
    parser.add_argument("--output", default=os.path.join("docs", "results", "speed"))
    args = parser.parse_args(argv)
    configs, rounds = (["T28_28x28"], 5) if args.quick else (args.configs, args.rounds)
    info = machine()
    rows = []
    for config in configs:
        rows += measure_config(config, rounds)
        print(f"{config}: done", flush=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output + ".json", "w") as f:
        json.dump({"machine": info, "rounds": rounds, "rows": rows}, f, indent=2)
    command = " ".join(
        ["python benchmarks/speed.py", *(argv if argv is not None else sys.argv[1:])]
    )
    report = markdown(rows, info, rounds, command)
    with open(args.output + ".md", "w") as f:
        f.write(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
