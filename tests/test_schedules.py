"""Schedules: the cubic ramp, gradual pruning in fit, one-shot/iterative fine-tuning, lottery tickets."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune import (GradualPruning, cubic_sparsity, iterative_prune, lottery_ticket,
                      prune_and_finetune)
from minprune.training import Callback

SIZES = [8, 16, 12, 3]


def tiny_data(seed=0, n=96):
    """A small separable-ish problem: labels from a random linear teacher."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, SIZES[0])).astype(np.float32)
    y = np.argmax(X @ rng.standard_normal((SIZES[0], SIZES[-1])), axis=1)
    return X[:64], y[:64], X[64:], y[64:]


def n_pruned(model):
    return [int(layer.mask.size - np.count_nonzero(layer.mask)) for layer in model.layers]


def n_weights(model):
    return sum(layer.mask.size for layer in model.layers)


class Recorder(Callback):
    """Copies of weights and masks at the start of every fit and after every batch."""

    def __init__(self):
        self.begins, self.batches = [], []

    def on_train_begin(self, state):
        self.begins.append(([l.W.copy() for l in state.model.layers],
                            [l.mask.copy() for l in state.model.layers]))

    def on_batch_end(self, state):
        self.batches.append((state.step, [l.W.copy() for l in state.model.layers],
                             [l.mask.copy() for l in state.model.layers]))


# ------------------------------------------------------------------ cubic schedule
def test_cubic_hand_values():
    # s_f + (s_i - s_f)(1 - t/n)^3 with s_i=0, s_f=0.8, n=100: t=50 -> 0.8 * (1 - 1/8)
    assert cubic_sparsity(50, final=0.8, end_step=100) == pytest.approx(0.7)
    assert cubic_sparsity(0, initial=0.1, final=0.8, end_step=100) == pytest.approx(0.1)
    # t=57 with frequency 10 counts as t=50
    assert cubic_sparsity(57, final=0.8, end_step=100, frequency=10) == pytest.approx(0.7)
    # the ramp shifts with begin_step
    assert cubic_sparsity(70, final=0.8, begin_step=20, end_step=120) == pytest.approx(0.7)
    assert isinstance(cubic_sparsity(3, final=0.5, end_step=10), float)


@given(initial=st.floats(0, 1), gap=st.floats(0, 1), begin=st.integers(0, 50),
       length=st.integers(1, 200), frequency=st.integers(1, 40))
