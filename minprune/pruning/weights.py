"""Weight (unstructured) pruning: mask individual weights, layer by layer or globally.

``prune_weights(model, 0.5)`` prunes half of each layer's still-unpruned weights,
the ones with the smallest magnitude: torch's ``l1_unstructured`` applied to every
layer. ``scope="global"`` ranks all weights of all layers together, like torch's
``global_unstructured``, so layers whose weights are small lose more of them.
Biases are never touched.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._table import html_table, text_table
from .._validation import check_choice, check_float
from ..model import check_model
from .criteria import WEIGHT_CRITERIA, weight_importance
from .masks import as_scalar, commit_masks, rank_order, resolve_counts, select_by_scope

SCOPES = ("layer", "global")


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


def _guard_floor(masks, min_density):
    """Weights the layer-collapse guard keeps in each layer: ``max(1, ceil(min_density * size))``,
    or all the layer's unpruned weights if fewer remain."""
    return [min(int(np.count_nonzero(m)), max(1, math.ceil(min_density * m.size))) for m in masks]


def layer_collapse_guard(masks, scores, min_density):
    """Eligibility that protects each layer's best weights from a global ranking.

    Each layer keeps at least ``max(1, ceil(min_density * size))`` weights (or all
    its unpruned weights, if fewer remain): its highest-scoring ones, ranked with
    the same stable order as :func:`~minprune.pruning.masks.rank_order`, are
    made ineligible. A global selection that does not touch them is therefore
    unchanged by the guard.

    Parameters
    ----------
    masks : list of bool ndarray
        Current masks (True = unpruned).
    scores : list of ndarray
        Importance, same shapes.
    min_density : float in [0, 1)

    Returns
    -------
    list of bool ndarray
        True where a weight may be pruned.
    """
    eligible = []
    for m, s, keep in zip(masks, scores, _guard_floor(masks, min_density)):
        order = rank_order(s, eligible=m)
        e = m.ravel().copy()
        if keep:
            e[order[len(order) - keep:]] = False
        eligible.append(e.reshape(m.shape))
    return eligible


def max_sparsity(model, scope="global", min_density=0.01):
    """The highest weight sparsity :func:`prune_weights` can reach on `model` from its masks.

    With ``scope="global"`` the layer-collapse guard keeps at least
    ``max(1, ceil(min_density * size))`` weights in every layer (or all the
    layer's unpruned weights, if fewer remain), so sparsity 1.0 is out of reach;
    ``min_density=0`` switches the guard off. ``scope="layer"`` has no guard:
    every layer can be pruned entirely.

    Parameters
    ----------
    model : MLP
    scope : {"global", "layer"}
    min_density : float in [0, 1), default 0.01
        As in :func:`prune_weights`.

    Returns
    -------
    float in [0, 1]
        Fraction of all weights pruned at most (0.0 for a model with no weights).

    Examples
    --------
    A 8-16-3 MLP keeps 2 of its 128 first-layer weights and 1 of its 48
    output weights: ``max_sparsity(MLP([8, 16, 3])) == 173 / 176``.
    """
    check_model(model)
    check_choice(scope, "scope", SCOPES)
    min_density = check_float(min_density, "min_density", low=0.0, high=1.0, low_inclusive=True,
                              high_inclusive=False)
    masks = [layer.mask for layer in model.layers]
    total = sum(m.size for m in masks)
    if not total:
        return 0.0
    guarded = scope == "global" and min_density > 0  # as in prune_weights
    kept = sum(_guard_floor(masks, min_density)) if guarded else 0
    return (total - kept) / total


def prune_weights(model, amount, *, criterion="magnitude", scope="layer", data=None, seed=None,
                  min_density=0.01):
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
    criterion : {"magnitude", "random", "taylor", "snip", "obd"}
        Importance score, see :mod:`minprune.pruning.criteria`; lowest pruned first.
    scope : {"layer", "global"}
        ``"layer"``: `amount` applies to each layer, the output layer included
        (torch's ``l1_unstructured`` on each layer). ``"global"``: one ranking
        over every weight of every layer (torch's ``global_unstructured``).
    data : tuple (X, y), optional
        A batch for the data-driven criteria (``taylor``, ``snip``, ``obd``).
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
        :func:`max_sparsity` tells the highest sparsity it allows.
    """
    check_choice(scope, "scope", SCOPES)
    check_choice(criterion, "criterion", WEIGHT_CRITERIA)
    min_density = check_float(min_density, "min_density", low=0.0, high=1.0, low_inclusive=True,
                              high_inclusive=False)
    check_model(model)
    amount = as_scalar(amount)
    masks = [layer.mask for layer in model.layers]
    available = [int(np.count_nonzero(m)) for m in masks]
    # resolve the amount before any (possibly costly) scoring, so bad input fails fast
    counts = resolve_counts(amount, available, scope)
    if isinstance(amount, (list, tuple, np.ndarray)):
        amount = [as_scalar(a) for a in amount]
    scores = weight_importance(model, criterion, data=data, seed=seed)
    eligible = masks
    if scope == "global" and min_density > 0:
        eligible = layer_collapse_guard(masks, scores, min_density)
    chosen = select_by_scope(scores, eligible, counts, amount=amount, guard=(
        f"the layer-collapse guard (min_density={min_density}) keeps each layer's best "
        f"weights; lower amount or pass min_density=0"))
    new_masks = [m & ~c for m, c in zip(masks, chosen)]
    commit_masks(model, new_masks, label=f"weights {criterion}/{scope} amount={amount!r}")
    rows = [LayerPruning(f"layers[{i}]", m.shape, int(np.count_nonzero(c)),
                         int(m.size - np.count_nonzero(m)), m.size)
            for i, (m, c) in enumerate(zip(new_masks, chosen))]
    return PruningReport("weights", criterion, scope, amount, rows)
