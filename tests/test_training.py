"""fit: accuracy on digits, determinism, callbacks, the BLAS limit, and bad input."""
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

import minprune
from minprune import blas, training
from minprune.datasets import load_digits
from minprune.optim import SGD


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def small_problem(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def test_trains_to_96_percent_on_digits(digits):
    model = minprune.MLP([64, 256, 256, 10], seed=0)
    history = minprune.fit(model, digits.X_train, digits.y_train, epochs=25, seed=0,
                           validation_data=(digits.X_test, digits.y_test))
    assert model.score(digits.X_test, digits.y_test) >= 0.96
    assert history.val_accuracy[-1] == model.score(digits.X_test, digits.y_test)
    assert history.val_loss[-1] == pytest.approx(model.loss(digits.X_test, digits.y_test))
    assert history.loss[-1] < history.loss[0] and history.epochs == 25
    assert history.sparsity == [0.0] * 25


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_same_seed_same_run_bit_for_bit(optimizer):
    X, y = small_problem()
    runs = []
    for seed in (3, 3, 4):
        model = minprune.MLP([4, 6, 3], seed=0)
        history = minprune.fit(model, X, y, epochs=5, batch_size=7, optimizer=optimizer,
                               lr=0.05, seed=seed, validation_data=(X[:10], y[:10]))
        runs.append((model, history))
    (a, ha), (b, hb), (c, hc) = runs
    for la, lb in zip(a.layers, b.layers):
        assert la.W.tobytes() == lb.W.tobytes() and la.b.tobytes() == lb.b.tobytes()
    assert ha.as_dict() == hb.as_dict()
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)  # another shuffling seed
    assert ha.loss != hc.loss


@given(st.lists(st.integers(1, 10), max_size=2), st.integers(2, 5), st.integers(1, 50),
       st.integers(1, 60), st.sampled_from(["adam", "sgd"]), st.integers(0, 100))
def test_any_sizes_and_batch_sizes_train_without_nan(hidden, n_classes, n, batch_size, optimizer,
                                                     seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, 3)), rng.integers(0, n_classes, size=n)
    model = minprune.MLP([3, *hidden, n_classes], seed=seed)
    steps = []

    class Count(minprune.Callback):
        def on_epoch_end(self, state):
            steps.append(state.step)

    history = minprune.fit(model, X, y, epochs=2, batch_size=batch_size, optimizer=optimizer,
                           lr=0.01, seed=seed, callbacks=[Count()])
    per_epoch = -(-n // batch_size)
    assert steps == [per_epoch, 2 * per_epoch]
    assert len(history.loss) == len(history.accuracy) == len(history.sparsity) == 2
    assert all(np.isfinite(history.loss)) and all(0 <= a <= 1 for a in history.accuracy)
    proba = model.predict_proba(X)
    assert proba.shape == (n, n_classes) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_fit_does_not_touch_the_global_rng():
    X, y = small_problem()
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    minprune.fit(minprune.MLP([4, 5, 3]), X, y, epochs=2, seed=None)
    assert np.array_equal(np.random.get_state()[1], before)


def test_last_batch_may_be_smaller_and_steps_are_counted():
    X, y = small_problem(n=25)

    class Recorder(minprune.Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, state):
            self.events.append(("train_begin", state.step, state.total_steps))

        def on_epoch_begin(self, state):
            self.events.append(("epoch_begin", state.epoch))

        def on_batch_end(self, state):
            self.events.append(("batch", state.step))

        def on_epoch_end(self, state):
            self.events.append(("epoch_end", state.epoch, len(state.history.loss)))

        def on_train_end(self, state):
            self.events.append(("train_end", state.step))

    rec = Recorder()
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2, batch_size=10, callbacks=[rec])
    assert rec.events == [("train_begin", 0, 6),
                          ("epoch_begin", 0), ("batch", 1), ("batch", 2), ("batch", 3),
                          ("epoch_end", 0, 1),
                          ("epoch_begin", 1), ("batch", 4), ("batch", 5), ("batch", 6),
                          ("epoch_end", 1, 2), ("train_end", 6)]


def test_a_callback_can_stop_training():
    X, y = small_problem()

    class StopAfterTwo(minprune.Callback):
        def on_epoch_end(self, state):
            state.stop = state.epoch == 1

    history = minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=10, callbacks=[StopAfterTwo()])
    assert history.epochs == 2


def test_a_callback_that_prunes_mid_training_is_honoured():
    X, y = small_problem()

    class PruneFirstRow(minprune.Callback):
        def on_batch_end(self, state):
            if state.step == 3:
                layer = state.model.layers[0]
                layer.mask[0, :] = False  # edited in place, without apply_mask

    model = minprune.MLP([4, 6, 3], seed=1)
    history = minprune.fit(model, X, y, epochs=4, batch_size=8, callbacks=[PruneFirstRow()])
    assert np.all(model.layers[0].W[0, :] == 0.0)
    assert history.sparsity[-1] == pytest.approx(6 / (24 + 18))


