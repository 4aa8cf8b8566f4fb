"""The shared pruning rules: rank_order, select_lowest, resolve_amount, and the mask history
(commit_masks, rewind, undo)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune.pruning.rules import rank_order, resolve_amount, select_lowest

scores_st = st.lists(st.integers(0, 3), min_size=1, max_size=12).map(
    lambda v: np.array(v, dtype=np.float64))


# -------------------------------------------------------------------- rank_order
def test_rank_order_lowest_first_ties_by_position():
    scores = np.array([[2.0, 1.0, 2.0], [0.0, 1.0, 5.0]])
    np.testing.assert_array_equal(rank_order(scores), [3, 1, 4, 0, 2, 5])
    eligible = np.array([[True, False, True], [False, True, True]])
    np.testing.assert_array_equal(rank_order(scores, eligible), [4, 0, 2, 5])
    assert rank_order(scores, np.zeros((2, 3), dtype=bool)).size == 0


@given(scores_st, st.data())
def test_rank_order_is_a_stable_sort_of_the_eligible_entries(scores, data):
    eligible = np.array(data.draw(st.lists(st.booleans(), min_size=scores.size,
                                           max_size=scores.size)))
    order = rank_order(scores, eligible)
    assert sorted(order.tolist()) == np.flatnonzero(eligible).tolist()
    keys = [(scores[i], i) for i in order]
    assert keys == sorted(keys)  # score first, then position
    for k in range(order.size + 1):  # select_lowest takes a prefix of the order
        chosen = select_lowest(scores, k, eligible)
        assert set(np.flatnonzero(chosen)) == set(order[:k].tolist())


def test_rank_order_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        rank_order(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="eligible"):
        rank_order(np.zeros(3), np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="cannot select 3"):
        select_lowest(np.zeros(3), 3, np.array([True, False, True]))


# ------------------------------------------------------------------ resolve_amount
@pytest.mark.parametrize("amount, expected", [
    (np.array(0.5), 5), (np.float32(0.5), 5), (np.float64(0.25), 2), (np.int64(3), 3),
    (np.array(4), 4), (0.5, 5), (7, 7)])
def test_resolve_amount_takes_numpy_scalars_and_0d_arrays_as_scalars(amount, expected):
    assert resolve_amount(amount, 10) == expected


@pytest.mark.parametrize("amount, error", [
    (np.array([0.5]), TypeError), (np.array(True), TypeError), (np.bool_(True), TypeError),
    (np.array("a"), TypeError), (np.array(1.5), ValueError), (np.int64(11), ValueError),
    (np.array(-1), ValueError)])
def test_resolve_amount_rejects_non_scalars_and_out_of_range(amount, error):
    with pytest.raises(error, match="amount"):
        resolve_amount(amount, 10)


# ------------------------------------------------------------------ mask history
def make_data(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, size=n)


def state(model):
    return [(layer.W.copy(), layer.b.copy(), layer.mask.copy(), layer.bias_mask.copy())
            for layer in model.layers]


def assert_state(model, expected):
    for layer, (W, b, m, bm) in zip(model.layers, expected):
        np.testing.assert_array_equal(layer.W, W)
        np.testing.assert_array_equal(layer.b, b)
        np.testing.assert_array_equal(layer.mask, m)
        np.testing.assert_array_equal(layer.bias_mask, bm)


# one action: prune weights, prune neurons, or train (which changes weights, not masks)
actions_st = st.lists(st.sampled_from(["weights", "neurons", "fit"]), min_size=1, max_size=5)


def run(model, action, i, X, y):
    if action == "weights":
        minprune.prune_weights(model, 0.3, scope="global")
    elif action == "neurons":
        minprune.prune_neurons(model, 1)
    else:
        minprune.fit(model, X, y, epochs=1, batch_size=16, seed=i, progress=False)


@given(actions_st, st.integers(0, 1000), st.data())
def test_rewind_restores_the_state_before_each_pruning_step(actions, seed, data):
    """Over any sequence of prune / fit / prune ...: entry k < latest holds the exact state
    (masks and weights) right before pruning step k + 1, the latest entry the state right
    after the latest step; rewind restores it and drops the later entries."""
    X, y = make_data()
    model = minprune.MLP([4, 6, 5, 3], seed=seed)
    before_step, after_last = [], None
    for i, action in enumerate(actions):
        if action != "fit":
            before_step.append(state(model))
        run(model, action, i, X, y)
        if action != "fit":
            after_last = state(model)
    n_steps = len(before_step)
    history = minprune.mask_history(model)
    assert len(history) == (n_steps + 1 if n_steps else 0)
    if not n_steps:
        with pytest.raises(ValueError, match="nothing to undo"):
            minprune.undo(model)
        return
    now = state(model)
    for bad in (n_steps + 1, -n_steps - 2):  # out of range: an error, and nothing changes
        with pytest.raises(ValueError, match=f"step must index model.mask_history "
                                             f"\\({n_steps + 1} entries\\), got {bad}"):
            minprune.rewind(model, bad)
    assert_state(model, now)
    assert len(minprune.mask_history(model)) == n_steps + 1
    small = minprune.shrink(model)  # another shape: the copied history does not fit it
    if small.layer_sizes != model.layer_sizes:
        small.mask_history = [entry.copy() for entry in minprune.mask_history(model)]
        with pytest.raises(ValueError, match="layer shapes .* differ"):
            minprune.rewind(small, 0)
    target = data.draw(st.integers(-n_steps - 1, n_steps), label="rewind to entry")
    expected = after_last if target in (n_steps, -1) else before_step[target % (n_steps + 1)]
    entry = minprune.rewind(model, target)
    assert_state(model, expected)
    assert minprune.mask_history(model)[-1] is entry
    assert len(minprune.mask_history(model)) == target % (n_steps + 1) + 1


@given(st.lists(st.sampled_from(["weights", "neurons"]), min_size=1, max_size=4),
       st.integers(0, 1000))
def test_undo_after_prune_fit_prune_keeps_the_fine_tuning(steps, seed):
    X, y = make_data()
    model = minprune.MLP([4, 6, 5, 3], seed=seed)
    for i, kind in enumerate(steps):
        run(model, kind, i, X, y)
        run(model, "fit", i, X, y)
    finetuned = state(model)
    run(model, steps[0], 99, X, y)
    minprune.undo(model)
    assert_state(model, finetuned)
    assert len(minprune.mask_history(model)) == len(steps) + 1
    while len(minprune.mask_history(model)) > 1:
        minprune.undo(model)
    assert minprune.sparsity(model) == 0.0
    with pytest.raises(ValueError, match="nothing to undo"):
        minprune.undo(model)


def test_prune_fit_prune_undo_example():
    """The reviewer's case: undo returns to the fine-tuned weights, not the pruned ones."""
    X, y = make_data()
    model = minprune.MLP([4, 8, 3], seed=0)
    minprune.prune_weights(model, 0.5)
    pruned = state(model)
    minprune.fit(model, X, y, epochs=2, batch_size=8, progress=False)
    finetuned = state(model)
    assert not np.array_equal(finetuned[0][0], pruned[0][0])
    minprune.prune_weights(model, 0.5)
    minprune.undo(model)
    assert_state(model, finetuned)
    minprune.fit(model, X, y, epochs=1, batch_size=8, progress=False)
    entry = minprune.rewind(model, -1)  # the latest entry, now as undo left it
    assert entry.label == "weights magnitude/layer amount=0.5"
    assert_state(model, finetuned)


