"""Checks for the exercises of notebooks 04 (neuron pruning) and 05 (structured pruning and speed).

A right answer returns ``True``; a wrong one raises ``AssertionError`` with a hint
that says what is wrong without printing the answer. Arguments that are not the
learner's answer (model, data, shape) are validated like the rest of the package
(``TypeError``/``ValueError``).
"""
from __future__ import annotations

import numpy as np

from .._validation import validate_float, validate_int
from ..metrics import csr_nbytes, report
from ..model import MLP, validate_model
from ..pruning.criteria import validate_data, neuron_importance
from ..pruning.neurons import prune_neurons
from ..pruning.structured import n_m_mask, shrink
from .basics import _hint, _number, _pruned_model


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


# ------------------------------------------------------------------ notebook 04
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
        return True
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
        return True
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
    return True


# ------------------------------------------------------------------ notebook 05
def _as_pairs(answer, n_layers):
    if answer is None:
        _hint("replace None with your list of (W, b) pairs, one per layer")
    if isinstance(answer, MLP):
        return [(lay.W * lay.mask, lay.b * lay.bias_mask) for lay in answer.layers]
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        _hint(f"the answer must be a list of (W, b) pairs, got {type(answer).__name__}")
    if len(answer) != n_layers:
        _hint(f"the answer must hold one (W, b) pair per layer ({n_layers}), got {len(answer)}")
    pairs = []
    for i, pair in enumerate(answer):
        if not hasattr(pair, "__len__") or len(pair) != 2:
            _hint(f"entry {i} must be a pair (W, b)")
        W, b = np.asarray(pair[0]), np.asarray(pair[1])
        if W.ndim != 2 or b.ndim != 1:
            _hint(f"entry {i}: W must be 2-D and b 1-D, got shapes {W.shape} and {b.shape}")
        pairs.append((W, b))
    return pairs


def check_shrink(layers, model):
    """Check a hand-shrunk network: the smaller dense matrices :func:`minprune.shrink` builds.

    Parameters
    ----------
    layers : list of (W, b) or MLP
        The learner's smaller network, one ``(W, b)`` per layer with ``W`` of shape
        (kept inputs, kept units); an MLP is read as ``(W * mask, b * bias_mask)``.
    model : MLP
        A neuron-pruned model (masks set, shapes unchanged).

    Returns
    -------
    True
    """
    validate_model(model)
    small = shrink(model)
    pairs = _as_pairs(layers, len(model.layers))
    for i, ((W, b), ref, full) in enumerate(zip(pairs, small.layers, model.layers)):
        want = ref.W.shape
        if W.shape != want:
            if W.shape == full.W.shape:
                _hint(f"layers[{i}].W still has its full shape {W.shape}: keep only the rows of "
                      f"live inputs and the columns of live units, shape {want}")
            if W.shape[1] == want[1] and W.shape[0] == full.fan_in:
                _hint(f"layers[{i}].W has the right columns but all {W.shape[0]} rows: drop the "
                      "rows of the units removed from the layer before (its inputs)")
            if W.shape[0] == want[0] and W.shape[1] == full.fan_out:
                _hint(f"layers[{i}].W has the right rows but all {W.shape[1]} columns: drop "
                      "the columns of this layer's removed units")
            _hint(f"layers[{i}].W has shape {W.shape}, expected {want} (live inputs x live "
                  "units)")
        if b.shape != ref.b.shape:
            _hint(f"layers[{i}].b has shape {b.shape}, expected {ref.b.shape}: slice the bias "
                  "with the same units as the columns of W")
        eff_W, eff_b = ref.W * ref.mask, ref.b * ref.bias_mask
        tol = 1e-6 * max(1.0, float(np.abs(eff_W).max(initial=0)))
        if not np.allclose(W, eff_W, rtol=0, atol=tol):
            if np.allclose(W * ref.mask, eff_W, rtol=0, atol=tol):
                _hint(f"layers[{i}].W holds values where the mask is False: use W * mask, "
                      "the weights the masked model really uses")
            if np.array_equal(np.sort(W, axis=None), np.sort(eff_W, axis=None)):
                _hint(f"layers[{i}].W holds the right values in the wrong order: keep the "
                      "units in their original order (boolean indexing does)")
            _hint(f"layers[{i}].W differs from the shrunk network's: rows = live inputs, "
                  "columns = live units, both in their original order")
        if not np.allclose(b, eff_b, rtol=0, atol=1e-6 * max(1.0, float(np.abs(eff_b).max(
                initial=0)))):
            _hint(f"layers[{i}].b differs: take (b * bias_mask) at the live units")
    return True


