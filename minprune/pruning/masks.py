"""The rules every pruning action shares: what `amount` means, which entries are
chosen when scores tie, and the mask history that makes pruning undoable.

``amount`` follows ``torch.nn.utils.prune``: a float in [0, 1] prunes
``round(amount * n)`` of the ``n`` entries *still unpruned* (Python's ``round``,
so halves go to the even count); an int prunes exactly that many.

Ties: entries are ranked by score with a stable sort over their position in
row-major (C) order, layer after layer, so among equal scores the entry that
comes first is pruned first. Same model, same amount, same mask, every time.

History: every pruning step goes through :func:`commit_masks`, which keeps
``model.mask_history`` so that entry ``k`` is the state (masks *and* weights)
the model was in right before step ``k + 1`` began, training in between
included; the latest entry holds the state right after the latest step (until
the next step refreshes it). :func:`undo` therefore returns exactly to the
model as it was before the latest step, fine-tuning kept, and
``rewind(model, 0)`` to the model before any pruning.

A step is one pruning *action* of the learner: entries that share a ``group``
(all the events of one ``GradualPruning`` run during one ``fit``) are undone
together, so ``undo`` after a gradual run returns to the model as it was
before its first event, whether the run kept every event
(``keep_history=True``) or only the latest. ``rewind`` counts entries, so it
reaches any single event a run kept.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


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
    order = rank_order(scores, eligible)
    if k > order.size:
        raise ValueError(f"cannot select {k} entries, only {order.size} are eligible")
    out = np.zeros(scores.size, dtype=bool)
    out[order[:k]] = True
    return out.reshape(scores.shape)


def resolve_counts(amount, available, scope):
    """How many entries to prune, per layer or in total.

    Parameters
    ----------
    amount : float, int, or (``scope="layer"`` only) a sequence of one per layer
        As in :func:`resolve_amount`.
    available : list of int
        Entries still unpruned in each layer.
    scope : {"layer", "global"}

    Returns
    -------
    list of int (``"layer"``: one count per layer) or int (``"global"``: a total)
    """
    amount = as_scalar(amount)
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


def select_by_scope(scores, eligible, counts, *, amount=None, guard=None):
    """Which entries to prune: the lowest scores per layer, or over all layers at once.

    Parameters
    ----------
    scores : list of ndarray
        Importance per layer; lower is pruned first.
    eligible : list of bool ndarray
        Entries that may be pruned, same shapes (the still-unpruned ones, less any
        a guard protects).
    counts : list of int or int
        From :func:`resolve_counts`: per layer, or one total for a global ranking
        (ties across layers: earlier layer first).
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
        return [select_lowest(s, c, eligible=e) for s, c, e in zip(scores, counts, eligible)]
    n_eligible = sum(int(np.count_nonzero(e)) for e in eligible)
    if counts > n_eligible:
        raise ValueError(f"amount={amount!r} asks for {counts} entries, but only {n_eligible} "
                         f"can be pruned: {guard or 'the others are already pruned'}")
    flat = select_lowest(np.concatenate([s.ravel() for s in scores]), counts,
                         eligible=np.concatenate([e.ravel() for e in eligible]))
    ends = np.cumsum([s.size for s in scores])[:-1]
    return [c.reshape(s.shape) for c, s in zip(np.split(flat, ends), scores)]


@dataclass
class PruningStep:
    """One entry of ``model.mask_history``: the model's state at the end of a pruning step.

    "The end" of step k is the moment step k + 1 begins: entry k is recorded
    right after step k and refreshed (masks and weights) when the next step
    begins, so it includes any training done in between. Entry 0 (``"initial"``)
    is the state right before the first step.

    Attributes
    ----------
    label : str
        What was done, e.g. ``"weights magnitude/global amount=0.5"``.
    masks, bias_masks : list of bool ndarray
        Copies of every layer's ``mask`` and ``bias_mask``.
    weights, biases : list of ndarray
        Copies of every layer's ``W`` and ``b``.
    group : object or None
        Shared by the entries of one pruning action made of several events (a
        ``GradualPruning`` run); :func:`undo` undoes them together.
    """

    label: str
    masks: list
    bias_masks: list
    weights: list
    biases: list
    group: object = None

    def copy(self):
        return PruningStep(self.label, [m.copy() for m in self.masks],
                           [m.copy() for m in self.bias_masks],
                           [w.copy() for w in self.weights], [b.copy() for b in self.biases],
                           self.group)

    @property
    def sparsity(self):
        """Fraction of weights pruned in this entry (0.0 for a model with no weights)."""
        total = sum(m.size for m in self.masks)
        return 1.0 - sum(int(np.count_nonzero(m)) for m in self.masks) / total if total else 0.0


def _snapshot(model, label, group=None):
    return PruningStep(label, [layer.mask.copy() for layer in model.layers],
                       [layer.bias_mask.copy() for layer in model.layers],
                       [layer.W.copy() for layer in model.layers],
                       [layer.b.copy() for layer in model.layers], group)


