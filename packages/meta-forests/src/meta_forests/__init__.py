"""Domain generalization with random forests, meta-learning and MMD, as a scikit-learn estimator.

Paper: Sun, Kosmas. Meta-forests: Domain generalization on random forests with meta-learning. ACML 2023 (arXiv:2401.04425).
"""

__version__ = "0.1.0"

from meta_forests.estimator import MetaForestClassifier, MetaForestRegressor, NoDomainsWarning
from meta_forests.mmd import median_heuristic, mmd2, rff_mmd2

__all__ = [
    "MetaForestClassifier",
    "MetaForestRegressor",
    "NoDomainsWarning",
    "__version__",
    "median_heuristic",
    "mmd2",
    "rff_mmd2",
]
