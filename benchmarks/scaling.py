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

    python benchmarks/scaling.py              # about 10 minutes on 2 CPU cores
    python benchmarks/scaling.py --quick      # a smoke run: two sizes per sweep, one repeat
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _malloc_large_blocks_with_mmap(threshold=128 * 1024):
    """Makes glibc serve every block >= threshold with mmap and unmap it when freed.

    By default glibc raises this threshold as large blocks are freed and then keeps them in its
    heap, so the resident size stops following the live tensors. With a fixed threshold (mallopt
    M_MMAP_THRESHOLD = -3), a tensor's memory is resident exactly while it is alive, and the
    peak resident size during a call measures its peak live memory.
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, threshold))
    except (OSError, AttributeError):  # not glibc
        return False


MMAP_FIXED = _malloc_large_blocks_with_mmap()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from das_keras.layers import functional as F  # noqa: E402
from das_keras.models import build_classifier  # noqa: E402

SAMPLERS = ("full", "uniform", "random", "dps", "adps", "das")
BASE = {"frames": 64, "size": 64, "k_fraction": 4}  # k = T / k_fraction
SWEEPS = {
    "frames": (16, 32, 64, 128, 256),
    "size": (32, 64, 112),
    "k_fraction": (8, 4, 2),
}
DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    parser.add_argument("--batch-size", type=int, default=4, help="volumes per call (4)")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per figure (7)")
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer sizes, 1 repeat")
    parser.add_argument("--output", default=str(DOCS), help="folder for scaling.md / .json")
    parser.add_argument("--memory-pass", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch_size < 1 or args.repeats < 1:
        parser.error(
            f"--batch-size and --repeats must be >= 1; received {args.batch_size}, {args.repeats}"
        )
    return args


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


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_BYTES


def _trim():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: the figure is then less tight
        pass


class PeakRSS:
    """Samples the RSS every millisecond in a thread; `peak - start` after the block."""

    def __enter__(self):
        _trim()
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def increase_mib(self):
        return (self.peak - self.start) / 2**20


def call_ms(function, inputs, repeats):
    """(fastest, median) wall time in ms of `repeats` calls, after a warm-up call."""
    function(inputs)  # warm-up (the first call traces)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(function(inputs))
        times.append((time.perf_counter() - start) * 1e3)
    return min(times), statistics.median(times)


def peak_mib(function, inputs):
    """Peak transient memory of one call, after a first (tracing) call."""
    np.asarray(function(inputs))
    with PeakRSS() as memory:
        np.asarray(function(inputs))
    return memory.increase_mib


def _functions(sampler, frames, size, k, batch_size):
    keras.utils.clear_session()
    model = build_classifier(
        (frames, size, size, 1),
        2,
        sampler=sampler,
        k=k,
        backbone="small_cnn",
        sampler_kwargs=None if sampler in ("full", "uniform") else {"seed": 0},
    )
    layer = model.get_layer("sampler")
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
    from das_keras.layers import DASLayer

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
    from das_keras.data import synthetic_arrays
    from das_keras.layers import DASLayer

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
    for sweep, frames, size, k in configurations(args.quick):
        for sampler in args.samplers:
            if sweep == "k_fraction" and sampler == "full":
                continue
            peak = measure_memory(sampler, frames, size, k, args.batch_size)
            print(json.dumps({"key": [sampler, frames, size, k], "peak_mib": peak}), flush=True)
    recipe = _recipe_functions(args.batch_size, *_recipe_shape(args.quick), 4)
    peaks = [peak_mib(function, inputs) for _, function, inputs in recipe]
    print(json.dumps({"key": "recipe", "peak_mib": peaks}), flush=True)


def _recipe_shape(quick):
    return (64, 112, 8) if quick else (256, 112, 32)


def run_memory_pass(args):
    """Runs `memory_pass` in a child with oneDNN off; returns {key: peak MiB}."""
    command = [sys.executable, __file__, "--memory-pass", "--batch-size", str(args.batch_size)]
    command += ["--samplers", *args.samplers] + (["--quick"] if args.quick else [])
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
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
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "load_average": os.getloadavg(),
    }


def table(rows, sweep_key, label):
    values = sorted({r[sweep_key] for r in rows})
    samplers = [s for s in SAMPLERS if any(r["sampler"] == s for r in rows)]
    lines = [
        f"| sampler | {' | '.join(f'{label}={v}' for v in values)} |",
        "|---|" + "---|" * len(values),
    ]
    for figure, unit in (
        ("model_ms_per_volume", "model ms/vol"),
        ("sampler_ms_per_volume", "sampler ms/vol"),
        ("peak_mib", "peak MiB"),
    ):
        for sampler in samplers:
            cells = []
            for v in values:
                match = [r for r in rows if r["sampler"] == sampler and r[sweep_key] == v]
                cells.append(f"{match[0][figure]:.2f}" if match else "-")
            lines.append(f"| {sampler}, {unit} | {' | '.join(cells)} |")
    return "\n".join(lines)


def write_report(results, output):
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    with open(output / "scaling.json", "w") as f:
        json.dump(results, f, indent=2)
    rows = results["rows"]
    by_sweep = {s: [r for r in rows if r["sweep"] == s] for s in SWEEPS}
    inputs = sorted({(r["frames"], r["size"], r["input_mib"]) for r in rows})
    input_lines = "\n".join(f"| T={t}, {s}x{s} | {mib:.1f} |" for t, s, mib in inputs)
    recipe = results["long_video"]
    agreement = recipe["agreement"]
    agreement_lines = "\n".join(
        f"| {r['factor']}x ({agreement['size'] // r['factor']}x{agreement['size'] // r['factor']}) "
        f"| {r['overlap']:.0%} | {r['informative_full']:.0%} | {r['informative_downscaled']:.0%} |"
        for r in agreement["rows"]
    )
    recipe_lines = "\n".join(
        f"| {r['method']} | {r['ms_per_volume']:.1f} | {r['peak_mib']:.0f} |"
        for r in recipe["rows"]
    )
    text = TEMPLATE.format(
        date=results["date"],
        machine=json.dumps(results["machine"]),
        batch=results["batch_size"],
        repeats=results["repeats"],
        frames_table=table(by_sweep["frames"], "frames", "T"),
        size_table=table(by_sweep["size"], "size", "HxW"),
        k_table=table(by_sweep["k_fraction"], "k", "k"),
        input_lines=input_lines,
        recipe_frames=recipe["frames"],
        recipe_size=recipe["size"],
        recipe_k=recipe["k"],
        recipe_lines=recipe_lines,
        agreement_lines=agreement_lines,
        agreement_clips=agreement["clips"],
        agreement_frames=agreement["frames"],
        agreement_size=agreement["size"],
        agreement_k=agreement["k"],
        analysis=results.get("analysis", ""),
    )
    (output / "scaling.md").write_text(text)


TEMPLATE = """# Scaling: inference cost against T, H x W and k