def test_cubic_properties(initial, gap, begin, length, frequency):
    final = initial + gap * (1 - initial)
    end = begin + length
    t = np.arange(0, end + 30)
    s = cubic_sparsity(t, initial=initial, final=final, begin_step=begin, end_step=end,
                       frequency=frequency)
    assert s.shape == t.shape and s.dtype == np.float64
    assert np.all(s[:begin + 1] == initial)
    assert np.all(s[end:] == final)
    assert np.all(np.diff(s) >= 0)  # never decreases
    # constant between pruning steps: only changes at begin + k * frequency or at end_step
    changes = np.flatnonzero(np.diff(s) != 0) + 1
    assert all((c - begin) % frequency == 0 or c == end for c in changes)
    # the vectorised form equals the scalar one
    for step in (0, begin, (begin + end) // 2, end, end + 7):
        assert s[step] == cubic_sparsity(int(step), initial=initial, final=final,
                                         begin_step=begin, end_step=end, frequency=frequency)


@pytest.mark.parametrize("kwargs, match", [
    (dict(step=5, initial=0.6, final=0.5, end_step=10), "final must be >= initial"),
    (dict(step=5, final=1.5, end_step=10), "final must be"),
    (dict(step=5, final=0.5, begin_step=10, end_step=10), "end_step must be an integer >= 11"),
    (dict(step=5, final=0.5, end_step=10, frequency=0), "frequency must be an integer >= 1"),
    (dict(step=-1, final=0.5, end_step=10), "step must be >= 0"),
    (dict(step=[1, -2], final=0.5, end_step=10), "step must be >= 0"),
])
def test_cubic_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cubic_sparsity(**kwargs)


def test_cubic_type_errors():
    with pytest.raises(TypeError, match="step must be an int"):
        cubic_sparsity(2.5, final=0.5, end_step=10)
    with pytest.raises(TypeError, match="step must be an int"):
        cubic_sparsity(True, final=0.5, end_step=10)
    with pytest.raises(TypeError, match="end_step must be an integer"):
        cubic_sparsity(1, final=0.5, end_step=10.0)


# ---------------------------------------------------------------- gradual pruning
@given(final=st.floats(0, 0.97), frequency=st.integers(1, 7), scope=st.sampled_from(["global", "layer"]),
       optimizer=st.sampled_from(["adam", "sgd"]))
def test_gradual_hits_final_sparsity_and_masks_stay_zero(final, frequency, scope, optimizer):
    X, y, _, _ = tiny_data()
    model = minprune.MLP(SIZES, seed=1)
    # 8 epochs x 4 batches = 32 steps; prune from step 4 to 20, then train 12 more steps
    gradual = GradualPruning(final, begin_step=4, end_step=20, frequency=frequency, scope=scope)
    rec = Recorder()
    minprune.fit(model, X, y, epochs=8, batch_size=16, optimizer=optimizer, lr=1e-2,
                 weight_decay=1e-3, seed=0, callbacks=[gradual, rec])
    if scope == "global":
        assert sum(n_pruned(model)) == round(final * n_weights(model))
    else:
        assert n_pruned(model) == [round(final * l.mask.size) for l in model.layers]
    assert gradual.steps[-1] == 20 and gradual.sparsities[-1] == minprune.sparsity(model)
    assert np.all(np.diff(gradual.sparsities) >= 0)
    previous = None
    for step, weights, masks in rec.batches:
        for W, m in zip(weights, masks):
            assert np.all(W[~m] == 0.0)  # exactly zero after every step
        if previous is not None:  # masks never resurrect
            assert all(np.all(m <= p) for m, p in zip(masks, previous))
        if step >= 20:  # nothing changes after the last event
            assert all(np.array_equal(m, l.mask) for m, l in zip(masks, model.layers))
        previous = masks


def test_gradual_follows_the_schedule_at_every_event():
    X, y, _, _ = tiny_data()
    model = minprune.MLP(SIZES, seed=2)
    gradual = GradualPruning(0.9, frequency=3, initial_sparsity=0.2)  # end_step = total steps
    minprune.fit(model, X, y, epochs=5, batch_size=16, seed=0, callbacks=[gradual])
    n = n_weights(model)
    assert gradual.steps[0] == 0 and gradual.steps[-1] == 20
    assert gradual.steps == sorted(set(list(range(0, 21, 3)) + [20]))
    for step, s in zip(gradual.steps, gradual.sparsities):
        assert round(s * n) == round(gradual.schedule(step) * n)
    assert gradual.sparsities[0] == pytest.approx(round(0.2 * n) / n)


def test_gradual_mask_history_is_bounded_unless_asked():
    X, y, _, _ = tiny_data()
    for keep, expected in ((False, 2), (True, None)):
        model = minprune.MLP(SIZES, seed=3)
        gradual = GradualPruning(0.8, frequency=2, keep_history=keep)
        minprune.fit(model, X, y, epochs=4, batch_size=16, seed=0, callbacks=[gradual])
        history = minprune.mask_history(model)
        if expected is None:  # one entry per event that pruned something, plus "initial"
            assert len(history) == 1 + len(set(gradual.sparsities) - {0.0})
        else:
            assert len(history) == expected
        assert history[0].label == "initial" and history[0].sparsity == 0.0
        assert history[-1].sparsity == minprune.sparsity(model)
        assert "gradual magnitude/global" in history[-1].label


def test_gradual_taylor_and_layer_scope():
    X, y, _, _ = tiny_data()
    model = minprune.MLP(SIZES, seed=4)
    gradual = GradualPruning(0.5, frequency=4, criterion="taylor", scope="layer", data=(X, y))
    minprune.fit(model, X, y, epochs=3, batch_size=16, seed=0, callbacks=[gradual])
    assert n_pruned(model) == [round(0.5 * l.mask.size) for l in model.layers]


def test_gradual_bad_arguments():
    with pytest.raises(ValueError, match="final_sparsity must be"):
        GradualPruning(1.2)
    with pytest.raises(ValueError, match="initial_sparsity must be <= final_sparsity"):
        GradualPruning(0.5, initial_sparsity=0.6)
    with pytest.raises(ValueError, match="end_step must be an integer >= 6"):
        GradualPruning(0.5, begin_step=5, end_step=5)
    with pytest.raises(ValueError, match="frequency must be an integer >= 1"):
        GradualPruning(0.5, frequency=0)
    with pytest.raises(ValueError, match="scope must be one of"):
        GradualPruning(0.5, scope="model")
    with pytest.raises(ValueError, match="criterion must be one of"):
        GradualPruning(0.5, criterion="l2")
    with pytest.raises(ValueError, match="needs data"):
        GradualPruning(0.5, criterion="taylor")
    X, y, _, _ = tiny_data()
    with pytest.raises(ValueError, match=r"end_step must be in \(0, 8\].*got 50"):
        minprune.fit(minprune.MLP(SIZES), X, y, epochs=2, batch_size=16,
                     callbacks=[GradualPruning(0.5, end_step=50)])
    with pytest.raises(RuntimeError, match="once fit begins"):
        GradualPruning(0.5).schedule(3)


# -------------------------------------------------------------- one-shot + fine-tune
def trained(seed=0):
    X, y, _, _ = tiny_data()
    model = minprune.MLP(SIZES, seed=seed)
    minprune.fit(model, X, y, epochs=10, batch_size=16, lr=1e-2, seed=0)
    return model


def test_prune_and_finetune_weights():
    data = tiny_data()
    model = trained()
    dense = model.score(data[2], data[3])
    result = prune_and_finetune(model, 0.6, data, scope="layer", epochs=3, lr=1e-2,
                                batch_size=16, weight_decay=1e-3)
    assert n_pruned(model) == [round(0.6 * l.mask.size) for l in model.layers]
    assert result.sparsity == minprune.sparsity(model)
    assert result.dense_accuracy == dense
    assert result.finetuned_accuracy == model.score(data[2], data[3])
    assert result.history.epochs == 3
    assert result.report.pruned_now == sum(n_pruned(model))
    assert all(np.all(l.W[~l.mask] == 0.0) for l in model.layers)
    assert repr(result).startswith("FinetuneResult(sparsity=")


def test_prune_and_finetune_neurons():
    data = tiny_data()
    model = trained()
    result = prune_and_finetune(model, 0.5, data, kind="neurons", epochs=2, batch_size=16)
    assert result.report.kind == "neurons"
    # half of each hidden layer's units: their bias masks are cleared
    assert [int(np.count_nonzero(~l.bias_mask)) for l in model.layers] == [8, 6, 0]


def test_prune_and_finetune_bad_arguments():
    data = tiny_data()
    with pytest.raises(ValueError, match="kind must be one of"):
        prune_and_finetune(trained(), 0.5, data, kind="units")
    with pytest.raises(ValueError, match=r"data must hold 4 parts .* got 2"):
        prune_and_finetune(trained(), 0.5, data[:2])
    with pytest.raises(TypeError, match=r"data must be a minprune.datasets.Dataset"):
        prune_and_finetune(trained(), 0.5, None)
    with pytest.raises(ValueError, match=r"data\[2\] \(X_test\) must have 8 features"):
        prune_and_finetune(trained(), 0.5, (data[0], data[1], data[2][:, :3], data[3]))
    with pytest.raises(TypeError, match="model must be a minprune.MLP"):
        prune_and_finetune("model", 0.5, data)
    with pytest.raises(ValueError, match="amount"):
        prune_and_finetune(trained(), 1.5, data)


# ---------------------------------------------------------------------- iterative
@given(target=st.floats(0.05, 0.97), rounds=st.integers(1, 4),
       scope=st.sampled_from(["global", "layer"]))
def test_iterative_hits_target(target, rounds, scope):
    data = tiny_data()
    model = trained()
    result = iterative_prune(model, target, data, rounds=rounds, finetune_epochs=1, scope=scope,
                             batch_size=32)
    assert result.rounds == rounds
    if scope == "global":
        assert sum(n_pruned(model)) == round(target * n_weights(model))
    else:
        assert n_pruned(model) == [round(target * l.mask.size) for l in model.layers]
    assert result.sparsity[0] == 0.0 and result.sparsity[-1] == minprune.sparsity(model)
    assert np.all(np.diff(result.sparsity) >= 0)
    assert len(result.finetuned_accuracy) == len(result.histories) + 1 == rounds + 1


def test_iterative_per_round_sets_the_number_of_rounds():
    data = tiny_data()
    result = iterative_prune(trained(), 0.9, data, per_round=0.5, finetune_epochs=1)
    assert result.rounds == 4  # 0.5, 0.75, 0.875, then 0.9
    assert result.sparsity[1] == pytest.approx(0.5, abs=0.01)
    assert "round" in repr(result) and "finetuned acc" in repr(result)


def test_iterative_bad_arguments():
    data = tiny_data()
    with pytest.raises(ValueError, match="give rounds or per_round, not both"):
        iterative_prune(trained(), 0.9, data, rounds=3, per_round=0.5)
    with pytest.raises(ValueError, match="target_sparsity must be"):
        iterative_prune(trained(), 1.1, data)
    with pytest.raises(ValueError, match="per_round must be"):
        iterative_prune(trained(), 0.5, data, per_round=0.0)
    with pytest.raises(ValueError, match="rounds must be an integer >= 1"):
        iterative_prune(trained(), 0.5, data, rounds=0)


# ----------------------------------------------------------------- lottery ticket
def test_lottery_rewinds_to_the_initial_weights_and_masks():
    data = tiny_data()
    rec = Recorder()
    result = lottery_ticket(SIZES, data, target_sparsity=0.6, epochs=3, seed=5, batch_size=16,
                            callbacks=[rec])
    init = [W for W, _ in result.init_weights]
    # fits: dense, then (ticket, control) per round
    assert len(rec.begins) == 1 + 2 * result.rounds
    np.testing.assert_array_equal(rec.begins[0][0][0], init[0])
    assert all(np.all(m) for m in rec.begins[0][1])
    for r in range(1, result.rounds + 1):
        ticket_W, ticket_masks = rec.begins[2 * r - 1]
        control_W, control_masks = rec.begins[2 * r]
        for W0, W, m, m_result, Wc, mc in zip(init, ticket_W, ticket_masks, result.masks[r],
                                              control_W, control_masks):
            np.testing.assert_array_equal(m, m_result)
            np.testing.assert_array_equal(W, W0 * m)  # unpruned: the initial value; pruned: 0
            np.testing.assert_array_equal(mc, m)  # control: the same mask...
            assert not np.array_equal(Wc[m], W0[m])  # ...with other weights
            assert np.all(Wc[~m] == 0.0)
        if r > 1:  # masks only shrink
            assert all(np.all(a <= b) for a, b in zip(result.masks[r], result.masks[r - 1]))
    assert sum(n_pruned(result.ticket)) == round(0.6 * n_weights(result.ticket))
    assert result.sparsity[-1] == minprune.sparsity(result.ticket)
    assert [np.array_equal(a, b) for a, b in zip(result.masks[-1], result.control.masks_)] \
        == [True] * len(SIZES[1:])


def test_lottery_per_round_rates():
    data = tiny_data()
    result = lottery_ticket(SIZES, data, target_sparsity=0.7, epochs=2, control=False,
                            batch_size=32)
    sizes = [a * b for a, b in zip(SIZES[:-1], SIZES[1:])]
    pruned_1 = [int(m.size - m.sum()) for m in result.masks[1]]
    assert pruned_1 == [round(0.2 * n) for n in sizes[:-1]] + [round(0.1 * sizes[-1])]
    assert result.control is None and np.all(np.isnan(result.control_accuracy))
    assert result.sparsity[-1] == pytest.approx(round(0.7 * sum(sizes)) / sum(sizes))
    # without enough rounds the 20%/10% rates need: 1 - 0.8**5 = 67% of the hidden weights
    assert result.rounds >= 6
    scaled = lottery_ticket(SIZES, data, target_sparsity=0.7, rounds=3, epochs=2,
                            control=False, batch_size=32)
    assert scaled.rounds == 3 and scaled.sparsity[-1] == result.sparsity[-1]
    # the hidden:output rate ratio of 2:1 is kept
    hidden, output = [1 - m.mean() for m in scaled.masks[1][:1]], 1 - scaled.masks[1][-1].mean()
    assert hidden[0] == pytest.approx(2 * output, abs=0.03)


def test_lottery_rewind_epoch_uses_early_weights():
    data = tiny_data()

    class AtEpoch(Callback):
        def __init__(self):
            self.weights = []

        def on_epoch_end(self, state):
            self.weights.append([l.W.copy() for l in state.model.layers])

    at = AtEpoch()
    result = lottery_ticket(SIZES, data, target_sparsity=0.5, rounds=2, epochs=4,
                            rewind_epoch=2, control=False, batch_size=16, callbacks=[at])
    # 4 dense epochs, then 2 rounds of 4 - 2 epochs each
    assert len(at.weights) == 4 + 2 * 2
    for (W, _), W2 in zip(result.init_weights, at.weights[1]):  # end of epoch 2
        np.testing.assert_array_equal(W, W2)


def test_lottery_is_deterministic_and_readable():
    data = tiny_data()
    a = lottery_ticket(SIZES, data, target_sparsity=0.5, rounds=2, epochs=2, seed=3)
    b = lottery_ticket(SIZES, data, target_sparsity=0.5, rounds=2, epochs=2, seed=3)
    assert repr(a) == repr(b)
    assert repr(a).splitlines()[1].split() == ["round", "sparsity", "ticket", "acc", "random",
                                               "reinit", "acc"]
    np.testing.assert_equal(a.ticket_accuracy, b.ticket_accuracy)
    np.testing.assert_equal(a.control_accuracy, b.control_accuracy)
    assert np.isnan(a.control_accuracy[0]) and not np.isnan(a.control_accuracy[1])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(target_sparsity=1.0), ValueError, "target_sparsity must be"),
    (dict(target_sparsity=0.5, per_round=1.5), ValueError, "per_round must be"),
    (dict(target_sparsity=0.5, output_per_round=0), ValueError, "output_per_round must be"),
    (dict(target_sparsity=0.5, epochs=3, rewind_epoch=3), ValueError, r"rewind_epoch must be an integer in \[0, 2\]"),
    (dict(target_sparsity=0.5, rounds=0), ValueError, "rounds must be an integer >= 1"),
    (dict(target_sparsity="0.5"), TypeError, "target_sparsity must be a real number"),
])
def test_lottery_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        lottery_ticket(SIZES, tiny_data(), **kwargs)


