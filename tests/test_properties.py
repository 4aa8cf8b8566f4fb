"""Issue 11's property test: random sequences of what a learner does to a model.

After every step of a random sequence of prune (weights, neurons, gradual during fit),
fit, undo, rewind, shrink, to_sparse, save and load, the model keeps its promises:
pruned weights are exact zeros, sparsity is the mask count, the shrunk and CSR forms
predict as the masked model, and save/load round-trips bit for bit. A call that refuses
its arguments leaves the model exactly as it was, and ``undo`` returns to the state right
before the latest pruning action (a whole gradual run being one). Bounded: 30 sequences
of up to 8 steps on a 6-5-4-3 float64 network (a few seconds).
"""
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minprune
from minprune.optim import Adam

from helpers import assert_same_state, model_state

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 6))
Y = RNG.integers(0, 3, 30)

fraction = st.floats(0.0, 0.6, allow_nan=False)
STEPS = st.one_of(
    st.tuples(st.just("prune_weights"), fraction, st.sampled_from(["magnitude", "random"]),
              st.sampled_from(["layer", "global"])),
    st.tuples(st.just("prune_neurons"), st.floats(0.0, 0.7), st.sampled_from(["l2", "l1"])),
    st.tuples(st.just("fit"), st.sampled_from(["sgd", "adam", "shared adam"])),
    st.tuples(st.just("gradual"), st.floats(0.0, 0.8), st.booleans()),
    st.tuples(st.just("to_sparse")),
    st.tuples(st.just("undo")),
    st.tuples(st.just("rewind"), st.integers(-3, 3)),
    st.tuples(st.just("shrink")),
    st.tuples(st.just("save_load")),
)


def check_promises(model, folder):
    for layer in model.layers:
        assert np.all(layer.W[~layer.mask] == 0.0) and np.all(layer.b[~layer.bias_mask] == 0.0)
    total = sum(layer.mask.size for layer in model.layers)
    pruned = sum(int(layer.mask.size - np.count_nonzero(layer.mask)) for layer in model.layers)
    assert minprune.sparsity(model) == (pruned / total if total else 0.0)
    logits = model.forward(X)
    for other in (minprune.shrink(model), minprune.to_sparse(model)):
        np.testing.assert_allclose(other.forward(X), logits, rtol=1e-9, atol=1e-9)
    loaded = minprune.load(minprune.save(model, folder / "m.npz"))
    for a, b in zip(model.layers, loaded.layers):
        for x, y in ((a.W, b.W), (a.b, b.b), (a.mask, b.mask), (a.bias_mask, b.bias_mask)):
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    assert np.array_equal(loaded.forward(X), logits)


class BeforeFirstEvent(minprune.Callback):
    """Around a GradualPruning callback: the model's state right before its first event
    that recorded a history entry (what undo returns to)."""

    def __init__(self, gradual):
        self.gradual, self.state = gradual, None

    def _around(self, hook, state):
        history = minprune.mask_history(state.model)
        entries, before = len(history), model_state(state.model)
        getattr(self.gradual, hook)(state)
        if self.state is None and len(minprune.mask_history(state.model)) > entries:
            self.state = before

    def on_train_begin(self, state):
        self._around("on_train_begin", state)

    def on_batch_end(self, state):
        self._around("on_batch_end", state)


def apply(step, model, shared):
    """Do one step; return the model (shrink and load make a new one) and, for a gradual
    run, the state right before its first event."""
    name, *args = step
    if name == "prune_weights":
        minprune.prune_weights(model, args[0], criterion=args[1], scope=args[2], seed=0)
    elif name == "prune_neurons":
        minprune.prune_neurons(model, args[0], criterion=args[1])
    elif name == "fit":
        optimizer = shared if args[0] == "shared adam" else args[0]
        minprune.fit(model, X, Y, epochs=1, batch_size=10, lr=1e-2, optimizer=optimizer)
    elif name == "gradual":
        gradual = BeforeFirstEvent(minprune.GradualPruning(args[0], frequency=2,
                                                           keep_history=args[1]))
        minprune.fit(model, X, Y, epochs=2, batch_size=10, lr=1e-2, callbacks=[gradual])
        return model, gradual.state
    elif name == "to_sparse":
        minprune.to_sparse(model)
    elif name == "undo":
        minprune.undo(model)
    elif name == "rewind":
        minprune.rewind(model, args[0])
    elif name == "shrink":
        return minprune.shrink(model), None
    elif name == "save_load":
        with tempfile.TemporaryDirectory() as folder:
            return minprune.load(minprune.save(model, Path(folder) / "m")), None
    return model, None


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(STEPS, min_size=1, max_size=8),
       activation=st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_random_sequences_keep_every_promise(steps, activation):
    model = minprune.MLP([6, 5, 4, 3], activation=activation, seed=0, dtype=np.float64)
    shared = Adam(lr=1e-2)  # one optimizer object across models: its state follows the model
    undo_to = []  # the state before each pruning action still in the history; None: unknown
    with tempfile.TemporaryDirectory() as folder:
        for step in steps:
            before = model_state(model)
            entries = len(minprune.mask_history(model))
            try:
                after, first_event = apply(step, model, shared)
            except ValueError as exc:  # refused (nothing to undo, an amount out of reach...)
                assert str(exc)
                assert_same_state(before, model)
                check_promises(model, Path(folder))
                continue
            if after is not model:  # shrink, load: a new model, a new history
                model, undo_to = after, []
            elif step[0] == "undo":
                if undo_to:
                    assert_same_state(undo_to.pop(), model)
            elif step[0] == "rewind":
                undo_to = None
            elif undo_to is not None and len(minprune.mask_history(model)) > entries:
                # one pruning action, however many entries it made
                undo_to.append(before if first_event is None else first_event)
            check_promises(model, Path(folder))
