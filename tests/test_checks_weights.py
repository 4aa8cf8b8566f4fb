"""The exercise checks of notebooks 02-03: right answers pass, typical wrong answers fail with a hint."""
import math

import numpy as np
import pytest

from minprune.checks import PASSED
from minprune import MLP, fit, prune_weights, weight_importance
from minprune.checks.weight_pruning import (check_global_threshold, check_layer_sensitivity,
                                            check_magnitude_mask)
from minprune.checks.which_weights_matter import (check_oracle_entry, check_pair_interaction,
                                                  check_taylor_scores)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def trained(data):
    model = MLP([6, 8, 3], seed=0)
    fit(model, *data, epochs=20, batch_size=16, lr=1e-2, seed=0)
    return model


@pytest.fixture
def model(trained):
    return trained.copy()


@pytest.fixture
def model64(data):
    m = MLP([6, 5, 3], seed=1, dtype=np.float64)
    fit(m, data[0].astype(np.float64), data[1], epochs=10, batch_size=16, lr=1e-2, seed=0)
    return m, (data[0].astype(np.float64), data[1])


# ------------------------------------------------------------- check_magnitude_mask
def _magnitude_mask(W, amount):
    k = round(amount * W.size)
    order = np.argsort(np.abs(W).ravel(), kind="stable")
    mask = np.ones(W.size, dtype=bool)
    mask[order[:k]] = False
    return mask.reshape(W.shape)


def test_magnitude_mask_right_answer_matches_library(model):
    W = model.layers[0].W.copy()
    mask = _magnitude_mask(W, 0.7)
    assert check_magnitude_mask(mask, W, 0.7) is PASSED
    prune_weights(model, 0.7)
    np.testing.assert_array_equal(mask, model.layers[0].mask)
    assert check_magnitude_mask(_magnitude_mask(W, 0.0), W, 0) is PASSED


def test_magnitude_mask_accepts_either_tie_break():
    W = np.array([[0.5, -0.5], [0.1, 2.0]])
    assert check_magnitude_mask(np.array([[False, True], [False, True]]), W, 2) is PASSED
    assert check_magnitude_mask(np.array([[True, False], [False, True]]), W, 2) is PASSED


@pytest.mark.parametrize("make, hint", [
    (lambda W: ~_magnitude_mask(W, 0.7), "inverted"),
    (lambda W: _magnitude_mask(W, 0.7).astype(int), "bool array"),
    (lambda W: _magnitude_mask(W, 0.7).T, "shape"),
    (lambda W: _magnitude_mask(W, 0.5), "weights pruned, but"),
    (lambda W: np.argsort(np.argsort(W.ravel())).reshape(W.shape) >= round(0.7 * W.size),
     "most NEGATIVE"),
    (lambda W: np.random.default_rng(0).permutation(W.size).reshape(W.shape)
     >= round(0.7 * W.size), "smaller in magnitude"),  # random, right count
    (lambda W: None, "replace None"),
])
def test_magnitude_mask_wrong_answers(model, make, hint):
    W = model.layers[0].W
    with pytest.raises(AssertionError, match=hint):
        check_magnitude_mask(make(W), W, 0.7)


def test_magnitude_mask_truncation_hint():
    W = np.random.default_rng(0).normal(size=(3, 3))  # 0.65 * 9 = 5.85: int() gives 5, round 6
    with pytest.raises(AssertionError, match="truncated"):
        check_magnitude_mask(_magnitude_mask(W, 5 / 9), W, 0.65)


def test_magnitude_mask_bad_arguments():
    with pytest.raises(TypeError, match="W must be"):
        check_magnitude_mask(np.ones(3, dtype=bool), [1.0, 2.0, 3.0], 0.5)
    with pytest.raises(ValueError, match="amount"):
        check_magnitude_mask(np.ones((2, 2), dtype=bool), np.ones((2, 2)), 1.5)


# ----------------------------------------------------------- check_global_threshold
def _all_mags(model):
    return np.sort(np.concatenate([np.abs(layer.W).ravel() for layer in model.layers]))


