"""SET, RigL and movement pruning: masks that move, at a constant parameter count."""
import numpy as np
import pytest

import minprune as mp


@pytest.fixture(scope="module")
def moons():
    return mp.datasets.load_moons(seed=0)


class Probe(mp.Callback):
    """After the callback under test: record counts and check pruned weights after every step."""

    def __init__(self, dst):
        self.dst, self.counts, self.grown_checked = dst, [], 0
        self.violations = 0

    def on_batch_end(self, state):
        model = state.model
        self.counts.append(sum(int(np.count_nonzero(layer.mask)) for layer in model.layers))
        for layer in model.layers:
            self.violations += int(np.count_nonzero(layer.W[~layer.mask]))
        if self.dst.updates and self.dst.updates[-1][0] == state.step:
            for i, (layer, grown) in enumerate(zip(model.layers, self.dst.last_grown)):
                if grown.any():
                    assert (layer.W[grown] == 0).all()          # grown weights start at exactly 0
                    for arr in state.optimizer.state[i][0]:      # with fresh optimizer state
                        assert (arr[grown] == 0).all()
                    self.grown_checked += int(grown.sum())


@pytest.mark.parametrize("cls", [mp.SET, mp.RigL])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_constant_count_zero_pruned_and_fresh_grown_weights(moons, cls, optimizer):
    model = mp.MLP([2, 32, 32, 2], seed=0, dtype=np.float64)
    dst = cls(0.8, update_every=5, drop_fraction=0.4, seed=1)
    probe = Probe(dst)
    mp.fit(model, moons.X_train, moons.y_train, epochs=6, batch_size=16, optimizer=optimizer,
           lr=0.01, callbacks=[dst, probe], seed=0)
    total = sum(layer.mask.size for layer in model.layers)
    assert set(probe.counts) == {round(0.2 * total)}               # every step, same count
    assert probe.violations == 0                                  # no pruned weight non-zero
    assert probe.grown_checked > 0 and len(dst.updates) > 3
    assert 0 < dst.changed_fraction(model) < 1                      # the mask really moved
    moved = [sum(m) for _, _, m in dst.updates]
    assert moved[0] >= moved[-1]                                  # cosine decay of the fraction
    assert all(step < 0.75 * 6 * len(range(0, len(moons.y_train), 16)) for step, _, _ in
               dst.updates)


@pytest.mark.parametrize("cls", [mp.SET, mp.RigL])
def test_the_moves_are_one_history_step_that_undo_takes_back(moons, cls):
    model = mp.MLP([2, 32, 32, 2], seed=0)
    dst = cls(0.8, update_every=5, drop_fraction=0.4, seed=1)
    mp.fit(model, moons.X_train, moons.y_train, epochs=3, batch_size=16, lr=0.01,
           callbacks=[dst], seed=0)
    history = mp.mask_history(model)
    moved = sum(sum(m) for _, _, m in dst.updates)
    assert moved > 0
    assert history[-1].label == f"{cls.name} moved {moved} connections in {len(dst.updates)} updates"
    now = [layer.mask.copy() for layer in model.layers]
    trained = [layer.W.copy() for layer in model.layers]
    for recorded, current in zip(history[-1].masks, now):
        np.testing.assert_array_equal(recorded, current)
    mp.undo(model)                       # back to the masks the run started from, not to dense
    for layer, start in zip(model.layers, dst.initial_masks):
        np.testing.assert_array_equal(layer.mask, start)
        assert layer.mask.mean() < 1
    for layer, start, W in zip(model.layers, dst.initial_masks, trained):
        np.testing.assert_array_equal(layer.W, np.where(start & (W != 0), W, 0))
    assert mp.mask_history(model)[-1].label.startswith(f"{cls.name} initial random masks")


def test_rigl_grows_where_the_dense_gradient_is_largest(moons):
    model = mp.MLP([2, 16, 2], seed=0, dtype=np.float64)
    mp.sparse_init(model, 0.7, seed=0)
    X, y = moons.X_train[:32], moons.y_train[:32]
    grads = mp.pruning.dynamic.dense_weight_gradients(model, X, y)
    # the dense gradient at an active position equals the masked gradient there
    _, masked = model.gradients(X, y)
    for g, (dW, _), layer in zip(grads, masked, model.layers):
        np.testing.assert_allclose(g[layer.mask], dW[layer.mask], rtol=1e-12, atol=1e-14)
    rigl = mp.RigL(None, update_every=1, drop_fraction=0.2, end=1.0)
    state = mp.TrainState(model, mp.Adam(), 1, 10, mp.History(), np.random.default_rng(0))
    rigl.on_train_begin(state)
    before = [layer.mask.copy() for layer in model.layers]
    state.batch, state.step = (X, y), 0
    rigl.on_batch_end(state)
    for g, b, grown in zip(grads, before, rigl.last_grown):
        if grown.any():
            assert np.abs(g[grown]).min() >= np.abs(g[~b & ~grown]).max()


