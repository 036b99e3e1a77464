"""Training curves from a keras History, a dict or a run's log.csv."""

import os

import numpy as np

from das_keras.runs.folder import read_log
from das_keras.viz.common import _describe, _figure_class, _save


def plot_history(history_or_log_csv, path=None, metrics=("loss", "accuracy")):
    """Draws training curves, training and validation, one panel per metric.

    The best validation epoch of each metric (lowest for losses and errors, highest otherwise) is
    marked.

    Args:
        history_or_log_csv: a `keras.callbacks.History` (what `model.fit` returns), a dict
            {metric: [value per epoch]} (as `das_keras.runs.train_run` returns), the path of a
            log.csv written by `keras.callbacks.CSVLogger`, or a run folder holding one.
        path: optional file name; the figure is also written there as a PNG (folders created).
        metrics: metric names, e.g. ("loss", "accuracy"); each gets a panel with "<metric>" and
            "val_<metric>". Names found in neither are skipped; at least one must be present.

    Returns:
        `matplotlib.figure.Figure` with one axes per metric found, labelled "history:<metric>".

    Example:
        >>> history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.62]}
        >>> fig = plot_history(history, metrics=("loss",), path="history.png")
        >>> fig.axes[0].get_label()
        'history:loss'
    """
    logs = _history_logs(history_or_log_csv)
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, list | tuple) or not all(isinstance(m, str) for m in metrics):
        raise ValueError(
            f"`metrics` must be a metric name or a sequence of them; received {metrics!r}."
        )
    found = [m for m in metrics if any(_series(logs, key) is not None for key in (m, f"val_{m}"))]
    if not found:
        available = sorted(k for k in logs if k != "epoch" and not k.startswith("val_"))
        raise ValueError(
            f"`metrics`: none of {list(metrics)} is in the history; it has {available} "
            "(each with val_ where validation ran)."
        )
    Figure = _figure_class()
    fig = Figure(figsize=(4.6 * len(found), 3.5), layout="constrained")
    for i, metric in enumerate(found):
        ax = fig.add_subplot(1, len(found), i + 1, label=f"history:{metric}")
        for key, name, style in ((metric, "training", "-"), (f"val_{metric}", "validation", "--")):
            values = _series(logs, key)
            if values is None:
                continue
            epochs = _epochs(logs, len(values))
            ax.plot(epochs, values, style, marker="o", ms=3, label=name)
            if key.startswith("val_"):
                lower_is_better = "loss" in metric or "error" in metric
                best = int(np.nanargmin(values) if lower_is_better else np.nanargmax(values))
                ax.scatter(
                    [epochs[best]],
                    [values[best]],
                    s=90,
                    marker="*",
                    color="#d62728",
                    zorder=3,
                    label=f"best validation (epoch {epochs[best]})",
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if len(epochs) <= 20:
            ax.set_xticks(epochs)
    fig.suptitle("Training history", fontsize=11)
    _save(fig, path)
    return fig


def _history_logs(history):
    name = "history_or_log_csv"
    if hasattr(history, "history") and isinstance(history.history, dict):
        history = history.history
    if isinstance(history, str | os.PathLike):
        log_path = os.fspath(history)
        if os.path.isdir(log_path):
            log_path = os.path.join(log_path, "log.csv")
        if not os.path.isfile(log_path):
            raise FileNotFoundError(f"`{name}`: no log file at {log_path}.")
        history = read_log(log_path)
    if not isinstance(history, dict):
        raise ValueError(
            f"`{name}` must be a keras History, a dict {{metric: [values]}}, or the path of a "
            f"log.csv or run folder; received {_describe(history)}."
        )
    if not any(len(_as_list(v)) for v in history.values()):
        raise ValueError(f"`{name}` holds no epochs; received keys {sorted(history)}.")
    return history


def _series(logs, key):
    values = logs.get(key)
    if values is None:
        return None
    values = np.asarray(_as_list(values), dtype="float64")
    return values if values.size else None


def _as_list(values):
    return list(values) if isinstance(values, list | tuple | np.ndarray) else [values]


def _epochs(logs, n):
    if "epoch" in logs and len(_as_list(logs["epoch"])) == n:
        return [int(e) + 1 for e in _as_list(logs["epoch"])]
    return list(range(1, n + 1))