def _check_shapes(model, entry):
    if [w.shape for w in entry.weights] != [layer.W.shape for layer in model.layers]:
        raise ValueError(f"the model's layer shapes {[layer.W.shape for layer in model.layers]} "
                         f"differ from those recorded in model.mask_history "
                         f"{[w.shape for w in entry.weights]}; the history belongs to another "
                         f"model (clear it with model.mask_history = [])")


def mask_history(model):
    """The list of :class:`PruningStep` recorded on `model` (entry 0: before any pruning)."""
    if "mask_history" not in model.__dict__:
        model.mask_history = []
    return model.mask_history


def commit_masks(model, masks, bias_masks=None, label="masks set"):
    """Install new masks on `model`, zero the pruned weights, and record the step.

    Before the new masks go in, the latest history entry is refreshed with the
    model's current masks and weights (training since that step included), so
    that :func:`undo` returns to exactly this state. The first call records it
    as entry 0 (``"initial"``), so ``rewind(model, 0)`` always returns to the
    model as it was before any pruning.

    Parameters
    ----------
    model : MLP
    masks : list of bool ndarray
        One per layer, each of that layer's ``W`` shape.
    bias_masks : list of bool ndarray, optional
        One per layer, each of that layer's ``b`` shape. Default: unchanged.
    label : str
        Recorded in the history.
    """
    layers = model.layers
    if len(masks) != len(layers):
        raise ValueError(f"masks must hold one array per layer ({len(layers)}), got {len(masks)}")
    if bias_masks is None:
        bias_masks = [layer.bias_mask for layer in layers]
    if len(bias_masks) != len(layers):
        raise ValueError(f"bias_masks must hold one array per layer ({len(layers)}), "
                         f"got {len(bias_masks)}")
    for i, (layer, m, bm) in enumerate(zip(layers, masks, bias_masks)):
        m, bm = np.asarray(m), np.asarray(bm)
        if m.shape != layer.W.shape or m.dtype != bool:
            raise ValueError(f"masks[{i}] must be a bool array of shape {layer.W.shape}, "
                             f"got {m.dtype} array of shape {m.shape}")
        if bm.shape != layer.b.shape or bm.dtype != bool:
            raise ValueError(f"bias_masks[{i}] must be a bool array of shape {layer.b.shape}, "
                             f"got {bm.dtype} array of shape {bm.shape}")
    history = mask_history(model)
    if not history:
        history.append(_snapshot(model, "initial"))
    else:
        _check_shapes(model, history[-1])
        fresh = _snapshot(model, history[-1].label, history[-1].group)
        history[-1].__dict__.update(fresh.__dict__)  # in place: callers may hold the entry
    for layer, m, bm in zip(layers, masks, bias_masks):
        layer.mask = np.array(m, dtype=bool, copy=True)
        layer.bias_mask = np.array(bm, dtype=bool, copy=True)
        layer.apply_mask()
    history.append(_snapshot(model, label))
    return model


def rewind(model, step=-2):
    """Restore masks *and* weights to history entry `step`, dropping later entries.

    Entry ``k`` is the state right before pruning step ``k + 1`` began (training
    in between included); the latest entry is the state right after the latest
    step, so rewinding to it (``step=-1``) drops any training done since.

    Parameters
    ----------
    model : MLP
    step : int
        Index into ``model.mask_history``; the default ``-2`` undoes the latest
        pruning step (see :func:`undo`), ``0`` returns to the state before any
        pruning.

    Returns
    -------
    PruningStep
        The entry now in force.
    """
    history = mask_history(model)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"step must be an int index into model.mask_history, got {step!r}")
    if not -len(history) <= step < len(history) or not history:
        raise ValueError(f"step must index model.mask_history ({len(history)} entries), got {step}")
    index = step % len(history)
    entry = history[index]
    _check_shapes(model, entry)
    for layer, m, bm, w, b in zip(model.layers, entry.masks, entry.bias_masks, entry.weights,
                                  entry.biases):
        layer.mask, layer.bias_mask = m.copy(), bm.copy()
        layer.W[...] = w
        layer.b[...] = b
    del history[index + 1:]
    return entry


def undo(model):
    """Undo the latest pruning step: masks and weights return to what they were
    right before it, training done before that step included; see :func:`rewind`.

    A ``GradualPruning`` run counts as one step, however many events it kept in
    the history: ``undo`` after it returns to the model as it was right before
    its first event (use :func:`rewind` to reach a single event).

    Returns
    -------
    PruningStep
        The entry now in force (the latest one).
    """
    history = mask_history(model)
    if len(history) < 2:
        raise ValueError("nothing to undo: model.mask_history records no pruning step")
    first = len(history) - 1
    group = history[first].group
    while group is not None and first > 1 and history[first - 1].group is group:
        first -= 1
    return rewind(model, first - 1)
