"""Each picture holds what it promises, read back from the matplotlib artists."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import StepPatch

import minprune
from minprune import plots
from minprune.datasets import Dataset
from minprune.pruning.units import active_units, live_units
from minprune.viz import diagram


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plots must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def _random_masks(model, density, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.mask = rng.random(layer.W.shape) < density
    return model.apply_masks()


@pytest.fixture
def small():
    """6 -> 5 -> 4 -> 3 with random masks, one hidden unit and one input removed."""
    model = _random_masks(minprune.MLP([6, 5, 4, 3], seed=1), 0.6, seed=2)
    model.layers[0].mask[:, 2] = False  # unit 2 of hidden 1 reads no input
    model.layers[1].bias_mask[3] = False  # unit 3 of hidden 2 has its bias pruned
    model.layers[0].mask[4, :] = False  # input 4 is read by nobody
    return model.apply_masks()


def _dead_units(model):
    """Per hidden layer, True for units on no path of unpruned weights from an input to an
    output: reachability by boolean matrix products, independent of minprune's code."""
    masks = [layer.mask.astype(int) for layer in model.layers]
    forward = [np.ones(model.n_features, dtype=int)]
    for m in masks:
        forward.append((forward[-1] @ m > 0).astype(int))
    backward = [np.ones(model.n_classes, dtype=int)]
    for m in masks[::-1]:
        backward.insert(0, (m @ backward[0] > 0).astype(int))
    return [~(f.astype(bool) & b.astype(bool)) for f, b in zip(forward[1:-1], backward[1:-1])]


def _removed_units(model):
    """Dead units counted independently of the plotting code."""
    return int(sum(d.sum() for d in _dead_units(model)))


def _hollow_units(ax, model):
    """Per hidden layer, the indices of the units drawn hollow (every neuron must be shown)."""
    hollow = _collection(ax, "pruned neurons").get_offsets()
    filled = _collection(ax, "neurons").get_offsets()
    out = []
    for i in range(1, len(model.layer_sizes) - 1):
        column = np.concatenate([filled[filled[:, 0] == i, 1], hollow[hollow[:, 0] == i, 1]])
        top_down = sorted(column, reverse=True)  # unit j is the j-th circle from the top
        assert len(top_down) == model.layer_sizes[i]
        out.append(sorted(top_down.index(y) for y in hollow[hollow[:, 0] == i, 1]))
    return out


def _text(ax):
    """All text of an Axes, whitespace collapsed (subtitles are wrapped)."""
    return " ".join(" ".join(t.get_text() for t in ax.texts).split())


def _collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) <= 1
    return found[0] if found else None


def _segments(ax, gid):
    c = _collection(ax, gid)
    return [] if c is None else c.get_segments()


