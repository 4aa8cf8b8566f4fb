"""Everything that imports scikit-learn: converters and a scikit-learn estimator.

``interop``    ``from_sklearn`` / ``to_sklearn``: a trained ``MLPClassifier`` in and out.
``estimator``  ``PrunedMLPClassifier`` (trains, prunes and fine-tunes in ``fit``) and
               ``sparsity_sweep`` (cross-validation over sparsities through joblib).

Importing scikit-learn takes a second or more, so ``import minprune`` loads this
package only when one of these names is first used.
"""
from .estimator import PrunedMLPClassifier, sparsity_sweep
from .interop import from_sklearn, to_sklearn

__all__ = ["PrunedMLPClassifier", "from_sklearn", "sparsity_sweep", "to_sklearn"]
