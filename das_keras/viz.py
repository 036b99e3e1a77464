"""Figures that show which slices a sampler chose, and why.

Every function returns a `matplotlib.figure.Figure` and, given `path=`, also writes it as a PNG.
The figures are built without `matplotlib.pyplot`: no window opens, no backend has to be chosen
(saving uses Agg, with or without a display), nothing is kept alive in pyplot's figure registry,
and the library never calls `plt.show`. In a notebook (Colab, Jupyter) a returned figure shows as
the cell's output (write `fig` or `display(fig)`); elsewhere save it (`path=` or `fig.savefig`).

A sampler is given either as a sampler layer (`das_keras.layers.BaseSampler`) or as a model that
contains one, named "sampler" as `das_keras.models.build_classifier` names it. `volume` is always
one input, (T, H, W, C), a NumPy array or a tensor.

Functions:
    plot_sampling_matrix   P (k x T) of one input, the chosen slice written in each row
    plot_slice_montage     all T slices as thumbnails, the chosen ones outlined; for DAS (and DPS)
                           the attention over T beneath
    compare_samplers       several samplers on the same input, one row each
    plot_history           training curves from a keras History, a dict or a run's log.csv
"""

import math
import os
import sys
import textwrap

import numpy as np

__all__ = ["compare_samplers", "plot_history", "plot_sampling_matrix", "plot_slice_montage"]

CHOSEN_COLOR = "#ff7f0e"
HIGHLIGHT_COLOR = "#2ca02c"
EMPTY_COLOR = "#ececec"
CURVE_COLOR = "#1f77b4"


