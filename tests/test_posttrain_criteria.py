"""Tests for Wanda, LAMP, SynFlow, scope="output", the method grading and the checks of notebook 10."""
import numpy as np
import pytest

import minprune as mp
from minprune.checks.pruning_without_retraining import (check_lamp_scores, check_obs_step,
                                                       check_wanda_scores)
from minprune.pruning.reconstruction import rescale_units


def random_model(sizes, seed=0, dtype=np.float64):
    return mp.MLP(sizes, seed=seed, dtype=dtype)


# ------------------------------------------------------------------ scope="output"
def test_output_scope_prunes_the_same_fraction_of_every_unit():
    model = random_model([12, 7, 3])
    model.layers[0].mask[:4, 2] = False  # one unit already lost 4 inputs
    model.apply_masks()
    before = [layer.mask.copy() for layer in model.layers]
    mp.prune_weights(model, 0.5, scope="output")
    for old, layer in zip(before, model.layers):
        live = old.sum(axis=0)
        np.testing.assert_array_equal((old & ~layer.mask).sum(axis=0), np.round(0.5 * live))
        W = np.abs(layer.W * old)
        for j in range(W.shape[1]):  # within a unit: the smallest magnitudes went
            gone, kept = W[old[:, j] & ~layer.mask[:, j], j], W[layer.mask[:, j], j]
            assert gone.max(initial=0) <= kept.min(initial=np.inf)


def test_output_scope_counts_ties_and_errors():
    model = random_model([6, 4, 2])
    model.layers[0].W[:] = 1.0  # all tied: the earlier rows go first
    mp.prune_weights(model, 2, scope="output")
    assert (~model.layers[0].mask[:2]).all() and model.layers[0].mask[2:].all()
    assert ((~model.layers[1].mask).sum(axis=0) == 2).all()
    m = random_model([6, 4, 2])
    mp.prune_weights(m, [0.5, 1], scope="output")
    assert ((~m.layers[0].mask).sum(axis=0) == 3).all() and ((~m.layers[1].mask).sum(axis=0) == 1).all()
    with pytest.raises(ValueError, match="per output unit of layers"):
        mp.prune_weights(random_model([6, 4, 2]), 5, scope="output")
    with pytest.raises(ValueError, match="amount"):
        mp.prune_weights(random_model([6, 4, 2]), 1.5, scope="output")
    with pytest.raises(ValueError, match="one amount per layer"):
        mp.prune_weights(random_model([6, 4, 2]), [0.5], scope="output")
    with pytest.raises(ValueError, match="scope"):
        mp.prune_weights(random_model([6, 4, 2]), 0.5, scope="unit")


@pytest.mark.parametrize("criterion", ["magnitude", "random", "lamp", "synflow", "taylor"])
def test_output_scope_works_with_every_criterion(criterion):
    rng = np.random.default_rng(0)
    model = random_model([8, 6, 3])
    data = (rng.normal(size=(20, 8)), rng.integers(0, 3, 20))
    mp.prune_weights(model, 0.5, criterion=criterion, scope="output", data=data, seed=0)
    for layer in model.layers:
        assert ((~layer.mask).sum(axis=0) == round(0.5 * layer.fan_in)).all()


# ------------------------------------------------------------------ Wanda
def test_wanda_is_magnitude_times_input_norm():
    rng = np.random.default_rng(1)
    model = random_model([5, 4, 3])
    X = rng.normal(size=(30, 5))
    scores = mp.weight_importance(model, "wanda", data=X)
    hidden = np.maximum(X @ model.layers[0].W + model.layers[0].b, 0)
    np.testing.assert_allclose(scores[0], np.abs(model.layers[0].W) * np.linalg.norm(X, axis=0)[:, None])
    np.testing.assert_allclose(scores[1], np.abs(model.layers[1].W) * np.linalg.norm(hidden, axis=0)[:, None])
    y = rng.integers(0, 3, 30)
    np.testing.assert_array_equal(mp.weight_importance(model, "wanda", data=(X, y))[1], scores[1])


@pytest.mark.parametrize("seed", range(3))
def test_wanda_with_inputs_of_equal_norm_selects_what_magnitude_selects(seed):
    rng = np.random.default_rng(seed)
    model = random_model([16, 6], seed=seed)  # one layer: its inputs are the data
    X = rng.normal(size=(40, 16))
    X /= np.linalg.norm(X, axis=0)
    a, b = model.copy(), model.copy()
    mp.prune_weights(a, 0.6, criterion="wanda", scope="output", data=X)
    mp.prune_weights(b, 0.6, criterion="magnitude", scope="output")
    np.testing.assert_array_equal(a.layers[0].mask, b.layers[0].mask)


