"""fit(teacher=...) and fit(lr_schedule=...): gradients by finite differences, schedules, recipes."""
import math

import numpy as np
import pytest

import minprune as mp
from minprune.distill import distillation_delta


@pytest.fixture(scope="module")
def moons():
    return mp.datasets.load_moons(seed=0)


def _loss(model, X, y, teacher, T, w):
    return mp.distillation_gradients(model, X, y, teacher, temperature=T, distill_weight=w)[0]


@pytest.mark.parametrize("T, w", [(1.0, 0.5), (4.0, 0.9), (0.5, 1.0), (3.0, 0.0)])
def test_distillation_gradients_match_central_differences(T, w):
    rng = np.random.default_rng(0)
    student = mp.MLP([5, 7, 6, 4], activation="tanh", seed=1, dtype=np.float64)
    teacher = mp.MLP([5, 9, 4], seed=2, dtype=np.float64)
    student.layers[0].mask = rng.random((5, 7)) > 0.3
    student.apply_masks()
    X, y = rng.normal(size=(11, 5)), rng.integers(0, 4, size=11)
    loss, grads = mp.distillation_gradients(student, X, y, teacher, temperature=T,
                                            distill_weight=w)
    eps = 1e-6
    for layer, (dW, db) in zip(student.layers, grads):
        for param, grad, mask in ((layer.W, dW, layer.mask), (layer.b, db, layer.bias_mask)):
            for idx in np.ndindex(param.shape):
                if not mask[idx]:
                    assert grad[idx] == 0
                    continue
                old = param[idx]
                param[idx] = old + eps
                up = _loss(student, X, y, teacher, T, w)
                param[idx] = old - eps
                down = _loss(student, X, y, teacher, T, w)
                param[idx] = old
                assert grad[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_weight_zero_is_plain_cross_entropy_and_a_perfect_teacher_costs_nothing():
    rng = np.random.default_rng(1)
    model = mp.MLP([3, 5, 3], seed=0, dtype=np.float64)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 3, size=8)
    loss, grads = mp.distillation_gradients(model, X, y, model.copy(), distill_weight=0.0)
    ce, ce_grads = model.gradients(X, y)
    assert loss == pytest.approx(ce, rel=1e-12)
    for (a, b), (c, d) in zip(grads, ce_grads):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-15)
    # a student identical to its teacher: the soft term (a KL divergence) is 0 with 0 gradient
    logits = model.forward(X)
    loss, delta, _ = distillation_delta(logits, y, logits, 3.0, 1.0)
    assert loss == pytest.approx(0.0, abs=1e-12) and np.abs(delta).max() < 1e-12


def test_fit_with_a_teacher_trains_on_the_distillation_loss(moons):
    teacher = mp.MLP([2, 32, 2], seed=0)
    mp.fit(teacher, moons.X_train, moons.y_train, epochs=20, lr=0.01, seed=0)
    a, b = mp.MLP([2, 4, 2], seed=1), mp.MLP([2, 4, 2], seed=1)
    ha = mp.fit(a, moons.X_train, moons.y_train, epochs=2, seed=0)
    hb = mp.fit(b, moons.X_train, moons.y_train, epochs=2, seed=0, teacher=teacher,
                temperature=2.0, distill_weight=0.7)
    assert not np.array_equal(a.layers[0].W, b.layers[0].W)
    assert ha.loss != hb.loss and all(np.isfinite(hb.loss))
    c = mp.MLP([2, 4, 2], seed=1)                    # distill_weight=0: the teacher is ignored
    mp.fit(c, moons.X_train, moons.y_train, epochs=2, seed=0, teacher=teacher, distill_weight=0)
    np.testing.assert_allclose(c.layers[0].W, a.layers[0].W, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, exc, what", [
    ({"teacher": "model"}, TypeError, "teacher"),
    ({"teacher": mp.MLP([3, 4, 2])}, ValueError, "teacher must map the student's 2 inputs"),
    ({"teacher": mp.MLP([2, 4, 3])}, ValueError, "3 classes"),
    ({"teacher": mp.MLP([2, 4, 2], objective="squared_error")}, ValueError,
     "teacher must be a classifier.*objective='squared_error'"),
    ({"temperature": 0.0}, ValueError, "temperature"),
    ({"temperature": -1.0}, ValueError, "temperature"),
    ({"temperature": float("nan")}, ValueError, "temperature"),
    ({"distill_weight": 1.5}, ValueError, "distill_weight"),
    ({"lr_schedule": "linear"}, ValueError, "lr_schedule"),
    ({"lr_schedule": 3}, TypeError, "lr_schedule"),
    ({"lr_schedule": lambda e, n: float("nan")}, ValueError, "lr_schedule returned nan"),
])
def test_bad_teacher_and_schedule_arguments(moons, kwargs, exc, what):
    with pytest.raises(exc, match=what):
        mp.fit(mp.MLP([2, 4, 2]), moons.X_train, moons.y_train, epochs=1, **kwargs)
    if "temperature" in kwargs or "distill_weight" in kwargs:  # with a teacher too
        with pytest.raises(exc, match=what):
            mp.fit(mp.MLP([2, 4, 2]), moons.X_train, moons.y_train, epochs=1,
                   teacher=mp.MLP([2, 4, 2]), **kwargs)


