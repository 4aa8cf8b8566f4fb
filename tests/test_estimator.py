"""PrunedMLPClassifier and PrunedMLPRegressor: scikit-learn's own checks, parity with MLPClassifier
(names, defaults, training step for step, stopping rule, warnings), schedules, masks, errors."""
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_wine, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import minprune
from minprune import PrunedMLPClassifier, PrunedMLPRegressor
from minprune.sklearn.estimator import _generator, _glorot_like_sklearn

# A small network that still learns in a few epochs; fits 400 digits in ~20 ms. Its budgets
# are short on purpose, so its ConvergenceWarnings are expected.
SMALL = dict(hidden_layer_sizes=(16,), max_iter=8, finetune_max_iter=5, batch_size=32,
             learning_rate_init=0.01, random_state=0)
PRUNING = {"sparsity", "kind", "criterion", "scope", "schedule", "n_rounds", "finetune_max_iter"}
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:400], y[:400]


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# Every check of sklearn.utils.estimator_checks.check_estimator, one pytest test per check,
# on the defaults a user gets: 108 checks for the two estimators, about 17 s of CPU in all in one
# measured run (the slowest check 1.7 s).
@parametrize_with_checks([PrunedMLPClassifier(), PrunedMLPRegressor()])
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


# ----------------------------------------------------------- parity with scikit-learn
@pytest.mark.parametrize("ours, theirs", [(PrunedMLPClassifier, MLPClassifier),
                                          (PrunedMLPRegressor, MLPRegressor)])
def test_same_names_and_defaults_as_scikit_learn(ours, theirs):
    mine, sk = ours().get_params(), theirs().get_params()
    shared = set(mine) - PRUNING
    assert shared <= set(sk)  # no name of our own for an idea scikit-learn has
    assert {name: mine[name] for name in shared} == {name: sk[name] for name in shared}
    assert {"alpha", "learning_rate_init", "max_iter", "tol", "n_iter_no_change",
            "early_stopping", "validation_fraction", "batch_size"} <= shared
    assert sk["solver"] == "adam" and sk["shuffle"] and sk["learning_rate"] == "constant"
    for name in PRUNING:
        assert ours._parameter_constraints[name]


def _sklearn_twin(est, X, y):
    """scikit-learn's MLPClassifier started from the same initial weights as `est` would be."""
    init_rng = _generator(est.random_state).spawn(4)[0]
    model = minprune.MLP([X.shape[1], *est.hidden_layer_sizes, len(np.unique(y))],
                         seed=init_rng, dtype=np.float64)
    _glorot_like_sklearn(model, est.activation, init_rng)
    return minprune.to_sklearn(model).set_params(
        warm_start=True, shuffle=False, **{k: v for k, v in est.get_params().items()
                                           if k not in PRUNING | {"random_state"}})


@pytest.mark.parametrize("params", [dict(alpha=0.0), dict(alpha=1e-4),
                                    dict(alpha=0.0, tol=0.02, n_iter_no_change=2)])
def test_sparsity_0_trains_step_for_step_like_mlpclassifier(wine, params):
    # Full batches, so the shuffling order cannot differ: the same loss every epoch, the same
    # stopping epoch and the same weights (alpha also decays minprune's biases: 1e-8 here).
    X, y = wine
    est = PrunedMLPClassifier((20,), sparsity=0, max_iter=40, batch_size=len(X), random_state=0,
                              **params)
    sk = _sklearn_twin(est, X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
        sk.fit(X, y)
    assert est.n_iter_ == sk.n_iter_ == len(est.loss_curve_)
    if "tol" in params:
        assert est.n_iter_ < 40  # converged, and no warning from either
        assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    np.testing.assert_allclose(est.loss_curve_, sk.loss_curve_, rtol=1e-6, atol=1e-7)
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert est.best_loss_ == pytest.approx(sk.best_loss_, rel=1e-6)


def test_convergence_warning_at_max_iter_like_scikit_learn(small):
    X, y = small
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 epochs of dense training reached"):
        PrunedMLPClassifier(**{**SMALL, "max_iter": 3, "sparsity": 0}).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"finetune_max_iter=2 epochs of fine-tuning"):
        PrunedMLPClassifier(**{**SMALL, "max_iter": 100, "finetune_max_iter": 2}).fit(X, y)