def blas_threads():
    """Thread counts of the BLAS libraries numpy has loaded."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_runs_on_one_thread_inside_fit_and_is_restored_after():
    X, y = small_problem()
    seen = []

    class Probe(minprune.Callback):
        def on_train_begin(self, state):
            seen.extend(blas_threads())

    before = blas_threads()
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=1, callbacks=[Probe()])
    assert seen and set(seen) == {1}
    assert blas_threads() == before


def test_blas_threads_none_leaves_blas_alone(monkeypatch):
    X, y = small_problem()
    seen = []

    class Probe(minprune.Callback):
        def on_train_begin(self, state):
            seen.extend(blas_threads())

    before = blas_threads()
    monkeypatch.setattr(blas, "BLAS_THREADS", None)
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=1, callbacks=[Probe()])
    assert seen == before


def test_an_optimizer_object_is_used_as_given():
    X, y = small_problem()
    opt = SGD(lr=0.1, momentum=0.0)
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2, batch_size=30, optimizer=opt)
    assert opt.t == 4


@pytest.mark.parametrize("make_optimizer", [lambda: SGD(lr=0.05, momentum=0.9),
                                            lambda: minprune.Adam(lr=1e-2)], ids=["sgd", "adam"])
def test_pruning_inside_a_callback_clears_the_optimizer_state_there(make_optimizer):
    X, y = small_problem()
    seen = {}

    class PruneAtStep5(minprune.Callback):
        def on_batch_end(self, state):
            if state.step == 5:
                layer = state.model.layers[0]
                # the state is live (non-zero) where the mask is about to close
                seen["before"] = [np.abs(s[:, :3]).max() for s in state.optimizer.state[0][0]]
                layer.mask[:, :3] = False  # in place, without apply_mask
            elif state.step == 6:
                seen["after"] = [s[:, :3].copy() for s in state.optimizer.state[0][0]]
                seen["W"] = state.model.layers[0].W[:, :3].copy()

    optimizer = make_optimizer()
    minprune.fit(minprune.MLP([4, 6, 3], seed=1), X, y, epochs=1, batch_size=8,
                 optimizer=optimizer, callbacks=[PruneAtStep5()])
    assert all(b > 0 for b in seen["before"])
    assert len(seen["after"]) == (1 if isinstance(optimizer, SGD) else 2)  # momentum; m and v
    for s in seen["after"]:
        assert np.all(s == 0.0)
    assert np.all(seen["W"] == 0.0)


def test_history_loss_is_the_sample_weighted_mean_of_the_batch_losses():
    X, y = small_problem(n=50)  # batches of 16, 16, 16 and 2: a plain mean would differ
    batches = []

    class Record(minprune.Callback):
        def on_epoch_begin(self, state):
            batches.append([])

        def on_batch_end(self, state):
            batches[-1].append(state.batch_loss)

    history = minprune.fit(minprune.MLP([4, 5, 3], seed=0), X, y, epochs=2, batch_size=16,
                           optimizer=SGD(lr=0.5), callbacks=[Record()])
    sizes = np.array([16, 16, 16, 2])
    for losses, loss in zip(batches, history.loss):
        assert loss == pytest.approx(np.dot(losses, sizes) / 50, rel=1e-12)
        assert loss != pytest.approx(np.mean(losses), rel=1e-6)


def test_progress_none_shows_the_bar_on_a_terminal(capsys, monkeypatch):
    X, y = small_problem()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2, progress=None)
    assert "fit" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2, progress=None)
    assert capsys.readouterr().err == ""


def test_progress_bar_is_off_when_not_a_terminal(capsys):
    X, y = small_problem()
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2)
    assert capsys.readouterr().err == ""
    minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=2, progress=True)
    assert "fit" in capsys.readouterr().err


# -------------------------------------------------------------------- bad input
X0, Y0 = small_problem()


@pytest.mark.parametrize("kwargs,exc,name", [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(epochs=-3), ValueError, "epochs"),
    (dict(epochs=2.0), TypeError, "epochs"),
    (dict(epochs=None), TypeError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=-1), ValueError, "batch_size"),
    (dict(batch_size=8.5), TypeError, "batch_size"),
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-0.1), ValueError, "lr"),
    (dict(lr=float("nan")), ValueError, "lr"),
    (dict(lr="fast"), TypeError, "lr"),
    (dict(weight_decay=-1e-3), ValueError, "weight_decay"),
    (dict(optimizer="rmsprop"), ValueError, "optimizer"),
    (dict(optimizer=None), TypeError, "optimizer"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(validation_data=X0), TypeError, "validation_data"),
    (dict(validation_data=(X0[:, :2], Y0)), ValueError, r"validation_data\[0\]"),
    (dict(validation_data=(X0, Y0[:5])), ValueError, r"validation_data\[1\]"),
    (dict(validation_data=(X0, Y0 + 5)), ValueError, r"validation_data\[1\]"),
    (dict(callbacks=[print]), TypeError, "callbacks"),
    (dict(callbacks=minprune.Callback()), TypeError, "callbacks must be a list or tuple"),
    (dict(callbacks=None), TypeError, "callbacks must be a list or tuple"),
    (dict(progress="yes"), TypeError, "progress"),
    (dict(progress=1), TypeError, "progress"),
])
def test_bad_arguments(kwargs, exc, name):
    args = dict(epochs=1)
    args.update(kwargs)
    with pytest.raises(exc, match=name):
        minprune.fit(minprune.MLP([4, 3, 3]), X0, Y0, **args)


@pytest.mark.parametrize("X,y,exc,name,what", [
    (X0[:, :3], Y0, ValueError, "X", "4 features"),
    (X0[0], Y0, ValueError, "X", "2-D"),
    (X0[:0], Y0[:0], ValueError, "X", "at least one sample"),
    (np.where(X0 > 1, np.nan, X0), Y0, ValueError, "X", "finite"),
    (np.where(X0 > 1, -np.inf, X0), Y0, ValueError, "X", "finite"),
    (X0, Y0[:-1], ValueError, "y", "one label per sample"),
    (X0, Y0 + 0.5, ValueError, "y", "integer"),
    (X0, Y0 + 1, ValueError, "y", "0..2"),
    (X0, -Y0 - 1, ValueError, "y", "0..2"),
    (X0, Y0.astype(str), TypeError, "y", "integer"),
])
def test_bad_data(X, y, exc, name, what):
    with pytest.raises(exc, match=f"^{name} ") as info:
        minprune.fit(minprune.MLP([4, 3, 3]), X, y, epochs=1)
    assert what in str(info.value)


def test_model_must_be_an_mlp():
    with pytest.raises(TypeError, match="model"):
        minprune.fit("mlp", X0, Y0, epochs=1)


@pytest.mark.parametrize("kwargs,name", [(dict(momentum=1.0), "momentum"),
                                         (dict(momentum=-0.1), "momentum"),
                                         (dict(lr=0), "lr")])
def test_bad_sgd(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SGD(**kwargs)


@pytest.mark.parametrize("kwargs,name", [(dict(beta1=1.0), "beta1"), (dict(beta2=-0.5), "beta2"),
                                         (dict(eps=0.0), "eps"), (dict(lr=-1), "lr")])
def test_bad_adam(kwargs, name):
    with pytest.raises(ValueError, match=name):
        minprune.Adam(**kwargs)


def test_check_seed_value_error_for_negative_type_error_for_non_ints():
    from minprune._validation import validate_seed

    for bad in (-1, np.int64(-5)):
        with pytest.raises(ValueError, match=r"rng must be a non-negative int.*got -"):
            validate_seed(bad, "rng")
    for bad in (1.5, "3", True, [1]):
        with pytest.raises(TypeError, match="rng must be a non-negative int"):
            validate_seed(bad, "rng")
    g = np.random.default_rng(0)
    assert validate_seed(g) is g and validate_seed(np.uint8(3)).integers(100) == \
        np.random.default_rng(3).integers(100)


def test_notebook_progress_bar_leaves_nothing_that_nbval_compares(monkeypatch):
    import IPython.display

    from minprune import _progress

    shown = []

    class Handle:
        def update(self, obj, raw=False):
            shown.append(("update", obj, raw))

    def fake_display(obj, raw=False, display_id=None):
        shown.append(("display", obj, raw))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setattr(_progress, "_cell", dict(_progress._cell, number="another cell"))
    with _progress.Progress(3, "fit", "epoch", "notebook", delay=3600) as bar:
        bar.update("loss=1")  # a short run: the bar never appears
    assert shown == []
    for run in range(2):  # two runs of one cell: one output, shown, emptied, reused
        with _progress.Progress(3, "fit", "epoch", "notebook", delay=0.0) as bar:
            for _ in range(3):
                bar.update("loss=1")
            assert bar._widget.children[0].value == 3
    (kind, bundle, raw), emptied, (kind2, bundle2, _), emptied2 = shown
    assert kind == "display" and raw and list(bundle) == ["application/vnd.jupyter.widget-view+json"]
    assert kind2 == "update" and list(bundle2) == list(bundle)
    assert emptied == emptied2 == ("update", {}, True)  # an empty output: same on every run
