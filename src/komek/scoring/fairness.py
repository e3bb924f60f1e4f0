"""Fairness of the proxy means test by group (region, urban/rural, sex of the head, ...): the
share of households selected and the exclusion error (the share of the poor not selected) in
each group, with fairlearn's MetricFrame. Groups are for reporting; ethnicity and nationality
are never features of the model (see survey.PROTECTED)."""
from __future__ import annotations

import numpy as np
import polars as pl


def _exclusion(y_true, y_pred, sample_weight=None) -> float:
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    w = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, float)
    poor = w[y_true].sum()
    return float(w[y_true & ~y_pred].sum() / poor) if poor else float("nan")


def _selection(y_true, y_pred, sample_weight=None) -> float:
    w = np.ones(len(y_pred)) if sample_weight is None else np.asarray(sample_weight, float)
    return float(w[np.asarray(y_pred, bool)].sum() / w.sum()) if w.sum() else float("nan")


def by_group(households: pl.DataFrame, groups: tuple[str, ...], is_poor: np.ndarray, selected: np.ndarray,
             w: np.ndarray) -> dict:
    from fairlearn.metrics import MetricFrame
    out = {}
    params = {"selection_rate": {"sample_weight": w}, "exclusion_error": {"sample_weight": w}}
    for g in groups:
        values = households[g].cast(pl.String).fill_null("missing").to_numpy()
        frame = MetricFrame(metrics={"selection_rate": _selection, "exclusion_error": _exclusion},
                            y_true=is_poor, y_pred=selected, sensitive_features=values, sample_params=params)
        table = frame.by_group
        out[g] = {
            "by_group": {str(k): {"households": int((values == k).sum()),
                                  "selection_rate": _num(table.loc[k, "selection_rate"]),
                                  "exclusion_error": _num(table.loc[k, "exclusion_error"])} for k in table.index},
            "largest_difference": {m: _num(v) for m, v in frame.difference().items()},
        }
    return out


def _num(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else round(v, 4)
