"""The rules every pruning action shares: what `amount` means, which entries are
chosen when scores tie, and the mask history that makes pruning undoable.

``amount`` follows ``torch.nn.utils.prune``: a float in [0, 1] prunes
``round(amount * n)`` of the ``n`` entries *still unpruned* (Python's ``round``,
so halves go to the even count); an int prunes exactly that many.

Ties: entries are ranked by score with a stable sort over their position in
row-major (C) order, layer after layer, so among equal scores the entry that
comes first is pruned first. Same model, same amount, same mask, every time.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


def resolve_amount(amount, n_available, name="amount"):
    """Turn `amount` into a count of entries to prune.

    Parameters
    ----------
    amount : float in [0, 1] or int in [0, n_available]
        Fraction of the still-unpruned entries, or an exact count.
    n_available : int
        Number of entries still unpruned.
    name : str
        Argument name for error messages.

    Returns
    -------
    int
    """
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
    if np.isnan(scores).any():
        raise ValueError("importance scores contain NaN; check the data and the model's weights")
    flat_eligible = (np.ones(scores.size, dtype=bool) if eligible is None
                     else np.asarray(eligible, dtype=bool).ravel())
    candidates = np.flatnonzero(flat_eligible)
    if k > candidates.size:
        raise ValueError(f"cannot select {k} entries, only {candidates.size} are eligible")
    chosen = candidates[np.argsort(scores.ravel()[candidates], kind="stable")[:k]]
    out = np.zeros(scores.size, dtype=bool)
    out[chosen] = True
    return out.reshape(scores.shape)


@dataclass
class PruningStep:
    """One entry of ``model.mask_history``: the model's state after a pruning step.

    Attributes
    ----------
    label : str
        What was done, e.g. ``"weights magnitude/global amount=0.5"``.
    masks, bias_masks : list of bool ndarray
        Copies of every layer's ``mask`` and ``bias_mask``.
    weights, biases : list of ndarray
        Copies of every layer's ``W`` and ``b`` at that moment.
    """

    label: str
    masks: list
    bias_masks: list
    weights: list
    biases: list

    def copy(self):
        return PruningStep(self.label, [m.copy() for m in self.masks],
                           [m.copy() for m in self.bias_masks],
                           [w.copy() for w in self.weights], [b.copy() for b in self.biases])

    @property
    def sparsity(self):
        total = sum(m.size for m in self.masks)
        return 1.0 - sum(int(np.count_nonzero(m)) for m in self.masks) / total


def _snapshot(model, label):
    return PruningStep(label, [layer.mask.copy() for layer in model.layers],
                       [layer.bias_mask.copy() for layer in model.layers],
                       [layer.W.copy() for layer in model.layers],
                       [layer.b.copy() for layer in model.layers])


def mask_history(model):
    """The list of :class:`PruningStep` recorded on `model` (entry 0: before any pruning)."""
    if "mask_history" not in model.__dict__:
        model.mask_history = []
    return model.mask_history


def commit_masks(model, masks, bias_masks=None, label="masks set"):
    """Install new masks on `model`, zero the pruned weights, and record the step.

    The first call also records the state before it as entry 0 (``"initial"``),
    so ``rewind(model, 0)`` always returns to the unpruned model.

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
    for layer, m, bm in zip(layers, masks, bias_masks):
        layer.mask = np.array(m, dtype=bool, copy=True)
        layer.bias_mask = np.array(bm, dtype=bool, copy=True)
        layer.apply_mask()
    history.append(_snapshot(model, label))
    return model


def rewind(model, step=-2):
    """Restore masks *and* weights to history entry `step`, dropping later entries.

    Parameters
    ----------
    model : MLP
    step : int
        Index into ``model.mask_history``; the default ``-2`` undoes the latest
        pruning step, ``0`` returns to the state before any pruning.

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
    if [w.shape for w in entry.weights] != [layer.W.shape for layer in model.layers]:
        raise ValueError("the model's layer shapes changed since this entry was recorded; "
                         "cannot rewind")
    for layer, m, bm, w, b in zip(model.layers, entry.masks, entry.bias_masks, entry.weights,
                                  entry.biases):
        layer.mask, layer.bias_mask = m.copy(), bm.copy()
        layer.W[...] = w
        layer.b[...] = b
    del history[index + 1:]
    return entry


def undo(model):
    """Undo the latest pruning step (masks and weights); see :func:`rewind`."""
    if len(mask_history(model)) < 2:
        raise ValueError("nothing to undo: model.mask_history records no pruning step")
    return rewind(model, -2)