def test_a_huge_tol_stops_after_n_iter_no_change_plus_two_epochs(small):
    # epoch 1 sets the best loss; every later epoch fails to beat it by tol
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = PrunedMLPClassifier(**{**SMALL, "max_iter": 50, "finetune_max_iter": 50,
                                     "tol": 1e3, "n_iter_no_change": 3}).fit(X, y)
    assert clf.n_dense_iter_ == 5 and clf.n_iter_ == 10
    assert len(clf.loss_curve_) == len(clf.history_.loss) == 10
    assert clf.best_loss_ == min(clf.loss_curve_[5:])
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None


def test_loss_curve_adds_the_l2_term_to_the_training_loss(small):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, "alpha": 0.5, "sparsity": 0}).fit(X, y)
    penalty = 0.25 * sum(float(np.sum(W * W)) for W in clf.coefs_) / 32
    assert clf.loss_curve_[-1] == pytest.approx(clf.history_.loss[-1] + penalty, rel=1e-12)


@pytest.mark.parametrize("schedule", ["oneshot", "iterative", "gradual"])
def test_early_stopping_keeps_the_best_epoch_of_the_last_phase(small, schedule):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, "early_stopping": True, "schedule": schedule,
                                 "n_rounds": 2, "sparsity": 0.7, "max_iter": 30,
                                 "finetune_max_iter": 30, "n_iter_no_change": 3}).fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(scores[-4:])  # stopped 4 epochs after its best
    assert clf.best_loss_ is None
    assert clf.sparsity_ == pytest.approx(0.7, abs=1e-3)
    for W, m in zip(clf.coefs_, clf.masks_):  # best weights restored, masks still hold
        assert np.all(W[~m] == 0)


def test_early_stopping_needs_two_validation_samples():
    X = np.random.default_rng(0).normal(size=(12, 2))
    with pytest.raises(ValueError, match=r"validation_fraction=0.01 leaves 1 sample"):
        PrunedMLPRegressor(early_stopping=True, validation_fraction=0.01).fit(X, X[:, 0])


def test_batch_size_auto_and_clipped(small):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, "batch_size": "auto", "sparsity": 0}).fit(X, y)
    assert clf.n_iter_ == 8  # 2 Adam steps an epoch (200 + 200), nothing to check beyond fit
    with pytest.warns(UserWarning, match="batch_size=1000 is larger than the 400"):
        PrunedMLPClassifier(**{**SMALL, "batch_size": 1000}).fit(X, y)


def test_verbose_prints_like_scikit_learn(small, capsys):
    PrunedMLPClassifier(**{**SMALL, "verbose": True, "early_stopping": True}).fit(*small)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Iteration 1, loss = ") and out[1].startswith("Validation score: ")
    assert sum(line.startswith("Iteration") for line in out) == 13


def test_defaults_learn_digits(digits):
    X, y = digits
    clf = PrunedMLPClassifier(random_state=0).fit(X[::2], y[::2])
    assert clf.score(X[1::2], y[1::2]) > 0.93
    assert clf.sparsity_ == pytest.approx(0.5, abs=1e-3)
    assert clf.model_.layer_sizes == [64, 100, 10]
    assert clf.n_features_in_ == 64 and clf.n_dense_iter_ < clf.n_iter_


# ------------------------------------------------------------------ model selection
def test_pipeline_with_scaler_equals_scaling_by_hand(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), PrunedMLPClassifier(**SMALL)).fit(X, y)
    scaled = StandardScaler().fit_transform(X)
    clf = PrunedMLPClassifier(**SMALL).fit(scaled, y)
    for a, b in zip(pipe[-1].coefs_, clf.coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pipe.predict_proba(X), clf.predict_proba(scaled))


