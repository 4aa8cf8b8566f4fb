"""Pictures of pruning, drawn from real models and real measurements.

Every figure the course draws, following the plot contract of
:mod:`minprune.viz.style` (return the Axes or Figure, accept ``ax=``, never
``plt.show()``, seeded sampling, a colour-blind-safe palette). The network
diagram lives in :mod:`minprune.viz.diagram` and is available here too, as
``minprune.plots.network_diagram``.
"""
from __future__ import annotations

import numbers

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .._validation import validate_choice, validate_features, validate_int, validate_labels
from ..metrics import _si, sparsity
from ..model import MLP, validate_model
from ..training import History
from .diagram import DiagramCounts, network_diagram
from .style import (_PERCENT, INK, MARKERS, NEGATIVE, PALETTE, POSITIVE, PRUNED, _axes,
                    _axes_list, _fmt)


# ------------------------------------------------------------- weight histogram
def _weights(obj, layer, name):
    """(kept weights as a flat float array, number pruned) of a model or of arrays."""
    if isinstance(obj, MLP):
        layers = obj.layers
        if layer is not None:
            layer = validate_int(layer, "layer", minimum=-len(layers), maximum=len(layers) - 1)
            layers = [layers[layer]]
        kept = np.concatenate([lay.W[lay.mask].astype(float).ravel() for lay in layers])
        return kept, int(sum(lay.mask.size for lay in layers)) - kept.size
    if layer is not None:
        raise ValueError(f"layer applies only when {name} is an MLP, got {type(obj).__name__}")
    if isinstance(obj, (list, tuple)) and obj and all(hasattr(a, "shape") for a in obj):
        values = np.concatenate([np.asarray(a, dtype=float).ravel() for a in obj])
    else:
        try:
            values = np.asarray(obj, dtype=float).ravel()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an MLP or an array of weights, "
                            f"got {type(obj).__name__}") from exc
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError(f"{name} must hold at least one weight, all finite")
    # Without masks, exact zeros are taken to be the pruned weights.
    return values[values != 0], int(np.count_nonzero(values == 0))


def weight_histogram(model_or_weights, *, before=None, layer=None, bins=60, log=False, ax=None):
    """Histogram of the weights that remain, with the weights before pruning behind it.

    Magnitude pruning cuts a gap around zero: the weights that remain are the
    large ones. Pruned weights are exact zeros; drawing them as a bar at zero
    would hide the gap, so they are counted in the legend instead.

    Parameters
    ----------
    model_or_weights : MLP, ndarray or list of ndarray
        An MLP (its masks say what is pruned), or raw weights (exact zeros are
        taken as pruned).
    before : MLP, ndarray or list of ndarray, optional
        The weights before pruning, drawn as a grey outline on the same bins.
    layer : int, optional
        Only this layer of the model(s). Default: all weight matrices.
    bins : int
        Number of bins, >= 2, spread symmetrically around zero.
    log : bool
        Logarithmic count axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        The "after" histogram is the step patch labelled ``after``: its heights
        add up to the number of kept weights.
    """
    kept, n_pruned = _weights(model_or_weights, layer, "model_or_weights")
    bins = validate_int(bins, "bins", minimum=2)
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {log!r}")
    prior = None if before is None else _weights(before, layer, "before")
    ax = _axes(ax, figsize=(7, 4))
    span = max([np.abs(kept).max() if kept.size else 0.0]
               + ([np.abs(prior[0]).max()] if prior is not None and prior[0].size else []))
    edges = np.linspace(-span, span, bins + 1) if span > 0 else np.linspace(-1, 1, bins + 1)
    baseline = 0.8 if log else 0
    if prior is not None:
        counts, _ = np.histogram(prior[0], edges)
        ax.stairs(counts, edges, fill=True, color="#d9d9d9", baseline=baseline, label=(
            f"before: {_fmt(prior[0].size)} weights"), gid="before")
    counts, _ = np.histogram(kept, edges)
    total = kept.size + n_pruned
    ax.stairs(counts, edges, fill=True, color=POSITIVE, alpha=0.85, baseline=baseline,
              label=f"after: {_fmt(kept.size)} kept", gid="after")
    ax.axvline(0, color=INK, lw=0.6, ls=":")
    share = f" ({n_pruned / total:.1%})" if total else ""  # a zero-width layer has no weights
    ax.plot([], [], ls="", label=f"+ {_fmt(n_pruned)} pruned{share}, exact zeros, not drawn")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("weight value")
    ax.set_ylabel("number of weights")
    where = "all layers" if layer is None else f"layer {layer}"
    ax.set_title(f"Weights ({where})")
    ax.legend(frameon=False, fontsize=8.5, loc="upper left")
    return ax


