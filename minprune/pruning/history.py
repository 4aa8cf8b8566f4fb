"""The mask history: every pruning step is recorded, so pruning can be undone.

Every pruning step goes through :func:`commit_masks`, which keeps
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
