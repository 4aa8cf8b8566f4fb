"""Checks for the exercises of notebook 03 (which weights matter?)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_int
from ..model import _FORWARD, log_softmax, validate_model
from ..pruning.criteria import validate_data, weight_importance
from ._common import _hint, _number


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
        return PASSED
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
        return PASSED
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
        return PASSED
    if abs(got + want) <= tol:
        _hint("wrong sign: the interaction is dL(a, b) - dL(a) - dL(b)")
    if abs(got - dab) <= tol:
        _hint("that is the joint change dL(a, b); subtract the two solo changes dL(a) and dL(b)")
    if abs(got - (da + db)) <= tol:
        _hint("that is the sum of the solo changes, the prediction that assumes no interaction; "
              "subtract it from the measured joint change dL(a, b)")
    _hint("wrong value: measure dL(a), dL(b) and dL(a, b) each on a fresh copy (loss with the "
          "weights zeroed minus the loss of the unchanged model)")
