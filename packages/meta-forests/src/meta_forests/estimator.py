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
``"pooled"`` (this package's default; among the random-forest variants, source-only selection,
    ``meta_forests.selection``, prefers it or ties on 3 of the 4 data sets tried, see the README,
    which also reports ``forest_type="extra"``)
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
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
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

__all__ = ["MetaForestClassifier", "MetaForestRegressor", "NoDomainsWarning", "pseudo_domains"]

MULTI_BANDWIDTH_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


class NoDomainsWarning(UserWarning):
    """``fit`` was called without ``domains``; pseudo-domains (or a single forest) are used instead."""


def pseudo_domains(
    X: np.ndarray,
    y: np.ndarray | None,
    n_domains: int,
    *,
    method: str = "kmeans",
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Pseudo-domain labels ``0 .. k-1`` for data that come without domain labels.

    ``"kmeans"``: k-means (``sklearn.cluster.KMeans``) on the standardised features after subtracting
    each class's mean (``y`` given, classification), so that the clusters follow shifts shared by all
    classes (a site, sensor or rotation effect) rather than the classes themselves; for regression
    (``y=None``) on the standardised features. ``"random"``: a random partition, balanced within each
    class. ``k = min(n_domains, number of distinct rows)``; the result can have fewer than 2 labels when
    the data have fewer than 2 distinct rows.
    """
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    Z = X.copy()
    if y is not None:
        for c in np.unique(y):
            Z[y == c] -= Z[y == c].mean(axis=0)
    sd = Z.std(axis=0)
    Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k = int(min(n_domains, np.unique(Z, axis=0).shape[0]))
    if k < 2:
        return np.zeros(X.shape[0], dtype=int)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=k, n_init=3, random_state=int(rng.integers(2**31 - 1)))
        return km.fit_predict(Z, sample_weight=sample_weight).astype(int)
    if method == "random":
        labels = np.empty(X.shape[0], dtype=int)
        groups = [np.arange(X.shape[0])] if y is None else [np.flatnonzero(y == c) for c in np.unique(y)]
        offset = 0
        for rows in groups:
            labels[rng.permutation(rows)] = (offset + np.arange(rows.size)) % k
            offset += rows.size
        return labels
    raise InputError(f"unknown pseudo-domain method {method!r}; choose 'kmeans' or 'random'")


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
        "forest_type": [StrOptions({"random", "extra"})],
        "carry_weights": ["boolean"],
        "mmd_kernel": [StrOptions({"rbf", "linear"})],
        "mmd_bandwidth": [StrOptions({"median", "multi"}), Interval(Real, 0.0, None, closed="neither")],
        "mmd_max_samples": [Interval(Integral, 2, None, closed="left")],
        "mmd_method": [StrOptions({"exact", "rff"})],
        "tree_selection": [Interval(Real, 0.0, 1.0, closed="right"), None],
        "domain_fallback": [StrOptions({"kmeans", "random", "forest", "error"})],
        "n_pseudo_domains": [Interval(Integral, 2, None, closed="left")],
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
        forest_type: str = "random",
        carry_weights: bool = False,
        mmd_kernel: str = "rbf",
        mmd_bandwidth: str | float = "median",
        mmd_max_samples: int = 300,
        mmd_method: str = "exact",
        tree_selection: float | None = None,
        domain_fallback: str = "kmeans",
        n_pseudo_domains: int = 4,
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
        self.forest_type = forest_type
        self.carry_weights = carry_weights
        self.mmd_kernel = mmd_kernel
        self.mmd_bandwidth = mmd_bandwidth
        self.mmd_max_samples = mmd_max_samples
        self.mmd_method = mmd_method
        self.tree_selection = tree_selection
        self.domain_fallback = domain_fallback
        self.n_pseudo_domains = n_pseudo_domains
        self.eps = eps
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- hooks for the classifier / regressor -------------------------------------------------
    _forest_classes: dict[str, type]  # forest class per ``forest_type``, set by each subclass

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _task_term(self, forest: object, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(score, W_acc) of a forest on the meta-test domain."""
        raise NotImplementedError

    def _tree_term(self, forest: object, tree: object, X: np.ndarray, y: np.ndarray) -> float:
        """W_acc of one tree of ``forest`` on the meta-test domain."""
        raise NotImplementedError

    def _select_trees(self, forest, rows, dom, test, Xt, yt, G) -> dict:
        """MMD-weighted tree selection: keep the ``tree_selection`` fraction of ``forest``'s trees with
        the largest per-tree meta weight ``alpha * (MMD_t - mean_t MMD_t) + log g(W_acc,t)``.

        ``MMD_t`` is the MMD between the domain mixture of tree ``t``'s bootstrap sample and the
        meta-test domain (from the cached kernel means ``G``), ``W_acc,t`` the tree's accuracy term on the
        meta-test domain; only source data are used. Returns the log entries of the selection.
        """
        trees = list(forest.estimators_)
        m = G.shape[0]
        q = np.zeros(m)
        q[test] = 1.0
        samples = forest.estimators_samples_ if forest.bootstrap else [np.arange(rows.size)] * len(trees)
        mmds = np.array(
            [_mixture_mmd(G, np.bincount(dom[rows[i]], minlength=m) / max(i.size, 1), q) for i in samples]
        )
        terms = np.array([self._tree_term(forest, t, Xt, yt) for t in trees])
        score = self.alpha * (mmds - mmds.mean()) + log_factor(
            terms, beta=self.beta, rule=self.weight_rule, eps=self.eps
        )
        k = max(1, int(np.ceil(self.tree_selection * len(trees))))
        keep = np.sort(np.argsort(-score, kind="stable")[:k])
        forest.estimators_ = [trees[i] for i in keep]
        forest.n_estimators = k
        return {"tree_scores": score.tolist(), "kept_trees": keep.tolist()}

    _centre_by_class = False

    def _fallback_domains(self, X, y_enc, sample_weight, seed):
        """Domain labels to use when ``fit`` got none, or ``None`` for the single-forest fallback."""
        if self.domain_fallback == "error":
            raise InputError(
                "fit() got no `domains` and domain_fallback='error'; pass domains=... (one source-domain "
                "label per sample)"
            )
        if self.domain_fallback == "forest":
            warnings.warn(
                "fit() got no `domains`; fitting a single random forest on all data "
                "(domain_fallback='forest'; pass domains=... to use meta-forests)",
                NoDomainsWarning,
                stacklevel=3,
            )
            return None
        labels = pseudo_domains(
            X,
            y_enc if self._centre_by_class else None,
            self.n_pseudo_domains,
            method=self.domain_fallback,
            sample_weight=sample_weight,
            seed=seed,
        )
        k = np.unique(labels).size
        if k < 2:
            warnings.warn(
                "fit() got no `domains` and the data have too few distinct rows for "
                f"{self.domain_fallback} pseudo-domains; fitting a single random forest on all data",
                NoDomainsWarning,
                stacklevel=3,
            )
            return None
        warnings.warn(
            f"fit() got no `domains`; using {k} {self.domain_fallback} pseudo-domains of the training data "
            "instead (pass domains=... for real source domains, or set domain_fallback)",
            NoDomainsWarning,
            stacklevel=3,
        )
        return labels

    # -- fitting -------------------------------------------------------------------------------
    def _new_forest(self, seed: int) -> object:
        return self._forest_classes[self.forest_type](
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
            ``set_fit_request(domains=True)`` inside a ``Pipeline`` or ``cross_validate``. Without it
            ``domain_fallback`` decides, always with a :class:`NoDomainsWarning`: ``"kmeans"`` (default)
            or ``"random"`` split the data into ``n_pseudo_domains`` pseudo-domains
            (:func:`pseudo_domains`) and run meta-forests on them, ``"forest"`` fits a single random
            forest of ``n_estimators`` trees, ``"error"`` raises :class:`core_utils.InputError`. A
            single given domain is an error (no meta-task can be formed).
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

        self.domain_source_ = "given"
        if domains is None:
            domains = self._fallback_domains(X, y_enc, sample_weight, int(next(seeds)))
            self.domain_source_ = "forest" if domains is None else self.domain_fallback
        if domains is None:
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
            raise InputError(
                f"domains has {int(np.sum(~np.isfinite(domains)))} NaN or infinite entries; label every "
                "sample, or pass domains=None for pseudo-domains"
            )
        if domains.dtype.kind == "O":
            missing = np.array([v is None or (isinstance(v, float) and not np.isfinite(v)) for v in domains])
            if missing.any():
                raise InputError(
                    f"domains has {int(missing.sum())} missing entries (None/NaN); label every sample, or "
                    "pass domains=None for pseudo-domains"
                )
        self.domains_, dom = np.unique(domains, return_inverse=True)
        m = self.domains_.size
        if m < 2:
            raise InputError(
                f"meta-forests needs at least 2 source domains, got {m} ({self.domains_.tolist()}); "
                "pass domains=None to split the data into pseudo-domains instead"
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
                selection = {}
                if self.tree_selection is not None and self.tree_selection < 1.0:
                    selection = self._select_trees(forest, rows, dom, test, Xt, yt, G)
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
                        **selection,
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
    forest_type : {"random", "extra"}, default "random"
        Base forests: random forests (the paper) or extremely randomised trees (``ExtraTrees*``,
        no bootstrap, random split thresholds), which generalise better across domains on the
        digit benchmarks here (README).
    carry_weights : bool, default False
        Carry weights multiplicatively across tasks (published; only with ``per_domain``).
    mmd_kernel : {"rbf", "linear"}, default "rbf"
    mmd_bandwidth : "median", "multi" or float, default "median"
        RBF bandwidth ``h``: median heuristic, a mixture of ``{1/4, 1/2, 1, 2, 4} x median``, or fixed.
    mmd_max_samples : int, default 300
        Rows per domain used for MMD (subsampled without replacement).
    mmd_method : {"exact", "rff"}, default "exact"
        Exact kernel means or 512 random Fourier features per bandwidth (linear time).
    tree_selection : float in (0, 1] or None, default None
        MMD-weighted tree selection (this package's variant): keep this fraction of every task forest's
        trees, ranked by the per-tree meta weight (meta-test accuracy term and MMD of the tree's
        bootstrap domain mixture to the meta-test domain); ``None`` or 1 keeps all trees.
    domain_fallback : {"kmeans", "random", "forest", "error"}, default "kmeans"
        What ``fit`` does without ``domains`` (always with a :class:`NoDomainsWarning`): k-means
        pseudo-domains on class-centred features, a random class-balanced partition, a single random
        forest, or an error. Falls back to a single forest when the data have < 2 distinct rows.
    n_pseudo_domains : int, default 4
        Number of pseudo-domains of the ``"kmeans"`` / ``"random"`` fallbacks.
    eps : float, default 1e-10
        Floor of the accuracy factor (chance accuracy gives weight ``eps ** beta``).
    n_jobs : int or None
        Passed to every forest.
    random_state : int, RandomState or None

    Attributes
    ----------
    classes_ : array of shape (n_classes,)
    domains_ : array of the distinct source-domain labels (pseudo-domain ids after a fallback)
    domain_source_ : str
        ``"given"``, ``"kmeans"``, ``"random"`` or ``"forest"`` (single-forest fallback)
    forests_ : list of fitted ``RandomForestClassifier`` (labels encoded as ``0 .. n_classes - 1``)
    weights_ : array of shape (len(forests_),), sums to 1
    meta_log_ : list of dict, one per forest: task, meta-test / meta-train domains, accuracy (``score``),
        ``w_acc``, ``mmd``, ``w_mmd``, final ``weight``
    n_features_in_ : int
    """

    _forest_classes = {"random": RandomForestClassifier, "extra": ExtraTreesClassifier}
    _centre_by_class = True

    def _encode_targets(self, y):
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        return y_enc

    def _forest_proba(self, forest, X):
        out = np.zeros((X.shape[0], self.classes_.size))
        out[:, forest.classes_.astype(int)] = forest.predict_proba(X)
        return out

    def _tree_term(self, forest, tree, X, y):
        pred = forest.classes_[tree.predict(X).astype(int)]
        return float(accuracy_term(float(np.mean(pred == y)), max(self.classes_.size, 1)))

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

    _forest_classes = {"random": RandomForestRegressor, "extra": ExtraTreesRegressor}

    def _encode_targets(self, y):
        return np.asarray(y, dtype=float)

    def _tree_term(self, forest, tree, X, y):
        return regression_term(y, tree.predict(X))

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
