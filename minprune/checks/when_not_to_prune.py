"""Checks for the exercises of notebook 08 (when not to prune)."""
from __future__ import annotations

import numbers

import numpy as np

from ._passed import PASSED
from .._validation import _describe
from ..metrics import csr_nbytes
from ..model import Dense, MLP, validate_model
from ..pruning.criteria import validate_data
from ..pruning.weights import prune_weights
from ._common import (_PRINT_TOL, _as_fraction, _break_even_of_w, _float_array, _hint,
                      csr_break_even)


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
        return PASSED
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
        return PASSED
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
    :func:`minprune.checks._common.csr_break_even`, the same one behind
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
        return PASSED
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
        return PASSED
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
