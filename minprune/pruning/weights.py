"""Weight (unstructured) pruning: mask individual weights, layer by layer or globally.

``prune_weights(model, 0.5)`` prunes half of each layer's still-unpruned weights,
the ones with the smallest magnitude: torch's ``l1_unstructured`` applied to every
layer. ``scope="global"`` ranks all weights of all layers together, like torch's
``global_unstructured``, so layers whose weights are small lose more of them.
Biases are never touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._table import html_table, text_table
from .._validation import validate_choice, validate_float
from ..model import validate_model
from .criteria import lookup, weight_importance
from .history import commit_masks
from .rules import (MIN_DENSITY, WEIGHT_SCOPES, as_scalar, layer_collapse_guard,
                    resolve_counts, select_by_scope)


@dataclass
class LayerPruning:
    """One row of a :class:`PruningReport`.

    Attributes
    ----------
    name : str
        ``"layers[i]"``.
    shape : tuple of int
        Shape of the pruned array (``W.shape``), or ``(fan_out,)`` for units.
    pruned_now : int
        Entries pruned by this call.
    pruned_total : int
        Entries pruned in this layer, this call included.
    size : int
        Entries in the layer.
    """

    name: str
    shape: tuple
    pruned_now: int
    pruned_total: int
    size: int

    @property
    def sparsity(self):
        """Fraction of the layer's entries that are pruned, in [0, 1] (0.0 for an empty layer)."""
        return self.pruned_total / self.size if self.size else 0.0


@dataclass
class PruningReport:
    """What a pruning call did, layer by layer.

    Attributes
    ----------
    kind : {"weights", "neurons"}
        What was counted in the rows.
    criterion, scope : str
    amount : float or int
        As passed.
    rows : list of LayerPruning
    """

    kind: str
    criterion: str
    scope: str
    amount: object
    rows: list = field(default_factory=list)

    @property
    def pruned_now(self):
        return sum(r.pruned_now for r in self.rows)

    @property
    def sparsity(self):
        """Fraction of the reported entries that are pruned (0.0 when there are none)."""
        size = sum(r.size for r in self.rows)
        return sum(r.pruned_total for r in self.rows) / size if size else 0.0

    def _table(self):
        header = ("layer", "units" if self.kind == "neurons" else "shape", "pruned now",
                  "pruned total", "sparsity")
        body = [(r.name, "x".join(map(str, r.shape)), str(r.pruned_now), str(r.pruned_total),
                 f"{100 * r.sparsity:.1f}%") for r in self.rows]
        total = ("total", "", str(self.pruned_now), str(sum(r.pruned_total for r in self.rows)),
                 f"{100 * self.sparsity:.1f}%")
        return header, body, total

    def _title(self):
        return (f"prune_{self.kind}(amount={self.amount!r}, criterion={self.criterion!r}, "
                f"scope={self.scope!r}): {self.pruned_now} {self.kind} pruned")

    def __repr__(self):
        header, body, total = self._table()
        return text_table(header, body + [total], title=self._title(), total=True)

    def _repr_html_(self):
        header, body, total = self._table()
        return html_table(header, body + [total], title=self._title(), total=True)


def weight_candidates(model, criterion, scope, *, data=None, seed=None, min_density=MIN_DENSITY):
    """Importance of every weight, and which weights a `scope` ranking may choose.

    The one preparation :func:`prune_weights` and the widgets share before
    :func:`~minprune.pruning.rules.select_by_scope` chooses.

    Returns
    -------
    scores : list of float64 ndarray, one of shape (fan_in, fan_out) per layer
    eligible : list of bool ndarray, same shapes
        The unpruned weights, less (``scope="global"``, ``min_density > 0``) those
        the layer-collapse guard keeps.
    """
    scores = weight_importance(model, criterion, data=data, seed=seed)
    eligible = [layer.mask for layer in model.layers]
    if scope == "global" and min_density > 0:
        eligible = layer_collapse_guard(eligible, scores, min_density)
    return scores, eligible


