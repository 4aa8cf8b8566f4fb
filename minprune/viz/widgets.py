"""Prune with a slider: interactive explorers for a notebook (ipywidgets).

``explore(model, data)`` shows one pruned copy of `model`: an amount slider, the
kind of pruning (weights or neurons), the criterion and the scope, a fine-tune
button, and below them the test accuracy, the :func:`minprune.report` table and
the network diagram, redrawn as the slider moves. ``compare(model, data)`` puts
two (or more) criteria side by side on one slider.

The caller's model is never changed: every setting prunes a fresh copy. The
heavy work is done once: the importance scores of each (kind, criterion, scope)
are computed on first use and turned into a pruning *order*; the masks at any
amount are then the first ``k`` entries of that order, which is exactly what
:func:`minprune.prune_weights` / :func:`minprune.prune_neurons` would choose on a
fresh copy (same scores, same stable tie-breaking, same layer-collapse guard).

Everything is reachable from Python, so tests and scripts can drive it without
a browser: set ``explorer.slider.value = 0.9`` and read ``explorer.state``.
Where widgets cannot render (no Jupyter kernel, or ``static=True``) the same call
returns a static matplotlib figure: accuracy over all amounts and the diagram.
"""
from __future__ import annotations

import html
import io
import numbers
import time
from dataclasses import dataclass

import numpy as np

from .._validation import _describe, validate_choice, validate_float, validate_int
from ..datasets import validate_dataset
from ..metrics import report, sparsity
from ..model import MLP, validate_model
from ..pruning.criteria import DEFAULT_CRITERION, KINDS, lookup, names
from ..pruning.history import commit_masks
from ..pruning.neurons import unit_candidates
from ..pruning.rules import SCOPES, resolve_counts, select_by_scope
from ..pruning.units import active_units, unit_masks
from ..pruning.weights import weight_candidates
from ..schedules import FINETUNE_RECIPE
from ..training import fit
from .diagram import network_diagram
from .plots import accuracy_vs_sparsity
from .style import INK, NEGATIVE, POSITIVE, PRUNED

AMOUNTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99)
# Diagram PNGs are shown at their own size, so this sets how large their text is on screen:
# 8.5-point labels at 96 dpi are 11 px high. The figures are sized in inches to fit that text:
# one explorer panel 672 px wide, each compare panel 480 px (two a row in a notebook).
DIAGRAM_DPI = 96


# ------------------------------------------------------------------ the caching
class _Ranking:
    """The scores of one (kind, criterion, scope) on a fixed starting model, computed once.

    ``masks(amount)`` returns what ``prune_weights`` / ``prune_neurons`` install on
    a copy of the starting model: the same preparation (``weight_candidates`` /
    ``unit_candidates``), the same amount rule and the same selection
    (``select_by_scope``); only the scores are cached between slider moves.
    """

    def __init__(self, base, kind, criterion, scope, data, seed):
        self.base, self.kind, self.scope = base, kind, scope  # base is never changed
        if kind == "weights":
            self.scores, self.eligible = weight_candidates(base, criterion, scope, data=data,
                                                           seed=seed)
            unpruned = [layer.mask for layer in base.layers]
        else:
            self.scores, self.eligible = unit_candidates(base, criterion, scope, data=data,
                                                         seed=seed)
            unpruned = active_units(base)
        self.available = [int(np.count_nonzero(m)) for m in unpruned]
        self.n_eligible = sum(int(np.count_nonzero(e)) for e in self.eligible)

    def chosen(self, amount):
        """Per layer, a bool array of the entries pruned at `amount`; and a note."""
        note = ""
        counts = resolve_counts(amount, self.available, self.scope)
        if self.scope == "global" and counts > self.n_eligible:
            note = (f"the global scope keeps a minimum per layer, so {self.n_eligible:,} "
                    f"of the {counts:,} asked for were pruned")
            counts = self.n_eligible
        return select_by_scope(self.scores, self.eligible, counts), note

    def masks(self, amount):
        """``(masks, bias_masks, note)`` at `amount`, a fraction of what is unpruned."""
        chosen, note = self.chosen(amount)
        if self.kind == "neurons":
            return (*unit_masks(self.base, chosen), note)
        masks = [layer.mask & ~c for layer, c in zip(self.base.layers, chosen)]
        return masks, [layer.bias_mask.copy() for layer in self.base.layers], note


