"""The explorers, driven from Python as a notebook would drive them."""
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import minprune
from minprune import widgets
from minprune.datasets import Dataset
from minprune.pruning.criteria import names


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 2.5, size=(3, 8))
    y = np.arange(240) % 3
    X = (centres[y] + rng.normal(size=(240, 8))).astype(np.float32)
    return Dataset(X[:160], y[:160], X[160:], y[160:])


@pytest.fixture(scope="module")
def trained(data):
    model = minprune.MLP([8, 16, 12, 3], seed=0)
    minprune.fit(model, data.X_train, data.y_train, epochs=5, seed=0)
    return model


def _snapshot(model):
    return ([la.W.copy() for la in model.layers], [la.b.copy() for la in model.layers],
            [la.mask.copy() for la in model.layers], [la.bias_mask.copy() for la in model.layers],
            len(model.mask_history))


def _unchanged(model, snap):
    W, b, m, bm, had_history = snap
    return (all(np.array_equal(x, la.W) for x, la in zip(W, model.layers))
            and all(np.array_equal(x, la.b) for x, la in zip(b, model.layers))
            and all(np.array_equal(x, la.mask) for x, la in zip(m, model.layers))
            and all(np.array_equal(x, la.bias_mask) for x, la in zip(bm, model.layers))
            and len(model.mask_history) == had_history)


def test_slider_updates_accuracy_and_never_touches_the_callers_model(trained, data):
    snap = _snapshot(trained)
    ex = widgets.explore(trained, data, amount=0.0, static=False)
    assert ex.state.sparsity == 0 and ex.state.accuracy == trained.score(data.X_test, data.y_test)
    before = ex.status.value
    ex.slider.value = 0.99
    s = ex.state
    assert s.amount == 0.99 and s.model is not trained
    assert s.accuracy == s.model.score(data.X_test, data.y_test)
    assert f"{s.accuracy:.1%}" in ex.status.value and ex.status.value != before
    assert np.isclose(s.sparsity, minprune.sparsity(s.model)) and s.sparsity > 0.95
    assert ex.diagram.value[:4] == b"\x89PNG"
    assert "<table" in ex.report.value
    assert _unchanged(trained, snap)


def test_diagram_and_table_count_the_same_dead_neurons(trained, data):
    ex = widgets.explore(trained, data, amount=0.97, scope="global", static=False)
    rows = minprune.report(ex.state.model).rows
    dead = sum(r["neurons"] - r["live_neurons"] for r in rows)
    counts = ex._canvas.ax.diagram_counts
    assert dead > 0 and counts.removed_total == dead == counts.removed_shown  # all drawn
    for r in rows:
        assert f"{r['live_neurons']}/{r['neurons']}" in ex.report.value
    assert "removed neuron" in ex.widget.children[3].value and "shrink" in ex.widget.children[3].value
    # Every label of the diagram lies inside the PNG.
    fig = ex._canvas.figure
    renderer = ex._canvas.canvas.get_renderer()
    for text in ex._canvas.ax.texts:
        box = text.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, text.get_text()
        assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1, text.get_text()


@pytest.mark.parametrize("kind, criteria", [("weights", names("weights")),
                                            ("neurons", names("neurons"))])
@pytest.mark.parametrize("scope", ["layer", "global"])
def test_cached_masks_equal_what_the_pruning_functions_choose(trained, data, kind, criteria,
                                                             scope):
    # The lab is what every slider move calls; driving it directly skips the drawing.
    lab = widgets.explore(trained, data, kind=kind, scope=scope, static=True).lab
    prune = minprune.prune_weights if kind == "weights" else minprune.prune_neurons
    for criterion in criteria:
        for amount in (0.3, 0.8, 3):
            state = lab.prune(kind, criterion, scope, amount)
            reference = trained.copy()
            prune(reference, amount, criterion=criterion, scope=scope, seed=0,
                  data=(data.X_train, data.y_train))
            for got, want in zip(state.model.layers, reference.layers):
                assert np.array_equal(got.mask, want.mask)
                assert np.array_equal(got.bias_mask, want.bias_mask)
                assert np.array_equal(got.W, want.W)


