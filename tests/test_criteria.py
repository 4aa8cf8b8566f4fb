"""Criteria against independent references (finite differences, brute force, scipy),
the exact oracle and rank_criteria."""
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune.pruning import oracle as oracle_module
from minprune.pruning.criteria import gauss_newton_diagonal
from minprune.pruning.oracle import rankdata, spearman


def make_data(n=30, n_features=5, n_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)), rng.integers(0, n_classes, size=n)


def pruned_model(activation="relu", seed=0):
    model = minprune.MLP([5, 6, 4, 3], activation=activation, seed=seed, dtype=np.float64)
    minprune.prune_weights(model, 0.3, criterion="random", seed=seed)
    return model


@pytest.mark.parametrize("criterion", minprune.pruning.criteria.names("weights"))
def test_weight_importance_shapes_and_pruned_weights(criterion):
    model = pruned_model()
    scores = minprune.weight_importance(model, criterion, data=make_data(), seed=0)
    assert [s.shape for s in scores] == [layer.W.shape for layer in model.layers]
    assert all(s.dtype == np.float64 and (s >= 0).all() for s in scores)
    if criterion != "random":  # scored on the masked model: a pruned weight is worth nothing
        assert all((s[~layer.mask] == 0).all() for s, layer in zip(scores, model.layers))


def test_magnitude_and_random():
    model = pruned_model()
    for s, layer in zip(minprune.weight_importance(model, "magnitude"), model.layers):
        np.testing.assert_array_equal(s, np.abs(layer.W))
    a = minprune.weight_importance(model, "random", seed=3)
    b = minprune.weight_importance(model, "random", seed=np.random.default_rng(3))
    c = minprune.weight_importance(model, "random", seed=4)
    assert all((x == y).all() for x, y in zip(a, b)) and not (a[0] == c[0]).all()


def loss_at(model, i, r, c, value, X, y):
    old = model.layers[i].W[r, c]
    model.layers[i].W[r, c] = value
    loss = model.loss(X, y)
    model.layers[i].W[r, c] = old
    return loss


def test_taylor_is_weight_times_finite_difference_gradient_and_snip_normalises_it():
    model = pruned_model()
    X, y = make_data()
    taylor = minprune.weight_importance(model, "taylor", data=(X, y))
    snip = minprune.weight_importance(model, "snip", data=(X, y))
    eps = 1e-6
    for i, layer in enumerate(model.layers):
        for r, c in zip(*np.nonzero(layer.mask)):
            w = layer.W[r, c]
            g = (loss_at(model, i, r, c, w + eps, X, y) - loss_at(model, i, r, c, w - eps, X, y))
            assert taylor[i][r, c] == pytest.approx(abs(w * g / (2 * eps)), rel=1e-5, abs=1e-9)
    total = sum(t.sum() for t in taylor)
    assert sum(s.sum() for s in snip) == pytest.approx(1.0)
    for s, t in zip(snip, taylor):
        np.testing.assert_allclose(s, t / total)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gauss_newton_diagonal_equals_jacobian_reference(activation):
    # GGN_kk = mean_s J_s^T (diag(p_s) - p_s p_s^T) J_s, with J = d logits / d w_k by differences
    model = pruned_model(activation)
    X, _ = make_data()
    h = gauss_newton_diagonal(model, X)
    p = model.predict_proba(X)
    H = np.einsum("sc,cd->scd", p, np.eye(3)) - np.einsum("sc,sd->scd", p, p)
    eps = 1e-6
    for i, layer in enumerate(model.layers):
        for r, c in list(zip(*np.nonzero(layer.mask)))[::3]:
            w = layer.W[r, c]
            layer.W[r, c] = w + eps
            up = model.forward(X)
            layer.W[r, c] = w - eps
            down = model.forward(X)
            layer.W[r, c] = w
            J = (up - down) / (2 * eps)
            assert h[i][r, c] == pytest.approx(np.einsum("sc,scd,sd->", J, H, J) / len(X),
                                               rel=1e-5, abs=1e-10)


