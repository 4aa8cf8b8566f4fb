"""Argument checks shared by the whole package.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
argument, says what was given and what is accepted.
"""
from __future__ import annotations

import numbers

import numpy as np


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_features(X, name="X", *, n_features=None, dtype=np.float32):
    """Return `X` as a C-contiguous 2-D float array, or raise.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    name : str
        Argument name used in error messages.
    n_features : int, optional
        Required number of columns.
    dtype : numpy dtype
        Floating dtype of the returned array.
    """
    if (type(X) is np.ndarray and X.dtype == dtype and X.ndim == 2 and X.shape[0]
            and (n_features is None or X.shape[1] == n_features)
            and np.isfinite(X.sum())):
        # the common case, in a few microseconds (a batch-1 forward pass takes ~25): an array
        # that needs no cast and holds no NaN or inf (their sum is not finite; a finite
        # array whose sum overflows takes the full path below)
        return X if X.flags.c_contiguous else np.ascontiguousarray(X)
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {_describe(X)}")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a 2-D array of numbers, got {_describe(X)}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features), got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got shape {arr.shape}")
    dtype = np.dtype(dtype)
    # Checked before the cast: float64's 1e300 is finite but becomes inf in float32.
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(finite.size - np.count_nonzero(finite))
            raise ValueError(f"{name} must be finite, got {bad} NaN or infinite value(s)")
        limit = np.finfo(dtype).max
        if np.finfo(arr.dtype).max > limit:
            biggest = np.abs(arr).max()
            if biggest > limit:
                raise ValueError(f"{name} holds values too large for {dtype.name} (largest "
                                 f"magnitude {biggest:.3g}, limit {limit:.3g}); rescale the "
                                 f"features, or use a float64 model")
    return np.ascontiguousarray(arr, dtype=dtype)


def validate_labels(y, name="y", *, n_samples=None, n_classes=None):
    """Return integer class labels as an int64 1-D array, or raise.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels in ``0 .. n_classes - 1``. Floats are accepted only when integral.
    n_samples : int, optional
        Required length (the number of rows of X).
    n_classes : int, optional
        Labels must be smaller than this.
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be a 1-D array of integer class labels, got {_describe(y)}")
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one label, got an empty array")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.isfinite(arr).all() or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels, got non-integer values such as "
                             f"{arr[~np.isfinite(arr) | (arr != np.round(arr))][0]!r}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} must have one label per sample ({n_samples}), got {arr.shape[0]}")
    # The range is checked on the values as given: a cast to int64 would wrap a big
    # uint64 around to a negative number and turn 1e30 into garbage.
    lo, hi = arr.min().item(), arr.max().item()
    upper = n_classes - 1 if n_classes is not None else np.iinfo(np.int64).max
    if lo < 0 or hi > upper:
        upper = upper if n_classes is not None else "n_classes - 1"
        raise ValueError(f"{name} must hold labels in 0..{upper}, got values from {lo} to {hi}")
    return arr.astype(np.int64)


def validate_targets(y, name="y", *, n_samples=None, n_outputs=None, dtype=np.float64):
    """Return regression targets as a C-contiguous 2-D float array, or raise.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Real numbers; a 1-D `y` is one output.
    name : str
        Argument name used in error messages.
    n_samples, n_outputs : int, optional
        Required number of rows and of columns.
    dtype : numpy dtype
        Floating dtype of the returned array.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be an array of real-valued targets, got {_describe(y)}")
    arr = np.asarray(y)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D of shape (n_samples, n_outputs), got shape "
                         f"{np.shape(y)}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} must have one row per sample ({n_samples}), got {arr.shape[0]}")
    if n_outputs is not None and arr.shape[1] != n_outputs:
        raise ValueError(f"{name} must have {n_outputs} output column(s), got shape {np.shape(y)}")
    return validate_features(arr, name, dtype=dtype)


def validate_int(value, name, *, minimum=1, maximum=None):
    """Return `value` as a Python int in ``[minimum, maximum]``, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        span = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {span}, got {value}")
    return value


def validate_float(value, name, *, low=0.0, high=None, low_inclusive=False, high_inclusive=True):
    """Return `value` as a finite Python float within the given bounds, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    ok = np.isfinite(value)
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        lo = "(-inf" if low is None else ("[" if low_inclusive else "(") + f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{name} must be a finite number in {lo}, {hi}, got {value!r}")
    return value


def validate_choice(value, name, choices):
    """Return `value` if it is one of `choices` (strings), or raise listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(choices)}, got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def validate_seed(seed, name="seed"):
    """Return a ``np.random.Generator`` made from `seed` (int >= 0, None or a Generator).

    Raises ``TypeError`` for anything else and ``ValueError`` for a negative int.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative int, None or np.random.Generator, "
                        f"got {_describe(seed)}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, None or np.random.Generator, "
                         f"got {int(seed)}")
    return np.random.default_rng(int(seed))
