"""Checks for the exercises of notebook 12 (from pruned to small)."""
from __future__ import annotations

import numpy as np

from ._passed import PASSED
from .._validation import validate_int
from ..compression import kmeans_1d
from ..distill import distillation_delta, validate_distillation
from ..huffman import code_lengths
from ._common import _hint


def _floats(answer, shape, what):
    if answer is None:
        _hint(f"replace None with your answer: {what}")
    answer = np.asarray(answer, dtype=np.float64)
    if answer.shape != tuple(shape):
        _hint(f"{what}: expected shape {tuple(shape)}, got {answer.shape}")
    if not np.isfinite(answer).all():
        _hint(f"{what} holds NaN or infinite values")
    return answer


def check_distillation_delta(delta, logits, y, teacher_logits, *, temperature, distill_weight):
    """Check the gradient of the distillation loss with respect to the student's logits.

    ``((1 - w) * (softmax(z) - onehot(y)) + w * T * (softmax(z / T) - softmax(t / T))) / n``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    teacher_logits = np.asarray(teacher_logits, dtype=np.float64)
    y = np.asarray(y)
    T, w = validate_distillation(temperature, distill_weight)
    delta = _floats(delta, logits.shape, "the gradient at the logits")
    _, expected, _ = distillation_delta(logits, y, teacher_logits, T, w)
    if np.allclose(delta, expected, rtol=1e-6, atol=1e-9):
        return PASSED
    n = len(y)
    if np.allclose(delta, expected * n, rtol=1e-6, atol=1e-9):
        _hint("the loss is a MEAN over the batch: divide the gradient by the number of samples")
    soft = (distillation_delta(logits, y, teacher_logits, T, 1.0)[1]) / T
    hard = distillation_delta(logits, y, teacher_logits, T, 0.0)[1]
    if np.allclose(delta, (1 - w) * hard + w * soft, rtol=1e-6, atol=1e-9):
        _hint("the soft term is multiplied by T**2 in the loss, so its gradient carries a factor T")
    if np.allclose(delta, (1 - w) * hard + w * soft * T * T, rtol=1e-6, atol=1e-9):
        _hint("the gradient of softmax(z / T) brings a 1 / T: T**2 in the loss leaves T, not T**2")
    if np.allclose(delta, w * hard + (1 - w) * soft * T, rtol=1e-6, atol=1e-9):
        _hint("the weights are swapped: distill_weight multiplies the TEACHER's term")
    _hint("(1 - w) * (p - onehot(y)) + w * T * (p_T - q_T), all divided by n, with p_T and q_T "
          "the student's and the teacher's softmax of logits / T")


def check_huffman_lengths(lengths, values):
    """Check Huffman code lengths for the symbols of `values` (a dict or an array).

    Any optimal prefix code is accepted: Huffman's ties can give different
    lengths with the same total number of bits.
    """
    symbols, expected = code_lengths(values)
    if lengths is None:
        _hint("replace None with one code length per distinct symbol (a dict symbol -> bits)")
    if isinstance(lengths, dict):
        missing = [int(s) for s in symbols if int(s) not in lengths]
        if missing:
            _hint(f"give a length for every symbol that occurs; missing: {missing[:5]}")
        lengths = np.array([lengths[int(s)] for s in symbols])
    lengths = np.asarray(lengths)
    if lengths.shape != symbols.shape:
        _hint(f"give one length per distinct symbol ({symbols.size}, increasing), got shape "
              f"{lengths.shape}")
    if not np.issubdtype(lengths.dtype, np.integer) or (lengths < 1).any():
        _hint("code lengths are whole numbers of bits, >= 1")
    if symbols.size > 1 and np.sum(2.0 ** -lengths.astype(float)) > 1 + 1e-12:
        _hint("those lengths break Kraft's inequality (the sum of 2**-length must be <= 1): "
              "no prefix code has them, some code would be the start of another")
    _, counts = np.unique(np.asarray(values), return_counts=True)
    bits, best = int((counts * lengths).sum()), int((counts * expected).sum())
    if bits == best:
        return PASSED
    if bits > best:
        _hint(f"a valid prefix code, but it needs {bits} bits where Huffman's needs fewer: "
              f"merge the two LEAST frequent nodes at every step")
    _hint("fewer bits than possible: check the counts")


def check_kmeans(centroids, values, k):
    """Check 1-D k-means with linear initialisation (as :func:`minprune.compression.kmeans_1d`)."""
    k = validate_int(k, "k", minimum=2)
    values = np.asarray(values, dtype=np.float64).ravel()
    expected, _ = kmeans_1d(values, k)
    centroids = np.sort(_floats(centroids, (k,), f"the {k} centroids"))
    if np.allclose(centroids, expected, rtol=1e-6, atol=1e-6):
        return PASSED
    if np.allclose(centroids, np.linspace(values.min(), values.max(), k), rtol=1e-6, atol=1e-9):
        _hint("those are the starting centroids; now iterate: assign each value to the nearest "
              "centroid, move each centroid to the mean of its values, until nothing changes")
    if centroids.min() < values.min() - 1e-9 or centroids.max() > values.max() + 1e-9:
        _hint("a centroid is the mean of some values, so it lies between their min and max")
    _hint("start from k evenly spaced values between min and max (linear initialisation), then "
          "repeat assignment and mean until the assignment stops changing")
