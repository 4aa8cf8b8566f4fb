"""report, measure_latency, sensitivity_scan: consistent numbers, untouched models, clear errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minprune
from helpers import assert_same_state, model_state, random_pruned_mlp, sizes_st
from minprune.metrics import Latency, SensitivityScan


@given(sizes=sizes_st, seed=st.integers(0, 2 ** 16), p=st.floats(0.0, 0.95),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_report_numbers_match_masks_shrink_and_to_sparse(sizes, seed, p, dtype):
    model = random_pruned_mlp(np.random.default_rng(seed), sizes, "relu", dtype=dtype, p_weight=p)
    rep = minprune.report(model)
    small = minprune.shrink(model)
    sparse = minprune.to_sparse(model)
    item = np.dtype(dtype).itemsize
    assert len(rep.rows) == len(model.layers)
    for i, (row, layer) in enumerate(zip(rep.rows, model.layers)):
        nnz = int(layer.mask.sum())
        assert row["name"] == f"layers[{i}]" and row["shape"] == layer.W.shape
        assert row["weights"] == layer.W.size and row["non_zeros"] == nnz
        assert row["sparsity"] == pytest.approx(1 - nnz / layer.W.size)
        assert row["dense_flops"] == 2 * layer.W.size and row["effective_flops"] == 2 * nnz
        assert row["dense_bytes"] == layer.W.nbytes + layer.b.nbytes
        w = sparse.weights[i]
        assert row["csr_bytes"] == (w.data.nbytes + w.indices.nbytes + w.indptr.nbytes
                                    + sparse.biases[i].nbytes)
        assert row["csr_bytes"] == nnz * (item + 4) + (layer.fan_out + 1) * 4 + layer.fan_out * item
        s = small.layers[i]
        assert row["shrunk_bytes"] == s.W.nbytes + s.b.nbytes
        assert row["shrunk_flops"] == 2 * s.W.size
        assert row["live_neurons"] == s.fan_out and row["neurons"] == layer.fan_out
    totals = rep.totals
    for key in ("weights", "non_zeros", "dense_flops", "effective_flops", "shrunk_flops",
                "dense_bytes", "csr_bytes", "shrunk_bytes", "live_neurons", "neurons"):
        assert totals[key] == sum(r[key] for r in rep.rows)
    assert totals["sparsity"] == pytest.approx(minprune.sparsity(model))
    assert totals["csr_bytes"] == sparse.nbytes


def test_report_renders_deterministically_as_text_and_html():
    model = minprune.MLP([64, 32, 10], seed=0)
    minprune.prune_n_m(model, 2, 4)
    rep = minprune.report(model)
    text = str(rep)
    assert text == repr(minprune.report(model.copy()))
    lines = text.splitlines()
    assert lines[0] == "MLP(64 -> 32 -> 10), float32"
    assert lines[1].split()[:3] == ["layer", "shape", "weights"]
    assert lines[3].split()[:6] == ["layers[0]", "64x32", "2,048", "1,024", "50.0%", "32/32"]
    assert lines[-2].split()[:4] == ["total", "2,368", "1,184", "50.0%"]
    assert lines[-1].startswith("neurons: units kept by shrink")
    # columns line up: every number ends where its header ends
    header_end = lines[1].index("non-zeros") + len("non-zeros")
    assert all(line[header_end - 1] != " " for line in lines[3:5])
    page = rep._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + 2 + 1
    assert page.count("<th>") == 12 and "<caption>MLP(64 -&gt; 32 -&gt; 10), float32" in page
    assert "layers[1]" in page and "total" in page and page == minprune.report(model)._repr_html_()


def test_latency_of_dense_shrunk_and_sparse_models():
    model = minprune.MLP([20, 32, 32, 4], seed=0)
    before = model_state(model)
    for m in (model, minprune.shrink(model), minprune.to_sparse(model)):
        lat = minprune.measure_latency(m, batch_size=3, repeats=7, warmup=1)
        assert isinstance(lat, Latency) and lat.times.shape == (7,)
        assert float(lat) == lat.median == pytest.approx(np.median(lat.times))
        assert lat.median > 0 and lat.iqr >= 0 and lat.batch_size == 3
        assert "ms" in repr(lat)
    assert_same_state(before, model)
    assert minprune.measure_latency(model, repeats=2, threads=None).threads is None
    cpu = minprune.measure_latency(model, batch_size=64, repeats=5, timer="cpu")
    assert cpu.timer == "cpu" and cpu.median > 0


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
    ({"repeats": 1.5}, TypeError, "repeats must be an integer, got 1.5"),
    ({"warmup": -1}, ValueError, "warmup must be an integer >= 0, got -1"),
    ({"threads": 0}, ValueError, "threads must be an integer >= 1, got 0"),
    ({"seed": "a"}, TypeError, "seed must be an integer"),
    ({"timer": "gpu"}, ValueError, r"timer must be one of \['cpu', 'wall'\], got 'gpu'"),
])
def test_latency_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        minprune.measure_latency(minprune.MLP([4, 2]), **kwargs)
    with pytest.raises(TypeError, match="model must be a minprune.MLP or SparseMLP"):
        minprune.measure_latency([[1.0]])


def scan_data(model, n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, model.n_features)).astype(np.float32)
    return X, model.predict(X + 0.3 * rng.normal(size=X.shape))


def test_sensitivity_scan_shape_values_and_untouched_model():
    model = minprune.MLP([10, 16, 8, 3], seed=0)
    minprune.prune_weights(model, 0.5, scope="layer")
    X, y = scan_data(model)
    before, history = model_state(model), len(model.mask_history)
    sparsities = [0.0, 0.25, 0.7, 1.0]
    scan = minprune.sensitivity_scan(model, (X, y), sparsities)
    assert_same_state(before, model)
    assert len(model.mask_history) == history
    assert isinstance(scan, SensitivityScan)
    assert scan.accuracy.shape == scan.achieved.shape == (3, 4)
    assert scan.layer_names == ["layers[0]", "layers[1]", "layers[2]"]
    np.testing.assert_array_equal(scan.sparsities, sparsities)
    assert scan.baseline == model.score(X, y)
    # targets below the layer's current 50% sparsity prune nothing more
    np.testing.assert_array_equal(scan.accuracy[:, :2], scan.baseline)
    np.testing.assert_allclose(scan.achieved[:, :2], 0.5)
    for i, layer in enumerate(model.layers):
        for j, s in enumerate(sparsities[2:], start=2):
            assert scan.achieved[i, j] == pytest.approx(round(s * layer.W.size) / layer.W.size)
    text = str(scan)
    assert "baseline accuracy" in text and "70%" in text and "<table>" in scan._repr_html_()


def test_sensitivity_scan_equals_prune_weights_on_a_one_layer_model():
    model = minprune.MLP([12, 4], seed=1)
    X, y = scan_data(model, seed=1)
    scan = minprune.sensitivity_scan(model, (X, y), [0.3, 0.6, 0.9], criterion="magnitude")
    for j, s in enumerate([0.3, 0.6, 0.9]):
        copy = model.copy()
        minprune.prune_weights(copy, s, criterion="magnitude", scope="layer")
        assert scan.accuracy[0, j] == copy.score(X, y)


def test_sensitivity_scan_random_criterion_is_seeded():
    model = minprune.MLP([10, 16, 3], seed=0)
    data = scan_data(model)
    a = minprune.sensitivity_scan(model, data, [0.5, 0.9], criterion="random", seed=3)
    b = minprune.sensitivity_scan(model, data, [0.5, 0.9], criterion="random", seed=3)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    t = minprune.sensitivity_scan(model, data, np.array([0.5, 0.9]), criterion="taylor")
    assert t.criterion == "taylor" and t.accuracy.shape == (2, 2)


@pytest.mark.parametrize("args, kwargs, exc, message", [
    (("model", None, [0.5]), {}, TypeError, "model must be a minprune.MLP"),
    ((None, "data", [0.5]), {}, TypeError, r"data must be a pair \(X, y\)"),
    ((None, (np.zeros((4, 5)), [0, 1, 2, 0]), [0.5]), {}, ValueError,
     r"data\[0\] \(X\) must have 6"),
    ((None, None, [0.5, 1.5]), {}, ValueError, r"sparsities entry must be a finite number in \[0, 1\], got 1.5"),
    ((None, None, []), {}, ValueError, "sparsities must be a non-empty 1-D sequence"),
    ((None, None, [[0.5]]), {}, ValueError, "sparsities must be a non-empty 1-D sequence"),
    ((None, None, [0.5, "a"]), {}, TypeError, "sparsities entry must be a real number, got 'a'"),
    ((None, None, "0.5"), {}, TypeError, "sparsities must be a 1-D sequence"),
    ((None, None, [0.5]), {"criterion": "l2"}, ValueError, "criterion must be one of"),
    ((None, None, [0.5]), {"criterion": None}, TypeError, "criterion must be a string"),
    ((None, None, [0.5]), {"criterion": "random", "seed": -1}, ValueError,
     "seed must be a non-negative int"),
])
def test_sensitivity_scan_bad_arguments(args, kwargs, exc, message):
    model = minprune.MLP([6, 5, 3], seed=0)
    data = scan_data(model)
    args = tuple(model if a is None and k == 0 else data if a is None and k == 1 else a
                 for k, a in enumerate(args))
    with pytest.raises(exc, match=message):
        minprune.sensitivity_scan(*args, **kwargs)


def test_sparsity_counts_weights_not_biases():
    model = minprune.MLP([4, 3, 2], seed=0)
    model.layers[0].mask[:2] = False
    model.layers[1].bias_mask[:] = False
    assert minprune.sparsity(model) == pytest.approx(6 / 18)


def zero_width_model():
    """4 -> 0 -> 3: every hidden unit pruned, then shrunk away."""
    model = minprune.MLP([4, 5, 3], seed=0)
    model.layers[0].b[:] = [0.5, -1.0, 2.0, 0.1, 0.3]  # relu(b) of the units feeds the output
    minprune.prune_weights(model, [1.0, 0.0])  # every first-layer weight: units are constants
    small = minprune.shrink(model)
    assert small.layer_sizes == [4, 0, 3]
    return model, small


def test_a_model_without_weights_has_sparsity_zero_and_still_predicts():
    model, small = zero_width_model()
    X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    assert minprune.sparsity(small) == 0.0  # no weights, so none of them is pruned
    rep = minprune.report(small)
    assert rep.totals["sparsity"] == 0.0 and rep.totals["weights"] == 0
    assert [r["sparsity"] for r in rep.rows] == [0.0, 0.0]
    assert "0.0%" in str(rep) and "<table>" in rep._repr_html_()
    # the folded bias carries the constant units' output: same logits as the masked model
    np.testing.assert_allclose(small.forward(X), model.forward(X), rtol=1e-6)
    assert np.ptp(small.layers[1].b) > 0
    history = minprune.fit(small, X, np.array([0, 1, 2, 0, 1, 2]), epochs=2, batch_size=4)
    assert history.sparsity == [0.0, 0.0] and np.isfinite(history.loss).all()
    for call in (lambda m: minprune.prune_weights(m, 0.5, scope="global"),
                 lambda m: minprune.prune_neurons(m, 0.5), lambda m: minprune.prune_n_m(m)):
        result = call(small)
        assert result.pruned_now == 0 if hasattr(result, "pruned_now") else True
        assert "0.0%" in repr(result)
    assert minprune.mask_history(small)[-1].sparsity == 0.0


@pytest.mark.parametrize("function", [minprune.sparsity, minprune.report])
@pytest.mark.parametrize("bad", [None, "model", [1, 2]])
def test_sparsity_and_report_name_the_model_argument(function, bad):
    with pytest.raises(TypeError, match="model must be a minprune.MLP"):
        function(bad)


def test_sensitivity_scan_sorts_each_layer_once(monkeypatch):
    import minprune.metrics as metrics

    model = minprune.MLP([6, 5, 4, 3], seed=0)
    data = scan_data(model)
    sorts = []
    original = metrics.rank_order

    def counting(scores, eligible=None):
        sorts.append(np.shape(scores))
        return original(scores, eligible)
    monkeypatch.setattr(metrics, "rank_order", counting)
    scan = minprune.sensitivity_scan(model, data, [0.1, 0.3, 0.5, 0.7, 0.9])
    assert sorts == [layer.W.shape for layer in model.layers]
    for i, layer in enumerate(model.layers):  # the same masks as select_lowest per target
        for j, s in enumerate(scan.sparsities):
            k = round(s * layer.W.size)
            assert scan.achieved[i, j] == pytest.approx(k / layer.W.size)
