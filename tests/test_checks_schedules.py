"""Exercise checks of notebook 06: right answers pass, typical wrong answers fail with a hint."""
import numpy as np
import pytest

from minprune.checks import PASSED
from minprune import MLP, cubic_sparsity, fit, iterative_prune, prune_weights, sparsity
from minprune.checks.fine_tuning_and_schedules import (check_cubic_schedule, check_per_round,
                                                       check_sparsity_and_accuracy)

SCHEDULE = dict(initial=0.0, final=0.9, begin_step=20, end_step=120, frequency=10)
STEPS = np.arange(0, 151)


def _cubic(steps, initial, final, begin_step, end_step, frequency, power=3, floor=True):
    t = np.asarray(steps, dtype=float)
    done = np.maximum(t - begin_step, 0)
    if floor:
        done = np.floor(done / frequency) * frequency
    progress = np.clip(done / (end_step - begin_step), 0, 1)
    return final + (initial - final) * (1 - progress) ** power


# ---------------------------------------------------------- check_cubic_schedule
def test_cubic_right_answer_matches_library():
    mine = _cubic(STEPS, **SCHEDULE)
    assert check_cubic_schedule(mine, STEPS, **SCHEDULE) is PASSED
    np.testing.assert_allclose(mine, cubic_sparsity(STEPS, **SCHEDULE), rtol=0, atol=1e-12)
    other = dict(initial=0.2, final=0.8, begin_step=0, end_step=50, frequency=1)
    assert check_cubic_schedule(_cubic(STEPS[:60], **other), STEPS[:60], **other) is PASSED


