"""The criteria registry: every pruning criterion is one function and one registration.

A *criterion* scores what a pruning action may remove: every weight
(``kind="weights"``) or every hidden unit (``kind="neurons"``). Scores are an
*importance*: what is kept; the lowest scores are pruned first. They are
computed on the masked model (pruned weights are exactly zero in every pass);
the pruning actions never select an already-pruned entry, whatever its score.

Adding a criterion is one function and one registration, in
``criteria/weights.py`` or ``criteria/neurons.py``::

    @register("my_score", "weights", needs_data=False, doc="what it measures, with a citation")
    def my_score(model, i, batch):
        layer = model.layers[i]
        return np.abs(layer.W * layer.mask).astype(np.float64)   # shape of layers[i].W

The function receives the model, the index ``i`` of the layer to score and a
:class:`Batch`: the calibration data ``(X, y)`` when the criterion needs data,
the layer's inputs (``batch.inputs(i)``), the forward and backward passes
(computed once and shared by every layer) and the random generator. It returns
float64 scores of shape ``layers[i].W.shape`` (weights) or ``(layers[i].fan_out,)``
(neurons, hidden layers only). Everything else reads the registry:
:func:`minprune.prune_weights` and :func:`minprune.prune_neurons` (which names
they accept, whether `data` is needed), the widgets' menus, the scikit-learn
estimator's `criterion`, the error messages and :func:`describe`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..._validation import validate_choice, validate_features, validate_labels, validate_seed
from ...model import _BACKWARD, validate_model

KINDS = ("weights", "neurons")
"""What a criterion scores: single weights, or whole hidden units."""

DEFAULT_CRITERION = {"weights": "magnitude", "neurons": "l2"}


@dataclass(frozen=True)
class Criterion:
    """One registered criterion.

    Attributes
    ----------
    name : str
        What users pass as ``criterion=``.
    kind : {"weights", "neurons"}
    needs_data : bool
        True when scoring reads a batch ``data=(X, y)``.
    doc : str
        One line: what the score measures, with its source.
    score : callable ``score(model, i, batch) -> ndarray``
        Scores of layer ``i``; see the module docstring.
    needs_labels : bool
        False for criteria that read the inputs only (calibration data): their
        `data` may be ``X`` alone, and ``batch.y`` is None unless given.
    """

    name: str
    kind: str
    needs_data: bool
    doc: str
    score: Callable
    needs_labels: bool = True


_REGISTRY: dict = {}  # (kind, name) -> Criterion, in registration order


def register(name, kind, *, needs_data, doc, needs_labels=True):
    """Decorator: register ``score(model, i, batch)`` as criterion `name` of `kind`.

    Parameters
    ----------
    name : str
    kind : {"weights", "neurons"}
    needs_data : bool
        Whether the score reads ``batch.X`` / ``batch.y`` (then ``data=(X, y)`` is required).
    doc : str
        One line for :func:`describe` and the docs.
    needs_labels : bool, default True
        False when the score reads ``batch.X`` only: `data` may then be ``X`` alone.

    Returns
    -------
    The decorator; it returns the function unchanged.
    """
    validate_choice(kind, "kind", KINDS)
    if (kind, name) in _REGISTRY:
        raise ValueError(f"a {kind} criterion named {name!r} is already registered")

    def add(score):
        _REGISTRY[kind, name] = Criterion(name, kind, bool(needs_data), doc, score,
                                          bool(needs_labels))
        return score

    return add


def criteria(kind):
    """The registered :class:`Criterion` objects of `kind`, in registration order."""
    validate_choice(kind, "kind", KINDS)
    return tuple(c for (k, _), c in _REGISTRY.items() if k == kind)


def names(kind):
    """Names of the criteria of `kind`, in registration order, e.g. ``names("weights")``."""
    return tuple(c.name for c in criteria(kind))


def lookup(kind, name, argument="criterion"):
    """The :class:`Criterion` `name` of `kind`; a ValueError naming `argument` lists the others."""
    validate_choice(name, argument, names(kind))
    return _REGISTRY[kind, name]


def describe(kind=None):
    """A plain-text list of the registered criteria (of `kind`, or all): name, data, one line."""
    lines = []
    for k in KINDS if kind is None else (validate_choice(kind, "kind", KINDS),):
        lines.append(f"{k} criteria:")
        for c in criteria(k):
            data = ("no data" if not c.needs_data else "needs data=(X, y)" if c.needs_labels
                    else "needs data=X")
            lines.append(f"  {c.name:<11} {data:<18} {c.doc}")
    return "\n".join(lines)


class Batch:
    """What a criterion's score function reads besides the model.

    The forward pass, the backward pass and anything registered with
    :meth:`memo` are computed on first use and shared by every layer's call.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), or None
        The calibration inputs (None for criteria that need no data).
    y : ndarray of shape (n_samples,), or None
        Their integer labels.
    rng : np.random.Generator
        For random criteria; drawn from layer after layer, in order.
    """

    def __init__(self, model, X=None, y=None, rng=None):
        self.model, self.X, self.y, self.rng = model, X, y, rng
        self._memo = {}

    def memo(self, key, compute):
        """``compute()`` the first time `key` is asked for; the stored value afterwards."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def activations(self):
        """``model._forward(X)``: ``[X, a_1, ..., logits]``."""
        return self.memo("activations", lambda: self.model._forward(self.X))

    def inputs(self, i):
        """Inputs of ``layers[i]``, shape (n_samples, fan_in)."""
        return self.activations[i]

    @property
    def backward(self):
        """``model._backward(activations, y)``: ``(loss, grads, probs)``."""
        return self.memo("backward", lambda: self.model._backward(self.activations, self.y))


