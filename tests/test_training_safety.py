"""Issue 11, items 2, 7 and 8: a diverging run says so, an optimizer's state belongs to one
model, and undo after gradual pruning does what its documentation says."""
import copy
import pickle
import re

import numpy as np
import pytest

import minprune
from minprune import GradualPruning
from minprune.optim import SGD, Adam

from helpers import assert_same_state, model_state


def problem(n=200, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8)) * scale, rng.integers(0, 3, n)


# ------------------------------------------------- item 2: divergence is an error
class Snapshots(minprune.Callback):
    """The model before the first step and after every step, to check what fit leaves behind."""

    def __init__(self):
        self.states = []

    def on_train_begin(self, state):
        self.states.append(model_state(state.model))

    def on_batch_end(self, state):
        self.states.append(model_state(state.model))


# no filterwarnings: numpy's overflow warnings of the forward that finds the divergence are held
# back (pytest's configuration turns a RuntimeWarning from minprune into an error)
def test_a_diverging_run_stops_with_an_error_naming_lr_epoch_and_step():
    X, y = problem(scale=1e3)
    model = minprune.MLP([8, 5, 3], seed=0)
    snaps = Snapshots()
    with pytest.raises(minprune.DivergenceError) as info:
        minprune.fit(model, X, y, epochs=4, lr=1e6, optimizer="sgd", callbacks=[snaps])
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert "lr=1e+06 is too large" in message and "try lr=100000" in message
    assert f"at epoch {err.epoch} " in message and f"after {err.step} optimizer step" in message
    assert not np.isfinite(err.loss) and str(err.loss) in message
    assert err.step == len(snaps.states) - 1 >= 1  # the steps taken before the bad loss
    assert err.history.epochs == err.epoch and all(np.isfinite(err.history.loss))
    assert f"as they were before optimizer step {err.step}, the step after which" in message
    assert_same_state(snaps.states[-2], model)  # and fit put back the weights from before it


def test_the_model_is_left_as_before_the_step_on_every_optimizer():
    for optimizer, lr in (("sgd", 1e8), ("adam", 1e20)):  # Adam's steps are bounded by lr
        X, y = problem(scale=1e4)
        model = minprune.MLP([8, 16, 3], seed=1)
        snaps = Snapshots()
        with pytest.raises(minprune.DivergenceError, match=re.escape(f"lr={lr:g} is too large")):
            minprune.fit(model, X, y, epochs=20, lr=lr, optimizer=optimizer, batch_size=16,
                         callbacks=[snaps])
        assert_same_state(snaps.states[-2], model)
        assert all(np.isfinite(layer.W).all() and np.isfinite(layer.b).all()
                   for layer in model.layers)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way up
def test_a_last_step_that_breaks_the_weights_is_caught_at_the_end_of_the_epoch():
    X, y = problem(scale=1e3)
    model = minprune.MLP([8, 5, 3], seed=0)
    before = model_state(model)
    with pytest.raises(minprune.DivergenceError,
                       match="weights or biases hold NaN or infinite values at the end of epoch 0"
                             ".* before optimizer step 1") as info:
        minprune.fit(model, X, y, epochs=1, batch_size=len(y), lr=1e38, optimizer="sgd")
    assert info.value.step == 1 and np.isnan(info.value.loss)
    assert_same_state(before, model)       # one step, no next batch to check it: put back


def test_with_an_lr_schedule_the_message_names_fits_lr_and_the_scheduled_rate():
    X, y = problem(scale=1e3)
    with pytest.raises(minprune.DivergenceError,
                       match=r"lr=1e\+06 \(scaled to [0-9.e+]+ by lr_schedule\) is too large"):
        minprune.fit(minprune.MLP([8, 5, 3], seed=0), X, y, epochs=4, lr=1e6, optimizer="sgd",
                     lr_schedule="cosine")


def test_a_model_that_is_already_broken_is_named_as_the_cause():
    X, y = problem()
    model = minprune.MLP([8, 5, 3], seed=0)
    model.layers[0].W[0, 0] = np.nan
    before = model_state(model)
    with pytest.raises(minprune.DivergenceError, match="before any step of this fit: the "
                                                       "model's own weights"):
        minprune.fit(model, X, y, epochs=1)
    assert_same_state(before, model)


def test_a_healthy_run_is_unchanged_by_the_check():
    X, y = problem()
    a, b = minprune.MLP([8, 5, 3], seed=0), minprune.MLP([8, 5, 3], seed=0)
    h = minprune.fit(a, X, y, epochs=3, lr=1e-2)
    assert np.all(np.isfinite(h.loss))
    minprune.fit(b, X, y, epochs=3, lr=1e-2)
    assert_same_state(model_state(a), b)


# ------------------------------------------- item 7: an optimizer's state is bound
@pytest.mark.parametrize("make", [lambda: Adam(lr=1e-2), lambda: SGD(lr=0.05)],
                         ids=["adam", "sgd"])
