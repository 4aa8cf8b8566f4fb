"""Checks for the exercises of notebook 05 (structured pruning and speed)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_int
from ..model import MLP, validate_model
from ..pruning.structured import n_m_mask, shrink
from ._common import _break_even_of_w, _hint, _number, csr_break_even


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
    return PASSED


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
        return PASSED
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
        return PASSED
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