@dataclass
class PruneState:
    """One computed setting of an explorer.

    Attributes
    ----------
    kind, criterion, scope : str
    amount : float
        Fraction of the starting model's unpruned entries (weights or hidden units)
        that this setting prunes.
    model : MLP
        The pruned copy (fine-tuned when `finetuned` is True).
    accuracy : float
        Test accuracy of `model`, a fraction.
    sparsity : float
        Fraction of `model`'s weights that are pruned.
    finetuned : bool
    note : str
        Anything the learner should know (e.g. an amount the global guard capped).
    seconds : float
        Wall time of the latest update of this state (pruning, scoring, drawing).
    """

    kind: str
    criterion: str
    scope: str
    amount: float
    model: MLP
    accuracy: float
    sparsity: float
    finetuned: bool = False
    note: str = ""
    seconds: float = 0.0


class _Lab:
    """A private copy of the model, the data, and the cached pruning orders."""

    def __init__(self, model, data, seed):
        validate_model(model)
        data = validate_dataset(data)
        if data.n_features != model.n_features:
            raise ValueError(f"data has {data.n_features} features, the model takes "
                             f"{model.n_features}")
        if data.n_classes > model.n_classes:
            raise ValueError(f"data has labels up to {data.n_classes - 1}, the model has "
                             f"{model.n_classes} classes")
        self.base = model.copy()
        self.base.mask_history = []
        # features in the model's dtype once, not at every evaluation
        self.X_train = data.X_train.astype(model.dtype, copy=False)
        self.X_test = data.X_test.astype(model.dtype, copy=False)
        self.y_train, self.y_test = data.y_train, data.y_test
        self.seed = seed
        self.dense_accuracy = self.base.score(self.X_test, self.y_test)
        self._rankings = {}

    def ranking(self, kind, criterion, scope):
        key = (kind, criterion, scope)
        if key not in self._rankings:
            needs_data = lookup(kind, criterion).needs_data
            data = (self.X_train, self.y_train) if needs_data else None
            self._rankings[key] = _Ranking(self.base, kind, criterion, scope, data, self.seed)
        return self._rankings[key]

    def prune(self, kind, criterion, scope, amount):
        t0 = time.perf_counter()
        masks, bias, note = self.ranking(kind, criterion, scope).masks(amount)
        model = self.base.copy()
        commit_masks(model, masks, bias, label=f"{kind} {criterion}/{scope} amount={amount!r}")
        acc = model.score(self.X_test, self.y_test)  # on one BLAS thread (minprune.blas)
        return PruneState(kind, criterion, scope, amount, model, acc, sparsity(model), note=note,
                          seconds=time.perf_counter() - t0)

    def finetune(self, state, epochs, lr):
        t0 = time.perf_counter()
        recipe = {**FINETUNE_RECIPE, "epochs": epochs, "lr": lr}
        fit(state.model, self.X_train, self.y_train, **recipe, seed=self.seed, progress=False)
        state.accuracy = state.model.score(self.X_test, self.y_test)
        state.finetuned = True
        state.seconds = time.perf_counter() - t0
        return state

    def sweep(self, kind, criterion, scope, amounts):
        """Test accuracy at each amount (no fine-tuning), shape (len(amounts),)."""
        return np.array([self.prune(kind, criterion, scope, a).accuracy for a in amounts])


