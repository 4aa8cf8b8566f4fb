"""The exercise checks of notebooks 00-01: right answers pass, typical wrong answers fail with a hint."""
import numpy as np
import pytest

from minprune.checks import PASSED
from minprune import MLP, prune_weights
from minprune.checks.mlp_from_scratch import (check_gradients, check_log_softmax,
                                              check_numerical_gradient)
from minprune.checks.what_is_pruning import check_pruned_copy, check_sparsity


@pytest.fixture
def model():
    return MLP([6, 5, 3], seed=0)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 6)).astype(np.float32), rng.integers(0, 3, size=20)


# ------------------------------------------------------------------ check_sparsity
def test_sparsity_right_answer(model):
    prune_weights(model, 0.4)
    pruned = sum(int((~layer.mask).sum()) for layer in model.layers)
    assert check_sparsity(pruned / 45, model) is PASSED
    assert check_sparsity(np.float32(pruned / 45), model) is PASSED


@pytest.mark.parametrize("wrong, hint", [
    (lambda s, m: 1 - s, "density"),
    (lambda s, m: 100 * s, "percentage"),
    (lambda s, m: (s * 45) / 53, "weights only"),
    (lambda s, m: np.mean([1 - layer.mask.mean() for layer in m.layers]), "average"),
    (lambda s, m: s + 0.05, "count the False"),
    (lambda s, m: None, "replace None"),
    (lambda s, m: [s], "single number"),
])
def test_sparsity_wrong_answers(model, wrong, hint):
    prune_weights(model, 0.6, scope="global")  # layers: 19/30 and 8/15 pruned
    s = 1 - sum(int(layer.mask.sum()) for layer in model.layers) / 45
    with pytest.raises(AssertionError, match=hint):
        check_sparsity(wrong(s, model), model)


def test_sparsity_rejects_non_model():
    with pytest.raises(TypeError, match="model must be a minprune.MLP"):
        check_sparsity(0.5, "model")


# --------------------------------------------------------------- check_pruned_copy
def test_pruned_copy_right_answer(model):
    pruned = model.copy()
    prune_weights(pruned, 0.6)
    assert check_pruned_copy(pruned, model, 0.6) is PASSED


def test_pruned_copy_same_object(model):
    prune_weights(model, 0.6)
    with pytest.raises(AssertionError, match="not a copy"):
        check_pruned_copy(model, model, 0.6)


def test_pruned_copy_original_pruned(model):
    prune_weights(model, 0.6)
    with pytest.raises(AssertionError, match="original model has pruned weights"):
        check_pruned_copy(model.copy(), model, 0.6)


def test_pruned_copy_wrong_amount_twice_and_report(model):
    twice = model.copy()
    prune_weights(twice, 0.6)
    prune_weights(twice, 0.6)
    with pytest.raises(AssertionError, match="exactly once"):
        check_pruned_copy(twice, model, 0.6)
    with pytest.raises(AssertionError, match="returns a report"):
        check_pruned_copy(prune_weights(model.copy(), 0.6), model, 0.6)


def test_pruned_copy_other_criterion_or_finetuned(model):
    rand = model.copy()
    prune_weights(rand, 0.6, criterion="random", seed=0)
    with pytest.raises(AssertionError, match="not the same ones"):
        check_pruned_copy(rand, model, 0.6)
    moved = model.copy()
    prune_weights(moved, 0.6)
    moved.layers[0].W += moved.layers[0].mask * 0.1
    with pytest.raises(AssertionError, match="kept weights differ"):
        check_pruned_copy(moved, model, 0.6)


