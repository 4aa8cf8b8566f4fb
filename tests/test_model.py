"""The MLP: a hand-worked step, finite differences, masks, properties, and bad input."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from minprune.model import ACTIVATIONS, softmax
from minprune.optim import SGD, Adam


def tiny_model():
    """2 inputs -> 2 ReLU units -> 2 classes, weights written out."""
    model = minprune.MLP([2, 2, 2], activation="relu", dtype=np.float64)
    model.layers[0].W[...] = [[0.5, -1.0], [0.25, 0.5]]
    model.layers[0].b[...] = [0.0, 0.5]
    model.layers[1].W[...] = [[1.0, -1.0], [2.0, 0.0]]
    model.layers[1].b[...] = [0.0, 0.0]
    return model


def test_hand_worked_sgd_step():
    # x = [1, 2], label 1.
    # z1 = [1*0.5 + 2*0.25 + 0, 1*(-1) + 2*0.5 + 0.5] = [1, 0.5]; relu keeps both.
    # logits = [1*1 + 0.5*2, 1*(-1) + 0.5*0] = [2, -1]
    # p = softmax([2, -1]) = [s, 1 - s] with s = sigmoid(3); loss = -log(1 - s) = log(1 + e^3)
    # delta2 = p - [0, 1] = [s, -s]; dW2 = a1^T delta2 = [[s, -s], [s/2, -s/2]]; db2 = [s, -s]
    # delta1 = delta2 @ W2^T = [s + s, 2s + 0] = [2s, 2s] (both units active)
    # dW1 = x^T delta1 = [[2s, 2s], [4s, 4s]]; db1 = [2s, 2s]
    s = 1 / (1 + math.exp(-3))
    assert s == pytest.approx(0.9525741268224334)
    model = tiny_model()
    X, y = np.array([[1.0, 2.0]]), np.array([1])
    assert model.forward(X) == pytest.approx(np.array([[2.0, -1.0]]))
    assert model.predict_proba(X) == pytest.approx(np.array([[s, 1 - s]]))

    loss, grads = model.gradients(X, y)
    assert loss == pytest.approx(math.log(1 + math.exp(3)))
    assert loss == pytest.approx(3.048587351573742)
    (dW1, db1), (dW2, db2) = grads
    np.testing.assert_allclose(dW1, [[2 * s, 2 * s], [4 * s, 4 * s]], rtol=1e-12)
    np.testing.assert_allclose(db1, [2 * s, 2 * s], rtol=1e-12)
    np.testing.assert_allclose(dW2, [[s, -s], [s / 2, -s / 2]], rtol=1e-12)
    np.testing.assert_allclose(db2, [s, -s], rtol=1e-12)

    SGD(lr=0.1, momentum=0.0).step(model, grads)  # w -= 0.1 * g
    np.testing.assert_allclose(model.layers[0].W, [[0.5 - 0.2 * s, -1.0 - 0.2 * s],
                                                   [0.25 - 0.4 * s, 0.5 - 0.4 * s]], rtol=1e-12)
    np.testing.assert_allclose(model.layers[0].W, [[0.30948517463551, -1.19051482536449],
                                                   [-0.13102965072898, 0.11897034927102]],
                               rtol=1e-12)
    np.testing.assert_allclose(model.layers[0].b, [-0.2 * s, 0.5 - 0.2 * s], rtol=1e-12)
    np.testing.assert_allclose(model.layers[1].W, [[1.0 - 0.1 * s, -1.0 + 0.1 * s],
                                                   [2.0 - 0.05 * s, 0.05 * s]], rtol=1e-12)
    np.testing.assert_allclose(model.layers[1].b, [-0.1 * s, 0.1 * s], rtol=1e-12)


def test_sgd_momentum_and_weight_decay_by_hand():
    # One weight, a constant gradient g = 1, lr 0.1, momentum 0.9, weight decay 0.5:
    # step 1: g' = 1 + 0.5 * 2 = 2;           v = 2;                 w = 2 - 0.2 = 1.8
    # step 2: g' = 1 + 0.5 * 1.8 = 1.9;       v = 0.9 * 2 + 1.9 = 3.7; w = 1.8 - 0.37 = 1.43
    model = minprune.MLP([1, 2], dtype=np.float64)
    model.layers[0].W[...] = [[2.0, 0.0]]
    opt = SGD(lr=0.1, momentum=0.9, weight_decay=0.5)
    for expected in (1.8, 1.43):
        opt.step(model, [(np.array([[1.0, 0.0]]), np.zeros(2))])
        assert model.layers[0].W[0, 0] == pytest.approx(expected, rel=1e-12)


def reference_adam(params, grad_seq, lr, b1, b2, eps):
    """Adam as scikit-learn writes it (bias corrections folded into the step size)."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grad_seq, start=1):
        step = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g ** 2
            params[i] = params[i] - step * m[i] / (np.sqrt(v[i]) + eps)
    return params