def test_lottery_bad_layer_sizes():
    with pytest.raises(ValueError, match="layer_sizes"):
        lottery_ticket([8], tiny_data(), target_sparsity=0.5)


# ------------------------------------------------- unreachable targets, fail fast
class CountSteps(Callback):
    def __init__(self):
        self.steps = 0

    def on_batch_end(self, state):
        self.steps += 1


def test_gradual_refuses_an_unreachable_target_before_training():
    X, y, _, _ = tiny_data()
    model = minprune.MLP([8, 16, 3], seed=0)
    before = [l.W.copy() for l in model.layers]
    counter = CountSteps()
    with pytest.raises(ValueError, match=r"final_sparsity=1.0 cannot be reached.*min_density=0.01"
                                         r".*0\.9830 \(173 of 176 weights pruned\)") as err:
        minprune.fit(model, X, y, epochs=2, batch_size=16, callbacks=[counter,
                                                                      GradualPruning(1.0)])
    assert "amount" not in str(err.value)
    assert counter.steps == 0 and not minprune.mask_history(model)
    assert all(np.array_equal(W, l.W) for W, l in zip(before, model.layers))
    # the largest reachable target runs; min_density=0 or scope="layer" reach 1.0
    minprune.fit(model, X, y, epochs=2, batch_size=16, callbacks=[GradualPruning(173 / 176)])
    assert sum(n_pruned(model)) == 173
    for kwargs in (dict(min_density=0.0), dict(scope="layer")):
        model = minprune.MLP([8, 16, 3], seed=0)
        minprune.fit(model, X, y, epochs=2, batch_size=16,
                     callbacks=[GradualPruning(1.0, **kwargs)])
        assert minprune.sparsity(model) == 1.0


