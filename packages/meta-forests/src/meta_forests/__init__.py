"""Domain generalization with random forests, meta-learning and MMD, as a scikit-learn estimator.

Paper: Sun, Kosmas. Meta-forests: Domain generalization on random forests with meta-learning. ACML 2023 (arXiv:2401.04425).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
