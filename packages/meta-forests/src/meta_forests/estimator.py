"""scikit-learn estimators for meta-forests (Sun & Kosmas 2023, Algorithm 1).

Given labelled source domains ``D_1 .. D_(M-1)`` (``fit(X, y, domains=...)``), the method runs
``n_meta_tasks`` meta-tasks. Each picks one source domain at random as meta-test domain; the remaining
domains are meta-train. Forests trained on meta-train data are scored on the meta-test domain and
weighted by the accuracy term and the MMD term of :mod:`meta_forests.weights`; prediction is the
weighted soft vote ``argmax_c sum_ij w_ij p_ij(c | x)`` over all forests.

Two ways to build the forests (``forest_mode``):

``"per_domain"`` (as published)
    one forest per meta-train domain, weights normalised within each meta-task and, with
    ``carry_weights=True`` (as published), carried multiplicatively from task to task per domain.
``"pooled"`` (this package's default, chosen by training-domain validation, see the README)
    one forest per meta-task trained on all meta-train domains together, weighted by its meta-test
    accuracy and by the MMD between the pooled meta-train data and the meta-test domain; weights are
    normalised over tasks (there is nothing to normalise within a task and nothing to carry over).

MMD is computed once per domain pair on at most ``mmd_max_samples`` rows per domain (the reproduction
uses a 20% subsample) or with random Fourier features; the MMD of a pooled set is obtained exactly from
the per-domain-pair kernel means, so no kernel is recomputed inside the meta-task loop.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from core_utils import InputError
from meta_forests.mmd import kernel_matrix, median_heuristic, subsample
from meta_forests.weights import (
    RULES,
    accuracy_term,
    log_factor,
    mmd_term,
    normalize_log_weights,
    regression_term,
)

__all__ = ["MetaForestClassifier", "MetaForestRegressor", "NoDomainsWarning"]

MULTI_BANDWIDTH_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


class NoDomainsWarning(UserWarning):
    """``fit`` was called without ``domains``; a single random forest is fitted instead."""


def _domain_gram(
    Xs: list[np.ndarray], *, kernel: str, bandwidth: object, method: str, rff_features: int, seed: int
) -> np.ndarray:
    """``G[a, b] = mean_{x in a, y in b} k(x, y)`` for every pair of (subsampled) domains.

    With these kernel means the biased MMD^2 between two mixtures of domains with proportions ``p``
    and ``q`` is ``(p - q)^T G (p - q)``.
    """
    pooled = np.vstack(Xs)
    if kernel == "rbf":
        if isinstance(bandwidth, str):
            med = median_heuristic(pooled, seed=seed)
            h: float | list[float] = (
                med if bandwidth == "median" else [med * f for f in MULTI_BANDWIDTH_FACTORS]
            )
        else:
            h = float(bandwidth)
    else:
        h = 1.0
    m = len(Xs)
    G = np.zeros((m, m))
    if method == "rff" and kernel == "rbf":
        # one shared random feature map per bandwidth (Rahimi & Recht 2007), then G = Phi Phi^T
        rng = np.random.default_rng(seed)
        hs = np.atleast_1d(np.asarray(h, dtype=float))
        d = pooled.shape[1]
        maps = [
            (rng.normal(scale=1.0 / hk, size=(d, rff_features)), rng.uniform(0, 2 * np.pi, rff_features))
            for hk in hs
        ]
        scale = np.sqrt(2.0 / (rff_features * hs.size))
        phi = np.array(
            [np.concatenate([scale * np.cos(Xa @ W + b).mean(axis=0) for W, b in maps]) for Xa in Xs]
        )
        return phi @ phi.T
    for a in range(m):
        for b in range(a, m):
            G[a, b] = G[b, a] = kernel_matrix(Xs[a], Xs[b], kernel=kernel, bandwidth=h).mean()
    return G


def _mixture_mmd(G: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    d = p - q
    return float(np.sqrt(max(d @ G @ d, 0.0)))


class _MetaForestBase(BaseEstimator):
    _parameter_constraints: dict = {
        "n_meta_tasks": [Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "max_features": [
            StrOptions({"sqrt", "log2"}),
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0.0, 1.0, closed="right"),
            None,
        ],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Real],
        "beta": [Interval(Real, 0.0, None, closed="left")],
        "weight_rule": [StrOptions(set(RULES))],
        "forest_mode": [StrOptions({"pooled", "per_domain"})],
        "carry_weights": ["boolean"],
        "mmd_kernel": [StrOptions({"rbf", "linear"})],
        "mmd_bandwidth": [StrOptions({"median", "multi"}), Interval(Real, 0.0, None, closed="neither")],
        "mmd_max_samples": [Interval(Integral, 2, None, closed="left")],
        "mmd_method": [StrOptions({"exact", "rff"})],
        "eps": [Interval(Real, 0.0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_meta_tasks: int = 10,
        n_estimators: int = 20,
        max_depth: int | None = None,
        max_features: str | int | float | None = "sqrt",
        min_samples_leaf: int = 1,
        alpha: float = -1.0,
        beta: float = 1.0,
        weight_rule: str = "safe",
        forest_mode: str = "pooled",
        carry_weights: bool = False,
        mmd_kernel: str = "rbf",
        mmd_bandwidth: str | float = "median",
        mmd_max_samples: int = 300,
        mmd_method: str = "exact",
        eps: float = 1e-10,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_meta_tasks = n_meta_tasks
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.alpha = alpha
        self.beta = beta
        self.weight_rule = weight_rule
        self.forest_mode = forest_mode
        self.carry_weights = carry_weights
        self.mmd_kernel = mmd_kernel
        self.mmd_bandwidth = mmd_bandwidth
        self.mmd_max_samples = mmd_max_samples
        self.mmd_method = mmd_method
        self.eps = eps
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- hooks for the classifier / regressor -------------------------------------------------
    _forest_cls: type = RandomForestClassifier

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _task_term(self, forest: object, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(score, W_acc) of a forest on the meta-test domain."""
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------------
    def _new_forest(self, seed: int) -> object:
        return self._forest_cls(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            n_jobs=self.n_jobs,
            random_state=seed,
        )

    def fit(self, X, y, domains=None, sample_weight=None):
        """Fit the meta-forest on labelled source domains.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,)
            Class labels (any hashable type) or regression targets.
        domains : array of shape (n_samples,), optional
            Source-domain label of each sample (at least 2 distinct values). Route it with
            ``set_fit_request(domains=True)`` inside a ``Pipeline`` or ``cross_validate``. Without it a
            :class:`NoDomainsWarning` is emitted and a single random forest of ``n_estimators`` trees
            is fitted on all data.
        sample_weight : array of shape (n_samples,), optional
            Passed to each forest's ``fit``.

        Returns
        -------
        self
        """
        self._validate_params()
        X, y = validate_data(self, X, y)
        y_enc = self._encode_targets(y)
        n = X.shape[0]
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        seeds = iter(np.random.SeedSequence(seed).generate_state(1 + 2 * self.n_meta_tasks * 64))

        if domains is None:
            warnings.warn(
                "fit() got no `domains`; fitting a single random forest on all data "
                "(pass domains=... to use meta-forests)",
                NoDomainsWarning,
                stacklevel=2,
            )
            forest = self._new_forest(int(next(seeds)))
            forest.fit(X, y_enc, sample_weight=sample_weight)
            self.domains_ = np.array([None], dtype=object)
            self.forests_ = [forest]
            self.weights_ = np.ones(1)
            self.meta_log_ = []
            return self

        domains = np.asarray(domains)
        if domains.ndim != 1 or domains.shape[0] != n:
            raise InputError(
                f"domains must be a 1-D array with one entry per sample ({n}), got shape {domains.shape}"
            )
        if domains.dtype.kind == "f" and not np.all(np.isfinite(domains)):
            raise InputError("domains contains NaN or infinite values")
        self.domains_, dom = np.unique(domains, return_inverse=True)
        m = self.domains_.size
        if m < 2:
            raise InputError(
                f"meta-forests needs at least 2 source domains, got {m} ({self.domains_.tolist()})"
            )
        idx = [np.flatnonzero(dom == a) for a in range(m)]
        sizes = np.array([len(i) for i in idx], dtype=float)

        rng = np.random.default_rng(int(next(seeds)))
        gram_seed = int(next(seeds))
        Xs = [
            subsample(X[i], self.mmd_max_samples, np.random.default_rng(gram_seed + a))
            for a, i in enumerate(idx)
        ]
        G = _domain_gram(
            Xs,
            kernel=self.mmd_kernel,
            bandwidth=self.mmd_bandwidth,
            method=self.mmd_method,
            rff_features=512,
            seed=gram_seed,
        )

        forests: list[object] = []
        log_w: list[float] = []
        task_of: list[int] = []
        meta_log: list[dict] = []
        history: list[float] = []
        n_train = m - 1
        state = np.full(m, -np.log(max(n_train, 1)))  # W_0j = 1 / (M - 2), M counting the target
        for task in range(self.n_meta_tasks):
            test = int(rng.integers(m))
            train = [a for a in range(m) if a != test]
            groups = [[a] for a in train] if self.forest_mode == "per_domain" else [train]
            Xt, yt = X[idx[test]], y_enc[idx[test]]
            task_logw, task_members = [], []
            for members in groups:
                rows = np.concatenate([idx[a] for a in members])
                forest = self._new_forest(int(next(seeds)))
                forest.fit(
                    X[rows], y_enc[rows], sample_weight=None if sample_weight is None else sample_weight[rows]
                )
                score, w_acc = self._task_term(forest, Xt, yt)
                p = np.zeros(m)
                p[members] = sizes[members] / sizes[members].sum()
                q = np.zeros(m)
                q[test] = 1.0
                mmd = _mixture_mmd(G, p, q)
                history.append(mmd)
                w_mmd = mmd_term(mmd, history)
                lw = self.alpha * w_mmd + float(
                    log_factor(w_acc, beta=self.beta, rule=self.weight_rule, eps=self.eps)
                )
                if self.forest_mode == "per_domain" and self.carry_weights:
                    lw += state[members[0]]
                forests.append(forest)
                task_logw.append(lw)
                task_members.append(members)
                meta_log.append(
                    {
                        "task": task,
                        "meta_test_domain": self.domains_[test].item(),
                        "meta_train_domains": [self.domains_[a].item() for a in members],
                        "forest": len(forests) - 1,
                        "score": score,
                        "w_acc": float(w_acc),
                        "mmd": mmd,
                        "w_mmd": w_mmd,
                    }
                )
            if self.forest_mode == "per_domain":
                w_task = normalize_log_weights(np.array(task_logw))
                if self.carry_weights:
                    for members, w in zip(task_members, w_task, strict=True):
                        state[members[0]] = np.log(max(w, np.finfo(float).tiny))
                log_w.extend(np.log(np.maximum(w_task, np.finfo(float).tiny)) - np.log(self.n_meta_tasks))
            else:
                log_w.extend(task_logw)
            task_of.extend([task] * len(groups))

        if self.forest_mode == "per_domain":
            weights = np.exp(np.array(log_w))
            weights /= weights.sum()
        else:
            weights = normalize_log_weights(np.array(log_w))
        for entry, w in zip(meta_log, weights, strict=True):
            entry["weight"] = float(w)
        self.forests_ = forests
        self.weights_ = weights
        self.meta_log_ = meta_log
        return self


class MetaForestClassifier(ClassifierMixin, _MetaForestBase):
    """Meta-forests classifier for multi-source domain generalisation (Sun & Kosmas, ACML 2023).

    Parameters
    ----------
    n_meta_tasks : int, default 10
        Number of meta-tasks ``N`` (reproduction: 10-20).
    n_estimators : int, default 20
        Trees per forest. Total trees: ``N * n_estimators`` (pooled) or ``N * (M-1) * n_estimators``
        (per_domain, ``M - 1`` source domains).
    max_depth, max_features, min_samples_leaf : forest parameters (scikit-learn meaning).
    alpha : float, default -1.0
        MMD coefficient (Eq. 3, ``alpha < 0`` penalises distant domains; reproduction value -1).
    beta : float, default 1.0
        Accuracy exponent / scale (reproduction value 1).
    weight_rule : {"safe", "log-power", "log-scaled"}, default "safe"
        Reading of the ambiguous factor ``g(W_acc)``, see :mod:`meta_forests.weights`.
    forest_mode : {"pooled", "per_domain"}, default "pooled"
        ``"per_domain"`` is the published algorithm; ``"pooled"`` trains one forest per meta-task.
    carry_weights : bool, default False
        Carry weights multiplicatively across tasks (published; only with ``per_domain``).
    mmd_kernel : {"rbf", "linear"}, default "rbf"
    mmd_bandwidth : "median", "multi" or float, default "median"
        RBF bandwidth ``h``: median heuristic, a mixture of ``{1/4, 1/2, 1, 2, 4} x median``, or fixed.
    mmd_max_samples : int, default 300
        Rows per domain used for MMD (subsampled without replacement).
    mmd_method : {"exact", "rff"}, default "exact"
        Exact kernel means or 512 random Fourier features per bandwidth (linear time).
    eps : float, default 1e-10
        Floor of the accuracy factor (chance accuracy gives weight ``eps ** beta``).
    n_jobs : int or None
        Passed to every forest.
    random_state : int, RandomState or None

    Attributes
    ----------
    classes_ : array of shape (n_classes,)
    domains_ : array of the distinct source-domain labels
    forests_ : list of fitted ``RandomForestClassifier`` (labels encoded as ``0 .. n_classes - 1``)
    weights_ : array of shape (len(forests_),), sums to 1
    meta_log_ : list of dict, one per forest: task, meta-test / meta-train domains, accuracy (``score``),
        ``w_acc``, ``mmd``, ``w_mmd``, final ``weight``
    n_features_in_ : int
    """

    _forest_cls = RandomForestClassifier

    def _encode_targets(self, y):
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        return y_enc

    def _forest_proba(self, forest, X):
        out = np.zeros((X.shape[0], self.classes_.size))
        out[:, forest.classes_.astype(int)] = forest.predict_proba(X)
        return out

    def _task_term(self, forest, X, y):
        acc = float(np.mean(self._forest_proba(forest, X).argmax(axis=1) == y))
        return acc, float(accuracy_term(acc, max(self.classes_.size, 1)))

    def predict_proba(self, X):
        """Weighted soft vote ``sum_ij w_ij p_ij(c | x)`` over all forests, columns in ``classes_`` order."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        proba = np.zeros((X.shape[0], self.classes_.size))
        for forest, w in zip(self.forests_, self.weights_, strict=True):
            proba += w * self._forest_proba(forest, X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class with the largest weighted soft vote."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class MetaForestRegressor(RegressorMixin, _MetaForestBase):
    """Meta-forests regressor (the glucose-prediction variant of Sun & Kosmas).

    Same parameters and attributes as :class:`MetaForestClassifier` (no ``classes_``). The accuracy term
    is replaced by :func:`meta_forests.weights.regression_term` (``exp(s) - 1``, ``s = max(0, 1 - RMSE /
    std(y))`` on the meta-test domain); prediction is the weighted mean of the forests.
    """

    _forest_cls = RandomForestRegressor

    def _encode_targets(self, y):
        return np.asarray(y, dtype=float)

    def _task_term(self, forest, X, y):
        pred = forest.predict(X)
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        return rmse, regression_term(y, pred)

    def predict(self, X):
        """Weighted mean ``sum_ij w_ij f_ij(x)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        out = np.zeros(X.shape[0])
        for forest, w in zip(self.forests_, self.weights_, strict=True):
            out += w * forest.predict(X)
        return out