@pytest.mark.parametrize("wrong, hint", [
    (lambda: _cubic(STEPS, **SCHEDULE, floor=False), "every frequency"),
    (lambda: _cubic(STEPS, **SCHEDULE, power=1), "linear"),
    (lambda: _cubic(STEPS, **SCHEDULE, power=2), "quadratic"),
    (lambda: 100 * _cubic(STEPS, **SCHEDULE), "percentages"),
    (lambda: _cubic(STEPS, **SCHEDULE)[:-1], "one sparsity per step"),
    (lambda: None, "replace None"),
])
def test_cubic_wrong_answers(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_cubic_schedule(wrong(), STEPS, **SCHEDULE)


def test_cubic_slow_start_and_unclipped_ends():
    s = SCHEDULE
    t = STEPS.astype(float)
    done = np.floor(np.maximum(t - s["begin_step"], 0) / 10) * 10
    slow = s["final"] * np.clip(done / 100, 0, 1) ** 3
    with pytest.raises(AssertionError, match="starts slowly"):
        check_cubic_schedule(slow, STEPS, **s)
    unclipped = s["final"] * (1 - (1 - done / 100) ** 3)  # goes past end_step and turns back
    with pytest.raises(AssertionError, match="never decrease|end_step"):
        check_cubic_schedule(unclipped, STEPS, **s)
    late_only = _cubic(STEPS, **s)
    late_only[-1] = 0.95
    with pytest.raises(AssertionError, match="stays at final"):
        check_cubic_schedule(late_only, STEPS, **s)
    early = _cubic(STEPS, **s)
    early[:5] = -0.1
    with pytest.raises(AssertionError, match="initial"):
        check_cubic_schedule(early, STEPS, **s)
    one_off = _cubic(STEPS, **s)
    one_off[69] += 0.001  # the last step of a plateau: still non-decreasing
    with pytest.raises(AssertionError, match="step 69"):
        check_cubic_schedule(one_off, STEPS, **s)


def test_cubic_bad_arguments():
    with pytest.raises(TypeError):
        check_cubic_schedule(np.zeros(3), np.array([0.0, 1.0, 2.0]), **SCHEDULE)
    with pytest.raises(ValueError):
        check_cubic_schedule(np.zeros(3), np.arange(3), final=0.5, end_step=0)


# --------------------------------------------------------------- check_per_round
def test_per_round_right_answer_matches_iterative_prune():
    p = 1 - (1 - 0.95) ** (1 / 5)
    assert check_per_round(p, 0.95, 5) is PASSED
    # iterative_prune with per_round=p takes exactly 5 rounds to reach 95%
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    model = MLP([5, 20, 2], seed=0)
    result = iterative_prune(model, 0.95, (X, y, X, y), per_round=p, finetune_epochs=1)
    assert result.rounds == 5
    assert abs(sparsity(model) - 0.95) < 0.01


@pytest.mark.parametrize("answer, hint", [
    (0.95 / 5, "SURVIVORS"),
    (0.95 ** (1 / 5), "density"),
    (100 * (1 - 0.05 ** 0.2), "percentage"),
    (0.3, "solve"),
    (None, "replace None"),
])
def test_per_round_wrong_answers(answer, hint):
    with pytest.raises(AssertionError, match=hint):
        check_per_round(answer, 0.95, 5)


# --------------------------------------------------- check_sparsity_and_accuracy
@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = MLP([6, 16, 2], seed=0)
    fit(model, X, y, epochs=40, batch_size=16, lr=1e-2, seed=0)
    return model, (X, y)


def test_sparsity_and_accuracy(task):
    model, data = task
    pruned = model.copy()
    prune_weights(pruned, 0.5)
    acc = pruned.score(*data)
    assert check_sparsity_and_accuracy(pruned, data, min_sparsity=0.5, min_accuracy=acc) is PASSED
    with pytest.raises(AssertionError, match="prune more"):
        check_sparsity_and_accuracy(pruned, data, min_sparsity=0.6, min_accuracy=0.0)
    with pytest.raises(AssertionError, match="accuracy is"):
        check_sparsity_and_accuracy(pruned, data, min_sparsity=0.5, min_accuracy=acc + 0.01)
    with pytest.raises(AssertionError, match="replace None"):
        check_sparsity_and_accuracy(None, data, min_sparsity=0.5, min_accuracy=0.5)
    with pytest.raises(TypeError, match="data must be a pair"):
        check_sparsity_and_accuracy(pruned, data[0], min_sparsity=0.5, min_accuracy=0.5)
    with pytest.raises(ValueError, match=r"data\[1\] \(y\)"):
        check_sparsity_and_accuracy(pruned, (data[0], data[1][:-1]), min_sparsity=0.5,
                                    min_accuracy=0.5)


def test_sparsity_and_accuracy_catches_mask_mistakes(task):
    model, data = task
    zeroed = model.copy()
    for layer in zeroed.layers:  # zeros written into W, masks left alone
        layer.W[np.abs(layer.W) < np.median(np.abs(layer.W))] = 0
    with pytest.raises(AssertionError, match="still marked as live"):
        check_sparsity_and_accuracy(zeroed, data, min_sparsity=0.4, min_accuracy=0.0)
    masked = model.copy()
    masked.layers[0].mask[:3] = False  # masks edited, apply_masks forgotten
    with pytest.raises(AssertionError, match="apply_masks"):
        check_sparsity_and_accuracy(masked, data, min_sparsity=0.0, min_accuracy=0.0)


# The loophole of notebook 06's exercise 3 ("no fine-tuning allowed"): a model fine-tuned after
# the cut is sparse and accurate, so it passed. With original= it fails, and so do its cousins.
def test_sparsity_and_accuracy_without_training(task):
    model, data = task
    pruned = model.copy()
    prune_weights(pruned, 0.5)
    assert check_sparsity_and_accuracy(pruned, data, min_sparsity=0.5, min_accuracy=0.0,
                                       original=model) is PASSED
    tuned = pruned.copy()
    fit(tuned, *data, epochs=2, batch_size=16, lr=1e-2, seed=0)
    assert tuned.score(*data) >= pruned.score(*data)    # the wrong answer is as good or better
    assert check_sparsity_and_accuracy(tuned, data, min_sparsity=0.5, min_accuracy=0.0) is PASSED
    with pytest.raises(AssertionError, match="trained after the cut"):
        check_sparsity_and_accuracy(tuned, data, min_sparsity=0.5, min_accuracy=0.0,
                                    original=model)
    nudged = pruned.copy()
    nudged.layers[1].b[0] += 1e-3                       # one bias moved is training too
    with pytest.raises(AssertionError, match="trained after the cut"):
        check_sparsity_and_accuracy(nudged, data, min_sparsity=0.5, min_accuracy=0.0,
                                    original=model)


def test_sparsity_and_accuracy_other_networks(task):
    model, data = task
    in_place = model.copy()
    prune_weights(in_place, 0.5)
    with pytest.raises(AssertionError, match="pruned in place"):
        check_sparsity_and_accuracy(in_place, data, min_sparsity=0.5, min_accuracy=0.0,
                                    original=in_place)
    smaller = MLP([6, 8, 2], seed=0)                   # a new network trained from scratch
    fit(smaller, *data, epochs=5, batch_size=16, lr=1e-2, seed=0)
    prune_weights(smaller, 0.5)
    with pytest.raises(AssertionError, match="layer sizes"):
        check_sparsity_and_accuracy(smaller, data, min_sparsity=0.5, min_accuracy=0.0,
                                    original=model)
    base = model.copy()
    prune_weights(base, 0.3)
    revived = base.copy()
    prune_weights(revived, 0.5)
    revived.layers[0].mask[:] = True                   # a weight the original had pruned is back
    revived.layers[0].mask[0, 0] = False
    revived.apply_masks()
    with pytest.raises(AssertionError, match="live that the original has pruned"):
        check_sparsity_and_accuracy(revived, data, min_sparsity=0.0, min_accuracy=0.0,
                                    original=base)
    with pytest.raises(TypeError, match="original"):
        check_sparsity_and_accuracy(base, data, min_sparsity=0.0, min_accuracy=0.0,
                                    original="model")
