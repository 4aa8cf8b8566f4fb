"""Checks for the exercises of notebook 02 (weight pruning)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._passed import PASSED
from ..metrics import sensitivity_scan
from ..model import validate_model
from ..pruning.criteria import validate_data, weight_importance
from ..pruning.rules import resolve_amount, select_lowest
from ..pruning.weights import prune_weights
from ._common import _float_array, _hint, _number


def _check_matrix(W):
    if isinstance(W, (str, bytes)) or W is None:
        raise TypeError(f"W must be a 2-D array of weights, got {type(W).__name__}")
    W = np.asarray(W)
    if W.ndim != 2 or not np.issubdtype(W.dtype, np.floating):
        raise TypeError(f"W must be a 2-D float array of weights, got {W.ndim}-D {W.dtype}")
    return W


def check_magnitude_mask(mask, W, amount):
    """Check a hand-made magnitude-pruning mask for one weight matrix.

    Parameters
    ----------
    mask : bool ndarray of W's shape
        The learner's mask: True where a weight is KEPT.
    W : ndarray of shape (fan_in, fan_out)
        The (unpruned) weights.
    amount : float in [0, 1] or int
        What to prune, with the rule of :func:`minprune.prune_weights`: a
        fraction rounded with ``round`` or an exact count.

    Returns
    -------
    True
        Any mask that prunes exactly that many weights, none larger in magnitude
        than a kept one, passes (ties may be broken either way).
    """
    W = _check_matrix(W)
    k = resolve_amount(amount, W.size)
    if mask is None:
        _hint("replace None with your mask: a bool array of W's shape, True where a weight is kept")
    mask = np.asarray(mask)
    if mask.shape != W.shape:
        _hint(f"the mask must have W's shape {W.shape}, got {mask.shape}")
    if mask.dtype != bool:
        _hint(f"the mask must be a bool array (True = kept), got dtype {mask.dtype}: build it "
              "with a comparison such as np.abs(W) > threshold, or .astype(bool)")
    mag = np.abs(W)
    n_pruned = int(np.count_nonzero(~mask))

    def valid(keep):
        pruned, kept = mag[~keep], mag[keep]
        return (int(np.count_nonzero(~keep)) == k
                and (pruned.size == 0 or kept.size == 0 or pruned.max() <= kept.min()))

    if valid(mask):
        return PASSED
    if valid(~mask):
        _hint("the mask is inverted: True must mean KEPT (the weight stays), False pruned")
    if n_pruned != k:
        fraction = isinstance(amount, numbers.Real) and not isinstance(amount, numbers.Integral)
        if fraction and n_pruned == int(amount * W.size):
            _hint(f"{n_pruned} weights pruned: amount * size was truncated; prune_weights rounds "
                  f"it, round(amount * W.size)")
        if fraction and n_pruned == math.ceil(amount * W.size):
            _hint(f"{n_pruned} weights pruned: amount * size was rounded up; prune_weights rounds "
                  f"it to the nearest count, round(amount * W.size)")
        _hint(f"{n_pruned} weights pruned, but amount={amount!r} of {W.size} weights means "
              f"{k}: round(amount * W.size) for a fraction, or the count itself for an int")
    signed = ~select_lowest(W, k)
    if np.array_equal(mask, signed):
        _hint("you pruned the most NEGATIVE weights; rank by magnitude np.abs(W): a large "
              "negative weight matters as much as a large positive one")
    _hint("the count is right, but some kept weights are smaller in magnitude than some "
          "pruned ones: prune the k smallest |W|")


def check_global_threshold(threshold, model, sparsity):
    """Check a global magnitude threshold: pruning ``|w| <= threshold`` in every layer
    should reach `sparsity` over all the model's weights.

    Parameters
    ----------
    threshold : float
        The learner's threshold (one number for all layers).
    model : MLP
        Weights already pruned count as magnitude 0.
    sparsity : float in [0, 1]
        Target fraction of all weights pruned.

    Returns
    -------
    True
        When the threshold prunes the target count of weights, give or take one
        (so an interpolating ``np.quantile`` passes too).
    """
    validate_model(model)
    sparsity = float(sparsity)
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if isinstance(threshold, (list, tuple)) or (isinstance(threshold, np.ndarray)
                                                and threshold.size > 1):
        _hint("give ONE threshold for all layers together; several numbers look like "
              "per-layer thresholds (that is layer-wise pruning)")
    t = _number(threshold, "one magnitude threshold for all layers")
    weights = [(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
    mags = np.concatenate([np.abs(w).ravel() for w in weights])
    n = mags.size
    target = sparsity * n

    def reaches(count):
        return abs(count - target) <= 1

    count = int(np.count_nonzero(mags <= t))
    if reaches(count):
        return PASSED
    if t < 0:
        _hint("a magnitude threshold is >= 0: compare |w| with it, not w")
    if reaches(int(np.count_nonzero(np.concatenate([w.ravel() for w in weights]) <= t))):
        _hint("that threshold works on signed weights; rank magnitudes np.abs(w) instead")
    if sparsity > 0 and reaches(int(np.count_nonzero(mags <= t / 100))):
        _hint("the threshold looks 100 times too large: was the sparsity taken as a percentage?")
    for i, w in enumerate(weights):
        own = np.abs(w).ravel()
        if abs(int(np.count_nonzero(own <= t)) - sparsity * own.size) <= 1:
            _hint(f"that is layers[{i}]'s own threshold; concatenate the magnitudes of ALL "
                  "layers and pick one threshold for them together")
    _hint(f"pruning every weight with |w| <= {t:.4g} gives sparsity {count / n:.1%}, not "
          f"{sparsity:.1%}: sort all |w| of all layers and take the value at position "
          "round(sparsity * n) - 1")


def check_layer_sensitivity(accuracies, model, data, amount, criterion="magnitude"):
    """Check a per-layer sensitivity: the accuracy when ONE layer alone is pruned.

    Parameters
    ----------
    accuracies : sequence of float
        ``accuracies[i]``: accuracy on `data` of a copy of `model` in which only
        ``layers[i]`` has `amount` of its weights pruned (by `criterion`).
    model : MLP
        Unpruned (not changed).
    data : tuple (X, y)
    amount : float in [0, 1]
        Fraction of that layer's weights to prune.
    criterion : str

    Returns
    -------
    True
    """
    validate_model(model)
    X, y = validate_data(model, data, "check_layer_sensitivity")
    amount = float(amount)
    n_layers = len(model.layers)
    got = _float_array(accuracies, (n_layers,), f"one accuracy per layer ({n_layers} numbers)")
    want = sensitivity_scan(model, (X, y), [amount], criterion).accuracy[:, 0]
    if np.allclose(got, want, rtol=0, atol=1e-9):
        return PASSED
    if got.max() > 1 and np.allclose(got, 100 * want, rtol=0, atol=1e-7):
        _hint("those are percentages; give accuracies as fractions in [0, 1]")
    every = model.copy()
    prune_weights(every, amount, criterion=criterion, data=(X, y))
    if np.allclose(got, every.score(X, y), rtol=0, atol=1e-9):
        _hint("every entry is the accuracy with ALL layers pruned at once; prune one layer "
              "at a time, leaving the others intact")
    cumulative, trial = [], model.copy()
    scores = weight_importance(model, criterion, data=(X, y))
    for layer, s in zip(trial.layers, scores):
        layer.mask = layer.mask & ~select_lowest(s, round(amount * layer.mask.size),
                                                 eligible=layer.mask)
        layer.apply_mask()
        cumulative.append(trial.score(X, y))
    if np.allclose(got, cumulative, rtol=0, atol=1e-9):
        _hint("the pruning piles up from layer to layer: start each layer's experiment from "
              "a fresh model.copy()")
    wrong = [i for i in range(n_layers) if abs(got[i] - want[i]) > 1e-9]
    _hint(f"wrong accuracy for layers {wrong}: for each, prune round({amount} * size) of that "
          f"layer's smallest-{criterion} weights in a copy and score it on the data")