@pytest.mark.parametrize("b1,b2,eps", [(0.9, 0.999, 1e-8), (0.0, 0.5, 1e-3), (0.5, 0.0, 0.1)])
def test_adam_matches_the_eps_hat_form_of_kingma_and_ba_section_2(b1, b2, eps):
    # The reference is the update at the end of section 2 (scikit-learn's), not
    # Algorithm 1 / torch.optim.Adam: see test_adam_eps_sits_outside_the_bias_correction.
    rng = np.random.default_rng(0)
    model = minprune.MLP([3, 4, 2], seed=1, dtype=np.float64)
    start = [p.copy() for layer in model.layers for p in (layer.W, layer.b)]
    grad_seq = [[rng.normal(size=p.shape) * 10.0 ** rng.integers(-3, 2) for p in start]
                for _ in range(6)]
    opt = Adam(lr=0.01, beta1=b1, beta2=b2, eps=eps)
    for grads in grad_seq:
        pairs = [(grads[2 * i].copy(), grads[2 * i + 1].copy()) for i in range(2)]
        opt.step(model, pairs)
    got = [p for layer in model.layers for p in (layer.W, layer.b)]
    for g, r in zip(got, reference_adam(start, grad_seq, 0.01, b1, b2, eps)):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)


def test_adam_eps_sits_outside_the_bias_correction():
    # One step from zero state, gradient g, on one weight: m = (1 - b1) g, v = (1 - b2) g^2,
    # eps-hat form:  w -= lr sqrt(1 - b2) / (1 - b1) * m / (sqrt(v) + eps) = lr g / (|g| + eps / sqrt(1 - b2))
    # Algorithm 1:   w -= lr * m_hat / (sqrt(v_hat) + eps)            = lr g / (|g| + eps)
    model = minprune.MLP([1, 2], seed=0, dtype=np.float64)
    model.layers[0].W[...] = 0.0
    lr, b2, eps, g = 0.1, 0.75, 0.5, 1.0
    Adam(lr=lr, beta1=0.9, beta2=b2, eps=eps).step(
        model, [(np.array([[g, 0.0]]), np.zeros(2))])
    eps_hat_form = -lr * g / (abs(g) + eps / math.sqrt(1 - b2))  # -0.05
    algorithm_1 = -lr * g / (abs(g) + eps)                        # -0.0667
    assert model.layers[0].W[0, 0] == pytest.approx(eps_hat_form, rel=1e-12)
    assert model.layers[0].W[0, 0] != pytest.approx(algorithm_1, rel=1e-3)


def test_adam_restarts_its_step_count_with_new_state():
    # A reused Adam on a model of other shapes (after shrink) starts again at t = 1,
    # so its first step there is bias-corrected like any first step.
    rng = np.random.default_rng(0)
    opt = Adam(lr=0.01)
    big = minprune.MLP([3, 5, 2], seed=0, dtype=np.float64)
    for _ in range(4):
        opt.step(big, [(rng.normal(size=l.W.shape), rng.normal(size=l.b.shape)) for l in big.layers])
    small, fresh = (minprune.MLP([3, 4, 2], seed=1, dtype=np.float64) for _ in range(2))
    grads = [(rng.normal(size=l.W.shape), rng.normal(size=l.b.shape)) for l in small.layers]
    opt.step(small, [(dW.copy(), db.copy()) for dW, db in grads])
    Adam(lr=0.01).step(fresh, grads)
    assert opt.t == 1
    for a, b in zip(small.layers, fresh.layers):
        np.testing.assert_array_equal(a.W, b.W)
        np.testing.assert_array_equal(a.b, b.b)


