"""minprune: neural-network pruning, taught from scratch.

A numpy MLP with a boolean mask beside every weight matrix, the three kinds of
pruning (weights, neurons, structure), schedules, honest measurements, pictures,
widgets and a glossary. The package is laid out as its architecture:

=====================================  =============================================
the engine                             ``model``, ``optim``, ``training``, ``datasets``, ``io``
pruning (rules, criteria, actions)     ``pruning/``: ``rules``, ``criteria/``, ``history``,
                                       ``units``, ``weights``, ``neurons``, ``structured``,
                                       ``oracle``, ``dynamic`` (masks that move)
over time, and measured                ``schedules``, ``lr_schedule``, ``distill``, ``recipes``,
                                       ``metrics``
to bytes                               ``compression``, ``huffman``
the classroom around it                ``viz/`` (plots, diagram, widgets), ``glossary``,
                                       ``checks/``, ``tour``
scikit-learn                           ``sklearn/`` (interop, estimator)
=====================================  =============================================

Everything in ``__all__`` is importable from here. The engine and the pruning
are imported at once (they need numpy only); the modules that import
scikit-learn, matplotlib or ipywidgets (a second or more each) are loaded on
first use, so ``import minprune`` stays fast.
"""
from importlib import import_module

from . import datasets, io, metrics, model, optim, pruning, schedules, training
from . import compression, distill, huffman, lr_schedule, recipes
from .io import load, save
from .metrics import measure_latency, report, sensitivity_scan, sparsity
from .model import MLP, Dense
from .optim import SGD, Adam
from .pruning.criteria import neuron_importance, weight_importance
from .pruning.history import mask_history, rewind, undo
from .pruning.neurons import prune_neurons
from .pruning.oracle import oracle_saliency, rank_criteria, rank_methods
from .pruning.rules import max_sparsity
from .pruning.structured import SparseMLP, assert_n_m, prune_n_m, shrink, to_sparse
from .pruning.weights import prune_weights
from .schedules import (FINETUNE_RECIPE, GradualPruning, cubic_sparsity, iterative_prune,
                        lottery_ticket, prune_and_finetune)
from .training import Callback, DivergenceError, History, TrainState, fit
from .compression import CompressedMLP, compress, load_compressed, save_compressed
from .distill import distillation_gradients
from .lr_schedule import CosineLR, StepLR
from .pruning.dynamic import RigL, SET, MovementPruning, erdos_renyi_densities, sparse_init
from .recipes import dense_sparse_dense, lr_rewinding

__version__ = "0.1.0"

# Loaded on first use (they import scikit-learn, matplotlib or ipywidgets):
# public name -> module that defines it.
_LAZY = {
    "prune_obs": "minprune.pruning.reconstruction",  # scipy.linalg: loaded when first used
    "prune_sparsegpt": "minprune.pruning.reconstruction",
    "from_sklearn": "minprune.sklearn.interop",
    "to_sklearn": "minprune.sklearn.interop",
    "PrunedMLPClassifier": "minprune.sklearn.estimator",
    "sparsity_sweep": "minprune.sklearn.estimator",
    "PrunedMLPRegressor": "minprune.sklearn.estimator",
    "sweep": "minprune.sklearn.estimator",
    "SweepTable": "minprune.sklearn.estimator",
}
# Modules loaded on first use; ``plots`` and ``widgets`` are the public names of
# the figures and widgets that live in ``viz/``.
_LAZY_MODULES = {
    "plots": "minprune.viz.plots",
    "widgets": "minprune.viz.widgets",
    "viz": "minprune.viz",
    "sklearn": "minprune.sklearn",
    "glossary": "minprune.glossary",
    "checks": "minprune.checks",
    "tour": "minprune.tour",
    "course": "minprune.course",
    "site": "minprune.site",
}

__all__ = sorted([
    "MLP", "Dense", "fit", "History", "Callback", "TrainState", "DivergenceError", "SGD", "Adam",
    "save", "load", "prune_weights", "prune_neurons", "shrink", "prune_n_m", "assert_n_m",
    "to_sparse", "SparseMLP", "rewind", "undo", "mask_history", "weight_importance",
    "neuron_importance", "oracle_saliency", "rank_criteria", "cubic_sparsity", "GradualPruning",
    "prune_and_finetune", "iterative_prune", "lottery_ticket", "FINETUNE_RECIPE", "sparsity",
    "report", "sensitivity_scan", "measure_latency", "max_sparsity", "SET", "RigL",
    "MovementPruning", "erdos_renyi_densities", "sparse_init", "CosineLR", "StepLR",
    "distillation_gradients", "lr_rewinding", "dense_sparse_dense", "compress", "CompressedMLP",
    "save_compressed", "load_compressed", "rank_methods", *_LAZY]) + [
    "datasets", "io", "metrics", "model", "optim", "pruning", "schedules", "training",
    "compression", "distill", "huffman", "lr_schedule", "recipes", *_LAZY_MODULES]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # cache: later look-ups skip this function
        return value
    if name in _LAZY_MODULES:
        return import_module(_LAZY_MODULES[name])
    raise AttributeError(f"module 'minprune' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