Produced by `python benchmarks/scaling.py` on {date}; machine: `{machine}`.
TensorFlow backend, CPU, untrained models (training does not change the cost), each sampler in front
of the small CNN (`build_classifier(..., backbone="small_cnn")`), batch {batch}, through a traced
`tf.function` with `training=False`.

What is measured:

- **model ms/vol**: wall time of the whole classifier on one batch, divided by the batch size; the
  fastest of {repeats} calls after a warm-up (other processes on this shared machine only ever add
  time; the medians, noisier, are in scaling.json);
- **sampler ms/vol**: the same for the sampler layer alone (DAS: descriptors, attention, top-k,
  gather);
- **peak MiB**: the peak resident set size during one model call minus the resident size just
  before it, sampled every millisecond, measured in a separate process with TensorFlow's oneDNN
  kernels off and glibc serving every block of 128 KiB or more with its own mmap (so that freed
  tensors leave the resident size at once; oneDNN's memory pools would otherwise hide them): the
  transient memory (activations) of one inference batch of {batch} volumes. It excludes the
  weights and anything already resident; figures of a few MiB are within noise. tracemalloc is not
  used: it only sees Python's own allocations, not TensorFlow's tensors.

The machine is shared and noisy (other jobs ran at the same time; see the load average above):
compare figures within one table rather than to other documents, and trust the memory figures
(exact up to noise) more than the times.

## T (frames), at 64x64 and k = T/4

{frames_table}

## H x W, at T = 64 and k = 16

{size_table}

## k, at T = 64 and 64x64 (FullSequence has no k)

{k_table}

Input batch sizes (MiB, float32, batch {batch}):

| input | MiB |
|---|---|
{input_lines}

{analysis}

## Long videos: choose on a small copy, decode only the chosen frames at full size

T = {recipe_frames} frames of {recipe_size}x{recipe_size}, k = {recipe_k}. DAS's own cost is its
frame descriptors, computed over every pixel of every frame; on a 4x downscaled copy they cost 16
times less, and only the k chosen frames are then taken at full size:

| sampler step (batch {batch}) | ms / volume | peak MiB |
|---|---|---|
{recipe_lines}

Does the choice survive the downscaling? One untrained DASLayer (its descriptor prior drives the
choice) on {agreement_clips} synthetic clips (`das_keras.data.synthetic_arrays`: the label in 4
consecutive frames at a random depth) of {agreement_frames} frames of {agreement_size} x
{agreement_size}, k = {agreement_k}. "Informative" is the share of clips where at least one of
the frames holding the label was chosen:

| descriptors on | same frames as at full size | informative, full size | informative, copy |
|---|---|---|---|
{agreement_lines}

The choice is not the same frame for frame, but it finds the informative frames as often. Train the
sampler on the same downscaled copies it will see at inference, so its weights fit them.

What to do with long videos (hundreds of frames, or large frames):

1. Decode the clip once at a small size (e.g. 28x28 or 32x32, grayscale) for the sampler, and run
   `DASLayer.select` on that copy: its descriptors then cost T x h x w, not T x H x W.
2. Decode (or read from disk) only the k chosen frames at full size and run the backbone on them:
   the backbone's cost grows with k x H x W, and it never sees the other T - k frames.
3. In training, apply the sampling matrix from the small copy to the full-size frames
   (`das_keras.layers.functional.apply_selection(x_full, P)`): P is (B, k, T) and does not depend on
   the frame size. At inference use `gather_slices(x_full, indices)`.
4. For very long clips, choose in two stages (e.g. 1 frame in 4 uniformly, then DAS on those) or
   over fixed-length windows, so that T stays in the range measured here.
5. Keep k small: the backbone dominates the model time and grows linearly with k.

```python
import das_keras as dk
from das_keras.layers import functional as F

sampler = dk.DASLayer(k=32)
indices, P = sampler.select(clip_small, training=False)      # (B, T, 32, 32, 1): cheap
frames = F.gather_slices(clip_full, indices)                  # (B, 32, H, W, C): only k frames
```
"""


def analyse(rows):
    """A few sentences on how the figures grow, computed from the rows."""

    def ratio(sweep, key, sampler, low, high, figure):
        pick = {r[key]: r[figure] for r in rows if r["sweep"] == sweep and r["sampler"] == sampler}
        if low in pick and high in pick and pick[low] > 0:
            return pick[high] / pick[low]
        return None

    lines = [
        "## Growth, read from the tables",
        "",
        "- Memory: the peak is the backbone's activations on the k chosen slices, so it grows",
        "  with k x H x W, not with T itself (FullSequence has k = T): doubling T at k = T/4",
        "  doubles it, as does doubling k. DAS's descriptor maps over all T frames (3 edge maps",
        "  of T x H x W per volume) are freed before the backbone runs, so they set the peak only",
        "  where k is small (k = 8 of 64) or the frames are large (the long-video table below).",
        "- Time: the backbone on k slices dominates the model time; DAS's own time grows with",
        "  T x H x W (descriptors on every pixel of every frame), ADPS's with k (one LSTM step and",
        "  one frame encoding per chosen slice), the static samplers' not at all.",
        "",
        "Ratios between the smallest and largest setting of each sweep (times: fastest of the",
        "calls; memory: peak MiB):",
        "",
    ]
    samplers = sorted({r["sampler"] for r in rows}, key=SAMPLERS.index)
    t_low, t_high = SWEEPS["frames"][0], SWEEPS["frames"][-1]
    s_low, s_high = SWEEPS["size"][0], SWEEPS["size"][-1]
    for sampler in samplers:
        parts = []
        for label, sweep, key, low, high in (
            (f"T {t_low}->{t_high} (x{t_high // t_low})", "frames", "frames", t_low, t_high),
            (
                f"HxW {s_low}->{s_high} (x{(s_high / s_low) ** 2:.1f} pixels)",
                "size",
                "size",
                s_low,
                s_high,
            ),
        ):
            model = ratio(sweep, key, sampler, low, high, "model_ms_per_volume")
            own = ratio(sweep, key, sampler, low, high, "sampler_ms_per_volume")
            memory = ratio(sweep, key, sampler, low, high, "peak_mib")
            if model is not None:
                parts.append(
                    f"{label}: model time x{model:.1f}, sampler time x{own:.1f}, "
                    f"memory x{memory:.1f}"
                )
        if parts:
            lines.append(f"- {sampler}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def main(argv=None):
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
    for sweep, frames, size, k in configurations(args.quick):
        for sampler in args.samplers:
            if sweep == "k_fraction" and sampler == "full":
                continue
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
