"""The mask history: every pruning step is recorded, so pruning can be undone.

Every pruning step goes through :func:`commit_masks`, which keeps
``model.mask_history`` so that entry ``k`` is the state (masks *and* weights)
the model was in right before step ``k + 1`` began, training in between
included; the latest entry holds the state right after the latest step (until
the next step refreshes it). Entries store what changed (:class:`PruningStep`). :func:`undo` therefore returns exactly to the
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

import numpy as np


class _Packed:
    """A bool array kept in one bit per entry (``np.packbits``): 1/8 of its bytes."""

    __slots__ = ("bits", "shape")

    def __init__(self, mask):
        self.bits = np.packbits(mask, axis=None)
        self.shape = mask.shape

    def unpack(self):
        size = int(np.prod(self.shape))
        return np.unpackbits(self.bits, count=size).view(bool).reshape(self.shape)

    @property
    def nbytes(self):
        return self.bits.nbytes


class _Values:
    """The values of a parameter where its mask was True (the pruned ones are 0.0).

    Never changed after it is made, so history entries whose live values are the
    same share one (see :func:`_snapshot`).
    """

    __slots__ = ("where", "values")

    def __init__(self, param, mask):
        self.where = _Packed(mask)
        self.values = param[mask]  # a copy

    def dense(self):
        out = np.zeros(self.where.shape, dtype=self.values.dtype)
        out[self.where.unpack()] = self.values
        return out

    def holds(self, param, mask, compare=True):
        """True if `param` equals these values, bit for bit, wherever `mask` is True.

        Only entries stored here can match (`mask` within the stored one). With
        ``compare=False`` the values are taken as unchanged (the caller knows).
        """
        if param.dtype != self.values.dtype or param.shape != self.where.shape:
            return False
        where = self.where.unpack()
        if np.any(mask & ~where):
            return False
        if not compare:
            return True
        bits = f"u{param.dtype.itemsize}"  # bits: -0.0 is not 0.0 here, a NaN is itself
        return np.array_equal(self.values[mask[where]].view(bits), param[mask].view(bits))

    @property
    def nbytes(self):
        return self.where.nbytes + self.values.nbytes


class PruningStep:
    """One entry of ``model.mask_history``: the model's state at the end of a pruning step.

    "The end" of step k is the moment step k + 1 begins: entry k is recorded
    right after step k and refreshed (masks and weights) when the next step
    begins, so it includes any training done in between. Entry 0 (``"initial"``)
    is the state right before the first step.

    An entry stores what changed, not copies: masks as bits, and the weights'
    live values, shared with the previous entry when no training happened in
    between (pruning alone only adds zeros). Five pruning calls in a row then
    cost about one copy of the weights plus 1/32 of it per mask, where full
    copies cost six copies plus six masks. The arrays below are rebuilt on access.

    Attributes
    ----------
    label : str
        What was done, e.g. ``"weights magnitude/global amount=0.5"``.
    masks, bias_masks : list of bool ndarray
        Every layer's ``mask`` and ``bias_mask``.
    weights, biases : list of ndarray
        Every layer's ``W`` and ``b`` (0.0 where masked).
    group : object or None
        Shared by the entries of one pruning action made of several events (a
        ``GradualPruning`` run); :func:`undo` undoes them together.
    nbytes : int
        Memory this entry holds, counting values it shares with other entries.
    """

    def __init__(self, label, masks, bias_masks, weights, biases, group=None):
        self.label = label
        self.group = group
        self._masks = masks  # list of _Packed
        self._bias_masks = bias_masks
        self._weights = weights  # list of _Values
        self._biases = biases

    @property
    def masks(self):
        return [m.unpack() for m in self._masks]

    @property
    def bias_masks(self):
        return [m.unpack() for m in self._bias_masks]

    @property
    def weights(self):
        return [_masked(v.dense(), m) for v, m in zip(self._weights, self.masks)]

    @property
    def biases(self):
        return [_masked(v.dense(), m) for v, m in zip(self._biases, self.bias_masks)]

    @property
    def shapes(self):
        """``W.shape`` of every layer."""
        return [m.shape for m in self._masks]

    @property
    def nbytes(self):
        return sum(part.nbytes for part in self._parts())

    def _parts(self):
        return [*self._masks, *self._bias_masks, *self._weights, *self._biases]

    def copy(self):
        # The parts are never changed in place, so a copy may share them.
        return PruningStep(self.label, list(self._masks), list(self._bias_masks),
                           list(self._weights), list(self._biases), self.group)

    @property
    def sparsity(self):
        """Fraction of weights pruned in this entry (0.0 for a model with no weights)."""
        masks = self.masks
        total = sum(m.size for m in masks)
        return 1.0 - sum(int(np.count_nonzero(m)) for m in masks) / total if total else 0.0

    def __repr__(self):
        return f"PruningStep({self.label!r}, sparsity={self.sparsity:.4f})"


def _masked(param, mask):
    np.copyto(param, 0, where=~mask)
    return param


def history_nbytes(model):
    """Bytes held by ``model.mask_history``, each shared part counted once."""
    parts = {id(part): part for entry in mask_history(model) for part in entry._parts()}
    return sum(part.nbytes for part in parts.values())


def _snapshot(model, label, group=None, like=None, unchanged=False):
    """A :class:`PruningStep` of `model` now; values equal to those of entry `like` are
    shared (``unchanged=True``: the values are known not to have changed since `like`
    was taken, only masks may have closed)."""
    def values(params, masks, previous):
        return [old if old is not None and old.holds(p, m, compare=not unchanged)
                else _Values(p, m) for p, m, old in zip(params, masks, previous)]

    layers = model.layers
    n = len(layers)
    same = like is not None and like.shapes == [layer.W.shape for layer in layers]
    masks = [layer.mask for layer in layers]
    bias_masks = [layer.bias_mask for layer in layers]
    return PruningStep(label, [_Packed(m) for m in masks], [_Packed(m) for m in bias_masks],
                       values([layer.W for layer in layers], masks,
                              like._weights if same else [None] * n),
                       values([layer.b for layer in layers], bias_masks,
                              like._biases if same else [None] * n), group)


def _validate_shapes(model, entry):
    if entry.shapes != [layer.W.shape for layer in model.layers]:
        raise ValueError(f"the model's layer shapes {[layer.W.shape for layer in model.layers]} "
                         f"differ from those recorded in model.mask_history "
                         f"{entry.shapes}; the history belongs to another "
                         f"model (clear it with model.mask_history = [])")


def mask_history(model):
    """The list of :class:`PruningStep` recorded on `model` (entry 0: before any pruning)."""
    return model.mask_history


def commit_masks(model, masks, bias_masks=None, label="masks set", weights=None):
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
    weights : list of ndarray, optional
        New values for every layer's ``W``, installed with the masks, for the
        methods that also update the weights they keep (OBS, SparseGPT); the
        history still records the weights as they were before, so
        :func:`undo` restores them. Default: unchanged.
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
    if weights is not None:
        if len(weights) != len(layers):
            raise ValueError(f"weights must hold one array per layer ({len(layers)}), "
                             f"got {len(weights)}")
        for i, (layer, w) in enumerate(zip(layers, weights)):
            if np.shape(w) != layer.W.shape or not np.isfinite(w).all():
                raise ValueError(f"weights[{i}] must be a finite array of shape {layer.W.shape}, "
                                 f"got shape {np.shape(w)}")
    history = mask_history(model)
    if not history:
        history.append(_snapshot(model, "initial"))
    else:
        _validate_shapes(model, history[-1])
        fresh = _snapshot(model, history[-1].label, history[-1].group, like=history[-1])
        history[-1].__dict__.update(fresh.__dict__)  # in place: callers may hold the entry
    for i, (layer, m, bm) in enumerate(zip(layers, masks, bias_masks)):
        if weights is not None:
            layer.W[...] = weights[i]
        layer.mask = np.array(m, dtype=bool, copy=True)  # zeros the weights it prunes
        layer.bias_mask = np.array(bm, dtype=bool, copy=True)
    # since the snapshot above, only zeros were written (unless new weights came in): what
    # is still live is unchanged
    history.append(_snapshot(model, label, like=history[-1], unchanged=weights is None))
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
    _validate_shapes(model, entry)
    for layer, m, bm, w, b in zip(model.layers, entry.masks, entry.bias_masks, entry.weights,
                                  entry.biases):
        layer.mask, layer.bias_mask = m, bm  # fresh arrays, rebuilt from the entry
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
