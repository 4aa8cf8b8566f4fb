"""The rulebook every pruning action follows: amount, ties, scopes and the layer-collapse guard.

``amount`` follows ``torch.nn.utils.prune``: a float in [0, 1] prunes
``round(amount * n)`` of the ``n`` entries *still unpruned* (Python's ``round``,
so halves go to the even count); an int prunes exactly that many.

Ties: entries are ranked by score with a stable sort over their position in
row-major (C) order, layer after layer, so among equal scores the entry that
comes first is pruned first. Same model, same amount, same mask, every time.
Choosing the `k` lowest does not need the full ranking, though: a partition
finds the k-th smallest score in linear time, everything below it is chosen,
and of the entries equal to it the first ones by position make up the count
(:func:`select_lowest`); that is the same set as the stable sort's first `k`.
:func:`select_by_scope` is the one selection every pruning verb and the
widgets use.

Scopes (:data:`SCOPES`): ``"layer"`` applies `amount` to each layer on its own;
``"global"`` ranks the entries of all layers together. Weights have a third
(:data:`WEIGHT_SCOPES`): ``"output"`` applies `amount` to the incoming weights
of each output unit (each column of ``W``), so every unit keeps the same
fraction of its inputs, as Wanda compares them (Sun et al. 2024); ties there go
to the earlier row.

The layer-collapse guard: a global ranking of weights keeps at least
``max(1, ceil(min_density * size))`` weights in every layer (:data:`MIN_DENSITY`
by default), its most important ones, so it cannot disconnect the network
(Tanaka et al. 2020); a global ranking of hidden units keeps at least one unit
in every hidden layer. :func:`max_sparsity` is the highest sparsity the guard
lets a global ranking reach, :func:`validate_reachable` refuses a target above it.

The mask history (which makes every step undoable) lives in
:mod:`minprune.pruning.history`.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import validate_choice, validate_float
from ..model import validate_model

SCOPES = ("layer", "global")
"""Where `amount` applies: each layer on its own, or one ranking over all layers."""

WEIGHT_SCOPES = SCOPES + ("output",)
"""The scopes of weight pruning: also each output unit's incoming weights on their own."""

MIN_DENSITY = 0.01
"""Default of the layer-collapse guard: a global weight ranking keeps 1% of every layer."""


def as_scalar(value):
    """A numpy scalar or 0-d array as the Python number it holds; anything else unchanged."""
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        return value.item()
    return value


def resolve_amount(amount, n_available, name="amount"):
    """Turn `amount` into a count of entries to prune.

    Parameters
    ----------
    amount : float in [0, 1] or int in [0, n_available]
        Fraction of the still-unpruned entries, or an exact count. Numpy
        scalars and 0-d arrays count as the number they hold.
    n_available : int
        Number of entries still unpruned.
    name : str
        Argument name for error messages.

    Returns
    -------
    int
    """
    amount = as_scalar(amount)
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{name} must be a float in [0, 1] or an int count, got {amount!r}")
    if isinstance(amount, numbers.Integral):
        if not 0 <= amount <= n_available:
            raise ValueError(f"{name} must be in [0, 1] or a count <= {n_available} "
                             f"(the entries still unpruned), got {amount}")
        return int(amount)
    amount = float(amount)
    if not (np.isfinite(amount) and 0.0 <= amount <= 1.0):
        raise ValueError(f"{name} must be in [0, 1] or a count <= {n_available}, got {amount!r}")
    return int(round(amount * n_available))


def rank_order(scores, eligible=None):
    """Flat indices of the eligible entries in pruning order: lowest score first.

    Ties keep their position order (a stable sort over the row-major flat
    index), so the order is the same every time.

    Parameters
    ----------
    scores : ndarray, any shape
        Importance scores; lower means pruned first. NaN is an error.
    eligible : bool ndarray of the same shape (or size), optional
        Entries to rank (the still-unpruned ones). Default: all.

    Returns
    -------
    int64 ndarray of shape (n_eligible,)
        Indices into ``scores.ravel()``.
    """
    scores = np.asarray(scores)
    if np.isnan(scores).any():
        raise ValueError("importance scores contain NaN; check the data and the model's weights")
    if eligible is None:
        return np.argsort(scores.ravel(), kind="stable")
    eligible = np.asarray(eligible, dtype=bool).ravel()
    if eligible.size != scores.size:
        raise ValueError(f"eligible must hold one entry per score ({scores.size}), "
                         f"got {eligible.size}")
    candidates = np.flatnonzero(eligible)
    return candidates[np.argsort(scores.ravel()[candidates], kind="stable")]


