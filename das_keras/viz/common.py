"""What the figures share: finding the sampler, checking the input, drawing and saving.

matplotlib (the `viz` extra) is imported only when a figure is drawn, with an install hint.
"""

import importlib
import os
import sys
import textwrap

import keras
import numpy as np

from das_keras.layers import BaseSampler, DASLayer, DPSLayer
from das_keras.models import samplers_of

CHOSEN_COLOR = "#ff7f0e"
HIGHLIGHT_COLOR = "#2ca02c"
EMPTY_COLOR = "#ececec"
CURVE_COLOR = "#1f77b4"


def matplotlib_module(name):
    """Imports `matplotlib.<name>`, or raises an ImportError with the install hint."""
    try:
        return importlib.import_module(f"matplotlib.{name}")
    except ImportError as error:
        raise ImportError(
            f"das_keras.viz draws with matplotlib ({error}). Install it with "
            "`pip install das-keras[viz]` (or `pip install matplotlib`)."
        ) from error


def _figure_class():
    figure = matplotlib_module("figure")
    _enable_notebook_display()
    return figure.Figure


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
    """The sampler layer itself, or the (first) sampler of a model, found by its class."""
    if isinstance(sampler_or_model, BaseSampler):
        return sampler_or_model
    if isinstance(sampler_or_model, keras.Model):
        samplers = samplers_of(sampler_or_model)
        if samplers:
            return samplers[0]
        raise ValueError(
            f"`{name}`: the model {sampler_or_model.name!r} holds no sampler layer (a "
            "das_keras.layers.BaseSampler); pass a sampler layer or a model built with one."
        )
    raise ValueError(
        f"`{name}` must be a sampler layer (das_keras.layers.BaseSampler) or a keras.Model "
        f"containing one; received {_describe(sampler_or_model)}."
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
    return keras.ops.convert_to_numpy(tensor)


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
    return matplotlib_module("patches").Rectangle(
        (0.0, 0.78), 0.22, 0.22, transform=ax.transAxes, color=HIGHLIGHT_COLOR
    )


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