def test_gradual_min_density_is_passed_to_the_guard():
    X, y, _, _ = tiny_data()
    model = minprune.MLP([8, 16, 3], seed=0)
    minprune.fit(model, X, y, epochs=2, batch_size=16,
                 callbacks=[GradualPruning(0.6, min_density=0.3, frequency=1)])
    # the guard keeps ceil(0.3 * 128) = 39 and ceil(0.3 * 48) = 15 weights: at most 122 pruned
    assert sum(n_pruned(model)) == round(0.6 * 176)
    assert all(int(l.mask.sum()) >= k for l, k in zip(model.layers, (39, 15)))
    with pytest.raises(ValueError, match=r"final_sparsity=0.7 cannot be reached.*min_density=0.3"
                                         r".*122 of 176"):
        minprune.fit(minprune.MLP([8, 16, 3]), X, y, epochs=1, batch_size=16,
                     callbacks=[GradualPruning(0.7, min_density=0.3)])
    with pytest.raises(ValueError, match="min_density must be"):
        GradualPruning(0.5, min_density=1.0)


def test_iterative_refuses_an_unreachable_global_target_before_training():
    data = tiny_data()
    model = minprune.MLP([8, 16, 3], seed=0)
    with pytest.raises(ValueError, match=r"target_sparsity=1.0 cannot be reached.*min_density"):
        iterative_prune(model, 1.0, data, scope="global", finetune_epochs=1)
    assert not minprune.mask_history(model)
    result = iterative_prune(model, 1.0, data, scope="global", min_density=0.0, rounds=2,
                             finetune_epochs=1, batch_size=32)
    assert result.sparsity[-1] == 1.0
    with pytest.raises(ValueError, match="min_density must be"):
        iterative_prune(minprune.MLP([8, 16, 3]), 0.5, data, min_density=-0.1)


