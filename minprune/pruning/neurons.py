"""Neuron pruning: mask whole hidden units.

Removing hidden unit j of layer i masks three things at once: its incoming
weights (column j of ``layers[i].W``), its bias (``layers[i].b[j]``) and its
outgoing weights (row j of ``layers[i + 1].W``). The unit then outputs f(0) to
nobody, and :func:`minprune.shrink` can cut it out of the matrices for real.
The output layer is never pruned: its units are the classes.

Scores are computed on the *masked* weights: an incoming weight already pruned
(by weight pruning, or because the unit that fed it was removed) counts as 0.
That is also what ``torch.nn.utils.prune.ln_structured`` scores (``module.weight``,
which is ``weight_orig * weight_mask``), so ``prune_neurons(..., "l2", "layer")``
picks torch's units in every round, not only the first (checked against torch on
a three-hidden-layer network, with neuron rounds after weight pruning, in
``tests/test_torch_parity.py``).
"""
from __future__ import annotations

import numpy as np

from .._validation import validate_choice
from ..model import validate_model
from .criteria import lookup, neuron_importance
from .history import commit_masks
from .rules import SCOPES, as_scalar, layer_collapse_guard, resolve_counts, select_by_scope
from .units import active_units, unit_masks
from .weights import LayerPruning, PruningReport


def unit_candidates(model, criterion, scope, *, data=None, seed=None):
    """Importance of every hidden unit, and which units a `scope` ranking may choose.

    The one preparation :func:`prune_neurons` and the widgets share before
    :func:`~minprune.pruning.rules.select_by_scope` chooses.

    Returns
    -------
    scores : list of float64 ndarray, one of shape (fan_out,) per hidden layer
    eligible : list of bool ndarray, same shapes
        The active units (:func:`~minprune.pruning.units.active_units`), less,
        for ``scope="global"``, the best unit of each hidden layer, which a
        global ranking always keeps (a layer with no unit would cut the network
        in two).
    """
    active = active_units(model)
    scores = neuron_importance(model, criterion, data=data, seed=seed)
    eligible = layer_collapse_guard(active, scores, 0.0) if scope == "global" else active
    return scores, eligible


def prune_neurons(model, amount, *, criterion="l2", scope="layer", data=None, seed=None):
    """Prune whole hidden units in place; return a per-layer report.

    Parameters
    ----------
    model : MLP
        Needs at least one hidden layer. Masks change in place via ``commit_masks``
        (pruned weights and biases are zeroed, the step is recorded in
        ``model.mask_history``).
    amount : float in [0, 1], int, or a sequence of them (one per hidden layer)
        A float prunes ``round(amount * n)`` of the ``n`` units *still active*
        (per hidden layer for ``scope="layer"``, over all hidden layers for
        ``"global"``); an int prunes exactly that many. With ``scope="layer"``, a
        sequence gives each hidden layer its own amount.
    criterion : str
        A neuron criterion of the registry (``minprune.pruning.criteria.describe("neurons")``
        lists them); lowest score pruned first, scored on the masked weights. With ``"l2"`` and ``scope="layer"``
        the units are exactly those torch's ``ln_structured(linear, "weight",
        amount, n=2, dim=0)`` picks on each hidden layer (torch's ``weight`` is
        our ``W.T``), round after round: torch too scores the masked weights.
        One difference in counting: torch takes a unit whose incoming weights are
        all masked as already pruned, we also wait for its bias (see
        :func:`active_units`), so `amount` can count one more unit here after
        weight pruning has emptied a whole column.
    scope : {"layer", "global"}
        ``"global"`` ranks the units of all hidden layers together and always
        keeps at least one unit per hidden layer (a layer with no unit would cut
        the network in two). Scores of different layers are compared as they
        are: norms grow with fan-in, so ``l1``/``l2`` favour wide-input layers.
    data : tuple (X, y), optional
        A batch, for ``activation``, ``apoz`` and ``taylor``.
    seed : int, np.random.Generator or None
        For ``criterion="random"``.

    Returns
    -------
    PruningReport
        One row per hidden layer, counting units.
    """
    validate_choice(scope, "scope", SCOPES)
    lookup("neurons", criterion)
    validate_model(model)
    amount = as_scalar(amount)
    if len(model.layers) < 2:
        raise ValueError(f"model has no hidden layer to prune: {model!r}")
    active = active_units(model)
    available = [int(np.count_nonzero(a)) for a in active]
    counts = resolve_counts(amount, available, scope)
    # A global ranking keeps one unit in each hidden layer (its best), so no layer is emptied.
    scores, eligible = unit_candidates(model, criterion, scope, data=data, seed=seed)
    chosen = select_by_scope(scores, eligible, counts, amount=amount,
                             guard="scope='global' keeps one unit in each hidden layer")
    masks, bias_masks = unit_masks(model, chosen)
    commit_masks(model, masks, bias_masks, label=f"neurons {criterion}/{scope} amount={amount!r}")
    rows = [LayerPruning(f"layers[{i}]", (a.size,), int(np.count_nonzero(c)),
                         int(a.size - np.count_nonzero(a)), a.size)
            for i, (a, c) in enumerate(zip(active_units(model), chosen))]
    return PruningReport("neurons", criterion, scope, amount, rows)