# ----------------------------------------------------------------- mask heatmap
def mask_heatmap(model, *, layers=None, ax=None):
    """One panel per layer: the mask as an image, kept weights dark, pruned ones white.

    Rows are the layer's inputs, columns its units (the shape of ``W``), so a
    pruned neuron is an empty column and an unread input an empty row.

    Parameters
    ----------
    model : MLP
    layers : sequence of int, optional
        Layer indices to draw. Default: all.
    ax : sequence of Axes, optional
        One per panel.

    Returns
    -------
    Figure
        Panel ``j`` holds ``model.layers[layers[j]].mask`` as its image array (no
        image when that mask is empty, beside a hidden layer with no units).
    """
    validate_model(model)
    n = len(model.layers)
    if layers is None:
        layers = list(range(n))
    elif isinstance(layers, numbers.Integral) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of layer indices or None, got {layers!r}")
    layers = [validate_int(i, "layers[...]", minimum=-n, maximum=n - 1) for i in layers]
    if not layers:
        raise ValueError("layers must name at least one layer")
    fig, axes = _axes_list(ax, len(layers), figsize=(3.2 * len(layers) + 0.6, 3.8))
    cmap = ListedColormap(["white", INK])
    for a, i in zip(axes, layers):
        mask = model.layers[i].mask
        if mask.size:
            a.imshow(mask.astype(np.uint8), cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
                     aspect="auto")
            share = f"{1 - mask.mean():.1%} pruned"
        else:  # next to a hidden layer with no units left: nothing to draw
            a.set(xticks=[], yticks=[])
            share = "no weights"
        a.set_title(f"layer {i % n}: {mask.shape[0]} × {mask.shape[1]}\n{share}", fontsize=10)
        a.set_xlabel("unit (column of W)")
        a.set_ylabel("input (row of W)")
    fig.legend(handles=[Patch(facecolor=INK, label="kept"),
                        Patch(facecolor="white", edgecolor=PRUNED, label="pruned")],
               loc="outside lower center", ncol=2, frameon=False)
    return fig


# ---------------------------------------------------------- accuracy vs sparsity
def _curves(accuracies, labels, n_x):
    """{label: (n_seeds, n_x) array} from the accepted forms of `accuracies`."""
    if isinstance(accuracies, dict):
        if labels is not None:
            raise ValueError("labels must be None when accuracies is a dict "
                             "(its keys are the labels)")
        items = list(accuracies.items())
    elif isinstance(labels, (list, tuple)):
        if not isinstance(accuracies, (list, tuple)) or len(labels) != len(accuracies):
            raise ValueError(f"labels must name each curve of a list of accuracies, got "
                             f"{len(labels)} labels for {type(accuracies).__name__} accuracies")
        items = list(zip(labels, accuracies))
    else:
        if labels is not None and not isinstance(labels, str):
            raise TypeError("labels must be a str for a single array of accuracies, "
                            f"got {labels!r}")
        items = [(labels, accuracies)]
    out = {}
    for label, acc in items:
        try:
            arr = np.asarray(acc, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"accuracies must hold numbers in [0, 1], got {acc!r}") from exc
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != n_x:
            raise ValueError(f"accuracies must have shape (n_sparsities,) or (n_seeds, "
                             f"n_sparsities) with n_sparsities = {n_x}, got shape {np.shape(acc)}"
                             + ("" if label is None else f" for {label!r}"))
        if not np.isfinite(arr).all():
            raise ValueError("accuracies must be finite")
        out[label] = arr
    return out


