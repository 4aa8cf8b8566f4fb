"""Everything that imports scikit-learn: converters and a scikit-learn estimator.

``interop``    ``from_sklearn`` / ``to_sklearn``: a trained ``MLPClassifier`` or
               ``MLPRegressor`` in and out.
``estimator``  ``PrunedMLPClassifier`` and ``PrunedMLPRegressor`` (``MLPClassifier``'s and
               ``MLPRegressor``'s names; train, prune and fine-tune in ``fit``), ``sweep``
               and ``sparsity_sweep`` (cross-validation over a grid through joblib).

Importing scikit-learn takes a second or more, so ``import minprune`` loads this
package only when one of these names is first used.
"""
from .estimator import (PrunedMLPClassifier, PrunedMLPRegressor, SweepTable, sparsity_sweep,
                        sweep)
from .interop import from_sklearn, to_sklearn

__all__ = ["PrunedMLPClassifier", "PrunedMLPRegressor", "SweepTable", "from_sklearn",
           "sparsity_sweep", "sweep", "to_sklearn"]
