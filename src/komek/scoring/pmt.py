"""The proxy means test: a learned model of a household's poverty class from what the state
observes, its evaluation against simple baselines, and how it is saved.

Model: `scoring.ordinal` (one LightGBM classifier per boundary between the ordered classes, their
log odds summed, cut points tuned for macro F1 on inner folds). Baselines: LightGBM on the head's row alone, a linear PMT, a demographic
scorecard and, given an income column, a means test.

Targeting rule: the poor classes (`survey.poor_classes`) define coverage, the weighted share of
households in them. A method selects that share of households, those it ranks poorest (for the
model, the lowest score). Exclusion error: the share of the poor not
selected; inclusion error: the share of the selected who are not poor. At this coverage the two
are equal by construction; errors at 20% coverage (Kidd and Wylde 2011) are given as well.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl

from komek.errors import FieldError
from komek.scoring import ordinal
from komek.scoring import survey as sv
from komek.scoring.fairness import by_group

MODEL_FILE = "model.joblib"
def threads(n: int = 0) -> int:
    """Threads for training: as given, else half the cores (one on a small machine, where
    OpenMP threads competing with other work slow training down many times)."""
    cores = os.cpu_count() or 1
    return n if n > 0 else (1 if cores <= 4 else cores // 2)


def select(score: np.ndarray, w: np.ndarray, coverage: float) -> np.ndarray:
    """The households with the highest scores, up to `coverage` of the total weight."""
    order = np.argsort(-score, kind="stable")
    cum = np.cumsum(w[order])
    chosen = np.zeros(len(score), dtype=bool)
    chosen[order[cum <= coverage * w.sum() + 1e-9]] = True
    return chosen


def errors(selected: np.ndarray, is_poor: np.ndarray, w: np.ndarray) -> dict[str, float]:
    poor_w, sel_w = w[is_poor].sum(), w[selected].sum()
    return {"exclusion_error": float(w[is_poor & ~selected].sum() / poor_w) if poor_w else None,
            "inclusion_error": float(w[selected & ~is_poor].sum() / sel_w) if sel_w else None}


def targeting(score: np.ndarray, is_poor: np.ndarray, w: np.ndarray, coverage: float) -> dict:
    return {"at_poor_share": errors(select(score, w, coverage), is_poor, w),
            "at_20_percent": errors(select(score, w, 0.20), is_poor, w)}


def train(path: Path, target: str, household_id: str, out: Path, weight: str | None = None,
          poor: str | None = None, n_threads: int = 0, age: str | None = None, sex: str | None = None,
          head: str | None = None) -> dict:
    """Train on the whole survey (cut points tuned on its inner folds) and save the model and its
    features into `out`."""
    import joblib
    s = sv.load(path, target, household_id, weight, age=age, sex=sex, head=head)
    classes = sv.classes(s.households["_y"])
    poor_classes = sv.poor_classes(classes, poor)
    rank = np.array([classes.index(c) for c in s.households["_y"].to_numpy()])
    w = s.households["_w"].to_numpy().astype(float)
    clf = ordinal.OrdinalPMT(len(classes), threads(n_threads)).fit(sv.as_numpy(s.X), rank, w)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": clf, "spec": s.spec, "classes": classes, "poor_classes": poor_classes,
                 "target": target, "household_id": household_id}, out / MODEL_FILE)
    info = {"households": s.households.height, "features": len(s.spec.features), "classes": classes,
            "poor_classes": poor_classes, "person_level": s.spec.person_level,
            "cut_points": [round(float(c), 4) for c in clf.cuts],
            "protected_columns_dropped": s.spec.protected_dropped, "model": str(out / MODEL_FILE)}
    (out / "features.json").write_text(json.dumps({"features": s.spec.features, "spec": asdict(s.spec)},
                                                  ensure_ascii=False, indent=1), "utf-8")
    return info


def load_model(folder: Path) -> dict:
    import joblib
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise sv.SurveyError(f"{folder}: no trained model here (train one first)")
    return joblib.load(path)


def predict(folder: Path, path: Path) -> pl.DataFrame:
    """household id, predicted class, and the score before the cut (the summed log odds of being
    above each class boundary: lower is poorer), for a survey CSV."""
    saved = load_model(folder)
    frame = sv.read_csv(path)
    hid = saved["household_id"]
    if hid not in frame.columns:
        raise sv.SurveyError(f"{path}: no household id column {hid!r}")
    X = sv.features(frame, saved["spec"], hid)
    arr = sv.as_numpy(X.drop("_hid"))
    clf, classes = saved["model"], saved["classes"]
    score = clf.score(arr)
    return pl.DataFrame({hid: X["_hid"], "predicted": [classes[r] for r in ordinal.cut(score, clf.cuts)],
                         "score": score})


# --- baselines ---------------------------------------------------------------------------

def _pick(columns: list[str], pattern: str) -> list[str]:
    return [c for c in columns if re.search(pattern, c, re.IGNORECASE)]


def scorecard_columns(features: list[str]) -> list[str]:
    """Household size, children, elderly and disability counts, where the survey has them."""
    size = ["members"] if "members" in features else _pick(features, r"(hh|household)_?size|^size$|members")[:1]
    picks = size
    for pattern in (r"child|kids|under_?1[58]", r"elder|old|pension|over_?6", r"disab|invalid"):
        found = [c for c in _pick(features, pattern) if c.endswith((":count", ":sum")) or ":" not in c]
        picks += found[:1]
    age = [c for c in features if re.fullmatch(r"age(_years)?:(mean|min|max)", c, re.IGNORECASE)]
    return list(dict.fromkeys(picks + age))


def _linear(kind: str):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    last = LogisticRegression(max_iter=1000, class_weight="balanced") if kind == "logistic" else Ridge(alpha=1.0)
    return make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), last)


def heads_only(n_jobs: int):
    """The plain baseline: LightGBM on the head's row alone, balanced class weights."""
    from lightgbm import LGBMClassifier
    return LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, class_weight="balanced",
                          random_state=0, n_jobs=n_jobs, verbose=-1)


