"""The report of benchmarks/scaling.py: docs/scaling.md and docs/scaling.json, its tables and the
growth ratios read from them."""

import json
from pathlib import Path

from benchmarks import common

SAMPLERS = common.SAMPLERS
SWEEPS = {  # the one-factor sweeps around the base point (T = 64 frames of 64 x 64, k = T/4)
    "frames": (16, 32, 64, 128, 256),
    "size": (32, 64, 112),
    "k_fraction": (8, 4, 2),
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

Produced by `python -m benchmarks.scaling` on {date}; machine: `{machine}`.
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