def select_lowest(scores, k, eligible=None):
    """Boolean mask of the `k` lowest-scoring eligible entries (ties: first position first).

    Parameters
    ----------
    scores : ndarray, any shape
        Importance scores; lower means pruned first. NaN is an error.
    k : int
        How many to select, <= the number of eligible entries.
    eligible : bool ndarray of the same shape, optional
        Entries that may be selected (the still-unpruned ones). Default: all.

    Returns
    -------
    bool ndarray of the shape of `scores`, with exactly `k` True entries.
    """
    scores = np.asarray(scores)
    flat = scores.ravel()
    if np.isnan(flat.sum()) and np.isnan(flat).any():  # a sum is NaN if any entry is: quick
        raise ValueError("importance scores contain NaN; check the data and the model's weights")
    if eligible is None:
        allowed, pool = None, flat.copy()
    else:
        allowed = np.asarray(eligible, dtype=bool).ravel()
        if allowed.size != flat.size:
            raise ValueError(f"eligible must hold one entry per score ({flat.size}), "
                             f"got {allowed.size}")
        pool = flat[allowed]
    if k > pool.size:
        raise ValueError(f"cannot select {k} entries, only {pool.size} are eligible")
    if k == 0:
        return np.zeros(scores.shape, dtype=bool)
    # The k-th smallest eligible score, found by a partition (linear time, no sort):
    pool.partition(k - 1)
    kth = pool[k - 1]
    del pool
    # every eligible entry below it is chosen; the rest of the k are the first entries
    # (by position) equal to it, which is where a stable sort would have put them.
    out = flat < kth
    ties = flat == kth
    if allowed is not None:
        out &= allowed
        ties &= allowed
    out[np.flatnonzero(ties)[:k - np.count_nonzero(out)]] = True
    return out.reshape(scores.shape)


def resolve_counts(amount, available, scope):
    """How many entries to prune, per layer, per output unit or in total.

    Parameters
    ----------
    amount : float, int, or (``scope="layer"`` or ``"output"``) a sequence of one per layer
        As in :func:`resolve_amount`.
    available : list of int, or (``scope="output"``) list of int ndarray of shape (fan_out,)
        Entries still unpruned in each layer (in each column of each layer).
    scope : {"layer", "global", "output"}

    Returns
    -------
    list of int (``"layer"``: one count per layer), list of int ndarray
    (``"output"``: one count per column of each layer) or int (``"global"``: a total)
    """
    amount = as_scalar(amount)
    if scope == "output":
        return _output_counts(amount, available)
    if isinstance(amount, (list, tuple, np.ndarray)):
        if scope != "layer":
            raise TypeError(f"amount may be a sequence (one amount per layer) only with "
                            f"scope='layer', got scope={scope!r}")
        if len(amount) != len(available):
            raise ValueError(f"amount must hold one amount per layer ({len(available)}), "
                             f"got {len(amount)}")
        return [resolve_amount(as_scalar(a), n, name=f"amount[{i}]")
                for i, (a, n) in enumerate(zip(amount, available))]
    if scope == "layer":
        resolve_amount(amount, max(available))  # a bad amount is named once, not per layer
        return [resolve_amount(amount, n, name=f"amount (for layers[{i}])")
                for i, n in enumerate(available)]
    return resolve_amount(amount, sum(available))


