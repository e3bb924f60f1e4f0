"""Why the proxy means test ranks a household as it does: each feature's contribution to the
model's raw score for the poor classes (LightGBM's exact tree contributions, SHAP values),
largest first. Positive values push the household towards the poor classes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from komek.scoring import pmt
from komek.scoring import survey as sv


def contributions(clf, X: np.ndarray, features: list[str], poor: list[str]) -> np.ndarray:
    """(households, features) contributions summed over the poor classes (bias left out)."""
    raw = clf.booster_.predict(X, pred_contrib=True)
    k = len(clf.classes_)
    n = len(features) + 1
    if k == 2:
        sign = 1.0 if list(clf.classes_).index(poor[0]) == 1 else -1.0
        return sign * raw[:, :-1]
    cols = [list(clf.classes_).index(c) for c in poor]
    return sum(raw[:, c * n:(c + 1) * n - 1] for c in cols)


def explain(folder: Path, path: Path, households: list[str] | None = None, top: int = 8) -> pl.DataFrame:
    """household id, feature, value, contribution: the `top` largest contributions per household."""
    saved = pmt.load_model(folder)
    frame = sv.read_csv(path)
    X = sv.features(frame, saved["spec"], saved["household_id"])
    if households:
        X = X.filter(pl.col("_hid").is_in([str(h) for h in households]))
        if X.height == 0:
            raise sv.SurveyError(f"households {households}: not in {Path(path).name}")
    names = saved["spec"].features
    arr = sv.as_numpy(X.drop("_hid"))
    c = contributions(saved["model"], arr, names, saved["poor_classes"])
    rows = []
    for i, hid in enumerate(X["_hid"]):
        for j in np.argsort(-np.abs(c[i]))[:top]:
            v = arr[i, j]
            rows.append((hid, names[j], None if np.isnan(v) else float(v), float(c[i, j])))
    return pl.DataFrame(rows, schema={"household_id": pl.String, "feature": pl.String, "value": pl.Float64,
                                      "contribution": pl.Float64}, orient="row")