def test_scores_are_computed_once_per_criterion(trained, data, monkeypatch):
    calls = []
    real = widgets.weight_candidates
    monkeypatch.setattr(widgets, "weight_candidates",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    ex = widgets.explore(trained, data, static=False)
    for amount in (0.1, 0.5, 0.9, 0.5):
        ex.slider.value = amount
    ex.criterion.value = "random"
    ex.slider.value = 0.1
    ex.criterion.value = "magnitude"
    assert calls == ["magnitude", "random"]


def test_switching_kind_resets_the_criterion_with_one_update(trained, data, monkeypatch):
    ex = widgets.explore(trained, data, static=False)
    calls = []
    real = ex.lab.prune
    monkeypatch.setattr(ex.lab, "prune", lambda *a: calls.append(a) or real(*a))
    ex.kind.value = "neurons"
    assert list(ex.criterion.options) == list(names("neurons")) and ex.criterion.value == "l2"
    assert calls == [("neurons", "l2", "layer", 0.5)]
    assert ex.state.kind == "neurons" and "hidden neurons" in ex.status.value
    assert not ex.state.model.layers[0].bias_mask.all()


def test_finetune_button_trains_the_copy_with_masks_kept(trained, data):
    snap = _snapshot(trained)
    ex = widgets.explore(trained, data, amount=0.9, finetune_epochs=2, static=False)
    masks = [la.mask.copy() for la in ex.state.model.layers]
    weights = [la.W.copy() for la in ex.state.model.layers]
    ex.finetune_button.click()
    s = ex.state
    assert s.finetuned and "after fine-tuning" in ex.status.value
    assert s.accuracy == s.model.score(data.X_test, data.y_test)
    assert all(np.array_equal(m, la.mask) for m, la in zip(masks, s.model.layers))
    assert all(np.all(la.W[~la.mask] == 0) for la in s.model.layers)
    assert any(not np.array_equal(w, la.W) for w, la in zip(weights, s.model.layers))
    ex.slider.value = 0.8  # a new setting starts again from the trained model
    assert not ex.state.finetuned
    assert _unchanged(trained, snap)


def test_global_guard_cap_is_reported(trained, data):
    ex = widgets.explore(trained, data, amounts=(0.0, 1.0), amount=1.0, scope="global",
                         static=False)
    assert ex.state.note and "minimum per layer" in ex.status.value
    assert all(la.mask.any() for la in ex.state.model.layers)


def test_a_criterion_that_cannot_apply_is_shown_not_raised(data):
    model = minprune.MLP([8, 6, 3], activation="tanh", seed=0)
    ex = widgets.explore(model, data, kind="neurons", static=False)
    kept = ex.state
    ex.criterion.value = "apoz"
    assert "cannot prune" in ex.status.value and "ReLU" in ex.status.value
    assert ex.state is kept


def test_compare_puts_criteria_side_by_side(trained, data):
    snap = _snapshot(trained)
    cmp = widgets.compare(trained, data, amount=0.5, static=False)
    assert set(cmp.states) == {"magnitude", "random"}
    cmp.slider.value = 0.9
    mag, rnd = cmp.states["magnitude"], cmp.states["random"]
    assert mag.amount == rnd.amount == 0.9 and np.isclose(mag.sparsity, rnd.sparsity)
    assert not all(np.array_equal(a.mask, b.mask) for a, b in zip(mag.model.layers,
                                                                  rnd.model.layers))
    for c, s in cmp.states.items():
        assert f"{s.accuracy:.1%}" in cmp.statuses[c].value
        assert cmp.diagrams[c].value[:4] == b"\x89PNG"
    cmp.scope.value = "global"
    assert all(s.scope == "global" for s in cmp.states.values())
    cmp.finetune_button.click()
    assert all(s.finetuned for s in cmp.states.values())
    assert _unchanged(trained, snap)


def test_static_fallback_is_a_figure_of_the_sweep_and_the_diagram(trained, data):
    ex = widgets.explore(trained, data, amount=0.8, amounts=(0.0, 0.5, 0.8), static=True)
    assert ex.widget is None and ex.slider is None and isinstance(ex.figure, Figure)
    curve, net = ex.figure.axes
    (line,) = [ln for ln in curve.get_lines() if ln.get_label() == "magnitude"]
    expected = [ex.lab.prune("weights", "magnitude", "layer", a).accuracy for a in (0, 0.5, 0.8)]
    assert np.allclose(line.get_ydata(), expected)
    assert net.diagram_counts.connections_active == sum(int(la.mask.sum())
                                                        for la in ex.state.model.layers)
    ex.finetune()  # still works without widgets
    assert ex.state.finetuned
    cmp = widgets.compare(trained, data, criteria=("l2", "random"), kind="neurons",
                          amounts=(0.0, 0.5), amount=0.5, static=True)
    assert len(cmp.figure.axes) == 3 and cmp.widget is None
    assert "static figure" in repr(cmp)


def test_display_shows_the_widget_or_a_png(trained, data, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    static = widgets.explore(trained, data, amounts=(0.0, 0.5), static=True)
    live = widgets.explore(trained, data, amounts=(0.0, 0.5), static=False)
    static._ipython_display_()
    live._ipython_display_()
    assert shown[0].data[:4] == b"\x89PNG" and shown[1] is live.widget


def test_static_is_chosen_where_widgets_cannot_render(trained, data, monkeypatch):
    assert widgets.explore(trained, data, amounts=(0.0, 0.5)).static  # no kernel in pytest
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    assert not widgets._widgets_can_render()
    with pytest.raises(ImportError, match="static=True"):
        widgets.explore(trained, data, static=False)


@pytest.mark.parametrize("kwargs, error", [
    ({"kind": "bias"}, ValueError),
    ({"criterion": "l2"}, ValueError),  # a neuron criterion for weight pruning
    ({"scope": "model"}, ValueError),
    ({"amount": 0.55}, ValueError),
    ({"amount": True}, TypeError),
    ({"amount": "half"}, TypeError),
    ({"amounts": (0.5,)}, ValueError),
    ({"amounts": (0.0, 1.5)}, ValueError),
    ({"amounts": 0.5}, TypeError),
    ({"finetune_epochs": 0}, ValueError),
    ({"lr": -1.0}, ValueError),
    ({"lr": "fast"}, TypeError),
    ({"seed": -1}, ValueError),
    ({"static": "yes"}, TypeError),
])
def test_explore_bad_arguments(trained, data, kwargs, error):
    (name,) = kwargs
    with pytest.raises(error, match=rf"^{name}\b"):  # the message starts with the argument's name
        widgets.explore(trained, data, **kwargs)


@pytest.mark.parametrize("kwargs", [{"amount": 1, "amounts": (0.0, 1.0)},
                                    {"amount": np.int64(0), "amounts": (0.0, 1.0)},
                                    {"amount": 1.0, "amounts": (0, 1)}])
def test_an_int_amount_is_refused_since_elsewhere_it_is_a_count(trained, data, kwargs):
    with pytest.raises(TypeError, match=r"a fraction in \[0, 1\]"):
        widgets.explore(trained, data, static=True, **kwargs)
    with pytest.raises(TypeError, match=r"a fraction in \[0, 1\]"):
        widgets.compare(trained, data, static=True, **kwargs)


def test_amount_one_prunes_everything_and_numpy_floats_are_fractions(trained, data):
    ex = widgets.explore(trained, data, amounts=(0.0, np.float32(1.0)), amount=1.0, static=True)
    assert ex.state.amount == 1.0 and ex.state.sparsity == 1.0
    ex = widgets.explore(trained, data, amount=np.float64(0.5), static=True)
    assert ex.state.sparsity == pytest.approx(0.5, abs=0.01)


def test_bad_model_data_and_criteria(trained, data):
    with pytest.raises(TypeError, match="minprune.MLP"):
        widgets.explore("model", data)
    with pytest.raises(ValueError, match="4 parts"):
        widgets.explore(trained, (data.X_train, data.y_train))
    with pytest.raises(TypeError, match="Dataset"):
        widgets.explore(trained, data.X_train)
    with pytest.raises(ValueError, match="labels up to 3"):
        widgets.explore(trained, data._replace(y_test=data.y_test + 1))
    with pytest.raises(ValueError, match="features"):
        widgets.explore(trained, (data.X_train[:, :3], data.y_train, data.X_test, data.y_test))
    with pytest.raises(ValueError, match="at least two"):
        widgets.compare(trained, data, criteria=("magnitude",))
    with pytest.raises(ValueError, match="different"):
        widgets.compare(trained, data, criteria=("random", "random"))
    with pytest.raises(ValueError):
        widgets.compare(trained, data, criteria=("magnitude", "l2"))


@pytest.mark.parametrize("make", [
    lambda m, d: widgets.explore(m, d, amount=0.9, static=False),
    lambda m, d: widgets.compare(m, d, amount=0.9, static=False),
    lambda m, d: widgets.compare(m, d, criteria=("magnitude", "random", "taylor"), amount=0.9,
                                 static=False),
])
def test_diagram_text_is_readable_at_the_size_shown(trained, data, make):
    # compare once drew its labels 7 px high (5 px capitals) on a 384 px image; the PNG is
    # shown at its own size, so the text must be at least 10 px there, and panels side by
    # side must fit a notebook's ~1000 px output width.
    import io

    from PIL import Image

    w = make(trained, data)
    canvases = [w._canvas] if hasattr(w, "_canvas") else list(w._canvases.values())
    images = [w.diagram] if hasattr(w, "diagram") else list(w.diagrams.values())
    for canvas, image in zip(canvases, images):
        sizes = {t.get_fontsize() for t in canvas.ax.texts}
        assert sizes and min(sizes) * canvas.figure.dpi / 72 >= 10
    widths = [Image.open(io.BytesIO(image.value)).size[0] for image in images]
    if hasattr(w, "diagram"):
        assert widths[0] <= 1000
    else:  # compare: rows of at most two panels (a third goes to a second row)
        rows = w.widget.children[1:-1]
        assert sum(len(row.children) for row in rows) == len(images)
        assert all(len(row.children) <= 2 for row in rows) and 2 * max(widths) <= 1000


def test_finetune_button_is_the_recipe_of_notebook_00(trained, data):
    # One recipe: the button trains exactly as fit(copy, **FINETUNE_RECIPE, seed=0) after the cut.
    ex = widgets.explore(trained, data, amount=0.8, static=False)
    ex.finetune_button.click()
    by_hand = trained.copy()
    minprune.prune_weights(by_hand, 0.8)
    minprune.fit(by_hand, data.X_train, data.y_train, **minprune.FINETUNE_RECIPE, seed=0)
    assert all(np.array_equal(a.W, b.W) for a, b in zip(ex.state.model.layers, by_hand.layers))
    assert ex.finetune_button.description == f"fine-tune {minprune.FINETUNE_RECIPE['epochs']} epochs"
    with pytest.raises(TypeError):
        minprune.FINETUNE_RECIPE["lr"] = 1.0     # read-only: nobody changes it by accident