def accuracy_vs_sparsity(sparsities, accuracies, *, labels=None, dense=None, band="minmax",
                         ax=None):
    """Accuracy against sparsity, one curve per method, with the spread over seeds.

    Parameters
    ----------
    sparsities : array-like of shape (n_sparsities,)
        Fractions of weights pruned, in [0, 1].
    accuracies : array-like of shape (n_sparsities,) or (n_seeds, n_sparsities), \
or dict {label: such an array}, or a list of such arrays with `labels`
        Accuracies as fractions in [0, 1].
    labels : str or list of str, optional
        Name of the curve, or names of the curves when `accuracies` is a list.
    dense : float or array-like of shape (n_seeds,), optional
        Accuracy of the unpruned model, drawn as a dashed line (with its spread).
    band : {"minmax", "std"} or None
        What the shaded band shows: the range over seeds, or mean ± one standard
        deviation. Only drawn when there are at least two seeds.
    ax : matplotlib Axes, optional
        Anything already drawn on it with a label (a marked point, say) joins
        the legend, which sits beside the axes, to the right.

    Returns
    -------
    Axes
        Each curve is a line whose y-data is the mean over seeds.
    """
    x = np.asarray(sparsities, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError(f"sparsities must be a non-empty 1-D array of fractions in [0, 1], "
                         f"got {np.asarray(sparsities)!r}")
    if band is not None:
        validate_choice(band, "band", ("minmax", "std"))
    curves = _curves(accuracies, labels, x.size)
    ax = _axes(ax, figsize=(8.5, 4.2))
    order = np.argsort(x, kind="stable")
    for j, (label, arr) in enumerate(curves.items()):
        color = PALETTE[j % len(PALETTE)]
        mean = arr.mean(axis=0)
        ax.plot(x[order], mean[order], marker=MARKERS[j % len(MARKERS)], ms=5, color=color,
                label=label if label is not None else None)
        if band and arr.shape[0] > 1:
            lo, hi = ((arr.min(axis=0), arr.max(axis=0)) if band == "minmax"
                      else (mean - arr.std(axis=0), mean + arr.std(axis=0)))
            ax.fill_between(x[order], lo[order], hi[order], color=color, alpha=0.2, lw=0)
    if dense is not None:
        d = np.atleast_1d(np.asarray(dense, dtype=float))
        if d.ndim != 1 or not np.isfinite(d).all():
            raise ValueError(f"dense must be a finite number or a 1-D array over seeds, "
                             f"got {dense!r}")
        ax.axhline(d.mean(), color=INK, ls="--", lw=1, label="dense (unpruned)")
        if band and d.size > 1:
            lo, hi = ((d.min(), d.max()) if band == "minmax"
                      else (d.mean() - d.std(), d.mean() + d.std()))
            ax.axhspan(lo, hi, color=INK, alpha=0.08, lw=0)
    ax.xaxis.set_major_formatter(_PERCENT)
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_xlabel("sparsity (fraction of weights pruned)")
    ax.set_ylabel("test accuracy")
    n_seeds = max(a.shape[0] for a in curves.values())
    spread = {"minmax": "min–max", "std": "± 1 std"}.get(band)
    ax.set_title("Accuracy vs sparsity" + (f" (mean over {n_seeds} seeds, band: {spread})"
                                           if n_seeds > 1 and spread else ""))
    if any(label is not None for label in curves) or dense is not None:
        _legend_beside(ax)
    ax.grid(alpha=0.3)
    return ax


def _legend_beside(ax, **kwargs):
    """A legend to the right of the axes, where no curve can run under it."""
    return ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                     borderaxespad=0, **kwargs)


def sensitivity_curves(scan, *, ax=None):
    """One accuracy-vs-sparsity curve per layer, each layer pruned alone.

    Parameters
    ----------
    scan : result of :func:`minprune.sensitivity_scan`
        With ``sparsities`` (n_sparsities,), ``layer_names`` (n_layers),
        ``accuracy`` (n_layers, n_sparsities) and ``baseline`` (float).
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        Line ``j`` is layer ``j``; a dashed line marks the unpruned accuracy.
    """
    try:
        x = np.asarray(scan.sparsities, dtype=float)
        names = list(scan.layer_names)
        acc = np.asarray(scan.accuracy, dtype=float)
        baseline = float(scan.baseline)
    except AttributeError as exc:
        raise TypeError("scan must be a sensitivity-scan result with sparsities, layer_names, "
                        f"accuracy and baseline, got {type(scan).__name__}") from exc
    if acc.shape != (len(names), x.size):
        raise ValueError(f"scan.accuracy must have shape (n_layers, n_sparsities) = "
                         f"({len(names)}, {x.size}), got {acc.shape}")
    ax = _axes(ax, figsize=(8.5, 4.2))
    for j, name in enumerate(names):
        ax.plot(x, acc[j], marker=MARKERS[j % len(MARKERS)], ms=5, color=PALETTE[j % len(PALETTE)],
                label=str(name))
    ax.axhline(baseline, color=INK, ls="--", lw=1, label="unpruned")
    ax.xaxis.set_major_formatter(_PERCENT)
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_xlabel("sparsity of that layer alone")
    ax.set_ylabel("test accuracy")
    ax.set_title("Sensitivity: each layer pruned on its own")
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    return ax