def test_grid_search_over_sparsity(small):
    X, y = small
    search = GridSearchCV(PrunedMLPClassifier(**SMALL), {"sparsity": [0.2, 0.95]}, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and len(scores) == 2
    assert search.best_params_["sparsity"] == [0.2, 0.95][int(np.argmax(scores))]
    assert search.best_estimator_.sparsity_ == pytest.approx(search.best_params_["sparsity"],
                                                              abs=1e-3)


def test_cross_val_score_matches_fitting_each_fold_by_hand(small):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL)
    cv = StratifiedKFold(3)
    scores = cross_val_score(clf, X, y, cv=cv)
    by_hand = [clone(clf).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X, y)]
    np.testing.assert_array_equal(scores, by_hand)
    assert scores.min() > 0.5


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "emu"]), np.array([-5, 7, 100])])
def test_arbitrary_labels_train_exactly_like_0_to_k(labels):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    ints = PrunedMLPClassifier(**SMALL).fit(X, y)
    named = PrunedMLPClassifier(**SMALL).fit(X, labels[y])
    np.testing.assert_array_equal(named.classes_, labels)
    np.testing.assert_array_equal(named.predict(X), labels[ints.predict(X)])
    np.testing.assert_array_equal(named.predict_proba(X), ints.predict_proba(X))
    assert named.score(X, labels[y]) == ints.score(X, y)


# ------------------------------------------------------------- schedules and masks
@pytest.mark.parametrize("params", [
    dict(),
    dict(kind="neurons", criterion="random"),
    dict(schedule="iterative", n_rounds=2, criterion="taylor"),
    dict(schedule="gradual", criterion="random", scope="layer"),
    dict(early_stopping=True),
])
def test_same_random_state_same_bits(small, params):
    X, y = small
    a = PrunedMLPClassifier(**SMALL, **params).fit(X, y)
    b = PrunedMLPClassifier(**SMALL, **params).fit(X, y)
    for name in ("coefs_", "intercepts_", "masks_"):
        for u, v in zip(getattr(a, name), getattr(b, name)):
            np.testing.assert_array_equal(u, v)
    refit = [W.copy() for W in a.fit(X, y).coefs_]  # refitting is idempotent
    for u, v in zip(refit, b.coefs_):
        np.testing.assert_array_equal(u, v)
    other = PrunedMLPClassifier(**{**SMALL, "random_state": 1}, **params).fit(X, y)
    assert not np.array_equal(other.coefs_[0], a.coefs_[0])


@pytest.mark.parametrize("params", [
    dict(sparsity=0.7),
    dict(sparsity=0.7, scope="layer"),
    dict(sparsity=0.7, schedule="iterative", n_rounds=3, finetune_max_iter=6),
    dict(sparsity=0.7, schedule="gradual", scope="layer"),
    dict(sparsity=0.0),
])
def test_weight_masks_agree_with_sparsity_and_coefs(small, params):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, **params}).fit(X, y)
    s = params["sparsity"]
    masks = clf.masks_
    total = sum(m.size for m in masks)
    assert clf.sparsity_ == pytest.approx(1 - sum(int(m.sum()) for m in masks) / total, abs=1e-12)
    if params.get("scope") == "layer":  # every layer at the target, as a count
        assert [m.size - int(m.sum()) for m in masks] == [round(s * m.size) for m in masks]
    else:
        assert total - sum(int(m.sum()) for m in masks) == round(s * total)
    for W, m in zip(clf.coefs_, masks):
        assert np.all(W[~m] == 0)
    budget = 0 if s == 0 else params.get("finetune_max_iter", SMALL["finetune_max_iter"])
    assert clf.n_iter_ == clf.history_.epochs == SMALL["max_iter"] + budget
    assert clf.n_dense_iter_ == SMALL["max_iter"]
    assert clf.history_.sparsity[clf.n_dense_iter_ - 1] == 0.0  # dense before pruning
    assert clf.history_.sparsity[-1] == clf.sparsity_
    assert np.all(np.diff(clf.history_.sparsity) >= 0)


@pytest.mark.parametrize("schedule", ["iterative", "gradual"])
def test_schedules_reach_the_target_in_steps(small, schedule):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, "finetune_max_iter": 10}, sparsity=0.7,
                              schedule=schedule, n_rounds=5).fit(X, y)
    during = clf.history_.sparsity[clf.n_dense_iter_:]
    assert 0 < during[0] < 0.7  # first fine-tuning epoch: part of the way only
    assert during[-1] == pytest.approx(0.7, abs=1e-3)
    assert len(clf.model_.mask_history) >= 2


