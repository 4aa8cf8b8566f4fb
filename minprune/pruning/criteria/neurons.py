"""Neuron criteria: how important is each hidden unit?

Each is one function ``score(model, i, batch)`` returning the float64 scores of
the units of hidden layer ``i`` (shape (fan_out,)), and one :func:`register`
line. The output layer is never scored: its units are the classes.
"""
from __future__ import annotations

import numpy as np

from ...model import _OBJECTIVE
from .registry import backprop_deltas, register


def _norm(model, i, order):
    layer = model.layers[i]
    return np.linalg.norm((layer.W * layer.mask).astype(np.float64), ord=order, axis=0)


@register("l1", "neurons", needs_data=False, doc="L1 norm of the unit's incoming weights")
def l1(model, i, batch):
    return _norm(model, i, 1)


@register("l2", "neurons", needs_data=False,
          doc="L2 norm of the unit's incoming weights (torch's ln_structured, n=2)")
def l2(model, i, batch):
    return _norm(model, i, 2)


@register("activation", "neurons", needs_data=True, doc="mean |activation| on a batch")
def activation(model, i, batch):
    return np.abs(batch.activations[i + 1].astype(np.float64)).mean(axis=0)


@register("apoz", "neurons", needs_data=True,
          doc="1 - APoZ, the Average Percentage of Zeros after ReLU (Hu et al. 2016): "
              "a unit that is almost always zero is pruned first")
def apoz(model, i, batch):
    if model.activation != "relu":
        raise ValueError(f"criterion='apoz' counts zeros after ReLU; this model's hidden "
                         f"activation is {model.activation!r}")
    return np.mean(batch.activations[i + 1].astype(np.float64) > 0, axis=0)


def _taylor_deltas(model, batch):
    """Gradients of the mean loss at every layer's pre-activation."""
    delta = _OBJECTIVE[model.objective](batch.activations[-1], batch.y)[1]
    return backprop_deltas(model, batch.activations, delta)


@register("taylor", "neurons", needs_data=True,
          doc="|mean over the batch of a * dL/da| (Molchanov et al. 2017)")
def taylor(model, i, batch):
    # dL/da_i is the delta of layer i+1 pulled back through its weights
    deltas = batch.memo("taylor deltas", lambda: _taylor_deltas(model, batch))
    a = batch.activations[i + 1].astype(np.float64)
    nxt = model.layers[i + 1]
    grad_a = deltas[i + 1].astype(np.float64) @ (nxt.W * nxt.mask).T.astype(np.float64)
    return np.abs(np.sum(a * grad_a, axis=0))  # mean loss: 1/n already in grad_a


@register("random", "neurons", needs_data=False, doc="uniform noise from `seed`")
def random(model, i, batch):
    return batch.rng.random(model.layers[i].fan_out)