# ----------------------------------------------------------- finite differences
def numeric_gradient(model, X, y, param, h=1e-6):
    grad = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        old = param[idx]
        param[idx] = old + h
        up = model.loss(X, y)
        param[idx] = old - h
        down = model.loss(X, y)
        param[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_central_differences(activation, masked):
    rng = np.random.default_rng(3)
    model = minprune.MLP([4, 5, 3, 3], activation=activation, seed=2, dtype=np.float64)
    for layer in model.layers:
        layer.b[...] = rng.normal(scale=0.3, size=layer.b.shape)
        if masked:
            layer.mask = rng.random(layer.W.shape) > 0.4
            layer.bias_mask = rng.random(layer.b.shape) > 0.3
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    loss, grads = model.gradients(X, y)
    assert loss == pytest.approx(model.loss(X, y), rel=1e-12)
    for layer, (dW, db) in zip(model.layers, grads):
        for param, analytic, mask in ((layer.W, dW, layer.mask), (layer.b, db, layer.bias_mask)):
            numeric = numeric_gradient(model, X, y, param)
            # A pruned weight is a 0.0 held by the mask (model.py's invariant): nudging it
            # does change the loss, but its gradient is masked, so it never moves.
            np.testing.assert_allclose(analytic[mask], numeric[mask], rtol=1e-5, atol=1e-8)
            assert np.all(analytic[~mask] == 0.0)  # a pruned weight gets no gradient


def test_a_pruned_weight_is_zero_in_W_and_forward_uses_W_as_it_is():
    # model.py's invariant: W holds 0.0 wherever the mask is False, so forward needs no
    # W * mask. Assigning a mask zeros W at once; an in-place edit takes effect at
    # apply_masks() (or at the start of fit).
    rng = np.random.default_rng(0)
    model = minprune.MLP([3, 4, 2], seed=0)
    X = rng.normal(size=(5, 3)).astype(np.float32)
    W0 = model.layers[0].W.copy()
    mask = np.ones((3, 4), dtype=bool)
    mask[1, :] = False
    model.layers[0].mask = mask  # assignment: the pruned row is zeroed now
    assert np.all(model.layers[0].W[1, :] == 0.0)
    np.testing.assert_array_equal(model.layers[0].W[mask], W0[mask])
    expected = softmax(np.maximum(X @ (W0 * mask), 0) @ model.layers[1].W)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-5)
    model.layers[0].mask[2, :] = False  # in place: W still holds the old values ...
    assert np.all(model.layers[0].W[2, :] != 0.0)
    model.apply_masks()  # ... until the invariant is restored
    mask[2, :] = False
    expected = softmax(np.maximum(X @ (W0 * mask), 0) @ model.layers[1].W)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-5)
    _, grads = model.gradients(X, [0, 1, 0, 1, 1])
    assert np.all(grads[0][0][1:, :] == 0.0)


def test_loading_and_copying_keep_pruned_weights_at_zero(tmp_path):
    model = minprune.MLP([3, 4, 2], seed=0)
    model.layers[0].mask[0, :] = False  # in place, W not zeroed yet
    for other in (model.copy(), minprune.load(minprune.save(model, tmp_path / "m.npz"))):
        assert np.all(other.layers[0].W[0, :] == 0.0)


# ------------------------------------------------------------------------ masks
@pytest.mark.parametrize("make_optimizer", [
    lambda: SGD(lr=0.05, momentum=0.9, weight_decay=1e-2),
    lambda: Adam(lr=1e-2, weight_decay=1e-2)], ids=["sgd-momentum", "adam"])