def _fraction(value, name):
    """`value` as a float in [0, 1]. An int is refused, since elsewhere in minprune
    (``prune_weights``, ``prune_neurons``) an int amount is a count of entries."""
    if isinstance(value, numbers.Integral) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a fraction in [0, 1] (a float such as 0.5), got "
                        f"{_describe(value)}; the slider prunes fractions, not counts")
    return validate_float(value, name, low=0.0, high=1.0, low_inclusive=True)


def _validate_amounts(amounts):
    """The slider's stops, sorted and distinct. Not ``metrics._validate_sparsities``: that one
    names its argument ``sparsities`` in errors, accepts a single number and accepts ints."""
    if isinstance(amounts, (str, bytes)) or not hasattr(amounts, "__len__"):
        raise TypeError(f"amounts must be a sequence of fractions in [0, 1], "
                        f"got {_describe(amounts)}")
    values = sorted({_fraction(a, "amounts entry") for a in amounts})
    if len(values) < 2:
        raise ValueError(f"amounts must hold at least two different fractions, got {amounts!r}")
    return tuple(values)


def _validate_amount(amount, amounts):
    amount = _fraction(amount, "amount")
    if amount not in amounts:
        raise ValueError(f"amount must be one of the slider's amounts {list(amounts)}, "
                         f"got {amount!r}")
    return amount


def _widgets_can_render():
    """True inside a Jupyter kernel with ipywidgets installed."""
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# --------------------------------------------------------------------- drawing
class _Canvas:
    """A figure outside pyplot (never shown by itself), redrawn into PNG bytes."""

    def __init__(self, figsize, dpi):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        # Room below the circles for the column labels (in points), above for the subtitle.
        h = figsize[1] * 72
        self.ax = self.figure.add_axes([0.02, 72 / h, 0.96, 1 - (72 + 56) / h])

    def diagram_png(self, model, seed):
        from PIL import Image

        # The axes are made once and emptied between drawings (a new Axes costs more
        # than the whole diagram); title and legend are HTML beside the image, since
        # text is most of the drawing time.
        for artist in self.ax.collections[:] + self.ax.texts[:]:
            artist.remove()
        network_diagram(model, ax=self.ax, title="", legend=False, seed=seed)
        # One draw and a light PNG encoding: savefig would draw the figure a second time.
        self.canvas.draw()
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(),
                                 self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _status_html(state, dense_accuracy):
    what = "hidden neurons" if state.kind == "neurons" else "weights"
    n_left = sum(int(np.count_nonzero(layer.mask)) for layer in state.model.layers)
    n_total = sum(layer.mask.size for layer in state.model.layers)
    tuned = " after fine-tuning" if state.finetuned else ""
    text = (f"<b>test accuracy {state.accuracy:.1%}</b>{tuned} (unpruned {dense_accuracy:.1%})"
            f" &middot; pruned {state.amount:.0%} of the {what} ({state.criterion}, "
            f"{state.scope} scope) &middot; sparsity {state.sparsity:.1%}: "
            f"{n_left:,} of {n_total:,} weights left")
    if state.note:
        text += f"<br><i>{state.note}</i>"
    return text


def _legend_html():
    def line(color, style, text):
        return (f"<span style='display:inline-block;width:22px;border-top:3px {style} {color};"
                f"vertical-align:middle'></span> {text}")

    def dot(fill, edge, text):
        return (f"<span style='display:inline-block;width:11px;height:11px;border-radius:50%;"
                f"background:{fill};border:2px solid {edge};vertical-align:middle'></span> {text}")

    items = [line(POSITIVE, "solid", "positive weight"),
             line(NEGATIVE, "solid", "negative weight (width &prop; |w|)"),
             line(PRUNED, "dashed", "pruned weight"), dot(INK, "white", "neuron"),
             dot("white", PRUNED, "removed neuron: no path from input to output any more "
                                  "(shrink removes it; not counted as active in the table)")]
    return ("<div style='font-size:12px;color:#555'>"
            + " &nbsp;&nbsp; ".join(items) + "</div>")