def test_neuron_masks_remove_whole_units(small):
    X, y = small
    clf = PrunedMLPClassifier(**{**SMALL, "kind": "neurons", "sparsity": 0.25}).fit(X, y)
    W1, W2 = clf.masks_
    gone = ~W1.any(axis=0)
    assert gone.sum() == round(0.25 * 16)
    assert not W2[gone].any() and not clf.intercepts_[0][gone].any()
    assert clf.sparsity_ == pytest.approx(1 - (W1.sum() + W2.sum()) / (W1.size + W2.size))


def test_one_feature_and_two_samples_per_class():
    X = np.array([[0.0], [0.1], [1.0], [1.1]])
    clf = PrunedMLPClassifier((16,), max_iter=300, learning_rate_init=0.05,
                              random_state=0).fit(X, ["lo", "lo", "hi", "hi"])
    assert list(clf.predict([[-1.0], [2.0]])) == ["lo", "hi"]


def test_float32_data_trains_a_float32_model(small):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL).fit(X.astype(np.float32), y)
    assert clf.model_.dtype == np.float32 and clf.predict_proba(X).dtype == np.float32


# ------------------------------------------------------------------ the regressor
@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=8, n_informative=5, n_targets=2, noise=5.0,
                           random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y, axis=0)


@pytest.mark.parametrize("sparsity", [0.0, 0.5])
def test_regressor_learns_and_prunes(regression, sparsity):
    # held-out R^2 over seeds 0-4: 0.984-0.993 dense, 0.989-0.993 at 0.5
    X, Y = regression
    reg = PrunedMLPRegressor((32,), sparsity=sparsity, learning_rate_init=0.01,
                             random_state=0).fit(X[:200], Y[:200, 0])
    assert reg.score(X[200:], Y[200:, 0]) > 0.95
    assert reg.predict(X[:5]).shape == (5,) and reg.n_outputs_ == 1
    assert reg.sparsity_ == pytest.approx(sparsity, abs=1e-3)
    assert reg.model_.objective == "squared_error" and reg.history_.accuracy == []
    two = PrunedMLPRegressor((32,), sparsity=sparsity, learning_rate_init=0.01,
                             random_state=0).fit(X[:200], Y[:200])
    assert two.predict(X[:5]).shape == (5, 2) and two.n_outputs_ == 2
    assert two.score(X[200:], Y[200:]) > 0.9


@pytest.mark.parametrize("kind, criterion", [("weights", "taylor"), ("weights", "snip"),
                                             ("weights", "obd"), ("neurons", "taylor")])
