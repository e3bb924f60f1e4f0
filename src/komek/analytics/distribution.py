"""Weighted distribution measures of per-capita income over people.

Every measure counts people: a household of `size` members with weight `w` stands for `w x size`
people, each with the household's per-capita income. Inputs are NumPy arrays of one length (one
element per household); an income that is not known (NaN) is refused, never read as zero.
"""
from __future__ import annotations

import numpy as np


def _people(income: np.ndarray, size: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    income = np.asarray(income, dtype=float)
    if np.isnan(income).any():
        raise ValueError("an income is not known (NaN): leave the household out or say the measure is not computed")
    return income, np.asarray(weight, dtype=float) * np.asarray(size, dtype=float)


def gini(income: np.ndarray, size: np.ndarray, weight: np.ndarray) -> float | None:
    """The Gini coefficient of per-capita income over people (0 equal, 1 one person has all);
    None when nobody has any income. Mean absolute difference over twice the mean, computed from
    the sorted values: 1 - sum p_i (2 C_(i-1) + p_i x_i) / (P X), with C the cumulative p x."""
    x, p = _people(income, size, weight)
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    px = p * x
    total_p, total_x = p.sum(), px.sum()
    if total_p <= 0 or total_x <= 0:
        return None
    before = np.cumsum(px) - px
    return float(1 - (p * (2 * before + px)).sum() / (total_p * total_x))


def deciles(income: np.ndarray, size: np.ndarray, weight: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
    """Each household's decile (1 poorest .. 10) of per-capita income over people: households
    sorted by income (ties by `key`, then position), each in the decile where its first person
    falls, so every decile holds a tenth of the people up to one household."""
    x, p = _people(income, size, weight)
    order = np.lexsort((np.arange(len(x)), key if key is not None else np.zeros(len(x)), x))
    cum = np.cumsum(p[order]) - p[order]
    total = p.sum()
    out = np.empty(len(x), dtype=np.int8)
    out[order] = np.minimum(10, 1 + np.floor(10 * cum / total).astype(np.int64)) if total > 0 else 1
    return out


def poverty(income: np.ndarray, size: np.ndarray, weight: np.ndarray, line: np.ndarray | float) -> dict:
    """Below the line (per-capita income < line, as the TSA's eligibility reads it): people poor,
    the headcount rate, the poverty gap index (mean over all people of the shortfall as a share of
    the line, 0 for those above it) and the monthly gap in tenge (what lifts everyone to the line)."""
    x, p = _people(income, size, weight)
    line = np.broadcast_to(np.asarray(line, dtype=float), x.shape)
    poor = x < line
    shortfall = np.where(poor, line - x, 0.0)
    total = p.sum()
    return {"people": float(total), "poor": float(p[poor].sum()),
            "headcount": float(p[poor].sum() / total) if total else None,
            "gap": float((p * shortfall / line).sum() / total) if total else None,
            "gap_tenge": float((p * shortfall).sum())}