def check_n_m_mask(mask, W, n=2, m=4):
    """Check a hand-made N:M mask for one weight matrix (magnitude criterion).

    In each column of ``W`` (fan_in, fan_out), every group of m consecutive rows
    keeps its n largest ``|w|``; a last, shorter group keeps at most n.

    Parameters
    ----------
    mask : bool ndarray of W's shape
        True where a weight is kept.
    W : ndarray of shape (fan_in, fan_out)
    n, m : int

    Returns
    -------
    True
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (fan_in, fan_out), got shape {W.shape}")
    n, m = validate_int(n, "n", minimum=1), validate_int(m, "m", minimum=2)
    if n >= m:
        raise ValueError(f"n must be smaller than m, got n={n}, m={m}")
    if mask is None:
        _hint("replace None with your mask: a bool array of W's shape, True where kept")
    mask = np.asarray(mask)
    if mask.shape != W.shape:
        if mask.shape == W.T.shape:
            _hint(f"the mask has shape {mask.shape}, the transpose of W's {W.shape}: give it "
                  "W's shape")
        _hint(f"the mask must have W's shape {W.shape}, got {mask.shape}")
    if mask.dtype != bool:
        _hint(f"the mask must be a bool array (True = kept), got dtype {mask.dtype}")
    full = np.ones(W.shape, dtype=bool)
    expected = n_m_mask(np.abs(W), full, n, m)
    if np.array_equal(mask, expected):
        return True
    if np.array_equal(mask, ~expected):
        _hint("the mask is inverted: True must mean KEPT, the n largest |w| of each group")
    if np.array_equal(mask, n_m_mask(-np.abs(W), full, n, m)):
        _hint("you kept the SMALLEST weights of each group; keep the n largest |w|")
    if np.array_equal(mask, n_m_mask(W, full, n, m)):
        _hint("you kept the most positive weights; rank by magnitude np.abs(W)")
    if np.array_equal(mask, n_m_mask(np.abs(W).T, full.T, n, m).T):
        _hint("your groups run along a row; N:M groups are m consecutive INPUTS of one unit, "
              "i.e. m consecutive rows within one column of W (the input dimension)")
    kept = int(np.count_nonzero(mask))
    if kept != int(np.count_nonzero(expected)):
        _hint(f"{kept} weights kept, but {n}:{m} keeps {int(np.count_nonzero(expected))}: "
              f"n={n} in every group of m={m} rows of each column")
    _hint(f"the count is right, but some groups keep the wrong weights: in each column, sort "
          f"the |w| of rows 0..{m - 1}, {m}..{2 * m - 1}, ... and keep the n largest of each")


def csr_break_even(shape, itemsize=4, index_itemsize=4):
    """The most non-zeros a weight matrix can keep while its CSR copy is strictly smaller.

    The one rule behind the memory exercises of notebooks 05 and 08: CSR pays once
    it takes *fewer* bytes than dense (a tie saves nothing). CSR is counted as
    :func:`minprune.to_sparse` stores a layer, ``W.T`` with one row per output
    unit, in :func:`minprune.metrics.csr_nbytes` ``(nnz, fan_out, itemsize,
    index_itemsize)`` bytes; dense is ``fan_in * fan_out * itemsize`` bytes.
    Biases are the same in both and left out.

    Parameters
    ----------
    shape : tuple (fan_in, fan_out)
        The shape of ``W``.
    itemsize, index_itemsize : int
        Bytes per value (4 for float32) and per index (4 for int32).

    Returns
    -------
    int
        The largest ``nnz`` with ``csr_nbytes(nnz, ...) < fan_in * fan_out * itemsize``.
        The break-even sparsity is ``1 - nnz / (fan_in * fan_out)``.
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"shape must be a pair (fan_in, fan_out), got {shape!r}")
    fan_in = validate_int(shape[0], "shape[0]", minimum=1)
    fan_out = validate_int(shape[1], "shape[1]", minimum=1)
    itemsize = validate_int(itemsize, "itemsize", minimum=1)
    index_itemsize = validate_int(index_itemsize, "index_itemsize", minimum=1)
    dense = fan_in * fan_out * itemsize
    # csr_nbytes is linear in nnz: a fixed cost (the row pointers) plus a cost per entry.
    fixed = csr_nbytes(0, fan_out, itemsize, index_itemsize)
    per_entry = csr_nbytes(1, fan_out, itemsize, index_itemsize) - fixed
    if fixed >= dense:
        raise ValueError(f"a {fan_in}x{fan_out} layer is never smaller in CSR: even an empty "
                         f"CSR matrix takes {fixed} bytes (its row pointers), the dense one "
                         f"{dense}; pick a larger layer")
    return (dense - fixed - 1) // per_entry


