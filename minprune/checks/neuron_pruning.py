"""Checks for the exercises of notebook 04 (neuron pruning)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_float, validate_int
from ..metrics import report
from ..model import validate_model
from ..pruning.criteria import neuron_importance, validate_data
from ..pruning.neurons import prune_neurons
from ._common import _hint, _pruned_model


def _arrays(answer, what, n, shapes):
    """`answer` as a list of `n` float arrays with the given shapes, or a hint."""
    if answer is None:
        _hint(f"replace None with your answer: {what}")
    if isinstance(answer, np.ndarray) and answer.ndim == 1 and n == 1:
        answer = [answer]
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        _hint(f"the answer must be a list with {what}, got {type(answer).__name__}")
    if len(answer) != n:
        _hint(f"the answer must be a list of {n} arrays ({what}), got {len(answer)}")
    out = []
    for i, (a, shape) in enumerate(zip(answer, shapes)):
        a = np.asarray(a)
        if a.shape != shape:
            _hint(f"entry {i} must have shape {shape} (one value per unit of hidden layer {i}), "
                  f"got {a.shape}: average over the samples, axis=0")
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            _hint(f"entry {i} must hold numbers, got dtype {a.dtype}")
        out.append(a.astype(np.float64))
    return out


def check_apoz(apoz, model, data):
    """Check hand-computed APoZ: each hidden unit's fraction of zero outputs on `data`.

    Parameters
    ----------
    apoz : list of ndarray
        One array of shape (hidden_i,) per hidden layer: the Average Percentage of
        Zeros (Hu et al. 2016) of each unit after ReLU, as a fraction in [0, 1].
    model : MLP
        With ReLU hidden layers.
    data : tuple (X, y)
        The samples APoZ is measured on (``y`` is not used by APoZ itself).

    Returns
    -------
    True
    """
    validate_model(model)
    X, y = validate_data(model, data, "check_apoz")
    hidden = model.layers[:-1]
    if not hidden:
        raise ValueError(f"model has no hidden layer: {model!r}")
    answer = _arrays(apoz, "one APoZ array per hidden layer", len(hidden),
                     [(layer.fan_out,) for layer in hidden])
    # the library's importance is 1 - APoZ: the fraction of samples where a unit is active
    expected = [1.0 - s for s in neuron_importance(model, "apoz", data=(X, y))]
    tol = 1e-6
    if all(np.allclose(a, e, rtol=0, atol=tol) for a, e in zip(answer, expected)):
        return PASSED
    if all(np.allclose(a, 1 - e, rtol=0, atol=tol) for a, e in zip(answer, expected)):
        _hint("that is the fraction of samples where each unit is ACTIVE (> 0); APoZ counts "
              "the zeros: np.mean(a == 0, axis=0)")
    if all(np.allclose(a, 100 * e, rtol=0, atol=100 * tol) for a, e in zip(answer, expected)):
        _hint("those are percentages; give APoZ as a fraction in [0, 1]")
    i = next(i for i, (a, e) in enumerate(zip(answer, expected))
             if not np.allclose(a, e, rtol=0, atol=tol))
    worst = int(np.argmax(np.abs(answer[i] - expected[i])))
    _hint(f"hidden layer {i} is off (unit {worst} differs most): take "
          "model.hidden_activations(X), the outputs AFTER ReLU, on the samples given, and "
          "average (a == 0) over the samples")


def _unit_lists(answer, sizes):
    """`answer` as a list of sorted unique int arrays, one per hidden layer, or a hint."""
    if answer is None:
        _hint("replace None with your answer: one array of unit indices per hidden layer")
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        _hint(f"the answer must be a list of {len(sizes)} arrays of unit indices, got "
              f"{type(answer).__name__}")
    if len(answer) != len(sizes):
        _hint(f"give one array of unit indices per hidden layer ({len(sizes)}), got {len(answer)}")
    out = []
    for i, (units, size) in enumerate(zip(answer, sizes)):
        units = np.asarray(units)
        if units.dtype == bool:
            if units.shape != (size,):
                _hint(f"entry {i}: a boolean array must have shape ({size},), got {units.shape}")
            units = np.flatnonzero(units)
        units = units.ravel()
        if units.size and not np.issubdtype(units.dtype, np.integer):
            if np.issubdtype(units.dtype, np.floating) and np.all(units == np.round(units)):
                units = units.astype(np.int64)
            else:
                _hint(f"entry {i} must hold unit indices (ints), got dtype {units.dtype}")
        if units.size and (units.min() < 0 or units.max() >= size):
            _hint(f"entry {i} holds indices outside 0..{size - 1} (that layer has {size} units); "
                  "number the units of each layer from 0")
        out.append(np.unique(units.astype(np.int64)))
    return out


def _lowest_units(scores, k, keep_one=True):
    """Per layer, the units among the `k` lowest of all `scores` ranked together."""
    flat = np.concatenate(scores)
    order = np.argsort(flat, kind="stable")
    if keep_one:  # the best unit of each layer is never eligible (the global guard)
        starts = np.cumsum([0] + [s.size for s in scores[:-1]])
        best = {int(start + np.argsort(s, kind="stable")[-1]) for start, s in zip(starts, scores)}
        order = np.array([j for j in order if j not in best], dtype=np.int64)
    chosen = np.sort(order[:k])
    ends = np.cumsum([s.size for s in scores])
    return [chosen[(chosen >= e - s.size) & (chosen < e)] - (e - s.size)
            for s, e in zip(scores, ends)]


def check_global_units(units, model, amount, criterion="l2", data=None):
    """Check a hand-picked global neuron pruning: which units ``scope="global"`` removes.

    Parameters
    ----------
    units : list of array of int
        One array per hidden layer: the indices of the units the learner says
        ``prune_neurons(model, amount, criterion=criterion, scope="global")`` removes
        (a boolean array per layer, True = removed, is accepted too).
    model : MLP
        Unchanged.
    amount : float or int
        As for :func:`minprune.prune_neurons`.
    criterion : str
        A neuron criterion.
    data : tuple (X, y), optional
        For criteria that need data.

    Returns
    -------
    True
    """
    validate_model(model)
    if criterion == "random":
        raise ValueError("criterion='random' has no single right answer; pick a deterministic "
                         "criterion such as 'l1' or 'l2'")
    hidden = model.layers[:-1]
    sizes = [layer.fan_out for layer in hidden]
    reference = model.copy()
    prune_neurons(reference, amount, criterion=criterion, scope="global", data=data)
    expected = [np.flatnonzero(~layer.bias_mask & model.layers[i].bias_mask)
                for i, layer in enumerate(reference.layers[:-1])]
    answer = _unit_lists(units, sizes)
    if all(np.array_equal(a, e) for a, e in zip(answer, expected)):
        return PASSED
    k = sum(e.size for e in expected)
    got = sum(a.size for a in answer)
    scores = neuron_importance(model, criterion, data=data)
    per_layer = [np.sort(np.argsort(s, kind="stable")[:round(k * s.size / sum(sizes))])
                 for s in scores]
    if got == k and all(np.array_equal(a, p) for a, p in zip(answer, per_layer)):
        _hint("that spreads the cut in proportion to the layers' sizes, as scope='layer' does; "
              "scope='global' ranks the units of ALL hidden layers together and takes the "
              f"{k} lowest scores, wherever they are")
    if all(np.array_equal(a, e) for a, e in zip(answer, _lowest_units(
            [-s for s in scores], k))):
        _hint("those are the HIGHEST scores; the lowest scores are pruned first")
    fan_in = [layer.fan_in for layer in hidden]
    order = {"l1": 1.0, "l2": 0.5}.get(criterion)
    if order is not None:
        scaled = [s / f ** order for s, f in zip(scores, fan_in)]
        if all(np.array_equal(a, e) for a, e in zip(answer, _lowest_units(scaled, k))):
            _hint("you normalised the norms by the fan-in; a fair idea, but prune_neurons "
                  "compares the raw scores, so layers with more inputs look more important")
    if got != k:
        _hint(f"{got} units in your answer, but amount={amount!r} removes {k} units in total "
              "(a fraction counts all hidden units together)")
    if all(np.array_equal(a, e) for a, e in zip(answer, _lowest_units(scores, k, False))):
        _hint("almost: scope='global' always keeps each layer's best unit (a layer with no "
              "unit would cut the network in two), so that unit is not eligible")
    _hint(f"compute the {criterion} score of every hidden unit, concatenate the layers, and "
          f"take the {k} lowest (ties: the earlier unit first)")


def check_flops_and_accuracy(model, data, *, max_flops, min_accuracy):
    """Check a neuron-pruning target: few enough FLOPs once shrunk, accurate enough.

    Parameters
    ----------
    model : MLP
        The learner's pruned (and maybe fine-tuned) model, masked or already shrunk.
    data : tuple (X_test, y_test)
        Where accuracy is measured.
    max_flops : int
        Budget for the FLOPs per sample of ``shrink(model)`` (a multiply-add = 2).
    min_accuracy : float
        Required accuracy on `data`, a fraction.

    Returns
    -------
    True
    """
    _pruned_model(model)
    X, y = validate_data(model, data, "check_flops_and_accuracy")
    max_flops = validate_int(max_flops, "max_flops", minimum=1)
    min_accuracy = validate_float(min_accuracy, "min_accuracy", low=0.0, high=1.0,
                                  low_inclusive=True)
    totals = report(model).totals
    flops, dense = totals["shrunk_flops"], totals["dense_flops"]
    acc = model.score(X, y)
    if flops > max_flops:
        extra = ""
        if totals["effective_flops"] <= max_flops:
            extra = (" Scattered weight pruning lowers the effective FLOPs but not these: "
                     "shrink can only drop whole units, so prune neurons (prune_neurons).")
        _hint(f"shrink(model) needs {flops:,} FLOPs per sample (the dense model {dense:,}); the "
              f"budget is {max_flops:,}: remove more hidden units.{extra}")
    if acc < min_accuracy:
        _hint(f"the size is within budget, but accuracy is {acc:.3f} < {min_accuracy:.3f}: "
              "fine-tune after pruning (mp.fit on the masked model, a few epochs, small lr), "
              "or try another criterion or a different split of units between the layers")
    return PASSED