def prune_weights(model, amount, *, criterion="magnitude", scope="layer", data=None, seed=None,
                  min_density=MIN_DENSITY):
    """Prune individual weights in place; return a per-layer report.

    Parameters
    ----------
    model : MLP
        Its masks are changed in place (via ``commit_masks``: pruned weights are
        zeroed and the step is recorded in ``model.mask_history``). Biases are
        never pruned here.
    amount : float in [0, 1], int, or a sequence of them (one per layer)
        Numpy scalars and 0-d arrays count as numbers. A float prunes
        ``round(amount * n)`` of the ``n`` weights *still unpruned*
        (per layer for ``scope="layer"``, over all layers for ``"global"``); an
        int prunes exactly that many. Already-pruned weights are never eligible.
        With ``scope="layer"``, a sequence gives each layer its own amount, e.g.
        the per-layer choices read off a :func:`minprune.sensitivity_scan`.
    criterion : str
        A weight criterion of the registry (``minprune.pruning.criteria.describe("weights")``
        lists them); lowest score pruned first.
    scope : {"layer", "global", "output"}
        ``"layer"``: `amount` applies to each layer, the output layer included
        (torch's ``l1_unstructured`` on each layer). ``"global"``: one ranking
        over every weight of every layer (torch's ``global_unstructured``).
        ``"output"``: `amount` applies to each output unit's incoming weights
        (each column of every ``W``) on their own, so every unit keeps the same
        fraction of its inputs, as Wanda compares them (Sun et al. 2024).
    data : tuple (X, y), optional
        A batch for the criteria that need data (``taylor``, ``snip``, ``obd``, ...);
        ``wanda`` needs inputs only, so calibration inputs ``X`` alone will do.
    seed : int, np.random.Generator or None
        For ``criterion="random"``.
    min_density : float in [0, 1), default 0.01
        Layer-collapse guard for ``scope="global"`` (ignored for ``"layer"``,
        where `amount` already fixes each layer's share): every layer keeps at
        least ``max(1, ceil(min_density * layer size))`` weights, its most
        important ones. A global ranking can otherwise empty a whole layer and
        disconnect the network, which then cannot be trained at all ("layer
        collapse", Tanaka et al. 2020, *Pruning neural networks without any data
        by iteratively conserving synaptic flow*). Where the guard does not bind,
        the result equals torch's ``global_unstructured``. It does bind at extreme
        one-shot sparsities: at 98% on a trained 64-256-256-10 digits model, the
        last two layers sit on the 1% floor, and the floor keeps them connected
        but not necessarily every output unit. ``min_density=0`` switches the
        guard off.

    Returns
    -------
    PruningReport
        One row per layer: shape, weights pruned now, pruned in total, sparsity.

    Raises
    ------
    ValueError
        When the guard leaves fewer prunable weights than `amount` asks for;
        :func:`~minprune.pruning.rules.max_sparsity` tells the highest sparsity it allows.
    """
    validate_choice(scope, "scope", WEIGHT_SCOPES)
    lookup("weights", criterion)
    min_density = validate_float(min_density, "min_density", low=0.0, high=1.0, low_inclusive=True,
                              high_inclusive=False)
    validate_model(model)
    amount = as_scalar(amount)
    masks = [layer.mask for layer in model.layers]
    available = [int(np.count_nonzero(m)) for m in masks]
    # resolve the amount before any (possibly costly) scoring, so bad input fails fast
    if scope == "output":
        available = [m.sum(axis=0) for m in masks]
    counts = resolve_counts(amount, available, scope)
    if isinstance(amount, (list, tuple, np.ndarray)):
        amount = [as_scalar(a) for a in amount]
    scores, eligible = weight_candidates(model, criterion, scope, data=data, seed=seed,
                                         min_density=min_density)
    chosen = select_by_scope(scores, eligible, counts, amount=amount, guard=(
        f"the layer-collapse guard (min_density={min_density}) keeps each layer's best "
        f"weights; lower amount or pass min_density=0"))
    new_masks = [m & ~c for m, c in zip(masks, chosen)]
    commit_masks(model, new_masks, label=f"weights {criterion}/{scope} amount={amount!r}")
    rows = [LayerPruning(f"layers[{i}]", m.shape, int(np.count_nonzero(c)),
                         int(m.size - np.count_nonzero(m)), m.size)
            for i, (m, c) in enumerate(zip(new_masks, chosen))]
    return PruningReport("weights", criterion, scope, amount, rows)
