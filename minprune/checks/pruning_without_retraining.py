"""Checks for the exercises of notebook 10 (pruning without retraining).

A right answer returns ``True``; a wrong one raises ``AssertionError`` with a hint.
Arguments that are not the learner's answer are validated like the rest of the
package (``TypeError``/``ValueError``).
"""
from __future__ import annotations

import numbers

import numpy as np

from ._passed import PASSED
from .._validation import validate_features
from ..model import validate_model
from ..pruning.criteria import weight_importance
from ..pruning.reconstruction import obs_removals, refit
from ._common import _float_array, _hint


def _matrix(a, name):
    if isinstance(a, (str, bytes)) or a is None:
        raise TypeError(f"{name} must be a 2-D array, got {type(a).__name__}")
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    return a


def _answer_array(answer, shape, what):
    """`answer` as a finite float array of `shape` (the shared check, plus finiteness)."""
    got = _float_array(answer, tuple(shape), what)
    if not np.isfinite(got).all():
        _hint(f"the answer holds NaN or infinite values ({what}): a division by zero?")
    return got


def _same(a, b, rtol=1e-6):
    return np.allclose(a, b, rtol=rtol, atol=rtol * max(float(np.abs(b).max(initial=0.0)), 1e-300))


def check_wanda_scores(scores, model, X, layer=0):
    """Check hand-computed Wanda scores ``|W_ij| * ||x_i||_2`` of one layer.

    Parameters
    ----------
    scores : ndarray of shape (fan_in, fan_out)
        The learner's scores for ``model.layers[layer]``.
    model : MLP
    X : ndarray of shape (n_samples, n_features)
        Calibration inputs of the model (for ``layer > 0`` they are passed through
        the layers before it).
    layer : int
        Index of the layer.

    Returns
    -------
    True
    """
    validate_model(model)
    X = validate_features(X, "X", n_features=model.n_features, dtype=model.dtype)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) \
            or not 0 <= layer < len(model.layers):
        raise ValueError(f"layer must be an index into model.layers (0..{len(model.layers) - 1}), "
                         f"got {layer!r}")
    want = weight_importance(model, "wanda", data=X)[layer]
    got = _answer_array(scores, want.shape, f"one score per weight of layers[{layer}].W")
    if _same(got, want):
        return PASSED
    inputs = model._forward(X)[layer].astype(np.float64)
    W = np.abs((model.layers[layer].W * model.layers[layer].mask).astype(np.float64))
    norm = np.linalg.norm(inputs, axis=0)
    if _same(got, W * (norm ** 2)[:, None]):
        _hint("you used the squared norm sum(x_i**2); Wanda uses the norm itself, its square root")
    if _same(got, W * np.abs(inputs).mean(axis=0)[:, None]):
        _hint("that is the mean |x_i|; Wanda uses the Euclidean norm np.linalg.norm(x_i) over samples")
    if _same(np.abs(got), want):
        _hint("the score is |W| times the norm: take the absolute value of the weights")
    if _same(got, W):
        _hint("that is the magnitude alone; multiply row i by the norm of input feature i")
    if _same(got, W * np.linalg.norm(inputs, axis=1).mean()):
        _hint("the norm is taken per input FEATURE, over the samples (axis=0), not per sample")
    _hint("wrong scores: row i of W multiplies input feature i, so scale row i by "
          "np.linalg.norm(X_layer[:, i]), the norm over the calibration samples")