def test_prune_and_finetune_passes_min_density():
    data = tiny_data()
    model = minprune.MLP(SIZES, seed=0)
    with pytest.raises(ValueError, match=r"amount=0.995 .*\(min_density=0.01\)"):
        prune_and_finetune(model.copy(), 0.995, data, scope="global", epochs=1)
    prune_and_finetune(model, 0.995, data, scope="global", min_density=0.0, epochs=1)
    assert sum(n_pruned(model)) == round(0.995 * 356)
    with pytest.raises(ValueError, match="min_density applies to kind='weights' only"):
        prune_and_finetune(minprune.MLP(SIZES), 0.5, data, kind="neurons", min_density=0.1)


# ------------------------------------------------- optimizer objects are not shared
def test_lottery_with_an_optimizer_object_equals_the_name():
    data = tiny_data()
    kwargs = dict(target_sparsity=0.5, rounds=2, epochs=2, seed=1, batch_size=16)
    by_name = lottery_ticket(SIZES, data, optimizer="adam", lr=1e-3, **kwargs)
    opt = minprune.Adam(lr=1e-3)
    by_object = lottery_ticket(SIZES, data, optimizer=opt, **kwargs)
    np.testing.assert_array_equal(by_name.ticket_accuracy, by_object.ticket_accuracy)
    np.testing.assert_array_equal(by_name.control_accuracy, by_object.control_accuracy)
    for a, b in zip(by_name.ticket.layers + by_name.control.layers,
                    by_object.ticket.layers + by_object.control.layers):
        np.testing.assert_array_equal(a.W, b.W)
    assert opt.state is None and opt.t == 0  # the caller's object is left alone