def test_pruned_weights_stay_exactly_zero(make_optimizer):
    rng = np.random.default_rng(0)
    model = minprune.MLP([6, 8, 3], seed=0)
    masks = [rng.random(layer.W.shape) > 0.5 for layer in model.layers]
    bias_masks = [rng.random(layer.b.shape) > 0.5 for layer in model.layers]
    for layer, m, bm in zip(model.layers, masks, bias_masks):
        layer.mask, layer.bias_mask = m, bm  # installed without zeroing: fit must do it
        layer.b[...] = 0.1
    start = [layer.W.copy() for layer in model.layers]
    X, y = rng.normal(size=(64, 6)), rng.integers(0, 3, size=64)
    optimizer = make_optimizer()
    minprune.fit(model, X, y, epochs=30, batch_size=8, optimizer=optimizer)
    for layer, W0, m, bm in zip(model.layers, start, masks, bias_masks):
        assert np.all(layer.W[~m] == 0.0) and np.all(layer.b[~bm] == 0.0)
        assert not np.array_equal(layer.W[m], W0[m])  # the others did train
    for (sW, sb), m, bm in zip(optimizer.state, masks, bias_masks):  # no hidden momentum
        assert all(np.all(s[~m] == 0.0) for s in sW)
        assert all(np.all(s[~bm] == 0.0) for s in sb)


def test_copy_is_deep():
    model = minprune.MLP([3, 4, 2], seed=0)
    clone = model.copy()
    clone.layers[0].W[0, 0] += 1
    clone.layers[0].mask[0, 0] = False
    assert model.layers[0].W[0, 0] != clone.layers[0].W[0, 0] and model.layers[0].mask[0, 0]


def test_same_seed_same_weights_different_seed_different():
    a, b, c = (minprune.MLP([5, 7, 3], seed=s) for s in (4, 4, 5))
    assert all(np.array_equal(x.W, y.W) for x, y in zip(a.layers, b.layers))
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)


def test_initialisation_scales():
    relu = minprune.MLP([400, 300, 2], activation="relu", seed=0)
    assert relu.layers[0].W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)  # He
    tanh = minprune.MLP([400, 300, 2], activation="tanh", seed=0)
    bound = np.sqrt(6 / 700)  # Glorot uniform
    assert np.abs(tanh.layers[0].W).max() <= bound
    assert tanh.layers[0].W.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert relu.layers[0].W.dtype == np.float32 and np.all(relu.layers[0].b == 0)


# ------------------------------------------------------------------- properties
layer_sizes = st.tuples(st.integers(1, 12), st.lists(st.integers(1, 12), max_size=3),
                        st.integers(2, 6)).map(lambda t: [t[0], *t[1], t[2]])


@given(layer_sizes, st.integers(1, 40), st.sampled_from(ACTIVATIONS), st.integers(0, 1000))
def test_output_shapes_and_probabilities(sizes, n, activation, seed):
    rng = np.random.default_rng(seed)
    model = minprune.MLP(sizes, activation=activation, seed=seed)
    X = rng.normal(size=(n, sizes[0]))
    proba = model.predict_proba(X)
    assert proba.shape == (n, sizes[-1]) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.predict(X).shape == (n,)
    assert [h.shape for h in model.hidden_activations(X)] == [(n, s) for s in sizes[1:-1]]
    loss, grads = model.gradients(X, rng.integers(0, sizes[-1], size=n))
    assert np.isfinite(loss)
    assert [(dW.shape, db.shape) for dW, db in grads] == [(layer.W.shape, layer.b.shape)
                                                        for layer in model.layers]


@given(layer_sizes, st.integers(1, 20), st.sampled_from(ACTIVATIONS), st.integers(0, 1000))
def test_no_nan_for_huge_logits(sizes, n, activation, seed):
    rng = np.random.default_rng(seed)
    model = minprune.MLP(sizes, activation=activation, seed=seed)
    for layer in model.layers:
        layer.W *= 1e4
        layer.b[...] = rng.normal(scale=1e4, size=layer.b.shape)
    X = rng.normal(scale=10, size=(n, sizes[0]))
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    y = rng.integers(0, sizes[-1], size=n)
    loss, grads = model.gradients(X, y)
    assert np.isfinite(loss) and loss >= 0
    assert all(np.all(np.isfinite(dW)) and np.all(np.isfinite(db)) for dW, db in grads)
    assert np.isfinite(model.loss(X, y))


