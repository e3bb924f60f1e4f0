"""The anomaly lane: recipients whose payment pattern is unusual, found by an isolation forest
and explained by the features that deviate most (robust z-scores). Lowest severity; shown
apart from the rule findings; a reason to look, nothing more."""
from __future__ import annotations

import json

import numpy as np
import polars as pl

from komek.audit import config, findings

FEATURES = {
    "payments": pl.len(),
    "months_paid": pl.col("month").n_unique(),
    "measures": pl.col("measure").n_unique(),
    "regions": pl.col("region_code").n_unique(),
    "households": pl.col("household_id").n_unique(),
    "total_paid": pl.col("amount_paid").cast(pl.Float64).sum(),
    "max_month_paid": pl.col("amount_paid").cast(pl.Float64).max(),
    "paid_above_rules": (pl.col("amount_paid").cast(pl.Float64) - pl.col("expected").fill_null(0.0)).clip(lower_bound=0).sum(),
    "payments_outside_engine": (~pl.col("in_engine").fill_null(False)).sum(),
}


# The same features on the recompute's integer codes (person, month, measure, household), which
# group and count distinct values far faster than text at a country's scale.
CODED = {"months_paid": pl.col("_mo").n_unique(), "measures": pl.col("_m").n_unique(),
         "households": pl.col("_h").n_unique()}


def recipient_features(paid: pl.DataFrame) -> pl.DataFrame:
    coded = all(c in paid.columns for c in ("_pid", "_mo", "_m", "_h"))
    features = {**FEATURES, **CODED} if coded else FEATURES
    return (paid.group_by("_pid" if coded else "iin")
            .agg(**features, iin=pl.col("iin").first(), household_id=pl.col("household_id").min(),
                 region_code=pl.col("region_code").min(), month=pl.col("month").max())
            .select("iin", *FEATURES, "household_id", "region_code", "month").sort("iin"))


def explain(x: np.ndarray, rows: np.ndarray, names: list[str], top: int) -> list[dict]:
    """For each of `rows`, the `top` features with the largest robust z-score, the centre and
    scale measured over every row of `x`."""
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0) * 1.4826
    scale = np.where(mad > 0, mad, np.maximum(np.std(x, axis=0), 1e-9))
    z = (x[rows] - med) / scale
    order = np.argsort(-np.abs(z), axis=1)[:, :top]
    return [{names[j]: round(float(z[i, j]), 1) for j in order[i]} for i in range(len(rows))]


def anomalies(paid: pl.DataFrame) -> pl.DataFrame:
    from sklearn.ensemble import IsolationForest
    cfg = config()["anomalies"]
    feats = recipient_features(paid)
    names = list(FEATURES)
    if feats.height < 10:
        return findings("anomaly", feats.clear(), [], lane="anomaly", key="iin")
    x = np.log1p(feats.select(names).to_numpy().astype(np.float64).clip(min=0))
    # Fitted without a contamination, which would score every row once more only to place the
    # threshold; the threshold is then the same percentile of the one scoring.
    forest = IsolationForest(n_estimators=cfg["trees"], contamination="auto", random_state=cfg["seed"])
    forest.fit(x)
    normal = forest.score_samples(x)
    score = -normal                             # higher: more unusual
    flagged = np.flatnonzero(normal < np.percentile(normal, 100.0 * cfg["contamination"]))
    raw = feats.select(names).to_numpy()
    reasons = explain(x, flagged, names, cfg["explain_features"])
    text = [json.dumps({"anomaly_score": round(float(score[i]), 4),
                        "unusual_features": {k: {"robust_z": z, "value": float(raw[i, names.index(k)])} for k, z in r.items()}})
            for i, r in zip(flagged, reasons)]
    out = feats[flagged].with_columns(
        anomaly_score=pl.Series(np.round(score[flagged], 4), dtype=pl.Float64),
        _evidence=pl.Series(text, dtype=pl.String),
        payment_id=pl.lit(None, pl.String), measure=pl.lit(None, pl.String),
        amount_paid=pl.col("total_paid")).sort("anomaly_score", "iin", descending=[True, False])
    found = findings("anomaly", out, [], at_risk=pl.lit(0), lane="anomaly", key="iin")
    return found.with_columns(evidence=out["_evidence"])
