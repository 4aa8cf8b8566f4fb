"""The headless tour: train a dense MLP, prune it three ways, measure, report, draw.

``python -m minprune tour`` (or the ``minprune tour`` console script) runs it.
Every number it prints is computed in the run; latencies are measured with one
BLAS thread, so they vary a little from run to run while everything else is
fixed by the seed. Every file goes through :func:`minprune.io.atomic_write`
(a temporary file, then an atomic rename): a failed re-run leaves the previous
files whole, and a symbolic link in the output folder is refused, never
written through.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import datasets
from ._table import text_table
from ._validation import validate_choice, validate_float, validate_int
from .io import atomic_write
from .metrics import measure_latency, report
from .model import MLP
from .pruning.structured import prune_n_m, shrink, to_sparse
from .pruning.weights import prune_weights
from .schedules import prune_and_finetune
from .training import fit

MARKER = ".minprune-tour"
FIGURES = ("network_diagram.png", "weight_histogram.png", "mask_heatmap.png",
           "accuracy_vs_sparsity.png", "latency_vs_flops.png", "training_curves.png")
OUTPUTS = FIGURES + ("report.txt", "report.json", MARKER)


@dataclass
class TourRow:
    """One line of the comparison table.

    Attributes
    ----------
    name : str
    accuracy : float
        Test accuracy in [0, 1].
    sparsity : float
        Fraction of weights pruned (0 for a shrunk network: what remains is dense).
    params : int
        Non-zero weights plus live biases, what the model has to store.
    flops : int
        Floating-point operations of one forward pass of one sample, counting only
        multiply-adds on weights that exist.
    nbytes : int
        Bytes of the form this row runs in (dense arrays, CSR, or shrunk arrays).
    latency_1, latency_256 : float
        Median seconds of a forward pass at batch 1 and 256 (one BLAS thread).
    """

    name: str
    accuracy: float
    sparsity: float
    params: int
    flops: int
    nbytes: int
    latency_1: float = float("nan")
    latency_256: float = float("nan")


@dataclass
class TourResult:
    """What the tour computed: the table rows, where it saved things, how long it took."""

    data: str
    seed: int
    layer_sizes: list
    rows: list = field(default_factory=list)
    out: Path | None = None
    files: list = field(default_factory=list)
    seconds: float = 0.0

    def table(self):
        """The comparison table as aligned text."""
        head = ("model", "accuracy", "sparsity", "params", "FLOPs/sample", "bytes",
                "ms @1", "ms @256", "speed-up @256")
        base = self.rows[0].latency_256
        body = [(r.name, f"{r.accuracy:.3f}", f"{r.sparsity:.1%}", f"{r.params:,}",
                 f"{r.flops:,}", f"{r.nbytes:,}", f"{r.latency_1 * 1e3:.3f}",
                 f"{r.latency_256 * 1e3:.3f}", f"{base / r.latency_256:.2f}x") for r in self.rows]
        return text_table(head, body)

    def __str__(self):
        sizes = "-".join(str(s) for s in self.layer_sizes)
        return f"minprune tour: {self.data}, MLP {sizes}, seed {self.seed}\n\n{self.table()}"


def _validate_out(out, force):
    """Return `out` as a Path after refusing folders where the tour could lose a user's file.

    A folder the tour made (it holds ``MARKER``) is rewritten freely. Any other
    non-empty folder is refused, unless `force`; even then a file of the same name
    as one the tour writes (say the user's own ``report.txt``) is never replaced.
    Nothing is created here: see ``_claim_out``.
    """
    if isinstance(out, bool) or not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a folder path (str or os.PathLike), got {out!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, got the file {str(out)!r}")
    # The tour replaces only regular files, never what a link points to, never a folder.
    links = [name for name in OUTPUTS if (out / name).is_symlink()]
    if links:
        raise ValueError(f"out folder {str(out)!r} holds symbolic links where the tour writes "
                         f"({', '.join(links)}); remove them or choose another folder")
    folders = [name for name in OUTPUTS if (out / name).is_dir()]
    if folders:
        raise ValueError(f"out folder {str(out)!r} holds folders where the tour writes files "
                         f"({', '.join(folders)}); move them or choose another folder")
    if out.is_dir() and not (out / MARKER).exists():
        foreign = sorted(p.name for p in out.iterdir())
        if foreign and not force:
            raise ValueError(f"out folder {str(out)!r} exists and holds files the tour did not "
                             f"make ({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                             "choose another folder or pass --force to write beside them")
        clash = [name for name in OUTPUTS if name in foreign]
        if clash:
            raise ValueError(f"out folder {str(out)!r} holds files the tour would overwrite "
                             f"({', '.join(clash)}) and the tour did not make them; --force only "
                             "writes beside other files, never over them: choose another folder "
                             "or move those files")
    return out


def _claim_out(out):
    """Create `out` (checked by ``_validate_out``) and mark it as the tour's own."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / MARKER, "This folder was written by `minprune tour`; it rewrites its own "
                               "files here.\n")
    return out