def test_global_threshold_right_answers(model):
    mags = _all_mags(model)
    k = round(0.8 * mags.size)
    assert check_global_threshold(mags[k - 1], model, 0.8) is PASSED
    assert check_global_threshold(np.quantile(mags, 0.8), model, 0.8) is PASSED
    # and it agrees with the library's global magnitude pruning
    prune_weights(model, 0.8, scope="global", min_density=0)
    kept = np.concatenate([np.abs(layer.W[layer.mask]) for layer in model.layers])
    assert kept.min() > mags[k - 1]


def test_global_threshold_wrong_answers(model):
    mags = _all_mags(model)
    signed = np.sort(np.concatenate([layer.W.ravel() for layer in model.layers]))
    layer0 = np.sort(np.abs(model.layers[0].W).ravel())
    cases = [
        (signed[round(0.8 * signed.size) - 1], "signed"),
        (layer0[round(0.8 * layer0.size) - 1], "layers\\[0\\]'s own threshold"),
        (mags[round(0.5 * mags.size) - 1], "gives sparsity 50.0%"),
        ([0.1, 0.2], "ONE threshold"),
        (-0.1, ">= 0"),
        (None, "replace None"),
    ]
    for answer, hint in cases:
        with pytest.raises(AssertionError, match=hint):
            check_global_threshold(answer, model, 0.8)


# ---------------------------------------------------------- check_layer_sensitivity
def _sensitivity(model, X, y, amount):
    out = []
    for i in range(len(model.layers)):
        trial = model.copy()
        layer = trial.layers[i]
        layer.mask = _magnitude_mask(layer.W, amount)
        layer.apply_mask()
        out.append(trial.score(X, y))
    return out


def test_layer_sensitivity_right_answer(model, data):
    assert check_layer_sensitivity(_sensitivity(model, *data, 0.8), model, data, 0.8) is PASSED


def test_layer_sensitivity_wrong_answers(model, data):
    right = _sensitivity(model, *data, 0.8)
    everything = model.copy()
    prune_weights(everything, 0.8)
    cumulative, trial = [], model.copy()
    for layer in trial.layers:
        layer.mask = _magnitude_mask(layer.W, 0.8)
        layer.apply_mask()
        cumulative.append(trial.score(*data))
    assert cumulative != right and everything.score(*data) not in right  # the cases differ
    cases = [
        ([100 * a for a in right], "percentages"),
        ([everything.score(*data)] * 2, "ALL layers pruned at once"),
        (cumulative, "fresh model.copy"),
        (right[:1], "one accuracy per layer"),
        ([right[0], right[1] + 0.1], "layers \\[1\\]"),
    ]
    for answer, hint in cases:
        with pytest.raises(AssertionError, match=hint):
            check_layer_sensitivity(answer, model, data, 0.8)


# ------------------------------------------------------------- check_taylor_scores
def test_taylor_right_answer(model, data):
    _, grads = model.gradients(*data)
    scores = [np.abs(layer.W * dW) for layer, (dW, _) in zip(model.layers, grads)]
    assert check_taylor_scores(scores, model, data) is PASSED
    assert check_taylor_scores(weight_importance(model, "taylor", data=data), model, data)


def test_taylor_wrong_answers(model, data):
    _, grads = model.gradients(*data)
    pairs = list(zip(model.layers, grads))
    n = len(data[1])
    cases = [
        ([layer.W * dW for layer, (dW, _) in pairs], "ABSOLUTE"),
        ([np.abs(dW) for _, (dW, _) in pairs], "multiply by the weight"),
        ([np.abs(layer.W) for layer, _ in pairs], "magnitude"),
        ([n * np.abs(layer.W * dW) for layer, (dW, _) in pairs], "MEAN loss"),
        ([np.abs(layer.W * dW).T for layer, (dW, _) in pairs], "shape"),
        ([np.abs(layer.W * dW) + 1 for layer, (dW, _) in pairs], "wrong scores"),
    ]
    for answer, hint in cases:
        with pytest.raises(AssertionError, match=hint):
            check_taylor_scores(answer, model, data)


# -------------------------------------------------------------- check_oracle_entry
def _delta(model, data, positions):
    trial = model.copy()
    for layer, i, j in positions:
        trial.layers[layer].W[i, j] = 0.0
    return trial.loss(*data) - model.loss(*data)


