"""Recipes that need a learning-rate schedule: learning-rate rewinding and dense-sparse-dense.

* :func:`lr_rewinding` (Renda, Frankle & Carbin, 2020): after each pruning round,
  retrain the surviving weights (where they are, not rewound) with the learning
  rates of the *last* ``t`` epochs of the original training schedule, large rates
  first, instead of fine-tuning at the small final rate.
* :func:`dense_sparse_dense` (Han et al., 2017): train, prune and retrain the sparse
  network, then give every pruned connection back (starting at 0.0) and train the
  dense network again at a lower rate. The result is dense: DSD uses pruning as a
  regulariser, to reach a better dense model, not a smaller one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import validate_float, validate_int
from .datasets import validate_dataset
from .lr_schedule import LRSchedule, validate_lr_schedule
from .metrics import sparsity as _sparsity
from .model import validate_model
from .pruning.history import commit_masks
from .pruning.weights import prune_weights
from .schedules import _pct, _seeds, iterative_prune
from .training import History, fit


def lr_rewinding(model, target_sparsity, data, *, train_epochs, retrain_epochs, rounds=1,
                 lr=1e-3, lr_schedule="cosine", scope="global", seed=0, **fit_kwargs):
    """Prune by magnitude and retrain with the rewound learning-rate schedule. Changes `model`.

    `model` was trained for `train_epochs` epochs with `lr` and `lr_schedule`. Each of
    `rounds` rounds prunes the same fraction of the surviving weights, then trains
    for `retrain_epochs` epochs along epochs ``train_epochs - retrain_epochs`` to
    ``train_epochs`` of that schedule. With ``lr_schedule=None`` (a constant rate)
    this is ordinary fine-tuning at `lr`, the comparison Renda et al. make.

    Parameters
    ----------
    model : MLP
        Trained; pruned and retrained in place.
    target_sparsity : float
        Final fraction of weights pruned, in [0, 1].
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
    train_epochs : int
        Length of the original training run, >= 1.
    retrain_epochs : int
        Epochs of retraining after each round, in [1, train_epochs].
    rounds : int
        Pruning rounds, >= 1.
    lr : float
        The original run's base learning rate.
    lr_schedule : "cosine", "step", LRSchedule or None
        The original run's schedule.
    scope : {"global", "layer"}
    seed : int
    **fit_kwargs
        Passed to :func:`minprune.fit` (``batch_size``, ``optimizer``, ...).

    Returns
    -------
    IterativeResult
        Accuracy right after each cut and after each retraining.
    """
    train_epochs = validate_int(train_epochs, "train_epochs", minimum=1)
    retrain_epochs = validate_int(retrain_epochs, "retrain_epochs", minimum=1,
                                  maximum=train_epochs)
    schedule = validate_lr_schedule(lr_schedule)
    if isinstance(schedule, LRSchedule):
        schedule = schedule.anchored(train_epochs).rewound(train_epochs - retrain_epochs)
    elif schedule is not None:
        raise TypeError("lr_schedule must be 'cosine', 'step', a minprune LRSchedule or None "
                        "here: rewinding needs a schedule that can be replayed from an epoch")
    return iterative_prune(model, target_sparsity, data, rounds=rounds,
                           finetune_epochs=retrain_epochs, scope=scope, lr=lr, seed=seed,
                           lr_schedule=schedule, **fit_kwargs)


@dataclass(repr=False)
class DSDResult:
    """Test accuracy after each phase of :func:`dense_sparse_dense` (fractions in [0, 1]).

    Attributes
    ----------
    dense_accuracy, pruned_accuracy, sparse_accuracy, redense_accuracy : float
        The model given, right after the cut, after sparse training, after the final
        dense training.
    sparsity : float
        Sparsity during the sparse phase.
    sparse_history, dense_history : History
    """

    dense_accuracy: float
    pruned_accuracy: float
    sparse_accuracy: float
    redense_accuracy: float
    sparsity: float
    sparse_history: History
    dense_history: History

    def __repr__(self):
        return (f"DSDResult(test accuracy: dense {_pct(self.dense_accuracy)}, cut to "
                f"{_pct(self.sparsity)} sparsity {_pct(self.pruned_accuracy)}, sparse-trained "
                f"{_pct(self.sparse_accuracy)}, re-dense {_pct(self.redense_accuracy)})")


def dense_sparse_dense(model, data, *, sparsity=0.5, sparse_epochs=10, dense_epochs=10,
                       lr=1e-3, dense_lr=None, scope="layer", seed=0, **fit_kwargs):
    """Dense-sparse-dense training (Han et al., 2017). Changes `model`.

    1. prune `sparsity` of the weights of the trained `model` by magnitude;
    2. train the sparse network for `sparse_epochs` epochs at `lr`;
    3. restore every connection (the pruned ones restart at 0.0; the step is
       recorded in ``model.mask_history``) and train the dense network for
       `dense_epochs` epochs at `dense_lr`.

    Parameters
    ----------
    model : MLP
        A trained dense model.
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
    sparsity : float in (0, 1)
    sparse_epochs, dense_epochs : int
        >= 1.
    lr : float
        Learning rate of the sparse phase.
    dense_lr : float, optional
        Learning rate of the final dense phase; default ``lr / 10``, as in the paper.
    scope : {"layer", "global"}
    seed : int
    **fit_kwargs
        Passed to :func:`minprune.fit` for both phases.

    Returns
    -------
    DSDResult
    """
    validate_model(model)
    X_train, y_train, X_test, y_test = validate_dataset(data)
    amount = validate_float(sparsity, "sparsity", low=0.0, high=1.0, high_inclusive=False)
    sparse_epochs = validate_int(sparse_epochs, "sparse_epochs", minimum=1)
    dense_epochs = validate_int(dense_epochs, "dense_epochs", minimum=1)
    dense_lr = lr / 10 if dense_lr is None else dense_lr
    sparse_seed, dense_seed = _seeds(seed, 2)
    dense = model.score(X_test, y_test)
    prune_weights(model, amount, criterion="magnitude", scope=scope)
    pruned, s = model.score(X_test, y_test), _sparsity(model)
    sparse_history = fit(model, X_train, y_train, epochs=sparse_epochs, lr=lr, seed=sparse_seed,
                         **fit_kwargs)
    sparse = model.score(X_test, y_test)
    commit_masks(model, [np.ones(layer.W.shape, dtype=bool) for layer in model.layers],
                 label="dense-sparse-dense: every connection restored at 0.0")
    dense_history = fit(model, X_train, y_train, epochs=dense_epochs, lr=dense_lr,
                        seed=dense_seed, **fit_kwargs)
    return DSDResult(dense, pruned, sparse, model.score(X_test, y_test), s, sparse_history,
                     dense_history)