# -------------------------------------------------------------------- bad input
@pytest.mark.parametrize("sizes,exc,name", [
    ([4], ValueError, "layer_sizes"),
    ([4, 1], ValueError, "layer_sizes"),
    ([4, 0, 3], ValueError, "layer_sizes[1]"),
    ([4, -2, 3], ValueError, "layer_sizes[1]"),
    ([4, 2.5, 3], TypeError, "layer_sizes[1]"),
    ("64,10", TypeError, "layer_sizes"),
    (10, TypeError, "layer_sizes"),
    ({64, 10}, TypeError, "ordered sequence"),
    ({64: "in", 10: "out"}, TypeError, "ordered sequence"),
])
def test_bad_layer_sizes(sizes, exc, name):
    with pytest.raises(exc, match=name.replace("[", r"\[").replace("]", r"\]")):
        minprune.MLP(sizes)


def test_bad_activation_dtype_seed():
    with pytest.raises(ValueError, match="activation.*'softplus'"):
        minprune.MLP([3, 2], activation="softplus")
    with pytest.raises(TypeError, match="activation"):
        minprune.MLP([3, 2], activation=None)
    for dtype in (np.int32, "foo", None, "float16", 3):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            minprune.MLP([3, 2], dtype=dtype)
    assert minprune.MLP([3, 2], dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="seed"):
        minprune.MLP([3, 2], seed=-1)
    with pytest.raises(TypeError, match="seed"):
        minprune.MLP([3, 2], seed="zero")


BAD_X = [
    (np.zeros((4, 5)), ValueError, "3 features"),
    (np.zeros(3), ValueError, "2-D"),
    (np.zeros((0, 3)), ValueError, "at least one sample"),
    (np.array([[0.0, np.nan, 1.0]]), ValueError, "finite"),
    (np.array([[0.0, np.inf, 1.0]]), ValueError, "finite"),
    (np.array([["a", "b", "c"]]), TypeError, "numbers"),
    (np.array([[1j, 0, 0]]), TypeError, "real"),
    ([[1, 2], [3]], TypeError, "2-D array"),
    (None, TypeError, "2-D array"),
    (np.array([[1e300, 0.0, 0.0]]), ValueError, "too large for float32"),
]


@pytest.mark.parametrize("X,exc,what", BAD_X)
@pytest.mark.parametrize("method", ["forward", "predict", "predict_proba", "hidden_activations"])
def test_bad_X(method, X, exc, what):
    model = minprune.MLP([3, 4, 2])
    with pytest.raises(exc, match="X") as info:
        getattr(model, method)(X)
    assert what in str(info.value)


BAD_Y = [
    ([0, 1, 2], ValueError, "0..1"),
    ([0, -1, 1], ValueError, "0..1"),
    ([0, 0.5, 1], ValueError, "integer"),
    ([0, np.nan, 1], ValueError, "integer"),
    ([True, False, True], TypeError, "integer"),
    (["a", "b", "c"], TypeError, "integer"),
    ([0, 1], ValueError, "one label per sample"),
    ([[0], [1], [0]], ValueError, "1-D"),
    (np.zeros(0), ValueError, "1-D|at least one"),
    ([0, 1e30, 1], ValueError, "from 0.0 to 1e+30"),
    (np.array([0, 2**64 - 1, 1], dtype=np.uint64), ValueError, "from 0 to 18446744073709551615"),
    ([0, -(2**63), 1], ValueError, "from -9223372036854775808 to 1"),
]


@pytest.mark.parametrize("y,exc,what", BAD_Y)
@pytest.mark.parametrize("method", ["score", "loss", "gradients"])
def test_bad_y(method, y, exc, what):
    model = minprune.MLP([3, 4, 2])
    with pytest.raises(exc, match="y") as info:
        getattr(model, method)(np.zeros((3, 3)), y)
    assert any(w in str(info.value) for w in what.split("|"))


