"""Classical pipelines: hand-crafted features (:mod:`agri_dl.features`) + StandardScaler + SVM or random
forest (scikit-learn). Hyper-parameters are fixed a priori (no tuning on the test split), matching the
fixed training recipe of the networks: the same (zero) tuning budget for both arms."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from agri_dl.features import extract
from core_utils import InputError

__all__ = ["CLASSICAL", "FeaturePipeline"]

# method name -> (feature kinds, classifier)
CLASSICAL: dict[str, tuple[tuple[str, ...], str]] = {
    "color-svm": (("color",), "svm"),
    "color-rf": (("color",), "rf"),
    "lbp-svm": (("lbp",), "svm"),
    "hog-svm": (("hog",), "svm"),
    "hog-rf": (("hog",), "rf"),
    "glcm-rf": (("glcm",), "rf"),
    "all-svm": (("color", "lbp", "hog", "glcm"), "svm"),
    "all-rf": (("color", "lbp", "hog", "glcm"), "rf"),
}


class FeaturePipeline:
    """``extract(images, kinds)`` then StandardScaler + ``SVC(C=10, rbf)`` or ``RandomForest(300 trees)``."""

    def __init__(self, method: str, *, seed: int = 0, n_jobs: int | None = None) -> None:
        if method not in CLASSICAL:
            raise InputError(f"unknown classical method {method!r}; choose from {sorted(CLASSICAL)}")
        self.method = method
        self.kinds, kind = CLASSICAL[method]
        clf = (
            SVC(C=10.0, kernel="rbf", gamma="scale", random_state=seed)
            if kind == "svm"
            else RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=n_jobs)
        )
        self.pipeline = make_pipeline(StandardScaler(), clf)

    def features(self, images: np.ndarray) -> np.ndarray:
        return extract(images, self.kinds)

    def fit(
        self, images: np.ndarray, labels: np.ndarray, features: np.ndarray | None = None
    ) -> FeaturePipeline:
        X = self.features(images) if features is None else features
        if len(np.unique(labels)) < 2:
            raise InputError("training labels must contain at least 2 classes")
        self.pipeline.fit(X, labels)
        return self

    def predict(self, images: np.ndarray, features: np.ndarray | None = None) -> np.ndarray:
        X = self.features(images) if features is None else features
        return self.pipeline.predict(X)
