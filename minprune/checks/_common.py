"""What the exercise checks share: hints, reading a learner's numbers and models."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import _describe, validate_int
from ..metrics import csr_nbytes
from ..model import MLP


def _hint(message):
    raise AssertionError(message)


def _pruned_model(model):
    """The learner's pruned model, or an AssertionError that says what is wrong with it."""
    if model is None:
        _hint("replace None with your pruned model")
    if not isinstance(model, MLP):
        _hint(f"the answer must be a minprune.MLP, got {type(model).__name__}")
    return model


def _number(answer, what):
    """`answer` as a float, or an AssertionError that says what was expected."""
    if answer is None:
        _hint(f"replace None with your answer: {what}")
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        _hint(f"the answer must be a single number ({what}), got {type(answer).__name__}")
    answer = float(answer)
    if not np.isfinite(answer):
        _hint(f"the answer must be a finite number ({what}), got {answer}")
    return answer


def _float_array(answer, shape, what):
    """`answer` as a float array of `shape`, or an AssertionError that says what was expected."""
    if answer is None:
        _hint(f"replace None with your answer: {what}")
    try:
        got = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        _hint(f"give {what}, got {type(answer).__name__}")
    if got.shape != shape:
        swapped = (" (rows and columns swapped?)"
                   if len(shape) == 2 and got.shape == shape[::-1] else "")
        _hint(f"give {what}: shape {shape}, got {got.shape}{swapped}")
    return got


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


def _break_even_of_w(shape, itemsize=4, index_itemsize=4):
    """:func:`csr_break_even` if ``W`` itself (fan_in + 1 row pointers) were stored, or None.

    A common slip: the learner counts the rows of ``W``, not of ``W.T``.
    """
    try:
        return csr_break_even((shape[1], shape[0]), itemsize, index_itemsize)
    except ValueError:  # W in CSR never pays: no such answer to recognise
        return None


# Answers read off a printed table are rounded to 3 decimals: accept that much.
_PRINT_TOL = 5e-4


def _as_fraction(answer, what):
    """The learner's answer as a float in [0, 1], or an AssertionError with a hint."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        _hint(f"{what} should be a number, a fraction such as 0.8; got {_describe(answer)}")
    answer = float(answer)
    if not math.isfinite(answer):
        _hint(f"{what} should be a finite fraction in [0, 1]; got {answer!r}")
    if 1 < answer <= 100:
        _hint(f"{what} should be a fraction in [0, 1], not a percentage: "
              f"write {answer / 100:g} rather than {answer:g}")
    if not 0 <= answer <= 1:
        _hint(f"{what} should be a fraction in [0, 1]; got {answer:g}")
    return answer
