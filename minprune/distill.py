"""Knowledge distillation: a student learns from a teacher's softened probabilities.

The loss of Hinton, Vinyals & Dean (2015), per sample, for student logits ``z``,
teacher logits ``t``, label ``y``, temperature ``T`` and weight ``w``::

    L = (1 - w) * CE(y, softmax(z)) + w * T**2 * KL(softmax(t / T) || softmax(z / T))

The ``T**2`` keeps the soft term's gradient on the scale of the hard term's as
``T`` grows. Its gradient with respect to the student's logits is::

    dL/dz = (1 - w) * (softmax(z) - onehot(y)) + w * T * (softmax(z / T) - softmax(t / T))

averaged over the batch; the rest of the backward pass is the usual one
(:func:`minprune.pruning.criteria.backprop_deltas`). ``fit(teacher=...)`` uses it.
"""
from __future__ import annotations

import numpy as np

from ._validation import _describe, validate_float
from .model import MLP, validate_model, log_softmax, softmax
from .pruning.criteria import backprop_deltas


def validate_teacher(teacher, model):
    """Return `teacher` if it is a classifier MLP with the student's input and output widths."""
    if not isinstance(teacher, MLP):
        raise TypeError(f"teacher must be a minprune.MLP (the trained network to learn from), "
                        f"got {_describe(teacher)}")
    if teacher.n_features != model.n_features or teacher.n_classes != model.n_classes:
        raise ValueError(f"teacher must map the student's {model.n_features} inputs to its "
                         f"{model.n_classes} classes, got a teacher with {teacher.n_features} "
                         f"inputs and {teacher.n_classes} classes")
    if teacher.objective != "cross_entropy":
        raise ValueError(f"teacher must be a classifier (objective='cross_entropy'): "
                         f"distillation learns its class probabilities; got a teacher with "
                         f"objective={teacher.objective!r}")
    return teacher


def validate_distillation(temperature, distill_weight):
    """Checked ``(temperature, distill_weight)``: ``T > 0`` and ``w`` in [0, 1]."""
    temperature = validate_float(temperature, "temperature", low=0.0)
    distill_weight = validate_float(distill_weight, "distill_weight", low=0.0, high=1.0,
                                 low_inclusive=True)
    return temperature, distill_weight


def distillation_delta(logits, y, teacher_logits, temperature, distill_weight):
    """Loss and its gradient with respect to the student's logits (batch mean).

    Parameters
    ----------
    logits, teacher_logits : ndarray of shape (n_samples, n_classes)
    y : int ndarray of shape (n_samples,)
    temperature : float
        ``T > 0``.
    distill_weight : float
        ``w`` in [0, 1]: 0 is plain cross-entropy, 1 learns from the teacher alone.

    Returns
    -------
    loss : float
    delta : ndarray of shape (n_samples, n_classes), the dtype of `logits`
    probs : ndarray of shape (n_samples, n_classes)
        ``softmax(logits)``, the student's ordinary probabilities.
    """
    n = len(y)
    rows = np.arange(n)
    T, w = temperature, distill_weight
    logp = log_softmax(logits)
    probs = np.exp(logp)
    logp_T = log_softmax(logits / T)
    logq_T = log_softmax(teacher_logits / T)
    q_T = np.exp(logq_T)
    hard = -logp[rows, y].mean()
    soft = (q_T * (logq_T - logp_T)).sum(axis=1).mean()
    loss = float((1 - w) * hard + w * T * T * soft)
    delta = (1 - w) * probs
    delta[rows, y] -= 1 - w
    delta += (w * T) * (np.exp(logp_T) - q_T)
    delta /= n
    return loss, delta.astype(logits.dtype, copy=False), probs


def grads_from_delta(model, activations, delta):
    """Gradients ``[(dW, db), ...]`` of a loss whose gradient at the logits is `delta`.

    Masked like :meth:`minprune.MLP.gradients`: zero at pruned positions.
    """
    deltas = backprop_deltas(model, activations, delta)
    grads = []
    for layer, a, d in zip(model.layers, activations, deltas):
        dW, db = a.T @ d, d.sum(axis=0)
        if layer.is_pruned():
            dW *= layer.mask
            db *= layer.bias_mask
        grads.append((dW, db))
    return grads


class Distillation:
    """The teacher term of one ``fit`` run: the teacher's logits on every training sample,
    computed once (the teacher does not change), and the loss's backward pass."""

    def __init__(self, teacher, model, X, temperature, distill_weight):
        validate_teacher(teacher, model)
        self.temperature, self.distill_weight = validate_distillation(temperature, distill_weight)
        self.teacher_logits = teacher.forward(X).astype(model.dtype, copy=False)

    def backward(self, model, activations, y, rows):
        """Loss, gradients and probabilities for the batch of training samples `rows`."""
        loss, delta, probs = distillation_delta(activations[-1], y, self.teacher_logits[rows],
                                                self.temperature, self.distill_weight)
        return loss, grads_from_delta(model, activations, delta), probs


def distillation_gradients(model, X, y, teacher, *, temperature=4.0, distill_weight=0.5):
    """The distillation loss of `model` on (`X`, `y`) and its gradients, as ``fit`` uses them.

    Parameters
    ----------
    model : MLP
        The student.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    teacher : MLP
        Same input and output widths as `model`.
    temperature, distill_weight : float
        ``T > 0`` and ``w`` in [0, 1] (see the module docstring).

    Returns
    -------
    loss : float
    grads : list of (dW, db), zero at pruned positions
    """
    validate_model(model)
    X, y = model._validate_Xy(X, y)
    step = Distillation(teacher, model, X, temperature, distill_weight)
    loss, grads, _ = step.backward(model, model._forward(X), y, np.arange(len(y)))
    return loss, grads


def soft_targets(teacher, X, temperature=4.0):
    """The teacher's probabilities softened by `temperature`, shape (n_samples, n_classes)."""
    validate_model(teacher, "teacher")
    temperature = validate_float(temperature, "temperature", low=0.0)
    return softmax(teacher.forward(X) / temperature)
