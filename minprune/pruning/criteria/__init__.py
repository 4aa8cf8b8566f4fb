"""Pruning criteria: how important is each weight, each hidden unit?

The registry (:mod:`.registry`) holds one :class:`Criterion` per name and kind;
the scores themselves are in :mod:`.weights` and :mod:`.neurons`, one function
and one registration each. The criteria registered now, as :func:`describe`
lists them (lowest score pruned first):

"""
from . import neurons, weights  # noqa: F401  (importing them registers their criteria)
from .registry import (DEFAULT_CRITERION, KINDS, Batch, Criterion, backprop_deltas, validate_data,
                       criteria, describe, gauss_newton_diagonal, importance, lookup, names,
                       neuron_importance, register, weight_importance)

__doc__ += "\n".join("    " + line for line in describe().splitlines()) + "\n"

__all__ = ["Batch", "Criterion", "DEFAULT_CRITERION", "KINDS", "backprop_deltas", "validate_data",
           "criteria", "describe", "gauss_newton_diagonal", "importance", "lookup", "names",
           "neuron_importance", "register", "weight_importance"]
