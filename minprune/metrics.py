"""Measuring a pruned model: sparsity, size, FLOPs, latency and per-layer sensitivity.

Conventions used throughout:

* FLOPs are per sample and count only the matrix products: one multiply-add is
  2 FLOPs, so a dense layer costs ``2 * fan_in * fan_out``; bias adds and
  activations are left out. *Effective* FLOPs count only live weights
  (``2 * non-zeros``), what an ideal sparse kernel would do; *shrunk* FLOPs are
  those of the dense network :func:`minprune.shrink` returns.
* Bytes are those of the weights and biases at the model's dtype. As CSR (the
  layout :func:`minprune.to_sparse` uses, ``W.T`` with int32 indices):
  ``non_zeros * (itemsize + 4) + (fan_out + 1) * 4 + fan_out * itemsize``.
"""
from __future__ import annotations

import gc
import html
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from ._table import html_table, text_table
from ._validation import _describe, validate_choice, validate_float, validate_int
from .blas import blas_threads
from .model import validate_model, layer_names
from .pruning.criteria import validate_data, weight_importance
from .pruning.rules import rank_order
from .pruning.units import live_units


def sparsity(model):
    """Fraction of weights (not biases) that are pruned, in [0, 1].

    Parameters
    ----------
    model : MLP

    Returns
    -------
    float
        0.0 for a model with no weights at all (a shrunk model whose hidden
        layer has 0 units): nothing in it is pruned.
    """
    validate_model(model)
    total = sum(layer.mask.size for layer in model.layers)
    kept = sum(int(np.count_nonzero(layer.mask)) for layer in model.layers)
    return (total - kept) / total if total else 0.0


# ------------------------------------------------------------------------ tables


def _si(x, unit=""):
    """Compact, deterministic number: 950, 1.61k, 23.4M (3 significant digits)."""
    x = float(x)
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g}{prefix}{unit}"
    return f"{x:.0f}{unit}" if x == int(x) else f"{x:.3g}{unit}"


# ------------------------------------------------------------------------ report

_COLUMNS = ["layer", "shape", "weights", "non-zeros", "sparsity", "neurons", "dense FLOPs",
            "effective FLOPs", "shrunk FLOPs", "dense bytes", "CSR bytes", "shrunk bytes"]


def csr_nbytes(non_zeros, n_rows, itemsize, index_itemsize=4):
    """Bytes of a CSR matrix: data + column indices + row pointers (int32 by default)."""
    return non_zeros * (itemsize + index_itemsize) + (n_rows + 1) * index_itemsize


@dataclass
class Report:
    """Per-layer size and cost of a model; see :func:`report`.

    Attributes
    ----------
    rows : list of dict
        One per layer, keys ``name``, ``shape`` (fan_in, fan_out), ``weights``,
        ``non_zeros``, ``sparsity``, ``live_neurons`` (live units of this layer, those
        :func:`minprune.shrink` keeps; all classes for the output layer), ``neurons``,
        ``dense_flops``, ``effective_flops``, ``shrunk_flops`` (per sample),
        ``dense_bytes``, ``csr_bytes``, ``shrunk_bytes``.
    totals : dict
        The same keys summed over layers (``sparsity`` recomputed, ``shape`` None).
    title : str
    """

    rows: list
    totals: dict
    title: str = ""

    def _cells(self):
        out = []
        for r in self.rows + [self.totals]:
            shape = "" if r["shape"] is None else f"{r['shape'][0]}x{r['shape'][1]}"
            out.append([r["name"], shape, f"{r['weights']:,}", f"{r['non_zeros']:,}",
                        f"{r['sparsity']:.1%}", f"{r['live_neurons']:,}/{r['neurons']:,}",
                        _si(r["dense_flops"]), _si(r["effective_flops"]), _si(r["shrunk_flops"]),
                        _si(r["dense_bytes"], "B"), _si(r["csr_bytes"], "B"),
                        _si(r["shrunk_bytes"], "B")])
        return out

    _NOTE = ("neurons: units kept by shrink / all units. FLOPs per sample, a multiply-add = 2. "
             "Bytes: weights + biases; CSR with int32 indices.")

    def __str__(self):
        return text_table(_COLUMNS, self._cells(), title=self.title, total=True) + "\n" + self._NOTE

    __repr__ = __str__

    def _repr_html_(self):
        return (html_table(_COLUMNS, self._cells(), title=self.title, total=True)
                + f"<p><small>{html.escape(self._NOTE)}</small></p>")


