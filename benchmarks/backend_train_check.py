"""Trains the samplers with plain `model.fit` on the current Keras backend (docs/results/).

The comparison (benchmarks/compare.py) trains through tf.data on TensorFlow. This check shows
that the layers and `build_classifier` also train on JAX and PyTorch, on a GPU where the backend
has one, without TensorFlow: the synthetic task (an object in 2 of 32 slices at a random depth;
das_keras.data.synthetic_arrays) as NumPy arrays, the same model and optimizer for each sampler,
a fixed number of epochs, and the test AUC of the last epoch's weights (scikit-learn). It reports
the seconds per epoch (the first epoch, which compiles, apart) beside the test metrics.

    KERAS_BACKEND=jax python -m benchmarks.backend_train_check --output docs/results/train_gpu
    python -m benchmarks.backend_train_check --epochs 2 --train 128   # a quick look
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

import das_keras
from benchmarks import common, speed
from das_keras.models import build_classifier, sampler_of

# The samplers trained by default: an explicit choice (the learned DAS and DPS, a fixed sampler
# and the full model) that keeps the check short, not every registered sampler.
SAMPLERS = ("das", "uniform", "dps", "full")


def synthetic_arrays():
    """das_keras.data.synthetic_arrays, loaded from its file: the das_keras.data package imports
    TensorFlow (tf.data), which this check must not need."""
    path = Path(das_keras.__file__).parent / "data" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("das_keras_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_arrays


def load_data(num_train, seed):
    """Train / test arrays of the synthetic task (different seeds per split)."""
    generate = synthetic_arrays()
    train = generate(num_train, seed=seed * 10)
    test = generate(256, seed=seed * 10 + 2)
    return train, test


class EpochTimes(keras.callbacks.Callback):
    """Records each epoch's wall time."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def train_one(sampler, train, test, args):
    """Trains one sampler's classifier; returns its row of the report."""
    keras.utils.set_random_seed(args.seed)
    shape = train["x"].shape[1:]
    model = build_classifier(
        shape, 2, sampler=sampler, k=args.k, backbone="small_cnn", aggregation="conv1d"
    )
    model.compile(
        keras.optimizers.Adam(args.learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    times = EpochTimes()
    model.fit(
        train["x"],
        train["y"],
        batch_size=args.batch_size,
        epochs=args.epochs,
        callbacks=[times],
        verbose=0,
    )
    probabilities = ops.convert_to_numpy(model.predict(test["x"], batch_size=64, verbose=0))
    return {
        "sampler": sampler,
        "slices_seen": int(sampler_of(model).num_selected),
        "first_epoch_s": times.seconds[0],
        "epoch_s_median": float(np.median(times.seconds[1:] or times.seconds)),
        "test_auc": float(roc_auc_score(test["y"], probabilities[:, 1])),
        "test_balanced_accuracy": float(
            balanced_accuracy_score(test["y"], probabilities.argmax(-1))
        ),
    }


def markdown(rows, info, args, command):
    backend = f"Keras {info['keras']} on {info['backend']} {info['backend_version']}"
    lines = [
        f"# Training check on {info['backend']}",
        "",
        f"Written by `{command}` (`benchmarks/backend_train_check.py`). {backend}; GPUs: "
        f"{info['gpu'] or 'none'}; CPU {info['cpu']}, {info['logical_cores']} logical cores. "
        f"The synthetic task ({args.train} training volumes of 32 slices, 256 test "
        f"volumes), backbone small CNN + conv1d, k = {args.k:g} of T, Adam "
        f"{args.learning_rate:g}, batch {args.batch_size}, {args.epochs} epochs, seed "
        f"{args.seed}; test metrics of the last epoch's weights. The first epoch includes "
        "compilation.",
        "",
        "| sampler | slices seen | first epoch (s) | later epochs (s, median) | test AUC | "
        "test balanced acc. |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['sampler']} | {r['slices_seen']} | {r['first_epoch_s']:.1f} | "
            f"{r['epoch_s_median']:.2f} | {r['test_auc']:.3f} | "
            f"{r['test_balanced_accuracy']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS))
    parser.add_argument("--epochs", type=common.int_at_least(1), default=8)
    parser.add_argument(
        "--train", type=common.int_at_least(2), default=768, help="training volumes (768)"
    )
    parser.add_argument("--k", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="default: docs/results/train_<backend>")
    args = parser.parse_args(argv)
    args.output = args.output or os.path.join("docs", "results", f"train_{keras.backend.backend()}")
    train, test = load_data(args.train, args.seed)
    rows = []
    for sampler in args.samplers:
        rows.append(train_one(sampler, train, test, args))
        print(json.dumps(rows[-1]), flush=True)
    info = speed.machine()
    command = common.command_line("backend_train_check", argv if argv is not None else sys.argv[1:])
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "output"}
    report = markdown(rows, info, args, command)
    common.write_report_files(
        args.output, {"machine": info, "settings": settings, "rows": rows}, report
    )
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
