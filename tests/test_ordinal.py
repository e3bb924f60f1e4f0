"""The ordinal model on its own: a score that orders the classes, cut points that do not depend
on the score's scale, and contributions that add up to the score exactly."""
import numpy as np
import pytest

from komek.scoring import ordinal


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    n = 1200
    X = rng.normal(0, 1, (n, 6)).astype(np.float32)
    latent = X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.7, n)
    y = np.searchsorted(np.quantile(latent, [0.1, 0.25, 0.5]), latent, side="right")
    w = rng.uniform(0.5, 2.0, n)
    with pytest.MonkeyPatch.context() as mp:      # fewer trees: the same model, quicker
        mp.setitem(ordinal.PARAMS, "n_estimators", 80)
        return X, y, w, ordinal.OrdinalPMT(4, seeds=(0, 1)).fit(X, y, w)


def test_one_classifier_per_boundary_and_seed(fitted):
    X, y, w, m = fitted
    assert len(m.models) == 2 and all(len(per_seed) == 3 for per_seed in m.models)
    assert np.all(np.diff(m.cuts) > 0)


def test_the_score_orders_the_classes(fitted):
    X, y, w, m = fitted
    means = [m.score(X)[y == c].mean() for c in range(4)]
    assert np.all(np.diff(means) > 0)
    pred = m.predict(X)
    assert ordinal.macro_f1(y, pred, w, 4) > ordinal.macro_f1(y, np.full(len(y), 3), w, 4)


def test_contributions_add_up_to_the_score(fitted):
    X, y, w, m = fitted
    bias = np.mean([sum(c.booster_.predict(X, pred_contrib=True)[:, -1] for c in per_seed) for per_seed in m.models], axis=0)
    assert m.contributions(X).sum(axis=1) + bias == pytest.approx(m.score(X), abs=1e-6)
    # The features that make the classes carry the most.
    assert set(np.argsort(-np.abs(m.contributions(X)).mean(axis=0))[:2]) == {0, 1}


def test_cut_points_do_not_depend_on_the_scale(fitted):
    X, y, w, m = fitted
    score = m.score(X)
    a = ordinal.cut(score, ordinal.tune_cuts(score, y, w, 4))
    b = ordinal.cut(10 * score + 3, ordinal.tune_cuts(10 * score + 3, y, w, 4))
    assert (a == b).all()
    # Tuned cuts do at least as well as the cuts the classes' shares give.
    assert ordinal.macro_f1(y, a, w, 4) >= ordinal.macro_f1(y, ordinal.cut(score, np.quantile(score, [0.1, 0.25, 0.5])), w, 4) - 1e-9
