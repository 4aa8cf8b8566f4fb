"""Which hidden units still exist, and which still matter: one definition each.

*Active* units are those :func:`minprune.prune_neurons` has not pruned yet: a
unit stops being active once its bias and all its incoming weights are masked
(torch's structured rule: a channel whose mask is all zeros). ``amount`` in
``prune_neurons`` counts active units.

*Live* units are those that still make the output depend on the input: a live
unit has a live outgoing weight leading (eventually) to the output, and a live
incoming weight from an input-dependent unit. Every live unit is active, not
the other way round: weight pruning can leave an active unit dead by masking
all its outgoing weights, or everything that fed it. Live units are what
:func:`minprune.shrink` keeps, what :func:`minprune.report` counts as
``live_neurons``; the others are what :func:`minprune.plots.network_diagram`
draws hollow.

:func:`unit_masks` turns a choice of units to remove into masks.
"""
from __future__ import annotations

import numpy as np

from .._validation import _describe
from ..model import _FORWARD, validate_model


def active_units(model):
    """Which hidden units :func:`prune_neurons` has not pruned yet: its ``amount`` counts these.

    A unit counts as pruned once its bias and all its incoming weights are
    masked (torch's structured rule: a channel whose mask is all zeros).

    This is about masks, not about what the unit still does. A unit can be
    active here yet not *live*: weight pruning masked all its outgoing weights,
    or everything that fed it. Units that are not live are what
    :func:`minprune.shrink` removes, what :func:`minprune.report` leaves out of
    ``live_neurons`` and what :func:`minprune.plots.network_diagram` draws
    hollow; see :func:`live_units`, which is the stricter test
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
    :func:`~minprune.pruning.history.commit_masks`.

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
    validate_model(model)
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


def unit_analysis(model):
    """Which hidden units are constant, their constant values, and which are live.

    The one definition of liveness (see the module docstring); :func:`live_units`
    and :func:`minprune.shrink` (which also folds the constants) read it.

    Returns
    -------
    constant : list of bool ndarray, one of shape (hidden_i,) per hidden layer
        True for units that do not depend on the input.
    values : list of float64 ndarray, same shapes
        The constant output of those units (meaningless elsewhere).
    live : list of bool ndarray, same shapes
        True for live units: those :func:`minprune.shrink` keeps.
    """
    hidden = model.layers[:-1]
    constant, values = [], []
    prev_const = np.zeros(model.n_features, dtype=bool)  # inputs are never constant
    prev_vals = np.zeros(model.n_features)
    for layer in hidden:
        fed = layer.mask[~prev_const].any(axis=0)  # has a live weight from a varying unit
        z = (layer.b * layer.bias_mask).astype(np.float64)
        if prev_const.any():
            W = (layer.W * layer.mask)[prev_const].astype(np.float64)
            z = z + prev_vals[prev_const] @ W
        const = ~fed
        constant.append(const)
        values.append(np.where(const, _FORWARD[layer.activation](z), 0.0))
        prev_const, prev_vals = const, values[-1]
    keep = [None] * len(hidden)
    next_keep = np.ones(model.n_classes, dtype=bool)  # output classes are never removed
    for i in range(len(hidden) - 1, -1, -1):
        useful = model.layers[i + 1].mask[:, next_keep].any(axis=1)
        keep[i] = useful & ~constant[i]
        next_keep = keep[i]
    return constant, values, keep


def live_units(model):
    """Hidden units that still make the output depend on the input: those :func:`minprune.shrink` keeps.

    Parameters
    ----------
    model : MLP

    Returns
    -------
    list of bool ndarray
        One array of shape (hidden_i,) per hidden layer; True for a unit that
        still makes the output depend on the input. Stricter than
        :func:`active_units` (units not yet pruned): a unit whose outgoing
        weights were all pruned by weight pruning is active there but not live
        here.
    """
    return unit_analysis(validate_model(model))[2]