def test_lr_schedules_by_hand():
    cos = mp.CosineLR()
    assert cos(0, 10) == 1.0 and cos(5, 10) == pytest.approx(0.5) and cos(10, 10) == 0.0
    assert mp.CosineLR(final=0.1)(10, 10) == pytest.approx(0.1)
    assert mp.CosineLR(warmup=2)(1, 10) == pytest.approx(0.5)
    own = mp.CosineLR(epochs=20)
    assert own(0, 5) == 1.0                              # its own timeline, not the run's
    assert own.rewound(15)(0, 5) == pytest.approx((1 + math.cos(math.pi * 15 / 20)) / 2)
    step = mp.StepLR()
    assert [step(e, 8) for e in (0, 3.9, 4, 5.9, 6, 8)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01])
    assert mp.StepLR([2, 5], gamma=0.5).rewound(3)(0, 99) == 0.5
    with pytest.raises(ValueError, match="milestones must increase"):
        mp.StepLR([5, 2])
    with pytest.raises(ValueError, match="warmup"):
        mp.CosineLR(4, warmup=4)


def test_fit_applies_the_schedule_every_step_and_restores_the_rate(moons):
    seen = []

    class Watch(mp.Callback):
        def on_batch_end(self, state):
            seen.append(state.optimizer.lr)

    opt = mp.SGD(lr=0.1, momentum=0.0)
    mp.fit(mp.MLP([2, 4, 2]), moons.X_train, moons.y_train, epochs=4, batch_size=100,
           optimizer=opt, lr_schedule="cosine", callbacks=[Watch()], seed=0)
    steps_per_epoch = -(-len(moons.y_train) // 100)
    expected = [0.1 * (1 + math.cos(math.pi * t / steps_per_epoch / 4)) / 2
                for t in range(4 * steps_per_epoch)]
    assert seen == pytest.approx(expected, rel=1e-12)
    assert opt.lr == 0.1


def test_lr_rewinding_and_dsd_run_and_report(moons):
    data = moons
    model = mp.MLP([2, 32, 32, 2], seed=0)
    mp.fit(model, data.X_train, data.y_train, epochs=6, lr=0.01, lr_schedule=mp.CosineLR(6), seed=0)
    res = mp.lr_rewinding(model.copy(), 0.8, data, train_epochs=6, retrain_epochs=3, rounds=2,
                          lr=0.01)
    assert res.sparsity[-1] == pytest.approx(0.8, abs=1e-3) and len(res.finetuned_accuracy) == 3
    dsd = mp.dense_sparse_dense(model.copy(), data, sparsity=0.5, sparse_epochs=2, dense_epochs=2,
                                lr=0.01)
    assert dsd.sparsity == pytest.approx(0.5, abs=0.01)
    assert "re-dense" in repr(dsd)
    with pytest.raises(ValueError, match="retrain_epochs"):
        mp.lr_rewinding(model.copy(), 0.5, data, train_epochs=3, retrain_epochs=4)
    with pytest.raises(ValueError, match="sparsity"):
        mp.dense_sparse_dense(model.copy(), data, sparsity=1.0)
