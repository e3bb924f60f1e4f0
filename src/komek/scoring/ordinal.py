"""The proxy means test's model: the poverty classes as ordered, one LightGBM classifier per
boundary between them (Frank and Hall 2001), their log odds summed into one score, then cut points
on it chosen for macro F1.

- Ordered classes: for each boundary j a classifier of "richer than class j"; a household's score
  is the sum of the log odds over the boundaries, so it moves up with each one it is likely above.
  It is a sum of the trees' raw outputs, so the trees' contributions add up to it exactly.
- Balance: each classifier weighs its two sides alike (times the survey weights).
- Cut points: tuned for macro F1 on inner folds of the training part only (each household of it
  scored by classifiers that did not see it); the final classifiers are fitted on the whole
  training part and the cut points applied to them.
- Several seeds (row and column sampling differ) are averaged: steadier scores and cut points.
Evaluation nests it (`nested_splits`): nothing of a test fold is used to fit or to tune.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Plain trees: LightGBM gives no exact contributions for trees with a linear fit in each leaf
# (linear_tree), which scored better as a regression of the rank (docs/scoring.md).
PARAMS = dict(n_estimators=400, learning_rate=0.03, num_leaves=15, min_child_samples=40, subsample=0.7,
              subsample_freq=1, colsample_bytree=0.4, reg_lambda=5.0, max_bin=63, verbose=-1)
SEEDS = (0, 1, 2)
INNER_FOLDS = 3


def macro_f1(y: np.ndarray, pred: np.ndarray, w: np.ndarray, k: int) -> float:
    cm = np.zeros((k, k))
    np.add.at(cm, (y, pred), w)
    tp, actual, predicted = np.diag(cm), cm.sum(1), cm.sum(0)
    f1 = np.divide(2 * tp, actual + predicted, out=np.zeros(k), where=actual + predicted > 0)
    return float(f1.mean())


def cut(score: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    return np.searchsorted(cuts, score, side="right")


def tune_cuts(score: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, passes: int = 3) -> np.ndarray:
    """Cut points between ranks for macro F1, one at a time (each over the score's quantiles
    between its neighbours), a few passes; they start where the classes' shares put them, so
    any scale of score will do."""
    order = np.argsort(score, kind="stable")
    shares = np.cumsum(np.bincount(y, weights=w, minlength=k))[:-1] / w.sum()
    cuts = score[order][np.minimum(np.searchsorted(np.cumsum(w[order]) / w.sum(), shares), len(y) - 1)]
    grid = np.unique(np.quantile(score, np.linspace(0.005, 0.995, 200)))
    best = macro_f1(y, cut(score, cuts), w, k)
    for _ in range(passes):
        for j in range(k - 1):
            lo = cuts[j - 1] if j else -np.inf
            hi = cuts[j + 1] if j < k - 2 else np.inf
            for c in grid[(grid > lo) & (grid < hi)]:
                trial = cuts.copy()
                trial[j] = c
                f = macro_f1(y, cut(score, trial), w, k)
                if f > best:
                    best, cuts = f, trial
    return cuts


def _binaries(X: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, n_jobs: int, seeds) -> list[list]:
    """For each seed, one LightGBM classifier per boundary j (0..k-2) of "richer than class j",
    the two sides weighted to balance (times the survey weights)."""
    from lightgbm import LGBMClassifier
    out = []
    for s in seeds:
        models = []
        for j in range(k - 1):
            above = (y > j).astype(int)
            side = np.bincount(above, weights=w, minlength=2)
            bw = w * (w.sum() / (2 * np.where(side > 0, side, 1)))[above]
            models.append(LGBMClassifier(**{**PARAMS, "random_state": s, "n_jobs": n_jobs}).fit(X, above, sample_weight=bw))
        out.append(models)
    return out


def _log_odds(models: list[list], X: np.ndarray) -> np.ndarray:
    """The sum over boundaries of the log odds of being above it, averaged over the seeds."""
    return np.mean([sum(m.predict(X, raw_score=True) for m in per_seed) for per_seed in models], axis=0)


def inner_splits(y: np.ndarray, folds: int = INNER_FOLDS, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold
    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def nested_splits(y: np.ndarray, folds: int, seed: int = 0, inner: int = INNER_FOLDS):
    """(train, test, inner) for each outer fold: indices of households (one row each) into y;
    `inner` are (fit, tune) pairs of positions within `train`, so tuning never sees `test`."""
    from sklearn.model_selection import StratifiedKFold
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        yield train, test, inner_splits(y[train], inner, seed)


@dataclass
class OrdinalPMT:
    """Ranks 0..k-1 of the ordered classes (0 the poorest); `fit` tunes the cut points on `inner` (fit, tune) splits
    of the rows it is given and nothing else."""
    k: int
    n_jobs: int = 1
    seeds: tuple = SEEDS
    cuts: np.ndarray | None = None
    models: list = field(default_factory=list)

    def fit(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, inner=None) -> OrdinalPMT:
        oof = np.zeros(len(y))
        for fit_i, tune_i in inner or inner_splits(y):
            oof[tune_i] = _log_odds(_binaries(X[fit_i], y[fit_i], w[fit_i], self.k, self.n_jobs, self.seeds), X[tune_i])
        self.cuts = tune_cuts(oof, y, w, self.k)
        self.models = _binaries(X, y, w, self.k, self.n_jobs, self.seeds)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """The summed log odds of being above each class boundary (lower is poorer)."""
        return _log_odds(self.models, X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(households, features) exact tree contributions (SHAP values) to `score`, the bias left
        out: the score is a sum of the trees' raw outputs, so these add up to it."""
        return np.mean([sum(m.booster_.predict(X, pred_contrib=True)[:, :-1] for m in per_seed)
                        for per_seed in self.models], axis=0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return cut(self.score(X), self.cuts)