def report(model):
    """Size, sparsity and cost of each layer of `model`, plus a total row.

    Parameters
    ----------
    model : MLP

    Returns
    -------
    Report
        Prints as an aligned text table, renders as an HTML table in Jupyter;
        ``.rows`` and ``.totals`` hold the raw numbers. FLOPs are per sample,
        bytes include biases (conventions in the module docstring). A layer
        (or model) with no weights has sparsity 0.0.
    """
    validate_model(model)
    keep = live_units(model) + [np.ones(model.n_classes, dtype=bool)]
    item = model.dtype.itemsize
    rows = []
    kept_in = model.n_features
    for name, layer, kept in zip(layer_names(model), model.layers, keep):
        fan_in, fan_out = layer.W.shape
        nnz = int(np.count_nonzero(layer.mask))
        kept_out = int(np.count_nonzero(kept))
        rows.append({
            "name": name, "shape": (fan_in, fan_out), "weights": layer.W.size, "non_zeros": nnz,
            "sparsity": 1 - nnz / layer.W.size if layer.W.size else 0.0,
            "live_neurons": kept_out, "neurons": fan_out,
            "dense_flops": 2 * fan_in * fan_out, "effective_flops": 2 * nnz,
            "shrunk_flops": 2 * kept_in * kept_out,
            "dense_bytes": (fan_in * fan_out + fan_out) * item,
            "csr_bytes": csr_nbytes(nnz, fan_out, item) + fan_out * item,
            "shrunk_bytes": (kept_in * kept_out + kept_out) * item,
        })
        kept_in = kept_out
    totals = {key: sum(r[key] for r in rows) for key in rows[0] if key not in ("name", "shape")}
    totals.update(name="total", shape=None, sparsity=(1 - totals["non_zeros"] / totals["weights"]
                                                      if totals["weights"] else 0.0))
    sizes = " -> ".join(str(s) for s in model.layer_sizes)
    return Report(rows, totals, f"MLP({sizes}), {model.dtype.name}")


# ----------------------------------------------------------------------- latency


@dataclass
class Latency:
    """Wall times of repeated forward passes; ``float(latency)`` is the median.

    Attributes
    ----------
    median : float
        Seconds per forward pass of one batch.
    iqr : float
        Interquartile range of the times, seconds (the spread).
    times : ndarray of shape (repeats,)
        Every measured time, seconds.
    batch_size, threads : int
    timer : {"wall", "cpu"}
    """

    median: float
    iqr: float
    times: np.ndarray = field(repr=False)
    batch_size: int = 1
    threads: int | None = 1
    timer: str = "wall"

    def __float__(self):
        return float(self.median)

    def __repr__(self):
        return (f"Latency(median={self.median * 1e3:.3f} ms, iqr={self.iqr * 1e3:.3f} ms, "
                f"repeats={len(self.times)}, batch_size={self.batch_size}, threads={self.threads}, "
                f"timer={self.timer!r})")


def measure_latency(model, batch_size=1, repeats=50, *, warmup=5, seed=0, threads=1,
                    timer="wall"):
    """Median wall time of a forward pass on a random batch.

    The input is checked once, outside the timer, so the figure is the network's
    arithmetic. Garbage collection is paused while timing.

    Parameters
    ----------
    model : MLP, a shrunk MLP or SparseMLP
    batch_size : int
        Samples per forward pass.
    repeats : int
        Timed passes.
    warmup : int
        Untimed passes first (caches, lazy allocations).
    seed : int
        Seed of the standard-normal input.
    threads : int or None
        BLAS threads during the measurement (threadpoolctl); None leaves them as is.
    timer : {"wall", "cpu"}
        ``"wall"``: elapsed time (``time.perf_counter``), what a user waits.
        ``"cpu"``: CPU time of this process, all threads (``time.process_time``).
        On a busy machine the operating system pauses the process and wall times
        grow with the pass (a 10 ms pass is paused more often than a 1 ms one);
        with one thread, CPU time is the wall time the pass takes on an idle machine.

    Returns
    -------
    Latency
        ``float(result)`` is the median in seconds.
    """
    if not (hasattr(model, "_forward") and hasattr(model, "n_features")):
        raise TypeError(f"model must be a minprune.MLP or SparseMLP, got {_describe(model)}")
    batch_size = validate_int(batch_size, "batch_size", minimum=1)
    repeats = validate_int(repeats, "repeats", minimum=1)
    warmup = validate_int(warmup, "warmup", minimum=0)
    seed = validate_int(seed, "seed", minimum=0)
    if threads is not None:
        threads = validate_int(threads, "threads", minimum=1)
    clock = {"wall": time.perf_counter, "cpu": time.process_time}[
        validate_choice(timer, "timer", ("wall", "cpu"))]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch_size, model.n_features)).astype(model.dtype)
    times = np.empty(repeats)
    gc_was_enabled = gc.isenabled()
    with blas_threads(threads, refresh=True):
        for _ in range(warmup):
            model._forward(X)
        gc.disable()
        try:
            for k in range(repeats):
                t0 = clock()
                model._forward(X)
                times[k] = clock() - t0
        finally:
            if gc_was_enabled:
                gc.enable()
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return Latency(float(med), float(q3 - q1), times, batch_size, threads, timer)


