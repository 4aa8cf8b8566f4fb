"""minprune: neural-network pruning, taught from scratch.

A numpy MLP with a boolean mask beside every weight matrix, the three kinds of
pruning (weights, neurons, structure), schedules, honest measurements, pictures,
widgets and a glossary. Everything listed in ``__all__`` is importable from here;
the modules behind the names are loaded on first use, so ``import minprune``
stays fast and a learner only pays for what a notebook touches.
"""
from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    # the model and its training
    "MLP": "minprune.model",
    "Dense": "minprune.model",
    "fit": "minprune.training",
    "History": "minprune.training",
    "Callback": "minprune.training",
    "TrainState": "minprune.training",
    "DivergenceError": "minprune.training",
    "SGD": "minprune.optim",
    "Adam": "minprune.optim",
    # data, files and scikit-learn
    "save": "minprune.io",
    "load": "minprune.io",
    "from_sklearn": "minprune.interop",
    "to_sklearn": "minprune.interop",
    # pruning actions
    "prune_weights": "minprune.pruning.weights",
    "prune_neurons": "minprune.pruning.neurons",
    "shrink": "minprune.pruning.structured",
    "prune_n_m": "minprune.pruning.structured",
    "check_n_m": "minprune.pruning.structured",
    "to_sparse": "minprune.pruning.structured",
    "rewind": "minprune.pruning.masks",
    "undo": "minprune.pruning.masks",
    "mask_history": "minprune.pruning.masks",
    # pruning criteria and the exact oracle
    "weight_importance": "minprune.pruning.criteria",
    "neuron_importance": "minprune.pruning.criteria",
    "oracle_saliency": "minprune.pruning.oracle",
    "rank_criteria": "minprune.pruning.oracle",
    # schedules
    "cubic_sparsity": "minprune.schedules",
    "GradualPruning": "minprune.schedules",
    "prune_and_finetune": "minprune.schedules",
    "iterative_prune": "minprune.schedules",
    "lottery_ticket": "minprune.schedules",
    # measuring
    "sparsity": "minprune.metrics",
    "report": "minprune.metrics",
    "sensitivity_scan": "minprune.metrics",
    "measure_latency": "minprune.metrics",
    "max_sparsity": "minprune.pruning.weights",
    # scikit-learn estimator
    "PrunedMLPClassifier": "minprune.estimator",
    "sparsity_sweep": "minprune.estimator",
}

_SUBMODULES = ("datasets", "plots", "widgets", "glossary", "checks", "pruning", "metrics",
               "schedules", "model", "training", "optim", "io", "interop", "estimator", "tour")

__all__ = sorted(_API) + list(_SUBMODULES)


def __getattr__(name):
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value  # cache: later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return import_module(f"minprune.{name}")
    raise AttributeError(f"module 'minprune' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