def check_csr_break_even(sparsity, shape, itemsize=4, index_itemsize=4):
    """Check the memory break-even sparsity of one layer stored in CSR.

    The layout is that of :func:`minprune.to_sparse`: ``W.T`` of shape
    (fan_out, fan_in) in CSR, with ``nnz`` values (``itemsize`` bytes each),
    ``nnz`` column indices and ``fan_out + 1`` row pointers (``index_itemsize``
    bytes each). The dense matrix takes ``fan_in * fan_out * itemsize`` bytes.
    Biases are the same in both and left out. The count behind it is
    :func:`csr_break_even`, which ``check_csr_max_nonzeros`` (notebook 08) uses too.

    Parameters
    ----------
    sparsity : float
        The learner's answer: the smallest fraction of pruned weights at which
        CSR takes fewer bytes than dense.
    shape : tuple (fan_in, fan_out)
    itemsize, index_itemsize : int
        Bytes per value (4 for float32) and per index (4 for int32).

    Returns
    -------
    True
        When `sparsity` is within one weight (1 / n) of the exact break-even,
        so the continuous solution of the inequality passes too.
    """
    nnz_max = csr_break_even(shape, itemsize, index_itemsize)
    fan_in, fan_out = int(shape[0]), int(shape[1])
    s = _number(sparsity, "the smallest sparsity at which CSR is smaller than dense, "
                          "a fraction in [0, 1]")
    n = fan_in * fan_out
    exact = 1 - nnz_max / n
    if abs(s - exact) <= 1 / n + 1e-12:
        return True
    if 1 < s <= 100 and abs(s / 100 - exact) <= 1 / n + 1e-12:
        _hint("that is a percentage; give the sparsity as a fraction in [0, 1]")
    naive = 1 - itemsize / (itemsize + index_itemsize)
    if abs(s - naive) <= 1 / n + 1e-12:
        _hint(f"{naive:.3f} counts values and column indices only; the row pointers "
              f"(fan_out + 1 = {fan_out + 1} of them, {index_itemsize} bytes each) cost memory too")
    of_w = _break_even_of_w((fan_in, fan_out), itemsize, index_itemsize)
    if fan_in != fan_out and of_w is not None and abs(s - (1 - of_w / n)) <= 1 / n + 1e-12:
        _hint(f"that stores W (fan_in = {fan_in} rows); minprune stores W.T in CSR, so there "
              f"are fan_out + 1 = {fan_out + 1} row pointers")
    if abs(s - (1 - exact)) <= 1 / n + 1e-12:
        _hint("that is the density (fraction kept) at the break-even; give the sparsity")
    if s < exact:
        _hint(f"at sparsity {s:.4f} CSR still takes at least as many bytes as dense: write both "
              "sizes as functions of the number of non-zeros and solve csr_bytes(nnz) < "
              "dense_bytes")
    _hint(f"at sparsity {s:.4f} CSR is already smaller than dense, and it was already a few "
          "weights earlier: look for the SMALLEST sparsity where csr_bytes < dense_bytes")


def _break_even_of_w(shape, itemsize=4, index_itemsize=4):
    """:func:`csr_break_even` if ``W`` itself (fan_in + 1 row pointers) were stored, or None.

    A common slip: the learner counts the rows of ``W``, not of ``W.T``.
    """
    try:
        return csr_break_even((shape[1], shape[0]), itemsize, index_itemsize)
    except ValueError:  # W in CSR never pays: no such answer to recognise
        return None


__all__ = ["check_apoz", "check_global_units", "check_flops_and_accuracy", "check_shrink",
           "check_n_m_mask", "check_csr_break_even"]
