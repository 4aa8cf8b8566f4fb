"""A scikit-learn estimator that trains, prunes and fine-tunes a minprune MLP.

:class:`PrunedMLPClassifier` wraps the whole recipe (dense training, a pruning
schedule, fine-tuning) in ``fit``, so a pruned network drops into ``Pipeline``,
``GridSearchCV`` and ``cross_val_score`` like any other classifier.
:func:`sparsity_sweep` cross-validates it over a list of sparsities through
joblib, so ``with joblib.parallel_backend(...)`` sends the fits wherever joblib
can (processes, a dask or ray cluster) without changing a line.
"""
from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_choice, check_float, check_int, check_seed
from ..metrics import sparsity as _measured_sparsity
from ..model import ACTIVATIONS, MLP
from ..pruning.criteria import DEFAULT_CRITERION, KINDS, names
from ..pruning.neurons import prune_neurons
from ..pruning.rules import SCOPES, check_reachable
from ..pruning.weights import prune_weights
from ..schedules import GradualPruning, iterative_prune
from ..training import History, _blas_limit, fit

SCHEDULES = ("oneshot", "iterative", "gradual")


class PrunedMLPClassifier(ClassifierMixin, BaseEstimator):
    """An MLP classifier trained, pruned and fine-tuned inside ``fit``.

    ``fit`` trains a dense :class:`minprune.MLP` for `epochs`, prunes it to
    `sparsity` following `schedule`, and fine-tunes it for `finetune_epochs`, all
    with Adam on mini-batches of softmax cross-entropy, in float64. BLAS runs as
    in :func:`minprune.fit` (one thread by default) in ``fit`` and ``predict_proba``.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Width of each hidden layer; at least one.
    activation : {"relu", "tanh", "sigmoid", "identity"}, default="relu"
    sparsity : float in [0, 1), default=0.5
        Target fraction pruned. For ``kind="weights"`` the fraction of all weights
        (``scope="global"``) or of each layer's weights (``scope="layer"``); for
        ``kind="neurons"`` the fraction of hidden units.
    kind : {"weights", "neurons"}, default="weights"
        Unstructured weight pruning (:func:`minprune.prune_weights`) or whole hidden
        units (:func:`minprune.prune_neurons`, schedule "oneshot" only).
    criterion : str or None, default=None
        Importance criterion; None picks "magnitude" for weights, "l2" for neurons.
        Weights: "magnitude", "random", "taylor", "snip", "obd". Neurons: "l1",
        "l2", "activation", "apoz", "taylor", "random". Criteria that need data
        score on the training set.
    scope : {"global", "layer"}, default="global"
        Rank entries across all layers (each layer keeps at least 1% of its weights
        and one unit), or prune each layer by the same fraction. A `sparsity` the
        global floor makes unreachable is refused by ``fit`` before any training
        (see :func:`minprune.pruning.rules.max_sparsity`).
    schedule : {"oneshot", "iterative", "gradual"}, default="oneshot"
        ``"oneshot"``: prune once after dense training, then fine-tune.
        ``"iterative"``: `n_rounds` rounds of prune-then-fine-tune, each pruning the
        same fraction of what is left (Han et al. 2015); the fine-tuning epochs are
        shared out between the rounds. ``"gradual"``: sparsity rises along the cubic
        schedule of Zhu & Gupta (2017) in `n_rounds` steps during the first half of
        fine-tuning; the second half recovers. All three train for the same
        ``epochs + finetune_epochs`` epochs, so they compare at equal cost.
    n_rounds : int, default=5
        Pruning steps of the "iterative" and "gradual" schedules (ignored by "oneshot").
    epochs : int, default=20
        Dense training epochs before any pruning, >= 1.
    finetune_epochs : int, default=10
        Epochs of training once pruning begins, >= 0 (>= 1 for "gradual").
    batch_size : int, default=32
        Samples per Adam step.
    learning_rate : float, default=1e-3
        Adam step size, > 0.
    weight_decay : float, default=0.0
        L2 coefficient, >= 0.
    random_state : int, np.random.Generator or None, default=None
        Seeds the initial weights, the shuffling and random criteria. An int gives
        the same coefficients and masks, bit for bit, on every fit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit`` (any sortable type, strings included).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names (a pandas DataFrame).
    model_ : minprune.MLP
        The fitted, pruned network; ``model_.mask_history`` records every pruning step.
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (fan_in, fan_out); pruned weights are exactly 0.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (fan_out,).
    masks_ : list of bool ndarray
        ``masks_[i]`` of shape (fan_in, fan_out); False where a weight is pruned.
    sparsity_ : float
        Measured fraction of weights pruned (from ``masks_``; biases not counted).
        ``coefs_``, ``intercepts_``, ``masks_`` and ``sparsity_`` read ``model_``,
        so they stay true if you go on pruning ``model_`` yourself.
    history_ : minprune.History
        Per-epoch loss, accuracy and sparsity of the training set, all phases in order.

    Notes
    -----
    ``fit`` takes no ``sample_weight``: the training loop weighs every sample
    equally, and scikit-learn's convention is to leave the argument out rather
    than accept and ignore it. A single class in ``y`` raises ``ValueError``.

    ``sklearn.utils.estimator_checks.check_estimator`` passes with every check:
    none is listed as an expected failure and no tag differs from a classifier's
    defaults. (Far from the defaults, e.g. ``sparsity=0.95`` on the 2-64-3 network
    the checks build for 2-feature blobs, ``check_classifiers_train`` fails as it
    should: the few weights left cannot reach its 0.83 training accuracy.)

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = PrunedMLPClassifier(sparsity=0.9, random_state=0).fit(X / 16, y)
    >>> round(clf.sparsity_, 2)
    0.9
    """

    def __init__(self, hidden_layer_sizes=(64,), *, activation="relu", sparsity=0.5,
                 kind="weights", criterion=None, scope="global", schedule="oneshot", n_rounds=5,
                 epochs=20, finetune_epochs=10, batch_size=32, learning_rate=1e-3,
                 weight_decay=0.0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.sparsity = sparsity
        self.kind = kind
        self.criterion = criterion
        self.scope = scope
        self.schedule = schedule
        self.n_rounds = n_rounds
        self.epochs = epochs
        self.finetune_epochs = finetune_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    # ------------------------------------------------------------------- fitting
    def fit(self, X, y):
        """Train a dense MLP, prune it, fine-tune it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct ones.

        Returns
        -------
        self
        """
        with _blas_limit():  # the package's BLAS policy, also for the scoring between fits
            return self._fit(X, y)

    def _fit(self, X, y):
        params = self._checked_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold at least 2 classes to train a classifier, got 1 class "
                             f"({self.classes_[0]!r})")
        init_rng, train_rng, prune_rng = check_seed(self.random_state, "random_state").spawn(3)

        model = MLP([X.shape[1], *params["hidden"], len(self.classes_)],
                    activation=self.activation, seed=init_rng, dtype=np.float64)
        # before any training
        check_reachable(model, params["sparsity"], "sparsity", kind=params["kind"],
                        scope=params["scope"], min_density_is_argument=False)
        train = dict(batch_size=params["batch_size"], lr=params["learning_rate"],
                     weight_decay=params["weight_decay"], seed=train_rng, progress=False)
        histories = [fit(model, X, y_index, epochs=params["epochs"], **train)]
        histories += self._prune_and_finetune(model, X, y_index, params, train, prune_rng)

        self.model_ = model
        self.history_ = _concatenate(histories)
        return self

    def _checked_params(self):
        """Every constructor parameter checked, with errors that name it."""
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__") or len(hidden) == 0:
            raise TypeError("hidden_layer_sizes must be an int or a non-empty tuple of ints such "
                            f"as (64,) or (128, 64), got {hidden!r}")
        hidden = [check_int(h, f"hidden_layer_sizes[{i}]", minimum=1) for i, h in enumerate(hidden)]
        check_choice(self.activation, "activation", ACTIVATIONS)
        kind = check_choice(self.kind, "kind", KINDS)
        criterion = DEFAULT_CRITERION[kind] if self.criterion is None else self.criterion
        allowed = names(kind)
        if not isinstance(criterion, str) or criterion not in allowed:
            raise ValueError(f"criterion must be None or one of {sorted(allowed)} for "
                             f"kind={kind!r}, got {criterion!r}")
        schedule = check_choice(self.schedule, "schedule", SCHEDULES)
        finetune_epochs = check_int(self.finetune_epochs, "finetune_epochs", minimum=0)
        n_rounds = check_int(self.n_rounds, "n_rounds", minimum=1)
        if schedule != "oneshot" and kind != "weights":
            raise ValueError(f"schedule={schedule!r} prunes weights only; use kind='weights' or "
                             f"schedule='oneshot', got kind={kind!r}")
        if schedule == "gradual" and finetune_epochs == 0:
            raise ValueError("schedule='gradual' prunes while fine-tuning, so finetune_epochs must "
                             "be >= 1, got 0")
        if schedule == "iterative" and finetune_epochs < n_rounds:
            raise ValueError(f"schedule='iterative' fine-tunes after each of its "
                             f"n_rounds={n_rounds} rounds, so finetune_epochs must be >= "
                             f"n_rounds, got {finetune_epochs}")
        return dict(
            hidden=hidden, kind=kind, criterion=criterion, schedule=schedule,
            finetune_epochs=finetune_epochs,
            sparsity=check_float(self.sparsity, "sparsity", low=0.0, high=1.0,
                                 low_inclusive=True, high_inclusive=False),
            scope=check_choice(self.scope, "scope", SCOPES),
            n_rounds=n_rounds,
            epochs=check_int(self.epochs, "epochs", minimum=1),
            batch_size=check_int(self.batch_size, "batch_size", minimum=1),
            learning_rate=check_float(self.learning_rate, "learning_rate", low=0.0),
            weight_decay=check_float(self.weight_decay, "weight_decay", low=0.0,
                                     low_inclusive=True),
        )

    def _prune_and_finetune(self, model, X, y, params, train, rng):
        """Run the pruning schedule on the trained dense `model`; return the Histories after it."""
        s, epochs = params["sparsity"], params["finetune_epochs"]
        how = dict(criterion=params["criterion"], scope=params["scope"])
        if params["schedule"] == "oneshot":
            prune = prune_weights if params["kind"] == "weights" else prune_neurons
            prune(model, s, data=(X, y), seed=rng, **how)
            return [fit(model, X, y, epochs=epochs, **train)] if epochs else []

        if params["schedule"] == "gradual":
            # n_rounds pruning events along the cubic ramp, over the first half of the steps
            total = epochs * -(-len(y) // params["batch_size"])
            frequency = max(1, total // 2 // params["n_rounds"])
            end = min(total, frequency * params["n_rounds"])
            ramp = GradualPruning(s, begin_step=0, end_step=end, frequency=frequency,
                                  data=(X, y), seed=rng, **how)
            return [fit(model, X, y, epochs=epochs, callbacks=[ramp], **train)]

        # iterative: the fine-tuning epochs are shared out between the rounds. The training
        # set also stands in for iterative_prune's test part: fit keeps no held-out data.
        per_round, rest = divmod(epochs, params["n_rounds"])
        fit_kwargs = {k: v for k, v in train.items() if k not in ("lr", "seed")}
        result = iterative_prune(model, s, (X, y, X, y), rounds=params["n_rounds"],
                                 finetune_epochs=per_round, lr=train["lr"], seed=rng, **how,
                                 **fit_kwargs)
        histories = list(result.histories)
        if rest:
            histories.append(fit(model, X, y, epochs=rest, **train))
        return histories

    # ---------------------------------------------------------------- predicting
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with _blas_limit():
            return self.model_.predict_proba(X)

    def predict(self, X):
        """Predicted labels, shape (n_samples,), taken from ``classes_``."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]

    # ---------------------------------------------------------- fitted views
    @property
    def coefs_(self):
        check_is_fitted(self)
        return self.model_.coefs_

    @property
    def intercepts_(self):
        check_is_fitted(self)
        return self.model_.intercepts_

    @property
    def masks_(self):
        check_is_fitted(self)
        return self.model_.masks_

    @property
    def sparsity_(self):
        check_is_fitted(self)
        return _measured_sparsity(self.model_)


def _concatenate(histories):
    """One History holding the epochs of several, in order."""
    merged = History()
    for h in histories:
        for name, values in h.as_dict().items():
            getattr(merged, name).extend(values)
    return merged


# ----------------------------------------------------------------------- sweeps
@dataclass
class SparsitySweep:
    """Cross-validated scores of one estimator at several sparsities.

    Attributes
    ----------
    sparsities : ndarray of shape (n_sparsities,)
        The requested ``sparsity`` values, in the order given.
    scores : ndarray of shape (n_sparsities, n_splits)
        Test score of every fold (accuracy unless `scoring` said otherwise).
    achieved : ndarray of shape (n_sparsities, n_splits)
        Measured ``sparsity_`` of every fitted classifier.
    fit_time : ndarray of shape (n_sparsities, n_splits)
        Seconds per fit.
    """

    sparsities: np.ndarray
    scores: np.ndarray
    achieved: np.ndarray
    fit_time: np.ndarray

    @property
    def mean(self):
        """Mean score over the folds, shape (n_sparsities,)."""
        return self.scores.mean(axis=1)

    @property
    def std(self):
        """Standard deviation of the score over the folds, shape (n_sparsities,)."""
        return self.scores.std(axis=1)

    def __repr__(self):
        rows = [f"{s:>9.3f}  {a:>8.3f}  {m:.4f} +- {d:.4f}" for s, a, m, d in
                zip(self.sparsities, self.achieved.mean(axis=1), self.mean, self.std)]
        return "\n".join([f"SparsitySweep({self.scores.shape[1]} folds)",
                          " sparsity  achieved  score"] + rows)


def sparsity_sweep(estimator, X, y, sparsities, *, cv=3, scoring=None, n_jobs=None):
    """Cross-validate `estimator` at each sparsity, the fits spread out by joblib.

    One job per (sparsity, fold) pair goes to ``joblib.Parallel``, so the active
    joblib back end decides where they run: ``with joblib.parallel_backend("dask"):``
    (or "ray", "loky", ...) around the call sends them to a cluster unchanged.

    Parameters
    ----------
    estimator : PrunedMLPClassifier or Pipeline
        A pipeline must hold exactly one PrunedMLPClassifier. It is cloned, never fitted.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sparsities : sequence of float
        Values of the classifier's ``sparsity`` parameter, each in [0, 1).
    cv : int or cross-validation splitter, default=3
        As in ``cross_val_score`` (an int gives unshuffled stratified folds, so
        every sparsity sees the same splits).
    scoring : str or callable, optional
        As in ``cross_val_score``; None uses the estimator's ``score`` (accuracy).
    n_jobs : int or None
        Parallel jobs; None means 1 unless a ``joblib.parallel_backend`` context
        says otherwise, -1 means all processors.

    Returns
    -------
    SparsitySweep
    """
    param, path = _sparsity_param(estimator)
    if isinstance(sparsities, (str, bytes)) or not hasattr(sparsities, "__len__") \
            or len(sparsities) == 0:
        raise TypeError(f"sparsities must be a non-empty sequence of floats in [0, 1), "
                        f"got {sparsities!r}")
    values = np.array([check_float(s, f"sparsities[{i}]", low=0.0, high=1.0, low_inclusive=True,
                                   high_inclusive=False) for i, s in enumerate(sparsities)])
    X, y = indexable(X, y)
    splits = list(check_cv(cv, y, classifier=True).split(X, y))
    scorer = check_scoring(estimator, scoring=scoring)
    jobs = (delayed(_fit_and_score)(clone(estimator).set_params(**{param: s}), path, X, y,
                                    train, test, scorer)
            for s in values for train, test in splits)
    out = np.array(Parallel(n_jobs=n_jobs)(jobs), dtype=np.float64)
    out = out.reshape(len(values), len(splits), 3)
    return SparsitySweep(values, out[..., 0], out[..., 1], out[..., 2])


def _sparsity_param(estimator):
    """Name of the ``sparsity`` parameter in `estimator`, and the path to its classifier."""
    if isinstance(estimator, PrunedMLPClassifier):
        return "sparsity", ""
    if not hasattr(estimator, "get_params"):
        raise TypeError("estimator must be a PrunedMLPClassifier or a Pipeline holding one, got "
                        f"{type(estimator).__name__}")
    found = [name for name, value in estimator.get_params(deep=True).items()
             if isinstance(value, PrunedMLPClassifier)]
    if len(found) != 1:
        raise ValueError("estimator must hold exactly one PrunedMLPClassifier, found "
                         f"{len(found)} in {type(estimator).__name__}")
    return f"{found[0]}__sparsity", found[0]


def _fit_and_score(estimator, path, X, y, train, test, scorer):
    """Fit on `train`, score on `test`; returns (score, measured sparsity, fit seconds)."""
    start = time.perf_counter()
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train))
    seconds = time.perf_counter() - start
    clf = estimator.get_params(deep=True)[path] if path else estimator
    score = scorer(estimator, _safe_indexing(X, test), _safe_indexing(y, test))
    return score, clf.sparsity_, seconds
