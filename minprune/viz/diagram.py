"""The network diagram: every neuron and connection of a (pruned) MLP in one picture.

Pruned connections are drawn faded (or hidden), neurons cut off from the input
or the output (not live, see :mod:`minprune.pruning.units`) hollow. It follows
the plot contract of :mod:`minprune.viz.style`.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.transforms import offset_copy

from .._validation import validate_choice, validate_int, validate_seed
from ..metrics import sparsity
from ..model import validate_model
from ..pruning.units import live_units
from .style import INK, NEGATIVE, POSITIVE, PRUNED, _axes, _fmt


def _removed_units(model):
    """Per column of neurons (input, hidden..., output): True where the unit is removed (not live).

    Dead means not in :func:`~minprune.pruning.units.live_units`: the units
    :func:`minprune.shrink` removes and :func:`minprune.report` does not count as
    active. Inputs and outputs are never removed.
    """
    dead = [~keep for keep in live_units(model)]
    return ([np.zeros(model.n_features, dtype=bool)] + dead
            + [np.zeros(model.n_classes, dtype=bool)])


def _spread(n, k):
    """`k` indices spread evenly over ``0 .. n - 1`` (all of them when ``k >= n``)."""
    if k >= n:
        return np.arange(n)
    return np.round(np.linspace(0, n - 1, k)).astype(int)


# -------------------------------------------------------------- network diagram
@dataclass(frozen=True)
class DiagramCounts:
    """What :func:`network_diagram` drew; attached to its Axes as ``ax.diagram_counts``.

    Attributes
    ----------
    neurons_total, neurons_shown : tuple of int
        Per column of neurons (input, hidden..., output): how many the model has,
        how many circles were drawn.
    removed_total, removed_shown : int
        Dead units in the model (hidden units not in
        :func:`~minprune.pruning.units.live_units`), and hollow circles drawn.
    connections_total, connections_active : int
        Weights in the model, and how many are not pruned.
    candidates_active, candidates_pruned : int
        Unpruned and pruned weights between the neurons that are shown.
    drawn_active, drawn_pruned : int
        Lines drawn for each (fewer than the candidates when sampled).
    """

    neurons_total: tuple
    neurons_shown: tuple
    removed_total: int
    removed_shown: int
    connections_total: int
    connections_active: int
    candidates_active: int
    candidates_pruned: int
    drawn_active: int
    drawn_pruned: int

    @property
    def sampled(self):
        """True when some connections between shown neurons were left out at random."""
        return (self.drawn_active < self.candidates_active
                or self.drawn_pruned < self.candidates_pruned)

    @property
    def complete(self):
        """True when every neuron and every unpruned connection of the model is drawn."""
        return (self.neurons_shown == self.neurons_total
                and self.drawn_active == self.connections_active)


def _column_names(model):
    n_hidden = len(model.layers) - 1
    return ["input"] + [f"hidden {i + 1}" for i in range(n_hidden)] + ["output"]


def network_diagram(model, *, max_neurons_per_layer=16, max_connections=400, pruned="faded",
                    seed=0, title=None, legend=True, ax=None):
    """Draw the network as circles and lines, with its pruned parts faded or hollow.

    Neurons are circles: filled while they still pass information from the input
    to the output, hollow once they are *removed*: cut off from the input or the output, whether
    by neuron pruning or by weight pruning. Removed means exactly what
    :func:`minprune.shrink` removes and what :func:`minprune.report` leaves out
    of its active-neuron count (see :func:`~minprune.pruning.units.live_units`):
    a hidden unit none of whose outgoing weights reaches a live unit, or none of
    whose incoming weights comes from one. So weight pruning alone can remove
    neurons, and a neuron whose bias alone is masked stays. (Not to be confused
    with a "dead ReLU", a live unit whose activation happens to be 0 on the data.)
    Inputs and outputs are never removed. Lines still drawn at a hollow circle are unpruned
    weights that carry nothing about the input any more.

    Connections are lines coloured by the sign of the weight, wider and darker
    for larger |w| (scaled per layer). Pruned connections are light grey
    dashes, or not drawn with ``pruned="hidden"``.

    Wide layers are thinned so the picture stays readable: at most
    `max_neurons_per_layer` neurons, spread evenly over the layer, are drawn per
    column, with only the connections between them; when more than
    `max_connections` unpruned connections remain, a random sample of that many
    is drawn (and as many pruned ones at most). The subtitle says so, in lines
    short enough for two or three diagrams side by side.

    Parameters
    ----------
    model : MLP
    max_neurons_per_layer : int
        Circles per column, >= 2.
    max_connections : int
        Lines per kind (unpruned, pruned), >= 1.
    pruned : {"faded", "hidden"}
        How pruned connections are shown.
    seed : int or np.random.Generator
        Seeds the sampling of connections.
    title : str, optional
        Default: the layer sizes and the sparsity; ``""`` for none.
    legend : bool
        Draw the legend below the network (two columns, narrower than a
        diagram, so side-by-side diagrams each keep their own).
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        With ``ax.diagram_counts``, a :class:`DiagramCounts` of what was drawn.
    """
    validate_model(model)
    k_max = validate_int(max_neurons_per_layer, "max_neurons_per_layer", minimum=2)
    max_connections = validate_int(max_connections, "max_connections", minimum=1)
    validate_choice(pruned, "pruned", ("faded", "hidden"))
    rng = validate_seed(seed)
    sizes = model.layer_sizes
    ax = _axes(ax, figsize=(1.9 * len(sizes) + 1.6, 6.2))
    shown, ys, step = _layout(sizes, k_max)
    lines = _sample_connections(model, shown, ys, max_connections, pruned, rng)
    _draw_connections(ax, *lines[:4])
    removed = _removed_units(model)
    n_label_lines, n_dead_shown = _draw_neurons(ax, model, shown, ys, step, removed)
    act_segs, _, _, pru_segs, n_act, n_pru = lines
    counts = DiagramCounts(
        neurons_total=tuple(sizes), neurons_shown=tuple(len(s) for s in shown),
        removed_total=int(sum(r.sum() for r in removed)), removed_shown=n_dead_shown,
        connections_total=int(sum(layer.mask.size for layer in model.layers)),
        connections_active=int(sum(np.count_nonzero(layer.mask) for layer in model.layers)),
        candidates_active=n_act, candidates_pruned=n_pru,
        drawn_active=len(act_segs), drawn_pruned=len(pru_segs))
    ax.diagram_counts = counts
    bottom = -(max(len(s) for s in shown) - 1) / 2 * step
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(bottom - 0.06, -bottom + 0.06)
    ax.set_axis_off()
    _draw_titles(ax, model, counts, title)
    if legend:
        # Below the column labels: their height in points, in legend-font units.
        below = (_LABEL_GAP + n_label_lines * 8.5 * 1.4) / 8.5
        ax.legend(handles=_diagram_handles(pruned), loc="upper center", ncol=2, frameon=False,
                  bbox_to_anchor=(0.5, 0.0), borderaxespad=below, fontsize=8.5,
                  columnspacing=1.2, handlelength=1.8)
    return ax


def _layout(sizes, k_max):
    """Which neurons each column shows, their heights, and the spacing between circles."""
    shown = [_spread(n, k_max) for n in sizes]
    # Geometry: columns at x = 0, 1, ...; circles at a shared spacing, centred.
    tallest = max(len(s) for s in shown)
    step = 1.0 / max(tallest - 1, 1)
    ys = [(np.arange(len(s))[::-1] - (len(s) - 1) / 2) * step for s in shown]
    return shown, ys, step


def _sample_connections(model, shown, ys, max_connections, pruned, rng):
    """Lines between the shown neurons: unpruned ones (with their weights) and pruned ones.

    Returns ``(act_segs, act_w, act_scale, pru_segs, n_act, n_pru)``: at most
    `max_connections` of each kind, sampled with `rng`, and how many there were.
    """
    def segments(i, r, c):  # lines from neuron r of column i to neuron c of column i + 1
        return np.stack([np.column_stack([np.full(r.size, i), ys[i][r]]),
                         np.column_stack([np.full(r.size, i + 1), ys[i + 1][c]])], axis=1)

    act_segs, act_w, act_scale, pru_segs = [], [], [], []
    for i, layer in enumerate(model.layers):
        sub_mask = layer.mask[np.ix_(shown[i], shown[i + 1])]
        r, c = np.nonzero(sub_mask)
        act_segs.append(segments(i, r, c))
        act_w.append(layer.W[shown[i][r], shown[i + 1][c]].astype(float))
        # Widths are relative to the layer's own large weights (99th percentile of |w|).
        alive = np.abs(layer.W[layer.mask])
        scale = float(np.percentile(alive, 99)) if alive.size else 0.0
        act_scale.append(np.full(r.size, scale if scale > 0 else 1.0))
        pru_segs.append(segments(i, *np.nonzero(~sub_mask)))
    act_segs, act_w = np.concatenate(act_segs), np.concatenate(act_w)
    act_scale, pru_segs = np.concatenate(act_scale), np.concatenate(pru_segs)
    n_act, n_pru = len(act_segs), len(pru_segs)
    if n_act > max_connections:
        keep = np.sort(rng.choice(n_act, size=max_connections, replace=False))
        act_segs, act_w, act_scale = act_segs[keep], act_w[keep], act_scale[keep]
    if pruned == "hidden":
        pru_segs = pru_segs[:0]
    elif n_pru > max_connections:
        pru_segs = pru_segs[np.sort(rng.choice(n_pru, size=max_connections, replace=False))]
    return act_segs, act_w, act_scale, pru_segs, n_act, n_pru


def _draw_connections(ax, act_segs, act_w, act_scale, pru_segs):
    """Pruned lines first, then unpruned ones, weakest first so strong ones sit on top."""
    if len(pru_segs):
        ghost = LineCollection(pru_segs, colors=PRUNED, linewidths=0.6, linestyles=(0, (3, 3)),
                               alpha=0.35, zorder=1, gid="pruned connections")
        ax.add_collection(ghost)
    strength = np.clip(np.abs(act_w) / act_scale, 0, 1)
    order = np.argsort(strength, kind="stable")
    rgba = np.where((act_w[order] >= 0)[:, None], to_rgba(POSITIVE), to_rgba(NEGATIVE))
    rgba[:, 3] = 0.2 + 0.75 * strength[order]
    lines = LineCollection(act_segs[order], colors=rgba, linewidths=0.4 + 2.6 * strength[order],
                           zorder=2, gid="connections")
    ax.add_collection(lines)


def _draw_neurons(ax, model, shown, ys, step, removed):
    """Circles (hollow where a unit is removed), column labels and class numbers.

    Returns the number of lines of the tallest column label and of hollow circles drawn.
    """
    sizes = model.layer_sizes
    tallest = max(len(s) for s in shown)
    area = min(260.0, 3600.0 / tallest)  # marker area in pt^2, smaller for tall columns
    bottom = -(tallest - 1) / 2 * step
    alive_xy, dead_xy = [], []
    n_label_lines = 0
    below_circles = offset_copy(ax.transData, fig=ax.figure, y=-_LABEL_GAP, units="points")
    for i, (idx, y) in enumerate(zip(shown, ys)):
        dead = removed[i][idx]
        alive_xy.append(np.column_stack([np.full((~dead).sum(), i), y[~dead]]))
        dead_xy.append(np.column_stack([np.full(dead.sum(), i), y[dead]]))
        label = _column_names(model)[i] + f"\n{_fmt(sizes[i])} neurons"
        if len(idx) < sizes[i]:
            label += f"\n{len(idx)} shown"
        n_dead = int(removed[i].sum())
        if n_dead:
            label += f"\n{_fmt(n_dead)} removed"
        n_label_lines = max(n_label_lines, label.count("\n") + 1)
        # A fixed distance in points below the lowest circle, so the labels never meet
        # the legend, whatever the size of the axes.
        ax.text(i, bottom, label, transform=below_circles, ha="center", va="top", fontsize=8.5,
                color=INK, linespacing=1.4, clip_on=False, gid="column label")
    beside = offset_copy(ax.transData, fig=ax.figure, x=np.sqrt(area) / 2 + 3, units="points")
    for j, y in zip(shown[-1], ys[-1]):  # output units are the classes
        ax.text(len(sizes) - 1, y, str(j), transform=beside, ha="left", va="center", fontsize=8,
                color="#555555", gid="class")
    alive_xy, dead_xy = np.concatenate(alive_xy), np.concatenate(dead_xy)
    ax.scatter(alive_xy[:, 0], alive_xy[:, 1], s=area, facecolor=INK, edgecolor="white",
               linewidth=1.0, zorder=3, gid="neurons")
    ax.scatter(dead_xy[:, 0], dead_xy[:, 1], s=area, facecolor="white", edgecolor=PRUNED,
               linewidth=1.4, zorder=3, gid="pruned neurons")
    return n_label_lines, len(dead_xy)


def _draw_titles(ax, model, counts, title):
    """The title (default: sizes and sparsity) and, below it, the subtitle of counts."""
    sizes = model.layer_sizes
    if title is None:
        title = f"MLP {' → '.join(map(str, sizes))}: " + (
            f"{sparsity(model):.1%} of weights pruned" if counts.connections_total
            else "no weights left")  # a hidden layer with no units: shrink after pruning all
        if len(title) > _WRAP_TITLE:
            title = title.replace(": ", "\n", 1)
    subtitle = _diagram_subtitle(counts)
    if title:
        # The subtitle sits between the title and the circles: lift the title above it.
        pad = 8 + (subtitle.count("\n") + 1) * 8.5 * 1.25 + 6
        ax.set_title(title, fontsize=12, color=INK, pad=pad)
    ax.text(0.5, 1.0, subtitle, transform=offset_copy(ax.transAxes, fig=ax.figure, y=8,
                                                      units="points"),
            ha="center", va="bottom", fontsize=8.5, color="#555555", linespacing=1.25,
            gid="subtitle")


_LABEL_GAP = 10  # points between the lowest circle and the column labels
# Characters per line of the diagram's subtitle (8.5 pt) and default title (12 pt): about
# 3.4 inches, so two or three diagrams fit side by side on a 13-inch-wide figure.
_WRAP, _WRAP_TITLE = 50, 36


def _diagram_handles(pruned):
    """Short labels in two columns: the legend stays narrower than one diagram."""
    lines = [Line2D([], [], color=POSITIVE, lw=2, label="weight > 0"),
             Line2D([], [], color=NEGATIVE, lw=2, label="weight < 0"),
             Line2D([], [], color=INK, lw=3.5, alpha=0.5, label="width ∝ |w|")]
    if pruned == "faded":
        lines.append(Line2D([], [], color=PRUNED, lw=1, ls=(0, (3, 3)), label="pruned weight"))
    return lines + [
        Line2D([], [], ls="", marker="o", ms=8, mfc=INK, mec="white", label="neuron"),
        Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec=PRUNED, mew=1.4,
               label="removed neuron")]


def _diagram_subtitle(c):
    """What was drawn, in lines of at most `_WRAP` characters."""
    thinned = c.neurons_shown != c.neurons_total
    between = " between them" if thinned else ""
    if c.drawn_active < c.candidates_active:
        drawn = (f"{_fmt(c.drawn_active)} of {_fmt(c.candidates_active)} remaining connections"
                 f"{between} drawn, sampled at random")
    elif c.connections_active == 0:
        drawn = "no connections remain"
    else:
        drawn = f"all {_fmt(c.candidates_active)} remaining connections{between} drawn"
    lines = [drawn]
    if thinned:
        lines = ([f"wide layers: {max(c.neurons_shown)} evenly spaced neurons shown"] + lines
                 + [f"(the model keeps {_fmt(c.connections_active)} of "
                    f"{_fmt(c.connections_total)} weights)"])
    return "\n".join(textwrap.fill(line, _WRAP, break_long_words=False, break_on_hyphens=False)
                     for line in lines)