def _classes_f1(rank: np.ndarray, pred: np.ndarray, w: np.ndarray, classes: list[str]) -> dict:
    from sklearn.metrics import f1_score
    per_class = f1_score(rank, pred, labels=list(range(len(classes))), average=None, sample_weight=w, zero_division=0)
    return {"macro_f1": float(np.mean(per_class)), "per_class_f1": dict(zip(classes, map(float, per_class)))}


def evaluate(path: Path, target: str, household_id: str, weight: str | None = None, folds: int = 5,
             poor: str | None = None, income: str | None = None, groups: tuple[str, ...] = (),
             n_threads: int = 0, seed: int = 0, age: str | None = None, sex: str | None = None,
             head: str | None = None) -> dict:
    """Nested K-fold evaluation by household of the model and the baselines on the same outer
    folds, as a JSON-ready dict. The model's cut points are tuned on inner folds of each
    training part; the baselines have nothing to tune."""
    s = sv.load(path, target, household_id, weight, income, groups, age, sex, head)
    classes = sv.classes(s.households["_y"])
    poor_classes = sv.poor_classes(classes, poor)
    labels, w = s.households["_y"].to_numpy(), s.households["_w"].to_numpy().astype(float)
    rank = np.array([classes.index(c) for c in labels])
    X = sv.as_numpy(s.X)
    H = sv.as_numpy(s.heads) if s.heads is not None else X
    smallest = int(np.bincount(rank).min())
    if folds < 2 or smallest < folds * ordinal.INNER_FOLDS:
        raise FieldError("folds", f"{folds}: needs 2 <= K and K x {ordinal.INNER_FOLDS} inner folds <= "
                         f"the size of the smallest class ({smallest})")
    poor_ranks = [classes.index(c) for c in poor_classes]
    is_poor = np.isin(rank, poor_ranks)
    # The model ranks from poorest (0) up; poor classes at the top of the order flip the sign.
    sign = -1.0 if np.mean(poor_ranks) <= (len(classes) - 1) / 2 else 1.0
    coverage = float(w[is_poor].sum() / w.sum())
    card = scorecard_columns(s.spec.features)
    card_idx = [s.spec.features.index(c) for c in card]
    n_jobs = threads(n_threads)
    pred = {k: np.zeros(len(rank), dtype=int) for k in ("model", "heads_only_lightgbm")}
    scores = {k: np.zeros(len(rank)) for k in ("model", "heads_only_lightgbm", "demographic_scorecard", "ols_pmt")}
    for train_i, test_i, inner in ordinal.nested_splits(rank, folds, seed):
        m = ordinal.OrdinalPMT(len(classes), n_jobs).fit(X[train_i], rank[train_i], w[train_i], inner)
        pred["model"][test_i] = m.predict(X[test_i])
        scores["model"][test_i] = sign * m.score(X[test_i])
        hb = heads_only(n_jobs).fit(H[train_i], rank[train_i], sample_weight=w[train_i])
        pred["heads_only_lightgbm"][test_i] = hb.predict(H[test_i])
        proba = hb.predict_proba(H[test_i])
        scores["heads_only_lightgbm"][test_i] = proba[:, [list(hb.classes_).index(r) for r in poor_ranks]].sum(axis=1)
        if card_idx:
            lr = _linear("logistic").fit(X[train_i][:, card_idx], is_poor[train_i], logisticregression__sample_weight=w[train_i])
            scores["demographic_scorecard"][test_i] = lr.predict_proba(X[test_i][:, card_idx])[:, 1]
        ols = _linear("ridge")
        if income:
            inc = s.households["_income"].to_numpy()
            ok = train_i[np.isfinite(inc[train_i])]
            ols.fit(X[ok], np.log1p(np.clip(inc[ok], 0, None)), ridge__sample_weight=w[ok])
            scores["ols_pmt"][test_i] = -ols.predict(X[test_i])
        else:
            ols.fit(X[train_i], is_poor[train_i].astype(float), ridge__sample_weight=w[train_i])
            scores["ols_pmt"][test_i] = ols.predict(X[test_i])
    no_class = {"macro_f1": None, "macro_f1_not_known": "it scores being poor only and predicts no class"}
    result = {
        "households": len(rank), "features": len(s.spec.features), "person_level": s.spec.person_level,
        "folds": folds, "inner_folds": ordinal.INNER_FOLDS, "classes": classes, "poor_classes": poor_classes,
        "coverage": round(coverage, 4),
        "model": {"method": f"LightGBM classifier of each class boundary (ordinal, Frank and Hall), log odds "
                            f"summed, {len(ordinal.SEEDS)} seeds averaged, balanced weights, cut points tuned "
                            "for macro F1 on inner folds",
                  "cut_points": "tuned within each training part", **_classes_f1(rank, pred["model"], w, classes),
                  **targeting(scores["model"], is_poor, w, coverage)},
        "baselines": {
            "heads_only_lightgbm": {"method": "LightGBM on the head's row alone, balanced class weights, 300 trees, "
                                              "learning rate 0.05, 31 leaves",
                                    "head": head or "the first row of each household",
                                    **_classes_f1(rank, pred["heads_only_lightgbm"], w, classes),
                                    **targeting(scores["heads_only_lightgbm"], is_poor, w, coverage)},
            "demographic_scorecard": ({"columns": card, **no_class,
                                       **targeting(scores["demographic_scorecard"], is_poor, w, coverage)} if card else
                                      {"skipped": "no household size, children, elderly or disability columns varying"}),
            "ols_pmt": {"method": ("least squares of log income per person" if income else
                                   "least squares of being poor (linear probability)")
                        + " on the same features, small ridge penalty (alpha 1) for stability", **no_class,
                        **targeting(scores["ols_pmt"], is_poor, w, coverage)},
        },
        "protected_columns_dropped": s.spec.protected_dropped,
    }
    if income:
        inc = s.households["_income"].to_numpy().astype(float)
        result["baselines"]["income_means_test"] = {"column": income, **targeting(-np.nan_to_num(inc, nan=np.inf), is_poor, w, coverage)}
    else:
        result["baselines"]["income_means_test"] = {"skipped": "no --income column given"}
    if groups:
        selected = select(scores["model"], w, coverage)
        result["fairness"] = by_group(s.households, groups, is_poor, selected, w)
    return _round(result)


def _round(obj):
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj
