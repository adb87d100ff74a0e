"""Implicit regularization, benign overfitting and the linear regime: closed forms plus simulations.

Paper: Bartlett, Montanari, Rakhlin. Deep learning: a statistical viewpoint. Acta Numerica 30, 2021 (arXiv:2103.09177).

The closed forms live in :mod:`overparam.formulas`; the seven experiments in
:mod:`overparam.experiments` (``run_experiment("E1")`` .. ``"E7"``).
"""

__version__ = "0.1.0"

__all__ = ["EXPERIMENTS", "__version__", "run_experiment"]


def __getattr__(name: str):  # lazy: `overparam --help` does not import scipy
    if name in ("EXPERIMENTS", "run_experiment"):
        from overparam import experiments

        return getattr(experiments, name)
    raise AttributeError(name)
