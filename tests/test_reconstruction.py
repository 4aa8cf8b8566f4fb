"""Tests for pruning without retraining: Optimal Brain Surgeon and SparseGPT."""
import itertools

import numpy as np
import pytest

import minprune as mp
from minprune.pruning.reconstruction import (float64_copy, layer_hessian, obs_removals,
                                             prune_obs, prune_sparsegpt, refit)


def quadratic(H, w, v):
    """1/2 (v - w)^T H (v - w): the loss OBS minimises."""
    e = v - w
    return 0.5 * e @ H @ e


def brute_force_minimum(H, w, removed):
    """Minimum of the quadratic over the weights not in `removed` (those are 0), by least
    squares on a square root of H: independent of OBS's formulas."""
    R = np.linalg.cholesky(H).T  # H = R^T R, so the quadratic is 1/2 ||R (v - w)||^2
    keep = np.setdiff1d(np.arange(len(w)), removed)
    v = np.zeros_like(w)
    if keep.size:
        v[keep] = np.linalg.lstsq(R[:, keep], R @ w, rcond=None)[0]
    return quadratic(H, w, v), v


def random_problem(rng, n=7, n_samples=20):
    X = rng.normal(size=(n_samples, n)) * rng.uniform(0.2, 3, size=n)
    H = X.T @ X / n_samples
    return H, rng.normal(size=n)


