"""Figures that show which slices a sampler chose, and why.

Every function returns a `matplotlib.figure.Figure` and, given `path=`, also writes it as a PNG.
The figures are built without `matplotlib.pyplot`: no window opens, no backend has to be chosen
(saving uses Agg, with or without a display), nothing is kept alive in pyplot's figure registry,
and the library never calls `plt.show`. In a notebook (Colab, Jupyter) a returned figure shows as
the cell's output (write `fig` or `display(fig)`); elsewhere save it (`path=` or `fig.savefig`).

A sampler is given either as a sampler layer (`das_keras.layers.BaseSampler`) or as a model that
contains one (found by its class, `das_keras.models.sampler_of`, whatever its name). `volume` is
always one input, (T, H, W, C), a NumPy array or a tensor.

Functions:
    plot_sampling_matrix   P (k x T) of one input, the chosen slice written in each row
    plot_slice_montage     all T slices as thumbnails, the chosen ones outlined; for DAS (and DPS)
                           the attention over T beneath
    compare_samplers       several samplers on the same input, one row each
    plot_history           training curves from a keras History, a dict or a run's log.csv
    plot_selections        the demo's figure: per test input, the informative slices and the
                           slices each sampler chose

Modules: `common` (shared checks and drawing helpers), `selection`, `history`, `demo_figure`.
"""

from das_keras.viz.common import _numpy, _sampler_of, _save, _select  # noqa: F401  (used by CLI)
from das_keras.viz.demo_figure import plot_selections
from das_keras.viz.history import plot_history
from das_keras.viz.selection import compare_samplers, plot_sampling_matrix, plot_slice_montage

__all__ = [
    "compare_samplers",
    "plot_history",
    "plot_sampling_matrix",
    "plot_selections",
    "plot_slice_montage",
]
