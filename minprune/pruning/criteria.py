"""Pruning criteria: how important is each weight, each hidden unit?

Every criterion returns an *importance*: what is kept. The lowest scores are
pruned first. Scores are computed on the masked model (pruned weights are exactly
zero in every pass); the pruning actions never select an already-pruned entry,
whatever its score.

Weight criteria (:func:`weight_importance`)
    ``magnitude``  |w|.
    ``random``     uniform noise from `seed` (the control every criterion must beat).
    ``taylor``     |w * dL/dw| on a batch: the first-order Taylor estimate of the loss
                   change when w is removed (Molchanov et al. 2017, 2019).
    ``snip``       the same |w * dL/dw|, normalised to sum to 1, meant to be used
                   *at initialisation*, before any training ("connection sensitivity",
                   Lee et al. 2019). The score is Taylor's; the difference is when it
                   is used: SNIP prunes an untrained network once, then trains it.
    ``obd``        Optimal Brain Damage saliency h_kk w_k^2 / 2 (LeCun et al. 1990) with
                   h_kk the exact diagonal of the Gauss-Newton matrix
                   (:func:`gauss_newton_diagonal`; for ReLU networks, the Hessian's).

Neuron criteria (:func:`neuron_importance`, hidden units only)
    ``l1``, ``l2``  norm of the unit's incoming weights (a column of ``W``).
    ``activation``  mean |activation| on a batch.
    ``apoz``        1 - APoZ, the Average Percentage of Zeros after ReLU (Hu et al.
                    2016). A unit that is almost always zero has HIGH APoZ and so LOW
                    importance: it is pruned first.
    ``taylor``      |mean over the batch of a * dL/da| (Molchanov et al. 2017).
    ``random``      uniform noise from `seed`.

Criteria that need data take ``data=(X, y)``: X of shape (n_samples, n_features),
y of shape (n_samples,) with integer labels.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_features, check_labels, check_seed
from ..model import _BACKWARD, check_model

WEIGHT_CRITERIA = ("magnitude", "random", "taylor", "snip", "obd")
NEURON_CRITERIA = ("l1", "l2", "activation", "apoz", "taylor", "random")
NEEDS_DATA = {"taylor", "snip", "obd", "activation", "apoz"}  # criteria that take data=(X, y)


def check_data(model, data, needed_by):
    """Return ``(X, y)`` checked against `model`, or raise naming `data`.

    Parameters
    ----------
    model : MLP or None
        None checks shapes and types only (no feature count, class count or dtype).
    data : tuple (X, y) or None
        X of shape (n_samples, n_features), y of shape (n_samples,).
    needed_by : str
        What needs the data, for the error when it is missing, e.g. ``"criterion='taylor'"``.
    """
    if data is None:
        raise ValueError(f"{needed_by} needs data=(X, y), a batch of inputs and labels; "
                         f"got data=None")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data must be a pair (X, y) of arrays, got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    n_features, n_classes, dtype = ((None, None, np.float64) if model is None else
                                    (model.n_features, model.n_classes, model.dtype))
    X = check_features(data[0], "data[0] (X)", n_features=n_features, dtype=dtype)
    y = check_labels(data[1], "data[1] (y)", n_samples=X.shape[0], n_classes=n_classes)
    return X, y


def backprop_deltas(model, activations, delta_out):
    """Push a gradient at the logits back to every layer's pre-activation.

    Parameters
    ----------
    model : MLP
    activations : list of ndarray
        ``model._forward(X)``: ``[X, a_1, ..., logits]``.
    delta_out : ndarray of shape (n_samples, n_classes)
        Gradient with respect to the logits.

    Returns
    -------
    list of ndarray
        ``deltas[i]`` of shape (n_samples, fan_out_i): gradient with respect to
        the pre-activation ``z_i = a_{i-1} @ (W_i * mask_i) + b_i`` of layer i.
    """
    layers = model.layers
    deltas = [None] * len(layers)
    delta = delta_out
    for i in range(len(layers) - 1, -1, -1):
        deltas[i] = delta
        if i > 0:
            delta = delta @ (layers[i].W * layers[i].mask).T
            _BACKWARD[layers[i - 1].activation](activations[i], delta)
    return deltas


def gauss_newton_diagonal(model, X):
    """Exact diagonal of the Gauss-Newton matrix of the mean cross-entropy.

    The Hessian of softmax cross-entropy with respect to the logits of one sample
    is ``H = diag(p) - p p^T``, and ``H = sum_c v_c v_c^T`` with
    ``v_c = sqrt(p_c) (e_c - p)``. Backpropagating each ``v_c`` as if it were a
    gradient gives ``J^T v_c``, and the Gauss-Newton diagonal is
    ``mean over samples of sum_c (J^T v_c)^2``: one backward pass per class,
    no sampling, no approximation beyond dropping the network's own curvature.
    For ReLU (and identity) networks that curvature is zero along any single
    weight (the output is piecewise linear in each weight), so away from ReLU
    kinks this *is* the exact diagonal of the Hessian. It does not need the labels.
    We avoid the cheaper "empirical Fisher" (mean squared per-sample gradient):
    it uses the observed labels' gradients, which shrink as the model fits the
    data, and is a poor stand-in for curvature (Kunstner et al. 2019).

    Parameters
    ----------
    model : MLP
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    list of ndarray, one of shape (fan_in, fan_out) per layer (float64, >= 0)
    """
    acts = model._forward(X)
    logits = acts[-1].astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    squared = [np.zeros((len(X), layer.fan_out)) for layer in model.layers]
    for c in range(model.n_classes):
        v = -p.copy()
        v[:, c] += 1.0
        v *= np.sqrt(p[:, c:c + 1])
        for total, d in zip(squared, backprop_deltas(model, acts, v.astype(model.dtype))):
            total += np.square(d, dtype=np.float64)
    n = len(X)
    return [np.square(a.astype(np.float64)).T @ s / n for a, s in zip(acts[:-1], squared)]


def weight_importance(model, criterion, data=None, seed=None):
    """Importance of every weight under `criterion` (lowest is pruned first).

    Parameters
    ----------
    model : MLP
    criterion : {"magnitude", "random", "taylor", "snip", "obd"}
    data : tuple (X, y), optional
        Needed by ``taylor``, ``snip`` and ``obd``.
    seed : int >= 0, np.random.Generator or None
        Used by ``random`` only (None: fresh randomness); checked for every criterion.

    Returns
    -------
    list of ndarray
        One float64 array of shape (fan_in, fan_out) per layer.
    """
    check_model(model)
    check_choice(criterion, "criterion", WEIGHT_CRITERIA)
    rng = check_seed(seed)  # a bad seed is an error even where it goes unused
    if criterion == "magnitude":
        return [np.abs(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
    if criterion == "random":
        return [rng.random(layer.W.shape) for layer in model.layers]
    X, y = check_data(model, data, f"criterion={criterion!r}")
    if criterion in ("taylor", "snip"):
        _, grads, _ = model._backward(model._forward(X), y)
        scores = [np.abs(layer.W.astype(np.float64) * layer.mask * dW)
                  for layer, (dW, _) in zip(model.layers, grads)]
        if criterion == "snip":
            total = sum(s.sum() for s in scores)
            scores = [s / total for s in scores] if total > 0 else scores
        return scores
    # obd
    h = gauss_newton_diagonal(model, X)
    return [0.5 * hk * np.square(layer.W * layer.mask, dtype=np.float64)
            for hk, layer in zip(h, model.layers)]


def neuron_importance(model, criterion, data=None, seed=None):
    """Importance of every hidden unit under `criterion` (lowest is pruned first).

    Parameters
    ----------
    model : MLP
    criterion : {"l1", "l2", "activation", "apoz", "taylor", "random"}
    data : tuple (X, y), optional
        Needed by ``activation``, ``apoz`` and ``taylor``.
    seed : int >= 0, np.random.Generator or None
        Used by ``random`` only; checked for every criterion.

    Returns
    -------
    list of ndarray
        One float64 array of shape (fan_out,) per hidden layer (the output layer
        has no entry: it is never pruned).
    """
    check_model(model)
    check_choice(criterion, "criterion", NEURON_CRITERIA)
    rng = check_seed(seed)  # a bad seed is an error even where it goes unused
    hidden = model.layers[:-1]
    if criterion in ("l1", "l2"):
        order = 1 if criterion == "l1" else 2
        return [np.linalg.norm((layer.W * layer.mask).astype(np.float64), ord=order, axis=0)
                for layer in hidden]
    if criterion == "random":
        return [rng.random(layer.fan_out) for layer in hidden]
    X, y = check_data(model, data, f"criterion={criterion!r}")
    acts = model._forward(X)
    hidden_acts = [a.astype(np.float64) for a in acts[1:-1]]
    if criterion == "activation":
        return [np.abs(a).mean(axis=0) for a in hidden_acts]
    if criterion == "apoz":
        if model.activation != "relu":
            raise ValueError(f"criterion='apoz' counts zeros after ReLU; this model's hidden "
                             f"activation is {model.activation!r}")
        return [np.mean(a > 0, axis=0) for a in hidden_acts]
    # taylor: dL/da_i is the delta of layer i+1 pulled back through its weights
    _, _, probs = model._backward(acts, y)
    delta = probs.astype(model.dtype)
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    deltas = backprop_deltas(model, acts, delta)
    scores = []
    for i, a in enumerate(hidden_acts):
        nxt = model.layers[i + 1]
        grad_a = deltas[i + 1].astype(np.float64) @ (nxt.W * nxt.mask).T.astype(np.float64)
        scores.append(np.abs(np.sum(a * grad_a, axis=0)))  # mean loss: 1/n already in grad_a
    return scores
