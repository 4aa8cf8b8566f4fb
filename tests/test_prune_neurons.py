"""prune_neurons: whole units, exact counts, scopes, criteria, bad input."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune.pruning.units import active_units

sizes = st.lists(st.integers(1, 9), min_size=1, max_size=3).map(lambda h: [5] + h + [3])
CRITERIA = ("l1", "l2", "activation", "apoz", "taylor", "random")


def make_data(n=32, n_features=5, n_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)), rng.integers(0, n_classes, size=n)


def assert_whole_units_pruned(model):
    for i, layer in enumerate(model.layers[:-1]):
        dead = ~layer.bias_mask
        assert not layer.mask[:, dead].any() and not model.layers[i + 1].mask[dead, :].any()
        assert (layer.W[:, dead] == 0).all() and (layer.b[dead] == 0).all()
        assert (model.layers[i + 1].W[dead, :] == 0).all()
    assert model.layers[-1].bias_mask.all()  # the output layer's units are never pruned


@given(sizes, st.integers(0, 2**16),
       st.lists(st.one_of(st.floats(0.0, 1.0), st.integers(0, 3)), min_size=1, max_size=3))
def test_layer_scope_prunes_exact_count_of_active_units_and_never_resurrects(layer_sizes, seed,
                                                                             steps):
    model = minprune.MLP(layer_sizes, seed=seed)
    for amount in steps:
        before = [int(a.sum()) for a in active_units(model)]
        old = [m.copy() for m in model.masks_]
        if isinstance(amount, int) and amount > min(before):
            with pytest.raises(ValueError, match="amount"):
                minprune.prune_neurons(model, amount)
            continue
        report = minprune.prune_neurons(model, amount)
        expected = [amount if isinstance(amount, int) else round(amount * n) for n in before]
        assert [b - int(a.sum()) for b, a in zip(before, active_units(model))] == expected
        assert [r.pruned_now for r in report.rows] == expected
        for o, m in zip(old, model.masks_):
            assert not (m & ~o).any()
        assert_whole_units_pruned(model)


@given(sizes, st.integers(0, 2**16), st.floats(0.0, 1.0))
def test_global_scope_exact_count_keeps_one_unit_per_layer(layer_sizes, seed, amount):
    model = minprune.MLP(layer_sizes, seed=seed)
    norms = np.concatenate([np.linalg.norm(layer.W, axis=0) for layer in model.layers[:-1]])
    n_hidden = len(layer_sizes) - 2
    k = round(amount * norms.size)
    if k > norms.size - n_hidden:
        with pytest.raises(ValueError, match="one unit in each hidden layer"):
            minprune.prune_neurons(model, amount, scope="global")
        return
    minprune.prune_neurons(model, amount, scope="global")
    active = active_units(model)
    assert all(a.any() for a in active)
    pruned = ~np.concatenate(active)
    assert pruned.sum() == k
    assert_whole_units_pruned(model)
    if k and not any(a.sum() == 1 for a in active):  # guard did not bind: globally smallest
        assert norms[pruned].max() <= norms[~pruned].min()


@given(st.integers(0, 2**16), st.sampled_from(CRITERIA))
def test_output_does_not_depend_on_pruned_units_weights(seed, criterion):
    model = minprune.MLP([5, 8, 6, 3], seed=seed)
    X, y = make_data()
    minprune.prune_neurons(model, 0.5, criterion=criterion, data=(X, y), seed=seed)
    before = model.forward(X)
    rng = np.random.default_rng(seed)
    for i, layer in enumerate(model.layers[:-1]):  # scribble over the dead units' raw values
        dead = ~layer.bias_mask
        layer.W[:, dead] = rng.normal(size=(layer.fan_in, dead.sum()))
        layer.b[dead] = rng.normal(size=dead.sum())
        model.layers[i + 1].W[dead, :] = rng.normal(size=(dead.sum(), model.layers[i + 1].fan_out))
    model.apply_masks()  # hand-written values: restore the invariant (pruned is 0.0)
    np.testing.assert_array_equal(model.forward(X), before)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_same_seed_same_units(criterion):
    masks = []
    for _ in range(2):
        model = minprune.MLP([5, 9, 7, 3], seed=2)
        minprune.prune_neurons(model, 0.4, criterion=criterion, scope="global", data=make_data(),
                               seed=5)
        masks.append([m.copy() for m in model.masks_])
    for a, b in zip(*masks):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("criterion", ["apoz", "activation"])
def test_dead_units_are_pruned_first_by_apoz_and_activation(criterion):
    model = minprune.MLP([5, 8, 3], seed=0)
    model.layers[0].b[[2, 5]] = -100.0  # never active: APoZ = 100%, mean activation 0
    model.layers[0].b[3] = -0.5          # sometimes active
    minprune.prune_neurons(model, 2, criterion=criterion, data=make_data())
    np.testing.assert_array_equal(np.flatnonzero(~model.layers[0].bias_mask), [2, 5])


def test_taylor_picks_the_unit_whose_scaling_least_changes_the_loss():
    model = minprune.MLP([5, 8, 3], seed=3, dtype=np.float64)
    X, y = make_data()
    eps, effects = 1e-6, []
    for j in range(8):  # d/d(eps) L(a_j * (1 + eps)) = sum_s a_sj dL/da_sj
        out = model.layers[1].W[j].copy()
        losses = []
        for sign in (1, -1):
            model.layers[1].W[j] = out * (1 + sign * eps)
            losses.append(model.loss(X, y))
        model.layers[1].W[j] = out
        effects.append(abs(losses[0] - losses[1]) / (2 * eps))
    minprune.prune_neurons(model, 1, criterion="taylor", data=(X, y))
    assert np.flatnonzero(~model.layers[0].bias_mask)[0] == int(np.argmin(effects))


def test_neurons_pruned_by_weight_pruning_stay_active_until_their_bias_goes():
    model = minprune.MLP([5, 4, 3], seed=0)
    model.layers[0].mask[:, 1] = False  # all incoming weights gone, bias kept
    assert active_units(model)[0].tolist() == [True, True, True, True]
    model.layers[0].bias_mask[1] = False
    assert active_units(model)[0].tolist() == [True, False, True, True]
    report = minprune.prune_neurons(model, 1.0)
    assert report.rows[0].pruned_now == 3 and report.rows[0].pruned_total == 4


def test_report_and_history():
    model = minprune.MLP([5, 8, 6, 3], seed=0)
    report = minprune.prune_neurons(model, 0.25)
    text = repr(report)
    assert text.splitlines()[0] == ("prune_neurons(amount=0.25, criterion='l2', scope='layer'): "
                                    "4 neurons pruned")  # round(2.0) + round(1.5) = 2 + 2
    assert [(r.name, r.shape, r.pruned_now) for r in report.rows] == [
        ("layers[0]", (8,), 2), ("layers[1]", (6,), 2)]
    assert "units" in text and "33.3%" in text and "<table>" in report._repr_html_()
    assert minprune.mask_history(model)[-1].label == "neurons l2/layer amount=0.25"


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(amount=1.5), ValueError, "amount"),
    (dict(amount=-1), ValueError, "amount"),
    (dict(amount="half"), TypeError, "amount"),
    (dict(amount=True), TypeError, "amount"),
    (dict(amount=7), ValueError, r"amount \(for layers\[1\]\)"),
    (dict(amount=15, scope="global"), ValueError, "amount must be"),
    (dict(amount=13, scope="global"), ValueError, "one unit in each hidden layer"),
    (dict(amount=0.5, criterion="magnitude"), ValueError, "criterion"),
    (dict(amount=0.5, scope="channel"), ValueError, "scope"),
    (dict(amount=0.5, criterion="activation"), ValueError, "data"),
    (dict(amount=0.5, criterion="apoz", data=(np.zeros((3, 4)), [0, 1, 2])), ValueError,
     r"data\[0\]"),
    (dict(amount=0.5, criterion="taylor", data=(np.zeros((3, 5)), [[0, 1, 2]])), ValueError,
     r"data\[1\]"),
    (dict(amount=0.5, criterion="taylor", data=[np.zeros((3, 5))]), TypeError, "data"),
])
def test_bad_arguments_name_the_argument_and_change_nothing(kwargs, error, words):
    model = minprune.MLP([5, 8, 6, 3], seed=0)
    amount = kwargs.pop("amount")
    with pytest.raises(error, match=words):
        minprune.prune_neurons(model, amount, **kwargs)
    assert minprune.sparsity(model) == 0.0 and not minprune.mask_history(model)


def test_apoz_needs_relu_and_a_model_needs_hidden_layers():
    with pytest.raises(ValueError, match="apoz.*tanh"):
        minprune.prune_neurons(minprune.MLP([5, 4, 3], activation="tanh"), 0.5, criterion="apoz",
                               data=make_data())
    with pytest.raises(ValueError, match="no hidden layer"):
        minprune.prune_neurons(minprune.MLP([5, 3]), 0.5)


def test_unit_masks_removes_columns_biases_and_rows_without_changing_the_model():
    from minprune.pruning.units import unit_masks

    model = minprune.MLP([5, 4, 3, 2], seed=0)
    model.layers[1].mask[0, 0] = False  # an earlier weight-pruning hole is kept
    before = [m.copy() for m in model.masks_]
    units = [np.array([False, True, False, True]), np.array([True, False, False])]
    masks, bias_masks = unit_masks(model, units)
    np.testing.assert_array_equal(masks[0].all(axis=0), [True, False, True, False])
    np.testing.assert_array_equal(bias_masks[0], [True, False, True, False])
    np.testing.assert_array_equal(masks[1].any(axis=1), [True, False, True, False])
    np.testing.assert_array_equal(masks[1].any(axis=0), [False, True, True])
    assert not masks[1][0, 0] and bias_masks[1].tolist() == [False, True, True]
    np.testing.assert_array_equal(masks[2].any(axis=1), [False, True, True])
    assert bias_masks[2].all()  # the output layer's units are never removed
    for old, layer in zip(before, model.layers):  # the model is not changed
        np.testing.assert_array_equal(old, layer.mask)
    minprune.pruning.history.commit_masks(model, masks, bias_masks)
    assert [int(a.sum()) for a in active_units(model)] == [2, 2]
    assert_whole_units_pruned(model)


@pytest.mark.parametrize("units, words", [
    ([np.zeros(4, dtype=bool)], "one bool array per hidden layer"),
    ("ab", "one bool array per hidden layer"),
    ([np.zeros(4, dtype=bool), np.zeros(4, dtype=bool)],
     r"units\[1\] must be a bool array of shape \(3,\)"),
    ([np.zeros(4), np.zeros(3, dtype=bool)], r"units\[0\] must be a bool array"),
])
def test_unit_masks_bad_units(units, words):
    from minprune.pruning.units import unit_masks

    with pytest.raises(ValueError, match=words):
        unit_masks(minprune.MLP([5, 4, 3, 2], seed=0), units)


def test_a_sequence_gives_each_hidden_layer_its_own_amount():
    model = minprune.MLP([5, 8, 6, 3], seed=2)
    report = minprune.prune_neurons(model, [0.5, 2])
    assert [r.pruned_now for r in report.rows] == [4, 2]
    with pytest.raises(ValueError, match=r"one amount per layer \(2\), got 3"):
        minprune.prune_neurons(model, [0.5, 0.5, 0.5])