def test_obd_uses_the_exact_hessian_diagonal_for_relu_networks():
    model = pruned_model("relu")
    X, y = make_data()
    obd = minprune.weight_importance(model, "obd", data=(X, y))
    eps, checked = 1e-4, 0
    for i, layer in enumerate(model.layers):
        for r, c in zip(*np.nonzero(layer.mask)):
            w = layer.W[r, c]
            second = (loss_at(model, i, r, c, w + eps, X, y) - 2 * model.loss(X, y)
                      + loss_at(model, i, r, c, w - eps, X, y)) / eps**2
            assert obd[i][r, c] == pytest.approx(0.5 * second * w * w, rel=1e-3, abs=1e-9)
            checked += 1
    assert checked > 40


def test_neuron_importance_norms_activation_apoz():
    model = pruned_model()
    X, y = make_data()
    acts = model.hidden_activations(X)
    l1 = minprune.neuron_importance(model, "l1")
    l2 = minprune.neuron_importance(model, "l2")
    act = minprune.neuron_importance(model, "activation", data=(X, y))
    apoz = minprune.neuron_importance(model, "apoz", data=(X, y))
    assert [s.shape for s in l2] == [(6,), (4,)]
    for i, a in enumerate(acts):
        W = model.layers[i].W
        np.testing.assert_allclose(l1[i], np.abs(W).sum(axis=0))
        np.testing.assert_allclose(l2[i], np.sqrt((W ** 2).sum(axis=0)))
        np.testing.assert_allclose(act[i], np.abs(a).mean(axis=0))
        np.testing.assert_allclose(apoz[i], 1 - (a == 0).mean(axis=0))  # high APoZ = low score


def test_neuron_importance_random_is_seeded():
    model = pruned_model()
    a = minprune.neuron_importance(model, "random", seed=1)
    b = minprune.neuron_importance(model, "random", seed=1)
    assert all((x == y).all() for x, y in zip(a, b)) and [x.shape for x in a] == [(6,), (4,)]


@pytest.mark.parametrize("call", [minprune.weight_importance, minprune.neuron_importance])
def test_importance_bad_arguments(call):
    model = pruned_model()
    with pytest.raises(ValueError, match="criterion"):
        call(model, "nope")
    with pytest.raises(ValueError, match="needs data"):
        call(model, "taylor")
    with pytest.raises(TypeError, match="data must be a pair"):
        call(model, "taylor", data=(1, 2, 3))
    with pytest.raises(ValueError, match=r"data\[0\]"):
        call(model, "taylor", data=(np.zeros((4, 2)), [0, 0, 0, 0]))
    with pytest.raises(ValueError, match=r"data\[1\]"):
        call(model, "taylor", data=(np.zeros((4, 5)), [0, 0, 0]))
    with pytest.raises(TypeError, match="model"):
        call("model", "random")


@pytest.mark.filterwarnings("ignore:An input array is constant")
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=40), st.integers(0, 2**16))
def test_rankdata_and_spearman_match_scipy_with_ties(values, seed):
    a = np.array(values, dtype=float)
    b = np.random.default_rng(seed).integers(-2, 3, size=a.size).astype(float)
    np.testing.assert_allclose(rankdata(a), scipy.stats.rankdata(a))
    expected = scipy.stats.spearmanr(a, b).statistic
    if np.isnan(expected):
        assert np.isnan(spearman(a, b))
    else:
        assert spearman(a, b) == pytest.approx(expected, abs=1e-12)


def test_oracle_equals_brute_force_re_evaluation():
    model = pruned_model()
    X, y = make_data()
    oracle = minprune.oracle_saliency(model, (X, y))
    base = model.loss(X, y)
    for i, layer in enumerate(model.layers):
        expected = np.zeros(layer.W.shape)
        for r, c in zip(*np.nonzero(layer.mask)):
            expected[r, c] = loss_at(model, i, r, c, 0.0, X, y) - base
        np.testing.assert_allclose(oracle[i], expected, atol=1e-12)
        assert (oracle[i][~layer.mask] == 0).all()


