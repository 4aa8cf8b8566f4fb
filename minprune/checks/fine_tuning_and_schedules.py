"""Checks for the exercises of notebook 06 (fine-tuning and schedules)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_float, validate_int
from ..metrics import sparsity
from ..model import validate_model
from ..pruning.criteria import validate_data
from ..schedules import cubic_sparsity
from ._common import _hint, _number, _pruned_model


def check_cubic_schedule(values, steps, *, initial=0.0, final, begin_step=0, end_step,
                         frequency=1):
    """Check a hand-computed cubic sparsity schedule (Zhu & Gupta, 2017).

    ``s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt))**3`` for ``t0 <= t <= t0 + n dt``,
    with ``t - t0`` rounded down to a multiple of ``dt = frequency``; ``s_i`` before
    ``t0`` and ``s_f`` after ``end_step = t0 + n dt``. This is :func:`minprune.cubic_sparsity`.

    Parameters
    ----------
    values : array-like of shape (n_steps,)
        The learner's sparsity at each step of `steps`.
    steps : array-like of int, shape (n_steps,)
    initial, final : float
        ``s_i`` and ``s_f``.
    begin_step, end_step : int
    frequency : int

    Returns
    -------
    True
    """
    steps = np.asarray(steps)
    if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer):
        raise TypeError(f"steps must be a 1-D array of ints, got {steps.dtype} of shape "
                        f"{steps.shape}")
    expected = cubic_sparsity(steps, initial=initial, final=final, begin_step=begin_step,
                              end_step=end_step, frequency=frequency)
    if values is None:
        _hint("replace None with your schedule: one sparsity per entry of steps")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != steps.shape:
        _hint(f"give one sparsity per step: expected shape {steps.shape}, got {values.shape}")
    if not np.isfinite(values).all():
        _hint("the schedule holds NaN or infinite values")
    tol = 1e-9
    if np.allclose(values, expected, rtol=0, atol=tol):
        return PASSED
    t = steps.astype(np.float64)
    span = end_step - begin_step

    def formula(progress, power=3):
        return final + (initial - final) * (1 - np.clip(progress, 0, 1)) ** power

    if np.allclose(values, 100 * expected, rtol=0, atol=100 * tol):
        _hint("those are percentages; give sparsities as fractions in [0, 1]")
    if frequency > 1 and np.allclose(values, formula((t - begin_step) / span), rtol=0, atol=tol):
        _hint(f"the sparsity should change only every frequency = {frequency} steps: round "
              f"(t - begin_step) down to a multiple of {frequency} before dividing")
    done = np.floor(np.maximum(t - begin_step, 0) / frequency) * frequency
    for power, name in ((1, "linear"), (2, "quadratic")):
        if np.allclose(values, formula(done / span, power), rtol=0, atol=tol):
            _hint(f"that ramp is {name}; the schedule is CUBIC: (1 - progress)**3, which "
                  "prunes fast early, when the network is most redundant, and slowly at the end")
    if np.allclose(values, initial + (final - initial) * (done / span).clip(0, 1) ** 3, rtol=0,
                   atol=tol):
        _hint("that curve starts slowly and speeds up; Zhu & Gupta's starts fast: "
              "s_f + (s_i - s_f) * (1 - progress)**3")
    if np.any(np.diff(values[np.argsort(steps, kind="stable")]) < -tol):
        _hint("sparsity must never decrease over the steps (pruned weights stay pruned)")
    late = steps >= end_step
    if late.any() and not np.allclose(values[late], final, rtol=0, atol=tol):
        _hint(f"from end_step = {end_step} on the sparsity stays at final = {final}: clip "
              "the progress (t - begin_step) / (end_step - begin_step) to at most 1")
    early = steps <= begin_step
    if early.any() and not np.allclose(values[early], initial, rtol=0, atol=tol):
        _hint(f"up to begin_step = {begin_step} the sparsity is initial = {initial}: clip the "
              "progress to at least 0")
    worst = int(np.argmax(np.abs(values - expected)))
    _hint(f"the value at step {int(steps[worst])} is off; check the formula "
          "s_f + (s_i - s_f) * (1 - (t - t0) / (end_step - t0))**3")


def check_per_round(per_round, target, rounds):
    """Check the fraction of survivors to prune per round to reach `target` in `rounds`.

    Each round prunes the same fraction ``p`` of the weights still there, so after
    ``r`` rounds the density is ``(1 - p)**r``: ``p = 1 - (1 - target)**(1 / rounds)``.

    Parameters
    ----------
    per_round : float
        The learner's answer, a fraction in [0, 1].
    target : float
        Final sparsity, in [0, 1).
    rounds : int

    Returns
    -------
    True
    """
    target = validate_float(target, "target", low=0.0, high=1.0, low_inclusive=True,
                         high_inclusive=False)
    rounds = validate_int(rounds, "rounds", minimum=1)
    p = _number(per_round, "the fraction of the surviving weights pruned in each round")
    expected = 1 - (1 - target) ** (1 / rounds)
    if abs(p - expected) <= 1e-6:
        return PASSED
    if abs(p / 100 - expected) <= 1e-6:
        _hint("that is a percentage; give a fraction in [0, 1]")
    if abs(p - target / rounds) <= 1e-6:
        _hint(f"target / rounds would be right if every round pruned a fraction of the ORIGINAL "
              f"weights; each round prunes a fraction of the SURVIVORS, so fractions compound: "
              f"(1 - p)**{rounds} must equal 1 - target")
    if abs(p - target ** (1 / rounds)) <= 1e-6:
        _hint("that compounds the sparsity; it is the density that multiplies round after "
              "round: (1 - p)**rounds = 1 - target")
    reached = 1 - (1 - p) ** rounds
    _hint(f"with p = {p:.4f}, {rounds} rounds reach sparsity {reached:.4f}, not {target}: "
          f"solve (1 - p)**{rounds} = 1 - target for p")


def check_sparsity_and_accuracy(model, data, *, min_sparsity, min_accuracy, original=None):
    """Check a pruning target: sparse enough AND accurate enough.

    Parameters
    ----------
    model : MLP
        The learner's pruned model.
    data : tuple (X, y)
        Where accuracy is measured: the split the learner chooses by, a validation
        split, so that the test set stays out of every choice.
    min_sparsity : float
        Required fraction of weights pruned (:func:`minprune.sparsity`).
    min_accuracy : float
        Required accuracy on `data`, a fraction.
    original : MLP, optional
        The model before pruning. When given, no training is allowed after the
        cut: `model` must be a pruned copy of it, with the same layer sizes, no
        weight live that `original` has pruned, and every kept weight and bias
        equal to `original`'s, bit for bit.

    Returns
    -------
    True
    """
    _pruned_model(model)
    X, y = validate_data(model, data, "check_sparsity_and_accuracy")
    min_sparsity = validate_float(min_sparsity, "min_sparsity", low=0.0, high=1.0,
                               low_inclusive=True)
    min_accuracy = validate_float(min_accuracy, "min_accuracy", low=0.0, high=1.0,
                               low_inclusive=True)
    if original is not None:
        validate_model(original, "original")
    for i, layer in enumerate(model.layers):
        if np.any(layer.W[~layer.mask] != 0):
            _hint(f"layers[{i}] holds non-zero weights where its mask is False: call "
                  "model.apply_masks() after editing masks by hand")
    if original is not None:
        _check_untrained(model, original)
    s = sparsity(model)
    zeros = sum(int(np.count_nonzero(layer.W == 0)) for layer in model.layers)
    total = sum(layer.W.size for layer in model.layers)
    if s < min_sparsity:
        extra = ""
        if zeros / total >= min_sparsity:
            extra = (" Many weights are exactly 0 but still marked as live: set layer.mask to "
                     "False where you prune, not only W to 0.")
        _hint(f"sparsity {s:.3f} < {min_sparsity:.3f}: prune more weights, most where the "
              f"sensitivity scan shows accuracy holds up.{extra}")
    acc = model.score(X, y)
    if acc < min_accuracy:
        _hint(f"sparse enough ({s:.3f}), but accuracy is {acc:.3f} < {min_accuracy:.3f}: move "
              "sparsity away from the layers whose accuracy falls first in the scan (often the "
              "first and the last) into the layers that hold up")
    return PASSED


def _check_untrained(model, original):
    """An AssertionError unless `model` is `original` with more weights masked and nothing trained."""
    if model is original:
        _hint("that is the original model itself, pruned in place: prune original.copy() so "
              "the unpruned model stays available to compare with")
    if model.layer_sizes != original.layer_sizes:
        _hint(f"the answer has layer sizes {model.layer_sizes}, the original "
              f"{original.layer_sizes}: prune a copy of the original (original.copy()) instead "
              "of building or shrinking another network")
    for i, (layer, ref) in enumerate(zip(model.layers, original.layers)):
        if np.any(layer.mask & ~ref.mask) or np.any(layer.bias_mask & ~ref.bias_mask):
            _hint(f"layers[{i}] has weights live that the original has pruned: start from "
                  "original.copy() and only switch mask entries off")
        moved = (int(np.count_nonzero(layer.W[layer.mask] != ref.W[layer.mask]))
                 + int(np.count_nonzero(layer.b[layer.bias_mask] != ref.b[layer.bias_mask])))
        if moved:
            _hint(f"{moved} kept weights or biases of layers[{i}] differ from the original's: "
                  "the model was trained after the cut (fine-tuning, prune_and_finetune, a "
                  "schedule), and this exercise allows none. Prune a fresh original.copy() by "
                  "masks alone and call apply_masks()")
