"""Measuring a pruned model: sparsity, size, FLOPs and latency."""
from __future__ import annotations

import numpy as np


def sparsity(model):
    """Fraction of weights (not biases) that are pruned, in [0, 1].

    Parameters
    ----------
    model : MLP

    Returns
    -------
    float
    """
    total = sum(layer.mask.size for layer in model.layers)
    kept = sum(int(np.count_nonzero(layer.mask)) for layer in model.layers)
    return (total - kept) / total
