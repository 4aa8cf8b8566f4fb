"""Learning-rate schedules for ``fit(lr_schedule=...)``.

A schedule turns the time elapsed in a run into a factor of the base learning
rate: ``fit`` sets ``optimizer.lr = lr * schedule(epoch, epochs)`` before every
optimizer step, where ``epoch`` is a float (``step / steps_per_epoch``, so the
rate changes smoothly within an epoch) and ``epochs`` the length of the run.

Schedules are written on their *own* timeline: ``CosineLR(epochs=30)`` describes
a 30-epoch run whatever the length of the ``fit`` it is given to, and
``schedule.rewound(start)`` replays it from epoch `start`. That is what
learning-rate rewinding needs (Renda, Frankle & Carbin, 2020): retrain a pruned
network for the last ``t`` epochs of the original schedule, large rates first.
"""
from __future__ import annotations

import math

from ._validation import _describe, validate_float, validate_int


class LRSchedule:
    """Base class: ``schedule(epoch, epochs)`` gives the factor of the base learning rate.

    Parameters
    ----------
    start : float
        Epoch of the schedule's own timeline at which a run begins, >= 0.
    """

    def __init__(self, start=0.0):
        self.start = validate_float(start, "start", low=0.0, low_inclusive=True)

    def factor(self, epoch, epochs):
        """The factor at `epoch` (float, on the schedule's timeline) of a schedule of `epochs`."""
        raise NotImplementedError

    def __call__(self, epoch, epochs):
        return self.factor(self.start + epoch, self._length(epochs))

    def _length(self, epochs):
        return epochs

    def anchored(self, epochs):
        """A copy whose own timeline is `epochs` long wherever it is used (for rewinding)."""
        return self

    def rewound(self, start):
        """A copy of this schedule that begins at epoch `start` of its timeline."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.start = validate_float(start, "start", low=0.0, low_inclusive=True)
        return new


class CosineLR(LRSchedule):
    """Cosine decay (Loshchilov & Hutter, 2017) from the base rate to ``final`` times it.

    ``factor = final + (1 - final) * (1 + cos(pi * e / E)) / 2`` after a linear
    warm-up of `warmup` epochs, with ``e`` the epoch and ``E`` the schedule's length.

    Parameters
    ----------
    epochs : int or None
        Length of the schedule in epochs; None uses the length of each ``fit``.
    final : float
        Factor reached at the end, in [0, 1].
    warmup : float
        Epochs of linear warm-up from 0, >= 0 and < `epochs`.
    start : float
        See :class:`LRSchedule`.
    """

    def __init__(self, epochs=None, *, final=0.0, warmup=0.0, start=0.0):
        super().__init__(start)
        self.epochs = None if epochs is None else validate_int(epochs, "epochs", minimum=1)
        self.final = validate_float(final, "final", low=0.0, high=1.0, low_inclusive=True)
        self.warmup = validate_float(warmup, "warmup", low=0.0, low_inclusive=True)
        if self.epochs is not None and self.warmup >= self.epochs:
            raise ValueError(f"warmup must be shorter than epochs ({self.epochs}), "
                             f"got {warmup!r}")

    def _length(self, epochs):
        return epochs if self.epochs is None else self.epochs

    def anchored(self, epochs):
        if self.epochs is not None:
            return self
        return CosineLR(epochs, final=self.final, warmup=self.warmup, start=self.start)

    def factor(self, epoch, epochs):
        if epoch < self.warmup:
            return (epoch + 1e-12) / self.warmup  # never exactly 0: the first step moves
        progress = min((epoch - self.warmup) / max(epochs - self.warmup, 1e-12), 1.0)
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def __repr__(self):
        return (f"CosineLR(epochs={self.epochs}, final={self.final:g}, warmup={self.warmup:g}, "
                f"start={self.start:g})")


class StepLR(LRSchedule):
    """Multiply the rate by `gamma` at each milestone passed (the classic step decay).

    Parameters
    ----------
    milestones : sequence of float, or None
        Epochs at which the rate drops, increasing. None: at 50% and 75% of the run
        (as fractions of each ``fit``'s length).
    gamma : float
        Factor applied at each milestone, in (0, 1].
    start : float
        See :class:`LRSchedule`.
    """

    def __init__(self, milestones=None, *, gamma=0.1, start=0.0):
        super().__init__(start)
        if milestones is not None:
            if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__len__"):
                raise TypeError(f"milestones must be a sequence of epochs, got "
                                f"{_describe(milestones)}")
            milestones = [validate_float(m, f"milestones[{i}]", low=0.0)
                          for i, m in enumerate(milestones)]
            if any(b <= a for a, b in zip(milestones, milestones[1:])):
                raise ValueError(f"milestones must increase, got {milestones}")
        self.milestones = milestones
        self.gamma = validate_float(gamma, "gamma", low=0.0, high=1.0)

    def anchored(self, epochs):
        if self.milestones is not None:
            return self
        return StepLR([0.5 * epochs, 0.75 * epochs], gamma=self.gamma, start=self.start)

    def factor(self, epoch, epochs):
        marks = [0.5 * epochs, 0.75 * epochs] if self.milestones is None else self.milestones
        return self.gamma ** sum(epoch >= m for m in marks)

    def __repr__(self):
        return f"StepLR(milestones={self.milestones}, gamma={self.gamma:g}, start={self.start:g})"


LR_SCHEDULES = {"cosine": CosineLR, "step": StepLR}


def validate_lr_schedule(lr_schedule):
    """None, an :class:`LRSchedule`, a callable ``(epoch, epochs) -> factor``, or a name."""
    if lr_schedule is None or isinstance(lr_schedule, LRSchedule):
        return lr_schedule
    if isinstance(lr_schedule, str):
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {sorted(LR_SCHEDULES)}, an LRSchedule "
                             f"or a callable (epoch, epochs) -> factor, got {lr_schedule!r}")
        return LR_SCHEDULES[lr_schedule]()
    if callable(lr_schedule):
        return lr_schedule
    raise TypeError(f"lr_schedule must be None, 'cosine', 'step', a minprune LRSchedule or a "
                    f"callable (epoch, epochs) -> factor, got {_describe(lr_schedule)}")


def lr_factor(schedule, epoch, epochs):
    """``schedule(epoch, epochs)``, checked: a finite factor >= 0."""
    value = schedule(epoch, epochs)
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"lr_schedule returned {value!r} at epoch {epoch:g}; a schedule must "
                         f"return a finite factor >= 0 of the learning rate")
    return value