@pytest.mark.parametrize("seed", range(5))
def test_one_obs_removal_is_the_exact_minimum(seed):
    rng = np.random.default_rng(seed)
    H, w = random_problem(rng)
    order, cost = obs_removals(np.linalg.inv(H), w[None], np.ones((1, len(w)), bool), 1)
    brute = [brute_force_minimum(H, w, [q])[0] for q in range(len(w))]
    assert order[0, 0] == int(np.argmin(brute))
    assert cost[0, 0] == pytest.approx(min(brute), rel=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_obs_costs_add_up_to_the_exact_minimum(seed):
    # each step's cost comes from the downdated inverse; if a downdate were wrong,
    # the sum would drift from the true minimum over the weights that remain
    rng = np.random.default_rng(seed)
    H, w = random_problem(rng, n=40, n_samples=80)  # > one fold of pending downdates
    order, cost = obs_removals(np.linalg.inv(H), w[None], np.ones((1, 40), bool), 37)
    for k in (1, 5, 33, 37):
        best, v = brute_force_minimum(H, w, order[0, :k])
        assert cost[0, :k].sum() == pytest.approx(best, rel=1e-8)
        keep = np.ones((1, 40), bool)
        keep[0, order[0, :k]] = False
        np.testing.assert_allclose(refit(H, w[None], keep)[0], v, rtol=1e-7, atol=1e-10)


def test_greedy_obs_is_the_best_pair_on_small_problems():
    # two steps of greedy OBS against every pair: never worse than the best first step
    # followed by the best second (it is that), and within the optimum's reach here
    rng = np.random.default_rng(7)
    H, w = random_problem(rng, n=6)
    order, cost = obs_removals(np.linalg.inv(H), w[None], np.ones((1, 6), bool), 2)
    pairs = {p: brute_force_minimum(H, w, list(p))[0] for p in itertools.combinations(range(6), 2)}
    first = order[0, 0]
    best_after_first = min(v for p, v in pairs.items() if first in p)
    assert cost[0].sum() == pytest.approx(best_after_first, rel=1e-10)
    assert cost[0].sum() >= min(pairs.values()) - 1e-12


def test_already_pruned_weights_go_first_at_no_cost():
    rng = np.random.default_rng(3)
    H, w = random_problem(rng)
    live = np.ones((1, 7), bool)
    live[0, [2, 5]] = False
    w[[2, 5]] = 0.0
    order, cost = obs_removals(np.linalg.inv(H), w[None], live, 4)
    assert set(order[0, :2]) == {2, 5} and (cost[0, :2] == 0).all()
    best, _ = brute_force_minimum(H, w, order[0])
    assert cost[0].sum() == pytest.approx(best, rel=1e-10)


# ------------------------------------------------------------------ on models
@pytest.fixture(scope="module")
def trained():
    data = mp.datasets.load_digits(seed=0)
    model = mp.MLP([64, 32, 24, 10], seed=0)
    mp.fit(model, data.X_train, data.y_train, epochs=15, batch_size=32, seed=0)
    return model, data


def layer_inputs(model, X):
    """The inputs that reach each layer of `model` (float64)."""
    return float64_copy(model)._forward(np.asarray(X, dtype=np.float64))[:-1]


def magnitude_error(X, W, mask_like):
    """||X W - X W_mag|| for magnitude pruning of W to the sparsity of `mask_like`."""
    k = int(np.count_nonzero(~mask_like))
    order = np.argsort(np.abs(W).ravel(), kind="stable")
    W_mag = W.ravel().copy()
    W_mag[order[:k]] = 0
    return np.linalg.norm(X @ W - X @ W_mag.reshape(W.shape))


@pytest.mark.parametrize("amount, n_m", [(0.5, None), (0.8, None), (0.95, None), (None, (2, 4))])
def test_sparsegpt_reconstructs_each_layer_better_than_magnitude(trained, amount, n_m):
    model, data = trained
    X = data.X_train[:256]
    pruned = model.copy()
    if n_m:
        prune_sparsegpt(pruned, None, X, n=n_m[0], m=n_m[1])
        assert mp.assert_n_m(pruned, *n_m)
    else:
        prune_sparsegpt(pruned, amount, X)
    dense64 = float64_copy(model)
    for i, X_i in enumerate(layer_inputs(pruned, X)):  # inputs through the pruned layers
        W = dense64.layers[i].W
        W_new = pruned.layers[i].W.astype(np.float64)
        err = np.linalg.norm(X_i @ W - X_i @ W_new)
        if n_m:
            mag = model.copy()
            mp.prune_n_m(mag, *n_m)
            baseline = np.linalg.norm(X_i @ W - X_i @ mag.layers[i].W.astype(np.float64))
        else:
            baseline = magnitude_error(X_i, W, pruned.layers[i].mask)
        assert err <= baseline, f"layers[{i}]"


def test_layer_obs_is_the_least_squares_optimum_for_its_mask(trained):
    model, data = trained
    X = data.X_train[:256]
    pruned = model.copy()
    prune_obs(pruned, 0.7, X, damping=0.01)
    dense64 = float64_copy(model)
    for i, X_i in enumerate(layer_inputs(pruned, X)):
        H, _ = layer_hessian(X_i, 0.01)
        W, mask = dense64.layers[i].W, pruned.layers[i].mask
        W_new = pruned.layers[i].W.astype(np.float64)
        for j in range(0, W.shape[1], 7):
            best, v = brute_force_minimum(H, W[:, j], np.flatnonzero(~mask[:, j]))
            assert quadratic(H, W[:, j], W_new[:, j]) == pytest.approx(best, rel=1e-4, abs=1e-9)
        # the layer's budget is shared among its units, and beats magnitude's choice
        assert np.count_nonzero(~mask) == round(0.7 * mask.size)
        assert np.linalg.norm(X_i @ (W - W_new)) <= magnitude_error(X_i, W, mask)


def test_amounts_follow_the_rules_of_prune_weights(trained):
    model, data = trained
    X = data.X_train[:128]
    for prune in (prune_obs, prune_sparsegpt):
        m = model.copy()
        mp.prune_weights(m, 0.5)
        before = [layer.mask.copy() for layer in m.layers]
        report = prune(m, [0.2, 0.5, 10], X)
        for old, layer, expected in zip(before, m.layers, (0.2, 0.5, 10)):
            live = int(np.count_nonzero(old))
            count = expected if isinstance(expected, int) else round(expected * live)
            assert np.count_nonzero(old & ~layer.mask) == count
            assert not (layer.mask & ~old).any()  # pruned weights stay pruned
            assert (layer.W[~layer.mask] == 0).all()
        assert report.pruned_now == sum(int(np.count_nonzero(o & ~layer.mask))
                                        for o, layer in zip(before, m.layers))
        assert len(report.errors) == 3 and all(0 <= e < 1 for e in report.errors)


@pytest.mark.parametrize("prune", [prune_obs, prune_sparsegpt])
def test_undo_restores_masks_and_weights(trained, prune):
    model, data = trained
    m = model.copy()
    mp.prune_weights(m, 0.3)
    W_before = [layer.W.copy() for layer in m.layers]
    masks_before = [layer.mask.copy() for layer in m.layers]
    b_before = [layer.b.copy() for layer in m.layers]
    prune(m, 0.6, (data.X_train[:128], data.y_train[:128]))
    assert any(not np.array_equal(w, layer.W[layer.mask]) for w, layer in
               zip([w[mk] for w, mk in zip(W_before, m.masks_)], m.layers))
    for b, layer in zip(b_before, m.layers):
        np.testing.assert_array_equal(b, layer.b)  # biases never change
    mp.undo(m)
    for w, mk, layer in zip(W_before, masks_before, m.layers):
        np.testing.assert_array_equal(w, layer.W)
        np.testing.assert_array_equal(mk, layer.mask)


def test_kept_weights_move_and_the_layer_output_is_restored(trained):
    model, data = trained
    X = data.X_train[:256]
    updated = model.copy()
    report = prune_sparsegpt(updated, 0.8, X)
    masked_only = model.copy()
    masked_only.layers[0].mask = updated.layers[0].mask.copy()
    masked_only.apply_masks()
    X0 = X.astype(np.float64)
    W = model.layers[0].W.astype(np.float64)
    no_update = np.linalg.norm(X0 @ W - X0 @ masked_only.layers[0].W) / np.linalg.norm(X0 @ W)
    assert report.errors[0] < no_update
    assert "output error" in repr(report) and "output error" in report._repr_html_()


def test_full_hessian_obs_on_a_tiny_network():
    data = mp.datasets.load_digits(seed=0)
    tiny = mp.MLP([64, 16, 10], seed=0, dtype=np.float64)
    mp.fit(tiny, data.X_train, data.y_train, epochs=20, batch_size=32, lr=3e-3, seed=0)
    batch = (data.X_train, data.y_train)
    losses = {}
    for name in ("obs", "magnitude"):
        m = tiny.copy()
        if name == "obs":
            report = prune_obs(m, 0.6, data.X_train[:512], hessian="full")
            assert report.scope == "full"
        else:
            mp.prune_weights(m, 0.6, scope="global", min_density=0)
        assert mp.sparsity(m) == pytest.approx(round(0.6 * 1184) / 1184)
        losses[name] = m.loss(*batch)
    assert losses["obs"] < losses["magnitude"]


@pytest.mark.parametrize("objective, sizes", [("squared_error", [5, 6, 2]),
                                               ("cross_entropy", [5, 6, 3])])
def test_gauss_newton_has_the_diagonal_of_the_criteria_for_each_objective(objective, sizes):
    from minprune.pruning.criteria.registry import gauss_newton_diagonal
    from minprune.pruning.reconstruction import gauss_newton

    model = mp.MLP(sizes, objective=objective, activation="tanh", seed=0, dtype=np.float64)
    X = np.random.default_rng(0).normal(size=(40, 5))
    G = gauss_newton(model, X)
    diagonal = np.concatenate([d.ravel() for d in gauss_newton_diagonal(model, X)])
    np.testing.assert_allclose(np.diag(G), diagonal, rtol=1e-10, atol=1e-14)


def test_calibration_data_takes_a_regressors_targets_as_the_criteria_do():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 5)), rng.normal(size=(60, 2))
    reg = mp.MLP([5, 8, 2], objective="squared_error", seed=0, dtype=np.float64)
    mp.prune_weights(reg.copy(), 0.5, criterion="wanda", data=(X, Y))   # the registry accepts
    for prune in (prune_obs, prune_sparsegpt):
        prune(reg.copy(), 0.5, (X, Y))                                  # and so does this
        with pytest.raises(ValueError, match=r"data\[1\] \(y\)"):
            prune(reg.copy(), 0.5, (X, Y[:10]))


