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


@register("wanda", "weights", needs_data=True, needs_labels=False,
          doc="|w_ij| * ||x_i||_2: magnitude times the norm of the input it reads, on calibration "
              "inputs; meant with scope='output' (Wanda, Sun et al. 2024)")
def wanda(model, i, batch):
    # batch.inputs(i): the layer's inputs on the calibration data, through the model as it is
    norms = np.linalg.norm(batch.inputs(i).astype(np.float64), axis=0)
    layer = model.layers[i]
    return np.abs(layer.W * layer.mask).astype(np.float64) * norms[:, None]


@register("lamp", "weights", needs_data=False,
          doc="w^2 / (sum of w'^2 over this and every larger weight of the layer): magnitude "
              "rescaled so layers compare in a global ranking (LAMP, Lee et al. 2021)")
def lamp(model, i, batch):
    # Within a layer the order is magnitude's (ties by position, the rule of rank_order);
    # the layer's largest weight scores 1. Pruned weights score 0.
    layer = model.layers[i]
    sq = np.square((layer.W * layer.mask).astype(np.float64)).ravel()
    live = np.flatnonzero(layer.mask.ravel())
    order = live[np.argsort(sq[live], kind="stable")]
    tail = np.cumsum(sq[order][::-1])[::-1]  # this weight's square and every larger one's
    out = np.zeros_like(sq)
    out[order] = np.divide(sq[order], tail, out=np.zeros_like(tail), where=tail > 0)
    return out.reshape(layer.W.shape)


@register("synflow", "weights", needs_data=False,
          doc="|w * dR/dw| with R = 1^T |W_L| ... |W_1| 1, the synaptic flow; data-free, meant "
              "to be iterated at initialisation (SynFlow, Tanaka et al. 2020)")
def synflow(model, i, batch):
    # Flow into layer i's inputs (from an all-ones input through the absolute, masked
    # weights) x |w| x flow from its outputs to the output. Biases and activations are
    # left out, as in the paper. Float64, no rescaling: one scale must serve every layer.
    def flows():
        absW = [np.abs(layer.W * layer.mask).astype(np.float64) for layer in model.layers]
        into = [np.ones(model.n_features)]
        for W in absW[:-1]:
            into.append(into[-1] @ W)
        out = [np.ones(model.n_classes)]
        for W in absW[:0:-1]:
            out.append(W @ out[-1])
        return absW, into, out[::-1]

    absW, into, out = batch.memo("synaptic flow", flows)
    return into[i][:, None] * absW[i] * out[i][None, :]
