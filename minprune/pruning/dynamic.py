"""Masks that move during training: dynamic sparse training and movement pruning.

Three training callbacks for ``fit(callbacks=[...])``:

* :class:`SET` (Mocanu et al., 2018) and :class:`RigL` (Evci et al., 2020) train a
  network that is sparse from the first step. Every `update_every` optimizer steps
  each layer *drops* its ``k`` active weights of smallest magnitude and *grows*
  ``k`` connections that were inactive: at random (SET) or where the magnitude of
  the dense gradient on the latest mini-batch is largest (RigL). The number of
  weights never changes. ``k`` is a fraction of the layer's active weights that
  decays along a cosine from `drop_fraction` and stops at `end` of the run, so the
  mask settles before training ends. Grown weights start at exactly 0.0 (RigL's
  choice; SET's paper drew them at random) with their optimizer state (momentum,
  Adam moments) cleared, so they enter the network without changing its function.
  A connection dropped at an update is not a candidate for growth in the same
  update. Layer densities follow the Erdos-Renyi rule (:func:`erdos_renyi_densities`).
* :class:`MovementPruning` (Sanh, Wolf & Rush, 2020) prunes during fine-tuning by
  *movement*: every step adds ``-W * dL/dW`` to each weight's score, so a weight
  that training pushes away from zero scores high and one pulled towards zero
  scores low, whatever its size. The sparsity rises along the cubic schedule of
  :class:`minprune.GradualPruning`, keeping the top-scoring weights.

Between updates a pruned weight is exactly 0.0, as everywhere in minprune: the
masks change only inside an update, never inside an optimizer step.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import validate_choice, validate_float, validate_int, validate_seed
from ..model import validate_model, softmax
from ..schedules import GradualPruning, _layer_targets, _n_pruned, _split_count
from ..training import Callback
from .criteria import backprop_deltas
from .history import commit_masks, mask_history
from .rules import layer_collapse_guard, select_by_scope, select_lowest

DISTRIBUTIONS = ("erdos-renyi", "uniform")


def erdos_renyi_densities(model, density, distribution="erdos-renyi"):
    """Number of weights each layer keeps for an overall `density`.

    The Erdos-Renyi rule (Mocanu et al., 2018; Evci et al., 2020) gives a layer of
    shape (fan_in, fan_out) a density proportional to ``(fan_in + fan_out) /
    (fan_in * fan_out)``: large layers are sparser, small ones denser. A layer the
    rule would make denser than 1 is kept dense and the others share the rest.
    For dense layers the kernel variant (ERK) is the same rule, since a dense layer
    has no kernel dimensions.

    Parameters
    ----------
    model : MLP
    density : float
        Fraction of all weights kept, in (0, 1].
    distribution : {"erdos-renyi", "uniform"}
        "uniform" gives every layer the same density.

    Returns
    -------
    list of int
        Weights kept per layer; they sum to ``round(density * total)`` exactly.
    """
    validate_model(model)
    density = validate_float(density, "density", low=0.0, high=1.0)
    validate_choice(distribution, "distribution", DISTRIBUTIONS)
    sizes = np.array([layer.W.size for layer in model.layers], dtype=np.float64)
    goal = int(round(density * sizes.sum()))
    if distribution == "uniform":
        share = sizes
    else:
        share = np.array([(layer.fan_in + layer.fan_out) for layer in model.layers],
                         dtype=np.float64)  # = size * (fan_in + fan_out) / (fan_in * fan_out)
    return _split_count(goal, share, sizes.astype(np.int64))


def sparse_init(model, sparsity, *, distribution="erdos-renyi", seed=0):
    """Prune `model` at random to `sparsity`, layer densities by `distribution`. In place.

    The start of sparse training from scratch: the static random sparse network that
    SET and RigL improve on by moving its connections. Recorded in ``model.mask_history``.

    Parameters
    ----------
    model : MLP
        Dense (no weight pruned yet).
    sparsity : float in [0, 1)
    distribution : {"erdos-renyi", "uniform"}
        See :func:`erdos_renyi_densities`.
    seed : int, np.random.Generator or None

    Returns
    -------
    list of int
        Weights kept per layer.
    """
    validate_model(model)
    sparsity = validate_float(sparsity, "sparsity", low=0.0, high=1.0, low_inclusive=True,
                           high_inclusive=False)
    if any(_n_pruned(model)):
        raise ValueError(f"model already has {sum(_n_pruned(model))} pruned weights; "
                         f"sparse_init starts from a dense model")
    rng = validate_seed(seed)
    counts = erdos_renyi_densities(model, 1 - sparsity, distribution)
    masks = []
    for layer, keep in zip(model.layers, counts):
        m = np.zeros(layer.W.size, dtype=bool)
        m[rng.choice(layer.W.size, size=keep, replace=False)] = True
        masks.append(m.reshape(layer.W.shape))
    commit_masks(model, masks, label=f"random sparse init sparsity={sparsity:g} {distribution}")
    return counts


def dense_weight_gradients(model, X, y):
    """Cross-entropy gradient with respect to *every* weight, pruned ones included.

    What the loss would feel if a pruned connection came back at 0.0: RigL grows
    where this is largest. ``X``, ``y`` are a checked mini-batch.

    Returns
    -------
    list of ndarray, one of shape (fan_in, fan_out) per layer
    """
    activations = model._forward(X)
    delta = softmax(activations[-1])
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    deltas = backprop_deltas(model, activations, delta)
    return [a.T @ d for a, d in zip(activations, deltas)]


def _clear_optimizer_state(optimizer, i, where):
    """Zero the optimizer's state (momentum, Adam moments) of layer `i`'s weights at `where`."""
    state = getattr(optimizer, "state", None)
    if state is None or i >= len(state):
        return
    for arr in state[i][0]:  # state[i] = (state of W, state of b); each a tuple of arrays
        arr[where] = 0


class _DropAndGrow(Callback):
    """Shared machinery of SET and RigL; subclasses choose where to grow (`_grow_scores`)."""

    name = "drop-and-grow"

    def __init__(self, sparsity=0.9, *, update_every=100, drop_fraction=0.3, end=0.75,
                 distribution="erdos-renyi", seed=None):
        self.sparsity = None if sparsity is None else validate_float(
            sparsity, "sparsity", low=0.0, high=1.0, low_inclusive=True, high_inclusive=False)
        self.update_every = validate_int(update_every, "update_every", minimum=1)
        self.drop_fraction = validate_float(drop_fraction, "drop_fraction", low=0.0, high=1.0,
                                         high_inclusive=False)
        self.end = validate_float(end, "end", low=0.0, high=1.0)
        self.distribution = validate_choice(distribution, "distribution", DISTRIBUTIONS)
        self.seed = seed
        validate_seed(seed)  # a bad seed fails here, not at the first update
        self.rng = None
        self.updates = []

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, state):
        model = state.model
        self.rng = state.rng if self.seed is None else validate_seed(self.seed)
        self._end_step = int(self.end * state.total_steps)
        total = sum(layer.mask.size for layer in model.layers)
        pruned = sum(_n_pruned(model))
        if self.sparsity is not None and pruned == 0 and self.sparsity > 0:
            self._draw_initial_masks(model)
        elif self.sparsity is not None and pruned != round(self.sparsity * total):
            raise ValueError(f"the model already has {pruned} of {total} weights pruned, not "
                             f"the {round(self.sparsity * total)} of sparsity="
                             f"{self.sparsity!r}; pass a dense model, or sparsity=None to "
                             f"train the model's own masks")
        self.initial_masks = [layer.mask.copy() for layer in model.layers]
        self.updates = []
        self.last_grown = [np.zeros(layer.W.shape, dtype=bool) for layer in model.layers]

    def on_batch_end(self, state):
        t = state.step
        if t % self.update_every == 0 and t < self._end_step:
            self._update(state, t)

    def on_train_end(self, state):
        """Record the run's mask moves as one step of ``model.mask_history``, so that
        ``undo`` returns to the masks the run started from (with the weights trained since)."""
        moved = sum(sum(m) for _, _, m in self.updates)
        if not moved:
            return
        model = state.model
        masks = [layer.mask.copy() for layer in model.layers]
        weights = [layer.W.copy() for layer in model.layers]
        for layer, start in zip(model.layers, self.initial_masks):
            layer.mask = start  # zeros the grown weights: the state before the first move
        commit_masks(model, masks, weights=weights,
                     label=f"{self.name} moved {moved} connections in {len(self.updates)} "
                           f"updates")

    # --------------------------------------------------------------- the work
    def fraction(self, step):
        """Fraction of each layer's active weights moved at `step`: cosine decay to `end`."""
        if step >= self._end_step:
            return 0.0
        return 0.5 * self.drop_fraction * (1 + math.cos(math.pi * step / self._end_step))

    def _draw_initial_masks(self, model):
        sparse_init(model, self.sparsity, distribution=self.distribution, seed=self.rng)
        mask_history(model)[-1].label = (f"{self.name} initial random masks "
                                         f"sparsity={self.sparsity:g} {self.distribution}")

    def _grow_scores(self, state, model):
        raise NotImplementedError

    def _update(self, state, step):
        model = state.model
        frac = self.fraction(step)
        scores = None
        moved = []
        for i, layer in enumerate(model.layers):
            active = layer.mask
            n_active = int(np.count_nonzero(active))
            k = min(int(round(frac * n_active)), layer.mask.size - n_active)
            grown = np.zeros(layer.W.shape, dtype=bool)
            if k > 0:
                drop = select_lowest(np.abs(layer.W), k, eligible=active)
                if scores is None:
                    scores = self._grow_scores(state, model)
                # importance to keep *out*: lowest first, so negate the growth score
                grown = select_lowest(-scores[i], k, eligible=~active)
                layer.mask = (active & ~drop) | grown
                layer.W[drop | grown] = 0
                _clear_optimizer_state(state.optimizer, i, drop | grown)
            self.last_grown[i] = grown
            moved.append(k)
        self.updates.append((step, frac, moved))

    # ------------------------------------------------------------ reporting
    def changed_fraction(self, model):
        """Fraction of the model's current weights that were not in the initial mask."""
        now = sum(int(np.count_nonzero(layer.mask)) for layer in model.layers)
        new = sum(int(np.count_nonzero(layer.mask & ~m))
                  for layer, m in zip(model.layers, self.initial_masks))
        return new / now if now else 0.0

    def __repr__(self):
        return (f"{type(self).__name__}(sparsity={self.sparsity}, update_every="
                f"{self.update_every}, drop_fraction={self.drop_fraction:g}, end={self.end:g}, "
                f"distribution={self.distribution!r})")