def plot_sampling_matrix(sampler_or_model, volume, training=False, path=None):
    """Draws the sampling matrix P (k x T) that a sampler produced for one input.

    Row j of P is one-hot at the j-th chosen slice (rows in slice order); each filled cell carries
    its slice index.

    Args:
        sampler_or_model: a sampler layer, or a `keras.Model` containing a layer named "sampler".
        volume: one input, (T, H, W, C), NumPy array or tensor.
        training: False (default) draws the inference selection; True the training one (with
            Gumbel noise for the learned samplers, so it changes from call to call).
        path: optional file name; the figure is also written there as a PNG (folders created).

    Returns:
        `matplotlib.figure.Figure` with one axes, labelled "sampling_matrix", showing P as an image.

    Example:
        >>> import numpy as np
        >>> from das_keras.layers import UniformSampler
        >>> layer = UniformSampler(k=4)
        >>> fig = plot_sampling_matrix(layer, np.random.rand(12, 16, 16, 1))
        >>> fig.axes[0].get_label()
        'sampling_matrix'
    """
    if not isinstance(training, bool | np.bool_):
        raise ValueError(f"`training` must be True or False; received training={training!r}.")
    sampler = _sampler_of(sampler_or_model)
    volume = _check_volume(volume, sampler_or_model)
    indices, matrix = _select(sampler, volume, bool(training))
    k, num_slices = matrix.shape
    Figure = _figure_class()
    fig = Figure(
        figsize=(min(16.0, max(5.5, 0.26 * num_slices + 2.0)), max(2.6, 0.3 * k + 1.8)),
        layout="constrained",
    )
    ax = fig.add_subplot(label="sampling_matrix")
    ax.imshow(matrix, cmap="Oranges", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    fontsize = 8 if num_slices <= 32 else 6
    for row, t in enumerate(indices):
        ax.text(t, row, str(t), ha="center", va="center", color="white", fontsize=fontsize)
    ax.set_xticks(np.arange(-0.5, num_slices, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, k, 1.0), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set_xticks(_ticks(num_slices))
    ax.set_yticks(_ticks(k))
    ax.set_xlabel("slice index t")
    ax.set_ylabel("row j of P\n(j-th chosen slice)")
    mode = "training (with Gumbel noise)" if training else "inference"
    fig.suptitle(
        f"Sampling matrix P of {type(sampler).__name__}, {mode}: k = {k} of T = {num_slices}\n"
        + _wrap(f"chosen slices: {indices.tolist()}"),
        fontsize=10,
    )
    _save(fig, path)
    return fig


def plot_slice_montage(
    sampler_or_model, volume, path=None, max_columns=8, highlight=None, highlight_label="reference"
):
    """Draws all T slices of one input as thumbnails, the chosen ones outlined.

    For a `DASLayer` a curve beneath the thumbnails shows its attention over the slices:
    softmax(a_base) over T (the layer itself works on the unnormalised logits a_base; the softmax
    is for display). For a `DPSLayer` the curve is the softmax of its learned logits, the same for
    every input. Other samplers have no per-slice score and get no curve.

    Args:
        sampler_or_model: a sampler layer, or a `keras.Model` containing a layer named "sampler".
        volume: one input, (T, H, W, C), NumPy array or tensor. C = 3 is shown in colour, any
            other C as the mean over channels in grey; all slices share one intensity scale.
        path: optional file name; the figure is also written there as a PNG (folders created).
        max_columns: int >= 1, thumbnails per row.
        highlight: optional slice indices known to matter (e.g. where the lesion is), marked with
            a green corner tag and shaded on the attention curve.
        highlight_label: what the highlighted slices are, for the legend.

    Returns:
        `matplotlib.figure.Figure`. Its axes are labelled "slice_<t>" (one per slice, t = 0 .. T-1)
        and, for DAS and DPS, "attention" (the curve, last).

    Example:
        >>> import numpy as np
        >>> from das_keras.models import build_classifier
        >>> model = build_classifier((12, 16, 16, 1), 2, sampler="das", k=4, backbone="small_cnn")
        >>> fig = plot_slice_montage(model, np.random.rand(12, 16, 16, 1), path="montage.png")
        >>> [ax.get_label() for ax in fig.axes][-1]
        'attention'
    """
    _check_int(max_columns, "max_columns", 1)
    sampler = _sampler_of(sampler_or_model)
    volume = _check_volume(volume, sampler_or_model)
    num_slices = volume.shape[0]
    highlight = _check_highlight(highlight, num_slices)
    indices, _ = _select(sampler, volume, False)
    chosen = set(indices.tolist())
    scores = _slice_scores(sampler, volume)

    columns = min(max_columns, num_slices)
    rows = math.ceil(num_slices / columns)
    curve_height = 2.2 if scores is not None else 0.0
    Figure = _figure_class()
    fig = Figure(
        figsize=(max(6.0, 1.3 * columns + 0.3), 1.45 * rows + curve_height + 0.9),
        layout="constrained",
    )
    height_ratios = [1.45] * rows + ([curve_height] if scores is not None else [])
    grid = fig.add_gridspec(len(height_ratios), columns, height_ratios=height_ratios)
    low, high = _display_range(volume)
    for t in range(num_slices):
        ax = fig.add_subplot(grid[t // columns, t % columns], label=f"slice_{t}")
        _show_slice(ax, volume, t, low, high)
        if t in chosen:
            _outline(ax, CHOSEN_COLOR, 3.0)
            ax.set_title(f"t={t} chosen", fontsize=8, color=CHOSEN_COLOR, fontweight="bold")
        else:
            _outline(ax, "#bbbbbb", 0.8)
            ax.set_title(f"t={t}", fontsize=8, color="#555555")
        if t in highlight:
            ax.add_patch(_corner_tag(ax))

    if scores is not None:
        values, label = scores
        ax = fig.add_subplot(grid[rows, :], label="attention")
        t_axis = np.arange(num_slices)
        for i, t in enumerate(sorted(highlight)):
            ax.axvspan(
                t - 0.5,
                t + 0.5,
                color=HIGHLIGHT_COLOR,
                alpha=0.18,
                lw=0,
                label=highlight_label if i == 0 else None,
            )
        ax.axhline(1.0 / num_slices, color="#999999", ls="--", lw=1, label="uniform, 1/T")
        ax.plot(t_axis, values, "-o", color=CURVE_COLOR, ms=3, lw=1.5, label="softmax over T")
        ax.scatter(
            indices, values[indices], s=45, color=CHOSEN_COLOR, zorder=3, label="chosen slices"
        )
        ax.set_xlim(-0.5, num_slices - 0.5)
        ax.set_ylim(0.0, max(1.15 * float(values.max()), 2.0 / num_slices))
        ax.set_xticks(_ticks(num_slices))
        ax.set_xlabel("slice index t")
        ax.set_ylabel("softmax over T")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=7, loc="best", ncols=2)
        ax.grid(alpha=0.3)

    k = len(indices)
    title = (
        f"{type(sampler).__name__}: the k = {k} of T = {num_slices} slices it chose, "
        "outlined in orange"
    )
    if highlight:
        title += f"; green tag: {highlight_label}"
    fig.suptitle(title, fontsize=10)
    _save(fig, path)
    return fig


def compare_samplers(
    samplers_or_models, volume, path=None, thumbnails=1, highlight=None, highlight_label="reference"
):
    """Shows the slices several samplers chose on the same input, one row per sampler.

    Each row is a strip over the slice index, the chosen cells filled and numbered; beside it,
    optionally, thumbnails of some of the chosen slices: for DAS (DPS) those with the highest
    attention (logits), for the other samplers ones spread evenly over the chosen slices.

    Args:
        samplers_or_models: dict, display name -> sampler layer or `keras.Model` containing a
            layer named "sampler"; all must accept `volume`. Rows follow the dict's order.
        volume: one input, (T, H, W, C), NumPy array or tensor.
        path: optional file name; the figure is also written there as a PNG (folders created).
        thumbnails: int >= 0, chosen slices shown as thumbnails per sampler (0: none).
        highlight: optional slice indices known to matter; drawn as an extra first row.
        highlight_label: the name of that row.

    Returns:
        `matplotlib.figure.Figure`. Its axes are labelled "row:<name>" (one per sampler, in order),
        "row:<highlight_label>" when `highlight` is given (first), and "thumbnail:<name>:<i>"
        for the thumbnails.

    Example:
        >>> import numpy as np
        >>> from das_keras.layers import RandomSampler, UniformSampler
        >>> fig = compare_samplers(
        ...     {"uniform": UniformSampler(k=4), "random": RandomSampler(k=4)},
        ...     np.random.rand(12, 16, 16, 1),
        ... )
        >>> [ax.get_label() for ax in fig.axes if ax.get_label().startswith("row:")]
        ['row:uniform', 'row:random']
    """
    if not isinstance(samplers_or_models, dict) or not samplers_or_models:
        raise ValueError(
            "`samplers_or_models` must be a non-empty dict, name -> sampler layer or model; "
            f"received {_describe(samplers_or_models)}."
        )
    _check_int(thumbnails, "thumbnails", 0)
    volume = _check_volume(volume, None)
    num_slices = volume.shape[0]
    highlight = _check_highlight(highlight, num_slices)
    selections = {}
    for name, item in samplers_or_models.items():
        label = f"samplers_or_models[{name!r}]"
        sampler = _sampler_of(item, label)
        _check_volume(volume, item, label=f"`volume` (for {label})")
        indices = _select(sampler, volume, False)[0]
        shown = _thumbnail_slices(indices, _slice_scores(sampler, volume), thumbnails)
        selections[str(name)] = (type(sampler).__name__, indices, shown)

    rows = [(highlight_label, None, sorted(highlight), [])] if highlight else []
    rows += [(name, *selection) for name, selection in selections.items()]
    strip_width = min(14.0, max(6.0, 0.24 * num_slices))
    row_height = 1.05 if thumbnails else 0.55
    Figure = _figure_class()
    fig = Figure(
        figsize=(strip_width + 1.9 + 1.05 * thumbnails, row_height * len(rows) + 1.3),
        layout="constrained",
    )
    grid = fig.add_gridspec(
        len(rows), 1 + thumbnails, width_ratios=[strip_width] + [1.0] * thumbnails
    )
    low, high = _display_range(volume)
    from matplotlib.colors import ListedColormap

    strip_axes = []
    for r, (name, cls, indices, shown) in enumerate(rows):
        is_reference = cls is None
        color = HIGHLIGHT_COLOR if is_reference else CHOSEN_COLOR
        ax = fig.add_subplot(
            grid[r, 0], label=f"row:{name}", sharex=strip_axes[0] if strip_axes else None
        )
        strip_axes.append(ax)
        cells = np.zeros((1, num_slices))
        cells[0, indices] = 1.0
        ax.imshow(
            cells,
            cmap=ListedColormap([EMPTY_COLOR, color]),
            vmin=0,
            vmax=1,
            aspect="auto",
            interpolation="nearest",
        )
        if num_slices <= 64:
            for t in indices:
                ax.text(t, 0, str(t), ha="center", va="center", color="white", fontsize=7)
        ax.set_xticks(np.arange(-0.5, num_slices, 1.0), minor=True)
        ax.grid(which="minor", axis="x", color="white", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        ax.set_yticks(
            [0], [name if is_reference else f"{name}\n{cls}, k={len(indices)}"], fontsize=8
        )
        ax.tick_params(axis="x", labelbottom=r == len(rows) - 1)
        if not is_reference:
            for i, t in enumerate(shown):
                thumb = fig.add_subplot(grid[r, 1 + i], label=f"thumbnail:{name}:{i}")
                _show_slice(thumb, volume, t, low, high)
                _outline(thumb, CHOSEN_COLOR, 1.5)
                thumb.set_title(f"t={t}", fontsize=7, pad=2)
                if t in highlight:
                    thumb.add_patch(_corner_tag(thumb))
    strip_axes[-1].set_xticks(_ticks(num_slices))
    strip_axes[-1].set_xlabel("slice index t")
    title = "Slices chosen for the same input, one row per sampler (filled, with the slice index)"
    if thumbnails:
        title += (
            "\nright: chosen slices (DAS, DPS: those with the highest attention / logits; others: "
            "spread over the chosen ones)"
        )
    fig.suptitle(title, fontsize=10)
    _save(fig, path)
    return fig


def plot_history(history_or_log_csv, path=None, metrics=("loss", "accuracy")):
    """Draws training curves, training and validation, one panel per metric.

    The best validation epoch of each metric (lowest for losses and errors, highest otherwise) is
    marked.

    Args:
        history_or_log_csv: a `keras.callbacks.History` (what `model.fit` returns), a dict
            {metric: [value per epoch]} (as `das_keras.training.train_run` returns), the path of a
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


# ------------------------------------------------------------------------------------- helpers


def _figure_class():
    from matplotlib.figure import Figure

    _enable_notebook_display()
    return Figure


def _enable_notebook_display():
    """In an IPython kernel (Colab, Jupyter), registers a PNG display for `Figure`, so a returned
    figure shows as the cell's output without `%matplotlib inline` (which matplotlib 3.11 no
    longer implies). Elsewhere it does nothing: no GUI backend is touched."""
    if "IPython" not in sys.modules:
        return
    try:
        from IPython.core.pylabtools import print_figure
        from matplotlib.figure import Figure

        shell = sys.modules["IPython"].get_ipython()
        if shell is not None and getattr(shell, "kernel", None) is not None:
            formatter = shell.display_formatter.formatters["image/png"]
            formatter.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))
    except Exception:  # noqa: BLE001  (display in notebooks is a convenience, never an error)
        pass


def _sampler_of(sampler_or_model, name="sampler_or_model"):
    """The sampler layer of a sampler layer or of a model with a layer named "sampler"."""
    import keras

    from das_keras.layers import BaseSampler

    if isinstance(sampler_or_model, BaseSampler):
        return sampler_or_model
    if isinstance(sampler_or_model, keras.Model):
        try:
            layer = sampler_or_model.get_layer("sampler")
        except ValueError:
            layer = None
        if isinstance(layer, BaseSampler):
            return layer
        found = [lay for lay in sampler_or_model.layers if isinstance(lay, BaseSampler)]
        if len(found) == 1:
            return found[0]
        raise ValueError(
            f"`{name}`: the model {sampler_or_model.name!r} has no sampler layer named "
            f"'sampler' (it has {len(found)} sampler layers under other names); pass the sampler "
            "layer itself, e.g. model.get_layer(NAME)."
        )
    raise ValueError(
        f"`{name}` must be a sampler layer (das_keras.layers.BaseSampler) or a keras.Model "
        f"containing a layer named 'sampler'; received {_describe(sampler_or_model)}."
    )


def _check_volume(volume, sampler_or_model, label="`volume`"):
    """One input as a float32 (T, H, W, C) array, checked against what the sampler expects."""
    if hasattr(volume, "numpy") and not isinstance(volume, np.ndarray):
        volume = volume.numpy()
    try:
        array = np.asarray(volume)
    except Exception:  # noqa: BLE001  (anything that is not array-like)
        array = None
    if array is None or array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"{label} must be a numeric array or tensor of shape (T, H, W, C); received "
            f"{_describe(volume)}."
        )
    if array.ndim != 4 or min(array.shape) < 1:
        hint = " (a batch: pass one element, volume[0])" if array.ndim == 5 else ""
        if array.ndim == 3:
            hint = " (for one channel add it: volume[..., None])"
        raise ValueError(
            f"{label} must be one input of shape (T, H, W, C), e.g. (32, 32, 32, 1); received "
            f"shape {array.shape}{hint}."
        )
    expected = _expected_shape(sampler_or_model)
    mismatch = expected is not None and any(
        e is not None and e != s for e, s in zip(expected, array.shape)
    )
    if mismatch:
        shown = tuple("?" if e is None else e for e in expected)
        raise ValueError(
            f"{label} has shape {array.shape}, but the sampler or model expects (T, H, W, C) = "
            f"{shown}."
        )
    return array.astype("float32", copy=False)


def _expected_shape(sampler_or_model):
    import keras

    from das_keras.layers import BaseSampler

    if isinstance(sampler_or_model, keras.Model):
        try:
            shape = sampler_or_model.input_shape
        except (AttributeError, ValueError):  # a subclassed model not built yet
            return None
        if isinstance(shape, tuple) and len(shape) == 5:
            return tuple(shape[1:])
        return None
    if isinstance(sampler_or_model, BaseSampler) and sampler_or_model.num_slices is not None:
        return (sampler_or_model.num_slices, None, None, None)
    return None


def _select(sampler, volume, training):
    """(indices (k,), P (k, T)) as NumPy arrays for one input."""
    indices, matrix = sampler.select(volume[None], training=training)
    return _numpy(indices)[0].astype(int), _numpy(matrix)[0]


def _slice_scores(sampler, volume):
    """(softmax over T (T,), description) for DAS and DPS; None for the other samplers."""
    from das_keras.layers import DASLayer, DPSLayer

    if isinstance(sampler, DASLayer):
        logits = sampler.attention(volume[None])
        label = "DAS attention over the slices: softmax of a_base over T (display only)"
    elif isinstance(sampler, DPSLayer):
        logits = sampler.selection_logits(volume[None])
        label = "DPS learned logits, softmax over T (display only; the same for every input)"
    else:
        return None
    logits = _numpy(logits)[0].astype("float64")
    values = np.exp(logits - logits.max())
    return values / values.sum(), label


def _numpy(tensor):
    """A tensor as a NumPy array (`.numpy()` where it has one: no copy-keyword warning)."""
    if hasattr(tensor, "numpy"):
        return np.asarray(tensor.numpy())
    from keras import ops

    return ops.convert_to_numpy(tensor)


def _history_logs(history):
    from das_keras.training import read_log

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


def _check_highlight(highlight, num_slices):
    if highlight is None:
        return set()
    if isinstance(highlight, int | np.integer):
        highlight = [highlight]
    try:
        values = [int(t) for t in highlight if float(t) == int(t)]
        complete = len(values) == len(list(highlight))
    except (TypeError, ValueError):
        complete = False
    if not complete or any(t < 0 or t >= num_slices for t in values):
        raise ValueError(
            f"`highlight` must be slice indices in [0, {num_slices - 1}]; received {highlight!r}."
        )
    return set(values)


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}; received {name}={value!r}.")


def _display_range(volume):
    low, high = np.percentile(volume, [0.5, 99.5])
    return float(low), float(high if high > low else low + 1.0)


def _show_slice(ax, volume, t, low, high):
    image = volume[t]
    if image.shape[-1] == 3:
        ax.imshow(np.clip((image - low) / (high - low), 0.0, 1.0), interpolation="nearest")
    else:
        ax.imshow(image.mean(-1), cmap="gray", vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _outline(ax, color, width):
    for spine in ax.spines.values():
        spine.set_edgecolor(color)
        spine.set_linewidth(width)


def _corner_tag(ax):
    from matplotlib.patches import Rectangle

    return Rectangle((0.0, 0.78), 0.22, 0.22, transform=ax.transAxes, color=HIGHLIGHT_COLOR)


def _spread(indices, n):
    """n of the chosen indices, spread evenly (1: the middle one)."""
    indices = list(indices)
    if n >= len(indices):
        return indices
    # the middle of each of n equal parts of the chosen list: distinct, as k / n > 1
    return [indices[int((i + 0.5) * len(indices) / n)] for i in range(n)]


def _thumbnail_slices(indices, scores, n):
    """n chosen slices to show: those with the highest scores where the sampler has scores
    (DAS attention, DPS logits), else spread evenly over the chosen ones; in slice order."""
    if scores is None or n >= len(indices):
        return _spread(indices, n)
    values = scores[0]
    return sorted(sorted(indices, key=lambda t: -values[t])[:n])


def _ticks(n):
    step = 1 if n <= 16 else 2 if n <= 32 else 4 if n <= 64 else 8
    return list(range(0, n, step))


def _wrap(text, width=110):
    return "\n".join(textwrap.wrap(text, width))


def _describe(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}{'...' if len(text) > 80 else ''}"


def _save(fig, path):
    if path is None:
        return
    if not isinstance(path, str | os.PathLike):
        raise ValueError(f"`path` must be a file name or None; received {_describe(path)}.")
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=110, format=None if os.path.splitext(path)[1] else "png")