# ------------------------------------------------------------------ bad input
def test_bad_calibration_data_is_a_clear_error(trained):
    model, data = trained
    X = data.X_train[:64]
    for prune in (prune_obs, prune_sparsegpt):
        with pytest.raises(ValueError, match="needs data"):
            prune(model.copy(), 0.5, None)
        with pytest.raises(ValueError, match=r"data \(X\) must have 64 features"):
            prune(model.copy(), 0.5, X[:, :10])
        bad = X.copy()
        bad[3, 4] = np.nan
        with pytest.raises(ValueError, match=r"data \(X\) must be finite"):
            prune(model.copy(), 0.5, bad)
        with pytest.raises(ValueError, match=r"data\[1\] \(y\)"):
            prune(model.copy(), 0.5, (X, data.y_train[:10]))
        with pytest.raises(ValueError, match="damping > 0"):
            prune(model.copy(), 0.5, X[:10], damping=0)
        with pytest.raises(ValueError, match="damping"):
            prune(model.copy(), 0.5, X, damping=-1)
        with pytest.raises(TypeError, match="model"):
            prune("model", 0.5, X)
        with pytest.raises(ValueError, match="amount"):
            prune(model.copy(), 1.5, X)
    m = model.copy()
    prune_sparsegpt(m, 0.5, X[:10])  # with the default damping, 10 samples are enough
    with pytest.raises(ValueError, match="hessian"):
        prune_obs(model.copy(), 0.5, X, hessian="diag")


def test_n_m_arguments(trained):
    model, data = trained
    X = data.X_train[:64]
    with pytest.raises(ValueError, match="n and m go together"):
        prune_sparsegpt(model.copy(), None, X, n=2)
    with pytest.raises(ValueError, match="amount=None"):
        prune_sparsegpt(model.copy(), 0.7, X, n=2, m=4)
    with pytest.raises(TypeError, match="N:M only"):
        prune_sparsegpt(model.copy(), None, X)
    with pytest.raises(ValueError, match="n must be smaller than m"):
        prune_sparsegpt(model.copy(), None, X, n=4, m=4)
    m = model.copy()
    report = prune_sparsegpt(m, 0.5, X, n=2, m=4)
    assert report.scope == "2:4" and mp.assert_n_m(m, 2, 4)


def test_networks_too_large_are_refused_with_the_size_they_would_need():
    big = mp.MLP([784, 1024, 1024, 10], seed=0)
    X = np.zeros((4, 784), dtype=np.float32)
    with pytest.raises(ValueError, match=r"prune_sparsegpt\(model, amount, data\)") as info:
        prune_obs(big, 0.5, X)
    assert "multiply-adds" in str(info.value)
    medium = mp.MLP([64, 256, 256, 10], seed=0)
    with pytest.raises(ValueError, match=r"GB in float64.*hessian='layer'") as info:
        prune_obs(medium, 0.5, np.zeros((4, 64)), hessian="full")
    assert "84,480 x 84,480" in str(info.value)
