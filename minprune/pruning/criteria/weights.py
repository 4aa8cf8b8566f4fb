"""Weight criteria: how important is each single weight?

Each is one function ``score(model, i, batch)`` returning the float64 scores of
``layers[i].W`` (shape (fan_in, fan_out)), and one :func:`register` line.
"""
from __future__ import annotations

import numpy as np

from .registry import gauss_newton_diagonal, register


@register("magnitude", "weights", needs_data=False, doc="|w|")
def magnitude(model, i, batch):
    layer = model.layers[i]
    return np.abs(layer.W * layer.mask).astype(np.float64)


@register("random", "weights", needs_data=False,
          doc="uniform noise from `seed`: the control every criterion must beat")
def random(model, i, batch):
    return batch.rng.random(model.layers[i].W.shape)


@register("taylor", "weights", needs_data=True,
          doc="|w * dL/dw| on a batch: first-order Taylor estimate of the loss change "
              "(per weight as in Molchanov et al. 2019; their 2017 paper scores feature maps, "
              "like the neuron criterion)")
def taylor(model, i, batch):
    layer = model.layers[i]
    dW, _ = batch.backward[1][i]
    return np.abs(layer.W.astype(np.float64) * layer.mask * dW)


@register("snip", "weights", needs_data=True,
          doc="Taylor's |w * dL/dw| normalised to sum to 1, used at initialisation, before "
              "training (connection sensitivity, Lee et al. 2019)")
def snip(model, i, batch):
    # The score is Taylor's; the difference is when it is used: SNIP prunes an
    # untrained network once, then trains it.
    scores = taylor(model, i, batch)
    total = batch.memo("snip total", lambda: sum(taylor(model, j, batch).sum()
                                                 for j in range(len(model.layers))))
    return scores / total if total > 0 else scores


@register("obd", "weights", needs_data=True,
          doc="Optimal Brain Damage saliency h_kk w_k^2 / 2 with the exact Gauss-Newton "
              "diagonal (LeCun et al. 1990)")
def obd(model, i, batch):
    # h_kk is the exact diagonal of the Gauss-Newton matrix (for ReLU networks, the Hessian's)
    h = batch.memo("gauss-newton diagonal", lambda: gauss_newton_diagonal(model, batch.X))
    layer = model.layers[i]
    return 0.5 * h[i] * np.square(layer.W * layer.mask, dtype=np.float64)