def test_integral_float_labels_are_accepted():
    model = minprune.MLP([3, 4, 2])
    assert model.score(np.zeros((3, 3)), np.array([0.0, 1.0, 1.0])) in (1 / 3, 2 / 3)


def test_finite_features_too_large_for_float32_raise_no_warning(recwarn):
    model = minprune.MLP([3, 2])
    with pytest.raises(ValueError, match=r"X holds values too large for float32.*1e\+300") as info:
        model.predict(np.array([[1e300, 0.0, 0.0]]))
    assert "NaN" not in str(info.value)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    big = minprune.MLP([3, 2], dtype=np.float64)  # fine for a float64 model
    assert big.predict(np.array([[1e300, 0.0, 0.0]])).shape == (1,)


# ------------------------------------------------------------ mask validation
@pytest.mark.parametrize("attr,value,exc,what", [
    ("mask", np.ones((3, 4), dtype=int), TypeError, r"bool.*dtype int64"),
    ("mask", np.ones((3, 4), dtype=np.uint8), TypeError, r"bool.*dtype uint8"),
    ("mask", [[True] * 4] * 3, TypeError, "bool numpy array"),
    ("mask", np.ones(4, dtype=bool), ValueError, r"shape \(3, 4\).*got shape \(4,\)"),
    ("mask", np.ones((4, 3), dtype=bool), ValueError, r"got shape \(4, 3\)"),
    ("bias_mask", np.ones(4, dtype=float), TypeError, r"bool.*dtype float64"),
    ("bias_mask", np.ones((1, 4), dtype=bool), ValueError, r"shape \(4,\).*got shape \(1, 4\)"),
])
def test_a_wrong_mask_is_refused_when_assigned(attr, value, exc, what):
    model = minprune.MLP([3, 4, 2], seed=0)
    layer = model.layers[0]
    before = layer.W.copy(), getattr(layer, attr)
    with pytest.raises(exc, match=f"^{attr} must .*{what}"):
        setattr(layer, attr, value)
    assert getattr(layer, attr) is before[1]  # the old mask stays
    model.apply_masks()
    np.testing.assert_array_equal(layer.W, before[0])  # no weight was touched
    with pytest.raises(exc, match=attr):
        minprune.Dense(layer.W, layer.b, "relu", **{attr: value})


def test_an_int_mask_used_to_zero_the_wrong_rows():
    # The bug this guards against: ~np.array([[1, 0]]) is [[-2, -1]], row indices.
    W = np.arange(6.0).reshape(3, 2)
    with pytest.raises(TypeError, match="mask"):
        minprune.Dense(W, np.zeros(2), mask=np.array([[1, 0], [1, 1], [1, 1]]))
    np.testing.assert_array_equal(W, np.arange(6.0).reshape(3, 2))


def test_a_mask_that_no_longer_fits_is_caught_where_it_is_used():
    model = minprune.MLP([3, 4, 2], seed=0)
    model.layers[1].W = np.zeros((4, 5), np.float32)  # replaced by a user: mask is (4, 2)
    with pytest.raises(ValueError, match=r"layers\[1\]\.mask must have shape \(4, 5\)"):
        model.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"mask must have shape \(4, 5\)"):
        model.apply_masks()
    model = minprune.MLP([3, 4, 2], seed=0)
    model.layers[0]._bias_mask = np.ones(4, dtype=int)  # behind the setter's back
    for call in (lambda: model.score(np.zeros((1, 3)), [0]), model.apply_masks):
        with pytest.raises(TypeError, match=r"bias_mask must be a bool"):
            call()


def test_masks_edited_in_place_and_copies_keep_working():
    model = minprune.MLP([3, 4, 2], seed=0)
    mask = np.ones((3, 4), dtype=bool)
    model.layers[0].mask = mask
    assert model.layers[0].mask is mask  # stored, not copied: in-place edits count
    mask[0, :] = False
    model.apply_masks()
    assert np.all(model.layers[0].W[0] == 0.0)
    clone = model.copy()
    assert clone.layers[0].mask is not mask and np.array_equal(clone.layers[0].mask, mask)