def test_rewind_errors_and_no_change_on_error():
    model = minprune.MLP([4, 6, 3], seed=0)
    with pytest.raises(ValueError, match="nothing to undo"):
        minprune.undo(model)
    with pytest.raises(ValueError, match=r"step must index model.mask_history \(0 entries\)"):
        minprune.rewind(model, 0)
    minprune.prune_weights(model, 0.5)
    before = state(model)
    for step in (2, -3, 10):
        with pytest.raises(ValueError, match=f"step must index .*got {step}"):
            minprune.rewind(model, step)
    for step in (1.0, "0", None, True):
        with pytest.raises(TypeError, match="step must be an int"):
            minprune.rewind(model, step)
    assert_state(model, before)
    assert len(minprune.mask_history(model)) == 2


def test_rewind_refuses_a_model_whose_shapes_changed():
    model = minprune.MLP([4, 6, 3], seed=0)
    minprune.prune_neurons(model, 2)
    small = minprune.shrink(model)
    assert small.layer_sizes == [4, 4, 3]
    small.mask_history = [entry.copy() for entry in minprune.mask_history(model)]
    with pytest.raises(ValueError, match="layer shapes .* differ"):
        minprune.rewind(small, 0)
    with pytest.raises(ValueError, match="layer shapes .* differ"):
        minprune.prune_weights(small, 0.5)  # commit_masks refreshes the latest entry first


def test_select_lowest_counts_minus_zero_as_a_tie_with_zero():
    # the partition compares values (-0.0 == 0.0), as the stable sort does
    scores = np.array([0.0, -0.0, 1.0, -0.0, 0.0, -1.0])
    order = rank_order(scores)
    for k in range(scores.size + 1):
        assert set(np.flatnonzero(select_lowest(scores, k))) == set(order[:k].tolist())


def test_five_pruning_calls_in_a_row_store_about_one_copy_of_the_model():
    from minprune.pruning.history import history_nbytes

    model = minprune.MLP([30, 40, 40, 5], seed=0)
    states = []
    for _ in range(5):
        states.append([(layer.W.copy(), layer.mask.copy()) for layer in model.layers])
        minprune.prune_weights(model, 0.5, scope="global")
    own = sum(layer.W.nbytes + layer.b.nbytes + layer.mask.nbytes + layer.bias_mask.nbytes
              for layer in model.layers)
    assert history_nbytes(model) <= 1.5 * own  # full copies: 6 x (weights + masks)
    for entry, state in zip(minprune.mask_history(model), states):  # and nothing is lost
        for W, m, (W0, m0) in zip(entry.weights, entry.masks, state):
            np.testing.assert_array_equal(W, W0)
            np.testing.assert_array_equal(m, m0)