# --------------------------------------------------------------- latency vs FLOPs
def latency_vs_flops(records, *, reference=None, ax=None):
    """Measured latency against effective FLOPs, with the line 'latency ∝ FLOPs'.

    A masked model does a fraction of the useful multiplications but runs the
    same dense matrix multiply, so it sits far above the line; a model whose
    neurons are really removed (``shrink``) sits on or near it.

    Parameters
    ----------
    records : sequence of dict
        Each with ``"name"`` (str), ``"flops"`` (> 0, effective floating-point
        operations of one forward pass) and ``"latency"`` (> 0, seconds).
    reference : str, optional
        Name of the record the ideal line passes through. Default: the one with
        the most FLOPs (usually the dense model).
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        Log-log, ticks in plain numbers. Each record is one marker, a Line2D with
        gid ``"record"`` and data (flops, latency in ms), named in the legend
        beside the plot with its FLOPs and milliseconds.
    """
    if isinstance(records, dict) or not hasattr(records, "__iter__"):
        raise TypeError(f"records must be a sequence of dicts with name, flops and latency, "
                        f"got {type(records).__name__}")
    records = list(records)
    if not records:
        raise ValueError("records must hold at least one measurement")
    names, flops, latency = [], [], []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or not {"name", "flops", "latency"} <= set(rec):
            raise ValueError(f"records[{i}] must be a dict with keys 'name', 'flops', 'latency', "
                             f"got {rec!r}")
        f, t = float(rec["flops"]), float(rec["latency"])
        if not (np.isfinite(f) and f > 0 and np.isfinite(t) and t > 0):
            raise ValueError(f"records[{i}] needs flops > 0 and latency > 0 (seconds), "
                             f"got flops={rec['flops']!r}, latency={rec['latency']!r}")
        names.append(str(rec["name"]))
        flops.append(f)
        latency.append(t * 1e3)
    flops, latency = np.array(flops), np.array(latency)
    if reference is None:
        ref = int(np.argmax(flops))
    elif reference in names:
        ref = names.index(reference)
    else:
        raise ValueError(f"reference must be one of the record names {names}, got {reference!r}")
    ax = _axes(ax, figsize=(10, 4.5))
    lo, hi = flops.min() / 2, flops.max() * 2
    ideal_x = np.array([lo, hi])
    ax.plot(ideal_x, latency[ref] * ideal_x / flops[ref], color=INK, ls="--", lw=1,
            label=f"ideal: latency ∝ FLOPs\n(through {names[ref]})", gid="ideal")
    # One marker per record, named in the legend beside the plot: labels written next to
    # the points would collide, since models often sit at nearly the same place.
    colors = [PALETTE[j % len(PALETTE)] for j in range(len(names))]
    markers = [MARKERS[j % len(MARKERS)] for j in range(len(names))]
    for f, t, name, color, marker in zip(flops, latency, names, colors, markers):
        ax.plot([f], [t], ls="", marker=marker, ms=9, mfc=color, mec=INK, mew=0.8, alpha=0.9,
                zorder=3, label=f"{name}\n{_si(f)} FLOPs, {_ms(t)} ms", gid="record")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis, fmt in ((ax.xaxis, _si), (ax.yaxis, _ms)):
        axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        axis.set_major_formatter(FuncFormatter(lambda v, _, fmt=fmt: fmt(v)))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("effective FLOPs per forward pass")
    ax.set_ylabel("measured latency (ms)")
    ax.set_title("Fewer FLOPs is not less time unless the work really disappears")
    ax.legend(frameon=False, fontsize=8.5, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0, labelspacing=0.9)
    ax.grid(alpha=0.3, which="major")
    ax.grid(alpha=0.1, which="minor")
    return ax


def _ms(t):
    """Milliseconds as a plain number: 0.02, 0.31, 1.5, 120."""
    return f"{t:.3g}" if t < 1000 else f"{t:,.0f}"


# ------------------------------------------------------------ decision boundary
def _grid(X, resolution):
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx = np.linspace(lo[0], hi[0], resolution)
    gy = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    return np.column_stack([xx.ravel(), yy.ravel()]), (lo[0], hi[0], lo[1], hi[1])


