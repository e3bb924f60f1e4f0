"""Why the proxy means test ranks a household as it does: each feature's contribution to the
model's score (LightGBM's exact tree contributions, SHAP values, summed over the class boundaries
and averaged over the seeds), largest first. Positive values push the household towards the poorer classes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from komek.scoring import pmt
from komek.scoring import survey as sv


def contributions(model, X: np.ndarray) -> np.ndarray:
    """(households, features) contributions towards a poorer class (bias left out)."""
    return -model.contributions(X)


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
    c = contributions(saved["model"], arr)
    rows = []
    for i, hid in enumerate(X["_hid"]):
        for j in np.argsort(-np.abs(c[i]))[:top]:
            v = arr[i, j]
            rows.append((hid, names[j], None if np.isnan(v) else float(v), float(c[i, j])))
    return pl.DataFrame(rows, schema={"household_id": pl.String, "feature": pl.String, "value": pl.Float64,
                                      "contribution": pl.Float64}, orient="row")