# --------------------------------------------------------------- check_log_softmax
def _stable(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_log_softmax_right_answer():
    assert check_log_softmax(_stable) is PASSED


@pytest.mark.parametrize("wrong, hint", [
    (lambda z: np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)), "overflows"),
    (lambda z: (z - z.max()) - np.log(np.exp(z - z.max()).sum(axis=1, keepdims=True)),
     "each row's own maximum"),
    (lambda z: np.exp(_stable(z)), "probabilities"),
    (lambda z: (z - z.max(axis=0)) - np.log(np.exp(z - z.max(axis=0)).sum(axis=0)),
     "wrong axis"),
    (lambda z: _stable(z).sum(axis=1), "shape"),
    (lambda z: _stable(z) + 1, "wrong values"),
    ("log_softmax", "function itself"),
])
def test_log_softmax_wrong_answers(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_log_softmax(wrong)


# ----------------------------------------------------------------- check_gradients
def _backward(model, X, y, sign=1.0, scale=1.0, transpose=False, relu=True, db_axis=0):
    acts = model._forward(X)
    n = len(y)
    p = np.exp(acts[-1] - acts[-1].max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = sign * (p - np.eye(model.n_classes)[y]) / n * scale
    grads = [None] * len(model.layers)
    for i in range(len(model.layers) - 1, -1, -1):
        dW = acts[i].T @ delta
        grads[i] = (dW.T if transpose else dW, delta.sum(axis=db_axis))
        if i:
            delta = delta @ model.layers[i].W.T
            if relu:
                delta = delta * (acts[i] > 0)
    return grads


def test_gradients_right_answer(model, batch):
    assert check_gradients(_backward(model, *batch), model, *batch) is PASSED


@pytest.mark.parametrize("kwargs, hint", [
    ({"sign": -1.0}, "wrong sign"),
    ({"scale": 20.0}, "n_samples times"),
    ({"transpose": True}, "transposed"),
    ({"relu": False}, "derivative"),
])
def test_gradients_wrong_answers(model, batch, kwargs, hint):
    with pytest.raises(AssertionError, match=hint):
        check_gradients(_backward(model, *batch, **kwargs), model, *batch)


def test_gradients_wrong_db_and_structure(model, batch):
    grads = _backward(model, *batch)
    grads[1] = (grads[1][0], grads[1][1] * 2)
    with pytest.raises(AssertionError, match="db is delta summed"):
        check_gradients(grads, model, *batch)
    with pytest.raises(AssertionError, match="one .dW, db. pair per layer"):
        check_gradients(grads[:1], model, *batch)


# -------------------------------------------------------- check_numerical_gradient
def _central(model, X, y, layer, i, j, eps):
    W = model.layers[layer].W
    w = W[i, j]
    W[i, j] = w + eps
    up = model.loss(X, y)
    W[i, j] = w - eps
    down = model.loss(X, y)
    W[i, j] = w
    return (up - down) / (2 * eps)


def test_numerical_gradient_right_answer():
    assert check_numerical_gradient(_central) is PASSED


def _forward_diff(model, X, y, layer, i, j, eps):
    W = model.layers[layer].W
    w = W[i, j]
    base = model.loss(X, y)
    W[i, j] = w + 10 * eps
    up = model.loss(X, y)
    W[i, j] = w
    return (up - base) / (10 * eps)


def _no_restore(model, X, y, layer, i, j, eps):
    out = _central(model, X, y, layer, i, j, eps)
    model.layers[layer].W[i, j] += eps
    return out


@pytest.mark.parametrize("wrong, hint", [
    (lambda *a: 2 * _central(*a), "twice"),
    (lambda *a: _central(*a) / 2, "half"),
    (lambda *a: -_central(*a), "wrong sign"),
    (_forward_diff, "central difference"),
    (_no_restore, "changed the model"),
    (lambda *a: 0.0, "wrong estimate"),
])
def test_numerical_gradient_wrong_answers(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_numerical_gradient(wrong)


def test_gradients_of_a_pruned_model(model, batch):
    prune_weights(model, 0.5)
    grads = _backward(model, *batch)  # mask-blind: pruned weights get gradients
    with pytest.raises(AssertionError, match="multiply each dW by its layer.mask"):
        check_gradients(grads, model, *batch)
    masked = [(dW * layer.mask, db) for (dW, db), layer in zip(grads, model.layers)]
    assert check_gradients(masked, model, *batch) is PASSED


# The loophole of notebook 01's exercise 3: backprop itself, or a central difference with a step
# of its own, matched the small-step cases. A large step tells them from a central difference.
def _backprop(model, X, y, layer, i, j, eps):
    return float(model.gradients(X, y)[1][layer][0][i, j])


@pytest.mark.parametrize("wrong", [
    _backprop,
    lambda model, X, y, layer, i, j, eps: _central(model, X, y, layer, i, j, 1e-5),
])
def test_numerical_gradient_must_use_eps(wrong):
    with pytest.raises(AssertionError, match="exact gradient, not a central difference"):
        check_numerical_gradient(wrong)


def test_a_right_answer_is_true_but_not_a_cell_value():
    """nbgrader reads a test cell's value as partial credit: a check shows ``True`` as a display."""
    from minprune.checks import Passed
    assert PASSED and PASSED == True and isinstance(PASSED, Passed) and repr(PASSED) == "True"  # noqa: E712
    formatted, _ = __import__("IPython").core.formatters.DisplayFormatter().format(PASSED)
    assert formatted == {}   # _ipython_display_ handled it: no execute_result for the grader