def test_regressor_data_criteria_and_early_stopping(regression, kind, criterion):
    X, Y = regression
    reg = PrunedMLPRegressor((16,), kind=kind, criterion=criterion, sparsity=0.6,
                             early_stopping=True,
                             learning_rate_init=0.01, max_iter=60, random_state=0).fit(X, Y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert -1 < reg.best_validation_score_ <= 1
    if kind == "weights":
        assert reg.sparsity_ == pytest.approx(0.6, abs=1e-3)
    else:
        assert (~reg.masks_[0].any(axis=0)).sum() == round(0.6 * 16)


# ---------------------------------------------------------------------- bad input
def test_single_class_raises_naming_the_class():
    with pytest.raises(ValueError, match="at least 2 classes.*1 class"):
        PrunedMLPClassifier().fit(np.ones((5, 2)), ["a"] * 5)


def test_sample_weight_is_not_accepted(small):
    X, y = small
    with pytest.raises(TypeError, match="sample_weight"):
        PrunedMLPClassifier().fit(X, y, sample_weight=np.ones(len(y)))


def test_unfitted_and_wrong_width(small):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not hasattr(clf, "coefs_")
    clf.fit(X, y)
    with pytest.raises(ValueError, match="64 features"):
        clf.predict(X[:, :10])


@pytest.mark.parametrize("param, value, match", [
    ("sparsity", 1.0, r"'sparsity' parameter of PrunedMLPClassifier must be a float in the "
                      r"range \[0.0, 1.0\). Got 1.0"),
    ("sparsity", "half", r"'sparsity' parameter .* Got 'half'"),
    ("kind", "channels", r"'kind' parameter .* must be a str among \{.*'neurons'.*\}. Got 'ch"),
    ("criterion", 3, r"'criterion' parameter .* an instance of 'str' or None. Got 3"),
    ("scope", "local", r"'scope' parameter"),
    ("schedule", "cubic", r"'schedule' parameter"),
    ("activation", "sigmoid", r"'activation' parameter .*'logistic'.* Got 'sigmoid'"),
    ("alpha", -1.0, r"'alpha' parameter .* range \[0.0, inf\). Got -1.0"),
    ("batch_size", 2.5, r"'batch_size' parameter .* among \{'auto'\} or an int"),
    ("learning_rate_init", 0.0, r"'learning_rate_init' parameter .* range \(0.0, inf\)"),
    ("max_iter", 0, r"'max_iter' parameter .* range \[1, inf\). Got 0"),
    ("tol", -1e-3, r"'tol' parameter"),
    ("early_stopping", "yes", r"'early_stopping' parameter .* instance of 'bool'"),
    ("validation_fraction", 1.0, r"'validation_fraction' parameter"),
    ("n_iter_no_change", 0, r"'n_iter_no_change' parameter"),
    ("n_rounds", 0, r"'n_rounds' parameter"),
    ("finetune_max_iter", -1, r"'finetune_max_iter' parameter"),
    ("random_state", -3, r"'random_state' parameter"),
])
def test_bad_parameters_fail_at_fit_naming_them(small, param, value, match):
    X, y = small
    clf = PrunedMLPClassifier(**{param: value})  # the constructor never validates
    assert clf.get_params()[param] is value
    with pytest.raises(InvalidParameterError, match=match):  # a ValueError and a TypeError
        clf.fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(hidden_layer_sizes=()), "hidden_layer_sizes must hold at least one layer"),
    (dict(hidden_layer_sizes=(8, 0)), r"hidden_layer_sizes\[1\] must be an integer >= 1, got 0"),
    (dict(criterion="l2"), "criterion must be None or one of .* kind='weights', got 'l2'"),
    (dict(criterion="l3", kind="neurons"), r"criterion must be None or one of \['activation', "
                                           r"'apoz', 'l1', 'l2', .* kind='neurons', got 'l3'"),
    (dict(kind="neurons", schedule="gradual"), "schedule='gradual' prunes weights only"),
    (dict(schedule="gradual", finetune_max_iter=1), "needs finetune_max_iter >= 2"),
    (dict(schedule="iterative", n_rounds=4, finetune_max_iter=3),
     r"needs finetune_max_iter >= 4 \(n_rounds=4\), got 3"),
])
def test_inconsistent_parameters_fail_at_fit(small, params, match):
    with pytest.raises(ValueError, match=match):
        PrunedMLPClassifier(**params).fit(*small)


def test_feature_names_from_a_dataframe(small):
    pd = pytest.importorskip("pandas")
    X, y = small
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    clf = PrunedMLPClassifier(**SMALL).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c"])


def test_public_names():
    assert minprune.PrunedMLPClassifier is PrunedMLPClassifier
    assert minprune.PrunedMLPRegressor is PrunedMLPRegressor


@pytest.mark.parametrize("params, match", [
    (dict(sparsity=0.999), r"sparsity=0.999 cannot be reached with scope='global'.*"
                           r"min_density=0.01.*64-16-10 network reaches at most 0\.98"),
    (dict(sparsity=0.999, schedule="gradual"), r"sparsity=0.999 cannot be reached"),
    (dict(sparsity=0.999, schedule="iterative"), r"sparsity=0.999 cannot be reached"),
    (dict(sparsity=0.97, kind="neurons"), r"sparsity=0.97 cannot be reached with kind='neurons'"
                                          r".*at most 15 of the 16 hidden units"),
])
def test_unreachable_sparsity_fails_before_training_naming_sparsity(small, params, match):
    clf = PrunedMLPClassifier(**dict(SMALL, **params))
    with pytest.raises(ValueError, match=match) as err:
        clf.fit(*small)
    assert "amount" not in str(err.value) and not hasattr(clf, "model_")


def test_scope_layer_reaches_any_sparsity(small):
    clf = PrunedMLPClassifier(**dict(SMALL, sparsity=0.999, scope="layer")).fit(*small)
    assert clf.sparsity_ == pytest.approx(1.0, abs=2e-3)
