"""Checks for the exercises of notebook 09 (the FAQ, by experiment)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._passed import PASSED
from .._validation import _describe
from ..model import validate_model
from ._common import _hint


def check_recovered_fraction(answer, result):
    """Check the fraction of the accuracy lost to pruning that fine-tuning won back.

    ``(finetuned - pruned) / (dense - pruned)`` from a :class:`FinetuneResult`
    (1.0: all of it; may exceed 1 or be negative).

    Parameters
    ----------
    answer : float
    result : FinetuneResult
        From :func:`minprune.prune_and_finetune`.

    Returns
    -------
    True
    """
    try:
        dense = float(result.dense_accuracy)
        pruned = float(result.pruned_accuracy)
        finetuned = float(result.finetuned_accuracy)
    except (AttributeError, TypeError) as exc:
        raise TypeError(f"result must be a FinetuneResult from minprune.prune_and_finetune, "
                        f"got {_describe(result)}") from exc
    if dense == pruned:
        raise ValueError("pruning did not change the accuracy in this result, so there is "
                         "nothing to recover; prune more")
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) \
            or not math.isfinite(answer):
        _hint(f"answer should be a number such as 0.75, got {_describe(answer)}")
    expected = (finetuned - pruned) / (dense - pruned)
    # the inputs may have been read off a table rounded to 3 decimals
    tol = 2e-3 / abs(dense - pruned) + 1e-9
    if abs(answer - expected) <= tol:
        return PASSED
    if abs(answer - expected * 100) <= 100 * tol or abs(answer / 100 - expected) <= tol:
        _hint("give a fraction (0.75), not a percentage (75)")
    if abs(answer - finetuned / dense) <= tol or abs(answer - (finetuned - pruned)) <= tol:
        _hint("divide what fine-tuning won back (finetuned - pruned) by what pruning lost "
              "(dense - pruned)")
    if abs(answer - (dense - finetuned) / (dense - pruned)) <= tol:
        _hint("that is the fraction still missing; the question asks for the part recovered")
    _hint(f"recovered = (finetuned - pruned) / (dense - pruned), with dense = {dense:.3f}, "
          f"pruned = {pruned:.3f}, finetuned = {finetuned:.3f}")


def check_undone(model, reference):
    """Check that `model` is back exactly where `reference` is: masks, weights and biases.

    Parameters
    ----------
    model : MLP
        The learner's model after undoing.
    reference : MLP
        A copy taken before the step that had to be undone.

    Returns
    -------
    True
    """
    validate_model(model, "model")
    validate_model(reference, "reference")
    if model.layer_sizes != reference.layer_sizes:
        _hint(f"model has layer sizes {model.layer_sizes}, reference {reference.layer_sizes}: "
              f"a shrunk model cannot be undone, undo the masked one")
    for i, (a, b) in enumerate(zip(model.layers, reference.layers)):
        if not (np.array_equal(a.mask, b.mask) and np.array_equal(a.bias_mask, b.bias_mask)):
            extra = int(np.count_nonzero(b.mask & ~a.mask))
            _hint(f"layers[{i}] still has {extra} weights pruned that the reference keeps: "
                  f"minprune.undo(model) removes the latest step, rewind(model, k) goes back "
                  f"to entry k of model.mask_history")
        if not (np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)):
            _hint(f"the masks of layers[{i}] are back, but its weights are not: setting "
                  f"mask[...] = True brings back zeros, not the old values; undo/rewind "
                  f"restore both from model.mask_history")
    return PASSED
