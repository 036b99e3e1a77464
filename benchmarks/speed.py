"""Inference speed of the full model and of each sampler + backbone (docs/results/speed.md).

For each input size (T = 28 and 64 volumes, 128-frame 112x112 clips) and each k (T/2, T/4), it
builds the full-sequence model and one model per sampler with the same backbone, then measures
side by side in one process, interleaving the models round by round so that machine noise hits
them alike:

- throughput (volumes / s, batch 16) and latency (ms, batch 1) of the whole model;
- the sampler alone (its share of the model's time);
- the ratio of each model's throughput to the full model's.

Medians over the rounds. Untrained weights: speed does not depend on them.

    python -m benchmarks.speed                 # all configurations
    python -m benchmarks.speed --quick         # T = 28 only, fewer rounds

It runs on any Keras backend (TensorFlow: tf.function; JAX: jax.jit; PyTorch: eager), on the GPU
where the backend has one, e.g. the table docs/results/speed_gpu.md:

    KERAS_BACKEND=jax python -m benchmarks.speed --output docs/results/speed_gpu
"""

import argparse
import importlib
import os
import platform
import sys
import time

import keras
import numpy as np
from keras import ops

from benchmarks import common
from das_keras.models import build_classifier, sampler_of

# Every registered sampler, timed beside the full model (the reference each row is compared with).
SAMPLERS = tuple(name for name in common.SAMPLERS if name != "full")
CONFIGS = {  # name -> (input shape, backbone)
    "T28_28x28": ((28, 28, 28, 1), "small_cnn"),
    "T28_28x28_mobilenet": ((28, 28, 28, 1), "mobilenetv3small"),
    "T64_64x64": ((64, 64, 64, 1), "small_cnn"),
    "T128_112x112": ((128, 112, 112, 1), "small_cnn"),
}


def machine():
    """CPU model, logical cores, Keras backend and its version, accelerators."""
    backend = keras.backend.backend()
    return {
        "cpu": common.cpu_name(),
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "backend": backend,
        "backend_version": importlib.import_module(backend).__version__,
        "keras": keras.__version__,
        "gpu": _accelerators(backend),
        "load_average": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def _accelerators(backend):
    """Names of the GPUs the backend computes on (empty on CPU)."""
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform != "cpu"]
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return [torch.cuda.get_device_name(i) for i in range(count)]


def compiled(layer):
    """`layer(x, training=False)` as the backend runs inference fastest: a tf.function on
    TensorFlow, jax.jit of the stateless call on JAX, eager without autograd on PyTorch."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: layer(x, training=False))
    if backend == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]
        call = jax.jit(lambda t, n, x: layer.stateless_call(t, n, x, training=False)[0])
        return lambda x: call(trainable, non_trainable, x)
    import torch

    def call(x):
        with torch.no_grad():
            return layer(x, training=False)

    return call


def time_call(fn, x):
    start = time.perf_counter()
    wait_for(fn(x))
    return time.perf_counter() - start


def wait_for(output):
    """Returns once `output` is computed, without copying it to the host: a sampler's output (the
    selected slices) is large, and a device-to-host copy of it is no part of its cost."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        jax.block_until_ready(output)
    elif backend == "torch":
        import torch

        if output.is_cuda:
            torch.cuda.synchronize()
    elif getattr(output, "device", "").endswith("CPU:0"):
        output.numpy()  # a host tensor: no copy
    else:  # TensorFlow on a GPU: fetch one element, which waits for the whole tensor
        keras.ops.convert_to_numpy(keras.ops.reshape(output, (-1,))[0])


def measure_config(name, rounds, ks=(0.5, 0.25), batch_size=16):
    """Times every model of one configuration; returns a list of result rows."""
    shape, backbone = CONFIGS[name]
    batch = batch_size if shape[0] <= 64 else max(1, batch_size // 4)  # clips: a quarter
    rng = np.random.default_rng(0)
    # tensors made once (on the GPU where there is one): the timings leave out the host-array-
    # to-tensor copy (about 1 ms for a batch of 16 28^3 volumes), no part of a model or sampler
    x_batch = ops.convert_to_tensor(rng.random((batch, *shape), dtype=np.float32))
    x_one = x_batch[:1]
    entries = {}
    for sampler in ("full", *SAMPLERS):
        for k in ks[:1] if sampler == "full" else ks:
            keras.utils.set_random_seed(0)
            model = build_classifier(shape, 2, sampler=sampler, k=k, backbone=backbone)
            layer = sampler_of(model)
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
        f"{info['load_average']}, Keras {info['keras']} on {_backend_words(info)}, "
        f"GPUs: {info['gpu'] or 'none'}. Untrained weights; inputs are "
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


def _backend_words(info):
    """ "TensorFlow 2.21.0"; older reports name only the TensorFlow version."""
    backend = info.get("backend", "tensorflow")
    version = info.get("backend_version", info.get("tensorflow"))
    names = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    return f"{names.get(backend, backend)} {version}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--rounds", type=common.int_at_least(1), default=15)
    parser.add_argument("--quick", action="store_true", help="T28 with small_cnn, 5 rounds")
    parser.add_argument(
        "--batch-size",
        type=common.int_at_least(1),
        default=16,
        help="throughput batch of the volumes (16); the 128-frame clips use a quarter of it",
    )
    parser.add_argument("--output", default=os.path.join("docs", "results", "speed"))
    args = parser.parse_args(argv)
    configs, rounds = (["T28_28x28"], 5) if args.quick else (args.configs, args.rounds)
    info = machine()
    command = common.command_line("speed", argv if argv is not None else sys.argv[1:])
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    rows = []
    for config in configs:
        rows += measure_config(config, rounds, batch_size=args.batch_size)
        print(f"{config}: done", flush=True)
        # written after each configuration: an interrupted run keeps what it measured
        report = markdown(rows, info, rounds, command)
        data = {"machine": info, "rounds": rounds, "rows": rows}
        common.write_report_files(args.output, data, report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
