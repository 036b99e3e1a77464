"""Keras vs ONNX Runtime inference speed of the sampler classifiers, side by side in one process.

For each model (default: the six samplers with the small CNN, k = 14 of 28 slices, on
(28, 28, 28, 1) volumes; untrained, which does not change the speed), the script exports the
inference graph with `das_keras.export.to_onnx` and times, alternating between runtimes so that
machine noise hits all of them alike:

- latency: one volume per call (batch 1), ms per call;
- throughput: batch 32, volumes per second;

for Keras `model.predict_on_batch`, Keras through a compiled `tf.function` (the fair comparison:
no per-call Python overhead of predict_on_batch), ONNX Runtime (CPU provider, default options)
and ONNX Runtime with its worker threads' spin-waiting off (`session.intra_op.allow_spinning`
= 0, which matters where other processes share the cores). Each figure is the median of
`--repeats` timed runs after warm-up. Results go to docs/results/onnx_speed.md and
docs/results/onnx_speed.json with the machine described.

    python -m benchmarks.onnx_speed                  # the defaults, about 3 minutes on 2 cores
    python -m benchmarks.onnx_speed --samplers das full --backbone mobilenetv3small
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx

from benchmarks import common
from das_keras import export
from das_keras.models import build_classifier

SAMPLERS = common.SAMPLERS  # every registered sampler, the full model first
RUNTIMES = ("keras_predict_on_batch", "keras_tf_function", "onnxruntime", "onnxruntime_no_spin")
HEADERS = ("predict_on_batch", "tf.function", "ONNX Runtime", "ONNX Runtime, no spinning")
RESULTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    parser.add_argument(
        "--backbone", default="small_cnn", choices=("small_cnn", "mobilenetv3small")
    )
    parser.add_argument("--k", type=int, default=14, help="slices kept (default: 14)")
    parser.add_argument("--shape", type=int, nargs=4, default=(28, 28, 28, 1), metavar="TxHxWxC")
    parser.add_argument("--batch-size", type=int, default=32, help="throughput batch (32)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per figure (7)")
    parser.add_argument("--latency-calls", type=int, default=20, help="calls per latency run")
    parser.add_argument("--throughput-calls", type=int, default=3, help="calls per batch run")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def machine():
    """The machine and software the figures were measured with."""
    return {
        "cpu": common.cpu_name(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onnxruntime": ort.__version__,
        "onnx": onnx.__version__,
        "tf2onnx": tf2onnx.__version__,
        "numpy": np.__version__,
        "date": datetime.date.today().isoformat(),
    }


def runners(model, onnx_path):
    """One callable per runtime, each running the model on a NumPy batch."""
    spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), "float32")
    compiled = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    no_spin = ort.SessionOptions()
    no_spin.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return {
        "keras_predict_on_batch": model.predict_on_batch,
        "keras_tf_function": lambda x: compiled(x).numpy(),
        "onnxruntime": _onnx_runner(onnx_path, ort.SessionOptions()),
        "onnxruntime_no_spin": _onnx_runner(onnx_path, no_spin),
    }


def _onnx_runner(onnx_path, options):
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    return lambda x: session.run(None, {input_name: x})[0]


def time_per_call(run, x, calls):
    start = time.perf_counter()
    for _ in range(calls):
        run(x)
    return (time.perf_counter() - start) / calls


def measure(runs, x, calls, repeats):
    """Median seconds per call of each runtime, the runtimes alternating within each repeat."""
    for run in runs.values():  # warm-up: tracing, graph optimisation, memory pools
        run(x)
        run(x)
    samples = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            samples[name].append(time_per_call(run, x, calls))
    return {name: statistics.median(values) for name, values in samples.items()}


def benchmark_model(sampler, args, workdir):
    keras.utils.set_random_seed(0)
    model = build_classifier(
        tuple(args.shape), 2, sampler=sampler, k=args.k, backbone=args.backbone
    )
    start = time.perf_counter()
    onnx_path = export.to_onnx(model, Path(workdir) / f"{sampler}.onnx")
    export_seconds = time.perf_counter() - start
    runs = runners(model, onnx_path)
    rng = np.random.default_rng(0)
    single = rng.random((1, *args.shape), dtype="float32")
    batch = rng.random((args.batch_size, *args.shape), dtype="float32")
    latency = measure(runs, single, args.latency_calls, args.repeats)
    per_batch = measure(runs, batch, args.throughput_calls, args.repeats)
    return {
        "sampler": sampler,
        "model": model.name,
        "slices_seen": model.get_layer("unfold_slices").num_slices,
        "export_seconds": round(export_seconds, 2),
        "latency_ms": {name: round(1e3 * s, 3) for name, s in latency.items()},
        "throughput_vol_per_s": {
            name: round(args.batch_size / s, 1) for name, s in per_batch.items()
        },
    }


def markdown(report):
    m, s = report["machine"], report["settings"]
    lines = [
        "# ONNX Runtime vs Keras inference speed",
        "",
        f"Produced by `python -m benchmarks.onnx_speed` on {m['date']}. Models: "
        f"`build_classifier({tuple(s['shape'])}, 2, sampler, k={s['k']}, "
        f"backbone={s['backbone']!r})`, untrained (weights do not change the speed), exported "
        "with `das_keras.export.to_onnx` (opset 17). Medians of "
        f"{s['repeats']} timed runs after warm-up; the runtimes alternate within each run, in "
        "one process. `tf.function`: the Keras model called through a compiled `tf.function` "
        "(without the per-call overhead of `predict_on_batch`). ONNX Runtime: CPU provider, "
        'default options; "no spinning": `session.intra_op.allow_spinning=0`. The speed-up is '
        "the faster ONNX Runtime column over `tf.function`.",
        "",
        "## Latency, batch 1 (ms per call, lower is better)",
        "",
        *_table(report["results"], "latency_ms", lower_is_better=True),
        "",
        f"## Throughput, batch {s['batch_size']} (volumes per second, higher is better)",
        "",
        *_table(report["results"], "throughput_vol_per_s", lower_is_better=False),
        "",
        "Machine: "
        f"{m['cpu']}, {m['usable_cores']} usable of {m['logical_cores']} logical cores, "
        f"load average {m['load_average_at_start']} at the start and "
        f"{m['load_average_at_end']} at the end (other jobs shared the machine: compare "
        "ratios within a row, not absolute figures across runs); "
        f"{m['platform']}; Python {m['python']}, TensorFlow {m['tensorflow']}, Keras "
        f"{m['keras']}, ONNX Runtime {m['onnxruntime']}, onnx {m['onnx']}, tf2onnx "
        f"{m['tf2onnx']}, NumPy {m['numpy']}.",
        "",
        "Export time (tf2onnx): "
        + ", ".join(f"{r['sampler']} {r['export_seconds']:.1f} s" for r in report["results"])
        + ".",
        "",
    ]
    return "\n".join(lines)


def _table(results, key, lower_is_better):
    lines = [
        "| sampler | slices seen | " + " | ".join(HEADERS) + " | speed-up |",
        "|---|---|" + "---|" * (len(HEADERS) + 1),
    ]
    for r in results:
        values = r[key]
        best_onnx = (min if lower_is_better else max)(
            values["onnxruntime"], values["onnxruntime_no_spin"]
        )
        keras_value = values["keras_tf_function"]
        speedup = keras_value / best_onnx if lower_is_better else best_onnx / keras_value
        digits = 2 if lower_is_better else 0  # ms with two decimals, volumes/s whole
        cells = " | ".join(f"{values[name]:.{digits}f}" for name in RUNTIMES)
        lines.append(f"| {r['sampler']} | {r['slices_seen']} | {cells} | {speedup:.2f}x |")
    return lines


def main(argv=None):
    args = parse_args(argv)
    report = {"machine": machine(), "settings": {**vars(args), "output_dir": None}}
    report["settings"]["shape"] = list(args.shape)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for sampler in args.samplers:
            results.append(benchmark_model(sampler, args, workdir))
            print(json.dumps(results[-1]), flush=True)
    report["results"] = results
    report["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    args.output_dir.mkdir(parents=True, exist_ok=True)
    common.write_report_files(str(args.output_dir / "onnx_speed"), report, markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