def test_wanda_and_sparsegpt_ignore_a_rescaling_that_fools_magnitude():
    data = mp.datasets.load_digits(seed=0)
    model = mp.MLP([64, 32, 32, 10], seed=0)
    mp.fit(model, data.X_train, data.y_train, epochs=8, batch_size=32, seed=0)
    X = data.X_train[:200]
    loud, units = rescale_units(model, 25.0, 4, X)
    np.testing.assert_allclose(loud.forward(X), model.forward(X), rtol=1e-4, atol=1e-4)
    assert [len(u) for u in units] == [4, 4]
    masks = {}
    for name, net in (("original", model), ("loud", loud)):
        for criterion in ("wanda", "magnitude"):
            m = net.copy()
            mp.prune_weights(m, 0.7, criterion=criterion, scope="output", data=X)
            masks[criterion, name] = [layer.mask for layer in m.layers]
    for a, b in zip(masks["wanda", "original"], masks["wanda", "loud"]):
        np.testing.assert_array_equal(a, b)
    rows = units[0]
    assert masks["magnitude", "loud"][1][rows].mean() < masks["magnitude", "original"][1][rows].mean()
    with pytest.raises(ValueError, match="factor"):
        rescale_units(model, -1.0, 4, X)
    with pytest.raises(ValueError, match="n_units"):
        rescale_units(model, 2.0, 40, X)


def test_wanda_data_errors():
    model = random_model([5, 4, 3])
    with pytest.raises(ValueError, match="criterion='wanda' needs data"):
        mp.prune_weights(model, 0.5, criterion="wanda", scope="output")
    with pytest.raises(ValueError, match=r"data \(X\) must have 5 features"):
        mp.prune_weights(model, 0.5, criterion="wanda", scope="output", data=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"data \(X\) must be finite"):
        mp.prune_weights(model, 0.5, criterion="wanda", data=np.full((3, 5), np.nan))
    assert "needs data=X" in mp.pruning.criteria.describe("weights")


# ------------------------------------------------------------------ LAMP
def test_lamp_scores_follow_the_formula():
    model = random_model([4, 3, 2])
    model.layers[0].mask[0, 0] = False
    model.apply_masks()
    scores = mp.weight_importance(model, "lamp")
    for layer, s in zip(model.layers, scores):
        w2 = np.square(layer.W * layer.mask)
        for (i, j), v in np.ndenumerate(w2):
            if layer.mask[i, j]:
                assert s[i, j] == pytest.approx(v / w2[w2 >= v].sum())
            else:
                assert s[i, j] == 0
        assert s.max() == pytest.approx(1.0)


def test_lamp_keeps_magnitude_order_within_layers_and_never_empties_one():
    data = mp.datasets.load_digits(seed=0)
    model = mp.MLP([64, 32, 32, 10], seed=0)
    mp.fit(model, data.X_train, data.y_train, epochs=5, batch_size=32, seed=0)
    a, b = model.copy(), model.copy()
    mp.prune_weights(a, 0.8, criterion="lamp", scope="layer")
    mp.prune_weights(b, 0.8, criterion="magnitude", scope="layer")
    for x, y in zip(a.layers, b.layers):
        np.testing.assert_array_equal(x.mask, y.mask)
    c = model.copy()
    mp.prune_weights(c, 0.995, criterion="lamp", scope="global", min_density=0)
    assert all(layer.mask.any() for layer in c.layers)


# ------------------------------------------------------------------ SynFlow
def test_synflow_is_the_flow_gradient_and_is_conserved_per_layer():
    model = random_model([5, 4, 3, 2], seed=3)
    model.layers[1].mask[0, :] = False
    model.apply_masks()
    scores = mp.weight_importance(model, "synflow")
    absW = [np.abs(layer.W * layer.mask) for layer in model.layers]

    def R(Ws):
        v = np.ones(5)
        for W in Ws:
            v = v @ W
        return v.sum()

    total = R(absW)
    for i, s in enumerate(scores):
        assert s.sum() == pytest.approx(total)  # every layer carries the whole flow
        eps = 1e-6
        for (r, c) in [(0, 0), (1, 1), (absW[i].shape[0] - 1, absW[i].shape[1] - 1)]:
            Ws = [W.copy() for W in absW]
            Ws[i][r, c] += eps
            grad = (R(Ws) - total) / eps
            assert s[r, c] == pytest.approx(absW[i][r, c] * grad, rel=1e-4, abs=1e-9)
    assert (scores[1][0, :] == 0).all()


def test_iterated_synflow_keeps_the_network_connected_where_snip_does_not():
    data = mp.datasets.load_digits(seed=0)
    init = mp.MLP([64, 64, 64, 10], seed=0)
    n = sum(layer.W.size for layer in init.layers)

    def connected(model):
        flow = np.ones(model.n_features)
        for layer in model.layers:
            flow = flow @ layer.mask
        return bool(flow.any())

    syn = init.copy()
    for r in range(1, 31):
        target = round((1 - 0.001 ** (r / 30)) * n)
        pruned = n - sum(int(layer.mask.sum()) for layer in syn.layers)
        mp.prune_weights(syn, target - pruned, criterion="synflow", scope="global", min_density=0)
    snip = init.copy()
    mp.prune_weights(snip, 0.999, criterion="snip", scope="global", min_density=0,
                     data=(data.X_train[:256], data.y_train[:256]))
    assert mp.sparsity(syn) == pytest.approx(mp.sparsity(snip), abs=1e-4)
    assert connected(syn) and not connected(snip)