def test_one_optimizer_for_two_models_equals_two_fresh_ones(make):
    X, y = problem()
    shared = make()
    first, second = minprune.MLP([8, 5, 3], seed=0), minprune.MLP([8, 5, 3], seed=1)
    minprune.fit(first, X, y, epochs=2, optimizer=shared)
    assert shared.model is first
    minprune.fit(second, X, y, epochs=2, optimizer=shared)
    assert shared.model is second and shared.t == 2 * 2  # steps of the second model only
    reference = minprune.MLP([8, 5, 3], seed=1)
    minprune.fit(reference, X, y, epochs=2, optimizer=make())
    assert_same_state(model_state(reference), second)


def test_the_same_model_continues_its_state_across_fit_calls():
    X, y = problem()
    opt, model = Adam(lr=1e-2), minprune.MLP([8, 5, 3], seed=0)
    minprune.fit(model, X, y, epochs=1, optimizer=opt)
    moments = copy.deepcopy(opt.state)
    minprune.fit(model, X, y, epochs=1, optimizer=opt)
    assert opt.t == 4 and not np.array_equal(moments[0][0][0], opt.state[0][0][0])
    once = minprune.MLP([8, 5, 3], seed=0)
    minprune.fit(once, X, y, epochs=1, optimizer=Adam(lr=1e-2))
    assert not np.array_equal(once.layers[0].W, model.layers[0].W)


def test_a_copy_of_the_model_is_another_model():
    X, y = problem()
    opt, model = Adam(lr=1e-2), minprune.MLP([8, 5, 3], seed=0)
    minprune.fit(model, X, y, epochs=1, optimizer=opt)
    twin = model.copy()
    minprune.fit(twin, X, y, epochs=1, optimizer=opt)
    assert opt.model is twin and opt.t == 2


def test_copies_and_pickles_of_an_optimizer_are_not_bound():
    X, y = problem()
    opt, model = Adam(lr=1e-2), minprune.MLP([8, 5, 3], seed=0)
    minprune.fit(model, X, y, epochs=1, optimizer=opt)
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert clone.model is None and clone.lr == opt.lr
    opt.reset()
    assert opt.model is None and opt.state is None and opt.t == 0


# ----------------------------------------------- item 8: undo after gradual pruning
@pytest.mark.parametrize("keep_history", [False, True])
def test_undo_after_a_gradual_run_returns_to_before_its_first_event(keep_history):
    X, y = problem(n=96)
    model = minprune.MLP([8, 16, 3], seed=3)
    minprune.fit(model, X, y, epochs=1, batch_size=16)
    gradual = GradualPruning(0.8, begin_step=2, frequency=2, initial_sparsity=0.1,
                             keep_history=keep_history)

    class Before(minprune.Callback):  # the state right before the first event
        def on_batch_end(self, state):
            if state.step == 2:  # called before GradualPruning's own on_batch_end
                self.state = model_state(state.model)

    before = Before()
    minprune.fit(model, X, y, epochs=3, batch_size=16, callbacks=[before, gradual])
    events = len(set(gradual.sparsities) - {0.0})
    assert len(minprune.mask_history(model)) == (1 + events if keep_history else 2) and events > 2
    minprune.undo(model)
    assert_same_state(before.state, model)
    assert len(minprune.mask_history(model)) == 1
    with pytest.raises(ValueError, match="nothing to undo"):
        minprune.undo(model)


def test_rewind_still_reaches_a_single_kept_event_and_undo_then_ends_the_run():
    X, y = problem(n=96)
    model = minprune.MLP([8, 16, 3], seed=3)
    minprune.prune_weights(model, 0.2)
    after_one_shot = model_state(model)
    gradual = GradualPruning(0.8, frequency=2, initial_sparsity=0.3, keep_history=True)
    minprune.fit(model, X, y, epochs=3, batch_size=16, callbacks=[gradual])
    history = minprune.mask_history(model)
    assert len(history) > 4
    minprune.rewind(model, 3)  # the second gradual event
    assert minprune.sparsity(model) == history[3].sparsity
    minprune.undo(model)  # the rest of the run goes as one step: back to after the one-shot
    assert_same_state(after_one_shot, model)
    minprune.undo(model)  # and then the one-shot step
    assert minprune.sparsity(model) == 0.0


def test_two_gradual_runs_are_two_steps():
    X, y = problem(n=96)
    model = minprune.MLP([8, 16, 3], seed=3)
    minprune.fit(model, X, y, epochs=2, batch_size=16,
                 callbacks=[GradualPruning(0.5, frequency=2, keep_history=True)])
    mid = model_state(model)
    gradual = GradualPruning(0.8, frequency=2, initial_sparsity=0.6, keep_history=True)
    minprune.fit(model, X, y, epochs=2, batch_size=16, callbacks=[gradual])
    minprune.undo(model)
    assert_same_state(mid, model)
    minprune.undo(model)
    assert minprune.sparsity(model) == 0.0
