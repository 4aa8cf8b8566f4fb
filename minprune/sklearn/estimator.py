"""scikit-learn estimators that train, prune and fine-tune a minprune MLP.

:class:`PrunedMLPClassifier` and :class:`PrunedMLPRegressor` take the names,
meanings and defaults of scikit-learn's ``MLPClassifier`` and ``MLPRegressor``
(Adam, ``max_iter`` epochs, the ``tol`` / ``n_iter_no_change`` stopping rule,
``early_stopping``, ``alpha``), so a scikit-learn user can swap one in and get
the same model at ``sparsity=0``. The pruning parameters come on top: after the
dense training has stopped, a schedule prunes the network and fine-tunes it
under the same stopping rule. :func:`sweep` cross-validates one over any grid of
settings through joblib, so ``with joblib.parallel_backend("dask"):`` sends
the fits to a Dask cluster without changing a line.
"""
from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv, train_test_split
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from .._table import html_table, text_table
from .._validation import validate_int, validate_seed
from ..metrics import sparsity as _measured_sparsity
from ..model import MLP, softmax
from ..optim import Adam
from ..pruning.criteria import DEFAULT_CRITERION, KINDS, names
from ..pruning.neurons import prune_neurons
from ..pruning.rules import SCOPES, validate_reachable
from ..schedules import GradualPruning, _prune_to_sparsity, _round_targets
from ..training import Callback, History, _blas_limit, fit
from .interop import _FROM_SKLEARN

SCHEDULES = ("oneshot", "iterative", "gradual")

