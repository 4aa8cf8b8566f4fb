"""Pruning: the rules, the criteria and the actions that change a model's masks.

=================  =============================================================
``rules``          what `amount` means, ties, scopes, the layer-collapse guard
``criteria/``      the registry of importance scores (one function + one line each)
``history``        every step recorded: ``mask_history``, ``undo``, ``rewind``
``units``          active units (not yet pruned) and live units (still used)
``weights``        ``prune_weights``: single weights, per layer or global
``neurons``        ``prune_neurons``: whole hidden units
``structured``     ``shrink``, N:M sparsity, CSR storage
``oracle``         the exact loss change of removing each weight, to grade criteria
``dynamic``        masks that move during training: ``SET``, ``RigL``, ``MovementPruning``
                   (imported by ``minprune`` itself: it builds on ``schedules`` and ``training``)
=================  =============================================================
"""
from . import criteria, history, neurons, oracle, rules, structured, units, weights
from .criteria import neuron_importance, weight_importance
from .history import commit_masks, mask_history, rewind, undo
from .neurons import prune_neurons
from .oracle import oracle_saliency, rank_criteria
from .rules import max_sparsity, select_lowest
from .structured import assert_n_m, prune_n_m, shrink, to_sparse
from .units import active_units, live_units
from .weights import prune_weights

__all__ = ["criteria", "history", "neurons", "oracle", "rules", "structured", "units", "weights",
           "active_units", "assert_n_m", "commit_masks", "live_units", "mask_history",
           "max_sparsity", "neuron_importance", "oracle_saliency", "prune_n_m", "prune_neurons",
           "prune_weights", "rank_criteria", "rewind", "select_lowest", "shrink", "to_sparse",
           "undo", "weight_importance"]
