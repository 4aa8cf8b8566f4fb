"""Checks for the exercises of notebook 07 (the lottery ticket)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._passed import PASSED
from .._validation import _describe
from ..model import validate_model
from ._common import _PRINT_TOL, _as_fraction, _hint


def _check_masks_like(masks, reference, name):
    """`masks` as a list of bool arrays shaped like `reference`, or an AssertionError."""
    if isinstance(masks, np.ndarray) or not isinstance(masks, (list, tuple)):
        _hint(f"{name} should be a list with one bool array per layer ({len(reference)}), "
              f"got {_describe(masks)}")
    if len(masks) != len(reference):
        _hint(f"{name} should hold one mask per layer: {len(reference)}, got {len(masks)}")
    out = []
    for i, (m, ref) in enumerate(zip(masks, reference)):
        m = np.asarray(m)
        if m.shape != ref.shape:
            _hint(f"{name}[{i}] should have the shape of layers[{i}].W, {ref.shape}; "
                  f"got {m.shape}")
        if m.dtype != bool:
            _hint(f"{name}[{i}] should be a bool array (True = kept), got dtype {m.dtype}; "
                  f"build it with a comparison or np.zeros(shape, dtype=bool)")
        out.append(m)
    return out


def check_rewound(model, init_weights, masks):
    """Check a hand-written rewind: surviving weights back to their initial values.

    Parameters
    ----------
    model : MLP
        The ticket after the learner's rewind (changed in place by the learner).
    init_weights : list of (W, b)
        The values to rewind to, one pair per layer (``LotteryResult.init_weights``).
    masks : list of bool ndarray
        The ticket's masks, one per layer, each of ``W``'s shape.

    Returns
    -------
    True
    """
    validate_model(model, "model")
    if len(init_weights) != len(model.layers) or len(masks) != len(model.layers):
        raise ValueError(f"init_weights and masks must hold one entry per layer "
                         f"({len(model.layers)}), got {len(init_weights)} and {len(masks)}")
    for i, (layer, (W0, b0), m) in enumerate(zip(model.layers, init_weights, masks)):
        m = np.asarray(m, dtype=bool)
        if layer.W.shape != np.shape(W0) or m.shape != layer.W.shape:
            raise ValueError(f"layers[{i}] has W of shape {layer.W.shape}, but init_weights or "
                             f"masks have {np.shape(W0)} and {m.shape}: not the same network")
        if not np.array_equal(layer.mask, m):
            _hint(f"layers[{i}].mask changed. Rewinding resets the weights, not the mask: the "
                  f"ticket is the pruned structure *and* its initial values, so keep the mask "
                  f"as it is")
        kept_same = np.array_equal(layer.W[m], np.asarray(W0)[m])
        if not kept_same:
            if np.allclose(layer.W[m], np.asarray(W0)[m], rtol=1e-3, atol=1e-6):
                _hint(f"layers[{i}].W is close to, but not exactly, its initial values: copy "
                      f"them (layer.W[...] = W0) instead of recomputing them")
            _hint(f"the surviving weights of layers[{i}] are not their initial values: set "
                  f"layer.W from init_weights[{i}][0] (still the trained values?)")
        if np.any(layer.W[~m] != 0):
            _hint(f"pruned weights of layers[{i}] came back with their initial values: a pruned "
                  f"weight must stay exactly 0.0, so multiply by the mask (or call "
                  f"model.apply_masks())")
        b_expected = np.asarray(b0) * layer.bias_mask
        if not np.array_equal(layer.b, b_expected):
            _hint(f"layers[{i}].b is not its initial value: rewind the biases too "
                  f"(init_weights[{i}][1])")
    return PASSED


def check_random_ticket_masks(my_masks, ticket_masks):
    """Check masks for the random-pruning control: the ticket's layer sparsities, random places.

    Parameters
    ----------
    my_masks : list of bool ndarray
        The learner's masks, one per layer.
    ticket_masks : list of bool ndarray
        The winning ticket's masks (``LotteryResult.masks[r]``).

    Returns
    -------
    True

    Notes
    -----
    A random mask keeps about ``k_ticket * k_mine / size`` of the ticket's weights
    (a hypergeometric count). Overlaps more than six standard deviations away
    are rejected: a truly random mask fails with probability below 1e-8.
    """
    if not isinstance(ticket_masks, (list, tuple)) or not ticket_masks:
        raise TypeError(f"ticket_masks must be a non-empty list of bool arrays, "
                        f"got {_describe(ticket_masks)}")
    ticket_masks = [np.asarray(m, dtype=bool) for m in ticket_masks]
    mine = _check_masks_like(my_masks, ticket_masks, "my_masks")
    for i, (m, t) in enumerate(zip(mine, ticket_masks)):
        k, k_t, size = int(m.sum()), int(t.sum()), t.size
        if k != k_t:
            hint = ""
            if abs(k / size - sum(x.sum() for x in ticket_masks)
                   / sum(x.size for x in ticket_masks)) < 0.01:
                hint = (" It looks like you used the network's overall sparsity; the control "
                        "keeps each layer's own sparsity.")
            _hint(f"my_masks[{i}] keeps {k} weights, the ticket's layer keeps {k_t}: the "
                  f"control must prune each layer exactly as much as the ticket.{hint}")
        if 0 < k < size and np.array_equal(m, t):
            _hint(f"my_masks[{i}] is the ticket's own mask; the control draws the kept "
                  f"positions at random (e.g. rng.permutation)")
        if 0 < k < size:
            overlap = int(np.count_nonzero(m & t))
            if _far_from_random(overlap, k, t):
                _hint(f"my_masks[{i}] shares {overlap} kept weights with the ticket where a "
                      f"random mask shares about {k * k_t / size:.0f}: its positions are not "
                      f"random (derived from the weights or the ticket?)")
            first_half = np.zeros(size, dtype=bool)
            first_half[:size // 2] = True
            in_first = int(np.count_nonzero(m.ravel()[:size // 2]))
            if _far_from_random(in_first, k, first_half):
                _hint(f"my_masks[{i}] keeps {in_first} of its {k} weights in the first half of "
                      f"the layer (row-major), where random positions put about {k / 2:.0f} "
                      f"there: draw the kept positions over the whole layer, e.g. "
                      f"rng.permutation(size) < k, reshaped")
    return PASSED


def _far_from_random(count, k, reference):
    """Whether `count`, the kept entries of a k-entry mask that fall in the True entries of
    `reference`, is more than six standard deviations from a uniformly random mask's
    (a hypergeometric count; a random mask is flagged with probability below 1e-8)."""
    size, k_ref = reference.size, int(np.count_nonzero(reference))
    expected = k * k_ref / size
    var = k_ref * (k / size) * (1 - k / size) * (size - k_ref) / max(size - 1, 1)
    return abs(count - expected) > 6 * math.sqrt(var) + 1


def check_sparsest_matching_ticket(answer, result):
    """Check the sparsest round whose ticket is at least as accurate as the dense network.

    Parameters
    ----------
    answer : float
        The learner's sparsity, a fraction in [0, 1] (0.0 when no pruned round matches).
    result : LotteryResult
        From :func:`minprune.lottery_ticket`.

    Returns
    -------
    True
    """
    try:
        sparsities = [float(s) for s in result.sparsity]
        ticket = [float(a) for a in result.ticket_accuracy]
        control = [float(a) for a in result.control_accuracy]
    except (AttributeError, TypeError) as exc:
        raise TypeError(f"result must be a LotteryResult from minprune.lottery_ticket, "
                        f"got {_describe(result)}") from exc
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool) \
            and 1 < answer <= len(sparsities) - 1:
        _hint(f"give the sparsity of the round (e.g. {sparsities[answer]:.3f}), not the round "
              f"number {answer}")
    answer = _as_fraction(answer, "answer")
    dense = ticket[0]
    matching = [s for s, a in zip(sparsities[1:], ticket[1:]) if a >= dense]
    expected = max(matching) if matching else 0.0
    if abs(answer - expected) <= _PRINT_TOL:
        return PASSED
    from_control = [s for s, a in zip(sparsities[1:], control[1:]) if a >= dense]
    if from_control and abs(answer - max(from_control)) <= _PRINT_TOL:
        _hint("that is where the random re-initialisation matches; the question is about "
              "the ticket (ticket_accuracy)")
    below = [s for s, a in zip(sparsities[1:], ticket[1:]) if a < dense]
    if below and abs(answer - min(below)) <= _PRINT_TOL:
        _hint("at that sparsity the ticket is already below the dense network; look for the "
              "sparsest round that still reaches ticket_accuracy[0]")
    _hint(f"compare every pruned round's ticket_accuracy with the dense accuracy "
          f"ticket_accuracy[0] = {dense:.3f} and take the largest sparsity among those that "
          f"reach it (0.0 if none does)")