def _stored(model):
    """Weights and biases that exist (are not masked): what the model must store."""
    return sum(int(np.count_nonzero(layer.mask)) + int(np.count_nonzero(layer.bias_mask))
               for layer in model.layers)


def _row(name, model, X_test, y_test, *, params, flops, nbytes, sparsity_value, repeats):
    return TourRow(name, float(model.score(X_test, y_test)), sparsity_value, params, flops,
                   nbytes, float(measure_latency(model, 1, repeats=repeats)),
                   float(measure_latency(model, 256, repeats=max(5, repeats // 5))))


def run_tour(data="digits", out="minprune-tour", *, seed=0, epochs=30, weight_sparsity=0.9,
             neuron_fraction=0.5, finetune_epochs=10, hidden=(256, 256), repeats=100,
             force=False, verbose=True):
    """Train, prune three ways, fine-tune, measure and save the report and figures.

    Parameters
    ----------
    data : {"digits", "mnist1d"}
    out : str or Path
        Folder for ``report.txt``, ``report.json`` and the PNG figures. Created
        if needed; a folder holding files the tour did not make is refused unless
        `force`, and a user's file is never overwritten.
    seed : int
        Seeds the data split, the initial weights, shuffling and pruning.
    epochs : int
        Training epochs of the dense model.
    weight_sparsity : float in (0, 1)
        Fraction of weights removed by global magnitude pruning.
    neuron_fraction : float in (0, 1)
        Fraction of each hidden layer's neurons removed (l2 norm criterion).
    finetune_epochs : int
        Fine-tuning after each pruning.
    hidden : tuple of int
        Hidden layer widths.
    repeats : int
        Timed forward passes per latency (batch 1; a fifth of that at batch 256).
    force : bool
        Write beside the files of a non-empty folder the tour did not make. Files
        of the same names as the tour's outputs are never overwritten: such a
        folder is refused even with `force`.
    verbose : bool
        Print progress and the final table.

    Returns
    -------
    TourResult
    """
    # Every argument is checked before the folder is made, so a bad one leaves nothing behind.
    seed, epochs, finetune_epochs, repeats, hidden = _validate_arguments(
        data, seed, epochs, finetune_epochs, repeats, weight_sparsity, neuron_fraction, hidden,
        force, verbose)
    out = _claim_out(_validate_out(out, force))
    start = time.perf_counter()

    def say(msg):
        if verbose:
            print(msg, flush=True)

    ds = datasets.load_digits(seed=seed) if data == "digits" else datasets.load_mnist1d(seed=seed)
    dense, history = _train_dense(ds, data, hidden, epochs, seed, say)
    result = TourResult(data, seed, dense.layer_sizes, out=out)
    ft = dict(epochs=finetune_epochs, lr=1e-3, batch_size=32, seed=seed)
    models = _prune_three_ways(dense, ds, weight_sparsity, neuron_fraction, ft, say)
    say("5/5 measuring accuracy, size, FLOPs and latency (one BLAS thread)")
    rep = {name: report(getattr(models, name)).totals
           for name in ("dense", "weights", "neurons", "two_four")}
    result.rows = _measure(models, rep, ds, weight_sparsity, neuron_fraction, repeats)
    figures = _draw_figures(models, rep, result.rows, ds, history, neuron_fraction,
                            finetune_epochs, seed)
    _save(out, figures, result, models, start, say)
    return result


def _validate_arguments(data, seed, epochs, finetune_epochs, repeats, weight_sparsity,
                        neuron_fraction, hidden, force, verbose):
    validate_choice(data, "data", ("digits", "mnist1d"))
    seed = validate_int(seed, "seed", minimum=0, maximum=2**32 - 1)  # the data sets' range
    epochs = validate_int(epochs, "epochs", minimum=1)
    finetune_epochs = validate_int(finetune_epochs, "finetune_epochs", minimum=1)
    repeats = validate_int(repeats, "repeats", minimum=5)
    validate_float(weight_sparsity, "weight_sparsity", low=0.0, high=1.0, high_inclusive=False)
    validate_float(neuron_fraction, "neuron_fraction", low=0.0, high=1.0, high_inclusive=False)
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (tuple, list)) or not hidden:
        raise TypeError(f"hidden must be a non-empty tuple of hidden layer widths such as "
                        f"(256, 256), got {hidden!r}")
    hidden = tuple(validate_int(h, f"hidden[{i}]", minimum=1) for i, h in enumerate(hidden))
    for flag, name in ((force, "force"), (verbose, "verbose")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    return seed, epochs, finetune_epochs, repeats, hidden


def _train_dense(ds, data, hidden, epochs, seed, say):
    """Step 1: the dense model the three kinds of pruning start from, and its History."""
    X_train, y_train, X_test, y_test = ds
    sizes = [X_train.shape[1], *hidden, int(max(y_train.max(), y_test.max())) + 1]
    say(f"1/5 training a dense MLP {'-'.join(map(str, sizes))} on {data} "
        f"({len(y_train)} train / {len(y_test)} test samples, {epochs} epochs)")
    dense = MLP(sizes, seed=seed)
    # Small batches: digits has 1437 training samples, so batch 128 gives only 12 steps an epoch.
    history = fit(dense, X_train, y_train, epochs=epochs, batch_size=32, seed=seed,
                  validation_data=(X_test, y_test))
    return dense, history


@dataclass
class _Models:
    """The models the tour compares."""

    dense: object
    weights: object       # weight-pruned and fine-tuned
    weights_ft: object    # what prune_and_finetune measured on it
    neurons: object       # neuron-pruned and fine-tuned (masked)
    shrunk: object        # the same, shrunk to smaller dense matrices
    two_four: object      # 2:4 sparsity, fine-tuned
    sparse: object        # the weight-pruned model as CSR


def _prune_three_ways(dense, ds, weight_sparsity, neuron_fraction, ft, say):
    """Steps 2-4: weights, neurons, structure; each on a copy of `dense`, then fine-tuned."""
    X_train, y_train, X_test, _ = ds
    say(f"2/5 weight pruning: global magnitude, {weight_sparsity:.0%} of weights, then fine-tuning")
    weights = dense.copy()
    weights_ft = prune_and_finetune(weights, weight_sparsity, ds, kind="weights",
                                    criterion="magnitude", scope="global", **ft)

    say(f"3/5 neuron pruning: l2 norm, {neuron_fraction:.0%} of each hidden layer, then fine-tuning")
    neurons = dense.copy()
    prune_and_finetune(neurons, neuron_fraction, ds, kind="neurons", criterion="l2",
                       scope="layer", **ft)

    say("4/5 structured: shrink the neuron-pruned network; 2:4 (N:M) sparsity, then fine-tuning")
    shrunk = shrink(neurons)
    if not np.allclose(shrunk.forward(X_test), neurons.forward(X_test), atol=1e-4):
        raise AssertionError("shrink changed the network's outputs")
    two_four = dense.copy()
    prune_n_m(two_four, 2, 4)
    fit(two_four, X_train, y_train, **ft)
    return _Models(dense, weights, weights_ft, neurons, shrunk, two_four, to_sparse(weights))


def _measure(models, rep, ds, weight_sparsity, neuron_fraction, repeats):
    """Step 5: one table row per model (accuracy, size, FLOPs, measured latency)."""
    m = models
    r = dict(X_test=ds.X_test, y_test=ds.y_test, repeats=repeats)
    return [
        _row("dense", m.dense, params=_stored(m.dense), flops=rep["dense"]["dense_flops"],
             nbytes=rep["dense"]["dense_bytes"], sparsity_value=0.0, **r),
        _row(f"weights {weight_sparsity:.0%} (masked, dense matmul)", m.weights,
             params=_stored(m.weights), flops=rep["weights"]["effective_flops"],
             nbytes=rep["weights"]["dense_bytes"], sparsity_value=rep["weights"]["sparsity"], **r),
        _row(f"weights {weight_sparsity:.0%} as CSR", m.sparse, params=_stored(m.weights),
             flops=rep["weights"]["effective_flops"], nbytes=m.sparse.nbytes,
             sparsity_value=rep["weights"]["sparsity"], **r),
        _row(f"neurons {neuron_fraction:.0%} (masked)", m.neurons, params=_stored(m.neurons),
             flops=rep["neurons"]["effective_flops"], nbytes=rep["neurons"]["dense_bytes"],
             sparsity_value=rep["neurons"]["sparsity"], **r),
        _row(f"neurons {neuron_fraction:.0%} shrunk", m.shrunk, params=_stored(m.shrunk),
             flops=rep["neurons"]["shrunk_flops"], nbytes=rep["neurons"]["shrunk_bytes"],
             sparsity_value=0.0, **r),
        _row("2:4 (N:M, masked)", m.two_four, params=_stored(m.two_four),
             flops=rep["two_four"]["effective_flops"], nbytes=rep["two_four"]["dense_bytes"],
             sparsity_value=rep["two_four"]["sparsity"], **r),
    ]


def _headless_pyplot():
    """pyplot and minprune's plots on a backend that draws without a screen."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .viz import plots  # after the backend is chosen: it imports pyplot

    return plt, plots


def _draw_figures(models, rep, rows, ds, history, neuron_fraction, finetune_epochs, seed):
    """The six figures, by file name."""
    plt, plots = _headless_pyplot()
    dense, weights, neurons = models.dense, models.weights, models.neurons
    X_test, y_test = ds.X_test, ds.y_test
    sweep = np.array([0.5, 0.7, 0.8, 0.9, 0.95, 0.98])
    curves = {}
    for criterion in ("magnitude", "random"):
        accs = []
        for s in sweep:
            m = dense.copy()
            prune_weights(m, float(s), criterion=criterion, scope="global", seed=seed)
            accs.append(m.score(X_test, y_test))
        curves[f"{criterion}, one-shot, no fine-tuning"] = np.array(accs)
    figures = {}
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.5), layout="constrained")
    plots.network_diagram(weights, ax=axes[0], seed=seed,
                          title=f"weight pruning: {rep['weights']['sparsity']:.0%} of weights")
    plots.network_diagram(neurons, ax=axes[1], seed=seed,
                          title=f"neuron pruning: {neuron_fraction:.0%} of hidden units")
    figures["network_diagram.png"] = fig
    fig, ax = plt.subplots(figsize=(7, 4))
    plots.weight_histogram(weights, before=dense, ax=ax)
    figures["weight_histogram.png"] = fig
    figures["mask_heatmap.png"] = plots.mask_heatmap(weights).figure
    fig, ax = plt.subplots(figsize=(9, 4.2), layout="constrained")
    # Drawn first, so the legend accuracy_vs_sparsity makes lists it too.
    ax.plot([rep["weights"]["sparsity"]], [models.weights_ft.finetuned_accuracy], "k*", ms=12,
            ls="", label=f"magnitude + {finetune_epochs} epochs of fine-tuning")
    plots.accuracy_vs_sparsity(sweep, curves, dense=dense.score(X_test, y_test), ax=ax)
    figures["accuracy_vs_sparsity.png"] = fig
    ax = plots.latency_vs_flops([{"name": row.name, "flops": row.flops,
                                  "latency": row.latency_256} for row in rows])
    ax.set_title("batch 256: measured latency against effective FLOPs")
    figures["latency_vs_flops.png"] = ax.figure
    figures["training_curves.png"] = plots.training_curves(history)
    return figures


def _save(out, figures, result, models, start, say):
    """Write the figures, report.txt and report.json, each atomically."""
    plt, _ = _headless_pyplot()
    for name, fig in figures.items():
        fig = getattr(fig, "figure", fig)
        atomic_write(out / name, lambda f: fig.savefig(f, format="png", dpi=110,
                                                       bbox_inches="tight"))
        plt.close(fig)
        result.files.append(out / name)

    result.seconds = time.perf_counter() - start
    text = (f"{result}\n\nPer-layer report of the weight-pruned model:\n{report(models.weights)}"
            f"\n\nPer-layer report of the neuron-pruned model:\n{report(models.neurons)}\n")
    atomic_write(out / "report.txt", text)
    atomic_write(out / "report.json", json.dumps({
        "data": result.data, "seed": result.seed, "layer_sizes": result.layer_sizes,
        "rows": [row.__dict__ for row in result.rows]}, indent=2))
    result.files += [out / "report.txt", out / "report.json"]
    say("\n" + str(result))
    say(f"\nsaved the report and {len(figures)} figures in {os.path.abspath(out)} "
        f"({result.seconds:.1f} s)")