def test_erdos_renyi_densities_sum_and_order():
    model = mp.MLP([64, 256, 256, 10], seed=0)
    counts = mp.erdos_renyi_densities(model, 0.1)
    sizes = [layer.W.size for layer in model.layers]
    assert sum(counts) == round(0.1 * sum(sizes))
    density = np.array(counts) / sizes
    assert density[1] < density[0] < density[2] <= 1     # big square layer sparsest
    assert mp.erdos_renyi_densities(model, 0.1, "uniform") == [round(0.1 * s) for s in sizes]
    # a layer the rule would make denser than 1 is capped and the rest share the remainder
    counts = mp.erdos_renyi_densities(model, 0.6)
    assert counts[2] == sizes[2] and sum(counts) == round(0.6 * sum(sizes))


def test_sparse_init_is_seeded_and_recorded():
    a, b = mp.MLP([8, 16, 3], seed=0), mp.MLP([8, 16, 3], seed=0)
    mp.sparse_init(a, 0.5, seed=3)
    mp.sparse_init(b, 0.5, seed=3)
    assert all(np.array_equal(x.mask, y.mask) for x, y in zip(a.layers, b.layers))
    assert len(mp.mask_history(a)) == 2 and mp.sparsity(a) == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError, match="already has"):
        mp.sparse_init(a, 0.5)


def test_a_model_pruned_to_another_sparsity_is_refused(moons):
    model = mp.MLP([2, 8, 2], seed=0)
    mp.prune_weights(model, 0.5)
    with pytest.raises(ValueError, match="sparsity=None"):
        mp.fit(model, moons.X_train, moons.y_train, epochs=1, callbacks=[mp.SET(0.9)])
    mp.fit(model, moons.X_train, moons.y_train, epochs=1, callbacks=[mp.SET(None)])
    assert mp.sparsity(model) == 0.5


@pytest.mark.parametrize("kwargs, exc, what", [
    ({"drop_fraction": 0.0}, ValueError, "drop_fraction"),
    ({"drop_fraction": 1.0}, ValueError, "drop_fraction"),
    ({"drop_fraction": -0.1}, ValueError, "drop_fraction"),
    ({"update_every": 0}, ValueError, "update_every"),
    ({"update_every": 2.5}, TypeError, "update_every"),
    ({"sparsity": 1.0}, ValueError, "sparsity"),
    ({"end": 0}, ValueError, "end"),
    ({"distribution": "erk"}, ValueError, "distribution"),
    ({"seed": -1}, ValueError, "seed"),
])
@pytest.mark.parametrize("cls", [mp.SET, mp.RigL])
def test_bad_arguments(cls, kwargs, exc, what):
    with pytest.raises(exc, match=what):
        cls(**kwargs)


def test_movement_pruning_scores_and_schedule(moons):
    model = mp.MLP([2, 32, 32, 2], seed=0, dtype=np.float64)
    mp.fit(model, moons.X_train, moons.y_train, epochs=5, lr=0.01, seed=0)
    mv = mp.MovementPruning(0.8, frequency=5, end_step=60, scope="layer")
    scores = [np.zeros(layer.W.shape) for layer in model.layers]

    class Expect(mp.Callback):                     # the score is the running sum of -W * dL/dW
        def on_gradients(self, state):
            for s, layer, (dW, _) in zip(scores, state.model.layers, state.grads):
                s -= layer.W * dW

    hist = mp.fit(model, moons.X_train, moons.y_train, epochs=8, batch_size=16, lr=0.01,
                  callbacks=[mv, Expect()], seed=0)
    for s, m in zip(scores, mv.scores):
        np.testing.assert_allclose(m, s, rtol=1e-12, atol=1e-15)
    for layer in model.layers:                     # each layer at 80% exactly, pruned are 0
        assert np.count_nonzero(~layer.mask) == round(0.8 * layer.mask.size)
        assert (layer.W[~layer.mask] == 0).all()
    assert hist.sparsity[-1] == pytest.approx(mp.sparsity(model))
    assert mv.steps[0] == 0 and mv.steps[-1] == 60
    with pytest.raises(ValueError, match="begin_step"):
        mp.MovementPruning(0.5, initial_sparsity=0.1)


def test_rigl_and_compress_need_a_classifier():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    reg = mp.MLP([3, 8, 1], objective="squared_error", seed=0)
    with pytest.raises(ValueError, match="classifier"):
        mp.fit(reg, X, y, epochs=1, callbacks=[mp.RigL(0.5)])
    mp.fit(reg, X, y, epochs=1, callbacks=[mp.SET(0.5, update_every=1)])   # SET: any objective
    with pytest.raises(ValueError, match="classifier"):
        mp.compress(reg)
