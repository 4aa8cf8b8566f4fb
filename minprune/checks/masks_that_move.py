"""Checks for the exercises of notebook 11 (masks that move)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_float, validate_int
from ..model import validate_model
from ..pruning.dynamic import erdos_renyi_densities
from ..pruning.rules import select_lowest
from ._common import _hint


def _bool_array(answer, shape, what):
    if answer is None:
        _hint(f"replace None with your answer: {what}")
    answer = np.asarray(answer)
    if answer.dtype != bool:
        _hint(f"give a bool array ({what}), got dtype {answer.dtype}")
    if answer.shape != tuple(shape):
        _hint(f"the mask must have the weights' shape {tuple(shape)}, got {answer.shape}")
    return answer


def check_drop_mask(new_mask, W, mask, k):
    """Check the drop step of SET and RigL: `mask` without its `k` active weights of smallest |W|.

    Parameters
    ----------
    new_mask : bool array of the shape of `W`
        The learner's mask after the drop.
    W : ndarray of shape (fan_in, fan_out)
    mask : bool ndarray of the same shape
        The mask before the drop.
    k : int
        Weights to drop.
    """
    W, mask = np.asarray(W), np.asarray(mask, dtype=bool)
    k = validate_int(k, "k", minimum=0, maximum=int(mask.sum()))
    new_mask = _bool_array(new_mask, W.shape, "the mask after dropping k weights")
    expected = mask & ~select_lowest(np.abs(W), k, eligible=mask)
    if np.array_equal(new_mask, expected):
        return PASSED
    if (new_mask & ~mask).any():
        _hint("your mask switches on connections that were off: the drop step only removes")
    dropped = int(mask.sum() - new_mask.sum())
    if dropped != k:
        _hint(f"your mask drops {dropped} weights, not k = {k}")
    if np.array_equal(new_mask, mask & ~select_lowest(W, k, eligible=mask)):
        _hint("you dropped the most NEGATIVE weights; rank by magnitude, |W|")
    if np.array_equal(new_mask, mask & ~select_lowest(np.abs(W), k)):
        _hint("you ranked every weight, pruned ones (|w| = 0) included; rank only the active ones")
    _hint("drop the k ACTIVE weights (mask True) with the smallest |W|")


def check_drop_fraction(values, steps, *, drop_fraction, end_step):
    """Check the cosine decay of the fraction of weights moved at each step (Evci et al., 2020).

    ``drop_fraction / 2 * (1 + cos(pi * t / end_step))`` before `end_step`, 0 from it on.
    """
    steps = np.asarray(steps)
    if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer):
        raise TypeError(f"steps must be a 1-D array of ints, got {steps.dtype} of shape "
                        f"{steps.shape}")
    alpha = validate_float(drop_fraction, "drop_fraction", low=0.0, high=1.0, high_inclusive=False)
    end_step = validate_int(end_step, "end_step", minimum=1)
    if values is None:
        _hint("replace None with your fractions: one per entry of steps")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != steps.shape:
        _hint(f"give one fraction per step: expected shape {steps.shape}, got {values.shape}")
    t = steps.astype(np.float64)
    expected = np.where(t < end_step, 0.5 * alpha * (1 + np.cos(np.pi * t / end_step)), 0.0)
    if np.allclose(values, expected, rtol=0, atol=1e-9):
        return PASSED
    if np.allclose(values[steps < end_step], expected[steps < end_step], rtol=0, atol=1e-9):
        _hint(f"from end_step = {end_step} on nothing moves: the fraction is 0 there")
    if np.allclose(values, 0.5 * (1 + np.cos(np.pi * np.minimum(t, end_step) / end_step)),
                   rtol=0, atol=1e-9):
        _hint("the cosine starts at drop_fraction, not at 1: multiply by drop_fraction")
    if abs(values[0] - alpha) > 1e-9 and steps[0] == 0:
        _hint(f"at step 0 the fraction is drop_fraction = {alpha}")
    _hint("use drop_fraction / 2 * (1 + cos(pi * step / end_step)) before end_step")


def check_erdos_renyi(counts, model, density):
    """Check per-layer weight counts for an overall `density` under the Erdos-Renyi rule."""
    validate_model(model)
    density = validate_float(density, "density", low=0.0, high=1.0)
    if counts is None:
        _hint("replace None with one count of kept weights per layer")
    counts = np.asarray(counts)
    if counts.shape != (len(model.layers),):
        _hint(f"give one count per layer ({len(model.layers)}), got shape {counts.shape}")
    expected = np.array(erdos_renyi_densities(model, density))
    if np.allclose(counts, expected, rtol=0, atol=1.5):
        return PASSED  # the rounding to whole weights may differ by one
    sizes = np.array([layer.W.size for layer in model.layers])
    if abs(counts.sum() - density * sizes.sum()) > len(sizes):
        _hint(f"the counts must add up to density * all weights = {density * sizes.sum():.0f}, "
              f"yours add up to {counts.sum():.0f}")
    if np.allclose(counts, density * sizes, atol=1):
        _hint("that is the same density in every layer; Erdos-Renyi gives each layer a density "
              "proportional to (fan_in + fan_out) / (fan_in * fan_out)")
    if (counts > sizes).any():
        _hint("a layer cannot keep more weights than it has: cap it at its size (dense) and "
              "share the rest among the others")
    _hint("each layer keeps a number of weights proportional to fan_in + fan_out")