def decision_boundary(model, X, y, *, resolution=200, title=None, ax=None):
    """The regions where a 2-D classifier predicts each class, with the data on top.

    Parameters
    ----------
    model : MLP
        With two input features (the moons set, for example).
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    resolution : int
        Grid points per axis, in [10, 1000].
    title : str, optional
        Default: the accuracy on `X`, `y` and the model's sparsity.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        Its image holds the predicted class at each grid point, shape
        (resolution, resolution), row 0 at the bottom.
    """
    validate_model(model)
    if model.n_features != 2:
        raise ValueError(f"model must take 2 input features for a decision-boundary picture, "
                         f"got one with {model.n_features}")
    X = validate_features(X, "X", n_features=2, dtype=np.float64)
    y = validate_labels(y, "y", n_samples=X.shape[0], n_classes=model.n_classes)
    resolution = validate_int(resolution, "resolution", minimum=10, maximum=1000)
    ax = _axes(ax, figsize=(5, 4.5))
    grid, extent = _grid(X, resolution)
    pred = model.predict(grid).reshape(resolution, resolution)
    k = model.n_classes
    colors = [PALETTE[j % len(PALETTE)] for j in range(k)]
    ax.imshow(pred, origin="lower", extent=extent, cmap=ListedColormap(colors), vmin=-0.5,
              vmax=k - 0.5, alpha=0.25, interpolation="nearest", aspect="auto")
    ax.contour(*np.meshgrid(np.linspace(extent[0], extent[1], resolution),
                            np.linspace(extent[2], extent[3], resolution)), pred,
               levels=np.arange(k - 1) + 0.5, colors=INK, linewidths=1)
    for c in range(k):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=18, color=colors[c], marker=MARKERS[c % len(MARKERS)],
                   edgecolor="white", linewidth=0.5, label=f"class {c}")
    if title is None:
        acc = float(np.mean(model.predict(X) == y))
        # no weights at all once shrink has removed every hidden unit: no sparsity to give
        has_weights = any(layer.mask.size for layer in model.layers)
        title = f"accuracy {acc:.1%}, " + (f"sparsity {sparsity(model):.0%}" if has_weights
                                            else "no weights left")
    ax.set_title(title)
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax


def decision_boundaries(models, X, y, *, resolution=200, ax=None):
    """Decision boundaries side by side, e.g. before and after pruning.

    Parameters
    ----------
    models : dict {title: MLP} or sequence of MLP
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    resolution : int
    ax : sequence of Axes, optional
        One per model.

    Returns
    -------
    Figure
    """
    if isinstance(models, dict):
        items = list(models.items())
    elif isinstance(models, (list, tuple)):
        items = [(None, m) for m in models]
    else:
        raise TypeError(f"models must be a dict {{title: MLP}} or a list of MLP, "
                        f"got {type(models).__name__}")
    if not items:
        raise ValueError("models must hold at least one model")
    fig, axes = _axes_list(ax, len(items), figsize=(4.6 * len(items), 4.4))
    for a, (name, model) in zip(axes, items):
        decision_boundary(model, X, y, resolution=resolution, ax=a)
        if name is not None:
            a.set_title(f"{name}\n{a.get_title()}")
    return fig


# -------------------------------------------------------------- training curves
def training_curves(history, *, ax=None):
    """Loss and accuracy per epoch from a :class:`minprune.History`.

    Parameters
    ----------
    history : History
    ax : sequence of two Axes, optional
        For the loss and the accuracy panels.

    Returns
    -------
    Figure
        Left: training (and validation) loss; right: accuracy, with the
        sparsity as a dotted line when the model was pruned during training.
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be a minprune.History, got {type(history).__name__}")
    if history.epochs == 0:
        raise ValueError("history holds no epochs: nothing to draw")
    fig, (ax_loss, ax_acc) = _axes_list(ax, 2, figsize=(10, 3.8))
    epochs = np.arange(1, history.epochs + 1)
    ax_loss.plot(epochs, history.loss, color=POSITIVE, label="training")
    ax_acc.plot(epochs, history.accuracy, color=POSITIVE, label="training")
    if history.val_loss:
        ax_loss.plot(epochs[:len(history.val_loss)], history.val_loss, color=NEGATIVE,
                     label="validation")
        ax_acc.plot(epochs[:len(history.val_accuracy)], history.val_accuracy, color=NEGATIVE,
                    label="validation")
    if any(s > 0 for s in history.sparsity):
        ax_acc.plot(epochs[:len(history.sparsity)], history.sparsity, color=INK, ls=":",
                    label="sparsity")
    ax_loss.set_ylabel("cross-entropy loss (nats)")
    ax_acc.set_ylabel("accuracy / sparsity" if any(s > 0 for s in history.sparsity)
                      else "accuracy")
    ax_acc.yaxis.set_major_formatter(_PERCENT)
    for a, name in ((ax_loss, "Loss"), (ax_acc, "Accuracy")):
        a.set_xlabel("epoch")
        a.set_title(name)
        a.grid(alpha=0.3)
        a.legend(frameon=False)
    return fig


__all__ = ["DiagramCounts", "network_diagram", "weight_histogram", "mask_heatmap",
           "accuracy_vs_sparsity", "sensitivity_curves", "latency_vs_flops", "decision_boundary",
           "decision_boundaries", "training_curves"]
