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

from .._validation import _describe, check_choice
from ..model import check_model
from .criteria import NEURON_CRITERIA, neuron_importance
from .masks import as_scalar, commit_masks, resolve_counts, select_by_scope
from .weights import SCOPES, LayerPruning, PruningReport, layer_collapse_guard


def active_units(model):
    """Which hidden units :func:`prune_neurons` has not pruned yet: its ``amount`` counts these.

    A unit counts as pruned once its bias and all its incoming weights are
    masked (torch's structured rule: a channel whose mask is all zeros).

    This is about masks, not about what the unit still does. A unit can be
    active here yet *dead*: weight pruning masked all its outgoing weights, or
    everything that fed it. Dead units are what :func:`minprune.shrink` removes,
    what :func:`minprune.report` leaves out of "active neurons" and what
    :func:`minprune.plots.network_diagram` draws hollow; see
    :func:`~minprune.pruning.structured.live_units`, which is the stricter test
    (every live unit is active, not the other way round). ``prune_neurons`` keeps
    this looser rule so that ``amount`` means what it means in
    ``torch.nn.utils.prune`` (a fraction of the units whose masks are not yet
    all zero), and because pruning a dead unit still masks the weights it holds.

    Returns
    -------
    list of bool ndarray, one of shape (fan_out,) per hidden layer
    """
    return [layer.bias_mask | layer.mask.any(axis=0) for layer in model.layers[:-1]]


def unit_masks(model, units):
    """New masks with the given hidden units removed; `model` is not changed.

    Removing unit j of hidden layer i masks its incoming weights (column j of
    ``layers[i].W``), its bias (``layers[i].b[j]``) and its outgoing weights
    (row j of ``layers[i + 1].W``). Install the result with
    :func:`~minprune.pruning.masks.commit_masks`.

    Parameters
    ----------
    model : MLP
    units : sequence of bool ndarray
        One per hidden layer, of shape (fan_out,): True for a unit to remove.

    Returns
    -------
    masks, bias_masks : list of bool ndarray
        One per layer (output layer included), the model's current masks with
        the removed units' entries set to False.
    """
    check_model(model)
    hidden = model.layers[:-1]
    if (isinstance(units, (str, bytes)) or not hasattr(units, "__len__")
            or len(units) != len(hidden)):
        raise ValueError(f"units must hold one bool array per hidden layer ({len(hidden)}), "
                         f"got {_describe(units)}")
    checked = []
    for i, (layer, u) in enumerate(zip(hidden, units)):
        u = np.asarray(u)
        if u.dtype != bool or u.shape != layer.b.shape:
            raise ValueError(f"units[{i}] must be a bool array of shape {layer.b.shape}, "
                             f"got {_describe(u)}")
        checked.append(u)
    masks = [layer.mask.copy() for layer in model.layers]
    bias_masks = [layer.bias_mask.copy() for layer in model.layers]
    for i, u in enumerate(checked):
        masks[i][:, u] = False
        bias_masks[i][u] = False
        masks[i + 1][u, :] = False
    return masks, bias_masks


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
    criterion : {"l2", "l1", "activation", "apoz", "taylor", "random"}
        Unit importance, see :mod:`minprune.pruning.criteria`; lowest pruned
        first, scored on the masked weights. With ``"l2"`` and ``scope="layer"``
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
    check_choice(scope, "scope", SCOPES)
    check_choice(criterion, "criterion", NEURON_CRITERIA)
    check_model(model)
    amount = as_scalar(amount)
    if len(model.layers) < 2:
        raise ValueError(f"model has no hidden layer to prune: {model!r}")
    active = active_units(model)
    available = [int(np.count_nonzero(a)) for a in active]
    counts = resolve_counts(amount, available, scope)
    scores = neuron_importance(model, criterion, data=data, seed=seed)
    # A global ranking keeps one unit in each hidden layer (its best), so no layer is emptied.
    eligible = layer_collapse_guard(active, scores, 0.0) if scope == "global" else active
    chosen = select_by_scope(scores, eligible, counts, amount=amount,
                             guard="scope='global' keeps one unit in each hidden layer")
    masks, bias_masks = unit_masks(model, chosen)
    commit_masks(model, masks, bias_masks, label=f"neurons {criterion}/{scope} amount={amount!r}")
    rows = [LayerPruning(f"layers[{i}]", (a.size,), int(np.count_nonzero(c)),
                         int(a.size - np.count_nonzero(a)), a.size)
            for i, (a, c) in enumerate(zip(active_units(model), chosen))]
    return PruningReport("neurons", criterion, scope, amount, rows)