# ------------------------------------------------------------------ grading
@pytest.fixture(scope="module")
def tiny():
    data = mp.datasets.load_digits(seed=0)
    model = mp.MLP([64, 8, 10], seed=0, dtype=np.float64)
    mp.fit(model, data.X_train, data.y_train, epochs=10, batch_size=32, lr=3e-3, seed=0)
    return model, (data.X_train[:200].astype(np.float64), data.y_train[:200])


def test_rank_criteria_takes_the_new_criteria(tiny):
    model, batch = tiny
    ranking = mp.rank_criteria(model, batch, criteria=("magnitude", "wanda", "lamp", "synflow"))
    assert set(ranking.spearman) == {"magnitude", "wanda", "lamp", "synflow"}
    assert all(-1 <= v <= 1 for v in ranking.spearman.values())


def test_rank_methods_grades_the_loss_reached(tiny):
    model, batch = tiny
    before = [layer.W.copy() for layer in model.layers]
    grades = mp.rank_methods(model, batch, 0.5, methods=("magnitude", "obs", "sparsegpt"), rounds=5)
    for w, layer in zip(before, model.layers):
        np.testing.assert_array_equal(w, layer.W)  # not modified
    assert set(grades.losses) == {"magnitude", "obs", "sparsegpt"}
    assert grades.sparsity["obs"] == pytest.approx(grades.sparsity["oracle"])
    assert grades.losses["obs"] < grades.losses["magnitude"]
    assert grades.oracle_loss > grades.dense_loss - 0.05
    text = repr(grades)
    assert "greedy oracle (5 rounds)" in text and "above the greedy oracle" in text
    with pytest.raises(ValueError, match="methods must hold names"):
        mp.rank_methods(model, batch, 0.5, methods=("magic",))
    with pytest.raises(ValueError, match="rounds"):
        mp.rank_methods(model, batch, 0.5, rounds=0)
    with pytest.raises(ValueError, match="amount"):
        mp.rank_methods(model, batch, 2.0)


# ------------------------------------------------------------------ checks of notebook 10
def test_check_wanda_scores(tiny):
    model, (X, _) = tiny
    inputs = model._forward(X)[1]
    right = np.abs(model.layers[1].W) * np.linalg.norm(inputs, axis=0)[:, None]
    assert check_wanda_scores(right, model, X, layer=1)
    with pytest.raises(AssertionError, match="squared norm"):
        check_wanda_scores(np.abs(model.layers[1].W) * (np.linalg.norm(inputs, axis=0) ** 2)[:, None],
                           model, X, layer=1)
    with pytest.raises(AssertionError, match="magnitude alone"):
        check_wanda_scores(np.abs(model.layers[1].W), model, X, layer=1)
    with pytest.raises(AssertionError, match="replace None"):
        check_wanda_scores(None, model, X, layer=1)
    with pytest.raises(ValueError, match="layer"):
        check_wanda_scores(right, model, X, layer=5)


def test_check_obs_step():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 6))
    H = A.T @ A / 30
    w = rng.normal(size=6)
    Hinv = np.linalg.inv(H)
    q = int(np.argmin(w ** 2 / (2 * np.diag(Hinv))))
    w_new = w - w[q] / Hinv[q, q] * Hinv[:, q]
    assert check_obs_step(q, w_new, H, w)
    zeroed = w.copy()
    zeroed[q] = 0
    with pytest.raises(AssertionError, match="only zeroed"):
        check_obs_step(q, zeroed, H, w)
    with pytest.raises(AssertionError, match="wrong sign"):
        check_obs_step(q, w + w[q] / Hinv[q, q] * Hinv[:, q], H, w)
    wrong = (q + 1) % 6
    with pytest.raises(AssertionError, match="not the cheapest|smallest|Optimal Brain Damage"):
        check_obs_step(wrong, w_new, H, w)
    with pytest.raises(ValueError, match="H must be"):
        check_obs_step(q, w_new, H[:3, :3], w)


def test_check_lamp_scores(tiny):
    model, _ = tiny
    W = model.layers[1].W
    sq = np.square(W).ravel()
    order = np.argsort(sq, kind="stable")
    tail = np.cumsum(sq[order][::-1])[::-1]
    right = np.empty_like(sq)
    right[order] = sq[order] / tail
    assert check_lamp_scores(right.reshape(W.shape), model, 1)
    with pytest.raises(AssertionError, match="ALL the layer's weights"):
        check_lamp_scores((sq / sq.sum()).reshape(W.shape), model, 1)
    forward = np.empty_like(sq)
    forward[order] = sq[order] / np.cumsum(sq[order])  # summed over the smaller ones
    with pytest.raises(AssertionError, match="order of your cumulative sum|wrong scores"):
        check_lamp_scores(forward.reshape(W.shape), model, 1)