def _output_counts(amount, available):
    """Counts per column for ``scope="output"``: `amount` of each column's unpruned weights."""
    sequence = isinstance(amount, (list, tuple, np.ndarray))
    if sequence and len(amount) != len(available):
        raise ValueError(f"amount must hold one amount per layer ({len(available)}), "
                         f"got {len(amount)}")
    per_layer = [as_scalar(a) for a in amount] if sequence else [amount] * len(available)
    counts = []
    for i, (a, live) in enumerate(zip(per_layer, available)):
        live = np.asarray(live, dtype=np.int64)
        fewest = int(live.min()) if live.size else 0
        # the same checks as any amount: an int may not exceed the fewest live inputs of a unit
        resolve_amount(a, fewest, name=(f"amount[{i}]" if sequence else "amount")
                       + f" (per output unit of layers[{i}], the fewest unpruned inputs: {fewest})")
        counts.append(np.full(live.shape, int(a)) if isinstance(a, numbers.Integral)
                      else np.round(float(a) * live).astype(np.int64))  # half to even, as round
    return counts


def _select_per_column(scores, counts, eligible):
    """The ``counts[j]`` lowest-scoring eligible entries of every column j (ties: earlier row)."""
    scores = np.asarray(scores)
    if np.isnan(scores).any():
        raise ValueError("importance scores contain NaN; check the data and the model's weights")
    ranked = np.argsort(np.where(eligible, scores, np.inf), axis=0, kind="stable")
    rank = np.empty_like(ranked)
    np.put_along_axis(rank, ranked, np.arange(scores.shape[0])[:, None], axis=0)
    return (rank < counts[None, :]) & eligible


def select_by_scope(scores, eligible, counts, *, amount=None, guard=None):
    """Which entries to prune: the lowest scores per layer, per output unit, or over all layers.

    Parameters
    ----------
    scores : list of ndarray
        Importance per layer; lower is pruned first.
    eligible : list of bool ndarray
        Entries that may be pruned, same shapes (the still-unpruned ones, less any
        a guard protects).
    counts : list of int, list of int ndarray, or int
        From :func:`resolve_counts`: per layer, per column of each layer
        (``scope="output"``), or one total for a global ranking (ties across
        layers: earlier layer first).
    amount : optional
        The caller's `amount`, quoted in the error below.
    guard : str, optional
        For a global total larger than the eligible entries: the error message's
        explanation of what protects the others.

    Returns
    -------
    list of bool ndarray
        True where an entry is chosen, one per layer.
    """
    if isinstance(counts, list):
        return [_select_per_column(s, c, e) if np.ndim(c) else select_lowest(s, c, eligible=e)
                for s, c, e in zip(scores, counts, eligible)]
    n_eligible = sum(int(np.count_nonzero(e)) for e in eligible)
    if counts > n_eligible:
        raise ValueError(f"amount={amount!r} asks for {counts} entries, but only {n_eligible} "
                         f"can be pruned: {guard or 'the others are already pruned'}")
    flat = select_lowest(np.concatenate([s.ravel() for s in scores]), counts,
                         eligible=np.concatenate([e.ravel() for e in eligible]))
    ends = np.cumsum([s.size for s in scores])[:-1]
    return [c.reshape(s.shape) for c, s in zip(np.split(flat, ends), scores)]


def _guard_floor(masks, min_density):
    """Weights the layer-collapse guard keeps in each layer: ``max(1, ceil(min_density * size))``,
    or all the layer's unpruned weights if fewer remain."""
    return [min(int(np.count_nonzero(m)), max(1, math.ceil(min_density * m.size))) for m in masks]


def layer_collapse_guard(masks, scores, min_density):
    """Eligibility that protects each layer's best weights from a global ranking.

    Each layer keeps at least ``max(1, ceil(min_density * size))`` weights (or all
    its unpruned weights, if fewer remain): its highest-scoring ones, ranked with
    the same stable order as :func:`~minprune.pruning.rules.rank_order`, are
    made ineligible. A global selection that does not touch them is therefore
    unchanged by the guard.

    Parameters
    ----------
    masks : list of bool ndarray
        Current masks (True = unpruned).
    scores : list of ndarray
        Importance, same shapes.
    min_density : float in [0, 1)

    Returns
    -------
    list of bool ndarray
        True where a weight may be pruned.
    """
    # The `keep` best of a layer's n live weights are those the stable order ranks
    # last, so the eligible ones are its n - keep lowest.
    return [select_lowest(s, int(np.count_nonzero(m)) - keep, eligible=m)
            for m, s, keep in zip(masks, scores, _guard_floor(masks, min_density))]


