"""Checks for the exercises of notebooks 02 (weight pruning) and 03 (which weights matter?).

A right answer returns ``True``; a wrong one raises ``AssertionError`` with a hint.
Arguments that are not the learner's answer (model, data, amount) are validated
like the rest of the package (``TypeError``/``ValueError``).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import validate_int
from ..metrics import sensitivity_scan
from ..model import _FORWARD, validate_model, log_softmax
from ..pruning.criteria import validate_data, weight_importance
from ..pruning.rules import resolve_amount, select_lowest
from ..pruning.weights import prune_weights
from .basics import _float_array, _hint, _number


def _check_matrix(W):
    if isinstance(W, (str, bytes)) or W is None:
        raise TypeError(f"W must be a 2-D array of weights, got {type(W).__name__}")
    W = np.asarray(W)
    if W.ndim != 2 or not np.issubdtype(W.dtype, np.floating):
        raise TypeError(f"W must be a 2-D float array of weights, got {W.ndim}-D {W.dtype}")
    return W


# ------------------------------------------------------------------ notebook 02
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
        return True
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
        return True
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
        return True
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


# ------------------------------------------------------------------ notebook 03
def _as_layer_list(scores, model, what):
    if scores is None:
        _hint(f"replace None with your {what}: a list of one array per layer")
    if not isinstance(scores, (list, tuple)) or len(scores) != len(model.layers):
        _hint(f"give one array per layer (a list of {len(model.layers)}), got "
              f"{type(scores).__name__}")
    out = []
    for i, (s, layer) in enumerate(zip(scores, model.layers)):
        s = np.asarray(s, dtype=np.float64)
        if s.shape != layer.W.shape:
            _hint(f"{what}[{i}] must have the shape of layers[{i}].W, {layer.W.shape}, "
                  f"got {s.shape}")
        out.append(s)
    return out


def _close(a, b, rtol=1e-5):
    a, b = np.concatenate([x.ravel() for x in a]), np.concatenate([x.ravel() for x in b])
    return np.allclose(a, b, rtol=rtol, atol=rtol * max(float(np.abs(b).max()), 1e-300))


def check_taylor_scores(scores, model, data):
    """Check hand-computed Taylor importances ``|w * dL/dw|`` (mean loss on `data`).

    Parameters
    ----------
    scores : list of ndarray
        One array of ``layers[i].W``'s shape per layer.
    model : MLP
    data : tuple (X, y)

    Returns
    -------
    True
    """
    validate_model(model)
    X, y = validate_data(model, data, "check_taylor_scores")
    got = _as_layer_list(scores, model, "scores")
    want = weight_importance(model, "taylor", data=(X, y))
    if _close(got, want):
        return True
    _, grads = model.gradients(X, y)
    W = [(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
    g = [dW.astype(np.float64) for dW, _ in grads]
    if _close(got, [w * d for w, d in zip(W, g)]) or _close(got, [-w * d for w, d in zip(W, g)]):
        _hint("signed: the score is the ABSOLUTE value |w * dL/dw| (the criterion ranks the "
              "size of the predicted loss change)")
    if _close(got, [np.abs(d) for d in g]):
        _hint("that is |dL/dw| alone; multiply by the weight: removing w changes it by -w")
    if _close(got, [np.abs(w) for w in W]):
        _hint("that is the magnitude |w|; multiply by the gradient dL/dw")
    if _close(got, [len(y) * s for s in want]):
        _hint("n_samples times too large: use the gradient of the MEAN loss (model.gradients)")
    _hint("wrong scores: compute loss, grads = model.gradients(X, y), then "
          "np.abs(layer.W * dW) for each layer")


def _loss64(model, X, y, removed=()):
    """Mean cross-entropy in float64 with the weights at `removed` (layer, i, j) set to zero."""
    Ws = [(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
    for layer, i, j in removed:
        Ws[layer][i, j] = 0.0
    a = X.astype(np.float64)
    for W, layer in zip(Ws, model.layers):
        a = _FORWARD[layer.activation](a @ W + (layer.b * layer.bias_mask).astype(np.float64))
    return float(-np.mean(log_softmax(a)[np.arange(len(y)), y]))


def _position(model, pos, name):
    if not isinstance(pos, (tuple, list)) or len(pos) != 3:
        raise TypeError(f"{name} must be a (layer, i, j) triple, got {pos!r}")
    n = len(model.layers)
    layer = validate_int(pos[0], f"{name}[0] (layer)", minimum=-n, maximum=n - 1) % n
    fan_in, fan_out = model.layers[layer].W.shape
    i = validate_int(pos[1], f"{name}[1] (row i)", minimum=0, maximum=fan_in - 1)
    j = validate_int(pos[2], f"{name}[2] (column j)", minimum=0, maximum=fan_out - 1)
    return layer, i, j


def _tolerance(model, value):
    # float32 losses carry ~1e-7 relative rounding; float64 ones ~1e-15
    atol = 1e-5 if model.dtype == np.float32 else 1e-10
    return atol + 1e-4 * abs(value)


def _check_not_zeroed(model, positions):
    for layer, i, j in positions:
        lay = model.layers[layer]
        if lay.mask[i, j] and lay.W[i, j] == 0:
            _hint(f"layers[{layer}].W[{i}, {j}] is now 0 in the model itself: set weights to zero "
                  "in a copy (model.copy()), so the model keeps its weights")


def check_oracle_entry(delta, model, data, position):
    """Check the exact loss change of removing one weight: ``L(w_k = 0) - L(w)``.

    Parameters
    ----------
    delta : float
        The learner's value, in nats (mean cross-entropy on `data`).
    model : MLP
    data : tuple (X, y)
    position : tuple (layer, i, j)
        The weight ``model.layers[layer].W[i, j]``.

    Returns
    -------
    True
    """
    validate_model(model)
    X, y = validate_data(model, data, "check_oracle_entry")
    pos = _position(model, position, "position")
    _check_not_zeroed(model, [pos])
    got = _number(delta, "the change of the mean loss, L(without the weight) - L(with it)")
    base = _loss64(model, X, y)
    want = _loss64(model, X, y, [pos]) - base
    tol = _tolerance(model, want)
    if abs(got - want) <= tol:
        return True
    if abs(got + want) <= tol:
        _hint("wrong sign: the oracle is L(without the weight) - L(with it), positive when "
              "removing the weight hurts")
    if abs(got - (want + base)) <= tol + _tolerance(model, base):
        _hint("that is the loss without the weight; subtract the loss of the unchanged model")
    _hint(f"wrong value: zero layers[{pos[0]}].W[{pos[1]}, {pos[2]}] in a copy and compare "
          "copy.loss(X, y) with model.loss(X, y)")


def check_pair_interaction(value, model, data, a, b):
    """Check the interaction of two removals: ``dL(a, b) - dL(a) - dL(b)``.

    ``dL(S)`` is the change of the mean loss when the weights in S are set to
    zero together; the interaction is zero when the two removals add up.

    Parameters
    ----------
    value : float
        The learner's interaction, in nats.
    model : MLP
    data : tuple (X, y)
    a, b : tuple (layer, i, j)
        The two weights.

    Returns
    -------
    True
    """
    validate_model(model)
    X, y = validate_data(model, data, "check_pair_interaction")
    a, b = _position(model, a, "a"), _position(model, b, "b")
    if a == b:
        raise ValueError(f"a and b must be two different weights, got {a} twice")
    _check_not_zeroed(model, [a, b])
    got = _number(value, "dL(a and b removed) - dL(a removed) - dL(b removed)")
    base = _loss64(model, X, y)
    da, db = _loss64(model, X, y, [a]) - base, _loss64(model, X, y, [b]) - base
    dab = _loss64(model, X, y, [a, b]) - base
    want = dab - da - db
    tol = _tolerance(model, dab) + _tolerance(model, da) + _tolerance(model, db)
    if abs(got - want) <= tol:
        return True
    if abs(got + want) <= tol:
        _hint("wrong sign: the interaction is dL(a, b) - dL(a) - dL(b)")
    if abs(got - dab) <= tol:
        _hint("that is the joint change dL(a, b); subtract the two solo changes dL(a) and dL(b)")
    if abs(got - (da + db)) <= tol:
        _hint("that is the sum of the solo changes, the prediction that assumes no interaction; "
              "subtract it from the measured joint change dL(a, b)")
    _hint("wrong value: measure dL(a), dL(b) and dL(a, b) each on a fresh copy (loss with the "
          "weights zeroed minus the loss of the unchanged model)")