def test_oracle_is_chunked_and_float32_models_agree(monkeypatch):
    model = pruned_model("tanh")
    X, y = make_data()
    whole = minprune.oracle_saliency(model, (X, y))
    monkeypatch.setattr(oracle_module, "_CHUNK_FLOATS", 1)  # one weight per batch
    for a, b in zip(whole, minprune.oracle_saliency(model, (X, y))):
        np.testing.assert_allclose(a, b, atol=1e-13)
    small = model.copy()
    for layer in small.layers:
        layer.W = layer.W.astype(np.float32)
        layer.b = layer.b.astype(np.float32)
    small.dtype = np.dtype(np.float32)
    for a, b in zip(whole, minprune.oracle_saliency(small, (X, y))):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_oracle_refuses_large_models_and_bad_data():
    with pytest.raises(ValueError, match="at most 5000 weights"):
        minprune.oracle_saliency(minprune.MLP([100, 50, 10]), make_data(n_features=100))
    with pytest.raises(ValueError, match="needs data"):
        minprune.oracle_saliency(pruned_model(), None)


def trained_tiny_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    model = minprune.MLP([5, 12, 3], seed=0)
    minprune.fit(model, X, y, epochs=60, batch_size=50, lr=1e-2, seed=0, progress=False)
    return model, (X, y)


def test_rank_criteria_on_a_trained_network():
    model, data = trained_tiny_model()
    masks = [m.copy() for m in model.masks_]
    result = minprune.rank_criteria(model, data, criteria=("magnitude", "taylor", "obd", "random"),
                                    seed=0)
    assert all((a == b).all() for a, b in zip(masks, model.masks_))  # model untouched
    assert result.n_weights == 96 and result.k == round(0.2 * 96)
    # near a minimum the second-order saliency knows best; noise knows nothing
    assert result.spearman["obd"] > 0.5 > abs(result.spearman["random"])
    assert result.spearman["obd"] > result.spearman["magnitude"]
    oracle = np.concatenate([o.ravel() for o in result.oracle])
    obd = np.concatenate([s.ravel() for s in result.scores["obd"]])
    bottom = set(np.argsort(oracle, kind="stable")[:result.k])
    agree = len(bottom & set(np.argsort(obd, kind="stable")[:result.k]))
    assert result.bottom_k["obd"] == agree / result.k
    assert result.spearman["obd"] == pytest.approx(scipy.stats.spearmanr(obd, oracle).statistic)
    text = repr(result)
    assert text.splitlines()[0] == ("criteria vs the exact oracle on 96 unpruned weights "
                                    "(bottom k = 19)")
    assert text == repr(minprune.rank_criteria(model, data, seed=0))
    assert "<table>" in result._repr_html_()


def test_rank_criteria_bad_arguments():
    model, data = pruned_model(), make_data()
    with pytest.raises(TypeError, match="criteria"):
        minprune.rank_criteria(model, data, criteria="magnitude")
    with pytest.raises(ValueError, match="criteria"):
        minprune.rank_criteria(model, data, criteria=("magnitude", "l2"))
    with pytest.raises(ValueError, match="criteria"):
        minprune.rank_criteria(model, data, criteria=())
    with pytest.raises(ValueError, match="^k must"):
        minprune.rank_criteria(model, data, k=1.5)
    with pytest.raises(ValueError, match="needs data"):
        minprune.rank_criteria(model, None)


@pytest.mark.parametrize("call", [
    lambda m, s: minprune.weight_importance(m, "magnitude", seed=s),
    lambda m, s: minprune.neuron_importance(m, "l2", seed=s),
    lambda m, s: minprune.prune_weights(m, 0.5, seed=s),
    lambda m, s: minprune.prune_neurons(m, 0.5, criterion="random", seed=s),
    lambda m, s: minprune.prune_n_m(m, seed=s),
])
def test_a_bad_seed_is_an_error_even_where_it_goes_unused(call):
    model = minprune.MLP([4, 6, 3], seed=0)
    with pytest.raises(ValueError, match="seed must be a non-negative int.*got -1"):
        call(model, -1)
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        call(model, 0.5)
    assert minprune.sparsity(model) == 0.0 and not minprune.mask_history(model)