def importance(model, kind, criterion, data=None, seed=None):
    """Scores of `criterion` for every layer it applies to (lowest is pruned first).

    Parameters
    ----------
    model : MLP
    kind : {"weights", "neurons"}
    criterion : str
        A name from ``names(kind)``.
    data : tuple (X, y), optional
        Needed by the criteria registered with ``needs_data=True``.
    seed : int >= 0, np.random.Generator or None
        For random criteria (None: fresh randomness); checked for every criterion.

    Returns
    -------
    list of ndarray
        One float64 array per layer (weights: of shape (fan_in, fan_out)) or per
        hidden layer (neurons: of shape (fan_out,)).
    """
    validate_model(model)
    found = lookup(kind, criterion)
    rng = validate_seed(seed)  # a bad seed is an error even where it goes unused
    X = y = None
    if found.needs_data and not found.needs_labels and not isinstance(data, (tuple, list)):
        if data is None:
            raise ValueError(f"criterion={criterion!r} needs data: inputs X of shape (n_samples, "
                             f"{model.n_features}) (calibration data, no labels needed) or a "
                             f"pair (X, y); got data=None")
        X = validate_features(data, "data (X)", n_features=model.n_features, dtype=model.dtype)
    elif found.needs_data:
        X, y = validate_data(model, data, f"criterion={criterion!r}")
    batch = Batch(model, X, y, rng)
    n_layers = len(model.layers) if kind == "weights" else len(model.layers) - 1
    return [found.score(model, i, batch) for i in range(n_layers)]


def validate_data(model, data, needed_by, dtype=None):
    """Return ``(X, y)`` checked against `model`, or raise naming `data`.

    Parameters
    ----------
    model : MLP or None
        None checks shapes and types only (no feature count, class count or dtype).
    data : tuple (X, y) or None
        X of shape (n_samples, n_features), y of shape (n_samples,).
    needed_by : str
        What needs the data, for the error when it is missing, e.g. ``"criterion='taylor'"``.
    dtype : numpy dtype, optional
        Of the returned X. Default: the model's (float64 without a model).
    """
    if data is None:
        raise ValueError(f"{needed_by} needs data=(X, y), a batch of inputs and labels; "
                         f"got data=None")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data must be a pair (X, y) of arrays, got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    n_features, n_classes, model_dtype = ((None, None, np.float64) if model is None else
                                          (model.n_features, model.n_classes, model.dtype))
    dtype = model_dtype if dtype is None else dtype
    X = validate_features(data[0], "data[0] (X)", n_features=n_features, dtype=dtype)
    if model is not None:  # class labels, or a regressor's real targets
        return X, model._validate_y(data[1], "data[1] (y)", X.shape[0])
    y = validate_labels(data[1], "data[1] (y)", n_samples=X.shape[0], n_classes=n_classes)
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
    For a regressor (``objective="squared_error"``) the Hessian with respect to
    the outputs is ``I / n_outputs`` and ``v_c = e_c / sqrt(n_outputs)``.

    Parameters
    ----------
    model : MLP
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    list of ndarray, one of shape (fan_in, fan_out) per layer (float64, >= 0)
    """
    acts = model._forward(X)
    squared = [np.zeros((len(X), layer.fan_out)) for layer in model.layers]
    for v in _output_hessian_factors(model, acts[-1]):
        for total, d in zip(squared, backprop_deltas(model, acts, v.astype(model.dtype))):
            total += np.square(d, dtype=np.float64)
    n = len(X)
    return [np.square(a.astype(np.float64)).T @ s / n for a, s in zip(acts[:-1], squared)]


def _output_hessian_factors(model, outputs):
    """Vectors ``v_c`` (one per output) with ``sum_c v_c v_c^T`` = the loss Hessian with
    respect to one sample's outputs, for every sample at once (n_samples, n_outputs)."""
    k = model.n_outputs
    if model.objective == "squared_error":  # half the mean over k outputs: H = I / k
        for c in range(k):
            v = np.zeros(outputs.shape)
            v[:, c] = 1.0 / np.sqrt(k)
            yield v
        return
    logits = outputs.astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    for c in range(k):
        v = -p.copy()
        v[:, c] += 1.0
        v *= np.sqrt(p[:, c:c + 1])
        yield v


def weight_importance(model, criterion, data=None, seed=None):
    """Importance of every weight under `criterion`: :func:`importance` of ``kind="weights"``.

    `criterion` is a name of ``names("weights")``; `data` and `seed` as in
    :func:`importance`. Returns one float64 array of shape (fan_in, fan_out) per
    layer; the lowest scores are pruned first.
    """
    return importance(model, "weights", criterion, data=data, seed=seed)


def neuron_importance(model, criterion, data=None, seed=None):
    """Importance of every hidden unit under `criterion`: :func:`importance` of ``kind="neurons"``.

    `criterion` is a name of ``names("neurons")``; `data` and `seed` as in
    :func:`importance`. Returns one float64 array of shape (fan_out,) per hidden
    layer (the output layer is never pruned); the lowest scores are pruned first.
    """
    return importance(model, "neurons", criterion, data=data, seed=seed)