_DROP_AND_GROW_DOC = """
    Parameters
    ----------
    sparsity : float in [0, 1) or None
        Fraction of weights pruned throughout. A dense model gets random masks with
        the densities of `distribution` when ``fit`` begins (recorded in
        ``model.mask_history``); a model already pruned to exactly this sparsity, or
        any pruned model with ``sparsity=None``, keeps its masks as the start.
    update_every : int
        Optimizer steps between mask updates (``Delta T``), >= 1.
    drop_fraction : float in (0, 1)
        Fraction of each layer's active weights moved at the first update (``alpha``).
    end : float in (0, 1]
        Fraction of the run's steps after which the mask is frozen.
    distribution : {"erdos-renyi", "uniform"}
        How the initial density is shared between layers.
    seed : int, np.random.Generator or None
        For the initial masks{extra}; None draws from ``fit``'s own generator.

    Attributes
    ----------
    updates : list of (step, fraction, moved per layer)
        One entry per mask update of the latest ``fit``.
    initial_masks : list of bool ndarray
        The masks when ``fit`` began (after the random draw).
    last_grown : list of bool ndarray
        Connections grown at the latest update (all False when nothing grew).
"""


class SET(_DropAndGrow):
    __doc__ = ("""Sparse Evolutionary Training (Mocanu et al., 2018): drop the smallest, grow at random.

    A training callback: ``fit(model, X, y, epochs=..., callbacks=[SET(0.9)])``.
""" + _DROP_AND_GROW_DOC.replace("{extra}", " and the random growth"))

    name = "SET"

    def _grow_scores(self, state, model):
        return [self.rng.random(layer.W.shape) for layer in model.layers]


