"""Pruning over time: when to prune, and how the network recovers.

Four recipes, from the simplest to the lottery ticket:

* :func:`prune_and_finetune` -- prune once, then train the masked network a little more.
* :func:`iterative_prune` -- prune a fraction, fine-tune, repeat until the target sparsity.
* :class:`GradualPruning` -- a training callback that raises the sparsity every few
  steps along the cubic schedule :func:`cubic_sparsity` (Zhu & Gupta, 2017).
* :func:`lottery_ticket` -- iterative magnitude pruning that *rewinds* the surviving
  weights to their initial values after every round (Frankle & Carbin, 2019), or to
  an early epoch (Frankle et al., 2020), beside the random-reinitialisation control.

Sparsity targets are hit exactly as counts: a target ``s`` means ``round(s * n)``
pruned weights, where ``n`` counts all weights (``scope="global"``) or each layer's
weights (``scope="layer"``, every layer then holds ``round(s * n_layer)``).
Each pruning round converts the target into a count of weights still to prune, so
rounding never accumulates over rounds. With ``scope="global"`` the layer-collapse
guard of :func:`minprune.prune_weights` (``min_density``) caps the reachable
sparsity (:func:`minprune.pruning.rules.max_sparsity`); a target above the cap is
refused before any training.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._table import text_table
from ._validation import validate_choice, validate_float, validate_int, validate_seed
from .datasets import validate_dataset
from .metrics import sparsity
from .model import MLP, validate_model
from .optim import Optimizer
from .pruning.criteria import DEFAULT_CRITERION, KINDS, validate_data, lookup
from .pruning.history import commit_masks, mask_history
from .pruning.neurons import prune_neurons
from .pruning.rules import MIN_DENSITY, SCOPES, validate_reachable
from .pruning.weights import prune_weights
from .training import Callback, History, fit



# --------------------------------------------------------------------- schedule
def cubic_sparsity(step, *, initial=0.0, final, begin_step=0, end_step, frequency=1):
    """Target sparsity at optimizer step `step` under the cubic schedule of Zhu & Gupta (2017).

    ``s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt))**3`` with ``t0 = begin_step``,
    ``n * dt = end_step - begin_step`` and ``t`` rounded down to a multiple of
    ``dt = frequency`` after ``t0``, so the target changes only on pruning steps.
    It is ``s_i`` up to ``t0`` and ``s_f`` from ``end_step`` on: prune fast while the
    network is redundant, slowly near the end when every weight counts.

    Parameters
    ----------
    step : int or array-like of int
        Optimizer steps taken, >= 0.
    initial, final : float
        ``s_i`` and ``s_f``, fractions of weights pruned, ``0 <= s_i <= s_f <= 1``.
    begin_step, end_step : int
        First and last step of the ramp, ``0 <= begin_step < end_step``.
    frequency : int
        Steps between pruning events (``dt``), >= 1.

    Returns
    -------
    float, or float64 ndarray of the shape of `step`
    """
    initial = validate_float(initial, "initial", low=0.0, high=1.0, low_inclusive=True)
    final = validate_float(final, "final", low=0.0, high=1.0, low_inclusive=True)
    if final < initial:
        raise ValueError(f"final must be >= initial (sparsity never decreases), got "
                         f"initial={initial!r}, final={final!r}")
    begin_step = validate_int(begin_step, "begin_step", minimum=0)
    end_step = validate_int(end_step, "end_step", minimum=begin_step + 1)
    frequency = validate_int(frequency, "frequency", minimum=1)
    # Always compute on an array, so a scalar step gives bit for bit the array's value.
    t = np.atleast_1d(_validate_steps(step))
    span = end_step - begin_step
    done = (np.maximum(t - begin_step, 0) // frequency) * frequency
    progress = np.minimum(done / span, 1.0)
    # the same formula, arranged so that s is exactly s_i at t0 and exactly s_f at the end
    s = initial + (final - initial) * (1.0 - (1.0 - progress) ** 3)
    s = np.where(t >= end_step, final, s)
    return float(s[0]) if np.ndim(step) == 0 else s


def _validate_steps(step):
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"step must be an int or an array of ints >= 0, got {step!r}")
    arr = np.asarray(step)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"step must be an int or an array of ints >= 0, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"step must be >= 0, got {int(arr.min())}")
    return arr.astype(np.int64)


# ------------------------------------------------------------ pruning to a count
def _layer_targets(model, target):
    """Pruned-weight counts per layer that give each layer sparsity `target`."""
    return [int(round(target * layer.mask.size)) for layer in model.layers]


def _n_pruned(model):
    return [layer.mask.size - int(np.count_nonzero(layer.mask)) for layer in model.layers]


def _prune_to_sparsity(model, target, *, criterion, scope, data, seed, label,
                       min_density=MIN_DENSITY):
    """Raise the model's weight sparsity to `target`, exactly as a count; returns weights pruned.

    ``scope="global"`` ranks all weights together (``prune_weights``, with its
    layer-collapse guard); ``scope="layer"`` brings each layer to ``target`` on its own.
    Never un-prunes: a model already sparser than `target` is left as it is.
    """
    if scope == "global":
        total = sum(layer.mask.size for layer in model.layers)
        k = int(round(target * total)) - sum(_n_pruned(model))
        if k > 0:
            prune_weights(model, k, criterion=criterion, scope="global", data=data, seed=seed,
                          min_density=min_density)
            _relabel(model, label)
        return max(k, 0)
    counts = [max(t - p, 0) for t, p in zip(_layer_targets(model, target), _n_pruned(model))]
    if sum(counts):
        prune_weights(model, counts, criterion=criterion, scope="layer", data=data, seed=seed)
        _relabel(model, label)
    return sum(counts)


def _relabel(model, label):
    history = mask_history(model)
    if history:
        history[-1].label = label


# ------------------------------------------------------------- gradual pruning
class GradualPruning(Callback):
    """Prune during ``fit`` along the cubic schedule of Zhu & Gupta (2017).

    Every `frequency` optimizer steps from `begin_step` to `end_step`, the model's
    weight sparsity is raised to ``cubic_sparsity(step, ...)``, counting exactly
    (see the module notes). Pruned weights stay 0.0 for the rest of training; the
    network keeps learning around the holes between pruning events.

    Parameters
    ----------
    final_sparsity : float
        Target fraction of weights pruned at `end_step`, in [0, 1].
    begin_step : int
        Step of the first pruning event, >= 0.
    end_step : int or None
        Step of the last pruning event; None means the run's last step
        (``state.total_steps``, known when ``fit`` begins).
    frequency : int
        Optimizer steps between pruning events, >= 1.
    initial_sparsity : float
        Sparsity applied at `begin_step`, in [0, final_sparsity].
    criterion : str
        A weight criterion of :func:`minprune.prune_weights`.
    scope : {"global", "layer"}
    data : tuple (X, y), optional
        Batch for data-driven criteria (``taylor``, ``snip``, ``obd``); checked
        here, and against the model when ``fit`` begins.
    seed : int, np.random.Generator or None
        For the ``random`` criterion.
    min_density : float in [0, 1), default 0.01
        Layer-collapse guard of ``scope="global"`` (see :func:`minprune.prune_weights`):
        `final_sparsity` must be reachable under it, which ``fit`` checks before
        the first step (:func:`~minprune.pruning.rules.max_sparsity`).
    keep_history : bool
        Every pruning step stores a full copy of the weights in
        ``model.mask_history``. False (the default) keeps only the latest
        gradual step, so memory stays bounded however many events there are;
        True keeps them all (``rewind(model, k)`` reaches any event). Either way
        the whole run is one pruning step: ``undo`` after ``fit`` returns to the
        model as it was before the first gradual event.

    Attributes
    ----------
    steps : list of int
        Optimizer step of each pruning event of the latest ``fit``.
    sparsities : list of float
        Model sparsity right after each event (for plotting against `steps`).
    """

    def __init__(self, final_sparsity, *, begin_step=0, end_step=None, frequency=10,
                 initial_sparsity=0.0, criterion="magnitude", scope="global", data=None, seed=None,
                 min_density=MIN_DENSITY, keep_history=False):
        self.final_sparsity = validate_float(final_sparsity, "final_sparsity", low=0.0, high=1.0,
                                          low_inclusive=True)
        self.initial_sparsity = validate_float(initial_sparsity, "initial_sparsity", low=0.0,
                                            high=1.0, low_inclusive=True)
        if self.initial_sparsity > self.final_sparsity:
            raise ValueError(f"initial_sparsity must be <= final_sparsity, got "
                             f"initial_sparsity={initial_sparsity!r}, "
                             f"final_sparsity={final_sparsity!r}")
        self.begin_step = validate_int(begin_step, "begin_step", minimum=0)
        self.end_step = None if end_step is None else validate_int(
            end_step, "end_step", minimum=self.begin_step + 1)
        self.frequency = validate_int(frequency, "frequency", minimum=1)
        self.criterion = _validate_weight_criterion(criterion)
        self.scope = validate_choice(scope, "scope", SCOPES)
        if data is not None or lookup("weights", self.criterion).needs_data:
            validate_data(None, data, f"criterion={criterion!r}")
        self.data = data
        self.rng = validate_seed(seed)
        self.min_density = validate_float(min_density, "min_density", low=0.0, high=1.0,
                                       low_inclusive=True, high_inclusive=False)
        self.keep_history = bool(keep_history)
        self.steps, self.sparsities = [], []
        self._end = None  # end_step of the current run, set when fit begins
        self._latest = None  # the newest mask_history entry this callback made
        self._group = None  # shared by the history entries of the current run

    def schedule(self, step):
        """Target sparsity at `step` (int or array) for this run; see :func:`cubic_sparsity`."""
        if self._end is None:
            raise RuntimeError("the schedule is known once fit begins (end_step=None means "
                               "the run's total_steps)")
        return cubic_sparsity(step, initial=self.initial_sparsity, final=self.final_sparsity,
                              begin_step=self.begin_step, end_step=self._end,
                              frequency=self.frequency)

    def on_train_begin(self, state):
        end = state.total_steps if self.end_step is None else self.end_step
        if end <= self.begin_step or end > state.total_steps:
            raise ValueError(f"end_step must be in ({self.begin_step}, {state.total_steps}] "
                             f"(begin_step, the run's total_steps), got {end}")
        if self.data is not None:
            validate_data(state.model, self.data, f"criterion={self.criterion!r}")
        validate_reachable(state.model, self.final_sparsity, "final_sparsity", scope=self.scope,
                        min_density=self.min_density)
        self._end = end
        self.steps, self.sparsities = [], []
        self._latest = None
        self._group = object()  # marks this run's history entries: undo takes them together
        if self.begin_step == 0:
            self._prune(state.model, 0)

    def on_batch_end(self, state):
        t = state.step
        if self.begin_step <= t <= self._end and (
                (t - self.begin_step) % self.frequency == 0 or t == self._end):
            self._prune(state.model, t)

    def _prune_to(self, model, target, label):
        """Raise the sparsity to `target`; returns the number of weights pruned."""
        return _prune_to_sparsity(model, target, criterion=self.criterion, scope=self.scope,
                                  data=self.data, seed=self.rng, label=label,
                                  min_density=self.min_density)

    def _prune(self, model, step):
        target = self.schedule(step)
        label = f"gradual {self.criterion}/{self.scope} step={step} target={target:.4f}"
        if self._prune_to(model, target, label):
            history = mask_history(model)
            if not self.keep_history and len(history) >= 2 and history[-2] is self._latest:
                del history[-2]  # bounded memory: keep only the newest gradual snapshot
            history[-1].group = self._group
            self._latest = history[-1]
        self.steps.append(step)
        self.sparsities.append(sparsity(model))

    def __repr__(self):
        end = "total_steps" if self.end_step is None else self.end_step
        return (f"GradualPruning(final_sparsity={self.final_sparsity:g}, "
                f"begin_step={self.begin_step}, end_step={end}, frequency={self.frequency}, "
                f"initial_sparsity={self.initial_sparsity:g}, criterion={self.criterion!r}, "
                f"scope={self.scope!r})")


# ----------------------------------------------------------------------- helpers
def _validate_weight_criterion(criterion):
    return lookup("weights", criterion).name


def _fresh_optimizer(fit_kwargs):
    """A copy of `fit_kwargs` in which an Optimizer object is replaced by a fresh copy (same
    settings, no state), so separate training runs never share one, as with a name."""
    kwargs = dict(fit_kwargs)
    if isinstance(kwargs.get("optimizer"), Optimizer):
        kwargs["optimizer"] = copy.deepcopy(kwargs["optimizer"])
        kwargs["optimizer"].reset()
    return kwargs


def _pct(x):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


# ------------------------------------------------------------ one-shot + finetune
#: The quick fine-tune the course shows first: ``fit(model, X, y, **FINETUNE_RECIPE, seed=...)``
#: after a cut, in notebook 00 and behind the fine-tune button of ``widgets.explore`` and
#: ``widgets.compare``, so the button and the cell train the same way. Adam (``fit``'s default).
FINETUNE_RECIPE = MappingProxyType({"epochs": 3, "batch_size": 32, "lr": 1e-3})


@dataclass(repr=False)
class FinetuneResult:
    """What :func:`prune_and_finetune` measured (accuracies on the test part, in [0, 1]).

    Attributes
    ----------
    dense_accuracy, pruned_accuracy, finetuned_accuracy : float
        Before pruning, right after pruning, after fine-tuning.
    sparsity : float
        Fraction of weights pruned after the step.
    report : object
        What ``prune_weights`` / ``prune_neurons`` returned.
    history : History
        The fine-tuning run.
    """

    dense_accuracy: float
    pruned_accuracy: float
    finetuned_accuracy: float
    sparsity: float
    report: object
    history: History

    def __repr__(self):
        return (f"FinetuneResult(sparsity={_pct(self.sparsity)}, dense={_pct(self.dense_accuracy)}, "
                f"pruned={_pct(self.pruned_accuracy)}, "
                f"finetuned={_pct(self.finetuned_accuracy)}, epochs={self.history.epochs})")


def prune_and_finetune(model, amount, data, *, kind="weights", criterion=None, scope="layer",
                       epochs=10, lr=1e-3, seed=0, min_density=None, **fit_kwargs):
    """Prune `model` once, then fine-tune it: ``fit`` on the masked network. Changes `model`.

    Parameters
    ----------
    model : MLP
        A trained model; pruned and fine-tuned in place.
    amount : float or int
        As in :func:`minprune.prune_weights` / :func:`minprune.prune_neurons`: a
        fraction of the still-unpruned weights (units), or an exact count.
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
        Fine-tuning and data-driven criteria use the training part; accuracies
        are measured on the test part.
    kind : {"weights", "neurons"}
    criterion : str or None
        Default ``"magnitude"`` for weights, ``"l2"`` for neurons.
    scope : {"layer", "global"}
    epochs : int
        Fine-tuning epochs, >= 1.
    lr : float
        Fine-tuning learning rate (smaller than for training from scratch is usual).
    seed : int
        Seeds the ``random`` criterion and the fine-tuning's shuffling.
    min_density : float in [0, 1), optional
        Passed to :func:`minprune.prune_weights` (its layer-collapse guard for
        ``scope="global"``; default there 0.01). ``kind="weights"`` only.
    **fit_kwargs
        Passed to :func:`minprune.fit` (``batch_size``, ``optimizer``, ...).

    Returns
    -------
    FinetuneResult
    """
    validate_model(model)
    X_train, y_train, X_test, y_test = validate_dataset(data)
    validate_choice(kind, "kind", KINDS)
    epochs = validate_int(epochs, "epochs", minimum=1)
    guard = {} if min_density is None else {"min_density": min_density}
    criterion = DEFAULT_CRITERION[kind] if criterion is None else criterion
    if kind == "weights":
        prune = prune_weights
    elif guard:
        raise ValueError(f"min_density applies to kind='weights' only, got kind={kind!r} and "
                         f"min_density={min_density!r}")
    else:
        prune = prune_neurons
    prune_seed, fit_seed = _seeds(seed, 2)
    dense = model.score(X_test, y_test)
    report = prune(model, amount, criterion=criterion, scope=scope, data=(X_train, y_train),
                   seed=prune_seed, **guard)
    pruned = model.score(X_test, y_test)
    history = fit(model, X_train, y_train, epochs=epochs, lr=lr, seed=fit_seed, **fit_kwargs)
    return FinetuneResult(dense, pruned, model.score(X_test, y_test), sparsity(model), report,
                          history)


def _seeds(seed, n):
    """`n` independent int seeds derived from one `seed` (deterministic)."""
    if isinstance(seed, np.random.Generator):
        return [int(s) for s in seed.integers(2**32, size=n)]
    validate_seed(seed)  # None: fresh entropy, then fixed for the whole call
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n)]


# -------------------------------------------------------------------- iterative
@dataclass(repr=False)
class IterativeResult:
    """Per-round record of :func:`iterative_prune` (entry 0: before any pruning).

    Attributes
    ----------
    sparsity : list of float
        Model sparsity after each round.
    pruned_accuracy : list of float
        Test accuracy right after each round's pruning (entry 0: the dense model).
    finetuned_accuracy : list of float
        Test accuracy after each round's fine-tuning (entry 0: the dense model).
    histories : list of History
        One fine-tuning run per round.
    """

    sparsity: list = field(default_factory=list)
    pruned_accuracy: list = field(default_factory=list)
    finetuned_accuracy: list = field(default_factory=list)
    histories: list = field(default_factory=list)

    @property
    def rounds(self):
        return len(self.sparsity) - 1

    def __repr__(self):
        rows = [(str(r), _pct(s), _pct(p), _pct(f)) for r, (s, p, f) in enumerate(
            zip(self.sparsity, self.pruned_accuracy, self.finetuned_accuracy))]
        return text_table(("round", "sparsity", "pruned acc", "finetuned acc"), rows,
                          title=f"IterativeResult({self.rounds} rounds)")


def _round_targets(target, rounds, per_round, default_rounds):
    """Sparsity after each round: a geometric ramp (same fraction of the survivors per round)."""
    if rounds is not None and per_round is not None:
        raise ValueError(f"give rounds or per_round, not both; got rounds={rounds!r}, "
                         f"per_round={per_round!r}")
    if per_round is None:
        rounds = validate_int(default_rounds if rounds is None else rounds, "rounds", minimum=1)
        per_round = 1.0 - (1.0 - target) ** (1.0 / rounds) if target < 1 else 1.0
    else:
        per_round = validate_float(per_round, "per_round", low=0.0, high=1.0)
        rounds = (1 if per_round == 1 or target == 0 else
                  max(1, math.ceil(math.log1p(-target) / math.log1p(-per_round) - 1e-9)))
    targets = [min(1.0 - (1.0 - per_round) ** r, target) for r in range(1, rounds + 1)]
    targets[-1] = target  # floating error never leaves the last round short
    return targets


def iterative_prune(model, target_sparsity, data, *, rounds=None, per_round=None,
                    finetune_epochs=5, criterion="magnitude", scope="layer", lr=1e-3, seed=0,
                    min_density=MIN_DENSITY, **fit_kwargs):
    """Prune the same fraction of surviving weights per round, fine-tuning after each round.

    After round ``r`` the sparsity is ``1 - (1 - per_round)**r``, except the last
    round, which lands on `target_sparsity` exactly (as a count). Changes `model`.

    Parameters
    ----------
    model : MLP
        A trained model; pruned and fine-tuned in place.
    target_sparsity : float
        Final fraction of weights pruned, in [0, 1].
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
    rounds : int, optional
        Number of rounds (default 5 when `per_round` is not given).
    per_round : float, optional
        Fraction of surviving weights pruned per round, in (0, 1]; the number of
        rounds then follows. Give `rounds` or `per_round`, not both.
    finetune_epochs : int
        Epochs of fine-tuning after each round, >= 1.
    criterion : str
        A weight criterion of :func:`minprune.prune_weights`.
    scope : {"layer", "global"}
    lr : float
        Fine-tuning learning rate.
    seed : int
        Seeds the ``random`` criterion and the shuffling.
    min_density : float in [0, 1), default 0.01
        Layer-collapse guard of ``scope="global"`` (see :func:`minprune.prune_weights`);
        `target_sparsity` must be reachable under it, which is checked first.
    **fit_kwargs
        Passed to :func:`minprune.fit`. An ``optimizer`` object is copied afresh
        (no state) for every round, as a name would be.

    Returns
    -------
    IterativeResult
    """
    validate_model(model)
    target = validate_float(target_sparsity, "target_sparsity", low=0.0, high=1.0,
                         low_inclusive=True)
    X_train, y_train, X_test, y_test = validate_dataset(data)
    finetune_epochs = validate_int(finetune_epochs, "finetune_epochs", minimum=1)
    criterion = _validate_weight_criterion(criterion)
    scope = validate_choice(scope, "scope", SCOPES)
    min_density = validate_float(min_density, "min_density", low=0.0, high=1.0, low_inclusive=True,
                              high_inclusive=False)
    validate_reachable(model, target, "target_sparsity", scope=scope, min_density=min_density)
    targets = _round_targets(target, rounds, per_round, default_rounds=5)
    prune_seed, fit_seed = _seeds(seed, 2)
    prune_rng = validate_seed(prune_seed)
    acc = model.score(X_test, y_test)
    result = IterativeResult([sparsity(model)], [acc], [acc])
    for r, s in enumerate(targets, start=1):
        _prune_to_sparsity(model, s, criterion=criterion, scope=scope, data=(X_train, y_train),
                           seed=prune_rng, label=f"iterative round {r} {criterion}/{scope} "
                                                 f"target={s:.4f}", min_density=min_density)
        result.sparsity.append(sparsity(model))
        result.pruned_accuracy.append(model.score(X_test, y_test))
        result.histories.append(fit(model, X_train, y_train, epochs=finetune_epochs, lr=lr,
                                    seed=fit_seed, **_fresh_optimizer(fit_kwargs)))
        result.finetuned_accuracy.append(model.score(X_test, y_test))
    return result


# ---------------------------------------------------------------- lottery ticket
@dataclass(repr=False)
class LotteryResult:
    """Per-round record of :func:`lottery_ticket` (round 0: the dense network).

    Attributes
    ----------
    sparsity : list of float
        Weight sparsity of the ticket trained in each round.
    layer_sparsity : list of list of float
        Per-layer sparsity, one list per round.
    ticket_accuracy : list of float
        Test accuracy of the rewound-and-retrained ticket (round 0: dense).
    control_accuracy : list of float
        Test accuracy of the same masks with a fresh random initialisation,
        trained the same way (round 0: NaN; all NaN with ``control=False``).
    masks : list of list of bool ndarray
        The ticket's masks in each round (round 0: all True).
    ticket, control : MLP
        The last round's trained ticket and control (control None with ``control=False``).
    init_weights : list of (W, b)
        The weights a ticket is rewound to (initial, or after `rewind_epoch` epochs).
    rewind_epoch : int
    """

    sparsity: list
    layer_sparsity: list
    ticket_accuracy: list
    control_accuracy: list
    masks: list
    ticket: MLP
    control: MLP | None
    init_weights: list
    rewind_epoch: int

    @property
    def rounds(self):
        return len(self.sparsity) - 1

    def __repr__(self):
        rows = [(str(r), _pct(s), _pct(t), _pct(c)) for r, (s, t, c) in enumerate(
            zip(self.sparsity, self.ticket_accuracy, self.control_accuracy))]
        return text_table(("round", "sparsity", "ticket acc", "random reinit acc"), rows,
                          title=f"LotteryResult({self.rounds} rounds, "
                                f"rewind_epoch={self.rewind_epoch})")


def _split_count(total, weights, caps):
    """Integers proportional to `weights`, each <= its cap, summing to `total` (largest remainder)."""
    weights = np.asarray(weights, dtype=np.float64)
    caps = np.asarray(caps, dtype=np.int64)
    counts = np.zeros(len(caps), dtype=np.int64)
    left = total
    while left > 0:
        open_ = counts < caps
        w = np.where(open_, weights, 0.0)
        if w.sum() == 0:
            w = open_.astype(np.float64)
        share = left * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), caps - counts)
        if add.sum() == 0:  # hand out single units, largest remainder first (ties: first layer)
            order = np.argsort(-(share - np.floor(share)), kind="stable")
            add[next(i for i in order if open_[i])] = 1
        counts += add
        left -= int(add.sum())
    return counts.tolist()


def _lottery_counts(model, rates, goal):
    """Per-layer counts for one round: ``round(rate * survivors)``, trimmed to reach `goal`."""
    avail = [int(np.count_nonzero(layer.mask)) for layer in model.layers]
    counts = [int(round(r * a)) for r, a in zip(rates, avail)]
    if sum(counts) >= goal:
        return _split_count(goal, counts, avail)
    return counts


def _scaled_rates(model, rates, target, rounds):
    """Rates ``c * rates`` so that `rounds` rounds reach `target` (bisection on c)."""
    sizes = np.array([layer.mask.size for layer in model.layers], dtype=np.float64)
    rates = np.asarray(rates, dtype=np.float64)

    def reached(c):
        density = (1.0 - np.minimum(c * rates, 1.0)) ** rounds
        return 1.0 - (sizes * density).sum() / sizes.sum()

    lo, hi = 0.0, 1.0 / rates.max()
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if reached(mid) < target else (lo, mid)
    return list(np.minimum(hi * rates, 1.0))


def lottery_ticket(layer_sizes, data, *, target_sparsity, rounds=None, per_round=0.2,
                   output_per_round=0.1, epochs=30, rewind_epoch=0, seed=0, control=True,
                   activation="relu", lr=1e-3, **fit_kwargs):
    """Find a winning ticket by iterative magnitude pruning with rewinding (Frankle & Carbin, 2019).

    Round 0 trains a dense network. Each later round prunes, in every layer on
    its own, the smallest-magnitude surviving weights (`per_round` of the survivors
    of each hidden layer, `output_per_round` of the output layer's), *rewinds* the
    surviving weights and biases to their values at `rewind_epoch` (0: the initial
    values), and trains again for ``epochs - rewind_epoch`` epochs. The control
    keeps the same masks but draws fresh initial weights (another seed) and trains
    for `epochs` epochs: if the ticket wins, it is the initialisation that matters,
    not only the sparse structure. The last round lands on `target_sparsity` exactly.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, hidden..., n_classes]``, as for :class:`minprune.MLP`.
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
    target_sparsity : float
        Final fraction of all weights pruned, in (0, 1).
    rounds : int, optional
        Number of pruning rounds. None: as many as the per-round rates need.
        An int scales both rates by one factor so that `rounds` rounds suffice.
    per_round, output_per_round : float
        Fractions of the surviving weights pruned per round in the hidden layers
        (all but the last) and in the output layer, in (0, 1].
    epochs : int
        Training epochs of the dense network and of every control, >= 1.
    rewind_epoch : int
        Epoch whose weights tickets are rewound to, in [0, epochs) (Frankle et al.,
        2020, "Linear mode connectivity and the lottery ticket hypothesis").
        Only weights are rewound; each round starts a fresh optimizer.
    seed : int
        Derives the initial weights, the control's weights and the data order
        (the same data order in every round).
    control : bool
        Also train the random-reinitialisation control in every round.
    activation : str
        Hidden activation of the MLP.
    lr : float
        Learning rate.
    **fit_kwargs
        Passed to :func:`minprune.fit` (``batch_size``, ``optimizer``, ``callbacks``...).
        An ``optimizer`` object is copied afresh (no state) for every training
        run, the dense one, each ticket and each control, as a name would be.

    Returns
    -------
    LotteryResult
    """
    X_train, y_train, X_test, y_test = validate_dataset(data)
    target = validate_float(target_sparsity, "target_sparsity", low=0.0, high=1.0,
                         high_inclusive=False)
    per_round = validate_float(per_round, "per_round", low=0.0, high=1.0)
    output_per_round = validate_float(output_per_round, "output_per_round", low=0.0, high=1.0)
    epochs = validate_int(epochs, "epochs", minimum=1)
    rewind_epoch = validate_int(rewind_epoch, "rewind_epoch", minimum=0, maximum=epochs - 1)
    if rounds is not None:
        rounds = validate_int(rounds, "rounds", minimum=1)
    init_seed, fit_seed, control_seed = _seeds(seed, 3)
    ticket = MLP(layer_sizes, activation=activation, seed=init_seed)
    rates = [per_round] * (len(ticket.layers) - 1) + [output_per_round]
    if rounds is not None:
        rates = _scaled_rates(ticket, rates, target, rounds)
    total = sum(layer.mask.size for layer in ticket.layers)
    goal = int(round(target * total))
    train = _trainer((X_train, y_train, X_test, y_test), lr, fit_seed, fit_kwargs)

    saved = [(layer.W.copy(), layer.b.copy()) for layer in ticket.layers]
    extra = [_Snapshot(rewind_epoch, saved)] if rewind_epoch else []
    acc = train(ticket, epochs, extra)
    result = LotteryResult([0.0], [[0.0] * len(ticket.layers)], [acc], [float("nan")],
                           [[layer.mask.copy() for layer in ticket.layers]], ticket, None, saved,
                           rewind_epoch)
    r = 0
    while sum(_n_pruned(ticket)) < goal:
        r += 1
        counts = _round_counts(ticket, rates, goal, last=rounds is not None and r == rounds)
        prune_weights(ticket, counts, criterion="magnitude", scope="layer")
        _relabel(ticket, f"lottery round {r}")
        _rewind_survivors(ticket, saved)
        masks = [layer.mask.copy() for layer in ticket.layers]
        acc = train(ticket, epochs - rewind_epoch)
        control_acc = float("nan")
        if control:  # the same masks on freshly drawn weights
            result.control = MLP(layer_sizes, activation=activation, seed=control_seed)
            commit_masks(result.control, masks, label=f"lottery round {r} masks")
            control_acc = train(result.control, epochs)
        result.sparsity.append(sparsity(ticket))
        result.layer_sparsity.append([1.0 - float(m.mean()) for m in masks])
        result.ticket_accuracy.append(acc)
        result.control_accuracy.append(control_acc)
        result.masks.append(masks)
    return result


def _trainer(data, lr, seed, fit_kwargs):
    """``train(model, n_epochs, extra_callbacks=())``: one lottery run, returning test accuracy."""
    X_train, y_train, X_test, y_test = data

    def train(model, n_epochs, extra=()):
        kwargs = _fresh_optimizer(fit_kwargs)
        kwargs["callbacks"] = list(kwargs.get("callbacks", ())) + list(extra)
        fit(model, X_train, y_train, epochs=n_epochs, lr=lr, seed=seed, **kwargs)
        return model.score(X_test, y_test)

    return train


def _round_counts(ticket, rates, goal, last):
    """Weights each layer loses in this round: its rate of the survivors, capped at the goal.

    The `last` allowed round takes what is left; so does a round whose rates round to
    nothing (so few survivors are left).
    """
    counts = _lottery_counts(ticket, rates, goal - sum(_n_pruned(ticket)))
    if last:
        avail = [int(np.count_nonzero(layer.mask)) for layer in ticket.layers]
        counts = _split_count(goal - sum(_n_pruned(ticket)), counts, avail)
    if sum(counts) == 0:
        avail = [int(np.count_nonzero(layer.mask)) for layer in ticket.layers]
        counts = _split_count(goal - sum(_n_pruned(ticket)),
                              [rate * a for rate, a in zip(rates, avail)], avail)
    return counts


def _rewind_survivors(ticket, saved):
    """Set the unpruned weights back to their `saved` values (initial or early-epoch)."""
    for layer, (W, b) in zip(ticket.layers, saved):
        layer.W[...] = W
        layer.b[...] = b
    ticket.apply_masks()


class _Snapshot(Callback):
    """Copy the weights into `out` at the end of epoch `epoch` (counted from 1)."""

    def __init__(self, epoch, out):
        self.epoch, self.out = epoch, out

    def on_epoch_end(self, state):
        if state.epoch + 1 == self.epoch:
            self.out[:] = [(layer.W.copy(), layer.b.copy()) for layer in state.model.layers]