def test_iterative_with_an_optimizer_object_equals_the_name():
    data = tiny_data()
    kwargs = dict(rounds=2, finetune_epochs=1, batch_size=16)
    a, b = trained(), trained()
    iterative_prune(a, 0.5, data, optimizer="sgd", lr=1e-2, **kwargs)
    iterative_prune(b, 0.5, data, optimizer=minprune.SGD(lr=1e-2), **kwargs)
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.W, lb.W)


# ------------------------------------------------------------------- bad input
def test_gradual_checks_data_when_built_and_against_the_model_when_fit_begins():
    X, y, _, _ = tiny_data()
    with pytest.raises(TypeError, match="data must be a pair"):
        GradualPruning(0.5, data="xy")
    with pytest.raises(ValueError, match=r"data\[1\] \(y\) must have one label per sample"):
        GradualPruning(0.5, criterion="taylor", data=(X, y[:3]))
    with pytest.raises(ValueError, match=r"data\[0\] \(X\) must be 2-D"):
        GradualPruning(0.5, data=(X[0], y[:1]))
    gradual = GradualPruning(0.5, criterion="taylor", data=(X[:, :3], y), begin_step=3)
    counter = CountSteps()
    with pytest.raises(ValueError, match=r"data\[0\] \(X\) must have 8 features"):
        minprune.fit(minprune.MLP(SIZES), X, y, epochs=2, batch_size=16,
                     callbacks=[counter, gradual])
    assert counter.steps == 0


@pytest.mark.parametrize("call", [
    lambda d: GradualPruning(0.5, seed=-1),
    lambda d: prune_and_finetune(minprune.MLP(SIZES), 0.5, d, seed=-1),
    lambda d: iterative_prune(minprune.MLP(SIZES), 0.5, d, seed=-2),
    lambda d: lottery_ticket(SIZES, d, target_sparsity=0.5, seed=-3),
])
def test_a_negative_seed_is_a_value_error(call):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        call(tiny_data())