def check_obs_step(q, w_new, H, w):
    """Check one Optimal Brain Surgeon step on one unit: which weight, and the update.

    Parameters
    ----------
    q : int
        The learner's choice: index of the weight whose removal (with the others
        re-solved) raises ``1/2 (v - w)^T H (v - w)`` least.
    w_new : ndarray of shape (n,)
        The learner's weights after removing q and updating the others.
    H : ndarray of shape (n, n)
        The (damped) Hessian, symmetric positive definite.
    w : ndarray of shape (n,)
        The weights before the step.

    Returns
    -------
    True
    """
    H = _matrix(H, "H")
    w = np.asarray(w, dtype=np.float64)
    if H.shape != (w.size, w.size) or w.ndim != 1:
        raise ValueError(f"H must be (n, n) and w (n,), got {H.shape} and {w.shape}")
    Hinv = np.linalg.inv(H)
    order, cost = obs_removals(Hinv, w[None], np.ones((1, w.size), bool), 1)
    best = int(order[0, 0])
    if q is None:
        _hint("replace None with the index of the weight to remove")
    if isinstance(q, np.ndarray) and q.size == 1:
        q = q.item()
    if isinstance(q, bool) or not isinstance(q, numbers.Integral):
        _hint(f"q must be an integer index into w, got {type(q).__name__}")
    q = int(q)
    if q != best:
        if q == int(np.argmin(np.abs(w))):
            _hint("that is the smallest |w|: OBS ranks by w_q**2 / (2 [H^-1]_qq), which also "
                  "counts how well the other weights can take over")
        if q == int(np.argmin(w ** 2 * np.diag(H))):
            _hint("that is Optimal Brain Damage's h_qq w_q**2 / 2; OBS divides by the diagonal "
                  "of the INVERSE Hessian: w_q**2 / (2 [H^-1]_qq)")
        _hint(f"weight {q} is not the cheapest to remove: compute w**2 / (2 * np.diag(H^-1)) and "
              f"take the argmin")
    keep = np.ones((1, w.size), bool)
    keep[0, q] = False
    want = refit(H, w[None], keep)[0]
    got = _answer_array(w_new, w.shape, "the weights after the step")
    if _same(got, want, rtol=1e-6):
        return PASSED
    plain = w.copy()
    plain[q] = 0
    if _same(got, plain):
        _hint("you only zeroed w_q; OBS also moves the others by "
              "-(w_q / [H^-1]_qq) * H^-1[:, q]")
    if _same(got, 2 * w - want):
        _hint("the update has the wrong sign: dw = -(w_q / [H^-1]_qq) * H^-1[:, q]")
    if got[q] != 0 and abs(got[q]) > 1e-9 * np.abs(w).max():
        _hint(f"w_new[{q}] must be zero: the update is built so that the removed weight ends at 0")
    _hint("wrong update: dw = -(w_q / [H^-1]_qq) * H^-1[:, q], with H^-1 = np.linalg.inv(H)")


def check_lamp_scores(scores, model, layer):
    """Check hand-computed LAMP scores of one layer (Lee et al. 2021).

    Parameters
    ----------
    scores : ndarray of shape (fan_in, fan_out)
        The learner's scores for ``model.layers[layer]``.
    model : MLP
    layer : int

    Returns
    -------
    True
    """
    validate_model(model)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) \
            or not 0 <= layer < len(model.layers):
        raise ValueError(f"layer must be an index into model.layers (0..{len(model.layers) - 1}), "
                         f"got {layer!r}")
    want = weight_importance(model, "lamp")[layer]
    got = _answer_array(scores, want.shape, f"one score per weight of layers[{layer}].W")
    live = model.layers[layer].mask
    if _same(got[live], want[live]):
        return PASSED
    sq = np.square((model.layers[layer].W * live).astype(np.float64))
    if _same(got[live], (sq / sq.sum())[live]):
        _hint("you divided by the sum over ALL the layer's weights; LAMP divides by the sum over "
              "this weight and every LARGER one: sort, then a reversed cumulative sum")
    if np.abs(got[live] - 1).max() < 1e-9 or got[live].max() > 1 + 1e-9:
        _hint("LAMP scores lie in (0, 1] and only each layer's largest weight scores 1: check "
              "the order of your cumulative sum (it must run from the largest weight down)")
    _hint("wrong scores: for the weights sorted by magnitude, score_k = w_k**2 / "
          "(w_k**2 + w_(k+1)**2 + ... + w_n**2)")
