"""shrink, prune_n_m / assert_n_m and to_sparse: same outputs, exact patterns, clear errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from helpers import assert_same_state, model_state, random_pruned_mlp, sizes_st
from minprune.model import ACTIVATIONS
from minprune.pruning.structured import SparseMLP, n_m_mask
from minprune.pruning.units import live_units


@given(sizes=sizes_st, activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2 ** 16),
       p=st.floats(0.0, 0.9))
def test_shrink_and_to_sparse_match_the_masked_model(sizes, activation, seed, p):
    rng = np.random.default_rng(seed)
    model = random_pruned_mlp(rng, sizes, activation, p_weight=p)
    before = model_state(model)
    X = rng.normal(size=(9, sizes[0]))
    expected = model.forward(X)

    small = minprune.shrink(model)
    np.testing.assert_allclose(small.forward(X), expected, rtol=1e-9, atol=1e-10)
    assert small.n_features == model.n_features and small.n_classes == model.n_classes
    assert all(a <= b for a, b in zip(small.layer_sizes, model.layer_sizes))
    # nothing dead is left: shrinking again changes nothing
    assert minprune.shrink(small).layer_sizes == small.layer_sizes
    assert [int(k.sum()) for k in live_units(model)] == small.layer_sizes[1:-1]

    sparse = minprune.to_sparse(model)
    np.testing.assert_allclose(sparse.forward(X), expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(sparse.predict_proba(X), model.predict_proba(X), atol=1e-12)
    assert sparse.nnz == sum(int(layer.mask.sum()) for layer in model.layers)
    assert_same_state(before, model)


@given(seed=st.integers(0, 2 ** 16))
def test_float32_outputs_agree_to_1e_5(seed):
    rng = np.random.default_rng(seed)
    model = random_pruned_mlp(rng, [12, 16, 16, 5], "relu", dtype=np.float32)
    X = rng.normal(size=(20, 12)).astype(np.float32)
    expected = model.forward(X)
    for other in (minprune.shrink(model), minprune.to_sparse(model)):
        out = other.forward(X)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(other.predict(X), np.argmax(out, axis=1))


def test_shrink_removes_each_kind_of_dead_unit_and_folds_constants():
    model = minprune.MLP([3, 5, 4, 2], activation="relu", seed=0, dtype=np.float64)
    h1, h2, out = model.layers
    h1.b[:] = [0.5, 1.0, -1.0, 2.0, 0.3]
    h2.b[:] = 0.1
    h1.mask[:, 0] = False                    # unit 0: no inputs, live bias 0.5 -> constant 0.5
    h1.mask[:, 1] = False                    # unit 1: no inputs, no bias -> constant relu(0) = 0
    h1.bias_mask[1] = False
    h2.mask[2, :] = False                    # unit 2: no outgoing weights
    out.mask[3, :] = False                   # layer-2 unit 3: nothing reaches the output
    model.apply_masks()
    X = np.random.default_rng(1).normal(size=(6, 3))
    small = minprune.shrink(model)
    assert small.layer_sizes == [3, 2, 3, 2]
    np.testing.assert_allclose(small.forward(X), model.forward(X), atol=1e-12)
    # the constant 0.5 of unit 0 went into the next biases: 0.1 + 0.5 * W[0, j]
    np.testing.assert_allclose(small.layers[1].b, 0.1 + 0.5 * h2.W[0, :3])
    # unit 3 of layer 0 and unit 4 are kept with their weights and masks
    np.testing.assert_array_equal(small.layers[0].W, h1.W[:, [3, 4]])
    assert small.mask_history == []


def test_sigmoid_unit_without_inputs_or_bias_is_still_a_constant():
    # sigmoid(0) = 0.5: such a unit is not silent, its 0.5 must be folded
    model = minprune.MLP([2, 3, 2], activation="sigmoid", seed=3, dtype=np.float64)
    model.layers[0].mask[:, 1] = False
    model.layers[0].bias_mask[1] = False
    model.layers[1].bias_mask[:] = False
    model.apply_masks()
    small = minprune.shrink(model)
    assert small.layer_sizes == [2, 2, 2]
    np.testing.assert_allclose(small.layers[1].b, 0.5 * model.layers[1].W[1])
    assert small.layers[1].bias_mask.all()  # the folded bias is live
    X = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_allclose(small.forward(X), model.forward(X), atol=1e-12)


def test_constants_cascade_and_a_layer_can_vanish():
    model = minprune.MLP([4, 3, 3, 2], activation="tanh", seed=2, dtype=np.float64)
    model.layers[0].mask[:] = False          # every first-layer unit is a constant
    model.layers[0].b[:] = [0.2, -0.4, 0.9]
    model.apply_masks()
    small = minprune.shrink(model)
    assert small.layer_sizes == [4, 0, 0, 2]  # so is every second-layer unit
    X = np.random.default_rng(0).normal(size=(5, 4))
    out = small.forward(X)
    np.testing.assert_allclose(out, model.forward(X), atol=1e-12)
    np.testing.assert_allclose(out, out[:1].repeat(5, axis=0))  # a constant network


def test_shrunk_model_is_a_trainable_mlp():
    rng = np.random.default_rng(0)
    model = random_pruned_mlp(rng, [6, 8, 3], "relu", dtype=np.float32)
    small = minprune.shrink(model)
    X = rng.normal(size=(32, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    minprune.fit(small, X, y, epochs=2, batch_size=8, progress=False)
    for layer in small.layers:
        assert np.all(layer.W[~layer.mask] == 0)


# ------------------------------------------------------------------------ N:M

def reference_n_m(W, mask, n, m):
    """Group by group with Python sorting: keep the n largest live |w| (later row wins ties)."""
    keep = np.zeros_like(mask)
    for col in range(W.shape[1]):
        for start in range(0, W.shape[0], m):
            rows = [r for r in range(start, min(start + m, W.shape[0])) if mask[r, col]]
            ranked = sorted(rows, key=lambda r: (abs(W[r, col]), r))
            for r in ranked[-n:] if n else []:
                keep[r, col] = True
    return keep


@given(fan_in=st.integers(1, 13), fan_out=st.integers(1, 5), m=st.integers(2, 6),
       data=st.data(), seed=st.integers(0, 2 ** 16), ties=st.booleans())
def test_prune_n_m_keeps_the_n_largest_of_every_group(fan_in, fan_out, m, data, seed, ties):
    n = data.draw(st.integers(1, m - 1))
    rng = np.random.default_rng(seed)
    model = minprune.MLP([fan_in, fan_out, 3], seed=seed, dtype=np.float64)
    if ties:  # few distinct magnitudes: the tie rule matters
        for layer in model.layers:
            layer.W[:] = rng.integers(-2, 3, size=layer.W.shape)
    old = [layer.mask.copy() for layer in model.layers]
    old[0] &= rng.random(old[0].shape) > 0.3
    model.layers[0].mask = old[0]
    model.apply_masks()
    weights = [layer.W.copy() for layer in model.layers]
    report = minprune.prune_n_m(model, n, m)
    assert minprune.assert_n_m(model, n, m) is True
    for layer, W, mask, row in zip(model.layers, weights, old, report.rows):
        np.testing.assert_array_equal(layer.mask, reference_n_m(W, mask, n, m))
        assert not (layer.mask & ~mask).any()            # already-pruned stay pruned
        assert row["non_zeros"] == layer.mask.sum()
        assert row["pruned"] == mask.sum() - layer.mask.sum()
        assert row["groups"] == -(-W.shape[0] // m) * W.shape[1]
    assert model.mask_history[-1].label == f"n:m {n}:{m} magnitude"


def test_n_m_partial_last_group_and_ties():
    W = np.ones((6, 1))
    mask = np.ones((6, 1), dtype=bool)
    keep = n_m_mask(np.abs(W), mask, 2, 4)
    # groups rows 0..3 and 4..5; on ties the earlier row is pruned first
    np.testing.assert_array_equal(keep[:, 0], [False, False, True, True, True, True])
    keep = n_m_mask(np.abs(W), mask, 1, 4)
    np.testing.assert_array_equal(keep[:, 0], [False, False, False, True, False, True])


def test_prune_n_m_only_touches_the_chosen_layers():
    model = minprune.MLP([8, 8, 8, 4], seed=0)
    report = minprune.prune_n_m(model, 1, 4, layers=[-1])
    assert model.layers[0].mask.all() and model.layers[1].mask.all()
    assert [r["layer"] for r in report.rows] == ["layers[2]"]
    assert minprune.assert_n_m(model, 1, 4, layers=2)
    with pytest.raises(AssertionError, match="layers\\[0\\]"):
        minprune.assert_n_m(model, 1, 4)
    assert "layers[2]" in str(report) and "<table>" in report._repr_html_()


def test_check_n_m_names_the_first_offending_group():
    model = minprune.MLP([9, 4, 2], seed=0, dtype=np.float64)
    minprune.prune_n_m(model, 2, 4)
    layer = model.layers[1]
    layer.mask[:] = True
    layer.W[:] = 1.0
    layer.W[2, :] = 0.0  # live but zero: not a non-zero
    layer.W[:3, 0] = 0.0  # column 0 now fine (1 non-zero in rows 0..3)
    with pytest.raises(AssertionError,
                       match=r"layers\[1\] breaks 2:4 sparsity: column 1, rows 0\.\.3 hold 3"):
        minprune.assert_n_m(model, 2, 4)
    # a violation in the short last group (row 8 alone) is caught too
    model = minprune.MLP([9, 2, 2], seed=0)
    minprune.prune_n_m(model, 1, 4)
    model.layers[0].mask[7:9, 1] = True
    model.layers[0].W[7:9, 1] = 1.0
    with pytest.raises(AssertionError, match=r"column 1, rows 4\.\.7"):
        minprune.assert_n_m(model, 1, 4)
    model.layers[0].mask[4:8, 1] = [False, False, False, True]
    model.layers[0].mask[8, 1] = True
    assert minprune.assert_n_m(model, 1, 4)


def test_prune_n_m_with_another_criterion_uses_weight_importance():
    model = minprune.MLP([8, 6, 3], seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 8)), rng.integers(0, 3, size=16)
    minprune.prune_n_m(model, 2, 4, criterion="taylor", data=(X, y))
    assert minprune.assert_n_m(model, 2, 4)
    a, b = minprune.MLP([8, 6, 3], seed=0), minprune.MLP([8, 6, 3], seed=0)
    minprune.prune_n_m(a, 2, 4, criterion="random", seed=5)
    minprune.prune_n_m(b, 2, 4, criterion="random", seed=5)
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.mask, lb.mask)


# ------------------------------------------------------------------ to_sparse

def test_sparse_model_matches_predict_score_and_bytes():
    rng = np.random.default_rng(0)
    model = minprune.MLP([10, 12, 3], seed=0)
    minprune.prune_n_m(model, 1, 4)
    sparse = minprune.to_sparse(model)
    X = rng.normal(size=(30, 10)).astype(np.float32)
    y = rng.integers(0, 3, size=30)
    np.testing.assert_array_equal(sparse.predict(X), model.predict(X))
    assert sparse.score(X, y) == model.score(X, y)
    w = sparse.weights[0]
    assert w.shape == (12, 10) and w.indices.dtype == np.int32 and w.data.dtype == np.float32
    expected = sum(int(layer.mask.sum()) * 8 + (layer.fan_out + 1) * 4 + layer.fan_out * 4
                   for layer in model.layers)
    assert sparse.nbytes == expected
    assert isinstance(sparse, SparseMLP) and "nnz=" in repr(sparse)
    with pytest.raises(ValueError, match="X must have 10 features"):
        sparse.predict(X[:, :5])
    with pytest.raises(ValueError, match="y must hold labels in 0..2"):
        sparse.score(X, y + 5)


# --------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, exc, message", [
    (lambda m: minprune.shrink("model"), TypeError, "model must be a minprune.MLP, got 'model'"),
    (lambda m: minprune.to_sparse(None), TypeError, "model must be a minprune.MLP"),
    (lambda m: minprune.prune_n_m(m, 4, 4), ValueError, "n must be smaller than m"),
    (lambda m: minprune.prune_n_m(m, 0, 4), ValueError, "n must be an integer >= 1, got 0"),
    (lambda m: minprune.prune_n_m(m, 2, 1), ValueError, "m must be an integer >= 2, got 1"),
    (lambda m: minprune.prune_n_m(m, 2.0, 4), TypeError, "n must be an integer, got 2.0"),
    (lambda m: minprune.prune_n_m(m, 2, "4"), TypeError, "m must be an integer"),
    (lambda m: minprune.prune_n_m(m, layers=5), ValueError, r"layers entry must be an integer in \[-2, 1\], got 5"),
    (lambda m: minprune.prune_n_m(m, layers="0"), TypeError, "layers must be None, an int or a list"),
    (lambda m: minprune.prune_n_m(m, layers=[]), ValueError, "layers must name at least one layer"),
    (lambda m: minprune.prune_n_m(m, criterion=3), TypeError, "criterion must be a string"),
    (lambda m: minprune.prune_n_m(m, criterion="size"), ValueError, "criterion must be one of"),
    (lambda m: minprune.prune_n_m(m, criterion="taylor"), ValueError, "needs data"),
    (lambda m: minprune.assert_n_m(m, 3, 2), ValueError, "n must be smaller than m"),
    (lambda m: minprune.assert_n_m([m]), TypeError, "model must be a minprune.MLP"),
])
def test_bad_arguments_raise_clear_errors(call, exc, message):
    model = minprune.MLP([8, 4, 2], seed=0)
    before = model_state(model)
    with pytest.raises(exc, match=message):
        call(model)
    assert_same_state(before, model)
