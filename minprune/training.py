"""Mini-batch training: ``fit``, its ``History``, and the callback hooks.

Callbacks are how pruning happens *during* training: a schedule is a callback
whose ``on_batch_end`` changes masks every few steps.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _progress
from ._validation import validate_features, validate_int, validate_seed
from .blas import blas_threads
from .distill import Distillation, validate_distillation
from .lr_schedule import validate_lr_schedule, lr_factor
from .metrics import sparsity
from .model import _OBJECTIVE, MLP
from .optim import make_optimizer


def _blas_limit():
    """The package's BLAS policy (:mod:`minprune.blas`), libraries looked up afresh."""
    return blas_threads(refresh=True)


@dataclass
class History:
    """What happened during ``fit``, one entry per epoch.

    Attributes
    ----------
    loss : list of float
        Mean training cross-entropy over the epoch's mini-batches.
    accuracy : list of float
        Training accuracy of the mini-batch predictions made during the epoch
        (empty for a regressor, ``objective="squared_error"``).
    val_loss, val_accuracy : list of float
        On ``validation_data`` at the end of each epoch (empty without it;
        ``val_accuracy`` also empty for a regressor).
    sparsity : list of float
        Fraction of weights pruned at the end of each epoch.
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    sparsity: list = field(default_factory=list)

    @property
    def epochs(self):
        return len(self.loss)

    def as_dict(self):
        return {k: list(v) for k, v in self.__dict__.items()}

    def __repr__(self):
        if not self.loss:
            return "History(no epochs)"
        last = f"loss={self.loss[-1]:.4f}, accuracy={self.accuracy[-1]:.4f}"
        if self.val_accuracy:
            last += f", val_accuracy={self.val_accuracy[-1]:.4f}"
        return f"History({self.epochs} epochs, last: {last})"


class Callback:
    """Hooks called by ``fit``; override the ones you need.

    Every hook receives the :class:`TrainState`. Set ``state.stop = True`` to end
    training after the current epoch.
    """

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_gradients(self, state):
        """After the backward pass, before the optimizer step: ``state.grads`` holds them."""

    def on_batch_end(self, state):
        pass

    def on_epoch_end(self, state):
        pass

    def on_train_end(self, state):
        pass


class DivergenceError(ValueError):
    """Raised by ``fit`` when a mini-batch loss is NaN or infinite.

    A non-finite loss means the previous optimizer step made the weights
    non-finite (or so large that the forward pass overflows): ``fit`` puts
    back every layer's ``W`` and ``b`` as they were before that step (pruned
    positions stay 0.0) and takes no step with the bad loss. The optimizer's
    moments are not put back: they keep that step's update.

    Attributes
    ----------
    epoch : int
        Epoch of the diverged batch, counted from 0 (as in :class:`TrainState`).
    step : int
        Optimizer steps completed before it.
    loss : float
        The non-finite loss (NaN when the parameters themselves were found
        non-finite at the end of an epoch, after its last step).
    history : History
        The epochs completed before the divergence.
    """

    def __init__(self, message, *, epoch, step, loss, history):
        super().__init__(message)
        self.epoch, self.step, self.loss, self.history = epoch, step, loss, history


def _diverged(state, loss, batch, lr, rate, saved):
    """The DivergenceError for a non-finite `loss` at `batch` of the current epoch (`batch`
    None: the parameters found non-finite at the epoch's end; `lr`: fit's argument; `rate`:
    the optimizer's rate at the last step, scheduled or not). Puts back the parameters in
    `saved` (those before the last step) when a step was taken."""
    if batch is None:
        what = "the weights or biases hold NaN or infinite values at the end of"
        where = f"epoch {state.epoch} (epochs 0..{state.epochs - 1})"
    else:
        what = f"the mini-batch loss is {loss}"
        where = (f"at epoch {state.epoch} (epochs 0..{state.epochs - 1}), batch {batch} "
                 f"(batches 0..{state.steps_per_epoch - 1})")
    where += f", after {state.step} optimizer step(s)"
    if state.step == 0:
        cause = ("before any step of this fit: the model's own weights or biases already hold "
                 "NaN or infinite values (check np.isfinite(layer.W) for each layer)")
        outcome = "No step was taken: the model is as it was"
    else:
        _restore(state.model, saved)
        scheduled = f" (scaled to {rate:g} by lr_schedule)" if rate != lr else ""
        cause = (f"the previous batch's loss was {state.batch_loss:.4g}; lr={lr:g}{scheduled} is "
                 f"too large for this model and data: lower lr (try lr={lr / 10:g}) or "
                 f"standardise X")
        outcome = (f"Every layer's W and b are put back as they were before optimizer step "
                   f"{state.step}, the step after which they are non-finite or overflow the "
                   f"forward pass (pruned weights stay 0; "
                   f"the optimizer's moments keep that step)")
    return DivergenceError(f"training diverged: {what} {where}; {cause}. {outcome}; the "
                           f"epochs completed are in the error's .history",
                           epoch=state.epoch, step=state.step, loss=loss, history=state.history)


def _save(model, saved):
    """Copy every layer's ``(W, b)`` into the preallocated `saved` (resized if a callback
    changed a layer's shape); the copy ``_diverged`` puts back."""
    if len(saved) != len(model.layers):
        saved[:] = [(None, None)] * len(model.layers)
    for i, layer in enumerate(model.layers):
        W, b = saved[i]
        if W is None or W.shape != layer.W.shape or b.shape != layer.b.shape:
            saved[i] = W, b = np.empty_like(layer.W), np.empty_like(layer.b)
        np.copyto(W, layer.W)
        np.copyto(b, layer.b)


def _restore(model, saved):
    for layer, (W, b) in zip(model.layers, saved):
        np.copyto(layer.W, W)
        np.copyto(layer.b, b)
    model.apply_masks()  # a callback after the saved step may have pruned more


def _finite(model):
    return all(np.isfinite(layer.W).all() and np.isfinite(layer.b).all()
               for layer in model.layers)


class _FloatErrors:
    """numpy's overflow/invalid-value reports of one forward-backward pass, held back: they
    are dropped when a DivergenceError follows (it says more), and warned otherwise."""

    def __init__(self):
        self.seen = []
        self._state = None

    def _record(self, kind, flag):
        self.seen.append(kind)

    def __enter__(self):
        self.seen.clear()
        self._state = np.errstate(over="call", invalid="call", call=self._record)
        self._state.__enter__()
        return self

    def __exit__(self, *exc):
        return self._state.__exit__(*exc)

    def warn(self):
        for kind in dict.fromkeys(self.seen):
            warnings.warn(f"{kind} encountered in the forward or backward pass of fit",
                          RuntimeWarning, stacklevel=3)


@dataclass
class TrainState:
    """The live state of a ``fit`` call, handed to callbacks.

    Attributes
    ----------
    model : MLP
    optimizer : Optimizer
    epoch : int
        Current epoch, counted from 0.
    step : int
        Optimizer steps taken so far (mini-batches), counted from 0 before the first.
    steps_per_epoch, total_steps : int
    history : History
    batch_loss : float
        Loss of the latest mini-batch.
    rng : np.random.Generator
        The run's generator; callbacks that need randomness draw from it.
    batch : tuple (X_batch, y_batch) or None
        The latest mini-batch.
    grads : list of (dW, db) or None
        Its gradients, zero at pruned positions as :meth:`MLP.gradients` gives them,
        valid in ``on_gradients`` only (the optimizer step overwrites them).
    """

    model: object
    optimizer: object
    epochs: int
    steps_per_epoch: int
    history: History
    rng: np.random.Generator
    epoch: int = 0
    step: int = 0
    batch_loss: float = float("nan")
    stop: bool = False
    batch: tuple = None
    grads: list = None

    @property
    def total_steps(self):
        return self.epochs * self.steps_per_epoch


def fit(model, X, y, *, epochs, batch_size=128, optimizer="adam", lr=1e-3, weight_decay=0.0,
        seed=0, validation_data=None, callbacks=(), progress=None, lr_schedule=None,
        teacher=None, temperature=4.0, distill_weight=0.5):
    """Train `model` in place with mini-batch gradient descent.

    Parameters
    ----------
    model : MLP
        Trained in place; its masks are honoured (pruned weights stay 0.0).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``; for a regressor, real targets
        of shape (n_samples,) or (n_samples, n_outputs).
    epochs : int
        Passes over the data, >= 1.
    batch_size : int
        Samples per step, >= 1 (the last batch of an epoch may be smaller).
    optimizer : {"adam", "sgd"} or Optimizer
        A name (built with `lr` and `weight_decay`; "sgd" uses momentum 0.9) or
        a ready optimizer object, used as it is.
    lr : float
        Learning rate, > 0.
    weight_decay : float
        L2 coefficient, >= 0.
    seed : int or np.random.Generator
        Seeds the shuffling of every epoch.
    validation_data : tuple (X_val, y_val), optional
        Evaluated at the end of each epoch.
    callbacks : list or tuple of Callback
        Called in order; pass ``[cb]`` for a single one.
    progress : bool or None
        Show a progress bar over epochs. None shows it in a Jupyter notebook (a
        widget that appears once the cell has trained for a second and disappears
        at the end, leaving nothing that nbval compares) and on a terminal (tqdm on
        standard error), not in logs; True shows it on standard error outside
        notebooks too.
    lr_schedule : None, "cosine", "step", LRSchedule or callable
        Before every step the optimizer's rate is ``lr * lr_schedule(epoch, epochs)``
        (``epoch`` a float); see :mod:`minprune.lr_schedule`. "cosine" decays to 0
        over the run, "step" divides by 10 at 50% and 75% of it. The optimizer's
        own rate is restored when ``fit`` returns.
    teacher : MLP, optional
        Knowledge distillation (Hinton et al., 2015): the loss becomes
        ``(1 - distill_weight) * cross-entropy + distill_weight * T**2 * KL(teacher_T || student_T)``
        with both networks' logits divided by ``T = temperature``
        (:mod:`minprune.distill`). Same input and output widths as `model`.
    temperature : float
        ``T > 0``; used only with a teacher.
    distill_weight : float
        In [0, 1]; used only with a teacher.

    Returns
    -------
    History
        ``loss`` is the loss minimised: cross-entropy, or the distillation loss.

    Raises
    ------
    DivergenceError
        A ``ValueError`` raised when a mini-batch loss becomes NaN or infinite
        (a learning rate too large, usually). It names `lr`, the epoch and the
        step; the weights and biases are put back as they were before the step
        that made them non-finite.

    Notes
    -----
    An optimizer object keeps moments for the model it steps: a second ``fit``
    of the same model continues them, and a different model starts it afresh
    (see :mod:`minprune.optim`).

    BLAS runs on one thread during ``fit`` (callbacks included), which is the
    fastest and steadiest choice for matrices this small; set
    ``minprune.blas.BLAS_THREADS`` to another int, or None, to change that
    (it also governs ``forward``, ``predict`` and ``score``).
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a minprune.MLP, got {type(model).__name__}")
    X = validate_features(X, "X", n_features=model.n_features, dtype=model.dtype)
    y = model._validate_y(y, "y", X.shape[0])
    epochs = validate_int(epochs, "epochs", minimum=1)
    batch_size = validate_int(batch_size, "batch_size", minimum=1)
    opt = make_optimizer(optimizer, lr, weight_decay)
    rng = validate_seed(seed)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a tuple (X_val, y_val), got "
                            f"{type(validation_data).__name__}")
        X_val = validate_features(validation_data[0], "validation_data[0]",
                               n_features=model.n_features, dtype=model.dtype)
        y_val = model._validate_y(validation_data[1], "validation_data[1]", X_val.shape[0])
        validation_data = (X_val, y_val)
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list or tuple of minprune.Callback objects "
                        f"(use [cb] for one), got {type(callbacks).__name__}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must hold minprune.Callback objects, got {type(cb).__name__}")
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None (on in notebooks and when "
                        f"standard error is a terminal), got {progress!r}")
    mode = _progress.where() if progress is None or progress else None
    if progress and mode is None:
        mode = "terminal"
    lr_schedule = validate_lr_schedule(lr_schedule)
    validate_distillation(temperature, distill_weight)  # a bad value is an error, teacher or not
    distill = None
    if teacher is not None:
        if model.objective != "cross_entropy":
            raise ValueError(f"teacher distils class probabilities, so model must be a "
                             f"classifier (objective='cross_entropy'), got "
                             f"objective={model.objective!r}")
        distill = Distillation(teacher, model, X, temperature, distill_weight)

    base_lr = opt.lr
    try:
        with _blas_limit(), _progress.Progress(epochs, "fit", "epoch", mode) as bar:
            return _train(model, X, y, epochs, batch_size, opt, rng, validation_data, callbacks,
                          bar, lr_schedule, distill)
    finally:
        opt.lr = base_lr


def _train(model, X, y, epochs, batch_size, opt, rng, validation_data, callbacks, bar,
           lr_schedule=None, distill=None):
    """The training loop of ``fit``, on checked arguments."""
    n = X.shape[0]
    steps_per_epoch = -(-n // batch_size)
    history = History()
    classify = model.objective == "cross_entropy"  # a regressor has no accuracy
    state = TrainState(model, opt, epochs, steps_per_epoch, history, rng)
    model.apply_masks()
    base_lr = opt.lr
    for cb in callbacks:
        cb.on_train_begin(state)

    # The optimizer step zeroes the gradient at pruned positions itself; masking it here
    # too is needed only when a callback reads it (TrainState.grads).
    mask_grads = bool(callbacks)
    saved = []          # W and b before the latest step: what a divergence puts back
    float_errors = _FloatErrors()
    for epoch in range(epochs):
        state.epoch = epoch
        for cb in callbacks:
            cb.on_epoch_begin(state)
        order = rng.permutation(n)
        Xs, ys = X[order], y[order]  # one copy per epoch, then contiguous slices
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch_size):
            xb, yb = Xs[start:start + batch_size], ys[start:start + batch_size]
            with float_errors:
                activations = model._forward(xb)
                if distill is None:
                    loss, grads, probs = model._backward(activations, yb, mask_grads=mask_grads)
                else:
                    loss, grads, probs = distill.backward(model, activations, yb,
                                                          order[start:start + batch_size])
            # One float test per batch (the loss is already here) catches a previous step
            # that made the weights non-finite; the parameters saved before it go back.
            if not math.isfinite(loss):
                raise _diverged(state, loss, start // batch_size, base_lr, opt.lr, saved)
            if float_errors.seen:
                float_errors.warn()
            state.batch, state.grads = (xb, yb), grads
            for cb in callbacks:
                cb.on_gradients(state)
            if lr_schedule is not None:
                opt.lr = base_lr * lr_factor(lr_schedule, state.step / steps_per_epoch, epochs)
            _save(model, saved)
            opt.step(model, grads)
            state.grads = None
            state.step += 1
            state.batch_loss = loss
            loss_sum += loss * len(yb)
            if classify:
                correct += int(np.count_nonzero(probs.argmax(axis=1) == yb))
            for cb in callbacks:
                cb.on_batch_end(state)
        if not _finite(model):  # the epoch's last step: no next batch has checked it
            raise _diverged(state, float("nan"), None, base_lr, opt.lr, saved)
        history.loss.append(loss_sum / n)
        if classify:
            history.accuracy.append(correct / n)
        if validation_data is not None:
            X_val, y_val = validation_data
            val_loss, _, out = _OBJECTIVE[model.objective](model._forward(X_val)[-1], y_val)
            if classify:
                history.val_accuracy.append(float(np.mean(out.argmax(axis=1) == y_val)))
            history.val_loss.append(val_loss)
        history.sparsity.append(sparsity(model))
        bar.update(f"loss={history.loss[-1]:.4f}")
        for cb in callbacks:
            cb.on_epoch_end(state)
        if state.stop:
            break
    for cb in callbacks:
        cb.on_train_end(state)
    return history