def _title(state):
    return (f"{state.criterion} ({state.kind}, {state.scope}), {state.amount:.0%} pruned: "
            f"accuracy {state.accuracy:.1%}")


class _Interactive:
    """What the explorers share: the lab, the controls' checks, static fallback, display."""

    def __init__(self, model, data, amounts, amount, scope, finetune_epochs, lr, seed, static):
        self.seed = validate_int(seed, "seed", minimum=0)
        self.amounts = _validate_amounts(amounts)
        self.amount = _validate_amount(amount, self.amounts)
        self.finetune_epochs = validate_int(finetune_epochs, "finetune_epochs", minimum=1)
        self.lr = validate_float(lr, "lr", low=0.0)
        validate_choice(scope, "scope", SCOPES)
        if static is None:
            static = not _widgets_can_render()
        if not isinstance(static, bool):
            raise TypeError(f"static must be True, False or None, got {static!r}")
        if not static:
            try:
                import ipywidgets  # noqa: F401
            except ImportError as exc:
                raise ImportError("static=False needs ipywidgets (pip install ipywidgets); "
                                  "pass static=True for a static figure") from exc
        self.static = static
        self.lab = _Lab(model, data, self.seed)
        self.widget = None
        self.figure = None

    def _show(self):
        """Draw the first state: a static figure, or the widget's controls and panels."""
        if self.static:
            self.figure = self._static_figure()
        else:
            self._build()
            self._render()

    def _slider(self, amount):
        import ipywidgets as w

        return w.SelectionSlider(options=[(f"{a:.0%}", a) for a in self.amounts], value=amount,
                                 description="prune", continuous_update=True,
                                 layout=w.Layout(width="420px"))

    def _ipython_display_(self):
        from IPython.display import Image, display

        if not self.static:
            display(self.widget)
            return
        # PNG bytes made here, so the picture shows whatever matplotlib backend is active.
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=80)
        display(Image(data=buf.getvalue(), format="png"))

    def __repr__(self):
        mode = "static figure" if self.static else "widget"
        return f"{type(self).__name__}({mode}, {self._summary()})"