_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer (at least one), as in scikit-learn.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers, scikit-learn's names ("logistic" is the
        sigmoid). Initial weights and biases are drawn as scikit-learn draws them
        (Glorot-uniform).
    alpha : float, default=0.0001
        Strength of the L2 penalty, as in scikit-learn: each mini-batch adds
        ``alpha / (2 * batch_size) * ||W||^2`` to its loss. (minprune's optimizer
        also applies it to the biases, which scikit-learn does not.)
    batch_size : int or "auto", default="auto"
        Samples per Adam step; "auto" is ``min(200, n_samples)``. Larger than the
        training set: clipped to it, with a warning.
    learning_rate_init : float, default=0.001
        Adam step size (beta_1=0.9, beta_2=0.999, epsilon=1e-8, scikit-learn's).
    max_iter : int, default=200
        Maximum number of epochs of dense training.
    tol : float, default=1e-4
        Training stops when the loss (or, with `early_stopping`, the validation
        score) has not improved by at least `tol` for `n_iter_no_change`
        consecutive epochs: scikit-learn's rule, in the dense training and again
        in every fine-tuning phase.
    verbose : bool, default=False
        Print the loss of every epoch (and the validation score), as scikit-learn does.
    early_stopping : bool, default=False
        Hold out `validation_fraction` of the training data (stratified for a
        classifier), stop on its score (accuracy, or R^2 for a regressor) and keep
        the weights of the best epoch of each phase.
    validation_fraction : float, default=0.1
        Fraction held out when `early_stopping` is True, in [0, 1).
    n_iter_no_change : int, default=10
        Epochs without improvement before a phase stops.
    random_state : int, RandomState instance, np.random.Generator or None, default=None
        Seeds the initial weights, the shuffling, the validation split and random
        criteria. An int gives the same coefficients and masks, bit for bit, on every fit.
    sparsity : float in [0, 1), default=0.5
        Target fraction pruned. For ``kind="weights"`` the fraction of all weights
        (``scope="global"``) or of each layer's weights (``scope="layer"``); for
        ``kind="neurons"`` the fraction of hidden units. 0 trains a dense network,
        exactly like scikit-learn's estimator (no fine-tuning phase).
    kind : {"weights", "neurons"}, default="weights"
        Unstructured weight pruning or whole hidden units
        (:func:`minprune.prune_neurons`, schedule "oneshot" only).
    criterion : str or None, default=None
        Importance criterion; None picks "magnitude" for weights, "l2" for neurons.
        Weights: "magnitude", "random", "taylor", "snip", "obd". Neurons: "l1",
        "l2", "activation", "apoz", "taylor", "random". Criteria that need data
        score on the training set.
    scope : {"global", "layer"}, default="global"
        Rank entries across all layers (each layer keeps at least 1% of its weights
        and one unit), or prune each layer by the same fraction. A `sparsity` the
        global floor makes unreachable is refused by ``fit`` before any training.
    schedule : {"oneshot", "iterative", "gradual"}, default="oneshot"
        When pruning happens, counted in the epochs of that training. All three
        start once the dense training has stopped (converged, or `max_iter`).
        ``"oneshot"``: prune to `sparsity` at once, then fine-tune.
        ``"iterative"``: `n_rounds` rounds of prune-then-fine-tune, each pruning the
        same fraction of what is left (Han et al. 2015); each round fine-tunes for
        at most ``finetune_max_iter // n_rounds`` epochs.
        ``"gradual"``: sparsity rises along the cubic schedule of Zhu & Gupta (2017)
        in `n_rounds` steps over the first ``finetune_max_iter // 2`` epochs, then
        the network recovers.
    n_rounds : int, default=5
        Pruning steps of the "iterative" and "gradual" schedules (ignored by "oneshot").
    finetune_max_iter : int, default=200
        The fine-tuning budget: maximum epochs of training once pruning begins,
        shared by the schedule's phases, each stopped early by the same `tol` /
        `n_iter_no_change` rule as the dense training (the gradual ramp never
        stops early). Ignored at ``sparsity=0``.
"""

_ATTRIBUTES_DOC = """
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names (a pandas DataFrame).
    model_ : minprune.MLP
        The fitted, pruned network; ``model_.mask_history`` records every pruning step.
    n_iter_ : int
        Epochs run in all, dense training and fine-tuning (``len(loss_curve_)``).
    n_dense_iter_ : int
        Epochs of dense training, before the first pruning step.
    loss_curve_ : list of float
        Mean training loss of every epoch, the L2 term included, as scikit-learn's.
    best_loss_ : float or None
        Lowest loss of the last phase; None with `early_stopping`.
    validation_scores_ : list of float or None
        Score on the held-out data after every epoch; None without `early_stopping`.
    best_validation_score_ : float or None
        Best of `validation_scores_` in the last phase (the weights kept come from
        that epoch); None without `early_stopping`.
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
        Per-epoch training loss (without the L2 term), accuracy (classifier) and
        sparsity, all phases in order.
"""


class _BasePrunedMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, training, pruning."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_FROM_SKLEARN))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "random_state": ["random_state", np.random.Generator],
        "sparsity": [Interval(Real, 0, 1, closed="left")],
        "kind": [StrOptions(set(KINDS))],
        "criterion": [str, None],  # which names: the registry's, for `kind` (checked in fit)
        "scope": [StrOptions(set(SCOPES))],
        "schedule": [StrOptions(set(SCHEDULES))],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "finetune_max_iter": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, alpha=0.0001,
                 batch_size="auto", learning_rate_init=0.001, max_iter=200, tol=1e-4,
                 verbose=False, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, random_state=None, sparsity=0.5, kind="weights",
                 criterion=None, scope="global", schedule="oneshot", n_rounds=5,
                 finetune_max_iter=200):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.sparsity = sparsity
        self.kind = kind
        self.criterion = criterion
        self.scope = scope
        self.schedule = schedule
        self.n_rounds = n_rounds
        self.finetune_max_iter = finetune_max_iter

    # ------------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train a dense MLP as scikit-learn does, then prune and fine-tune it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for the regressor)

        Returns
        -------
        self
        """
        with _blas_limit():  # the package's BLAS policy, also for the scoring between fits
            return self._fit(X, y)

    def _fit(self, X, y):
        hidden, criterion = self._validate_combinations()
        X, y, n_outputs = self._validate_Xy(X, y)
        init_rng, train_rng, prune_rng, split_rng = _generator(self.random_state).spawn(4)
        model = MLP([X.shape[1], *hidden, n_outputs], activation=_FROM_SKLEARN[self.activation],
                    seed=init_rng, dtype=X.dtype, objective=self._objective)
        _glorot_like_sklearn(model, self.activation, init_rng)
        validate_reachable(model, self.sparsity, "sparsity", kind=self.kind, scope=self.scope,
                        min_density_is_argument=False)  # before any training

        X_val = y_val = None
        if self.early_stopping:
            X, X_val, y, y_val = self._validation_split(X, y, split_rng)
        batch_size = _batch_size(self.batch_size, len(X))
        run = _Run(self, model, X, y, X_val, y_val, batch_size, train_rng)
        run.phase(self.max_iter, "max_iter")
        self.n_dense_iter_ = len(run.loss_curve)
        if self.sparsity > 0:
            self._prune_and_finetune(run, criterion, (X, y), prune_rng)

        self.model_ = model
        self.history_ = run.history
        self.n_iter_ = len(run.loss_curve)
        self.loss_curve_ = run.loss_curve
        self.best_loss_ = None if self.early_stopping else run.best
        self.validation_scores_ = run.validation_scores if self.early_stopping else None
        self.best_validation_score_ = run.best if self.early_stopping else None
        return self

    def _validate_combinations(self):
        """What ``_parameter_constraints`` cannot say: element checks and parameter pairs."""
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if not hidden:
            raise ValueError("hidden_layer_sizes must hold at least one layer width, such as "
                             f"(100,) or (128, 64), got {self.hidden_layer_sizes!r}")
        hidden = [validate_int(h, f"hidden_layer_sizes[{i}]", minimum=1)
                  for i, h in enumerate(hidden)]
        criterion = DEFAULT_CRITERION[self.kind] if self.criterion is None else self.criterion
        allowed = names(self.kind)
        if criterion not in allowed:
            raise ValueError(f"criterion must be None or one of {sorted(allowed)} for "
                             f"kind={self.kind!r}, got {criterion!r}")
        if self.schedule != "oneshot" and self.kind != "weights":
            raise ValueError(f"schedule={self.schedule!r} prunes weights only; use kind='weights' "
                             f"or schedule='oneshot', got kind={self.kind!r}")
        least = {"oneshot": 0, "gradual": 2, "iterative": self.n_rounds}[self.schedule]
        if self.sparsity > 0 and self.finetune_max_iter < least:
            raise ValueError(f"schedule={self.schedule!r} needs finetune_max_iter >= {least} "
                             f"(n_rounds={self.n_rounds}), got {self.finetune_max_iter}")
        return hidden, criterion

    def _validation_split(self, X, y, rng):
        stratify = y if self._objective == "cross_entropy" else None
        X, X_val, y, y_val = train_test_split(X, y, test_size=self.validation_fraction,
                                              stratify=stratify,
                                              random_state=int(rng.integers(2**31)))
        if len(X_val) < 2:
            raise ValueError(f"validation_fraction={self.validation_fraction!r} leaves "
                             f"{len(X_val)} sample(s) for early stopping on {len(y) + len(y_val)}; "
                             f"at least 2 are needed: raise validation_fraction or give more data")
        return X, X_val, y, y_val

    def _prune_and_finetune(self, run, criterion, data, rng):
        """Run the pruning schedule on the trained dense network, in `run`."""
        model, s, budget = run.model, self.sparsity, self.finetune_max_iter
        how = dict(criterion=criterion, scope=self.scope, data=data)
        if self.schedule == "oneshot":
            if self.kind == "neurons":
                prune_neurons(model, s, seed=rng, **how)
            else:
                _prune_to_sparsity(model, s, seed=rng, label="oneshot", **how)
            run.phase(budget, "finetune_max_iter")
        elif self.schedule == "iterative":
            for target in _round_targets(s, self.n_rounds, None, default_rounds=self.n_rounds):
                _prune_to_sparsity(model, target, seed=rng, label="iterative", **how)
                run.phase(budget // self.n_rounds, "finetune_max_iter")
        else:  # gradual: n_rounds events along the cubic ramp, over half the budget
            ramp_epochs = budget // 2
            steps = ramp_epochs * -(-len(data[1]) // run.batch_size)
            frequency = max(1, steps // self.n_rounds)
            ramp = GradualPruning(s, begin_step=0, end_step=min(steps, frequency * self.n_rounds),
                                  frequency=frequency, seed=rng, **how)
            optimizer = run.phase(ramp_epochs, None, callbacks=[ramp])
            run.phase(budget - ramp_epochs, "finetune_max_iter", optimizer=optimizer)

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

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        with _blas_limit():
            return self.model_._forward(self.model_._validate_X(X))[-1]


class PrunedMLPClassifier(ClassifierMixin, _BasePrunedMLP):
    __doc__ = f"""scikit-learn's ``MLPClassifier``, pruned: trained, pruned and fine-tuned in ``fit``.

    ``fit`` trains a dense :class:`minprune.MLP` exactly as ``MLPClassifier``
    with its default Adam solver does (same parameters, defaults, stopping rule,
    ``ConvergenceWarning``, ``early_stopping``), then prunes it to `sparsity`
    following `schedule` and fine-tunes it. The data's float dtype is kept
    (float64 or float32). BLAS runs on one thread in ``fit`` and ``predict_proba``,
    as in :func:`minprune.fit`.
    {_PARAMETERS_DOC}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit`` (any sortable type, strings included).
    {_ATTRIBUTES_DOC}
    Notes
    -----
    ``fit`` takes no ``sample_weight``: the training loop weighs every sample
    equally. A single class in ``y`` raises ``ValueError``. Unlike scikit-learn,
    a binary problem has two softmax outputs rather than one logistic unit
    (the same function; :func:`minprune.to_sklearn` converts it exactly).
    ``check_estimator`` passes with every check and no expected failure.
    Measured against ``MLPClassifier``: ``benchmarks/estimator_parity.py``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = PrunedMLPClassifier(sparsity=0.9, random_state=0).fit(X / 16, y)
    >>> round(clf.sparsity_, 2)
    0.9
    """

    _objective = "cross_entropy"

    def _validate_Xy(self, X, y):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold at least 2 classes to train a classifier, got 1 class "
                             f"({self.classes_[0]!r})")
        return X, y_index, len(self.classes_)

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
        return softmax(self._outputs(X))

    def predict(self, X):
        """Predicted labels, shape (n_samples,), taken from ``classes_``."""
        index = np.argmax(self._outputs(X), axis=1)  # first: NotFittedError before fit
        return self.classes_[index]


class PrunedMLPRegressor(RegressorMixin, _BasePrunedMLP):
    __doc__ = f"""scikit-learn's ``MLPRegressor``, pruned: trained, pruned and fine-tuned in ``fit``.

    The regression twin of :class:`PrunedMLPClassifier`: the same parameters and
    schedules on a :class:`minprune.MLP` with ``objective="squared_error"`` (an
    identity output and half the mean squared error, ``MLPRegressor``'s loss).
    ``score`` is R^2, as for every scikit-learn regressor.
    {_PARAMETERS_DOC}
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    {_ATTRIBUTES_DOC}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = PrunedMLPRegressor((64,), learning_rate_init=0.01, max_iter=500,
    ...                          random_state=0).fit(X, y / 100)
    >>> round(reg.sparsity_, 2)
    0.5
    """

    _objective = "squared_error"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_Xy(self, X, y):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True)
        y = np.asarray(y, dtype=X.dtype)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return X, y.reshape(len(y), self.n_outputs_), self.n_outputs_

    def predict(self, X):
        """Predictions, shape (n_samples,) for one target, else (n_samples, n_outputs)."""
        out = self._outputs(X)
        return out.ravel() if out.shape[1] == 1 else out


# ------------------------------------------------------------------- training
class _Run:
    """One ``fit`` of an estimator: its phases share the loss curve and the history.

    Each phase is one call of :func:`minprune.fit` with scikit-learn's stopping rule
    as a callback; ``phase`` returns the optimizer so a schedule can continue it.
    """

    def __init__(self, est, model, X, y, X_val, y_val, batch_size, rng):
        self.est, self.model, self.X, self.y = est, model, X, y
        self.X_val, self.y_val = X_val, y_val
        self.batch_size, self.rng = batch_size, rng
        self.history, self.loss_curve, self.validation_scores = History(), [], []
        self.best = None

    def phase(self, epochs, budget_name, *, callbacks=(), optimizer=None):
        """Train up to `epochs` epochs; stop by the rule unless `budget_name` is None.

        Warns (``ConvergenceWarning``) when the rule never stopped it, naming the budget.
        """
        est = self.est
        if epochs == 0:
            return optimizer
        if optimizer is None:
            optimizer = Adam(lr=est.learning_rate_init, weight_decay=est.alpha / self.batch_size)
        rule = _StoppingRule(self, active=budget_name is not None)
        history = fit(self.model, self.X, self.y, epochs=epochs, batch_size=self.batch_size,
                      optimizer=optimizer, seed=self.rng, callbacks=[*callbacks, rule],
                      progress=False)
        for name, values in history.as_dict().items():
            getattr(self.history, name).extend(values)
        if budget_name is not None and not rule.stopped:
            phase = "dense training" if budget_name == "max_iter" else "fine-tuning after pruning"
            warnings.warn(f"{type(est).__name__}: {budget_name}={epochs} epochs of {phase} "
                          f"reached and the optimization hasn't converged yet (the loss still "
                          f"improves by more than tol={est.tol:g}); raise {budget_name} to "
                          f"train longer", ConvergenceWarning)
        return optimizer


class _StoppingRule(Callback):
    """scikit-learn's stopping rule for its stochastic solvers, checked after each epoch.

    Without early stopping, an epoch counts as "no improvement" when its loss is
    not below the best so far minus ``tol``; with it, when the validation score is
    not above the best plus ``tol``. More than ``n_iter_no_change`` such epochs in
    a row stop the phase; with early stopping, the best epoch's weights are put back.
    An inactive rule (the gradual ramp) only records the curves.
    """

    def __init__(self, run, active):
        self.run, self.active = run, active
        self.stopped = False
        self.count = 0
        self.best_weights = None
        run.best = -np.inf if run.est.early_stopping else np.inf

    def on_epoch_end(self, state):
        run, est, model = self.run, self.run.est, state.model
        penalty = sum(float(np.sum(np.square(W))) for W in model.coefs_)
        loss = state.history.loss[-1] + 0.5 * est.alpha * penalty / run.batch_size
        run.loss_curve.append(loss)
        if est.verbose:
            print(f"Iteration {len(run.loss_curve)}, loss = {loss:.8f}")
        if est.early_stopping:
            score = _score(model, run.X_val, run.y_val)
            run.validation_scores.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if not self.active:
                return
            self.count = self.count + 1 if score < run.best + est.tol else 0
            if score > run.best:
                run.best = score
                self.best_weights = [(layer.W.copy(), layer.b.copy()) for layer in model.layers]
        elif self.active:
            self.count = self.count + 1 if loss > run.best - est.tol else 0
            run.best = min(run.best, loss)
        if self.active and self.count > est.n_iter_no_change:
            state.stop = self.stopped = True

    def on_train_end(self, state):
        if self.best_weights is not None:
            for layer, (W, b) in zip(state.model.layers, self.best_weights):
                layer.W[...], layer.b[...] = W, b


def _glorot_like_sklearn(model, activation, rng):
    """Draw the initial weights *and biases* as scikit-learn's MLP does, in place.

    Glorot-uniform with bound ``sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)``
    for "logistic") for every activation, biases from the same interval. With
    few Adam steps (iris: 200 in all) the start decides the result, and
    minprune's He-normal start ends 3-4 points below scikit-learn there.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    for layer in model.layers:
        bound = np.sqrt(factor / (layer.fan_in + layer.fan_out))
        layer.W[...] = rng.uniform(-bound, bound, layer.W.shape)
        layer.b[...] = rng.uniform(-bound, bound, layer.b.shape)


def _score(model, X, y):
    """The validation score of scikit-learn's early stopping: accuracy, or R^2 for a regressor."""
    out = model._forward(X)[-1]
    if model.objective == "cross_entropy":
        return float(np.mean(np.argmax(out, axis=1) == y))
    from sklearn.metrics import r2_score

    return float(r2_score(y, out))


def _generator(random_state):
    """A ``np.random.Generator`` from scikit-learn's random_state (int, RandomState, None)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return validate_seed(random_state, "random_state")


def _batch_size(batch_size, n_samples):
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(f"batch_size={batch_size} is larger than the {n_samples} training samples; "
                      f"it is clipped to {n_samples}", UserWarning)
    return min(batch_size, n_samples)


# ----------------------------------------------------------------------- sweeps
class SweepTable:
    """A tidy table: one row per (setting, fold) of a :func:`sweep`.

    Attributes
    ----------
    columns : list of str
        The grid's parameter names (as given), then ``fold``, ``score``, the fitted
        estimator's ``sparsity_`` (measured) and ``n_iter_`` (epochs), and
        ``fit_time`` (seconds).
    rows : list of dict
        One dict per fit, keyed by `columns`.
    """

    def __init__(self, params, rows):
        self.params = list(params)
        self.columns = self.params + ["fold", "score", "sparsity_", "n_iter_", "fit_time"]
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def column(self, name):
        """One column as an ndarray of shape (n_rows,)."""
        if name not in self.columns:
            raise ValueError(f"name must be one of {self.columns}, got {name!r}")
        return np.array([row[name] for row in self.rows])

    def to_frame(self):
        """The table as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def summary(self):
        """One row per setting (list of dict): the parameters, ``folds``, ``mean_score``
        and ``std_score`` over folds, and the means of ``sparsity_``, ``n_iter_`` and
        ``fit_time``."""
        groups = {}
        for row in self.rows:
            groups.setdefault(tuple(repr(row[p]) for p in self.params), []).append(row)
        out = []
        for rows in groups.values():
            scores = np.array([r["score"] for r in rows])
            out.append({**{p: rows[0][p] for p in self.params},
                        "folds": len(rows), "mean_score": float(scores.mean()),
                        "std_score": float(scores.std()),
                        "sparsity_": float(np.mean([r["sparsity_"] for r in rows])),
                        "n_iter_": float(np.mean([r["n_iter_"] for r in rows])),
                        "fit_time": float(np.mean([r["fit_time"] for r in rows]))})
        return out

    def _cells(self):
        headers = self.params + ["folds", "score (mean +- sd)", "sparsity_", "epochs", "fit s"]
        rows = [[*(r[p] for p in self.params), r["folds"],
                 f"{r['mean_score']:.4f} +- {r['std_score']:.4f}", f"{r['sparsity_']:.3f}",
                 f"{r['n_iter_']:.0f}", f"{r['fit_time']:.2f}"] for r in self.summary()]
        return headers, rows

    def __repr__(self):
        return text_table(*self._cells(), title=f"SweepTable: {len(self.rows)} fits, summary")

    def _repr_html_(self):
        return html_table(*self._cells(), title=f"SweepTable: {len(self.rows)} fits, summary")


def sweep(estimator, X, y, grid, *, cv=5, scoring=None, n_jobs=None):
    """Cross-validate `estimator` at every setting of `grid`, the fits spread out by joblib.

    One job per (setting, fold) goes to ``joblib.Parallel``, so the active joblib
    back end decides where they run: ``with joblib.parallel_backend("dask"):``
    around the call sends them to a Dask cluster unchanged (as do "loky",
    "threading" or "ray"). Seeds x sparsities x criteria is one grid:
    ``{"random_state": [0, 1, 2], "sparsity": [0.5, 0.9], "criterion": ["magnitude", "obd"]}``.

    Parameters
    ----------
    estimator : PrunedMLPClassifier, PrunedMLPRegressor or Pipeline
        Cloned for every fit, never fitted itself. A pipeline must hold exactly one
        pruned estimator.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    grid : dict of str to sequence, or list of such dicts
        As ``GridSearchCV``'s ``param_grid``. A key is a parameter of the pruned
        estimator (``"sparsity"``, resolved inside a pipeline) or a full pipeline
        path (``"standardscaler__with_mean"``).
    cv : int or cross-validation splitter, default=5
        As in ``cross_val_score``: an int gives unshuffled (stratified) folds, so
        every setting sees the same splits.
    scoring : str or callable, optional
        As in ``cross_val_score``; None uses the estimator's ``score``.
    n_jobs : int or None
        Parallel jobs; None means 1 unless a ``joblib.parallel_backend`` context
        says otherwise, -1 means all processors.

    Returns
    -------
    SweepTable
        Rows in grid order (``ParameterGrid``), folds in order within a setting.
    """
    path = _pruned_step(estimator)
    settings = list(_validate_grid(grid))
    names = list(dict.fromkeys(name for s in settings for name in s))
    full = {name: name if "__" in name or not path else f"{path}__{name}" for name in names}
    valid = estimator.get_params(deep=True)
    for name in names:
        if full[name] not in valid:
            raise ValueError(f"grid key {name!r} is not a parameter of {type(estimator).__name__}"
                             f"; accepted: the pruned estimator's {sorted(_BasePrunedMLP().get_params())}"
                             f" or a pipeline path such as 'standardscaler__with_mean'")
    X, y = indexable(X, y)
    classifier = isinstance(_step(estimator, path), ClassifierMixin)
    splits = list(check_cv(cv, y, classifier=classifier).split(X, y))
    scorer = check_scoring(estimator, scoring=scoring)
    jobs = (delayed(_fit_and_score)(clone(estimator).set_params(**{full[k]: v for k, v in s.items()}),
                                    path, X, y, train, test, scorer)
            for s in settings for train, test in splits)
    results = Parallel(n_jobs=n_jobs)(jobs)
    rows, it = [], iter(results)
    for s in settings:
        for fold in range(len(splits)):
            score, achieved, n_iter, seconds = next(it)
            rows.append({**{k: s.get(k) for k in names}, "fold": fold, "score": score,
                         "sparsity_": achieved, "n_iter_": n_iter, "fit_time": seconds})
    return SweepTable(names, rows)


def sparsity_sweep(estimator, X, y, sparsities, *, cv=3, scoring=None, n_jobs=None):
    """Cross-validate `estimator` at each sparsity: :func:`sweep` over ``{"sparsity": sparsities}``.

    Parameters
    ----------
    estimator : PrunedMLPClassifier, PrunedMLPRegressor or Pipeline holding one
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sparsities : sequence of float
        Values of the ``sparsity`` parameter, each in [0, 1).
    cv, scoring, n_jobs
        As in :func:`sweep` (here ``cv`` defaults to 3).

    Returns
    -------
    SweepTable
    """
    if isinstance(sparsities, (str, bytes)) or not hasattr(sparsities, "__len__") \
            or len(sparsities) == 0:
        raise TypeError(f"sparsities must be a non-empty sequence of floats in [0, 1), "
                        f"got {sparsities!r}")
    for i, s in enumerate(sparsities):
        if isinstance(s, bool) or not isinstance(s, Real) or not 0 <= s < 1:
            raise ValueError(f"sparsities[{i}] must be a number in [0, 1), got {s!r}")
    return sweep(estimator, X, y, {"sparsity": list(sparsities)}, cv=cv, scoring=scoring,
                 n_jobs=n_jobs)


def _validate_grid(grid):
    if isinstance(grid, dict):
        grid = [grid]
    if not isinstance(grid, (list, tuple)) or not grid or not all(isinstance(g, dict) for g in grid):
        raise TypeError(f"grid must be a dict of parameter name -> list of values, or a list of "
                        f"such dicts, got {grid!r}")
    for g in grid:
        for name, values in g.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or not values:
                raise ValueError(f"grid[{name!r}] must be a non-empty list of values, got "
                                 f"{values!r}")
    return ParameterGrid(grid)


def _pruned_step(estimator):
    """Path of the pruned estimator inside `estimator` ("" when it is one itself)."""
    if isinstance(estimator, _BasePrunedMLP):
        return ""
    if not hasattr(estimator, "get_params"):
        raise TypeError("estimator must be a PrunedMLPClassifier, a PrunedMLPRegressor or a "
                        f"Pipeline holding one, got {type(estimator).__name__}")
    found = [name for name, value in estimator.get_params(deep=True).items()
             if isinstance(value, _BasePrunedMLP)]
    if len(found) != 1:
        raise ValueError("estimator must hold exactly one PrunedMLPClassifier or "
                         f"PrunedMLPRegressor, found {len(found)} in {type(estimator).__name__}")
    return found[0]


def _step(estimator, path):
    return estimator.get_params(deep=True)[path] if path else estimator


def _fit_and_score(estimator, path, X, y, train, test, scorer):
    """Fit on `train`, score on `test`: (score, measured sparsity, epochs, fit seconds)."""
    start = time.perf_counter()
    with warnings.catch_warnings():  # a short budget in a sweep is a choice, not news
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train))
    seconds = time.perf_counter() - start
    score = scorer(estimator, _safe_indexing(X, test), _safe_indexing(y, test))
    fitted = _step(estimator, path)
    return float(score), float(fitted.sparsity_), int(fitted.n_iter_), seconds