def max_sparsity(model, scope="global", min_density=MIN_DENSITY):
    """The highest weight sparsity :func:`prune_weights` can reach on `model` from its masks.

    With ``scope="global"`` the layer-collapse guard keeps at least
    ``max(1, ceil(min_density * size))`` weights in every layer (or all the
    layer's unpruned weights, if fewer remain), so sparsity 1.0 is out of reach;
    ``min_density=0`` switches the guard off. ``scope="layer"`` has no guard:
    every layer can be pruned entirely.

    Parameters
    ----------
    model : MLP
    scope : {"global", "layer"}
    min_density : float in [0, 1), default 0.01
        As in :func:`prune_weights`.

    Returns
    -------
    float in [0, 1]
        Fraction of all weights pruned at most (0.0 for a model with no weights).

    Examples
    --------
    A 8-16-3 MLP keeps 2 of its 128 first-layer weights and 1 of its 48
    output weights: ``max_sparsity(MLP([8, 16, 3])) == 173 / 176``.
    """
    validate_model(model)
    validate_choice(scope, "scope", SCOPES)
    min_density = validate_float(min_density, "min_density", low=0.0, high=1.0, low_inclusive=True,
                              high_inclusive=False)
    masks = [layer.mask for layer in model.layers]
    total = sum(m.size for m in masks)
    if not total:
        return 0.0
    guarded = scope == "global" and min_density > 0  # as in prune_weights
    kept = sum(_guard_floor(masks, min_density)) if guarded else 0
    return (total - kept) / total


def validate_reachable(model, target, name, *, kind="weights", scope="global",
                    min_density=MIN_DENSITY, min_density_is_argument=True):
    """Refuse, before any training, a target sparsity the layer-collapse guard cannot reach.

    Parameters
    ----------
    model : MLP
    target : float in [0, 1]
        Fraction of all weights (``kind="weights"``) or of all hidden units
        (``kind="neurons"``) to prune in total.
    name : str
        The caller's argument, named in the error.
    kind : {"weights", "neurons"}
    scope : {"layer", "global"}
        ``"layer"`` has no guard: every target is reachable.
    min_density : float in [0, 1)
        The guard of a global weight ranking.
    min_density_is_argument : bool
        Whether the caller lets its user change `min_density` (the error then says so).

    Raises
    ------
    ValueError
        Naming `name`, the highest reachable target and how to reach a higher one.
    """
    if scope != "global":
        return
    sizes = "-".join(map(str, model.layer_sizes))
    if kind == "neurons":
        units = sum(layer.fan_out for layer in model.layers[:-1])
        most = units - (len(model.layers) - 1)
        if round(target * units) > most:
            raise ValueError(
                f"{name}={target!r} cannot be reached with kind='neurons', scope='global': every "
                f"hidden layer keeps at least one unit, so at most {most} of the {units} hidden "
                f"units ({most / units:.4f}) of this {sizes} network can be pruned; lower "
                f"{name} or use scope='layer'")
        return
    total = sum(layer.mask.size for layer in model.layers)
    reachable = max_sparsity(model, scope, min_density)
    if round(target * total) > round(reachable * total):
        remedy = ("pass a smaller min_density (0 switches the guard off) "
                  if min_density_is_argument else "")
        raise ValueError(
            f"{name}={target!r} cannot be reached with scope='global': the layer-collapse guard "
            f"keeps at least max(1, ceil(min_density * size)) weights of every layer "
            f"(min_density={min_density!r}), so this {sizes} network reaches at most "
            f"{reachable:.4f} ({round(reachable * total)} of {total} weights pruned); lower "
            f"{name}, {remedy}or use scope='layer'")