# -------------------------------------------------------------------- explore
class Explorer(_Interactive):
    """Returned by :func:`explore`.

    Attributes
    ----------
    state : PruneState
        The setting shown now (its ``model`` is the pruned copy).
    slider, kind, criterion, scope : ipywidgets controls (None when static)
        Set their ``.value`` to update, from a notebook or from Python.
    finetune_button : ipywidgets.Button (None when static)
        ``.click()`` fine-tunes the pruned copy shown.
    status, report, diagram : ipywidgets.HTML, HTML, Image (None when static)
        The accuracy line, the :func:`minprune.report` table, the diagram as PNG.
    widget : ipywidgets.VBox or None
    figure : matplotlib Figure or None
        The static picture (accuracy over all amounts, and the diagram).
    """

    def __init__(self, model, data, *, amount, kind, criterion, scope, amounts, finetune_epochs,
                 lr, seed, static):
        super().__init__(model, data, amounts, amount, scope, finetune_epochs, lr, seed, static)
        validate_choice(kind, "kind", KINDS)
        criterion = DEFAULT_CRITERION[kind] if criterion is None else criterion
        validate_choice(criterion, "criterion", names(kind))
        self.slider = self.kind = self.criterion = self.scope = self.finetune_button = None
        self.status = self.report = self.diagram = None
        self.state = self.lab.prune(kind, criterion, scope, self.amount)
        self._show()

    def _summary(self):
        s = self.state
        return (f"{s.kind} {s.criterion}/{s.scope} amount={s.amount:g}: "
                f"accuracy {s.accuracy:.3f}, sparsity {s.sparsity:.3f}")

    def _build(self):
        import ipywidgets as w

        s = self.state
        self.slider = self._slider(s.amount)
        self.kind = w.ToggleButtons(options=list(KINDS), value=s.kind, description="kind")
        self.criterion = w.Dropdown(options=list(names(s.kind)), value=s.criterion,
                                    description="criterion")
        self.scope = w.ToggleButtons(options=list(SCOPES), value=s.scope, description="scope")
        self.finetune_button = w.Button(description=f"fine-tune {self.finetune_epochs} epochs",
                                        icon="play", layout=w.Layout(width="200px"))
        self.status = w.HTML()
        self.report = w.HTML()
        self.diagram = w.Image(format="png")
        self._canvas = _Canvas(figsize=(7.0, 4.6), dpi=DIAGRAM_DPI)
        self._busy = False
        self.slider.observe(self._on_change, names="value")
        self.criterion.observe(self._on_change, names="value")
        self.scope.observe(self._on_change, names="value")
        self.kind.observe(self._on_kind, names="value")
        self.finetune_button.on_click(lambda _: self.finetune())
        controls = w.VBox([w.HBox([self.slider, self.finetune_button]),
                           w.HBox([self.kind, self.criterion]), self.scope])
        self.widget = w.VBox([controls, self.status, self.diagram, w.HTML(_legend_html()),
                              self.report])

    def _on_kind(self, change):
        self._busy = True  # one update for the kind and its default criterion, not two
        try:
            self.criterion.options = list(names(change["new"]))
            self.criterion.value = DEFAULT_CRITERION[change["new"]]
        finally:
            self._busy = False
        self.update()

    def _on_change(self, change):
        if not self._busy:
            self.update()

    def update(self):
        """Prune a fresh copy at the controls' current setting and redraw."""
        t0 = time.perf_counter()
        try:
            self.state = self.lab.prune(self.kind.value, self.criterion.value, self.scope.value,
                                        self.slider.value)
        except ValueError as exc:  # e.g. apoz on a tanh network: say so, keep the last state
            self.status.value = (f"<b style='color:#D55E00'>cannot prune: "
                                 f"{html.escape(str(exc))}</b>")
            return self.state
        self._render()
        self.state.seconds = time.perf_counter() - t0
        return self.state

    def finetune(self):
        """Fine-tune the pruned copy shown (masks fixed) and redraw."""
        t0 = time.perf_counter()
        self.lab.finetune(self.state, self.finetune_epochs, self.lr)
        if not self.static:
            self._render()
        self.state.seconds = time.perf_counter() - t0
        return self.state

    def _render(self):
        s = self.state
        self.status.value = _status_html(s, self.lab.dense_accuracy)
        self.report.value = report(s.model)._repr_html_()
        self.diagram.value = self._canvas.diagram_png(s.model, self.seed)

    def _static_figure(self):
        from matplotlib.figure import Figure

        s = self.state
        fig = Figure(figsize=(15, 5.4), layout="constrained")
        ax_curve, ax_net = fig.subplots(1, 2, width_ratios=[1, 1.6])
        acc = self.lab.sweep(s.kind, s.criterion, s.scope, self.amounts)
        _sweep_panel(ax_curve, self.amounts, {s.criterion: acc}, self.lab.dense_accuracy, s)
        network_diagram(s.model, ax=ax_net, title=_title(s), seed=self.seed)
        return fig


def _sweep_panel(ax, amounts, curves, dense, state):
    accuracy_vs_sparsity(amounts, curves, dense=dense, ax=ax)
    ax.axvline(state.amount, color="#999999", lw=1, ls=":")
    what = "hidden neurons" if state.kind == "neurons" else "weights"
    ax.set_xlabel(f"amount pruned (fraction of the {what}, {state.scope} scope)")
    ax.set_title("Test accuracy without fine-tuning")


