"""prune_weights: exact counts, no resurrection, scopes, the layer-collapse guard, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune.pruning.rules import layer_collapse_guard
from minprune.pruning.weights import PruningReport

sizes = st.lists(st.integers(1, 9), min_size=1, max_size=3).map(lambda h: [5] + h + [3])
amounts = st.one_of(st.floats(0.0, 1.0), st.integers(0, 4))
CRITERIA = ("magnitude", "random", "taylor", "snip", "obd")


def make_data(n=24, n_features=5, n_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)), rng.integers(0, n_classes, size=n)


def n_unpruned(model):
    return [int(m.sum()) for m in model.masks_]


@given(sizes, st.integers(0, 2**16), st.lists(amounts, min_size=1, max_size=3))
def test_layer_scope_prunes_exact_count_of_each_layers_unpruned_weights(layer_sizes, seed, steps):
    model = minprune.MLP(layer_sizes, seed=seed)
    for amount in steps:
        before = n_unpruned(model)
        old = [m.copy() for m in model.masks_]
        if isinstance(amount, int) and amount > min(before):
            with pytest.raises(ValueError, match="amount"):
                minprune.prune_weights(model, amount)
            continue
        report = minprune.prune_weights(model, amount)
        expected = [amount if isinstance(amount, int) else round(amount * n) for n in before]
        assert [b - a for b, a in zip(before, n_unpruned(model))] == expected
        assert [r.pruned_now for r in report.rows] == expected
        for o, m in zip(old, model.masks_):
            assert not (m & ~o).any()  # never resurrects


@given(sizes, st.integers(0, 2**16), st.lists(st.floats(0.0, 0.6), min_size=1, max_size=3))
def test_global_scope_prunes_exact_count_overall_and_never_resurrects(layer_sizes, seed, steps):
    model = minprune.MLP(layer_sizes, seed=seed)
    for amount in steps:
        before = sum(n_unpruned(model))
        old = [m.copy() for m in model.masks_]
        try:
            report = minprune.prune_weights(model, amount, scope="global")
        except ValueError as err:  # tiny layers: the guard may refuse; nothing must change
            assert "min_density" in str(err)
            assert all((o == m).all() for o, m in zip(old, model.masks_))
            continue
        assert before - sum(n_unpruned(model)) == round(amount * before) == report.pruned_now
        for o, m in zip(old, model.masks_):
            assert not (m & ~o).any()


@given(sizes, st.integers(0, 2**16), st.floats(0.0, 1.0))
def test_global_prunes_the_globally_smallest_magnitudes(layer_sizes, seed, amount):
    model = minprune.MLP(layer_sizes, seed=seed)
    weights = np.concatenate([np.abs(layer.W).ravel() for layer in model.layers])
    minprune.prune_weights(model, amount, scope="global", min_density=0)
    pruned = np.concatenate([~m.ravel() for m in model.masks_])
    assert pruned.sum() == round(amount * weights.size)
    if 0 < pruned.sum() < weights.size:
        assert weights[pruned].max() <= weights[~pruned].min()


@given(sizes, st.integers(0, 2**16), st.floats(0.0, 1.0))
def test_layer_scope_prunes_the_smallest_magnitudes_of_each_layer(layer_sizes, seed, amount):
    model = minprune.MLP(layer_sizes, seed=seed)
    weights = [np.abs(layer.W).copy() for layer in model.layers]
    minprune.prune_weights(model, amount, scope="layer")
    for w, m in zip(weights, model.masks_):
        if 0 < m.sum() < m.size:
            assert w[~m].max() <= w[m].min()


@pytest.mark.parametrize("scope", ["layer", "global"])
@pytest.mark.parametrize("criterion", CRITERIA)
def test_weight_pruning_never_touches_biases_and_zeroes_pruned_weights(criterion, scope):
    model = minprune.MLP([5, 7, 6, 3], seed=3)
    for layer in model.layers:
        layer.b[:] = np.linspace(0.1, 1.0, layer.b.size)
    biases = [layer.b.copy() for layer in model.layers]
    minprune.prune_weights(model, 0.5, criterion=criterion, scope=scope, data=make_data(), seed=0)
    minprune.prune_weights(model, 0.3, criterion=criterion, scope=scope, data=make_data(), seed=1)
    for layer, b in zip(model.layers, biases):
        np.testing.assert_array_equal(layer.b, b)
        assert layer.bias_mask.all()
        assert (layer.W[~layer.mask] == 0).all()
    assert minprune.sparsity(model) == pytest.approx(1 - 0.5 * 0.7, abs=0.03)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_same_seed_same_mask(criterion):
    masks = []
    for _ in range(2):
        model = minprune.MLP([5, 8, 3], seed=4)
        minprune.prune_weights(model, 0.4, criterion=criterion, scope="global", data=make_data(),
                               seed=11)
        masks.append([m.copy() for m in model.masks_])
    for a, b in zip(*masks):
        np.testing.assert_array_equal(a, b)


def test_random_criterion_depends_on_seed():
    a, b = minprune.MLP([5, 20, 3], seed=0), minprune.MLP([5, 20, 3], seed=0)
    minprune.prune_weights(a, 0.5, criterion="random", seed=1)
    minprune.prune_weights(b, 0.5, criterion="random", seed=2)
    assert not all((x == y).all() for x, y in zip(a.masks_, b.masks_))


def test_global_and_layer_scope_differ_when_layers_have_different_scales():
    model = minprune.MLP([5, 10, 3], seed=0)
    model.layers[1].W += 10 * np.sign(model.layers[1].W)  # |w| > 10 in the output layer only
    assert np.abs(model.layers[0].W).max() < 10
    copy = model.copy()
    minprune.prune_weights(model, 0.5, scope="layer")
    minprune.prune_weights(copy, 0.5, scope="global")
    assert [1 - m.mean() for m in model.masks_] == [0.5, 0.5]
    assert copy.masks_[1].all() and (1 - copy.masks_[0].mean()) == pytest.approx(40 / 50)


def test_guard_keeps_each_layers_most_important_weights():
    model = minprune.MLP([20, 10, 3], seed=0)
    model.layers[0].W *= 1e-3  # a global ranking would empty layer 0 first
    minprune.prune_weights(model, 220, scope="global")  # 220 of 230: layer 0 has only 200
    kept0 = model.masks_[0]
    assert kept0.sum() == math.ceil(0.01 * 200) == 2
    w = np.abs(minprune.MLP([20, 10, 3], seed=0).layers[0].W)
    assert set(np.flatnonzero(kept0)) == set(np.argsort(w.ravel())[-2:])
    assert model.masks_[1].sum() == 30 - (220 - 198)  # the guard moved 2 prunings to layer 1


def test_guard_does_not_bind_equals_unguarded_and_refuses_when_it_cannot_fit():
    a = minprune.MLP([6, 8, 3], seed=5)
    b = a.copy()
    minprune.prune_weights(a, 0.8, scope="global")
    minprune.prune_weights(b, 0.8, scope="global", min_density=0)
    for x, y in zip(a.masks_, b.masks_):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="min_density"):
        minprune.prune_weights(a, 1.0, scope="global")
    minprune.prune_weights(a, 1.0, scope="global", min_density=0)
    assert minprune.sparsity(a) == 1.0


def test_layer_collapse_guard_protects_top_scores_with_the_stable_tie_rule():
    masks = [np.ones(4, dtype=bool)]
    eligible = layer_collapse_guard(masks, [np.array([1.0, 1.0, 1.0, 1.0])], 0.5)
    np.testing.assert_array_equal(eligible[0], [True, True, False, False])
    masks = [np.array([True, False, True, True])]
    eligible = layer_collapse_guard(masks, [np.array([3.0, 0.0, 1.0, 2.0])], 0.01)
    np.testing.assert_array_equal(eligible[0], [False, False, True, True])


def test_report_rows_repr_and_history():
    model = minprune.MLP([4, 5, 3], seed=0)
    report = minprune.prune_weights(model, 0.5)
    assert isinstance(report, PruningReport)
    assert [(r.name, r.shape, r.pruned_now, r.pruned_total) for r in report.rows] == [
        ("layers[0]", (4, 5), 10, 10), ("layers[1]", (5, 3), 8, 8)]  # round(7.5) == 8
    text = repr(report)
    assert text.splitlines()[0] == ("prune_weights(amount=0.5, criterion='magnitude', "
                                    "scope='layer'): 18 weights pruned")
    assert "layers[1]" in text and "53.3%" in text and text == repr(report)
    assert "<table>" in report._repr_html_() and "53.3%" in report._repr_html_()
    history = minprune.mask_history(model)
    assert [h.label for h in history] == ["initial", "weights magnitude/layer amount=0.5"]
    minprune.undo(model)
    assert minprune.sparsity(model) == 0.0


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(amount=1.5), ValueError, "amount"),
    (dict(amount=-1), ValueError, "amount"),
    (dict(amount=-0.1), ValueError, "amount"),
    (dict(amount="half"), TypeError, "amount"),
    (dict(amount=True), TypeError, "amount"),
    (dict(amount=None), TypeError, "amount"),
    (dict(amount=float("nan")), ValueError, "amount"),
    (dict(amount=46), ValueError, r"amount \(for layers\[1\]\)"),
    (dict(amount=1000, scope="global"), ValueError, "amount"),
    (dict(amount=0.5, criterion="l2"), ValueError, "criterion"),
    (dict(amount=0.5, criterion=None), TypeError, "criterion"),
    (dict(amount=0.5, scope="local"), ValueError, "scope"),
    (dict(amount=0.5, min_density=1.0), ValueError, "min_density"),
    (dict(amount=0.5, min_density=-0.1), ValueError, "min_density"),
    (dict(amount=0.5, criterion="taylor"), ValueError, "data"),
    (dict(amount=0.5, criterion="obd", data=np.zeros((3, 4))), TypeError, "data"),
    (dict(amount=0.5, criterion="snip", data=(np.zeros((3, 5)), [0, 1, 2])), ValueError,
     r"data\[0\]"),
    (dict(amount=0.5, criterion="taylor", data=(np.zeros((3, 4)), [0, 1])), ValueError,
     r"data\[1\]"),
    (dict(amount=0.5, criterion="taylor", data=(np.zeros((3, 4)), [0, 1, 7])), ValueError,
     r"data\[1\]"),
    (dict(amount=0.5, criterion="random", seed="x"), TypeError, "seed"),
])
def test_bad_arguments_name_the_argument_and_change_nothing(kwargs, error, words):
    model = minprune.MLP([4, 15, 3], seed=0)
    amount = kwargs.pop("amount")
    with pytest.raises(error, match=words):
        minprune.prune_weights(model, amount, **kwargs)
    assert minprune.sparsity(model) == 0.0 and not minprune.mask_history(model)


def test_model_must_be_an_mlp():
    with pytest.raises(TypeError, match="model"):
        minprune.prune_weights([np.zeros((3, 3))], 0.5)


def test_a_sequence_gives_each_layer_its_own_amount():
    model = minprune.MLP([6, 5, 4, 3], seed=3)
    report = minprune.prune_weights(model, [0.5, 3, 0.0])
    assert [r.pruned_now for r in report.rows] == [15, 3, 0]
    for i, a in enumerate([0.5, 3, 0.0]):  # the same as pruning each layer alone
        single = minprune.MLP([6, 5, 4, 3], seed=3)
        minprune.prune_weights(single, [a if j == i else 0 for j in range(3)])
        np.testing.assert_array_equal(single.layers[i].mask, model.layers[i].mask)


def test_a_sequence_of_amounts_is_checked():
    model = minprune.MLP([6, 5, 4, 3], seed=3)
    with pytest.raises(ValueError, match="one amount per layer \\(3\\), got 2"):
        minprune.prune_weights(model, [0.5, 0.5])
    with pytest.raises(TypeError, match="scope='layer'"):
        minprune.prune_weights(model, [0.5, 0.5, 0.5], scope="global")
    with pytest.raises(ValueError, match=r"amount\[1\]"):
        minprune.prune_weights(model, [0.5, 1.5, 0.5])
    assert all(layer.mask.all() for layer in model.layers)


@pytest.mark.parametrize("amount, expected", [(np.array(0.5), 0.5), (np.float32(0.25), 0.25),
                                              (np.array(3), 3), (np.int64(2), 2)])
def test_numpy_scalars_and_0d_arrays_are_scalar_amounts(amount, expected):
    a, b = minprune.MLP([5, 4, 3], seed=0), minprune.MLP([5, 4, 3], seed=0)
    report = minprune.prune_weights(a, amount)
    minprune.prune_weights(b, expected)
    assert [m.tolist() for m in a.masks_] == [m.tolist() for m in b.masks_]
    assert report.amount == expected and type(report.amount) is type(expected)
    assert minprune.mask_history(a)[-1].label == minprune.mask_history(b)[-1].label
    minprune.prune_neurons(a, np.array(1))
    assert "amount=1" in minprune.mask_history(a)[-1].label


def test_max_sparsity_by_hand():
    from minprune.pruning.rules import max_sparsity

    model = minprune.MLP([8, 16, 3], seed=0)
    assert max_sparsity(model) == 173 / 176  # keeps ceil(1.28) = 2 and max(1, 0.48) -> 1
    assert max_sparsity(model, min_density=0.1) == (176 - 13 - 5) / 176
    assert max_sparsity(model, min_density=0.0) == 1.0 == max_sparsity(model, "layer")
    model.layers[1].mask[:] = False  # a layer already emptier than the floor stays as it is
    model.layers[1].mask[0, 0] = True
    assert max_sparsity(model, min_density=0.1) == (176 - 13 - 1) / 176
    with pytest.raises(TypeError, match="model"):
        max_sparsity(None)
    with pytest.raises(ValueError, match="scope"):
        max_sparsity(model, "all")
    with pytest.raises(ValueError, match="min_density"):
        max_sparsity(model, min_density=1.0)


@given(sizes, st.integers(0, 2**16), st.sampled_from([0.0, 0.01, 0.2, 0.5]),
       st.floats(0.0, 0.9))
def test_max_sparsity_is_exactly_what_a_global_prune_reaches(layer_sizes, seed, min_density,
                                                             first):
    from minprune.pruning.rules import max_sparsity

    model = minprune.MLP(layer_sizes, seed=seed)
    minprune.prune_weights(model, first)  # start from a pruned model
    total = sum(m.size for m in model.masks_)
    most = round(max_sparsity(model, min_density=min_density) * total)
    left = most - (total - sum(n_unpruned(model)))
    if most < total:  # one more is refused by the guard
        with pytest.raises(ValueError, match="layer-collapse guard"):
            minprune.prune_weights(model.copy(), left + 1, scope="global",
                                   min_density=min_density)
    else:
        assert min_density == 0.0
    minprune.prune_weights(model, left, scope="global", min_density=min_density)
    assert minprune.sparsity(model) == pytest.approx(most / total)
