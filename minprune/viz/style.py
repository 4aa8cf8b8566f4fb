"""What every figure of minprune shares: the plot contract, the colours, the Axes helpers.

Single-panel functions return the ``matplotlib.axes.Axes`` they drew on and
accept ``ax=`` to draw into an existing one; multi-panel functions return the
``Figure`` and accept ``ax=`` as a sequence of Axes, one per panel. Nothing
calls ``plt.show()``: a notebook cell shows the figure by itself, a script saves
it with ``ax.figure.savefig(...)``. Anything drawn at random comes from a
``seed`` argument, so the same call draws the same picture.

Colours are the Okabe-Ito palette, readable with the common colour-vision
deficiencies: blue for positive weights, vermillion for negative ones.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

POSITIVE = "#0072B2"
NEGATIVE = "#D55E00"
PRUNED = "#9a9a9a"
INK = "#333333"
# Okabe-Ito, for class colours
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
# Fractions as percentages without trailing zeros: 0.95 -> "95%", 0.975 -> "97.5%".
_PERCENT = FuncFormatter(lambda v, _: f"{100 * v:.4g}%")


# --------------------------------------------------------------------- helpers
def _axes(ax, figsize):
    """The given Axes, or a new figure with one Axes."""
    if ax is None:
        return plt.subplots(figsize=figsize, layout="constrained")[1]
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _axes_list(ax, n, figsize):
    """`n` Axes in a row: new ones, or the `n` given in `ax`."""
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, layout="constrained", squeeze=False)
        return fig, list(axes[0])
    axes = list(np.ravel(ax)) if not isinstance(ax, Axes) else [ax]
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        raise TypeError(f"ax must be None or a sequence of {n} matplotlib Axes (one per panel), "
                        f"got {ax!r}")
    return axes[0].figure, axes


def _fmt(n):
    return f"{n:,}"