def explore(model, data, *, amount=0.5, kind="weights", criterion=None, scope="layer",
            amounts=AMOUNTS, finetune_epochs=FINETUNE_RECIPE["epochs"],
            lr=FINETUNE_RECIPE["lr"], seed=0, static=None):
    """An interactive pruning explorer for `model` (which is never changed).

    Parameters
    ----------
    model : MLP
        The starting point, usually trained. Each setting prunes a copy of it.
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
        Accuracy is measured on the test part; fine-tuning and the data-driven
        criteria use the training part.
    amount : float
        Initial slider value, one of `amounts`: a fraction of the weights (or
        hidden neurons) still unpruned. Always a float here: an int, which
        ``prune_weights`` would read as a count, is a TypeError.
    kind : {"weights", "neurons"}
    criterion : str, optional
        A criterion of the `kind` (see :mod:`minprune.pruning.criteria`).
        Default: ``"magnitude"`` for weights, ``"l2"`` for neurons.
    scope : {"layer", "global"}
    amounts : sequence of float in [0, 1]
        The slider's stops: fractions of the weights (or hidden neurons) to prune
        (floats, as for `amount`).
    finetune_epochs : int
        Epochs per click of the fine-tune button. The button trains with
        :data:`minprune.FINETUNE_RECIPE` (batch size, Adam), the recipe of
        notebook 00's fine-tuning cell; `finetune_epochs` and `lr` default to its values.
    lr : float
        Learning rate of fine-tuning (Adam).
    seed : int
        For the random criterion, the diagram's sampling and fine-tuning.
    static : bool or None
        True: a static matplotlib figure instead of widgets. None: static only
        where widgets cannot render (outside a Jupyter kernel).

    Returns
    -------
    Explorer
        Displays itself in a notebook; ``explorer.state`` is the setting shown.
    """
    return Explorer(model, data, amount=amount, kind=kind, criterion=criterion, scope=scope,
                    amounts=amounts, finetune_epochs=finetune_epochs, lr=lr, seed=seed,
                    static=static)


