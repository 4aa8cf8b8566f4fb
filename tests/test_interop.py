"""from_sklearn / to_sklearn: same probabilities both ways, labels, masks, and refusals."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor

import minprune
from minprune.datasets import load_digits, load_moons

SK_ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def moons():
    return load_moons()


def fitted(X, y, activation="relu", hidden=(16, 8), dtype=np.float64, seed=0):
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, max_iter=40,
                        random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X.astype(dtype), y)


@pytest.mark.parametrize("activation", SK_ACTIVATIONS)
def test_multiclass_same_probabilities(digits, activation):
    labels = np.array(list("abcdefghij"))[digits.y_train]  # labels that are not 0..k-1
    clf = fitted(digits.X_train, labels, activation)
    model = minprune.from_sklearn(clf)
    assert model.activation == {"logistic": "sigmoid"}.get(activation, activation)
    assert model.layer_sizes == [64, 16, 8, 10] and model.dtype == np.float64
    np.testing.assert_allclose(model.predict_proba(digits.X_test), clf.predict_proba(digits.X_test),
                               atol=1e-5)
    assert np.array_equal(model.classes_, clf.classes_)
    assert np.array_equal(model.classes_[model.predict(digits.X_test)], clf.predict(digits.X_test))
    assert set(model.predict(digits.X_test)) <= set(range(10))  # indices, not labels


@pytest.mark.parametrize("activation", SK_ACTIVATIONS)
def test_binary_becomes_an_exact_two_logit_softmax(moons, activation):
    clf = fitted(moons.X_train, np.where(moons.y_train == 1, 7, -3), activation)
    assert clf.out_activation_ == "logistic" and clf.coefs_[-1].shape[1] == 1
    model = minprune.from_sklearn(clf)
    assert model.n_classes == 2 and list(model.classes_) == [-3, 7]
    np.testing.assert_allclose(model.predict_proba(moons.X_test), clf.predict_proba(moons.X_test),
                               atol=1e-5)
    assert np.array_equal(model.classes_[model.predict(moons.X_test)], clf.predict(moons.X_test))
    # far from the data the logits are huge; still no NaN and still equal
    far = moons.X_test * 1e3
    np.testing.assert_allclose(model.predict_proba(far), clf.predict_proba(far), atol=1e-5)


def test_dtype_follows_clf_or_the_argument(digits):
    clf32 = fitted(digits.X_train, digits.y_train, dtype=np.float32)
    assert clf32.coefs_[0].dtype == np.float32
    assert minprune.from_sklearn(clf32).dtype == np.float32
    model = minprune.from_sklearn(clf32, dtype=np.float64)
    assert model.dtype == np.float64 and model.layers[0].W.dtype == np.float64
    np.testing.assert_allclose(model.predict_proba(digits.X_test),
                               clf32.predict_proba(digits.X_test), atol=1e-5)


def test_no_hidden_layer(digits):
    clf = fitted(digits.X_train, digits.y_train, hidden=())
    model = minprune.from_sklearn(clf)
    assert model.layer_sizes == [64, 10]
    np.testing.assert_allclose(model.predict_proba(digits.X_test), clf.predict_proba(digits.X_test),
                               atol=1e-5)
    back = minprune.to_sklearn(model)
    np.testing.assert_allclose(back.predict_proba(digits.X_test), clf.predict_proba(digits.X_test),
                               atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_to_sklearn_same_probabilities_and_masks_become_zeros(activation, n_classes):
    rng = np.random.default_rng(0)
    model = minprune.MLP([5, 9, 6, n_classes], activation=activation, seed=3)
    for layer in model.layers:
        layer.b[...] = rng.normal(size=layer.b.shape)
        layer.mask = rng.random(layer.W.shape) > 0.5  # installed without zeroing the weights
        layer.bias_mask = rng.random(layer.b.shape) > 0.5
    X = rng.normal(size=(30, 5)).astype(np.float32)
    clf = minprune.to_sklearn(model)
    np.testing.assert_allclose(clf.predict_proba(X), model.predict_proba(X), atol=1e-5)
    assert np.array_equal(clf.predict(X), model.predict(X))
    assert np.array_equal(clf.classes_, np.arange(n_classes))
    if n_classes > 2:
        for W, layer in zip(clf.coefs_, model.layers):
            assert np.all(W[~layer.mask] == 0.0)
    y = model.predict(X)
    assert clf.score(X, y) == 1.0
    # a fitted-looking estimator: training can continue in scikit-learn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.partial_fit(X, y)
    again = minprune.from_sklearn(minprune.to_sklearn(model))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("classes", [["dog", "cat", "eel"], [7, -3]], ids=["strings", "binary"])
def test_to_sklearn_with_unsorted_classes_predicts_the_same_labels(classes):
    rng = np.random.default_rng(1)
    model = minprune.MLP([4, 6, len(classes)], seed=1)
    for layer in model.layers:
        layer.b[...] = rng.normal(size=layer.b.shape)
    model.classes_ = np.array(classes)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    clf = minprune.to_sklearn(model)
    assert list(clf.classes_) == sorted(classes)
    labels = model.classes_[model.predict(X)]
    assert len(set(labels.tolist())) == len(classes)  # every class is predicted somewhere
    assert np.array_equal(clf.predict(X), labels)
    proba = model.predict_proba(X)
    for j, label in enumerate(clf.classes_):
        np.testing.assert_allclose(clf.predict_proba(X)[:, j],
                                   proba[:, classes.index(label)], atol=1e-5)


def test_to_sklearn_refuses_duplicate_classes():
    model = minprune.MLP([4, 3], seed=0)
    model.classes_ = np.array(["cat", "dog", "cat"])
    with pytest.raises(ValueError, match=r"classes_.*distinct.*'cat', 'dog', 'cat'"):
        minprune.to_sklearn(model)


def test_round_trip_keeps_labels(moons, digits):
    for X, y in ((moons.X_train, moons.y_train * 2 + 1), (digits.X_train, digits.y_train + 10)):
        clf = fitted(X, y)
        back = minprune.to_sklearn(minprune.from_sklearn(clf))
        assert np.array_equal(back.classes_, clf.classes_)
        assert np.array_equal(back.predict(X), clf.predict(X))
        np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_a_converted_model_can_be_pruned_and_trained(digits):
    clf = fitted(digits.X_train, digits.y_train)
    model = minprune.from_sklearn(clf)
    model.layers[0].mask[:, :4] = False
    minprune.fit(model, digits.X_train, digits.y_train, epochs=2)
    assert np.all(model.layers[0].W[:, :4] == 0.0)


def test_refusals(digits):
    with pytest.raises(NotFittedError, match="not fitted"):
        minprune.from_sklearn(MLPClassifier())
    with pytest.raises(ValueError, match="clf must be a fitted"):
        minprune.from_sklearn(MLPClassifier())  # NotFittedError is a ValueError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        multilabel = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(
            digits.X_train, np.stack([digits.y_train > 4, digits.y_train % 2 == 0], axis=1))
    with pytest.raises(TypeError, match="clf must be .*MLPClassifier or MLPRegressor, got str"):
        minprune.from_sklearn("clf")
    with pytest.raises(TypeError, match="clf"):
        minprune.from_sklearn("clf")
    with pytest.raises(ValueError, match="out_activation_='logistic' with 2 outputs"):
        minprune.from_sklearn(multilabel)
    clf = fitted(digits.X_train, digits.y_train)
    clf.out_activation_ = "identity"
    with pytest.raises(ValueError, match="out_activation_='identity'"):
        minprune.from_sklearn(clf)
    with pytest.raises(TypeError, match="model"):
        minprune.to_sklearn(clf)
    model = minprune.MLP([3, 4, 3])
    model.classes_ = np.array([1, 2])
    with pytest.raises(ValueError, match="classes_"):
        minprune.to_sklearn(model)
    model = minprune.MLP([3, 4, 3])
    model.layers[0].activation = "tanh"
    with pytest.raises(ValueError, match="activation"):
        minprune.to_sklearn(model)


# ------------------------------------------------------------------- MLPRegressor
def fitted_regressor(X, Y, activation="relu", hidden=(16, 8), dtype=np.float64):
    reg = MLPRegressor(hidden_layer_sizes=hidden, activation=activation, max_iter=40,
                       random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X.astype(dtype), Y)


@pytest.mark.parametrize("activation", SK_ACTIVATIONS)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_same_predictions_both_ways(digits, activation, n_outputs):
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(64, n_outputs))
    Y = digits.X_train @ mix / 8
    reg = fitted_regressor(digits.X_train, Y[:, 0] if n_outputs == 1 else Y, activation)
    model = minprune.from_sklearn(reg)
    assert model.objective == "squared_error" and model.layer_sizes == [64, 16, 8, n_outputs]
    assert model.classes_ is None
    expected = reg.predict(digits.X_test).reshape(len(digits.X_test), n_outputs)
    np.testing.assert_allclose(model.predict(digits.X_test), expected, atol=1e-5)
    back = minprune.to_sklearn(model)
    assert type(back) is MLPRegressor and back.out_activation_ == "identity"
    np.testing.assert_allclose(back.predict(digits.X_test), reg.predict(digits.X_test), atol=1e-5)
    assert back.predict(digits.X_test).shape == reg.predict(digits.X_test).shape
    y_true = Y[:, 0] if n_outputs == 1 else Y
    assert model.score(digits.X_train, y_true) == pytest.approx(
        reg.score(digits.X_train, y_true), abs=1e-6)


def test_pruned_regressor_to_sklearn_keeps_zeros_and_trains_on():
    rng = np.random.default_rng(2)
    model = minprune.MLP([5, 7, 2], seed=0, objective="squared_error")
    model.layers[0].mask = rng.random((5, 7)) > 0.5
    X = rng.normal(size=(40, 5)).astype(np.float32)
    reg = minprune.to_sklearn(model)
    np.testing.assert_allclose(reg.predict(X), model.predict(X), atol=1e-5)
    assert np.all(reg.coefs_[0][~model.layers[0].mask] == 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.partial_fit(X, model.predict(X))


def test_regressor_with_another_loss_is_refused(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(hidden_layer_sizes=(4,), loss="poisson", max_iter=5).fit(
            digits.X_train, digits.y_train + 1.0)
    with pytest.raises(ValueError, match="loss='squared_error'.*got loss='poisson'"):
        minprune.from_sklearn(reg)
