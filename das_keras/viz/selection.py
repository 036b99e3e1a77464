"""Figures of which slices a sampler chose: the sampling matrix, a montage, a comparison."""

import math

import numpy as np

from das_keras import checks
from das_keras.viz.common import (
    CHOSEN_COLOR,
    CURVE_COLOR,
    EMPTY_COLOR,
    HIGHLIGHT_COLOR,
    _check_highlight,
    _check_volume,
    _corner_tag,
    _describe,
    _display_range,
    _figure_class,
    _outline,
    _sampler_of,
    _save,
    _select,
    _show_slice,
    _slice_scores,
    _ticks,
    _wrap,
    matplotlib_module,
)


def plot_sampling_matrix(sampler_or_model, volume, training=False, path=None):
    """Draws the sampling matrix P (k x T) that a sampler produced for one input.

    Row j of P is one-hot at the j-th chosen slice (rows in slice order); each filled cell carries
    its slice index.

    Args:
        sampler_or_model: a sampler layer, or a `keras.Model` containing a sampler layer.
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
        sampler_or_model: a sampler layer, or a `keras.Model` containing a sampler layer.
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
    checks.check_positive_int(max_columns, "max_columns")
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
            sampler layer; all must accept `volume`. Rows follow the dict's order.
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
    checks.check_positive_int(thumbnails, "thumbnails", minimum=0)
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
    ListedColormap = matplotlib_module("colors").ListedColormap

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
