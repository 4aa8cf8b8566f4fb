"""PrunedMLPClassifier: scikit-learn's own checks, model selection, labels, determinism, masks,
errors; sparsity_sweep through joblib."""
import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import minprune
from minprune import PrunedMLPClassifier, sparsity_sweep

# A small network that still learns in a few epochs; fits 400 digits in ~20 ms.
SMALL = dict(hidden_layer_sizes=(16,), epochs=8, finetune_epochs=5, learning_rate=0.01,
             random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:400], y[:400]


# Every check of sklearn.utils.estimator_checks.check_estimator, one pytest test per check.
@parametrize_with_checks([
    PrunedMLPClassifier(),
    PrunedMLPClassifier(kind="neurons"),
    PrunedMLPClassifier(schedule="iterative", scope="layer"),
    PrunedMLPClassifier(schedule="gradual", hidden_layer_sizes=(32, 16)),
])
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def test_defaults_learn_digits(digits):
    X, y = digits
    clf = PrunedMLPClassifier(random_state=0).fit(X[::2], y[::2])
    assert clf.score(X[1::2], y[1::2]) > 0.9
    assert clf.sparsity_ == pytest.approx(0.5, abs=1e-3)
    assert clf.model_.layer_sizes == [64, 64, 10]
    assert clf.n_features_in_ == 64


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


@pytest.mark.parametrize("params", [
    dict(),
    dict(kind="neurons", criterion="random"),
    dict(schedule="iterative", n_rounds=2, criterion="taylor"),
    dict(schedule="gradual", criterion="random", scope="layer"),
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
    dict(sparsity=0.7, schedule="iterative", n_rounds=3),
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
    assert clf.history_.epochs == SMALL["epochs"] + SMALL["finetune_epochs"]
    assert clf.history_.sparsity[SMALL["epochs"] - 1] == 0.0  # dense before pruning
    assert clf.history_.sparsity[-1] == clf.sparsity_
    assert np.all(np.diff(clf.history_.sparsity) >= 0)


@pytest.mark.parametrize("schedule", ["iterative", "gradual"])
def test_schedules_reach_the_target_in_steps(small, schedule):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL, sparsity=0.7, schedule=schedule, n_rounds=5).fit(X, y)
    during = clf.history_.sparsity[SMALL["epochs"]:]
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
    clf = PrunedMLPClassifier(epochs=200, finetune_epochs=50, learning_rate=0.05,
                              random_state=0).fit(X, ["lo", "lo", "hi", "hi"])
    assert list(clf.predict([[-1.0], [2.0]])) == ["lo", "hi"]


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


@pytest.mark.parametrize("param, value, error, match", [
    ("sparsity", 1.0, ValueError, r"sparsity must be a finite number in \[0, 1\), got 1.0"),
    ("sparsity", "half", TypeError, "sparsity must be a real number"),
    ("kind", "channels", ValueError, r"kind must be one of \['neurons', 'weights'\]"),
    ("criterion", "l2", ValueError, "criterion must be None or one of .* kind='weights', got 'l2'"),
    ("scope", "local", ValueError, "scope must be one of"),
    ("schedule", "cubic", ValueError, "schedule must be one of"),
    ("hidden_layer_sizes", (), TypeError, "hidden_layer_sizes must be an int or a non-empty"),
    ("hidden_layer_sizes", (8, 0), ValueError, r"hidden_layer_sizes\[1\] must be an integer >= 1"),
    ("activation", "gelu", ValueError, "activation must be one of"),
    ("epochs", 0, ValueError, "epochs must be an integer >= 1, got 0"),
    ("finetune_epochs", -1, ValueError, "finetune_epochs must be an integer >= 0"),
    ("batch_size", 2.5, TypeError, "batch_size must be an integer"),
    ("learning_rate", 0.0, ValueError, "learning_rate must be a finite number"),
    ("weight_decay", -1.0, ValueError, "weight_decay must be a finite number"),
    ("n_rounds", 0, ValueError, "n_rounds must be an integer >= 1"),
    ("random_state", -3, ValueError, "random_state must be a non-negative int"),
])
def test_bad_parameters_fail_at_fit_naming_them(small, param, value, error, match):
    X, y = small
    clf = PrunedMLPClassifier(**{param: value})  # the constructor never validates
    assert clf.get_params()[param] is value
    with pytest.raises(error, match=match):
        clf.fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(kind="neurons", schedule="gradual"), "schedule='gradual' prunes weights only"),
    (dict(schedule="gradual", finetune_epochs=0), "finetune_epochs must be >= 1"),
    (dict(schedule="iterative", n_rounds=4, finetune_epochs=3), "finetune_epochs must be >= n_rou"),
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


# ----------------------------------------------------------------------- sweeps
def test_sparsity_sweep_equals_cross_val_score_per_sparsity(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), PrunedMLPClassifier(**SMALL))
    sweep = sparsity_sweep(pipe, X, y, [0.0, 0.9], cv=2)
    assert sweep.scores.shape == sweep.achieved.shape == sweep.fit_time.shape == (2, 2)
    np.testing.assert_allclose(sweep.achieved, [[0.0, 0.0], [0.9, 0.9]], atol=1e-3)
    for s, row in zip([0.0, 0.9], sweep.scores):
        expected = cross_val_score(clone(pipe).set_params(prunedmlpclassifier__sparsity=s),
                                   X, y, cv=2)
        np.testing.assert_array_equal(row, expected)
    np.testing.assert_array_equal(sweep.mean, sweep.scores.mean(axis=1))
    assert "0.900" in repr(sweep)
    assert pipe[-1].sparsity == 0.5 and not hasattr(pipe[-1], "model_")  # untouched


def test_sparsity_sweep_runs_under_any_joblib_backend(small):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL)
    serial = sparsity_sweep(clf, X, y, [0.3, 0.8], cv=2)
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = sparsity_sweep(clf, X, y, [0.3, 0.8], cv=2)
    np.testing.assert_array_equal(serial.scores, threaded.scores)
    np.testing.assert_array_equal(serial.achieved, threaded.achieved)


def test_sparsity_sweep_bad_input(small):
    X, y = small
    with pytest.raises(ValueError, match=r"sparsities\[1\] must be a finite number in \[0, 1\)"):
        sparsity_sweep(PrunedMLPClassifier(), X, y, [0.5, 1.5])
    with pytest.raises(TypeError, match="sparsities must be a non-empty sequence"):
        sparsity_sweep(PrunedMLPClassifier(), X, y, [])
    with pytest.raises(ValueError, match="exactly one PrunedMLPClassifier, found 0"):
        sparsity_sweep(make_pipeline(StandardScaler()), X, y, [0.5])
    with pytest.raises(TypeError, match="estimator must be a PrunedMLPClassifier"):
        sparsity_sweep("clf", X, y, [0.5])


def test_public_names():
    assert minprune.PrunedMLPClassifier is PrunedMLPClassifier
    assert minprune.sparsity_sweep is sparsity_sweep


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
