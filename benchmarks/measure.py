"""Cost measuring shared by the cost reports (option_cost.py, frontier.py): FLOPs per volume
split by part, and CPU throughput measured side by side in one process.

Throughput: volumes / s of each model's compiled predict function (`predict_on_batch` after
`compile`) on one batch, all models interleaved round by round so that machine noise hits them
alike; medians over the rounds, after warm-up. Untrained weights: neither count depends on them.
"""

import os
import platform
import time

import keras
import numpy as np

from benchmarks.common import int_at_least
from das_keras.models.cost import PARTS, flops_per_volume


def throughputs(models, batch, rounds, calls, shape):
    """Median volumes / s of each model's compiled predict over `rounds` interleaved rounds.

    Args:
        models: {key: compiled keras.Model}, all taking inputs of `shape`.
        batch: volumes per predict call.
        rounds: timed rounds (the median is taken over them).
        calls: consecutive batches timed per round.
        shape: (T, H, W, C) of one volume.

    Returns:
        {key: (median volumes / s, list of every round's figure)}.
    """
    x = keras.ops.convert_to_tensor(np.random.default_rng(0).random((batch, *shape), "float32"))
    for model in models.values():  # trace, then warm up
        for _ in range(2):
            model.predict_on_batch(x)
    per_round = {key: [] for key in models}
    for _ in range(rounds):
        for key, model in models.items():
            start = time.perf_counter()
            for _ in range(calls):
                model.predict_on_batch(x)
            per_round[key].append(batch * calls / (time.perf_counter() - start))
    return {key: (float(np.median(v)), v) for key, v in per_round.items()}


def machine():
    """CPU model, logical cores and load averages, as the reports describe the machine."""
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), None)
    return {
        "cpu": cpu or platform.processor(),
        "nproc": os.cpu_count(),
        "load_average_1_5_15": load_average(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }


def load_average():
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(v, 2) for v in os.getloadavg()]


def cost_of(model, flops_model=None):
    """FLOPs per volume of `model` by part (`das_keras.models.cost.flops_per_volume`), counted
    on `flops_model` where given (a wrapper that names the parts, see frontier.py)."""
    cost = flops_per_volume(flops_model or model)
    return {"slices": cost["slices"], "flops": {p: cost[p] for p in (*PARTS, "total")}}


def ratio_fields(speeds, key, full_key):
    """Throughput of `key`, its ratio to the model `full_key`'s, and the range of the per-round
    ratios (each round's figure over the full model's in the same round: the noise)."""
    speed, per_round = speeds[key]
    full_speed, full_rounds = speeds[full_key]
    paired = [mine / full for mine, full in zip(per_round, full_rounds, strict=True)]
    return {
        "throughput_per_s": speed,
        "throughput_per_round": per_round,
        "throughput_ratio_to_full": speed / full_speed,
        "ratio_range_over_rounds": [min(paired), max(paired)],
    }


def add_timing_arguments(parser, rounds=9):
    """--batch, --rounds and --calls: how the throughput is measured."""
    parser.add_argument("--batch", type=int_at_least(1), default=32)
    parser.add_argument(
        "--rounds", type=int_at_least(1), default=rounds, help="timed rounds (median)"
    )
    parser.add_argument("--calls", type=int_at_least(1), default=3, help="batches timed per round")
    return parser