# ------------------------------------------------------------ squared error (regression)
@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_squared_error_gradients_match_central_differences(activation, masked, n_outputs):
    rng = np.random.default_rng(4)
    model = minprune.MLP([4, 5, 3, n_outputs], activation=activation, seed=2, dtype=np.float64,
                         objective="squared_error")
    for layer in model.layers:
        layer.b[...] = rng.normal(scale=0.3, size=layer.b.shape)
        if masked:
            layer.mask = rng.random(layer.W.shape) > 0.4
            layer.bias_mask = rng.random(layer.b.shape) > 0.3
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, n_outputs))
    loss, grads = model.gradients(X, Y)
    assert loss == pytest.approx(model.loss(X, Y), rel=1e-12)
    for layer, (dW, db) in zip(model.layers, grads):
        for param, analytic, mask in ((layer.W, dW, layer.mask), (layer.b, db, layer.bias_mask)):
            numeric = numeric_gradient(model, X, Y, param)
            # pruned weights are 0.0 held by the mask: compared where they live (as above)
            np.testing.assert_allclose(analytic[mask], numeric[mask], rtol=1e-5, atol=1e-8)
            assert np.all(analytic[~mask] == 0.0)


def test_squared_error_is_scikit_learns_loss_and_r2():
    from sklearn.metrics import r2_score
    from sklearn.neural_network._base import squared_loss

    rng = np.random.default_rng(0)
    model = minprune.MLP([3, 6, 2], seed=0, dtype=np.float64, objective="squared_error")
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    out = model.predict(X)
    assert out.shape == (20, 2) and np.array_equal(out, model.forward(X))
    assert model.loss(X, Y) == pytest.approx(squared_loss(Y, out), rel=1e-12)
    assert model.score(X, Y) == pytest.approx(r2_score(Y, out), rel=1e-12)
    one = minprune.MLP([3, 4, 1], seed=0, objective="squared_error")  # one output is allowed
    assert one.predict(X).shape == (20, 1) and one.loss(X, Y[:, 0]) == one.loss(X, Y[:, :1])
    assert "objective='squared_error'" in repr(one) and one.n_outputs == 1


def test_fit_trains_a_regressor_and_records_no_accuracy():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(256, 3))
    Y = np.stack([X[:, 0] - 2 * X[:, 1], np.abs(X[:, 2])], axis=1)
    model = minprune.MLP([3, 32, 2], seed=0, objective="squared_error")
    history = minprune.fit(model, X, Y, epochs=40, batch_size=32, lr=0.01, seed=0,
                           validation_data=(X[:64], Y[:64]))
    assert history.loss[-1] < history.loss[0] / 10 and history.accuracy == []
    assert len(history.val_loss) == 40 and history.val_accuracy == []
    assert model.score(X, Y) > 0.9


def test_regressor_refuses_what_only_a_classifier_has_and_bad_targets():
    model = minprune.MLP([3, 4, 2], objective="squared_error")
    X = np.zeros((5, 3))
    with pytest.raises(TypeError, match="predict_proba needs a classifier"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="y must have 2 output column"):
        model.loss(X, np.zeros(5))
    with pytest.raises(ValueError, match="y must have one row per sample"):
        model.loss(X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y must be finite"):
        model.loss(X, np.full((5, 2), np.nan))
    with pytest.raises(TypeError, match="y must hold numbers"):
        model.loss(X, np.full((5, 2), "a"))
    with pytest.raises(ValueError, match="objective must be one of"):
        minprune.MLP([3, 2], objective="mse")
    with pytest.raises(ValueError, match="number of classes"):
        minprune.MLP([3, 1])  # a classifier still needs two outputs
    with pytest.raises(ValueError, match="teacher distils class probabilities.*'squared_error'"):
        minprune.fit(model, X, np.zeros((5, 2)), epochs=1, teacher=minprune.MLP([3, 4, 2]))
