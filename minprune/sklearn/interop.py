"""Moving a network between scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` and
minprune's ``MLP``.

Both store layer ``i`` as ``coefs_[i]`` of shape (fan_in, fan_out) plus
``intercepts_[i]``, so the weights copy over without transposes. Two things
differ, and are converted exactly:

* Binary problems: scikit-learn has one logistic output ``p = sigmoid(z)``;
  minprune always has one logit per class and a softmax. Since
  ``softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)]``, the output layer becomes
  two columns ``[0, w]`` (and back: ``w = w_1 - w_0``).
* Labels: scikit-learn predicts the labels in ``clf.classes_``; minprune
  predicts class indices ``0 .. k-1``. The labels are kept as
  ``model.classes_``, so ``model.classes_[model.predict(X)]`` gives scikit-learn's
  answer.

A regressor needs neither: ``MLPRegressor``'s identity output and squared error
are an ``MLP`` with ``objective="squared_error"``, layer for layer.
"""
from __future__ import annotations

import numpy as np

from ..model import MLP, Dense, _validate_dtype

# scikit-learn's activation names -> minprune's
_FROM_SKLEARN = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}
_TO_SKLEARN = {v: k for k, v in _FROM_SKLEARN.items()}


def from_sklearn(clf, dtype=None):
    """A minprune ``MLP`` with the weights of a fitted scikit-learn ``MLPClassifier``
    or ``MLPRegressor``.

    ``model.predict_proba(X)`` equals ``clf.predict_proba(X)`` (to float rounding);
    for a regressor, ``model.predict(X)`` equals ``clf.predict(X)`` (as a column
    when ``clf`` has one output).

    Parameters
    ----------
    clf : sklearn.neural_network.MLPClassifier or MLPRegressor
        Fitted; a classifier on single-label targets (binary or multiclass), a
        regressor with its default squared-error loss.
    dtype : {None, numpy.float32, numpy.float64}
        Dtype of the new model; None keeps the dtype of ``clf.coefs_``.

    Returns
    -------
    MLP
        With all masks True. From a classifier, an extra attribute ``classes_``
        (ndarray of shape (n_classes,)), the labels of ``clf``: ``model.predict``
        returns indices into ``classes_``, not the labels themselves. From a
        regressor, ``objective="squared_error"``.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(clf, (MLPClassifier, MLPRegressor)):
        raise TypeError(f"clf must be a fitted sklearn.neural_network.MLPClassifier or "
                        f"MLPRegressor, got {type(clf).__name__}")
    check_is_fitted(clf, "coefs_", msg=f"clf must be a fitted {type(clf).__name__}; this one is "
                                       f"not fitted yet: call clf.fit(X, y) first")
    if clf.activation not in _FROM_SKLEARN:
        raise ValueError(f"clf.activation must be one of {sorted(_FROM_SKLEARN)}, "
                         f"got {clf.activation!r}")
    coefs = [np.asarray(W) for W in clf.coefs_]
    intercepts = [np.asarray(b) for b in clf.intercepts_]
    n_out = coefs[-1].shape[1]
    regressor = isinstance(clf, MLPRegressor)
    if regressor:
        if clf.loss != "squared_error" or clf.out_activation_ != "identity":
            raise ValueError(f"clf must be an MLPRegressor with loss='squared_error' (an identity "
                             f"output), got loss={clf.loss!r}")
        binary = False
    elif clf.out_activation_ == "softmax" and n_out >= 3:
        binary = False
    elif clf.out_activation_ == "logistic" and n_out == 1:
        binary = True
    else:
        raise ValueError(
            f"clf must be a binary or multiclass MLPClassifier (out_activation_ 'logistic' with 1 "
            f"output, or 'softmax' with >= 3), got out_activation_={clf.out_activation_!r} with "
            f"{n_out} outputs; multilabel classifiers have no softmax equivalent")
    if dtype is None:
        dtype = coefs[0].dtype if coefs[0].dtype in (np.float32, np.float64) else np.float64
    dtype = _validate_dtype(dtype)

    activation = _FROM_SKLEARN[clf.activation]
    layers = []
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        last = i == len(coefs) - 1
        if binary and last:
            # logits [0, z]: softmax gives [1 - sigmoid(z), sigmoid(z)], exactly sklearn's pair
            W = np.concatenate([np.zeros_like(W), W], axis=1)
            b = np.concatenate([np.zeros_like(b), b])
        layers.append(Dense(np.array(W, dtype=dtype), np.array(b, dtype=dtype),
                            "identity" if last else activation))
    if regressor:
        return MLP._from_layers(layers, activation, dtype, objective="squared_error")
    return MLP._from_layers(layers, activation, dtype, classes=np.array(clf.classes_, copy=True))


def to_sklearn(model):
    """A fitted-looking scikit-learn ``MLPClassifier`` (or ``MLPRegressor``, for a model
    with ``objective="squared_error"``) computing what `model` computes.

    ``clf.predict(X)`` equals ``model.classes_[model.predict(X)]`` and
    ``clf.predict_proba(X)`` equals ``model.predict_proba(X)`` with its columns in
    the order of ``clf.classes_``, which scikit-learn keeps sorted (the output
    units are reordered when ``model.classes_`` is not sorted). Masks are not
    kept, since scikit-learn has none: pruned weights become plain zeros, and
    training ``clf`` further will make them non-zero again. A two-class model
    becomes scikit-learn's one logistic output (``w = w_1 - w_0``).

    Parameters
    ----------
    model : MLP

    A regressor's ``clf.predict(X)`` equals ``model.predict(X)`` (flattened when
    the model has one output, as scikit-learn returns it).

    Returns
    -------
    sklearn.neural_network.MLPClassifier or MLPRegressor
        A classifier's ``classes_`` are ``model.classes_`` sorted when the model
        has them (e.g. from :func:`from_sklearn`), else ``0 .. n_classes - 1``.

    Raises
    ------
    ValueError
        If ``model.classes_`` holds duplicate labels.
    """
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import LabelBinarizer

    if not isinstance(model, MLP):
        raise TypeError(f"model must be a minprune.MLP, got {type(model).__name__}")
    _validate_sklearn_layout(model)
    if model.objective == "squared_error":
        return _to_regressor(model)
    classes = np.asarray(np.arange(model.n_classes) if model.classes_ is None else model.classes_)
    if classes.shape != (model.n_classes,):
        raise ValueError(f"model.classes_ must hold one label per class ({model.n_classes}), "
                         f"got shape {classes.shape}")
    if np.unique(classes).size != classes.size:
        raise ValueError(f"model.classes_ must hold {model.n_classes} distinct labels, got "
                         f"duplicates in {classes.tolist()!r}")
    # scikit-learn keeps classes_ sorted and predicts column j as classes_[j]: put the
    # output units in that order.
    order = np.argsort(classes, kind="stable")
    coefs, intercepts = _masked_arrays(model)
    coefs[-1], intercepts[-1] = coefs[-1][:, order], intercepts[-1][order]
    binary = model.n_classes == 2
    if binary:
        coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
        intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]

    clf = _fitted_attributes(MLPClassifier, model, coefs, intercepts,
                             "logistic" if binary else "softmax")
    clf._label_binarizer = LabelBinarizer().fit(classes)
    clf.classes_ = clf._label_binarizer.classes_
    return clf


def _validate_sklearn_layout(model):
    hidden = [layer.activation for layer in model.layers[:-1]]
    if any(a != model.activation for a in hidden) or model.layers[-1].activation != "identity":
        raise ValueError("model must use one activation in all hidden layers and a linear "
                         f"output layer, as scikit-learn does; got {hidden} and "
                         f"{model.layers[-1].activation!r}")


def _masked_arrays(model):
    """Weights and biases with pruned entries as plain zeros (scikit-learn has no masks)."""
    return ([layer.W * layer.mask for layer in model.layers],
            [layer.b * layer.bias_mask for layer in model.layers])


def _to_regressor(model):
    from sklearn.neural_network import MLPRegressor

    return _fitted_attributes(MLPRegressor, model, *_masked_arrays(model), "identity")


def _fitted_attributes(cls, model, coefs, intercepts, out_activation):
    """A `cls` (MLPClassifier or MLPRegressor) holding the attributes its ``fit`` would set,
    so predict, score and partial_fit work."""
    clf = cls(hidden_layer_sizes=tuple(model.layer_sizes[1:-1]),
              activation=_TO_SKLEARN[model.activation])
    clf.coefs_ = coefs
    clf.intercepts_ = intercepts
    clf.n_features_in_ = model.n_features
    clf.n_layers_ = len(model.layers) + 1
    clf.n_outputs_ = coefs[-1].shape[1]
    clf.out_activation_ = out_activation
    clf.n_iter_ = 0
    clf.t_ = 0
    clf.loss_curve_ = []
    clf.best_loss_ = np.inf
    clf._no_improvement_count = 0
    clf.validation_scores_ = None
    clf.best_validation_score_ = None
    clf._best_coefs = [W.copy() for W in coefs]
    clf._best_intercepts = [b.copy() for b in intercepts]
    return clf