def test_oracle_entry_right_answer(model64, model, data):
    m, d = model64
    assert check_oracle_entry(_delta(m, d, [(0, 2, 3)]), m, d, (0, 2, 3)) is PASSED
    assert check_oracle_entry(_delta(m, d, [(1, 4, 1)]), m, d, (-1, 4, 1)) is PASSED
    # a float32 model's loss is rounded; its answer passes too
    assert check_oracle_entry(_delta(model, data, [(0, 1, 1)]), model, data, (0, 1, 1)) is PASSED


def test_oracle_entry_wrong_answers(model64):
    m, d = model64
    delta = _delta(m, d, [(0, 2, 3)])
    trial = m.copy()
    trial.layers[0].W[2, 3] = 0
    cases = [(-delta, "wrong sign"), (trial.loss(*d), "subtract the loss"),
             (delta + 0.01, "wrong value"), (None, "replace None")]
    for answer, hint in cases:
        with pytest.raises(AssertionError, match=hint):
            check_oracle_entry(answer, m, d, (0, 2, 3))
    m.layers[0].W[2, 3] = 0  # the learner zeroed the model itself
    with pytest.raises(AssertionError, match="in a copy"):
        check_oracle_entry(delta, m, d, (0, 2, 3))


def test_oracle_entry_bad_position(model64):
    m, d = model64
    with pytest.raises(ValueError, match="row i"):
        check_oracle_entry(0.0, m, d, (0, 6, 0))
    with pytest.raises(TypeError, match="triple"):
        check_oracle_entry(0.0, m, d, (0, 1))


# ---------------------------------------------------------- check_pair_interaction
def test_pair_interaction(model64):
    m, d = model64
    a, b = (0, 0, 1), (1, 1, 2)
    da, db, dab = _delta(m, d, [a]), _delta(m, d, [b]), _delta(m, d, [a, b])
    inter = dab - da - db
    assert abs(inter) > 1e-6  # the case is informative
    assert check_pair_interaction(inter, m, d, a, b) is PASSED
    cases = [(-inter, "wrong sign"), (dab, "joint change"), (da + db, "sum of the solo"),
             (inter + 0.01, "wrong value")]
    for answer, hint in cases:
        with pytest.raises(AssertionError, match=hint):
            check_pair_interaction(answer, m, d, a, b)
    with pytest.raises(ValueError, match="two different weights"):
        check_pair_interaction(0.0, m, d, a, a)


# Notebook 02's exercise 1 once checked 0.9 of a 64 x 10 layer (576 exactly) and a count: a
# truncating or rounding-up answer passed both. Its cases are now 0.9 of the 128 x 64 layer
# (7372.8) and 0.33 of the 64 x 10 layer (211.2): each wrong rounding fails one of them.
EXERCISE_CASES = [((128, 64), 0.9), ((64, 10), 0.33), ((128, 64), 1000)]


def _mask_with(count):
    def magnitude_mask(W, amount):
        k = amount if isinstance(amount, int) else count(amount * W.size)
        order = np.argsort(np.abs(W).ravel(), kind="stable")
        mask = np.ones(W.size, dtype=bool)
        mask[order[:k]] = False
        return mask.reshape(W.shape)
    return magnitude_mask


def _exercise_1(magnitude_mask):
    rng = np.random.default_rng(0)
    for shape, amount in EXERCISE_CASES:
        W = rng.normal(size=shape).astype(np.float32)
        check_magnitude_mask(magnitude_mask(W, amount), W, amount)


def test_magnitude_mask_exercise_cases_tell_roundings_apart():
    _exercise_1(_mask_with(round))
    with pytest.raises(AssertionError, match="truncated"):
        _exercise_1(_mask_with(int))
    with pytest.raises(AssertionError, match="rounded up"):
        _exercise_1(_mask_with(math.ceil))


def test_notebook_02_uses_the_exercise_cases():
    import json
    import pathlib
    import re
    nb = pathlib.Path(__file__).parents[1] / "notebooks" / "02_weight_pruning.ipynb"
    source = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
    calls = re.findall(r"check_magnitude_mask\(magnitude_mask\(model\.layers\[(\d)\]\.W, ([\d.]+)\)",
                       source)
    shapes = {"0": (64, 128), "1": (128, 64), "2": (64, 10)}   # notebook 02's MLP([64, 128, 64, 10])
    used = [(shapes[i], float(a) if "." in a else int(a)) for i, a in calls]
    assert used == EXERCISE_CASES
