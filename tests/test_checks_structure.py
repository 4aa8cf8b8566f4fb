"""Exercise checks of notebooks 04-05: right answers pass, typical wrong answers fail with a hint."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minprune.checks import PASSED
from minprune import (MLP, fit, neuron_importance, prune_n_m, prune_neurons, prune_weights, report,
                      shrink, to_sparse)
from minprune.checks.neuron_pruning import (_lowest_units, check_apoz, check_flops_and_accuracy,
                                            check_global_units)
from minprune.checks.structured_pruning_and_speed import (check_csr_break_even, check_n_m_mask,
                                                          check_shrink)
from minprune.checks._common import csr_break_even
from minprune.checks.when_not_to_prune import check_csr_max_nonzeros
from minprune.metrics import csr_nbytes
from minprune.model import Dense


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X, y


@pytest.fixture(scope="module")
def trained(data):
    model = MLP([6, 12, 8, 3], seed=0)
    fit(model, *data, epochs=30, batch_size=16, lr=1e-2, seed=0)
    return model


@pytest.fixture
def model(trained):
    return trained.copy()


# -------------------------------------------------------------------- check_apoz
def _apoz(model, X):
    return [np.mean(a == 0, axis=0) for a in model.hidden_activations(X)]


def test_apoz_right_answer(model, data):
    assert check_apoz(_apoz(model, data[0]), model, data) is PASSED


@pytest.mark.parametrize("wrong, hint", [
    (lambda a: [1 - x for x in a], "ACTIVE"),
    (lambda a: [100 * x for x in a], "percentages"),
    (lambda a: [x[:-1] for x in a], "shape"),
    (lambda a: a[:1], "list of 2"),
    (lambda a: None, "replace None"),
])
def test_apoz_wrong_answers(model, data, wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_apoz(wrong(_apoz(model, data[0])), model, data)


def test_apoz_on_other_data_fails(model, data):
    other = _apoz(model, data[0][:20])
    if all(np.allclose(a, b) for a, b in zip(other, _apoz(model, data[0]))):
        pytest.skip("the subset happens to give the same APoZ")
    with pytest.raises(AssertionError, match="AFTER ReLU"):
        check_apoz(other, model, data)


def test_apoz_pre_activation_sign_is_caught(model, data):
    # zeros of the pre-activation z are not zeros of relu(z) unless z <= 0 counts: a == 0
    # (same) vs a < 0 (never true after ReLU)
    wrong = [np.mean(a < 0, axis=0) for a in model.hidden_activations(data[0])]
    with pytest.raises(AssertionError):
        check_apoz(wrong, model, data)



def test_apoz_and_flops_checks_validate_the_model_and_the_data(model, data):
    answer = _apoz(model, data[0])
    with pytest.raises(TypeError, match="model must be a minprune.MLP"):
        check_apoz(answer, "model", data)
    with pytest.raises(TypeError, match="data must be a pair"):
        check_apoz(answer, model, data[0])
    with pytest.raises(ValueError, match="check_apoz needs data"):
        check_apoz(answer, model, None)
    with pytest.raises(ValueError, match=r"data\[0\] \(X\)"):
        check_apoz(answer, model, (data[0][:, :3], data[1]))
    with pytest.raises(TypeError, match="data must be a pair"):
        check_flops_and_accuracy(model, data[0], max_flops=10, min_accuracy=0.5)

# ------------------------------------------------------------ check_global_units
def _global_by_hand(model, k, criterion="l1"):
    scores = np.concatenate([np.linalg.norm(layer.W * layer.mask, ord=1 if criterion == "l1" else 2,
                                            axis=0) for layer in model.layers[:-1]])
    sizes = [layer.fan_out for layer in model.layers[:-1]]
    lowest = np.argsort(scores, kind="stable")[:k]
    return [np.sort(lowest[(lowest >= a) & (lowest < a + n)] - a)
            for a, n in zip(np.cumsum([0] + sizes[:-1]), sizes)]


@pytest.mark.parametrize("criterion", ["l1", "l2"])
def test_global_units_right_answer_matches_library(model, criterion):
    mine = _global_by_hand(model, 5, criterion)
    assert check_global_units(mine, model, 5, criterion=criterion) is PASSED
    lib = model.copy()
    prune_neurons(lib, 5, criterion=criterion, scope="global")
    for units, layer in zip(mine, lib.layers[:-1]):
        np.testing.assert_array_equal(units, np.flatnonzero(~layer.bias_mask))
    as_bool = [np.isin(np.arange(layer.fan_out), u) for u, layer in zip(mine, model.layers[:-1])]
    assert check_global_units(as_bool, model, 5, criterion=criterion) is PASSED
    assert check_global_units([list(u) for u in mine], model, 5, criterion=criterion) is PASSED


def test_global_units_with_data_criterion(model, data):
    lib = model.copy()
    prune_neurons(lib, 0.25, criterion="activation", scope="global", data=data)
    units = [np.flatnonzero(~layer.bias_mask) for layer in lib.layers[:-1]]
    assert check_global_units(units, model, 0.25, criterion="activation", data=data) is PASSED


def test_global_units_wrong_answers(model):
    right = _global_by_hand(model, 5)
    with pytest.raises(AssertionError, match="replace None"):
        check_global_units(None, model, 5, criterion="l1")
    with pytest.raises(AssertionError, match="one array of unit indices per hidden layer"):
        check_global_units(right[:1], model, 5, criterion="l1")
    with pytest.raises(AssertionError, match="outside"):
        check_global_units([right[0], np.array([99])], model, 5, criterion="l1")
    scores = mp_importance(model, "l1")
    # layer scope: the cut split in proportion to the layer sizes (12 and 8 units: 3 and 2)
    layer_like = [np.sort(np.argsort(s, kind="stable")[:c]) for s, c in zip(scores, (3, 2))]
    assert not all(np.array_equal(a, b) for a, b in zip(layer_like, right))
    with pytest.raises(AssertionError, match="scope='layer'"):
        check_global_units(layer_like, model, 5, criterion="l1")
    highest = _lowest_units([-s for s in scores], 5)
    with pytest.raises(AssertionError, match="HIGHEST"):
        check_global_units(highest, model, 5, criterion="l1")
    fewer = [right[0][:-1], right[1]] if right[0].size else [right[0], right[1][:-1]]
    with pytest.raises(AssertionError, match="in total"):
        check_global_units(fewer, model, 5, criterion="l1")
    with pytest.raises(ValueError):
        check_global_units(right, model, 5, criterion="random")


def test_global_units_normalised_and_guard_hints():
    # layer 0 has 2 inputs, layer 1 has 50: raw l1 norms of layer 1 are far larger
    model = MLP([2, 50, 6, 2], seed=0, dtype=np.float64)
    scores = mp_importance(model, "l1")
    scaled = [s / layer.fan_in for s, layer in zip(scores, model.layers[:-1])]
    normalised = _lowest_units(scaled, 10)
    raw = _lowest_units(scores, 10)
    assert not all(np.array_equal(a, b) for a, b in zip(normalised, raw))
    with pytest.raises(AssertionError, match="normalised"):
        check_global_units(normalised, model, 10, criterion="l1")
    # 53 of 56 units: without the guard all 50 units of layer 0 would go
    lowest = _lowest_units(scores, 53, keep_one=False)
    assert lowest[0].size == 50
    with pytest.raises(AssertionError, match="best unit"):
        check_global_units(lowest, model, 53, criterion="l1")


def mp_importance(model, criterion):
    return neuron_importance(model, criterion)


# ------------------------------------------------------ check_flops_and_accuracy
def test_flops_and_accuracy(model, data):
    dense_flops = report(model).totals["dense_flops"]
    acc = model.score(*data)
    pruned = model.copy()
    prune_neurons(pruned, 0.5)
    flops = report(pruned).totals["shrunk_flops"]
    assert flops < dense_flops
    pruned_acc = pruned.score(*data)
    assert check_flops_and_accuracy(pruned, data, max_flops=flops, min_accuracy=pruned_acc)
    assert check_flops_and_accuracy(shrink(pruned), data, max_flops=flops,
                                    min_accuracy=pruned_acc)
    with pytest.raises(AssertionError, match="remove more hidden units"):
        check_flops_and_accuracy(model, data, max_flops=flops, min_accuracy=0.0)
    with pytest.raises(AssertionError, match="accuracy"):
        check_flops_and_accuracy(pruned, data, max_flops=flops, min_accuracy=acc + 0.01)
    scattered = model.copy()
    prune_weights(scattered, 0.7)  # fewer effective FLOPs, but most units still alive
    totals = report(scattered).totals
    assert totals["effective_flops"] <= flops < totals["shrunk_flops"]
    with pytest.raises(AssertionError, match="prune_neurons"):
        check_flops_and_accuracy(scattered, data, max_flops=flops, min_accuracy=0.0)
    with pytest.raises(AssertionError, match="replace None"):
        check_flops_and_accuracy(None, data, max_flops=flops, min_accuracy=0.0)


# ------------------------------------------------------------------ check_shrink
def _by_hand(pruned):
    keep_in = np.ones(pruned.n_features, dtype=bool)
    pairs = []
    for i, layer in enumerate(pruned.layers):
        keep = layer.bias_mask if i < len(pruned.layers) - 1 else np.ones(layer.fan_out, bool)
        W = (layer.W * layer.mask)[keep_in][:, keep]
        pairs.append((W, (layer.b * layer.bias_mask)[keep]))
        keep_in = keep
    return pairs


@pytest.fixture
def neuron_pruned(model):
    prune_neurons(model, 0.5, criterion="l2")
    return model


def test_shrink_right_answer(neuron_pruned):
    assert check_shrink(_by_hand(neuron_pruned), neuron_pruned) is PASSED
    assert check_shrink(shrink(neuron_pruned), neuron_pruned) is PASSED


def test_shrink_wrong_answers(neuron_pruned):
    pairs = _by_hand(neuron_pruned)
    full = [(layer.W, layer.b) for layer in neuron_pruned.layers]
    with pytest.raises(AssertionError, match="full shape"):
        check_shrink(full, neuron_pruned)
    # columns dropped but not the rows of the next layer
    keep0 = neuron_pruned.layers[0].bias_mask
    no_rows = list(pairs)
    layer1 = neuron_pruned.layers[1]
    no_rows[1] = ((layer1.W * layer1.mask)[:, layer1.bias_mask], pairs[1][1])
    assert keep0.sum() < keep0.size
    with pytest.raises(AssertionError, match="rows"):
        check_shrink(no_rows, neuron_pruned)
    bad_b = list(pairs)
    bad_b[0] = (pairs[0][0], neuron_pruned.layers[0].b)
    with pytest.raises(AssertionError, match="bias"):
        check_shrink(bad_b, neuron_pruned)
    shuffled = list(pairs)
    shuffled[0] = (pairs[0][0][:, ::-1], pairs[0][1][::-1])
    with pytest.raises(AssertionError, match="order"):
        check_shrink(shuffled, neuron_pruned)
    with pytest.raises(AssertionError, match="one \\(W, b\\) pair per layer"):
        check_shrink(pairs[:-1], neuron_pruned)
    with pytest.raises(AssertionError, match="replace None"):
        check_shrink(None, neuron_pruned)


def test_shrink_unmasked_values_are_caught(neuron_pruned):
    prune_weights(neuron_pruned, 0.3)
    pairs = _by_hand(neuron_pruned)
    raw = neuron_pruned.copy()
    for layer in raw.layers:  # put values back where the mask is False
        layer.W[~layer.mask] = 1.0
    keep = raw.layers[0].bias_mask
    pairs[0] = (raw.layers[0].W[:, keep], pairs[0][1])
    with pytest.raises(AssertionError, match="W \\* mask"):
        check_shrink(pairs, neuron_pruned)


# ---------------------------------------------------------------- check_n_m_mask
def _n_m_by_hand(W, n, m):
    mask = np.zeros(W.shape, dtype=bool)
    for start in range(0, W.shape[0], m):
        block = np.abs(W[start:start + m])
        top = np.argsort(-block, axis=0, kind="stable")[:n]
        np.put_along_axis(mask[start:start + m], top, True, axis=0)
    return mask


@pytest.mark.parametrize("shape, n, m", [((8, 5), 2, 4), ((10, 3), 2, 4), ((9, 4), 1, 3)])
def test_n_m_mask_right_answer_matches_library(shape, n, m):
    rng = np.random.default_rng(1)
    W = rng.normal(size=shape)
    mask = _n_m_by_hand(W, n, m)
    assert check_n_m_mask(mask, W, n, m) is PASSED
    model = MLP([shape[0], shape[1], 2], seed=0, dtype=np.float64)
    model.layers[0].W[...] = W
    prune_n_m(model, n, m, layers=0)
    np.testing.assert_array_equal(model.layers[0].mask, mask)


def test_n_m_mask_wrong_answers():
    W = np.random.default_rng(2).normal(size=(8, 6))
    right = _n_m_by_hand(W, 2, 4)
    with pytest.raises(AssertionError, match="inverted"):
        check_n_m_mask(~right, W)
    with pytest.raises(AssertionError, match="SMALLEST"):
        check_n_m_mask(_smallest(W, 1), W, 1, 4)  # (for 2:4 the smallest two are the inverse)
    with pytest.raises(AssertionError, match="row"):
        check_n_m_mask(_n_m_by_hand(W.T, 2, 4).T, W)
    with pytest.raises(AssertionError, match="positive"):
        check_n_m_mask(_signed(W), W)
    with pytest.raises(AssertionError, match="transpose"):
        check_n_m_mask(right.T, W)
    with pytest.raises(AssertionError, match="bool"):
        check_n_m_mask(right.astype(int), W)
    wrong_count = right.copy()
    wrong_count[0, 0] = ~wrong_count[0, 0]
    with pytest.raises(AssertionError, match="kept"):
        check_n_m_mask(wrong_count, W)
    swapped = right.copy()
    swapped[:4, 0] = ~right[:4, 0]  # the other two of the first group: count unchanged
    with pytest.raises(AssertionError, match="wrong weights"):
        check_n_m_mask(swapped, W)


def _smallest(W, n):
    mask = np.zeros(W.shape, dtype=bool)
    for start in range(0, W.shape[0], 4):
        top = np.argsort(np.abs(W[start:start + 4]), axis=0, kind="stable")[:n]
        np.put_along_axis(mask[start:start + 4], top, True, axis=0)
    return mask


def _signed(W):
    mask = np.zeros(W.shape, dtype=bool)
    for start in range(0, W.shape[0], 4):
        top = np.argsort(-W[start:start + 4], axis=0, kind="stable")[:2]
        np.put_along_axis(mask[start:start + 4], top, True, axis=0)
    return mask


# ---------------------------------------------------------- check_csr_break_even
def _break_even(fan_in, fan_out, item=4, index=4):
    """Brute force: the smallest sparsity at which CSR takes strictly fewer bytes than dense."""
    n = fan_in * fan_out
    for nnz in range(n, -1, -1):
        if nnz * (item + index) + (fan_out + 1) * index < n * item:
            return 1 - nnz / n


@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 4, 8]),
       st.sampled_from([2, 4, 8]))
def test_csr_break_even_is_the_largest_count_strictly_smaller(fan_in, fan_out, item, index):
    dense = fan_in * fan_out * item
    if csr_nbytes(0, fan_out, item, index) >= dense:
        with pytest.raises(ValueError, match="empty CSR"):
            csr_break_even((fan_in, fan_out), item, index)
        return
    nnz = csr_break_even((fan_in, fan_out), item, index)
    assert 0 <= nnz < fan_in * fan_out
    assert (csr_nbytes(nnz, fan_out, item, index) < dense
            <= csr_nbytes(nnz + 1, fan_out, item, index))
    assert 1 - nnz / (fan_in * fan_out) == _break_even(fan_in, fan_out, item, index)


@given(st.integers(2, 48), st.integers(1, 48), st.sampled_from([np.float32, np.float64]))
def test_the_sparsity_and_the_count_exercises_give_one_answer(fan_in, fan_out, dtype):
    # notebook 05 asks for the break-even as a sparsity, notebook 08 as a count
    layer = Dense(np.zeros((fan_in, fan_out), dtype), np.zeros(fan_out, dtype))
    item = np.dtype(dtype).itemsize
    if csr_nbytes(0, fan_out, item) >= fan_in * fan_out * item:
        return
    nnz = csr_break_even((fan_in, fan_out), item)
    assert check_csr_max_nonzeros(nnz, layer) is PASSED
    assert check_csr_break_even(1 - nnz / (fan_in * fan_out), (fan_in, fan_out), item) is PASSED


def test_csr_break_even_on_a_tie_is_one_weight_sparser():
    # float64 64x1024: CSR with 43349 non-zeros takes exactly the dense 524,288 bytes
    assert csr_nbytes(43349, 1024, 8) == 64 * 1024 * 8
    assert csr_break_even((64, 1024), 8) == 43348
    layer = Dense(np.zeros((64, 1024)), np.zeros(1024))
    assert check_csr_max_nonzeros(43348, layer)
    with pytest.raises(AssertionError, match="strictly"):
        check_csr_max_nonzeros(43349, layer)


@pytest.mark.parametrize("shape, item", [((64, 128), 4), ((128, 64), 4), ((64, 128), 8),
                                         ((30, 7), 4)])
def test_csr_break_even_right_answer(shape, item):
    s = _break_even(*shape, item=item)
    assert check_csr_break_even(s, shape, itemsize=item) is PASSED
    # the continuous solution of the inequality passes too
    n = shape[0] * shape[1]
    continuous = 1 - (n * item - (shape[1] + 1) * 4) / (n * (item + 4))
    assert check_csr_break_even(continuous, shape, itemsize=item) is PASSED


def test_csr_break_even_agrees_with_to_sparse():
    # at the break-even sparsity the CSR copy of a layer really is smaller than dense
    model = MLP([64, 128, 10], seed=0)
    s = _break_even(64, 128)
    n = 64 * 128
    k = int(round(s * n))
    W = model.layers[0]
    order = np.argsort(np.abs(W.W), axis=None, kind="stable")[:k]
    W.mask.ravel()[order] = False
    model.apply_masks()
    sp = to_sparse(model).weights[0]
    csr_bytes = sp.data.nbytes + sp.indices.nbytes + sp.indptr.nbytes
    assert csr_bytes < W.W.nbytes
    W.mask.ravel()[order[-1]] = True  # one more non-zero: no longer smaller
    sp = to_sparse(model).weights[0]
    assert sp.data.nbytes + sp.indices.nbytes + sp.indptr.nbytes >= W.W.nbytes


def test_csr_break_even_wrong_answers():
    shape = (64, 128)
    s = _break_even(*shape)
    with pytest.raises(AssertionError, match="row pointers"):
        check_csr_break_even(0.5, shape)
    with pytest.raises(AssertionError, match="percentage"):
        check_csr_break_even(100 * s, shape)
    wrong_rows = 1 - ((64 * 128 * 4 - 65 * 4) // 8) / (64 * 128)
    with pytest.raises(AssertionError, match="W.T"):
        check_csr_break_even(wrong_rows, shape)
    with pytest.raises(AssertionError, match="density"):
        check_csr_break_even(1 - s, shape)
    with pytest.raises(AssertionError, match="as many bytes"):
        check_csr_break_even(s - 0.05, shape)
    with pytest.raises(AssertionError, match="SMALLEST"):
        check_csr_break_even(s + 0.05, shape)
    with pytest.raises(AssertionError, match="replace None"):
        check_csr_break_even(None, shape)
    with pytest.raises(TypeError, match="shape"):
        check_csr_break_even(s, 64)
    with pytest.raises(ValueError, match="never smaller"):
        check_csr_break_even(0.9, (1, 4))  # 16 bytes dense, 20 bytes of row pointers