# ------------------------------------------------------------------- sensitivity


@dataclass
class SensitivityScan:
    """Accuracy when one layer alone is pruned; see :func:`sensitivity_scan`.

    Attributes
    ----------
    sparsities : ndarray of shape (n_sparsities,)
        Target sparsity of the pruned layer, a fraction of that layer's weights.
    layer_names : list of str
    accuracy : ndarray of shape (n_layers, n_sparsities)
        ``accuracy[i, j]``: only layer i pruned to ``sparsities[j]``.
    achieved : ndarray of shape (n_layers, n_sparsities)
        The layer's sparsity actually reached (higher than the target where the
        layer was already sparser; masks are never un-pruned).
    baseline : float
        Accuracy of the model as given.
    criterion : str
    """

    sparsities: np.ndarray
    layer_names: list
    accuracy: np.ndarray
    achieved: np.ndarray
    baseline: float
    criterion: str

    def _cells(self):
        return [[name] + [f"{a:.3f}" for a in row] for name, row in zip(self.layer_names,
                                                                        self.accuracy)]

    def _headers(self):
        return ["layer \\ sparsity"] + [f"{s:.0%}" if round(s * 100, 6) == round(s * 100)
                                         else f"{s:.1%}" for s in self.sparsities]

    def __str__(self):
        title = f"Sensitivity scan ({self.criterion}), baseline accuracy {self.baseline:.3f}"
        return text_table(self._headers(), self._cells(), title=title)

    __repr__ = __str__

    def _repr_html_(self):
        title = f"Sensitivity scan ({self.criterion}), baseline accuracy {self.baseline:.3f}"
        return html_table(self._headers(), self._cells(), title=title)


def _validate_sparsities(sparsities):
    if isinstance(sparsities, numbers.Real) and not isinstance(sparsities, bool):
        sparsities = [sparsities]
    if isinstance(sparsities, (str, bytes)) or not hasattr(sparsities, "__len__"):
        raise TypeError(f"sparsities must be a 1-D sequence of fractions in [0, 1], "
                        f"got {_describe(sparsities)}")
    if np.ndim(sparsities) != 1 or len(sparsities) == 0:
        raise ValueError(f"sparsities must be a non-empty 1-D sequence of fractions in [0, 1], "
                         f"got {_describe(sparsities)}")
    return np.array([validate_float(s, "sparsities entry", low=0.0, high=1.0, low_inclusive=True)
                     for s in sparsities])


def sensitivity_scan(model, data, sparsities, criterion="magnitude", *, seed=0):
    """Accuracy when each layer alone is pruned to each sparsity, one-shot.

    For layer i and target s, a copy of `model` has ``round(s * layer_size)``
    of layer i's weights pruned in total (the lowest-scoring live ones by
    `criterion`, ties as in :func:`~minprune.pruning.rules.select_lowest`; each layer is
    sorted once, for all targets),
    the other layers untouched; no fine-tuning. Scores are computed once, on
    the model as given.

    Parameters
    ----------
    model : MLP
        Not changed.
    data : tuple (X, y)
        Evaluation data; also passed to criteria that need data.
    sparsities : sequence of float in [0, 1]
        Targets, as absolute fractions of each layer's weights.
    criterion : str
        Any criterion of :func:`minprune.weight_importance`.
    seed : int
        For the ``"random"`` criterion.

    Returns
    -------
    SensitivityScan
    """
    validate_model(model)
    X, y = validate_data(model, data, "sensitivity_scan")
    targets = _validate_sparsities(sparsities)
    if not isinstance(criterion, str):
        raise TypeError(f"criterion must be a string such as 'magnitude', "
                        f"got {_describe(criterion)}")
    base = model.copy()
    base.mask_history = []  # not needed in the copies; keeps them cheap
    baseline = base.score(X, y)
    scores = weight_importance(base.copy(), criterion, data=(X, y), seed=seed)
    n_layers = len(base.layers)
    accuracy = np.empty((n_layers, len(targets)))
    achieved = np.empty((n_layers, len(targets)))
    for i, layer in enumerate(base.layers):
        live = layer.mask
        size = live.size
        order = rank_order(scores[i], eligible=live)  # one sort per layer serves every target
        for j, s in enumerate(targets):
            k = int(round(s * size)) - (size - int(np.count_nonzero(live)))
            trial = base.copy()
            if k > 0:  # k <= 0: the layer is already at least that sparse
                pruned = live.copy()
                pruned.flat[order[:k]] = False  # the k lowest live ones, as select_lowest
                trial.layers[i].mask = pruned  # zeros those weights; a throw-away copy: no history
            accuracy[i, j] = trial.score(X, y)
            achieved[i, j] = 1 - np.count_nonzero(trial.layers[i].mask) / size if size else 0.0
    return SensitivityScan(targets, layer_names(base), accuracy, achieved, baseline, criterion)