def _data(n=120, n_features=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(n_classes, n_features))
    y = np.arange(n) % n_classes
    X = (centres[y] + rng.normal(size=(n, n_features))).astype(np.float32)
    return Dataset(X[: n // 2], y[: n // 2], X[n // 2:], y[n // 2:])


# ------------------------------------------------------------------ network diagram
def test_diagram_draws_every_unpruned_connection_of_a_small_model(small):
    ax = plots.network_diagram(small)
    counts = ax.diagram_counts
    n_active = sum(int(layer.mask.sum()) for layer in small.layers)
    n_pruned = sum(int((~layer.mask).sum()) for layer in small.layers)
    assert counts.complete and not counts.sampled
    assert counts.drawn_active == counts.connections_active == n_active
    assert len(_segments(ax, "connections")) == n_active
    assert len(_segments(ax, "pruned connections")) == n_pruned
    hollow = _collection(ax, "pruned neurons").get_offsets()
    filled = _collection(ax, "neurons").get_offsets()
    assert len(hollow) == counts.removed_shown == _removed_units(small) == 1
    assert len(hollow) + len(filled) == sum(small.layer_sizes)
    # Unit 2 of hidden 1 reads nothing: dead. Unit 3 of hidden 2 lost only its bias: alive.
    # Input 4 is read by nobody, but inputs are never removed.
    assert _hollow_units(ax, small) == [[2], []]
    assert f"all {n_active} remaining connections drawn" in _text(ax)
    assert "pruned" in ax.get_title()


def test_diagram_line_width_and_colour_follow_the_weights(small):
    ax = plots.network_diagram(small)
    lines = _collection(ax, "connections")
    xs = [0, 1, 2, 3]
    # Recover each segment's weight from its end points (neuron j of a column sits at
    # the j-th highest y, all neurons shown here).
    ys = [sorted({round(p[1], 9) for seg in _segments(ax, "connections") + _segments(
        ax, "pruned connections") for p in seg if round(p[0]) == x}, reverse=True) for x in xs]
    strengths, widths, signs, colours = [], [], [], []
    for seg, width, colour in zip(lines.get_segments(), lines.get_linewidths(), lines.get_colors()):
        (x0, y0), (x1, y1) = seg
        i = int(round(x0))
        layer = small.layers[i]
        w = layer.W[ys[i].index(round(y0, 9)), ys[i + 1].index(round(y1, 9))]
        assert layer.mask[ys[i].index(round(y0, 9)), ys[i + 1].index(round(y1, 9))]
        scale = np.percentile(np.abs(layer.W[layer.mask]), 99)
        strengths.append(min(abs(w) / scale, 1.0))
        widths.append(width)
        signs.append(w >= 0)
        colours.append(tuple(np.round(colour[:3], 3)))
    order = np.argsort(strengths, kind="stable")
    assert np.all(np.diff(np.array(widths)[order]) >= -1e-12)
    blue = tuple(np.round(to_rgb(plots.POSITIVE), 3))
    red = tuple(np.round(to_rgb(plots.NEGATIVE), 3))
    assert all(c == (blue if s else red) for c, s in zip(colours, signs))


def test_diagram_hollow_neurons_match_prune_neurons():
    data = _data()
    model = minprune.MLP([6, 10, 8, 3], seed=0)
    minprune.fit(model, data.X_train, data.y_train, epochs=3, seed=0)
    minprune.prune_neurons(model, 0.5)
    ax = plots.network_diagram(model)
    pruned = [np.flatnonzero(~a) for a in active_units(model)]
    assert [len(p) for p in pruned] == [5, 4]
    hollow = _hollow_units(ax, model)
    assert all(set(p) <= set(h) for p, h in zip(pruned, hollow))  # pruned units are dead
    assert hollow == [list(np.flatnonzero(d)) for d in _dead_units(model)]
    assert ax.diagram_counts.removed_shown == _removed_units(model) >= 9
    assert len(_segments(ax, "connections")) == sum(int(la.mask.sum()) for la in model.layers)


def test_picture_report_and_shrink_agree_on_dead_neurons_after_weight_pruning():
    model = minprune.MLP([12, 10, 8, 3], seed=0)
    minprune.prune_weights(model, 0.85, scope="global")
    dead = _dead_units(model)
    assert all(d.any() for d in dead)  # weight pruning alone killed units in both layers...
    assert all(a.all() for a in active_units(model))  # ...that prune_neurons still counts
    ax = plots.network_diagram(model)
    assert ax.diagram_counts.complete
    hollow = _hollow_units(ax, model)
    assert hollow == [list(np.flatnonzero(d)) for d in dead]
    assert hollow == [list(np.flatnonzero(~k)) for k in live_units(model)]
    rows = minprune.report(model).rows
    assert [r["neurons"] - r["live_neurons"] for r in rows] == [len(h) for h in hollow] + [0]
    shrunk = minprune.shrink(model)
    assert shrunk.layer_sizes[1:-1] == [n - len(h) for n, h in
                                       zip(model.layer_sizes[1:-1], hollow)]
    assert ax.diagram_counts.removed_total == sum(model.layer_sizes) - sum(shrunk.layer_sizes)
    assert f"{len(hollow[0])} removed" in _text(ax) and f"{len(hollow[1])} removed" in _text(ax)


def test_diagram_samples_connections_and_says_so():
    model = minprune.MLP([64, 128, 10], seed=0)
    ax = plots.network_diagram(model, max_neurons_per_layer=200, max_connections=300, seed=3)
    counts = ax.diagram_counts
    assert counts.sampled and not counts.complete
    assert counts.candidates_active == 64 * 128 + 128 * 10
    assert counts.drawn_active == len(_segments(ax, "connections")) == 300
    assert "300 of 9,472 remaining connections drawn, sampled at random" in _text(ax)
    again = plots.network_diagram(model, max_neurons_per_layer=200, max_connections=300, seed=3)
    other = plots.network_diagram(model, max_neurons_per_layer=200, max_connections=300, seed=4)
    same = np.array(_segments(again, "connections"))
    assert np.array_equal(np.array(_segments(ax, "connections")), same)
    assert not np.array_equal(np.array(_segments(other, "connections")), same)


def test_diagram_samples_only_above_max_connections(small):
    n_active = sum(int(layer.mask.sum()) for layer in small.layers)
    exact = plots.network_diagram(small, max_connections=n_active).diagram_counts
    assert exact.drawn_active == n_active and exact.drawn_active == exact.candidates_active
    below = plots.network_diagram(small, max_connections=n_active - 1)
    assert below.diagram_counts.drawn_active == len(_segments(below, "connections")) == n_active - 1
    assert below.diagram_counts.sampled


def test_diagram_thins_wide_layers_to_evenly_spaced_neurons():
    model = _random_masks(minprune.MLP([10, 12, 3], seed=0), 0.5, seed=1)
    ax = plots.network_diagram(model, max_neurons_per_layer=4)
    counts = ax.diagram_counts
    assert counts.neurons_total == (10, 12, 3) and counts.neurons_shown == (4, 4, 3)
    rows = [np.round(np.linspace(0, n - 1, 4)).astype(int) for n in (10, 12)] + [np.arange(3)]
    between = sum(int(layer.mask[np.ix_(rows[i], rows[i + 1])].sum())
                  for i, layer in enumerate(model.layers))
    assert counts.candidates_active == counts.drawn_active == between
    assert len(_segments(ax, "connections")) == between
    assert "4 evenly spaced neurons shown" in _text(ax)
    assert "4 shown" in _text(ax)


def test_diagram_can_hide_pruned_connections_and_draw_into_given_axes(small):
    fig, ax = plt.subplots()
    out = plots.network_diagram(small, pruned="hidden", ax=ax, title="mine", legend=False)
    assert out is ax and ax.get_title() == "mine" and ax.get_legend() is None
    assert _collection(ax, "pruned connections") is None
    assert ax.diagram_counts.drawn_pruned == 0


def _spans_within(box, outer, tol=1.0):
    return box.x0 >= outer.x0 - tol and box.x1 <= outer.x1 + tol


@pytest.mark.parametrize("n_panels", [1, 2, 3])
def test_diagrams_side_by_side_keep_their_text_to_themselves(n_panels):
    # The tour's layout: wide diagrams (thinned and sampled, the longest subtitles) in a row.
    models = []
    for amount in (0.9, 0.5, 0.7)[:n_panels]:
        model = minprune.MLP([64, 256, 256, 10], seed=0)
        minprune.prune_weights(model, amount, scope="global")
        models.append(model)
    fig, axes = plt.subplots(1, n_panels, figsize=(13, 6.5), layout="constrained",
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        plots.network_diagram(model, ax=ax, max_connections=10)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    column = fig.bbox.width / n_panels
    parts = {}
    for j, ax in enumerate(axes[0]):
        (subtitle,) = [t for t in ax.texts if t.get_gid() == "subtitle"]
        labels = [t for t in ax.texts if t.get_gid() == "column label"]
        assert len(labels) == 4
        assert "wide layers" in subtitle.get_text() and "sampled at random" in subtitle.get_text()
        assert max(len(line) for line in subtitle.get_text().split("\n")) <= diagram._WRAP
        title = ax.title.get_window_extent(renderer)
        sub = subtitle.get_window_extent(renderer)
        legend = ax.get_legend().get_window_extent(renderer)
        low = [t.get_window_extent(renderer) for t in labels]
        # Each panel's title, subtitle and legend stay within its share of the figure...
        for box in (title, sub, legend):
            assert j * column - 1 <= box.x0 and box.x1 <= (j + 1) * column + 1
        assert _spans_within(sub, ax.get_window_extent(renderer), tol=20)
        # ...and do not run into each other: title above subtitle, legend below the labels.
        assert title.y0 >= sub.y1 - 1
        assert all(legend.y1 <= box.y0 + 1 for box in low)
        assert not any(a.overlaps(b) for i, a in enumerate(low) for b in low[i + 1:])
        parts[j] = [title, sub, legend] + low
    for j in range(n_panels - 1):
        assert not any(a.overlaps(b) for a in parts[j] for b in parts[j + 1])


@pytest.mark.parametrize("kwargs, error", [
    ({"model": "net"}, TypeError),
    ({"max_neurons_per_layer": 1}, ValueError),
    ({"max_connections": 0}, ValueError),
    ({"pruned": "invisible"}, ValueError),
    ({"seed": -1}, ValueError),
    ({"seed": "zero"}, TypeError),
    ({"ax": "axes"}, TypeError),
])
def test_diagram_bad_arguments(small, kwargs, error):
    (name,) = kwargs
    model = kwargs.pop("model", small)
    with pytest.raises(error, match=rf"^{name}\b"):
        plots.network_diagram(model, **kwargs)


# -------------------------------------------------------------------- histogram
def _stairs(ax, gid):
    (patch,) = [p for p in ax.patches if isinstance(p, StepPatch) and p.get_gid() == gid]
    return patch.get_data()


def test_histogram_counts_add_up_and_show_the_gap():
    before = minprune.MLP([20, 30, 5], seed=0)
    after = before.copy()
    minprune.prune_weights(after, 0.8)
    ax = plots.weight_histogram(after, before=before, bins=40)
    kept = sum(int(la.mask.sum()) for la in after.layers)
    values, edges = _stairs(ax, "after")[:2]
    assert values.sum() == kept
    assert _stairs(ax, "before")[0].sum() == before.n_params() - 35  # weights only, no biases
    assert edges[0] == -edges[-1]
    smallest = min(np.abs(la.W[la.mask]).min() for la in after.layers)
    centre = (edges[:-1] > -smallest) & (edges[1:] < smallest)
    assert centre.any() and values[centre].sum() == 0  # the gap around zero
    n_pruned = after.n_params() - 35 - kept
    assert any(f"{n_pruned:,} pruned" in t.get_text() for t in ax.get_legend().get_texts())


def test_histogram_of_one_layer_of_raw_arrays_and_log_scale():
    model = minprune.MLP([8, 6, 3], seed=0)
    ax = plots.weight_histogram(model, layer=1, log=True)
    assert _stairs(ax, "after")[0].sum() == 18 and ax.get_yscale() == "log"
    weights = np.array([[0.0, 0.5], [-0.25, 0.0]])
    ax = plots.weight_histogram([weights, np.array([1.0, 0.0])], bins=4)
    assert _stairs(ax, "after")[0].sum() == 3
    assert any("3 pruned" in t.get_text() for t in ax.get_legend().get_texts())


@pytest.mark.parametrize("call, error", [
    (lambda m: plots.weight_histogram(m, bins=1), ValueError),
    (lambda m: plots.weight_histogram(m, log="yes"), TypeError),
    (lambda m: plots.weight_histogram(np.ones(3), layer=0), ValueError),
    (lambda m: plots.weight_histogram("weights"), TypeError),
    (lambda m: plots.weight_histogram(m, layer=7), ValueError),
    (lambda m: plots.weight_histogram([]), ValueError),
])
def test_histogram_bad_arguments(small, call, error):
    with pytest.raises(error):
        call(small)


# ---------------------------------------------------------------------- heatmap
def test_heatmap_arrays_are_the_masks(small):
    fig = plots.mask_heatmap(small)
    assert len(fig.axes) == 3
    for ax, layer in zip(fig.axes, small.layers):
        assert np.array_equal(ax.images[0].get_array(), layer.mask)
        assert f"{1 - layer.mask.mean():.1%} pruned" in ax.get_title()
    fig = plots.mask_heatmap(small, layers=[2, 0])
    assert np.array_equal(fig.axes[0].images[0].get_array(), small.layers[2].mask)
    assert np.array_equal(fig.axes[1].images[0].get_array(), small.layers[0].mask)


def test_heatmap_bad_arguments(small):
    with pytest.raises(TypeError):
        plots.mask_heatmap(small, layers=1)
    with pytest.raises(ValueError):
        plots.mask_heatmap(small, layers=[5])
    with pytest.raises(ValueError):
        plots.mask_heatmap(small, layers=[])
    _, axes = plt.subplots(1, 2)
    with pytest.raises(TypeError):
        plots.mask_heatmap(small, ax=axes)  # three layers, two axes


# --------------------------------------------------------------- accuracy curves
def test_accuracy_curves_show_mean_and_spread():
    s = np.array([0.0, 0.5, 0.9])
    acc = {"magnitude": np.array([[0.9, 0.88, 0.7], [0.92, 0.86, 0.6], [0.91, 0.87, 0.8]]),
           "random": np.array([0.9, 0.5, 0.2])}
    ax = plots.accuracy_vs_sparsity(s, acc, dense=[0.9, 0.92])
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert np.allclose(lines["magnitude"].get_ydata(), acc["magnitude"].mean(axis=0))
    assert np.allclose(lines["random"].get_ydata(), acc["random"])
    assert np.allclose(lines["dense (unpruned)"].get_ydata(), 0.91)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # only the curve with several seeds has a band
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(ys.min(), 0.6) and np.isclose(ys.max(), 0.92)
    assert "3 seeds" in ax.get_title()
    std = plots.accuracy_vs_sparsity(s, acc["magnitude"], labels="magnitude", band="std")
    (band,) = [c for c in std.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    m, sd = acc["magnitude"].mean(axis=0), acc["magnitude"].std(axis=0)
    assert np.isclose(ys.min(), (m - sd).min()) and np.isclose(ys.max(), (m + sd).max())
    two = plots.accuracy_vs_sparsity(s, [acc["random"], acc["random"] - 0.1], labels=["a", "b"])
    assert [line.get_label() for line in two.get_lines()] == ["a", "b"]


def test_accuracy_legend_sits_beside_the_curves_and_lists_what_was_drawn_before():
    fig, ax = plt.subplots(layout="constrained")
    ax.plot([0.9], [0.95], "k*", ls="", label="after fine-tuning")
    plots.accuracy_vs_sparsity([0.5, 0.9], {"magnitude": [0.97, 0.4]}, dense=0.98, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["after fine-tuning", "magnitude",
                                                         "dense (unpruned)"]
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    assert [t.get_text() for t in ax.get_yticklabels()
            if 0.5 <= t.get_position()[1] <= 1][-1] == "100%"


@pytest.mark.parametrize("sparsities, accuracies, kwargs, error", [
    ([0, 0.5], [0.9, 0.8, 0.7], {}, ValueError),
    ([0, 1.5], [0.9, 0.8], {}, ValueError),
    ([0, 0.5], [0.9, 0.8], {"band": "iqr"}, ValueError),
    ([0, 0.5], {"a": [0.9, 0.8]}, {"labels": "x"}, ValueError),
    ([0, 0.5], [[0.9, 0.8]], {"labels": ["a", "b"]}, ValueError),
    ([0, 0.5], [0.9, np.nan], {}, ValueError),
    ([0, 0.5], ["high", "low"], {}, TypeError),
    ([0, 0.5], [0.9, 0.8], {"dense": [np.inf]}, ValueError),
])
def test_accuracy_curves_bad_arguments(sparsities, accuracies, kwargs, error):
    with pytest.raises(error):
        plots.accuracy_vs_sparsity(sparsities, accuracies, **kwargs)


# ------------------------------------------------------------------ sensitivity
def test_sensitivity_curves_one_line_per_layer(small):
    data = _data()
    scan = minprune.sensitivity_scan(small, (data.X_test, data.y_test), [0.0, 0.5, 0.9])
    ax = plots.sensitivity_curves(scan)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(scan.layer_names) + ["unpruned"]
    for line, row in zip(lines, scan.accuracy):
        assert np.allclose(line.get_xdata(), scan.sparsities)
        assert np.allclose(line.get_ydata(), row)
    assert np.allclose(lines[-1].get_ydata(), scan.baseline)
    with pytest.raises(TypeError):
        plots.sensitivity_curves({"accuracy": scan.accuracy})


# ---------------------------------------------------------------------- latency
def test_latency_vs_flops_from_real_measurements():
    model = minprune.MLP([64, 128, 10], seed=0)
    minprune.prune_neurons(model, 0.5)
    shrunk = minprune.shrink(model)
    records = []
    for name, net in (("masked", model), ("shrunk", shrunk)):
        flops = minprune.report(net).totals["effective_flops"]
        records.append({"name": name, "flops": flops,
                        "latency": float(minprune.measure_latency(net, repeats=3, warmup=1))})
    ax = plots.latency_vs_flops(records)
    points = [line.get_xydata()[0] for line in ax.get_lines() if line.get_gid() == "record"]
    assert np.allclose(points, [[r["flops"], r["latency"] * 1e3] for r in records])
    names = [t.get_text().split("\n")[0] for t in ax.get_legend().get_texts()]
    assert names[1:] == ["masked", "shrunk"]
    (ideal,) = [line for line in ax.get_lines() if line.get_gid() == "ideal"]
    x, y = ideal.get_data()
    slope = y[1] / x[1]
    assert np.isclose(slope * records[0]["flops"], records[0]["latency"] * 1e3)
    assert ax.get_xscale() == ax.get_yscale() == "log"


@pytest.mark.parametrize("records, kwargs, error", [
    ({"name": "a", "flops": 1, "latency": 1}, {}, TypeError),
    ([], {}, ValueError),
    ([{"name": "a", "flops": 10}], {}, ValueError),
    ([{"name": "a", "flops": -1, "latency": 0.1}], {}, ValueError),
    ([{"name": "a", "flops": 10, "latency": 0.1}], {"reference": "b"}, ValueError),
])
def test_latency_bad_arguments(records, kwargs, error):
    with pytest.raises(error):
        plots.latency_vs_flops(records, **kwargs)


def test_latency_labels_cannot_collide_and_ticks_are_plain_milliseconds():
    # Several models at nearly the same FLOPs and latency, as in the tour.
    records = [{"name": name, "flops": f, "latency": t} for name, f, t in [
        ("dense", 168_960, 3.1e-4), ("weights 90% (masked, dense matmul)", 16_896, 3.4e-4),
        ("weights 90% as CSR", 16_896, 3.2e-4), ("neurons 50% (masked)", 51_712, 3.4e-4),
        ("neurons 50% shrunk", 51_712, 1.2e-4), ("2:4 (N:M, masked)", 84_480, 3.4e-4)]]
    ax = plots.latency_vs_flops(records)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert not ax.texts  # nothing is written next to the points
    legend = ax.get_legend()
    entries = legend.get_texts()
    assert [t.get_text().split("\n")[0] for t in entries[1:]] == [r["name"] for r in records]
    assert "16.9k FLOPs, 0.34 ms" in entries[2].get_text()
    # One marker per record, each with its own shape and colour.
    styles = {(line.get_marker(), line.get_markerfacecolor())
              for line in ax.get_lines() if line.get_gid() == "record"}
    assert len(styles) == len(records)
    # The legend sits beside the axes, and its entries do not overlap each other.
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    boxes = [t.get_window_extent(renderer) for t in entries]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    y_labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    x_labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert y_labels and all(float(v) > 0 for v in y_labels)  # "0.2", never "2 x 10^-1"
    assert x_labels and all(v.endswith("k") and float(v[:-1]) > 0 for v in x_labels)
    assert set(y_labels) >= {"0.1", "0.2"}


def test_short_counts_and_milliseconds():
    # FLOPs are written as the report table writes them (metrics._si)
    assert [plots._si(n) for n in (950, 16_896, 168_960, 1.5e6, 2e9, 0.5)] == \
        ["950", "16.9k", "169k", "1.5M", "2G", "0.5"]
    ax = plots.latency_vs_flops([{"name": "dense", "flops": 16_896, "latency": 1e-3}])
    assert "dense\n16.9k FLOPs, 1 ms" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert [plots._ms(t) for t in (0.02, 0.3125, 1.5, 120, 2500)] == \
        ["0.02", "0.312", "1.5", "120", "2,500"]


# ------------------------------------------------------------ decision boundary
@pytest.fixture(scope="module")
def moons_model():
    data = minprune.datasets.load_moons(n_samples=120, seed=0)
    model = minprune.MLP([2, 16, 2], seed=0)
    minprune.fit(model, data.X_train, data.y_train, epochs=20, batch_size=16, lr=1e-2, seed=0)
    return model, data


def test_decision_boundary_image_is_the_models_prediction(moons_model):
    model, data = moons_model
    ax = plots.decision_boundary(model, data.X_test, data.y_test, resolution=30)
    image = ax.images[0]
    x0, x1, y0, y1 = image.get_extent()
    xx, yy = np.meshgrid(np.linspace(x0, x1, 30), np.linspace(y0, y1, 30))
    expected = model.predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(30, 30)
    assert np.array_equal(image.get_array(), expected)
    assert f"accuracy {model.score(data.X_test, data.y_test):.1%}" in ax.get_title()
    assert x0 < data.X_test[:, 0].min() and x1 > data.X_test[:, 0].max()


def test_decision_boundaries_side_by_side(moons_model):
    model, data = moons_model
    pruned = model.copy()
    minprune.prune_weights(pruned, 0.7)
    fig = plots.decision_boundaries({"dense": model, "70% pruned": pruned}, data.X_test,
                                    data.y_test, resolution=20)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("dense") and "sparsity 0%" in fig.axes[0].get_title()
    assert f"sparsity {minprune.sparsity(pruned):.0%}" in fig.axes[1].get_title()
    with pytest.raises(TypeError):
        plots.decision_boundaries(model, data.X_test, data.y_test)
    with pytest.raises(ValueError):
        plots.decision_boundaries({}, data.X_test, data.y_test)


def test_decision_boundary_bad_arguments(moons_model, small):
    model, data = moons_model
    with pytest.raises(ValueError, match="2 input features"):
        plots.decision_boundary(small, data.X_test, data.y_test)
    with pytest.raises(ValueError):
        plots.decision_boundary(model, np.ones((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError):
        plots.decision_boundary(model, data.X_test, data.y_test, resolution=5)


# -------------------------------------------------------------- training curves
def test_training_curves_draw_the_history():
    data = _data()
    model = minprune.MLP([6, 8, 3], seed=0)
    minprune.prune_weights(model, 0.5)
    history = minprune.fit(model, data.X_train, data.y_train, epochs=3, seed=0,
                           validation_data=(data.X_test, data.y_test))
    fig = plots.training_curves(history)
    loss_ax, acc_ax = fig.axes
    loss = {line.get_label(): line.get_ydata() for line in loss_ax.get_lines()}
    acc = {line.get_label(): line.get_ydata() for line in acc_ax.get_lines()}
    assert np.allclose(loss["training"], history.loss)
    assert np.allclose(loss["validation"], history.val_loss)
    assert np.allclose(acc["validation"], history.val_accuracy)
    assert np.allclose(acc["sparsity"], history.sparsity)
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert acc_ax.get_ylabel() == "accuracy / sparsity"
    dense = minprune.fit(minprune.MLP([6, 8, 3], seed=0), data.X_train, data.y_train, epochs=1,
                         seed=0)
    assert plots.training_curves(dense).axes[1].get_ylabel() == "accuracy"
    with pytest.raises(ValueError):
        plots.training_curves(minprune.History())
    with pytest.raises(TypeError):
        plots.training_curves({"loss": [1.0]})


def test_multi_panel_functions_draw_into_given_axes(small):
    fig, axes = plt.subplots(1, 3)
    assert plots.mask_heatmap(small, ax=axes) is fig
    assert all(a.images for a in axes)


def test_figures_are_deterministic(small):
    a = plots.network_diagram(small, max_connections=5, seed=0)
    b = plots.network_diagram(small, max_connections=5, seed=0)
    for gid in ("connections", "pruned connections"):
        assert np.array_equal(np.array(_segments(a, gid)), np.array(_segments(b, gid)))


def test_every_figure_renders_to_png(small, moons_model):
    import io

    model, data = moons_model
    history = minprune.fit(small.copy(), _data().X_train, _data().y_train, epochs=1, seed=0)
    axes = [plots.network_diagram(small), plots.weight_histogram(small, before=small, log=True),
            plots.accuracy_vs_sparsity([0, 0.5], [[0.9, 0.8], [0.8, 0.7]], dense=0.9),
            plots.latency_vs_flops([{"name": "a", "flops": 10, "latency": 1e-3}]),
            plots.decision_boundary(model, data.X_test, data.y_test, resolution=20)]
    figures = [a.figure for a in axes] + [plots.mask_heatmap(small), plots.training_curves(history)]
    for fig in figures:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=40)
        assert buf.getvalue()[:4] == b"\x89PNG"


# ------------------------------------------------- a hidden layer with no units left
@pytest.fixture
def no_units():
    """``shrink`` after pruning every hidden neuron: 2 -> 0 -> 0 -> 3, no weights at all."""
    model = minprune.MLP([2, 5, 4, 3], seed=0)
    minprune.prune_neurons(model, 1.0)
    return model, minprune.shrink(model)


def test_plots_of_a_model_with_a_zero_width_hidden_layer(no_units):
    import io
    import warnings

    masked, empty = no_units
    assert empty.layer_sizes == [2, 0, 0, 3]
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0, no empty-slice or singular-axis warnings
        ax = plots.network_diagram(empty)
        counts = ax.diagram_counts
        assert counts.neurons_total == counts.neurons_shown == (2, 0, 0, 3)
        assert counts.connections_total == counts.drawn_active == counts.removed_total == 0
        assert ax.get_title().endswith("no weights left")
        assert "hidden 1 0 neurons" in _text(ax) and "no connections remain" in _text(ax)
        hist = plots.weight_histogram(empty, before=masked)
        legend = [t.get_text() for t in hist.get_legend().get_texts()]
        assert "after: 0 kept" in legend and "+ 0 pruned, exact zeros, not drawn" in legend
        fig = plots.mask_heatmap(empty)
        assert [a.get_title().split("\n")[1] for a in fig.axes] == ["no weights"] * 3
        assert not any(a.images for a in fig.axes)
        boundary = plots.decision_boundary(empty, X, y, resolution=10)
        assert boundary.get_title().endswith("no weights left")
        assert np.unique(boundary.images[0].get_array()).size == 1  # only the output bias is left
        for figure in (ax.figure, hist.figure, fig, boundary.figure):
            buf = io.BytesIO()
            figure.savefig(buf, format="png", dpi=30)
            assert buf.getvalue()[:4] == b"\x89PNG"
    # the masked model before shrink draws its units hollow, all of them
    drawn = plots.network_diagram(masked).diagram_counts
    assert drawn.removed_total == drawn.removed_shown == 9 and drawn.connections_active == 0
