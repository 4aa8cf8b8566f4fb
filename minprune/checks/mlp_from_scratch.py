"""Checks for the exercises of notebook 01 (an MLP from scratch)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from ..model import MLP, log_softmax, validate_model
from ._common import _hint, _number


def check_log_softmax(fn):
    """Check a learner's ``log_softmax(logits)``: stable, row-wise, on any finite logits.

    Parameters
    ----------
    fn : callable
        ``fn(logits)`` with logits of shape (n_samples, n_classes), returning the
        log-probabilities, same shape.

    Returns
    -------
    True
    """
    if not callable(fn):
        _hint(f"pass your function itself (e.g. check_log_softmax(log_softmax)), "
              f"got {type(fn).__name__}")
    rng = np.random.default_rng(0)
    cases = {
        "small random logits": rng.normal(size=(5, 4)),
        "large logits": np.array([[1000.0, 999.0, 0.0]]),
        "rows of very different scales": np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 1002.0]]),
        "very negative logits": np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]]),
    }
    for name, logits in cases.items():
        want = log_softmax(logits)
        with np.errstate(all="ignore"):  # an unstable answer may overflow; that is the lesson
            got = fn(logits.copy())
        got = np.asarray(got, dtype=np.float64)
        if got.shape != logits.shape:
            _hint(f"on {name} of shape {logits.shape} your function returned shape {got.shape}: "
                  "return one log-probability per logit (normalise with keepdims=True)")
        if np.allclose(got, want, rtol=1e-6, atol=1e-6):
            continue
        if not np.isfinite(got).all():
            if name == "rows of very different scales":
                _hint("NaN or inf when rows have very different scales: subtract each row's own "
                      "maximum (max over axis=1, keepdims=True), not one maximum for the array")
            _hint(f"NaN or inf on {name}: exp overflows. Subtract each row's maximum before "
                  "exponentiating (the log-sum-exp trick); it cancels in the result")
        if np.allclose(got, np.exp(want), rtol=1e-6, atol=1e-6):
            _hint("those are probabilities (softmax); return their logarithm")
        col = logits - logits.max(axis=0, keepdims=True)
        with np.errstate(all="ignore"):
            col = col - np.log(np.exp(col).sum(axis=0, keepdims=True))
        if np.allclose(got, col, rtol=1e-6, atol=1e-6):
            _hint("normalised over the wrong axis: each ROW (sample) must sum to 1 after exp, "
                  "so sum over axis=1")
        _hint(f"wrong values on {name}: log_softmax(z) = z - max(z) - log(sum(exp(z - max(z)))), "
              "row by row")
    return PASSED


def _as_grads(grads, model):
    if grads is None:
        _hint("replace None with your gradients: a list with one (dW, db) pair per layer")
    if not isinstance(grads, (list, tuple)) or len(grads) != len(model.layers):
        _hint(f"give one (dW, db) pair per layer, a list of length {len(model.layers)}, "
              f"got {type(grads).__name__}"
              + (f" of length {len(grads)}" if isinstance(grads, (list, tuple)) else ""))
    out = []
    for i, pair in enumerate(grads):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            _hint(f"grads[{i}] must be a pair (dW, db)")
        out.append(tuple(np.asarray(g, dtype=np.float64) for g in pair))
    return out


def check_gradients(grads, model, X, y):
    """Check a hand-written backward pass: the gradients of the mean cross-entropy.

    Parameters
    ----------
    grads : list of (dW, db)
        One pair per layer; ``dW`` of shape (fan_in, fan_out), ``db`` of shape (fan_out,).
    model : MLP
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)

    Returns
    -------
    True
    """
    validate_model(model)
    _, want = model.gradients(X, y)
    got = _as_grads(grads, model)
    n = len(y)
    if any(layer.is_pruned() for layer in model.layers):
        dense = model.copy()  # same (zeroed) weights, no masks: the gradients a mask-blind pass gives
        for layer in dense.layers:
            layer.mask = np.ones_like(layer.mask)
            layer.bias_mask = np.ones_like(layer.bias_mask)
        _, unmasked = dense.gradients(X, y)
        if all(np.allclose(g[0], u[0].astype(np.float64), rtol=1e-3,
                           atol=1e-4 * max(1.0, float(np.abs(u[0]).max())))
               for g, u in zip(got, unmasked)) and not all(
                np.allclose(g[0], w[0], rtol=1e-3, atol=1e-4 * max(1.0, float(np.abs(w[0]).max())))
                for g, w in zip(got, want)):
            _hint("pruned weights get a non-zero gradient: multiply each dW by its layer.mask "
                  "(and db by layer.bias_mask), so that training cannot revive them")
    # check the output layer first: an error there propagates to every layer before it
    for i in range(len(want) - 1, -1, -1):
        for name, g, w in (("dW", got[i][0], want[i][0]), ("db", got[i][1], want[i][1])):
            w = w.astype(np.float64)
            if g.shape != w.shape:
                if g.shape == w.T.shape:
                    _hint(f"layer {i}: {name} is transposed; it has W's shape (fan_in, fan_out): "
                          "activations_in.T @ delta")
                _hint(f"layer {i}: {name} has shape {g.shape}, expected {w.shape}")
            tol = 1e-4 * max(1.0, float(np.abs(w).max()))
            if np.allclose(g, w, rtol=1e-3, atol=tol):
                continue
            if np.allclose(g, -w, rtol=1e-3, atol=tol):
                _hint(f"layer {i}: {name} has the wrong sign; the gradient at the logits is "
                      "probs - onehot(y), not onehot(y) - probs")
            if n > 1 and np.allclose(g, n * w, rtol=1e-3, atol=n * tol):
                _hint(f"layer {i}: {name} is n_samples times too large: the loss is the MEAN "
                      "over samples, so divide delta by n")
            if name == "db":
                _hint(f"layer {i}: dW is right but db is not: db is delta summed over the "
                      "samples (axis=0)")
            if i < len(want) - 1:
                _hint(f"layer {i}: wrong, although the layers after it are right: pull delta back "
                      "with delta @ W.T (W * mask if pruned), then multiply by the activation's "
                      "derivative, (a > 0) for ReLU, a being that layer's output")
            _hint(f"layer {i} (the output layer): {name} is wrong; delta = (softmax(logits) - "
                  "onehot(y)) / n and dW = a_in.T @ delta")
    return PASSED


def _smooth_model():
    """A small float64 tanh network and data on which finite differences are well behaved."""
    rng = np.random.default_rng(1)
    model = MLP([5, 4, 3], activation="tanh", seed=2, dtype=np.float64)
    X = rng.normal(size=(12, 5))
    y = rng.integers(0, 3, size=12)
    return model, X, y


def _central_difference(model, X, y, layer, i, j, eps):
    """(L(w + eps) - L(w - eps)) / (2 eps) for ``model.layers[layer].W[i, j]``, on copies."""
    losses = []
    for step in (eps, -eps):
        moved = model.copy()
        moved.layers[layer].W[i, j] += step
        losses.append(moved.loss(X, y))
    return (losses[0] - losses[1]) / (2 * eps)


def check_numerical_gradient(fn):
    """Check a learner's central-difference gradient for one weight.

    Parameters
    ----------
    fn : callable
        ``fn(model, X, y, layer, i, j, eps)`` returning the estimate of
        ``dL/dW[i, j]`` of ``model.layers[layer]`` (mean cross-entropy on X, y), and
        leaving the model as it found it.

    Returns
    -------
    True
    """
    if not callable(fn):
        _hint(f"pass your function itself, got {type(fn).__name__}")
    model, X, y = _smooth_model()
    _, grads = model.gradients(X, y)
    # Small steps: the estimate must match backprop. A large step last: there the central
    # difference is far from the exact gradient, so an answer that ignores eps (backprop, or
    # a step of its own) is caught.
    for layer, i, j, eps in ((0, 1, 2, 1e-4), (1, 3, 0, 1e-4), (0, 4, 3, 1e-4), (0, 2, 1, 0.5)):
        before = [lay.W.copy() for lay in model.layers]
        got = _number(fn(model, X, y, layer, i, j, eps), "the estimate of dL/dW[i, j]")
        # a tolerance: w + eps - eps may differ from w in the last bit
        if not all(np.allclose(a, lay.W, rtol=0, atol=1e-12) for a, lay in zip(before, model.layers)):
            _hint("your function changed the model: save w = W[i, j] first and put it back "
                  "(W[i, j] = w) before returning")
        exact = float(grads[layer][0][i, j])
        if eps < 1e-3:
            want = exact
        else:
            want = _central_difference(model, X, y, layer, i, j, eps)
            if np.isclose(got, want, rtol=1e-9, atol=1e-12):
                continue
            if np.isclose(got, exact, rtol=1e-6, atol=1e-9):
                _hint(f"with eps={eps} your value is the exact gradient, not a central "
                      "difference with that step: evaluate model.loss(X, y) at w + eps and "
                      "w - eps, with the eps you are given (not model.gradients, not a fixed "
                      "step of your own)")
        if np.isclose(got, want, rtol=1e-6, atol=1e-9):
            continue
        if np.isclose(got, 2 * want, rtol=1e-5, atol=1e-9):
            _hint("twice the gradient: divide the difference L(w + eps) - L(w - eps) by 2 * eps")
        if np.isclose(got, want / 2, rtol=1e-5, atol=1e-9):
            _hint("half the gradient: divide the difference L(w + eps) - L(w - eps) by 2 * eps, "
                  "not by 4 * eps")
        if np.isclose(got, -want, rtol=1e-5, atol=1e-9):
            _hint("wrong sign: compute (L(w + eps) - L(w - eps)) / (2 * eps)")
        if np.isclose(got, want, rtol=1e-2, atol=1e-7):
            _hint("close but not accurate enough: use the central difference "
                  "(L(w + eps) - L(w - eps)) / (2 * eps), whose error shrinks like eps**2; "
                  "a one-sided difference's error shrinks only like eps")
        _hint(f"wrong estimate for layers[{layer}].W[{i}, {j}]: change only that entry by +eps "
              "and by -eps, evaluate model.loss(X, y) each time, and divide the difference by "
              "2 * eps")
    return PASSED
