"""Checks for the exercises of notebooks 07-09: lottery tickets, when not to prune, the FAQ.

Each check compares a learner's answer with what minprune computes from the same
objects. A wrong answer raises ``AssertionError`` with a hint; a right one returns
``True``. Arguments that are not the learner's answer (the model, the result of an
experiment) are validated like any library argument (``TypeError``/``ValueError``).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import _describe
from ..metrics import csr_nbytes
from ..model import MLP, Dense, validate_model
from ..pruning.criteria import validate_data
from ..pruning.weights import prune_weights
from .basics import _float_array, _hint
from .structure import _break_even_of_w, csr_break_even

# Answers read off a printed table are rounded to 3 decimals: accept that much.
_PRINT_TOL = 5e-4


def _as_fraction(answer, what):
    """The learner's answer as a float in [0, 1], or an AssertionError with a hint."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        _hint(f"{what} should be a number, a fraction such as 0.8; got {_describe(answer)}")
    answer = float(answer)
    if not math.isfinite(answer):
        _hint(f"{what} should be a finite fraction in [0, 1]; got {answer!r}")
    if 1 < answer <= 100:
        _hint(f"{what} should be a fraction in [0, 1], not a percentage: "
              f"write {answer / 100:g} rather than {answer:g}")
    if not 0 <= answer <= 1:
        _hint(f"{what} should be a fraction in [0, 1]; got {answer:g}")
    return answer


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


# ------------------------------------------------------------------- notebook 07
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
    return True


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
    return True


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
        return True
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


# ------------------------------------------------------------------- notebook 08
def _knee(sparsities, accuracies, dense, tolerance):
    x = np.asarray(sparsities, dtype=float)
    acc = np.asarray(accuracies, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"sparsities must be a non-empty 1-D sequence, "
                         f"got {_describe(sparsities)}")
    if acc.ndim == 1:
        acc = acc[None, :]
    if acc.ndim != 2 or acc.shape[1] != x.size:
        raise ValueError(f"accuracies must have shape (n_sparsities,) or (n_seeds, n_sparsities) "
                         f"with n_sparsities = {x.size}, got shape {np.shape(accuracies)}")
    mean = acc.mean(axis=0)
    base = float(np.mean(dense))
    order = np.argsort(x, kind="stable")
    knee, first_fail = 0.0, None
    for j in order:
        if mean[j] >= base - tolerance:
            knee = float(x[j])
        else:
            first_fail = float(x[j])
            break
    return knee, first_fail, base, x, mean