# -------------------------------------------------------------------- compare
class Comparison(_Interactive):
    """Returned by :func:`compare`.

    Attributes
    ----------
    criteria : tuple of str
    states : dict {criterion: PruneState}
    slider, scope, finetune_button : ipywidgets controls (None when static)
    statuses, diagrams : dict {criterion: ipywidgets.HTML / Image} (empty when static)
    widget : ipywidgets.VBox or None
    figure : matplotlib Figure or None
    """

    def __init__(self, model, data, *, criteria, kind, amount, scope, amounts, finetune_epochs,
                 lr, seed, static):
        super().__init__(model, data, amounts, amount, scope, finetune_epochs, lr, seed, static)
        self.kind = validate_choice(kind, "kind", KINDS)
        if isinstance(criteria, str) or not hasattr(criteria, "__len__") or len(criteria) < 2:
            raise ValueError(f"criteria must be a sequence of at least two criterion names, "
                             f"got {criteria!r}")
        if len(set(criteria)) != len(criteria):
            raise ValueError(f"criteria must be different from each other, got {criteria!r}")
        for c in criteria:
            validate_choice(c, "criteria entry", names(kind))
        self.criteria = tuple(criteria)
        self.slider = self.scope = self.finetune_button = None
        self.statuses, self.diagrams = {}, {}
        self.states = {c: self.lab.prune(kind, c, scope, self.amount) for c in self.criteria}
        self._show()

    def _summary(self):
        s = next(iter(self.states.values()))
        accs = ", ".join(f"{c} {st.accuracy:.3f}" for c, st in self.states.items())
        return f"{self.kind}/{s.scope} amount={s.amount:g}: accuracy {accs}"

    def _build(self):
        import ipywidgets as w

        first = next(iter(self.states.values()))
        self.slider = self._slider(first.amount)
        self.scope = w.ToggleButtons(options=list(SCOPES), value=first.scope, description="scope")
        self.finetune_button = w.Button(description=f"fine-tune {self.finetune_epochs} epochs",
                                        icon="play", layout=w.Layout(width="200px"))
        self._canvases = {c: _Canvas(figsize=(5.0, 4.2), dpi=DIAGRAM_DPI) for c in self.criteria}
        panels = []
        for c in self.criteria:
            self.statuses[c] = w.HTML()
            self.diagrams[c] = w.Image(format="png")
            panels.append(w.VBox([self.statuses[c], self.diagrams[c]],
                                 layout=w.Layout(width="50%")))
        # Two panels a row: a third beside them would shrink every diagram's text.
        rows = [w.HBox(panels[i:i + 2]) for i in range(0, len(panels), 2)]
        self.slider.observe(lambda _: self.update(), names="value")
        self.scope.observe(lambda _: self.update(), names="value")
        self.finetune_button.on_click(lambda _: self.finetune())
        self.widget = w.VBox([w.HBox([self.slider, self.scope, self.finetune_button]),
                              *rows, w.HTML(_legend_html())])

    def update(self):
        """Prune fresh copies for every criterion at the current setting and redraw."""
        t0 = time.perf_counter()
        self.states = {c: self.lab.prune(self.kind, c, self.scope.value, self.slider.value)
                       for c in self.criteria}
        self._render()
        seconds = time.perf_counter() - t0
        for s in self.states.values():
            s.seconds = seconds
        return self.states

    def finetune(self):
        """Fine-tune every pruned copy shown (masks fixed) and redraw."""
        for s in self.states.values():
            self.lab.finetune(s, self.finetune_epochs, self.lr)
        if not self.static:
            self._render()
        return self.states

    def _render(self):
        for c, s in self.states.items():
            self.statuses[c].value = _status_html(s, self.lab.dense_accuracy)
            self.diagrams[c].value = self._canvases[c].diagram_png(s.model, self.seed)

    def _static_figure(self):
        from matplotlib.figure import Figure

        states = list(self.states.values())
        n = len(states)
        fig = Figure(figsize=(7.5 * n, 10.5), layout="constrained")
        grid = fig.add_gridspec(2, n, height_ratios=[1.5, 1])
        curves = {c: self.lab.sweep(self.kind, c, states[0].scope, self.amounts)
                  for c in self.criteria}
        _sweep_panel(fig.add_subplot(grid[1, :]), self.amounts, curves, self.lab.dense_accuracy,
                     states[0])
        for j, s in enumerate(states):
            network_diagram(s.model, ax=fig.add_subplot(grid[0, j]), title=_title(s),
                            seed=self.seed)
        return fig


def compare(model, data, criteria=("magnitude", "random"), *, kind="weights", amount=0.9,
            scope="layer", amounts=AMOUNTS, finetune_epochs=FINETUNE_RECIPE["epochs"],
            lr=FINETUNE_RECIPE["lr"], seed=0, static=None):
    """Two (or more) pruning criteria side by side on one amount slider.

    Parameters
    ----------
    model : MLP
        Never changed; each criterion prunes its own copy.
    data : Dataset or tuple (X_train, y_train, X_test, y_test)
    criteria : sequence of str
        At least two criteria of `kind`.
    kind : {"weights", "neurons"}
    amount : float
        Initial slider value, one of `amounts` (a fraction, as in :func:`explore`).
    scope : {"layer", "global"}
    amounts : sequence of float in [0, 1]
    finetune_epochs : int
        Epochs per click of the fine-tune button (every panel is fine-tuned with
        :data:`minprune.FINETUNE_RECIPE`, as in :func:`explore`).
    lr : float
    seed : int
    static : bool or None
        As in :func:`explore`.

    Returns
    -------
    Comparison
    """
    return Comparison(model, data, criteria=criteria, kind=kind, amount=amount, scope=scope,
                      amounts=amounts, finetune_epochs=finetune_epochs, lr=lr, seed=seed,
                      static=static)
