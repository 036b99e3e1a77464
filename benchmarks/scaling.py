"""How inference time and memory of each sampler + small CNN grow with T, H x W and k.

Three one-factor sweeps around a base point (T = 64 frames of 64 x 64, k = T/4), TensorFlow
backend, CPU, batch 4, untrained models (training does not change the cost):

- T in 16, 32, 64, 128, 256 (64 x 64, k = T/4);
- H x W in 32, 64, 112 (T = 64, k = 16);
- k in T/8, T/4, T/2 (T = 64, 64 x 64; FullSequence has no k and is left out).

For each sampler with `build_classifier(..., backbone="small_cnn")` and each configuration:

- model ms / volume: the fastest of `--repeats` timed calls of the whole classifier on one batch,
  through a traced `tf.function` (inference, `training=False`), divided by the batch size. The
  fastest, not the median: on a shared machine other processes only ever add time, and the
  medians (kept in scaling.json) were too noisy to show the trends;
- sampler ms / volume: the same for the sampler layer alone (for DAS: descriptors + attention +
  top-k + gather);
- peak MiB: the peak resident set size (RSS, read from /proc/self/statm every millisecond by a
  thread) during one model call, minus the RSS just before it. This runs in a child process with
  TensorFlow's oneDNN kernels off (TF_ENABLE_ONEDNN_OPTS=0) and glibc told to give every block of
  128 KiB or more its own mmap (so freed tensors leave the RSS at once): with oneDNN on, its
  memory pools keep the RSS at its high-water mark and later calls show nothing. The figure is
  the transient memory (activations) one inference batch needs; it excludes the weights and what
  was resident before. tracemalloc would miss it: it sees only Python's own allocations;
- input MiB: the size of the input batch, for scale; parameters: the model's parameter count.

A last table measures the recipe for long videos: DAS on a 4x downscaled copy of the clip, with
only the k chosen frames taken from the full-size clip, against DAS on the full-size clip.

Results go to docs/scaling.md and docs/scaling.json with the machine described.

    python -m benchmarks.scaling              # about 10 minutes on 2 CPU cores
    python -m benchmarks.scaling --quick      # a smoke run: two sizes per sweep, one repeat
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import tensorflow as tf

from benchmarks import common
from benchmarks.peak_memory import malloc_large_blocks_with_mmap, peak_mib
from benchmarks.scaling_report import SAMPLERS, SWEEPS, analyse, write_report
from das_keras.data import synthetic_arrays
from das_keras.layers import DASLayer
from das_keras.layers import functional as F
from das_keras.models import build_classifier, sampler_of

BASE = {"frames": 64, "size": 64, "k_fraction": 4}  # k = T / k_fraction
ROOT = Path(__file__).resolve().parents[1]  # the repository
DOCS = ROOT / "docs"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    positive = common.int_at_least(1)
    parser.add_argument("--batch-size", type=positive, default=4, help="volumes per call (4)")
    parser.add_argument("--repeats", type=positive, default=7, help="timed calls per figure (7)")
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer sizes, 1 repeat")
    parser.add_argument("--output", default=str(DOCS), help="folder for scaling.md / .json")
    parser.add_argument("--memory-pass", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def configurations(quick=False):
    """The (sweep, T, size, k) points: three one-factor sweeps around BASE, no duplicates."""
    points = []
    for sweep, values in SWEEPS.items():
        if quick:
            values = (values[0], values[-1])
        for value in values:
            setting = {**BASE, sweep: value}
            t, size = setting["frames"], setting["size"]
            points.append((sweep, t, size, max(1, t // setting["k_fraction"])))
    return points


def measured_points(args):
    """(sweep, sampler, T, size, k) of every model measured; the k sweep leaves out the full
    model, which has no k."""
    for sweep, frames, size, k in configurations(args.quick):
        for sampler in args.samplers:
            if not (sweep == "k_fraction" and sampler == "full"):
                yield sweep, sampler, frames, size, k


def call_ms(function, inputs, repeats):
    """(fastest, median) wall time in ms of `repeats` calls, after a warm-up call."""
    function(inputs)  # warm-up (the first call traces)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(function(inputs))
        times.append((time.perf_counter() - start) * 1e3)
    return min(times), statistics.median(times)


def _functions(sampler, frames, size, k, batch_size):
    keras.utils.clear_session()
    model = build_classifier(
        (frames, size, size, 1),
        2,
        sampler=sampler,
        k=k,
        backbone="small_cnn",
        sampler_kwargs={"seed": 0},  # every sampler takes one; only those that draw use it
    )
    layer = sampler_of(model)
    inputs = tf.random.stateless_uniform((batch_size, frames, size, size, 1), seed=(0, frames))
    model_fn = tf.function(lambda x: model(x, training=False))
    sampler_fn = tf.function(lambda x: layer(x, training=False))
    return model, model_fn, sampler_fn, inputs


def measure_time(sampler, frames, size, k, batch_size, repeats):
    """Times of one configuration (this process: TensorFlow's default oneDNN kernels)."""
    model, model_fn, sampler_fn, inputs = _functions(sampler, frames, size, k, batch_size)
    model_ms = call_ms(model_fn, inputs, repeats)
    sampler_ms = call_ms(sampler_fn, inputs, repeats)
    return {
        "sampler": sampler,
        "frames": frames,
        "size": size,
        "k": k if sampler != "full" else frames,
        "model_ms_per_volume": model_ms[0] / batch_size,
        "sampler_ms_per_volume": sampler_ms[0] / batch_size,
        "model_median_ms_per_volume": model_ms[1] / batch_size,
        "sampler_median_ms_per_volume": sampler_ms[1] / batch_size,
        "input_mib": batch_size * frames * size * size * 4 / 2**20,
        "parameters": int(model.count_params()),
    }


def measure_memory(sampler, frames, size, k, batch_size):
    """Peak transient memory of one model call (run in the --memory-pass child process)."""
    _, model_fn, _, inputs = _functions(sampler, frames, size, k, batch_size)
    return peak_mib(model_fn, inputs)


def _recipe_functions(batch_size, frames, size, k, factor):
    keras.utils.clear_session()
    full = tf.random.stateless_uniform((batch_size, frames, size, size, 1), seed=(1, 2))
    small = tf.image.resize(
        tf.reshape(full, (-1, size, size, 1)), (size // factor, size // factor), "area"
    )
    small = tf.reshape(small, (batch_size, frames, size // factor, size // factor, 1))
    on_full = DASLayer(k=k, seed=0)
    on_small = DASLayer(k=k, seed=0)

    @tf.function
    def small_fn(pair):
        indices, _ = on_small.select(pair[1], training=False)
        return F.gather_slices(pair[0], indices)

    return (
        ("DAS on the full-size clip", tf.function(lambda x: on_full(x, training=False)), full),
        (
            f"DAS on a {factor}x downscaled copy, k frames gathered at full size",
            small_fn,
            (full, small),
        ),
    )


def long_video_recipe(batch_size, repeats, memory=None, frames=256, size=112, k=32, factor=4):
    """DAS on the full-size clip vs on a downscaled copy with only the k chosen frames gathered."""
    rows = []
    for i, (name, function, inputs) in enumerate(
        _recipe_functions(batch_size, frames, size, k, factor)
    ):
        fastest, median = call_ms(function, inputs, repeats)
        row = {
            "method": name,
            "ms_per_volume": fastest / batch_size,
            "median_ms_per_volume": median / batch_size,
        }
        row["peak_mib"] = memory[i] if memory else None
        rows.append(row)
    return {"frames": frames, "size": size, "k": k, "factor": factor, "rows": rows}


def recipe_agreement(num_clips=64, frames=64, size=64, k=8, structure_slices=4):
    """How DAS's choice on downscaled copies compares with its choice on the full-size clips.

    On synthetic clips (das_keras.data.synthetic_arrays: the label lives in `structure_slices`
    consecutive frames at a random depth), one untrained DASLayer (its descriptor prior drives
    the choice) selects k frames from the full-size clips and from 2x and 4x downscaled copies.

    Returns:
        list of dicts: factor, overlap (mean fraction of the k frames chosen in both), and the
        fraction of clips where an informative frame was chosen, at full size and downscaled.
    """
    keras.utils.clear_session()
    data = synthetic_arrays(num_clips, frames, size, structure_slices, seed=3)
    clips = tf.constant(data["x"])
    layer = DASLayer(k=k, seed=0)
    layer.build(clips.shape)

    def informative(indices):
        return float(
            np.mean(
                [
                    any(depth <= j < depth + structure_slices for j in row)
                    for row, depth in zip(indices, data["depth"])
                ]
            )
        )

    chosen_full = layer.select(clips)[0].numpy()
    rows = []
    for factor in (2, 4):
        side = size // factor
        small = tf.image.resize(tf.reshape(clips, (-1, size, size, 1)), (side, side), "area")
        chosen = layer.select(tf.reshape(small, (num_clips, frames, side, side, 1)))[0].numpy()
        overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(chosen_full, chosen)])
        rows.append(
            {
                "factor": factor,
                "overlap": float(overlap),
                "informative_full": informative(chosen_full),
                "informative_downscaled": informative(chosen),
            }
        )
    return {"clips": num_clips, "frames": frames, "size": size, "k": k, "rows": rows}


def memory_pass(args):
    """Child process: prints one JSON line per configuration with its peak transient memory."""
    for _, sampler, frames, size, k in measured_points(args):
        peak = measure_memory(sampler, frames, size, k, args.batch_size)
        print(json.dumps({"key": [sampler, frames, size, k], "peak_mib": peak}), flush=True)
    recipe = _recipe_functions(args.batch_size, *_recipe_shape(args.quick), 4)
    peaks = [peak_mib(function, inputs) for _, function, inputs in recipe]
    print(json.dumps({"key": "recipe", "peak_mib": peaks}), flush=True)


def _recipe_shape(quick):
    return (64, 112, 8) if quick else (256, 112, 32)


def run_memory_pass(args):
    """Runs `memory_pass` in a child with oneDNN off; returns {key: peak MiB}."""
    command = [sys.executable, "-m", "benchmarks.scaling", "--memory-pass"]
    command += ["--batch-size", str(args.batch_size)]
    command += ["--samplers", *args.samplers] + (["--quick"] if args.quick else [])
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the memory pass failed:\n{done.stderr[-3000:]}")
    peaks = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            key = entry["key"] if entry["key"] == "recipe" else tuple(entry["key"])
            peaks[key] = entry["peak_mib"]
    return peaks


def machine():
    return {
        "cpu": common.cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "load_average": os.getloadavg(),
    }


def main(argv=None):
    # Before anything is measured, in the timing process and in the memory pass alike.
    malloc_large_blocks_with_mmap()
    args = parse_args(argv)
    if args.memory_pass:
        memory_pass(args)
        return 0
    repeats = 1 if args.quick else args.repeats
    started = time.time()
    print("memory pass (child process, oneDNN off) ...", flush=True)
    peaks = run_memory_pass(args)
    print(f"[{time.time() - started:6.0f}s] memory pass done; timing ...", flush=True)
    rows, measured = [], {}
    for sweep, sampler, frames, size, k in measured_points(args):
        key = (sampler, frames, size, frames if sampler == "full" else k)
        if key not in measured:  # the base point is in every sweep: measure it once
            row = measure_time(sampler, frames, size, k, args.batch_size, repeats)
            row["peak_mib"] = peaks[(sampler, frames, size, k)]
            measured[key] = row
            print(
                f"[{time.time() - started:6.0f}s] {sampler:8s} T={frames:3d} "
                f"{size:3d}x{size:<3d} k={row['k']:3d}: model "
                f"{row['model_ms_per_volume']:8.2f} ms/vol, sampler "
                f"{row['sampler_ms_per_volume']:7.2f} ms/vol, peak {row['peak_mib']:7.1f} MiB",
                flush=True,
            )
        rows.append({**measured[key], "sweep": sweep})
    frames, size, k = _recipe_shape(args.quick)
    recipe = long_video_recipe(args.batch_size, repeats, peaks["recipe"], frames, size, k)
    for r in recipe["rows"]:
        print(f"{r['method']}: {r['ms_per_volume']:.1f} ms/vol, peak {r['peak_mib']:.0f} MiB")
    recipe["agreement"] = recipe_agreement()
    print(f"agreement: {recipe['agreement']['rows']}")
    results = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "batch_size": args.batch_size,
        "repeats": repeats,
        "seconds": round(time.time() - started, 1),
        "rows": rows,
        "long_video": recipe,
    }
    results["analysis"] = analyse(rows)
    write_report(results, args.output)
    print(f"wrote {Path(args.output) / 'scaling.md'} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