def check_knee_sparsity(answer, sparsities, accuracies, dense, tolerance=0.02):
    """Check the knee: the largest sparsity up to which accuracy stays within `tolerance`.

    Walking the sparsities upwards, the knee is the last one whose accuracy (the
    mean over seeds) is at least ``dense - tolerance``, before the first that is
    not; 0.0 when the first one already falls short.

    Parameters
    ----------
    answer : float
        The learner's knee, a fraction in [0, 1].
    sparsities : array-like of shape (n_sparsities,)
    accuracies : array-like of shape (n_sparsities,) or (n_seeds, n_sparsities)
    dense : float or array-like of shape (n_seeds,)
        Accuracy of the unpruned model (the mean is used).
    tolerance : float
        Accuracy that may be lost, as a fraction (0.02 = two points).

    Returns
    -------
    True
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or tolerance < 0:
        raise ValueError(f"tolerance must be a number >= 0, got {_describe(tolerance)}")
    knee, first_fail, base, x, mean = _knee(sparsities, accuracies, dense, tolerance)
    answer = _as_fraction(answer, "answer")
    if abs(answer - knee) <= _PRINT_TOL:
        return True
    if first_fail is not None and abs(answer - first_fail) <= _PRINT_TOL:
        _hint(f"at {first_fail:g} the accuracy has already fallen more than {tolerance:g} "
              f"below the dense {base:.3f}: the knee is the last sparsity before that")
    within = x[mean >= base - tolerance]
    if within.size and abs(answer - within.max()) <= _PRINT_TOL and answer > knee:
        _hint("accuracy recovers there, but it had already dropped at a lower sparsity: the "
              "knee is where the curve first leaves the band, walking up from 0")
    _hint(f"average the accuracies over seeds, keep the sparsities whose accuracy is at least "
          f"{base:.3f} - {tolerance:g} (the dense accuracy minus the tolerance) walking up "
          f"from the lowest, and answer the last one")


def _one_shot_grid(models, sparsities, X, y, *, scope="layer", fresh=True):
    """Accuracy of each model pruned one-shot to each sparsity, without training after the cut."""
    grid = np.empty((len(models), len(sparsities)))
    for r, model in enumerate(models):
        pruned = model.copy()
        for c, s in enumerate(sparsities):
            if fresh:
                pruned = model.copy()
            prune_weights(pruned, float(s), scope=scope)
            grid[r, c] = pruned.score(X, y)
    return grid


def check_one_shot_accuracies(accuracies, models, sparsities, data):
    """Check an accuracy-against-sparsity grid of one-shot pruning, with no training after the cut.

    Entry ``[k, j]`` is the accuracy on `data` of a fresh copy of ``models[k]``
    pruned once with ``prune_weights(copy, sparsities[j])`` (magnitude, each layer
    by the same fraction) and not trained afterwards.

    Parameters
    ----------
    accuracies : array-like of shape (n_models, n_sparsities)
        The learner's grid, fractions in [0, 1].
    models : list of MLP
        The trained, unpruned models (one per seed).
    sparsities : array-like of shape (n_sparsities,)
    data : tuple (X, y)
        Where accuracy is measured.

    Returns
    -------
    True
    """
    if isinstance(models, MLP) or not isinstance(models, (list, tuple)) or not models:
        raise TypeError(f"models must be a non-empty list of MLPs, got {_describe(models)}")
    for k, model in enumerate(models):
        validate_model(model, f"models[{k}]")
    x = np.asarray(sparsities, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all((x >= 0) & (x <= 1)):
        raise ValueError(f"sparsities must be a non-empty 1-D sequence of fractions in [0, 1], "
                         f"got {_describe(sparsities)}")
    X, y = validate_data(models[0], data, "check_one_shot_accuracies")
    for k, model in enumerate(models):
        if any(layer.is_pruned() for layer in model.layers):
            _hint(f"models[{k}] has pruned weights: it was pruned in place. Retrain it, and "
                  "prune a copy (model.copy()) at each sparsity")
    got = _float_array(accuracies, (len(models), x.size),
                       "accuracies, one row per model and one column per sparsity")
    want = _one_shot_grid(models, x, X, y)
    tol = 1e-9
    if np.allclose(got, want, rtol=0, atol=tol):
        return True
    if got.max() > 1 and np.allclose(got, 100 * want, rtol=0, atol=100 * tol):
        _hint("those are percentages; give accuracies as fractions in [0, 1]")
    if np.allclose(got, _one_shot_grid(models, x, X, y, fresh=False), rtol=0, atol=tol):
        _hint("the cuts pile up: prune_weights prunes a fraction of the weights still there, "
              "so pruning one copy again and again overshoots. Start each sparsity from a fresh "
              "model.copy()")
    if np.allclose(got, _one_shot_grid(models, x, X, y, scope="global"), rtol=0, atol=tol):
        _hint("that is global pruning (one ranking for all layers); prune_weights(copy, s) "
              "prunes the same fraction of every layer (scope='layer')")
    if float(np.mean(got - want)) > 0.01:
        _hint(f"on average {np.mean(got - want):.3f} above what one-shot pruning gives: were "
              "the copies trained after the cut? This curve is measured right after pruning, "
              "with no fine-tuning")
    _hint("for every model and every sparsity s: copy the model, prune_weights(copy, s), and "
          "score the copy on the data, with no training in between")


def check_csr_max_nonzeros(answer, layer):
    """Check the most non-zeros a layer can keep while CSR still takes fewer bytes than dense.

    Counts the weight matrix only (no bias), stored the way :func:`minprune.to_sparse`
    stores it: ``W.T`` in CSR, one row per output unit, int32 indices. Dense:
    ``fan_in * fan_out * itemsize`` bytes; CSR with ``nnz`` non-zeros:
    ``nnz * (itemsize + 4) + (fan_out + 1) * 4`` bytes. The count is
    :func:`minprune.checks.structure.csr_break_even`, the same one behind
    ``check_csr_break_even`` (notebook 05, which asks for the sparsity instead).

    Parameters
    ----------
    answer : int
        The learner's count: the largest ``nnz`` with CSR bytes < dense bytes.
    layer : Dense
        E.g. ``model.layers[0]``; its dtype sets ``itemsize``.

    Returns
    -------
    True
    """
    if not isinstance(layer, Dense):
        raise TypeError(f"layer must be a minprune Dense layer such as model.layers[0], "
                        f"got {_describe(layer)}")
    fan_in, fan_out = layer.W.shape
    item = layer.W.dtype.itemsize
    dense = fan_in * fan_out * item
    expected = csr_break_even((fan_in, fan_out), item)
    if isinstance(answer, float) and 0 < answer < 1:
        _hint("give a count of non-zero weights (an int), not a fraction")
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) \
            or int(answer) != answer:
        _hint(f"answer should be a whole number of non-zero weights, got {_describe(answer)}")
    answer = int(answer)
    if answer == expected:
        return True
    if answer == expected + 1 and csr_nbytes(answer, fan_out, item) == dense:
        _hint("at that count CSR takes exactly as many bytes as dense; the question asks "
              "for strictly fewer")
    if answer == (dense - 1) // (item + 4):
        _hint("close: CSR also stores the row pointers, fan_out + 1 int32 numbers "
              "(minprune.to_sparse stores W.T, one row per output unit)")
    if fan_in != fan_out and answer == _break_even_of_w((fan_in, fan_out), item):
        _hint("the CSR copy stores W.T: its rows are the layer's output units, so there are "
              "fan_out + 1 row pointers, not fan_in + 1")
    if answer == layer.W.size // 2:
        _hint("half the weights is the rule of thumb for float32 with int32 indices; count "
              "exactly: each non-zero costs itemsize + 4 bytes, plus the row pointers")
    _hint("write the two sizes as functions of nnz (dense: fan_in * fan_out * itemsize; CSR: "
          "nnz * (itemsize + 4) + (fan_out + 1) * 4) and find the largest nnz for which CSR is "
          "strictly smaller; minprune.metrics.csr_nbytes computes the CSR side")


def check_equal_nonzeros_sparsity(answer, small, large):
    """Check the sparsity at which `large` keeps as many weights as `small` has.

    Parameters
    ----------
    answer : float
        The learner's sparsity for `large`, a fraction in [0, 1], computed (not
        rounded: counting biases too changes only the fourth decimal).
    small, large : MLP
        Sparsity counts weights only (not biases), as :func:`minprune.sparsity` does.

    Returns
    -------
    True
    """
    validate_model(small, "small")
    validate_model(large, "large")
    n_small = sum(layer.W.size for layer in small.layers)
    n_large = sum(layer.W.size for layer in large.layers)
    if n_small > n_large:
        raise ValueError(f"small must have fewer weights than large, got {n_small} and {n_large}")
    expected = 1 - n_small / n_large
    answer = _as_fraction(answer, "answer")
    if abs(answer - expected) <= 1e-6:
        return True
    if abs(answer - n_small / n_large) <= 1e-6:
        _hint("that is the fraction of weights the large network *keeps* (its density); "
              "sparsity is the fraction pruned, 1 minus it")
    if abs(answer - (1 - small.n_params() / large.n_params())) <= 1e-6:
        _hint("you counted the biases too; sparsity (minprune.sparsity) counts weights only: "
              "sum(layer.W.size for layer in model.layers)")
    if abs(answer - expected) <= _PRINT_TOL:
        _hint(f"almost: compute it rather than rounding it ({expected!r})")
    _hint("count the weights of each network (sum of layer.W.size) and prune the large one "
          "until it keeps as many as the small one has: sparsity = 1 - kept / total")


# ------------------------------------------------------------------- notebook 09
def check_recovered_fraction(answer, result):
    """Check the fraction of the accuracy lost to pruning that fine-tuning won back.

    ``(finetuned - pruned) / (dense - pruned)`` from a :class:`FinetuneResult`
    (1.0: all of it; may exceed 1 or be negative).

    Parameters
    ----------
    answer : float
    result : FinetuneResult
        From :func:`minprune.prune_and_finetune`.

    Returns
    -------
    True
    """
    try:
        dense = float(result.dense_accuracy)
        pruned = float(result.pruned_accuracy)
        finetuned = float(result.finetuned_accuracy)
    except (AttributeError, TypeError) as exc:
        raise TypeError(f"result must be a FinetuneResult from minprune.prune_and_finetune, "
                        f"got {_describe(result)}") from exc
    if dense == pruned:
        raise ValueError("pruning did not change the accuracy in this result, so there is "
                         "nothing to recover; prune more")
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) \
            or not math.isfinite(answer):
        _hint(f"answer should be a number such as 0.75, got {_describe(answer)}")
    expected = (finetuned - pruned) / (dense - pruned)
    # the inputs may have been read off a table rounded to 3 decimals
    tol = 2e-3 / abs(dense - pruned) + 1e-9
    if abs(answer - expected) <= tol:
        return True
    if abs(answer - expected * 100) <= 100 * tol or abs(answer / 100 - expected) <= tol:
        _hint("give a fraction (0.75), not a percentage (75)")
    if abs(answer - finetuned / dense) <= tol or abs(answer - (finetuned - pruned)) <= tol:
        _hint("divide what fine-tuning won back (finetuned - pruned) by what pruning lost "
              "(dense - pruned)")
    if abs(answer - (dense - finetuned) / (dense - pruned)) <= tol:
        _hint("that is the fraction still missing; the question asks for the part recovered")
    _hint(f"recovered = (finetuned - pruned) / (dense - pruned), with dense = {dense:.3f}, "
          f"pruned = {pruned:.3f}, finetuned = {finetuned:.3f}")


def check_undone(model, reference):
    """Check that `model` is back exactly where `reference` is: masks, weights and biases.

    Parameters
    ----------
    model : MLP
        The learner's model after undoing.
    reference : MLP
        A copy taken before the step that had to be undone.

    Returns
    -------
    True
    """
    validate_model(model, "model")
    validate_model(reference, "reference")
    if model.layer_sizes != reference.layer_sizes:
        _hint(f"model has layer sizes {model.layer_sizes}, reference {reference.layer_sizes}: "
              f"a shrunk model cannot be undone, undo the masked one")
    for i, (a, b) in enumerate(zip(model.layers, reference.layers)):
        if not (np.array_equal(a.mask, b.mask) and np.array_equal(a.bias_mask, b.bias_mask)):
            extra = int(np.count_nonzero(b.mask & ~a.mask))
            _hint(f"layers[{i}] still has {extra} weights pruned that the reference keeps: "
                  f"minprune.undo(model) removes the latest step, rewind(model, k) goes back "
                  f"to entry k of model.mask_history")
        if not (np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)):
            _hint(f"the masks of layers[{i}] are back, but its weights are not: setting "
                  f"mask[...] = True brings back zeros, not the old values; undo/rewind "
                  f"restore both from model.mask_history")
    return True