class RigL(_DropAndGrow):
    __doc__ = ("""Rigged Lottery (Evci et al., 2020): drop the smallest, grow where the gradient is largest.

    At each update the dense gradient (every connection, pruned or not) of the
    cross-entropy on the latest mini-batch is computed once, and each layer grows
    the inactive connections with the largest ``|dL/dW|``: those whose return
    would lower the loss fastest. A training callback, like :class:`SET`.
""" + _DROP_AND_GROW_DOC.replace("{extra}", ""))

    name = "RigL"

    def on_train_begin(self, state):
        if state.model.objective != "cross_entropy":
            raise ValueError(f"RigL grows by the gradient of the cross-entropy, so the model must "
                             f"be a classifier (objective='cross_entropy'), got "
                             f"objective={state.model.objective!r}; SET works for any objective")
        super().on_train_begin(state)

    def _grow_scores(self, state, model):
        X, y = state.batch
        return [np.abs(g) for g in dense_weight_gradients(model, X, y)]


class MovementPruning(GradualPruning):
    """Movement pruning (Sanh, Wolf & Rush, 2020): keep the weights that training moves away from 0.

    A training callback for fine-tuning. After every backward pass each weight's
    score ``S`` gains ``-W * dL/dW``: positive when the gradient step moves the weight
    away from zero, negative when it pulls the weight in. Along the cubic
    schedule of :class:`minprune.GradualPruning` the lowest-scoring surviving
    weights are pruned. This is the paper's *hard* (top-k) variant with one
    difference: a pruned weight is 0.0 here, so its score stops changing and it
    does not come back (the paper's straight-through estimator lets it).

    Parameters
    ----------
    final_sparsity : float
        Target fraction of weights pruned at `end_step`, in [0, 1].
    begin_step : int
        Step of the first pruning event, >= 0. Scores start at 0 when ``fit``
        begins, so `initial_sparsity` > 0 needs ``begin_step >= 1``.
    end_step, frequency, initial_sparsity, scope, min_density, keep_history
        As in :class:`minprune.GradualPruning`.

    Attributes
    ----------
    scores : list of float64 ndarray
        The accumulated movement scores of the latest ``fit``, one per layer.
    """

    def __init__(self, final_sparsity, *, begin_step=0, end_step=None, frequency=10,
                 initial_sparsity=0.0, scope="layer", min_density=0.01, keep_history=False):
        super().__init__(final_sparsity, begin_step=begin_step, end_step=end_step,
                         frequency=frequency, initial_sparsity=initial_sparsity,
                         criterion="magnitude", scope=scope, min_density=min_density,
                         keep_history=keep_history)
        if self.begin_step == 0 and self.initial_sparsity > 0:
            raise ValueError(f"initial_sparsity={initial_sparsity!r} at begin_step=0 would prune "
                             f"on scores that are all 0 (no step taken yet); pass begin_step >= 1")
        self.criterion = "movement"
        self.scores = None

    def on_train_begin(self, state):
        self.scores = [np.zeros(layer.W.shape) for layer in state.model.layers]
        super().on_train_begin(state)

    def on_gradients(self, state):
        for s, layer, (dW, _) in zip(self.scores, state.model.layers, state.grads):
            s -= layer.W * dW

    def _prune_to(self, model, target, label):
        masks = [layer.mask for layer in model.layers]
        pruned = _n_pruned(model)
        if self.scope == "global":
            total = sum(m.size for m in masks)
            counts = int(round(target * total)) - sum(pruned)
            eligible = (layer_collapse_guard(masks, self.scores, self.min_density)
                        if self.min_density > 0 else masks)
            if counts <= 0:
                return 0
        else:
            counts = [max(t - p, 0) for t, p in zip(_layer_targets(model, target), pruned)]
            eligible = masks
            if not sum(counts):
                return 0
        chosen = select_by_scope(self.scores, eligible, counts, amount=target, guard=(
            f"the layer-collapse guard (min_density={self.min_density}) keeps each layer's "
            f"best weights"))
        commit_masks(model, [m & ~c for m, c in zip(masks, chosen)], label=label)
        return int(sum(np.count_nonzero(c) for c in chosen))

    def __repr__(self):
        end = "total_steps" if self.end_step is None else self.end_step
        return (f"MovementPruning(final_sparsity={self.final_sparsity:g}, "
                f"begin_step={self.begin_step}, end_step={end}, frequency={self.frequency}, "
                f"initial_sparsity={self.initial_sparsity:g}, scope={self.scope!r})")

