"""Checks for the exercises of notebook 00 (what is pruning?)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from ..metrics import sparsity
from ..model import MLP, validate_model
from ..pruning.weights import prune_weights
from ._common import _hint, _number


def check_sparsity(answer, model):
    """Check a hand-computed sparsity: the fraction of `model`'s weights that are pruned.

    Parameters
    ----------
    answer : float
        The learner's value, a fraction in [0, 1].
    model : MLP

    Returns
    -------
    True
    """
    validate_model(model)
    answer = _number(answer, "the fraction of weights that are pruned, in [0, 1]")
    expected = sparsity(model)
    if abs(answer - expected) <= 1e-6:  # float32 answers pass
        return PASSED
    n_weights = sum(layer.mask.size for layer in model.layers)
    n_biases = sum(layer.bias_mask.size for layer in model.layers)
    pruned_w = n_weights - sum(int(np.count_nonzero(layer.mask)) for layer in model.layers)
    pruned_b = n_biases - sum(int(np.count_nonzero(layer.bias_mask)) for layer in model.layers)
    per_layer = np.mean([1 - layer.mask.mean() for layer in model.layers])
    if expected > 0 and abs(answer - 100 * expected) <= 1e-7:
        _hint("that is a percentage; give the sparsity as a fraction in [0, 1]")
    if abs(answer - (1 - expected)) <= 1e-6:
        _hint("that is the density, the fraction of weights that are KEPT; sparsity counts "
              "the pruned ones (mask == False)")
    for with_biases in ((pruned_w + pruned_b) / (n_weights + n_biases),
                        pruned_w / (n_weights + n_biases)):
        if abs(answer - with_biases) <= 1e-6:
            _hint("count weights only: sparsity here is over the entries of each layer.mask, "
                  "biases are left out")
    if abs(answer - per_layer) <= 1e-6 and abs(per_layer - expected) > 1e-6:
        _hint("that is the average of the layers' sparsities, which weighs a small layer as "
              "much as a big one; count pruned weights over ALL weights of all layers")
    _hint("not the sparsity of this model: count the False entries of every layer.mask and "
          "divide by the total number of entries of all masks")


def check_pruned_copy(pruned, original, amount, *, criterion="magnitude", scope="layer"):
    """Check that `pruned` is a pruned *copy* of the dense `original`.

    Parameters
    ----------
    pruned : MLP
        The learner's pruned copy.
    original : MLP
        The dense model it was copied from; it must still be unpruned.
    amount : float or int
        The amount the copy should have been pruned with, by ``prune_weights``.
    criterion, scope : str
        As passed to :func:`minprune.prune_weights`.

    Returns
    -------
    True
    """
    validate_model(original, "original")
    if pruned is None:
        _hint("replace None with your pruned copy of the model")
    if not isinstance(pruned, MLP):
        _hint(f"pass the pruned model (a minprune.MLP), got {type(pruned).__name__}; note that "
              "prune_weights returns a report and changes the model you give it in place")
    if pruned is original:
        _hint("that is the original model itself, not a copy: prune original.copy() so the "
              "dense model stays available for comparison")
    if any(layer.is_pruned() for layer in original.layers):
        _hint("the original model has pruned weights: you pruned it rather than (or as well "
              "as) a copy. Rebuild or retrain it, then prune original.copy()")
    if pruned.layer_sizes != original.layer_sizes:
        _hint(f"the copy has layer sizes {pruned.layer_sizes}, the original "
              f"{original.layer_sizes}: copy the original with original.copy()")
    expected = original.copy()
    prune_weights(expected, amount, criterion=criterion, scope=scope)
    got, want = sparsity(pruned), sparsity(expected)
    if got == 0:
        _hint("the copy has no pruned weights yet: call prune_weights on it")
    if abs(got - want) > 1e-12:
        _hint(f"the copy has {got:.1%} of its weights pruned, but prune_weights(copy, "
              f"{amount!r}) prunes {want:.1%}: prune the copy exactly once, with that amount")
    if not all(np.array_equal(a.mask, b.mask) for a, b in zip(pruned.layers, expected.layers)):
        _hint("the right number of weights is pruned, but not the same ones prune_weights "
              f"(criterion={criterion!r}, scope={scope!r}) chooses")
    if not all(np.array_equal(a.W, b.W) for a, b in zip(pruned.layers, expected.layers)):
        _hint("the mask is right but the kept weights differ from the original's: check the "
              "copy before any fine-tuning")
    return PASSED
