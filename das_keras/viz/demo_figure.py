"""The demo's figure: where the object is, and which slices each sampler chose."""

import numpy as np

from das_keras import checks
from das_keras.viz.common import _figure_class, _save, matplotlib_module

# background, the slices holding the object, the slices a sampler chose
_COLORS = ("#f2f2f2", "#d62728", "#1f77b4")


def plot_selections(test, selections, num_slices, path=None, num_examples=4, object_slices=2):
    """Per test input, the slices that hold the object and those each sampler chose.

    Made for the synthetic task of `das-keras demo` (`das_keras.data.synthetic`), whose label
    lives in `object_slices` adjacent slices starting at a known depth.

    Args:
        test: dict with "depth" (N,) ints, the first slice holding the object, and "y" (N,)
            labels.
        selections: dict, sampler name -> int array (N, k) of the slices it chose.
        num_slices: T.
        path: optional file name; the figure is also written there as a PNG (folders created).
        num_examples: int >= 1, test inputs to show (the first ones; at most N).
        object_slices: int >= 1, slices holding the object from "depth" on.

    Returns:
        `matplotlib.figure.Figure`, one axes per input, labelled "input:<i>".

    Shapes:
        test["depth"], test["y"]: (N,); each selection: (N, k).

    Example:
        >>> import numpy as np
        >>> test = {"depth": np.array([3, 7]), "y": np.array([1, 0])}
        >>> fig = plot_selections(test, {"uniform": np.array([[1, 5], [1, 5]])}, 12, num_examples=2)
        >>> [ax.get_label() for ax in fig.axes]
        ['input:0', 'input:1']
    """
    num_slices = checks.check_positive_int(num_slices, "num_slices")
    num_examples = min(checks.check_positive_int(num_examples, "num_examples"), len(test["y"]))
    object_slices = checks.check_positive_int(object_slices, "object_slices")
    names = list(selections)
    colormap = matplotlib_module("colors").ListedColormap(list(_COLORS))
    fig = _figure_class()(
        figsize=(10, 1.1 + 0.45 * (len(names) + 1) * num_examples), layout="constrained"
    )
    for row in range(num_examples):
        ax = fig.add_subplot(num_examples, 1, row + 1, label=f"input:{row}")
        grid = np.zeros((len(names) + 1, num_slices))
        depth = int(test["depth"][row])
        grid[0, depth : depth + object_slices] = 1
        for j, name in enumerate(names):
            grid[j + 1, np.asarray(selections[name][row])] = 2
        ax.imshow(grid, cmap=colormap, vmin=0, vmax=2, aspect="auto", interpolation="nearest")
        ax.set_yticks(range(len(names) + 1), ["informative", *names])
        ax.set_xticks(range(0, num_slices, 4))
        ax.set_title(f"test input {row} (label {test['y'][row]})", fontsize=9)
    fig.axes[-1].set_xlabel("slice index")
    fig.suptitle("Red: slices holding the object. Blue: slices each sampler chose.", fontsize=10)
    _save(fig, path)
    return fig
